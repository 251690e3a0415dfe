/*
 * `heapscope check` and `heapscope detectors`: the rule engine
 * (core/rules/rules.lua) over the loaded cases, through one writer of
 * core/report/.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/report.h"

/* Where the text report wraps: a terminal's width (80 when it does not
** say), else $COLUMNS when set, else nowhere (a file or pipe keeps one
** line per item for grep). */
static int text_width(FILE *out) {
  struct winsize ws;
  if (isatty(fileno(out)))
    return ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 ? ws.ws_col : 80;
  const char *z = getenv("COLUMNS");
  int n = z ? atoi(z) : 0;
  return n >= 40 ? n : 0;
}

const char hs_check_usage[] =
    "Check options:\n"
    "  --pack NAME|FILE    rule pack to run (default: default; ci is stricter)\n"
    "  --detector ID       run only this detector (repeatable)\n"
    "  --set ID.PARAM=VALUE  override a detector parameter (see heapscope detectors)\n"
    "  --rules DIR         also load plugins from DIR (repeatable; later ones override)\n"
    "  --format FMT        text (default), json, jsonl, msgpack, junit or html\n"
    "  -o FILE             write the report to FILE instead of stdout\n"
    "  --fail-on LEVEL     exit 1 when a finding is at or above LEVEL: info, warning\n"
    "                      (default), error, or never\n"
    "  --budget N          VM instructions a detector may use per case (default 1e9)\n"
    "  -j N                check N cases at once, each in a worker process (default 1)\n"
    "  --shard K/N         check only the K-th of N deterministic parts of the cases\n"
    "                      (by case name); the shards' jsonl or msgpack outputs\n"
    "                      concatenate into one run's\n";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A usage error of check's options: *pzErr = "zMsg: zArg" (malloc'd), -1. */
static int check_usage(char **pzErr, const char *zMsg, const char *zArg) {
  *pzErr = hs_mprintf("%s%s%s", zMsg, zArg ? ": " : "", zArg ? zArg : "");
  return -1;
}

/* The value of option argv[*pi] (moving *pi to it), or NULL at the end. */
static const char *value(int argc, char **argv, int *pi) {
  return *pi + 1 < argc ? argv[++*pi] : NULL;
}

/* The list of output formats, for --format's error (malloc'd). */
static char *format_list(void) {
  char *z = hs_mprintf("unknown format; formats:");
  for (int i = 0; z && hs_writers[i]; i++) {
    char *zNew = hs_mprintf("%s %s", z, hs_writers[i]->zName);
    free(z);
    z = zNew;
  }
  return z;
}

