/*
 * The heap profile text loader on small texts written here in the exact
 * shape runtime/pprof prints (writeHeapInternal, debug=1): records, frames
 * with inlined frames sharing a PC, unsymbolized frames, the MemStats tail,
 * scaling as pprof scales legacy heap profiles, errors by line.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heapscope/heapscope.h"

static const char zText[] =
    "heap profile: 3: 3072 [10: 20480] @ heap/1048576\n"
    "2: 2048 [8: 8192] @ 0x4a0001 0x4b0001 0x4c0001\n"
    "#\t0x4a0000\tmain.inner+0x10\t\t/src/main.go:10\n"
    "#\t0x4a0000\tmain.outer+0x20\t\t/src/main.go:20\n"
    "#\t0x4b0000\tmain.main+0x30\t\t/src/main.go:30\n"
    "#\t0x4c0000\n"
    "\n"
    "1: 1024 [2: 12288] @ 0x4b0001\n"
    "#\t0x4b0000\tmain.main+0x30\t\t/src/main.go:30\n"
    "\n"
    "0: 0 [0: 0] @ 0x4d0001\n"
    "\n"
    "# runtime.MemStats\n"
    "# Alloc = 12345\n"
    "# TotalAlloc = 99999\n"
    "# Stack = 589824 / 655360\n"
    "# MSpan = 1 / 2\n"
    "# MCache = 3 / 4\n"
    "# PauseNs = [100 200 300 0 0]\n"
    "# PauseEnd = [1000 2000 3000 0 0]\n"
    "# NumGC = 3\n"
    "# GCCPUFraction = 0.25\n"
    "# DebugGC = false\n"
    "# MaxRSS = 4096\n";

static hs_table *T(hs_case *c, const char *zName) {
  hs_table *t = hs_case_table(c, zName);
  assert_non_null(t);
  return t;
}
static uint64_t U(hs_table *t, const char *zCol, uint64_t r) {
  int i = hs_table_colidx(t, zCol);
  assert_true(i >= 0);
  return hs_table_u64(t, i, r);
}
static const char *Z(hs_table *t, const char *zCol, uint64_t r) {
  int i = hs_table_colidx(t, zCol);
  assert_true(i >= 0);
  return hs_table_str(t, i, r);
}

/* pprof's scaling, written out again here. */
static int64_t scaled(uint64_t count, uint64_t size, int bSize) {
  if (!count || !size) return 0;
  double s = 1 / (1 - exp(-((double)size / count) / 524288.0));
  return (int64_t)((bSize ? (double)size : (double)count) * s);
}

static void test_records(void **state) {
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "heap.txt", zText, strlen(zText), NULL), HS_OK);
  assert_int_equal(c->nDiag, 0);
  hs_table *s = T(c, "profiles.heap_text.samples");
  assert_int_equal(s->nRow, 3);
  assert_int_equal(U(s, "raw_inuse_objects", 0), 2);
  assert_int_equal(U(s, "raw_inuse_space", 0), 2048);
  assert_int_equal(U(s, "raw_alloc_objects", 0), 8);
  assert_int_equal(U(s, "raw_alloc_space", 0), 8192);
  assert_int_equal((int64_t)U(s, "inuse_space", 0), scaled(2, 2048, 1));
  assert_int_equal((int64_t)U(s, "alloc_objects", 1), scaled(2, 12288, 0));
  assert_true(U(s, "alloc_space", 1) > 12288);
  assert_int_equal(U(s, "inuse_space", 2), 0);
  /* record 1: three locations: (inner, outer) sharing a PC, main, unsymbolized */
  assert_int_equal(U(s, "depth", 0), 3);
  assert_int_equal(U(s, "depth", 1), 1);
  assert_int_equal(U(s, "depth", 2), 0);
  hs_table *loc = T(c, "profiles.heap_text.locations");
  hs_table *stk = T(c, "profiles.heap_text.stacks");
  hs_table *ln = T(c, "profiles.heap_text.lines");
  assert_int_equal(loc->nRow, 3); /* main.main's location is shared */
  uint64_t l0 = U(stk, "location", U(s, "stack", 0));
  assert_int_equal(U(loc, "address", l0), 0x4a0000);
  assert_int_equal(U(loc, "nline", l0), 2);
  assert_string_equal(Z(ln, "name", U(loc, "line", l0)), "main.inner");
  assert_string_equal(Z(ln, "name", U(loc, "line", l0) + 1), "main.outer");
  assert_string_equal(Z(ln, "file", U(loc, "line", l0) + 1), "/src/main.go");
  assert_int_equal(U(ln, "line", U(loc, "line", l0) + 1), 20);
  uint64_t l2 = U(stk, "location", U(s, "stack", 0) + 2);
  assert_int_equal(U(loc, "nline", l2), 0);
  assert_int_equal(U(stk, "location", U(s, "stack", 1)), U(stk, "location", U(s, "stack", 0) + 1));
  assert_int_equal(T(c, "profiles.heap_text.functions")->nRow, 3);
  assert_int_equal(U(T(c, "profiles.heap_text.info"), "period", 0), 524288);
  hs_case_free(c);
}

