/*
 * The proc loader against the truth: the samples' status and smaps_rollup
 * are copies of the kernel's files for the Go process, so VmRSS must equal
 * the file's number x 1024, every line must give a row, and so on; the
 * numbers are read here with strtoull from the raw text.  The cgroup files
 * come from tests/fixtures/proc (see its README.md).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heapscope/heapscope.h"
#include "testutil.h"

#define FIX "tests/fixtures/proc/"

/* The row of kind/key, or UINT64_MAX. */
static uint64_t find_row(const hs_table *t, const char *zKind, const char *zKey) {
  int iKind = hs_table_colidx(t, "kind"), iKey = hs_table_colidx(t, "key");
  for (uint64_t r = 0; r < t->nRow; r++)
    if (strcmp(hs_table_str(t, iKind, r), zKind) == 0 && strcmp(hs_table_str(t, iKey, r), zKey) == 0)
      return r;
  return UINT64_MAX;
}

/* The number after "\nzKey:" in z, in the file's unit (kB). */
static uint64_t raw_kb(const char *z, const char *zKey) {
  char zPat[64];
  snprintf(zPat, sizeof zPat, "\n%s:", zKey);
  const char *q = strstr(z, zPat);
  if (!q) return UINT64_MAX;
  return strtoull(q + strlen(zPat), NULL, 10);
}

static uint64_t count_lines(const char *z, size_t n) {
  uint64_t k = 0;
  for (size_t i = 0; i < n; i++) k += z[i] == '\n';
  return k;
}

static void test_status(void **state) {
  char **az = tu_sample_files("status", 1);
  if (!az[0]) {
    tu_free_list(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    const hs_loader *l = hs_sniff((const uint8_t *)z, n, NULL);
    assert_non_null(l);
    assert_string_equal(l->zKind, "proc");
    int rc;
    hs_case *c = tu_load_buffer(az[i], z, n, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "proc");
    assert_non_null(t);
    assert_int_equal(t->nRow, count_lines(z, n)); /* every line is a value */
    static const char *azKb[] = {"VmRSS", "VmHWM", "RssAnon", "RssFile", "VmSize", "VmData", NULL};
    for (int k = 0; azKb[k]; k++) {
      uint64_t r = find_row(t, "status", azKb[k]);
      assert_true(r != UINT64_MAX);
      uint64_t kb = raw_kb(z, azKb[k]);
      assert_true(kb != UINT64_MAX);
      assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "value"), r), kb * 1024);
      assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "bytes"), r), kb * 1024);
      assert_string_equal(hs_table_str(t, hs_table_colidx(t, "unit"), r), "bytes");
    }
    uint64_t r = find_row(t, "status", "Threads");
    assert_true(r != UINT64_MAX);
    assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "value"), r), raw_kb(z, "Threads"));
    assert_string_equal(hs_table_str(t, hs_table_colidx(t, "unit"), r), "count");
    r = find_row(t, "status", "State");
    assert_string_equal(hs_table_str(t, hs_table_colidx(t, "unit"), r), "text");
    assert_true(strncmp(hs_table_str(t, hs_table_colidx(t, "text"), r), strstr(z, "State:\t") + 7, 1) == 0);
    hs_case_free(c);

    /* Cut inside the VmRSS line: everything before it kept, a warning. */
    const char *q = strstr(z, "\nVmRSS:");
    size_t nCut = (size_t)(q - z) + 10;
    c = tu_load_buffer("cut/status", z, nCut, "proc", &rc);
    assert_int_equal(rc, HS_ETRUNC);
    t = hs_case_table(c, "proc");
    assert_int_equal(t->nRow, count_lines(z, nCut));
    assert_true(find_row(t, "status", "VmRSS") == UINT64_MAX);
    uint64_t iLine = count_lines(z, nCut) + 1;
    int bWarn = 0;
    for (int d = 0; d < c->nDiag; d++)
      if (c->aDiag[d].level == HS_WARNING && c->aDiag[d].iLine == iLine &&
          strstr(c->aDiag[d].zMsg, "truncated"))
        bWarn = 1;
    assert_true(bWarn);
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

