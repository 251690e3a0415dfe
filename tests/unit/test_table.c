/* Unit tests: string pool, columnar tables, cases and diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"

static void test_strpool_interns(void **state) {
  (void)state;
  hs_strpool *p = hs_strpool_new();
  assert_non_null(p);
  assert_int_equal(hs_str_internz(p, ""), 0);
  uint32_t a = hs_str_internz(p, "main.readRecord");
  uint32_t b = hs_str_internz(p, "runtime.gopark");
  assert_int_not_equal(a, b);
  assert_int_equal(hs_str_internz(p, "main.readRecord"), a);
  assert_string_equal(hs_str(p, a), "main.readRecord");
  assert_string_equal(hs_str(p, 999999), "");
  /* a string with a NUL inside is cut there */
  assert_int_equal(hs_str_intern(p, "runtime.gopark\0junk", 19), b);
  /* growth keeps every id valid: 100k distinct strings through rehashes */
  char z[32];
  for (int i = 0; i < 100000; i++) {
    snprintf(z, sizeof z, "s%d", i);
    assert_int_equal(hs_str_internz(p, z), (uint32_t)(3 + i));
  }
  for (int i = 0; i < 100000; i += 997) {
    snprintf(z, sizeof z, "s%d", i);
    assert_string_equal(hs_str(p, 3 + i), z);
    assert_int_equal(hs_str_internz(p, z), (uint32_t)(3 + i));
  }
  hs_strpool_free(p);
}

static void test_table_columns(void **state) {
  (void)state;
  hs_case *c = hs_case_new("t");
  hs_table *t = hs_table_new(c, "gc");
  int iNum = hs_table_col(t, "num", HS_U32, 0);
  int iHeap = hs_table_col(t, "heap", HS_U64, HS_COL_BYTES);
  int iT = hs_table_col(t, "t", HS_F64, HS_COL_SECONDS);
  int iS = hs_table_col(t, "state", HS_STR, 0);
  int iI = hs_table_col(t, "delta", HS_I64, 0);
  assert_true(iNum == 0 && iHeap == 1 && iT == 2 && iS == 3 && iI == 4);
  assert_int_equal(hs_table_col(t, "num", HS_U32, 0), -1); /* duplicate */
  for (uint64_t r = 0; r < 1000; r++) {
    assert_int_equal(hs_table_add_row(t), r);
    hs_table_set_u32(t, iNum, r, (uint32_t)r + 1);
    hs_table_set_u64(t, iHeap, r, (1ull << 62) + r);
    hs_table_set_f64(t, iT, r, r * 0.5);
    hs_table_set_strz(t, iS, r, r % 2 ? "odd" : "even");
    hs_table_set_i64(t, iI, r, -(int64_t)r);
  }
  assert_int_equal(hs_table_col(t, "late", HS_U32, 0), -1); /* after rows */
  hs_table_set_u32(t, 99, 0, 1);      /* bad column: ignored, no crash */
  hs_table_set_u32(t, iNum, 5000, 1); /* bad row: ignored */
  assert_int_equal(t->nRow, 1000);
  assert_int_equal(hs_table_u64(t, iHeap, 999), (1ull << 62) + 999); /* exact */
  assert_true(hs_table_f64(t, iT, 3) == 1.5);
  assert_string_equal(hs_table_str(t, iS, 3), "odd");
  assert_int_equal((int64_t)hs_table_u64(t, iI, 7), -7);
  assert_int_equal(hs_table_colidx(t, "state"), iS);
  assert_int_equal(hs_table_colidx(t, "nope"), -1);
  /* the same name returns the same unsealed table (two logs append) */
  assert_ptr_equal(hs_table_new(c, "gc"), t);
  hs_case_seal(c);
  assert_int_equal(hs_table_add_row(t), UINT64_MAX); /* immutable */
  assert_null(hs_table_new(c, "gc"));
  assert_ptr_equal(hs_case_table(c, "gc"), t);
  hs_case_free(c);
}

static void test_diag_and_bytes(void **state) {
  (void)state;
  hs_case *c = hs_case_new("case");
  hs_case_diag(c, HS_WARNING, "heap.dump", 1234, 0, "truncated record of kind %d", 3);
  hs_case_diag(c, HS_ERROR, NULL, UINT64_MAX, 17, "bad line");
  assert_int_equal(c->nDiag, 2);
  assert_string_equal(c->aDiag[0].zFile, "heap.dump");
  assert_int_equal(c->aDiag[0].iOffset, 1234);
  assert_string_equal(c->aDiag[0].zMsg, "truncated record of kind 3");
  assert_string_equal(c->aDiag[1].zFile, "case"); /* defaults to the case */
  assert_int_equal(c->aDiag[1].iLine, 17);
  hs_case_free(c);
  char z[32];
  hs_fmt_bytes(41943040, z, sizeof z);
  assert_string_equal(z, "40.0 MiB");
  hs_fmt_bytes(1023, z, sizeof z);
  assert_string_equal(z, "1023 B");
  hs_fmt_bytes(1536, z, sizeof z);
  assert_string_equal(z, "1.5 KiB");
}

static void test_unknown_input_reported(void **state) {
  (void)state;
  hs_case *c = hs_case_new("case");
  static const char zElf[] = "\x7f" "ELF\x02\x01\x01";
  assert_int_equal(hs_case_load_buffer(c, "core.1234", zElf, sizeof zElf - 1, NULL), HS_EFORMAT);
  assert_int_equal(c->nError, 1);
  assert_non_null(strstr(c->aDiag[0].zMsg, "ELF"));
  assert_non_null(strstr(c->aDiag[0].zMsg, "tried:"));
  /* an empty input is a warning, not an error */
  assert_int_equal(hs_case_load_buffer(c, "empty", "", 0, NULL), HS_OK);
  assert_int_equal(c->nError, 1);
  assert_int_equal(c->aDiag[1].level, HS_WARNING);
  hs_case_free(c);
}

