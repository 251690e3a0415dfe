/*
 * Command-line parsing (see args.h).  Every bad argument is an error that
 * names it and says what was expected; nothing is silently wrapped,
 * truncated or defaulted.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "heapscope/heapscope.h"
#include "report/report.h"

int hs_parse_size(const char *z, uint64_t *pn) {
  if (!z || *z < '0' || *z > '9') return -1;  /* no sign, no space, no empty */
  uint64_t n = 0;
  for (; *z >= '0' && *z <= '9'; z++) {
    if (n > (UINT64_C(1) << 63) / 10) return -1;
    n = n * 10 + (uint64_t)(*z - '0');
  }
  int nShift = 0;
  switch (*z) {
    case 'k': case 'K': nShift = 10; z++; break;
    case 'm': case 'M': nShift = 20; z++; break;
    case 'g': case 'G': nShift = 30; z++; break;
    case 't': case 'T': nShift = 40; z++; break;
  }
  if (nShift && (*z == 'i' || *z == 'I') && (z[1] == 'B' || z[1] == 'b')) z += 2;
  else if (*z == 'B' || *z == 'b') z++;
  if (*z || n == 0 || n > (UINT64_C(1) << 62) >> nShift) return -1;
  *pn = n << nShift;
  return 0;
}

int hs_parse_seconds(const char *z, double *pr) {
  if (!z || !((*z >= '0' && *z <= '9') || *z == '.')) return -1;
  char *zEnd;
  errno = 0;
  double r = strtod(z, &zEnd);
  if (errno || zEnd == z || !isfinite(r)) return -1;
  if (*zEnd == 's') zEnd++;
  else if (*zEnd == 'm') r *= 60, zEnd++;
  else if (*zEnd == 'h') r *= 3600, zEnd++;
  if (*zEnd || !(r > 0) || r > 1e9) return -1;
  *pr = r;
  return 0;
}

void hs_cli_free(hs_cli *p) {
  free(p->azInput);
  free(p->azArg);
  free(p->check.azRules);
  free(p->check.azDetector);
  free(p->check.azSet);
  memset(p, 0, sizeof *p);
}

static int is_verb(const hs_cli *p, const char *zVerb) {
  return p->zVerb && strcmp(p->zVerb, zVerb) == 0;
}

static int usage(char **pzErr, const char *zMsg, const char *zArg) {
  *pzErr = hs_mprintf("%s%s%s", zMsg, zArg ? ": " : "", zArg ? zArg : "");
  return HS_CLI_USAGE;
}