static void test_smaps_rollup(void **state) {
  char **az = tu_sample_files("smaps_rollup", 1);
  if (!az[0]) {
    tu_free_list(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    const hs_loader *l = hs_sniff((const uint8_t *)z, n, NULL);
    assert_non_null(l);
    assert_string_equal(l->zKind, "proc");
    int rc;
    hs_case *c = tu_load_buffer(az[i], z, n, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "proc");
    assert_int_equal(t->nRow, count_lines(z, n) - 1); /* all but the header */
    static const char *azKb[] = {"Rss", "Pss", "Anonymous", "Swap", "Private_Dirty", NULL};
    for (int k = 0; azKb[k]; k++) {
      uint64_t r = find_row(t, "smaps_rollup", azKb[k]);
      assert_true(r != UINT64_MAX);
      assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "bytes"), r), raw_kb(z, azKb[k]) * 1024);
    }
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

static void test_smaps(void **state) {
  size_t n;
  char *z = tu_read_file(FIX "smaps", &n);
  assert_non_null(z);
  int rc;
  hs_case *c = tu_load_buffer(FIX "smaps", z, n, NULL, &rc);
  assert_int_equal(rc, HS_OK);
  hs_table *t = hs_case_table(c, "proc");
  /* sum Rss and count headers independently */
  uint64_t nRss = 0, nMap = 0;
  for (const char *q = z; q && *q; q = strchr(q, '\n'), q = q ? q + 1 : q) {
    if (strncmp(q, "Rss:", 4) == 0) nRss += strtoull(q + 4, NULL, 10) * 1024;
    const char *d = q;
    while ((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')) d++;
    if (d > q && *d == '-') nMap++;
  }
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "value"), find_row(t, "smaps", "Rss")), nRss);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "value"), find_row(t, "smaps", "mappings")),
                   nMap);
  hs_case_free(c);
  free(z);
}

static void test_meminfo(void **state) {
  size_t n;
  char *z = tu_read_file(FIX "meminfo", &n);
  assert_non_null(z);
  int rc;
  hs_case *c = tu_load_buffer("x", z, n, NULL, &rc); /* by content, not by name */
  assert_int_equal(rc, HS_OK);
  hs_table *t = hs_case_table(c, "proc");
  assert_int_equal(t->nRow, count_lines(z, n));
  uint64_t r = find_row(t, "meminfo", "MemTotal");
  assert_true(r != UINT64_MAX);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "bytes"), r),
                   strtoull(z + 9, NULL, 10) * 1024);
  hs_case_free(c);
  free(z);
}