/* hs_table_open: one spec, positional or mapped, reused by a second input. */
static void test_table_open(void **state) {
  (void)state;
  static const hs_colspec aCol[] = {{"addr", HS_U64, HS_COL_HEX}, {"name", HS_STR, 0}};
  static const hs_colspec aMore[] = {{"name", HS_STR, 0}, {"size", HS_U64, HS_COL_BYTES}};
  hs_case *c = hs_case_new("t");
  hs_table *t = hs_table_open(c, "x", "a note", aCol, HS_NCOL(aCol), NULL);
  assert_non_null(t);
  assert_int_equal(t->nCol, 2);
  assert_string_equal(t->zNote, "a note");
  assert_int_equal(t->aCol[0].flags, HS_COL_HEX);
  /* positional: the same spec again gives the same table */
  assert_ptr_equal(hs_table_open(c, "x", "other", aCol, HS_NCOL(aCol), NULL), t);
  assert_string_equal(t->zNote, "a note");
  /* positional with columns elsewhere: refused */
  assert_null(hs_table_open(c, "x", NULL, aMore, HS_NCOL(aMore), NULL));
  /* mapped, before rows: a missing column ("size") is added */
  int ai[2] = {-9, -9};
  assert_ptr_equal(hs_table_open(c, "x", NULL, aMore, HS_NCOL(aMore), ai), t);
  assert_int_equal(ai[0], 1);
  assert_int_equal(ai[1], 2);
  /* mapped, after rows: a missing column maps to -1 and setters ignore it */
  assert_int_not_equal(hs_table_add_row(t), UINT64_MAX);
  static const hs_colspec aLate[] = {{"size", HS_U64, 0}, {"late", HS_U32, 0}};
  assert_ptr_equal(hs_table_open(c, "x", NULL, aLate, HS_NCOL(aLate), ai), t);
  assert_int_equal(ai[0], 2);
  assert_int_equal(ai[1], -1);
  hs_table_set_u32(t, ai[1], 0, 7);
  assert_int_equal(t->nCol, 3);
  hs_case_seal(c);
  assert_null(hs_table_open(c, "x", NULL, aCol, HS_NCOL(aCol), NULL)); /* sealed */
  hs_case_free(c);
}

/* hs_table_borrow: columns read the caller's arrays, which it does not free. */
static void test_table_borrow(void **state) {
  (void)state;
  static const hs_colspec aCol[] = {{"retained", HS_U64, HS_COL_BYTES}, {"idom", HS_U32, 0}};
  uint64_t aRet[3] = {10, 20, 30};
  uint32_t aIdom[3] = {2, 2, 3};
  void *apData[] = {aRet, aIdom};
  hs_strpool *p = hs_strpool_new();
  hs_table *t = hs_table_borrow("g", "note", aCol, HS_NCOL(aCol), apData, 3, p);
  assert_non_null(t);
  assert_true(t->bSealed);
  assert_int_equal(hs_table_u64(t, 0, 2), 30);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "idom"), 0), 2);
  assert_int_equal(t->aCol[0].flags, HS_COL_BYTES);
  assert_int_equal(hs_table_add_row(t), UINT64_MAX); /* sealed */
  hs_table_free_(t); /* the arrays are on our stack: freeing them would crash */
  hs_strpool_free(p);
}

/* The case keeps HS_MAX_PLACED_DIAG placed diagnostics per input and says
** how many more there were; whole-file ones always stay. */
static void test_diag_cap_per_input(void **state) {
  (void)state;
  char z[64 * 30 + 1];
  size_t n = 0;
  for (int i = 1; i <= 30; i++) n += (size_t)snprintf(z + n, sizeof z - n, "gc %d @0.1s 1%%: X\n", i);
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "a.log", z, n, "gctrace"), HS_OK);
  assert_int_equal(hs_case_load_buffer(c, "b.log", z, 3 * (n / 30), "gctrace"), HS_OK);
  int nPlacedA = 0, nPlacedB = 0, nSummary = 0;
  for (int i = 0; i < c->nDiag; i++) {
    const hs_diag *d = &c->aDiag[i];
    int bPlaced = d->iLine || d->iOffset != UINT64_MAX;
    if (bPlaced && strcmp(d->zFile, "a.log") == 0) nPlacedA++;
    if (bPlaced && strcmp(d->zFile, "b.log") == 0) nPlacedB++;
    if (!bPlaced && strstr(d->zMsg, "10 further problems not shown")) nSummary++;
  }
  assert_int_equal(nPlacedA, HS_MAX_PLACED_DIAG); /* 30 bad lines, 20 listed */
  assert_int_equal(nSummary, 1);
  assert_int_equal(nPlacedB, 3);                  /* the count starts again per input */
  assert_int_equal(c->nDiag, HS_MAX_PLACED_DIAG + 1 + 3);
  hs_case_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strpool_interns),
      cmocka_unit_test(test_table_columns),
      cmocka_unit_test(test_diag_and_bytes),
      cmocka_unit_test(test_unknown_input_reported),
      cmocka_unit_test(test_table_open),
      cmocka_unit_test(test_table_borrow),
      cmocka_unit_test(test_diag_cap_per_input),
  };
  return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