int hs_cli_parse(int argc, char **argv, hs_cli *p, char **pzErr) {
  int bArgs = 0, iCheck;
  memset(p, 0, sizeof *p);
  *pzErr = NULL;
  p->azInput = calloc(argc > 0 ? argc : 1, sizeof *p->azInput);
  p->azArg = calloc(argc > 0 ? argc : 1, sizeof *p->azArg);
  if (!p->azInput || !p->azArg) return usage(pzErr, "out of memory", NULL);
  for (int i = 1; i < argc; i++) {
    const char *z = argv[i];
    if (bArgs) {
      p->azArg[p->nArg++] = z;
      continue;
    }
    if (strcmp(z, "--") == 0) {
      bArgs = 1;
    } else if (strcmp(z, "-h") == 0 || strcmp(z, "--help") == 0) {
      return HS_CLI_HELP;
    } else if (strcmp(z, "-V") == 0 || strcmp(z, "--version") == 0) {
      return HS_CLI_VERSION;
    } else if (strcmp(z, "-e") == 0) {
      if (++i >= argc) return usage(pzErr, "-e needs a Lua chunk", NULL);
      p->zCode = argv[i];
    } else if (strcmp(z, "--max-bytes") == 0) {
      if (++i >= argc) return usage(pzErr, "--max-bytes needs a size like 512M", NULL);
      if (hs_parse_size(argv[i], &p->nMaxBytes) != 0)
        return usage(pzErr, "--max-bytes expects a positive size like 512M or 4G (K, M, G, T "
                            "are powers of 1024; at most 4096P)", argv[i]);
    } else if (strcmp(z, "--max-total") == 0) {
      if (++i >= argc) return usage(pzErr, "--max-total needs a size like 8G", NULL);
      if (hs_parse_size(argv[i], &p->nMaxTotal) != 0)
        return usage(pzErr, "--max-total expects a positive size like 8G", argv[i]);
    } else if (strcmp(z, "--max-memory") == 0) {
      if (++i >= argc) return usage(pzErr, "--max-memory needs a size like 512M", NULL);
      if (hs_parse_size(argv[i], &p->nMaxMemory) != 0)
        return usage(pzErr, "--max-memory expects a positive size like 512M or 4G", argv[i]);
    } else if (strcmp(z, "--timeout") == 0) {
      if (++i >= argc) return usage(pzErr, "--timeout needs a duration like 30s", NULL);
      if (hs_parse_seconds(argv[i], &p->rTimeout) != 0)
        return usage(pzErr, "--timeout expects a positive duration like 30, 2.5s, 10m or 1h",
                     argv[i]);
    } else if ((is_verb(p, "check") || is_verb(p, "report") || is_verb(p, "detectors")) &&
               (iCheck = hs_check_option(&p->check, argc, argv, &i, pzErr)) != 0) {
      if (iCheck < 0) return HS_CLI_USAGE;    /* *pzErr says why */
    } else if (strcmp(z, "--binary") == 0) {
      if (++i >= argc) return usage(pzErr, "--binary needs the program's executable", NULL);
      p->zBinary = argv[i];
    } else if (strcmp(z, "--no-cache") == 0) {
      p->bNoCache = 1;
    } else if (strcmp(z, "-q") == 0 || strcmp(z, "--quiet") == 0) {
      p->bQuiet = 1;
    } else if (z[0] == '-' && z[1]) {
      return usage(pzErr, "unknown option", z);
    } else if (!p->zVerb && !p->zCode && p->nInput == 0 &&
               (strcmp(z, "run") == 0 || strcmp(z, "info") == 0 || strcmp(z, "check") == 0 ||
                strcmp(z, "report") == 0 || strcmp(z, "detectors") == 0 || strcmp(z, "diff") == 0)) {
      p->zVerb = z;
      if (strcmp(z, "run") == 0) {
        if (++i >= argc) return usage(pzErr, "run needs a script", NULL);
        p->zScript = argv[i];
      }
    } else {
      p->azInput[p->nInput++] = z;
    }
  }
  int bRun = p->zVerb && strcmp(p->zVerb, "run") == 0;
  if (is_verb(p, "info") && p->nInput == 0)
    return usage(pzErr, "info needs at least one INPUT", NULL);
  if (p->nArg && !bRun) return usage(pzErr, "arguments after -- are for `run SCRIPT`", NULL);
  if (is_verb(p, "check") && p->nInput == 0)
    return usage(pzErr, "check needs at least one INPUT", NULL);
  if (is_verb(p, "diff") && (p->nInput < 1 || p->nInput > 3))
    return usage(pzErr, "diff needs BASE TARGET [FINAL]: two or three heap dumps (or cases "
                 "holding one) of one process, oldest first; or one case holding a series "
                 "(several dumps or profiles of one kind in one directory or archive)", NULL);
  if (is_verb(p, "diff") && p->zCode) return usage(pzErr, "-e does not go with", p->zVerb);
  if (is_verb(p, "report")) {             /* check's html page, findings never fail it */
    if (p->nInput == 0) return usage(pzErr, "report needs at least one INPUT", NULL);
    if (!p->check.zOut) return usage(pzErr, "report needs -o FILE (the HTML page to write)", NULL);
    if (p->check.zFormat && strcmp(p->check.zFormat, "html") != 0)
      return usage(pzErr, "report writes html only; for other formats use check --format",
                   p->check.zFormat);
    p->check.zFormat = "html";
    if (!p->check.eFailOn) p->check.eFailOn = HS_SEV_NEVER;
  }
  if (is_verb(p, "detectors") && p->nInput > 0)
    return usage(pzErr, "detectors takes no INPUT", p->azInput[0]);
  if (p->zCode && (is_verb(p, "check") || is_verb(p, "report") || is_verb(p, "detectors")))
    return usage(pzErr, "-e does not go with", p->zVerb);
  return HS_CLI_RUN;
}