int hs_check_option(hs_check_opts *o, int argc, char **argv, int *pi, char **pzErr) {
  const char *z = argv[*pi], *zv = NULL;
  int bValue = strcmp(z, "--pack") == 0 || strcmp(z, "--rules") == 0 ||
               strcmp(z, "--detector") == 0 || strcmp(z, "--set") == 0 ||
               strcmp(z, "--format") == 0 || strcmp(z, "-o") == 0 || strcmp(z, "--output") == 0 ||
               strcmp(z, "--fail-on") == 0 || strcmp(z, "--budget") == 0 ||
               strcmp(z, "-j") == 0 || strcmp(z, "--jobs") == 0 || strcmp(z, "--shard") == 0;
  if (!bValue && strncmp(z, "-j", 2) != 0) return 0;
  if (!o->azRules) {
    o->azRules = calloc(argc, sizeof *o->azRules);
    o->azDetector = calloc(argc, sizeof *o->azDetector);
    o->azSet = calloc(argc, sizeof *o->azSet);
    if (!o->azRules || !o->azDetector || !o->azSet) return check_usage(pzErr, "out of memory", NULL);
  }
  if (bValue && !(zv = value(argc, argv, pi))) return check_usage(pzErr, "option needs a value", z);
  if (strcmp(z, "--pack") == 0) {
    o->zPack = zv;
  } else if (strcmp(z, "--rules") == 0) {
    o->azRules[o->nRules++] = zv;
  } else if (strcmp(z, "--detector") == 0) {
    o->azDetector[o->nDetector++] = zv;
  } else if (strcmp(z, "--set") == 0) {
    if (!strchr(zv, '=') || !strchr(zv, '.') || strchr(zv, '.') > strchr(zv, '='))
      return check_usage(pzErr, "--set expects ID.PARAM=VALUE", zv);
    o->azSet[o->nSet++] = zv;
  } else if (strcmp(z, "--format") == 0) {
    o->zFormat = zv;
    if (!hs_writer_find(zv)) {
      char *zList = format_list();
      char *zWhat = hs_mprintf("--format %s", zv);
      int rc = check_usage(pzErr, zWhat ? zWhat : "--format", zList ? zList : "unknown format");
      free(zList);
      free(zWhat);
      return rc;
    }
  } else if (strcmp(z, "-o") == 0 || strcmp(z, "--output") == 0) {
    o->zOut = zv;
  } else if (strcmp(z, "--fail-on") == 0) {
    o->eFailOn = hs_severity(zv, strlen(zv));
    if (!o->eFailOn) return check_usage(pzErr, "--fail-on expects info, warning, error or never", zv);
  } else if (strcmp(z, "--budget") == 0) {
    char *zEnd;
    o->nBudget = strtod(zv, &zEnd);
    if (*zEnd || !(o->nBudget >= 1000))
      return check_usage(pzErr, "--budget expects a number of instructions (>= 1000)", zv);
  } else if (strcmp(z, "--shard") == 0) {
    int k, n, nUsed = 0;
    if (sscanf(zv, "%d/%d%n", &k, &n, &nUsed) != 2 || zv[nUsed] || n < 1 || k < 1 || k > n)
      return check_usage(pzErr, "--shard expects K/N with 1 <= K <= N", zv);
    o->iShard = k;
    o->nShards = n;
  } else {                                    /* -j N, --jobs N, -jN */
    if (!zv) zv = z + 2;
    char *zEnd;
    long n = strtol(zv, &zEnd, 10);
    if (*zEnd || n < 1 || n > 1024) return check_usage(pzErr, "-j expects a number of workers (1 to 1024)", zv);
    o->nJobs = (int)n;
  }
  return 1;
}

static void push_strings(lua_State *L, const char *const *az, int n, const char *zField) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, az[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, zField);
}

/* Push require("hs.rules")[zFn] and the options table the engine takes. */
static void push_call(lua_State *L, const char *zFn, const hs_check_opts *o, int bQuiet) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.rules");
  lua_call(L, 1, 1);                          /* R */
  lua_getfield(L, -1, zFn);
  lua_remove(L, -2);                          /* fn */
  lua_newtable(L);                            /* fn opts */
  if (o->zPack) {
    lua_pushstring(L, o->zPack);
    lua_setfield(L, -2, "pack");
  }
  push_strings(L, o->azRules, o->nRules, "rules");
  push_strings(L, o->azDetector, o->nDetector, "detector");
  push_strings(L, o->azSet, o->nSet, "set");
  if (o->nBudget > 0) {
    lua_pushnumber(L, o->nBudget);
    lua_setfield(L, -2, "budget");
  }
  lua_pushstring(L, hs_severity_name(o->eFailOn ? o->eFailOn : HS_SEV_WARNING));
  lua_setfield(L, -2, "fail_on");
  lua_pushboolean(L, bQuiet);
  lua_setfield(L, -2, "quiet");
  lua_pushstring(L, o->zFormat ? o->zFormat : "text");
  lua_setfield(L, -2, "format");
}

/* After a call that returns (value) or (nil, usage message): 0 with the
** value on the stack, or 2 after printing the message. */
static int usage_result(lua_State *L) {
  if (!lua_isnil(L, -2)) {
    lua_pop(L, 1);
    return 0;
  }
  fprintf(stderr, "heapscope: %s\nTry 'heapscope detectors' and 'heapscope --help'.\n",
          lua_tostring(L, -1));
  lua_pop(L, 2);
  return 2;
}

/* ------------------------------------------------------------ running */

/* A case's result: the msgpack case map, or NULL while it is not in. */
typedef struct result {
  char *p;
  size_t n;
  int bDone;
} result;

