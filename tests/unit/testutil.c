/* Helpers shared by the C unit tests; see testutil.h. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

char *tu_read_file(const char *zPath, size_t *pn) {
  FILE *f = fopen(zPath, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = n >= 0 ? malloc(n + 1) : NULL;
  if (p && fread(p, 1, n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  if (!p) return NULL;
  p[n] = 0;
  *pn = (size_t)n;
  return p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sample_paths(const char *zFile, int bThirdParty, int bDirs) {
  static const char *azGroup[] = {"samples/go1.19", "samples/go1.23", "samples/thirdparty"};
  int nCap = 64, k = 0;
  char **az = calloc(nCap, sizeof *az);
  if (!az) return NULL;
  for (int g = 0; g < (bThirdParty ? 3 : 2); g++) {
    DIR *d = opendir(azGroup[g]);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && k < nCap - 1) {
      if (e->d_name[0] == '.') continue;
      char *z = hs_mprintf("%s/%s/%s", azGroup[g], e->d_name, zFile);
      FILE *f = z ? fopen(z, "rb") : NULL;
      if (f) {
        fclose(f);
        if (bDirs) {
          free(z);
          z = hs_mprintf("%s/%s", azGroup[g], e->d_name);
        }
        if (z) az[k++] = z;
      } else
        free(z);
    }
    closedir(d);
  }
  qsort(az, k, sizeof *az, cmp_str); /* readdir order is not stable */
  return az;
}

char **tu_sample_files(const char *zFile, int bThirdParty) {
  return sample_paths(zFile, bThirdParty, 0);
}

char **tu_sample_dirs(const char *zFile, int bThirdParty) {
  return sample_paths(zFile, bThirdParty, 1);
}

void tu_free_list(char **az) {
  if (!az) return;
  for (int i = 0; az[i]; i++) free(az[i]);
  free(az);
}

hs_case *tu_load_buffer(const char *zName, const void *p, size_t n, const char *zKind,
                        int *pRc) {
  hs_case *c = hs_case_new("test");
  int rc = c ? hs_case_load_buffer(c, zName, p, n, zKind) : HS_ENOMEM;
  if (pRc) *pRc = rc;
  return c;
}

int tu_has_diag(const hs_case *c, int level, uint64_t iLine, const char *zPart) {
  for (int i = 0; i < c->nDiag; i++) {
    const hs_diag *d = &c->aDiag[i];
    if (d->level != level) continue;
    if (iLine != UINT64_MAX && d->iLine != iLine) continue;
    if (!zPart || strstr(d->zMsg, zPart)) return 1;
  }
  return 0;
}

hs_case *tu_load_path(const char *zPath, int *pRc) {
  size_t n;
  char *p = tu_read_file(zPath, &n);
  assert_non_null(p);
  hs_case *c = tu_load_buffer(zPath, p, n, NULL, pRc);
  free(p);
  return c;
}

static int col_index(const hs_table *t, const char *zCol) {
  int iCol = hs_table_colidx(t, zCol);
  if (iCol < 0) fail_msg("table %s has no column %s", t->zName, zCol);
  return iCol;
}

uint64_t tu_col_u64(const hs_table *t, const char *zCol, uint64_t iRow) {
  return hs_table_u64(t, col_index(t, zCol), iRow);
}

double tu_col_f64(const hs_table *t, const char *zCol, uint64_t iRow) {
  return hs_table_f64(t, col_index(t, zCol), iRow);
}

const char *tu_col_str(const hs_table *t, const char *zCol, uint64_t iRow) {
  return hs_table_str(t, col_index(t, zCol), iRow);
}

uint64_t tu_nrow(const hs_case *c, const char *zTable) {
  hs_table *t = hs_case_table(c, zTable);
  return t ? t->nRow : 0;
}

int tu_n_warnings(const hs_case *c) {
  int n = 0;
  for (int i = 0; i < c->nDiag; i++) n += c->aDiag[i].level >= HS_WARNING;
  return n;
}
