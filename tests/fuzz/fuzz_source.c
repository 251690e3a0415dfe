/* Fuzz target for the source layer and case grouping.  The first byte
** picks the shape:
**   even  the rest is one file (plain, compressed, an archive, archives in
**         archives) opened with hs_open under small limits;
**   odd   the rest builds a directory: records separated by 0xFF, each a
**         type byte (f file, d directory, l symbolic link, p FIFO), a name
**         up to a NUL and, for files and links, the contents or target;
**         the directory is then opened with hs_open and removed.
** Limits are small (1 MiB per input, 4 MiB per run) so bombs end quickly. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapscope/heapscope.h"

static void open_path(const char *zPath) {
  hs_open_opts o;
  hs_open_opts_init(&o);
  o.limits.nMaxBytes = 1 << 20;
  o.limits.nMaxTotal = 4 << 20;
  o.limits.nMaxMembers = 200;
  o.caseFlags = HS_CASE_NOCACHE;
  hs_caselist cl;
  const char *az[1] = {zPath};
  hs_open(az, 1, &o, &cl);
  if (hs_decoded_held > o.limits.nMaxTotal) abort();  /* the run's budget holds */
  hs_caselist_free(&cl);
  if (hs_decoded_held != 0) abort();                   /* every decoded byte given back */
}

static int rm_one(const char *z, const struct stat *st, int iFlag, struct FTW *f) {
  (void)st, (void)iFlag, (void)f;
  return remove(z);
}

/* A name for a record: NUL-terminated, no '/', no "." or "..", not empty. */
static int safe_name(const char *z) {
  return z[0] && !strchr(z, '/') && strcmp(z, ".") != 0 && strcmp(z, "..") != 0 &&
         strlen(z) < 64;
}

static void build_dir(const char *zDir, const uint8_t *p, size_t n) {
  char zCur[512];
  snprintf(zCur, sizeof zCur, "%s", zDir);
  size_t i = 0;
  int nRec = 0;
  while (i < n && nRec++ < 64) {
    const uint8_t *e = memchr(p + i, 0xff, n - i);
    size_t nRec0 = e ? (size_t)(e - (p + i)) : n - i;
    const char *r = (const char *)p + i;
    i += nRec0 + 1;
    if (nRec0 < 2) continue;
    char type = r[0];
    const char *zName = r + 1;
    size_t nName = strnlen(zName, nRec0 - 1);
    if (nName == nRec0 - 1) continue;             /* no NUL: no name */
    if (!safe_name(zName)) continue;
    const char *pBody = zName + nName + 1;
    size_t nBody = nRec0 - 1 - nName - 1;
    char zPath[600];
    snprintf(zPath, sizeof zPath, "%s/%s", zCur, zName);
    if (type == 'f') {
      FILE *f = fopen(zPath, "wb");
      if (f) {
        fwrite(pBody, 1, nBody, f);
        fclose(f);
      }
    } else if (type == 'd') {
      if (mkdir(zPath, 0700) == 0 && strlen(zPath) < 400) snprintf(zCur, sizeof zCur, "%s", zPath);
    } else if (type == 'l') {
      char zTarget[128];
      snprintf(zTarget, sizeof zTarget, "%.*s", (int)(nBody < 127 ? nBody : 127), pBody);
      if (!strstr(zTarget, "..") && zTarget[0] != '/') symlink(zTarget[0] ? zTarget : ".", zPath);
    } else if (type == 'p') {
      mkfifo(zPath, 0600);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  if (n == 0) return 0;
  char zDir[] = "/tmp/hs-fuzz-source-XXXXXX";
  if (!mkdtemp(zDir)) return 0;
  if ((p[0] & 1) == 0) {
    char zFile[64];
    snprintf(zFile, sizeof zFile, "%s/input", zDir);
    FILE *f = fopen(zFile, "wb");
    if (f) {
      fwrite(p + 1, 1, n - 1, f);
      fclose(f);
      open_path(zFile);
    }
  } else {
    build_dir(zDir, p + 1, n - 1);
    open_path(zDir);
  }
  nftw(zDir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return 0;
}