/* Run the engine on case c (loaded here, freed by Lua) in this process;
** the case map bytes go to *pr.  Returns 0, or -1 after a Lua error in the
** engine itself (printed). */
static int run_inline(lua_State *L, hs_case *c, result *pr) {
  int iTop = lua_gettop(L);
  hs_case_load_deferred(c);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.rules");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "cli_case");
  lua_remove(L, -2);
  hsL_pushcase(L, c);                         /* the userdata owns c now */
  int rc = 0;
  if (hsL_docall(L, 1, 1) != 0) {
    hsL_report(L, 1);
    rc = -1;
  } else {
    size_t n;
    const char *p = lua_tolstring(L, -1, &n);
    pr->p = malloc(n ? n : 1);
    if (pr->p) memcpy(pr->p, p, n), pr->n = n;
    else rc = -1;
  }
  lua_settop(L, iTop);
  lua_gc(L, LUA_GCCOLLECT, 0);                /* the case's memory, now */
  pr->bDone = 1;
  return rc;
}

static void pack_cstr(msgpack_packer *pk, const char *z) {
  msgpack_pack_str(pk, strlen(z));
  msgpack_pack_str_body(pk, z, strlen(z));
}

/* The case map of a case whose worker did not report: its inputs and one
** error saying how the worker ended. */
static void failed_case(const hs_case *c, const char *zWhy, result *pr) {
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  static const char *const azEmpty[] = {"warnings", "skipped", "notes", "detectors", "findings"};
  msgpack_pack_map(&pk, 8);
  pack_cstr(&pk, "name");
  pack_cstr(&pk, c->zName);
  pack_cstr(&pk, "inputs");
  msgpack_pack_array(&pk, c->nInput);
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *in = c->apInput[i];
    const hs_loader *l = in->p ? hs_sniff(in->p, in->n, NULL) : NULL;
    msgpack_pack_map(&pk, 3);
    pack_cstr(&pk, "name");
    pack_cstr(&pk, in->zName);
    pack_cstr(&pk, "kind");
    pack_cstr(&pk, l ? l->zKind : "unknown");
    pack_cstr(&pk, "size");
    msgpack_pack_uint64(&pk, in->n);
  }
  pack_cstr(&pk, "errors");
  msgpack_pack_array(&pk, 1);
  char *zErr = hs_mprintf("%s: the worker checking this case %s before it reported; "
                          "the other cases are unaffected (rerun this one alone with -j 1 "
                          "to see more)", c->zName, zWhy);
  pack_cstr(&pk, zErr ? zErr : "worker failed");
  free(zErr);
  for (int i = 0; i < 5; i++) {
    pack_cstr(&pk, azEmpty[i]);
    msgpack_pack_array(&pk, 0);
  }
  pr->p = sb.data;                            /* ownership moves to pr */
  pr->n = sb.size;
  pr->bDone = 1;
}

typedef struct worker {
  pid_t pid;
  int fd;                                     /* read end of its pipe */
  int iCase;
  char *p;                                    /* what it wrote so far */
  size_t n, nCap;
} worker;

/* In a forked child: load case c, run the engine, write the case map to
** fd, and end without running the parent's exit handlers. */
static void child(lua_State *L, hs_case *c, int fd) {
  result r = {0};
  signal(SIGINT, SIG_DFL);
  if (run_inline(L, c, &r) != 0 || !r.p) _exit(3);
  size_t off = 0;
  while (off < r.n) {
    ssize_t k = write(fd, r.p + off, r.n - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) _exit(4);
    off += (size_t)k;
  }
  _exit(0);
}