/* cgroup files: v2 hand-made, v1 real; names as hints only. */
static void test_cgroup(void **state) {
  static const struct {
    const char *zPath, *zKind, *zKey, *zUnit;
    int bSniff;         /* recognised by content alone (strongly) */
  } a[] = {
      {FIX "v2/memory.stat", "memory.stat", "anon", "bytes", 1},
      {FIX "v2/memory.stat", "memory.stat", "pgfault", "count", 1},
      {FIX "v2/memory.events", "memory.events", "oom_kill", "count", 1},
      {FIX "v2/memory.current", "memory.current", "memory.current", "bytes", 0},
      {FIX "v2/memory.peak", "memory.peak", "memory.peak", "bytes", 0},
      {FIX "v2/memory.max", "memory.max", "memory.max", "max", 0},
      {FIX "v2/limited/memory.max", "memory.max", "memory.max", "bytes", 0},
      {FIX "v1/memory.stat", "memory.stat", "rss", "bytes", 1},
      {FIX "v1/memory.stat", "memory.stat", "pgpgin", "count", 1},
      {FIX "v1/memory.usage_in_bytes", "memory.usage_in_bytes", "memory.usage_in_bytes", "bytes", 0},
  };
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
    size_t n;
    char *z = tu_read_file(a[i].zPath, &n);
    assert_non_null(z);
    int score;
    const hs_loader *l = hs_sniff((const uint8_t *)z, n, &score);
    assert_non_null(l);
    assert_string_equal(l->zKind, "proc");
    if (a[i].bSniff) assert_true(score >= 90);
    else assert_true(score <= 10);
    int rc;
    hs_case *c = tu_load_buffer(a[i].zPath, z, n, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "proc");
    uint64_t r = find_row(t, a[i].zKind, a[i].zKey);
    if (r == UINT64_MAX) fail_msg("%s: no %s/%s", a[i].zPath, a[i].zKind, a[i].zKey);
    assert_string_equal(hs_table_str(t, hs_table_colidx(t, "unit"), r), a[i].zUnit);
    /* the value is the number after the key in the file (or max) */
    uint64_t v = hs_table_u64(t, hs_table_colidx(t, "value"), r);
    if (strcmp(a[i].zUnit, "max") == 0) {
      assert_true(v == UINT64_MAX);
    } else if (strcmp(a[i].zKey, a[i].zKind) == 0) {
      assert_int_equal(v, strtoull(z, NULL, 10));
    } else {
      char zPat[64];
      snprintf(zPat, sizeof zPat, "%s ", a[i].zKey);
      const char *q = strstr(z, zPat);
      while (q && q != z && q[-1] != '\n') q = strstr(q + 1, zPat);
      assert_non_null(q);
      assert_int_equal(v, strtoull(q + strlen(zPat), NULL, 10));
    }
    /* memory.stat: one row per line */
    if (strstr(a[i].zPath, "memory.stat")) assert_int_equal(t->nRow, count_lines(z, n));
    hs_case_free(c);

    /* without a name: a lone number is memory.current, `max` memory.max */
    if (!a[i].bSniff) {
      c = tu_load_buffer("x", z, n, NULL, &rc);
      assert_int_equal(rc, HS_OK);
      t = hs_case_table(c, "proc");
      const char *zKind = hs_table_str(t, hs_table_colidx(t, "kind"), 0);
      assert_string_equal(zKind, z[0] == 'm' ? "memory.max" : "memory.current");
      hs_case_free(c);
    }
    free(z);
  }
}

static void test_bad(void **state) {
  int rc;
  const char *z = "anon 1\nfile 2\nthis is bad\nkernel_stack 3\nsock 4\n";
  hs_case *c = tu_load_buffer("memory.stat", z, strlen(z), NULL, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(hs_case_table(c, "proc")->nRow, 4);
  assert_int_equal(c->aDiag[0].level, HS_ERROR);
  assert_int_equal(c->aDiag[0].iLine, 3);
  assert_non_null(strstr(c->aDiag[0].zMsg, "key N"));
  hs_case_free(c);
  c = tu_load_buffer("junk", "hello there\n", 12, "proc", &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_non_null(strstr(c->aDiag[c->nDiag - 1].zMsg, "smaps_rollup"));
  hs_case_free(c);
  /* prom text and gctrace are not proc */
  const char *azNot[] = {"go_goroutines 3\ngo_threads 7\ngo_info 1\n",
                         "gc 1 @0.011s 2%: 0.012+0.5+0.003 ms clock\n"};
  for (int i = 0; i < 2; i++) {
    const hs_loader *l = hs_sniff((const uint8_t *)azNot[i], strlen(azNot[i]), NULL);
    assert_true(!l || strcmp(l->zKind, "proc") != 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status), cmocka_unit_test(test_smaps_rollup),
      cmocka_unit_test(test_smaps),  cmocka_unit_test(test_cgroup),
      cmocka_unit_test(test_meminfo),
      cmocka_unit_test(test_bad),
  };
  return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