static void test_memstats(void **state) {
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "heap.txt", zText, strlen(zText), "heaptext"), HS_OK);
  hs_table *m = T(c, "memstats");
  assert_int_equal(m->nRow, 1);
  assert_int_equal(U(m, "Alloc", 0), 12345);
  assert_int_equal(U(m, "TotalAlloc", 0), 99999);
  assert_int_equal(U(m, "StackInuse", 0), 589824);
  assert_int_equal(U(m, "StackSys", 0), 655360);
  assert_int_equal(U(m, "MSpanSys", 0), 2);
  assert_int_equal(U(m, "MCacheInuse", 0), 3);
  assert_int_equal(U(m, "NumGC", 0), 3);
  assert_int_equal(U(m, "MaxRSS", 0), 4096);
  assert_true(fabs(hs_table_f64(m, hs_table_colidx(m, "GCCPUFraction"), 0) - 0.25) < 1e-12);
  assert_string_equal(Z(m, "source", 0), "heap.txt");
  assert_int_equal(U(m, "line", 0), 13);
  hs_table *p = T(c, "memstats.pauses");
  assert_int_equal(p->nRow, 3);
  hs_case_free(c);
}

static void test_errors(void **state) {
  /* not a heap profile */
  hs_case *c = hs_case_new("t");
  const char *zBad = "heap profile: x\n";
  assert_int_equal(hs_case_load_buffer(c, "bad.txt", zBad, strlen(zBad), "heaptext"), HS_EFORMAT);
  assert_int_equal(c->aDiag[0].iLine, 1);
  hs_case_free(c);
  /* a bad record line is skipped with its line number; its frames too */
  const char *zMid = "heap profile: 1: 1 [1: 1] @ heap/2\n"
                     "1: 1 [1: 1] @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n\n"
                     "bogus line\n#\t0x2\tg+0x1\tg.go:2\n\n"
                     "1: 1 [1: 1] @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n";
  c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "mid.txt", zMid, strlen(zMid), NULL), HS_OK);
  assert_int_equal(T(c, "profiles.heap_text.samples")->nRow, 2);
  assert_true(c->nDiag >= 1);
  assert_int_equal(c->aDiag[0].iLine, 5);
  hs_case_free(c);
  /* cut inside a frame line: that record is dropped, the warning has its line */
  size_t nCut = (size_t)(strstr(zText, "#\t0x4c0000") - zText) + 5;
  c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "cut.txt", zText, nCut, "heaptext"), HS_ETRUNC);
  assert_int_equal(T(c, "profiles.heap_text.samples")->nRow, 0);
  assert_int_equal(c->aDiag[0].iLine, 6);
  hs_case_free(c);
  /* every prefix loads without harm */
  for (size_t k = 0; k < sizeof zText - 1; k++) {
    c = hs_case_new("t");
    int rc = hs_case_load_buffer(c, "p.txt", zText, k, "heaptext");
    if (rc != HS_OK) assert_true(c->nDiag > 0);
    hs_case_free(c);
  }
}

static void test_sniff(void **state) {
  const hs_loader *l = hs_loader_find("heaptext");
  assert_non_null(l);
  assert_true(l->xSniff((const uint8_t *)zText, strlen(zText)) > 0);
  const char *zNo = "heap profile is great\n";
  assert_int_equal(l->xSniff((const uint8_t *)zNo, strlen(zNo)), 0);
  assert_int_equal(l->xSniff((const uint8_t *)"", 0), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records),
      cmocka_unit_test(test_memstats),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_sniff),
  };
  return cmocka_run_group_tests_name("heaptext", tests, NULL, NULL);
}