/* Reap a worker whose pipe reached EOF: its bytes become the result, or
** an error case map when it did not end cleanly. */
static void reap(worker *w, hs_case *c, result *pr) {
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(w->fd);
  char zWhy[128];
  zWhy[0] = 0;
  if (WIFSIGNALED(status))
    snprintf(zWhy, sizeof zWhy, "was killed by signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    snprintf(zWhy, sizeof zWhy, "failed (exit status %d)", WEXITSTATUS(status));
  else {
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int bOk = w->p && msgpack_unpack_next(&u, w->p, w->n, &off) == MSGPACK_UNPACK_SUCCESS &&
              off == w->n;
    msgpack_unpacked_destroy(&u);
    if (!bOk) snprintf(zWhy, sizeof zWhy, "wrote a truncated result");
  }
  if (zWhy[0]) {
    free(w->p);
    failed_case(c, zWhy, pr);
  } else {
    pr->p = w->p;
    pr->n = w->n;
    pr->bDone = 1;
  }
  w->p = NULL;
  w->pid = 0;
}

/* Read what is available from a worker; returns 1 at EOF. */
static int drain(worker *w) {
  for (;;) {
    if (w->n == w->nCap) {
      size_t nCap = w->nCap ? 2 * w->nCap : 65536;
      char *pNew = realloc(w->p, nCap);
      if (!pNew) return 1;                    /* reaped as truncated */
      w->p = pNew;
      w->nCap = nCap;
    }
    ssize_t k = read(w->fd, w->p + w->n, w->nCap - w->n);
    if (k > 0) {
      w->n += (size_t)k;
      continue;
    }
    if (k < 0 && (errno == EINTR)) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return 1;
  }
}

/* One self-overwriting line on stderr: cases done, bytes, rate, time left. */
static void progress_line(int nDone, int nCase, uint64_t nBytes, double t0) {
  double dt = now() - t0;
  char zB[32];
  hs_fmt_bytes(nBytes, zB, sizeof zB);
  if (nDone >= nCase) {
    fputs("\r\033[K", stderr);
    return;
  }
  double rate = dt > 0 ? nDone / dt : 0;
  fprintf(stderr, "\r\033[Kchecked %d/%d cases, %s, %.1f cases/min", nDone, nCase, zB, rate * 60);
  if (rate > 0) fprintf(stderr, ", about %.0f s left", (nCase - nDone) / rate);
  fflush(stderr);
}

/* 64-bit FNV-1a: the shard of a case depends only on its name. */
static uint64_t name_hash(const char *z) {
  uint64_t h = 14695981039346656037ull;
  for (; *z; z++) h = (h ^ (unsigned char)*z) * 1099511628211ull;
  return h;
}

int hs_check_main(const hs_check_opts *o, const char *const *azInput, int nInput,
                  const hs_open_opts *pOpen, int bQuiet) {
  hs_open_opts oo = *pOpen;
  oo.caseFlags |= HS_CASE_DEFER;
  hs_caselist cl;
  if (hs_open(azInput, nInput, &oo, &cl) != HS_OK) {
    fprintf(stderr, "heapscope: out of memory while reading the inputs\n");
    return 2;
  }
  /* --shard K/N: keep the cases whose name hashes to K-1 */
  int nCase = 0;
  for (int i = 0; i < cl.nCase; i++) {
    if (o->nShards > 1 && name_hash(cl.apCase[i]->zName) % o->nShards != (uint64_t)(o->iShard - 1)) {
      hs_case_free(cl.apCase[i]);
      continue;
    }
    cl.apCase[nCase++] = cl.apCase[i];
  }
  cl.nCase = nCase;
  int status = 2;
  result *aRes = calloc(nCase ? nCase : 1, sizeof *aRes);
  int nJobs = o->nJobs > 0 ? o->nJobs : 1;
  worker *aW = calloc(nJobs, sizeof *aW);
  lua_State *L = hsL_newstate(NULL);
  FILE *out = stdout;
  hs_report rep;
  memset(&rep, 0, sizeof rep);
  int bReport = 0;
  if (!aRes || !aW || !L) goto done;

  push_call(L, "cli_begin", o, bQuiet);
  if (hsL_docall(L, 1, 2) != 0) {
    hsL_report(L, 1);
    goto done;
  }
  if (usage_result(L)) goto done;
  if (o->zOut && !(out = fopen(o->zOut, "w"))) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    out = stdout;
    goto done;
  }
  {
    size_t nRun;
    const char *pRun = lua_tolstring(L, -1, &nRun);
    rep.bColour = isatty(fileno(out)) && !getenv("NO_COLOR");
    rep.nWidth = text_width(out);
    const hs_writer *w = hs_writer_find(o->zFormat ? o->zFormat : "text");
    int rc = hs_report_begin(&rep, w, out, o->eFailOn ? o->eFailOn : HS_SEV_WARNING, pRun, nRun);
    lua_pop(L, 1);
    bReport = 1;
    if (rc != 0) goto done;
  }

  int bProgress = !bQuiet && isatty(STDERR_FILENO);
  double t0 = now();
  uint64_t nBytes = 0;
  int iNext = 0, iWrite = 0, nRunning = 0, bEngineError = 0, rcWrite = 0;
  while (iWrite < nCase) {
    if (nJobs == 1) {                         /* in this process */
      if (run_inline(L, cl.apCase[iNext], &aRes[iNext]) != 0) bEngineError = 1;
      cl.apCase[iNext++] = NULL;              /* freed by Lua */
    } else {
      while (nRunning < nJobs && iNext < nCase) {
        int fds[2];
        worker *w = NULL;
        for (int k = 0; k < nJobs; k++)
          if (!aW[k].pid) w = &aW[k];
        if (pipe(fds) != 0) break;
        fflush(stdout);
        fflush(stderr);
        if (out != stdout) fflush(out);
        pid_t pid = fork();
        if (pid < 0) {
          close(fds[0]);
          close(fds[1]);
          break;
        }
        if (pid == 0) {
          close(fds[0]);
          child(L, cl.apCase[iNext], fds[1]);
        }
        close(fds[1]);
        fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
        memset(w, 0, sizeof *w);
        w->pid = pid;
        w->fd = fds[0];
        w->iCase = iNext++;
        nRunning++;
      }
      if (nRunning == 0) {                    /* fork or pipe failed with none running */
        fprintf(stderr, "heapscope: cannot start a worker: %s\n", strerror(errno));
        bEngineError = 1;
        break;
      }
      struct pollfd aPoll[nJobs];
      int nPoll = 0;
      for (int k = 0; k < nJobs; k++)
        if (aW[k].pid) aPoll[nPoll].fd = aW[k].fd, aPoll[nPoll].events = POLLIN, nPoll++;
      if (poll(aPoll, nPoll, -1) < 0 && errno != EINTR) break;
      for (int k = 0; k < nJobs; k++) {
        worker *w = &aW[k];
        if (!w->pid || !drain(w)) continue;
        reap(w, cl.apCase[w->iCase], &aRes[w->iCase]);
        hs_case_free(cl.apCase[w->iCase]);
        cl.apCase[w->iCase] = NULL;
        nRunning--;
      }
    }
    /* Write the results that are in, in case order. */
    while (iWrite < nCase && aRes[iWrite].bDone) {
      result *r = &aRes[iWrite];
      if (r->p && rcWrite == 0) rcWrite = hs_report_case(&rep, r->p, r->n);
      if (r->p && r->n) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (msgpack_unpack_next(&u, r->p, r->n, &off) == MSGPACK_UNPACK_SUCCESS) {
          const msgpack_object *in = hs_mp_get(&u.data, "inputs");
          for (uint32_t k = 0; in && in->type == MSGPACK_OBJECT_ARRAY && k < in->via.array.size; k++)
            nBytes += (uint64_t)hs_mp_int(&in->via.array.ptr[k], "size", 0);
        }
        msgpack_unpacked_destroy(&u);
      }
      free(r->p);
      r->p = NULL;
      iWrite++;
      if (bProgress) progress_line(iWrite, nCase, nBytes, t0);
    }
  }
  status = rcWrite == 0 ? hs_report_end(&rep) : -1;
  bReport = 0;
  if (status < 0) {
    fprintf(stderr, "heapscope: writing the report to %s: %s\n", o->zOut ? o->zOut : "stdout",
            strerror(errno));
    status = 2;
  }
  if (bEngineError) status = 2;
done:
  if (bReport) {
    hs_report_end(&rep);
  }
  for (int k = 0; aW && k < nJobs; k++)
    if (aW[k].pid) {
      kill(aW[k].pid, SIGKILL);
      waitpid(aW[k].pid, NULL, 0);
      close(aW[k].fd);
      free(aW[k].p);
    }
  if (out != stdout && fclose(out) != 0 && status != 2) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    status = 2;
  }
  for (int i = 0; i < nCase; i++) {
    if (aRes) free(aRes[i].p);
    if (cl.apCase[i]) hs_case_free(cl.apCase[i]);
  }
  free(cl.apCase);
  free(aRes);
  free(aW);
  hsL_close(L);
  return status;
}

int hs_detectors_run(lua_State *L, const hs_check_opts *o) {
  push_call(L, "cli_detectors", o, 0);
  if (hsL_docall(L, 1, 2) != 0) {
    hsL_report(L, 1);
    return 2;
  }
  if (usage_result(L)) return 2;
  puts(lua_tostring(L, -1));
  lua_pop(L, 1);
  return 0;
}
