/*
 * The MemStats JSON loader against the truth: the samples' memstats.json,
 * vars.json and memstats.jsonl were written by Go's encoding/json from a
 * real runtime.MemStats, so every integer the loader reports must equal the
 * digits in the file exactly.  The test reads those digits itself (strtoull
 * on the raw text, no JSON library), so a parser that goes through double
 * (LastGC ~1.8e18 > 2^53) fails here.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "heapscope/heapscope.h"
#include "testutil.h"
#include "base/base.h"
#include "formats/memstats.h"

/* The digits after "zKey": in z[0..n), as the file spells them. */
static int raw_u64(const char *z, size_t n, const char *zKey, uint64_t *pV) {
  char zPat[64];
  snprintf(zPat, sizeof zPat, "\"%s\":", zKey);
  const char *q = memmem(z, n, zPat, strlen(zPat));
  if (!q) return 0;
  q += strlen(zPat);
  while (*q == ' ') q++;
  if (*q < '0' || *q > '9') return 0;
  *pV = strtoull(q, NULL, 10);
  return 1;
}

/* Elements of the integer array "zKey":[...] in z (at most 256). */
static int raw_array(const char *z, size_t n, const char *zKey, uint64_t *a) {
  char zPat[64];
  snprintf(zPat, sizeof zPat, "\"%s\":", zKey);
  const char *q = memmem(z, n, zPat, strlen(zPat));
  if (!q) return -1;
  q = strchr(q, '[');
  int k = 0;
  while (q && *q != ']' && k < 256) {
    q++;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q++;
    if (*q == ']') break;
    char *e;
    a[k++] = strtoull(q, &e, 10);
    q = e;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q++;
  }
  return k;
}

static const char *const azIntField[] = {
    "Alloc", "TotalAlloc", "Sys", "Lookups", "Mallocs", "Frees", "HeapAlloc", "HeapSys",
    "HeapIdle", "HeapInuse", "HeapReleased", "HeapObjects", "StackInuse", "StackSys",
    "MSpanInuse", "MSpanSys", "MCacheInuse", "MCacheSys", "BuckHashSys", "GCSys", "OtherSys",
    "NextGC", "LastGC", "PauseTotalNs", "NumGC", "NumForcedGC", NULL};

/* Every integer field of row iRow equals the digits of the text z[0..n). */
static void check_exact(const hs_table *t, uint64_t iRow, const char *z, size_t n,
                        const char *zWhere) {
  int nChecked = 0;
  for (int i = 0; azIntField[i]; i++) {
    uint64_t v;
    if (!raw_u64(z, n, azIntField[i], &v)) continue;
    int iCol = hs_table_colidx(t, azIntField[i]);
    assert_true(iCol >= 0);
    uint64_t got = hs_table_u64(t, iCol, iRow);
    if (got != v)
      fail_msg("%s: %s = %llu, file says %llu", zWhere, azIntField[i],
               (unsigned long long)got, (unsigned long long)v);
    nChecked++;
  }
  assert_true(nChecked >= 20);
}

static hs_case *load_file(const char *zPath, const char *zKind, int *pRc) {
  size_t n;
  char *p = tu_read_file(zPath, &n);
  assert_non_null(p);
  hs_case *c = tu_load_buffer(zPath, p, n, zKind, pRc);
  free(p);
  return c;
}

static void test_sniff_samples(void **state) {
  static const char *azFile[] = {"memstats.json", "vars.json", "memstats.jsonl"};
  char **azDir = tu_sample_dirs("memstats.json", 0);
  if (!azDir[0]) {
    tu_free_list(azDir);
    skip();
    return;
  }
  for (int d = 0; azDir[d]; d++) {
    for (int f = 0; f < 3; f++) {
      char *z = hs_mprintf("%s/%s", azDir[d], azFile[f]);
      size_t n;
      char *p = tu_read_file(z, &n);
      assert_non_null(p);
      const hs_loader *l = hs_sniff((const uint8_t *)p, n, NULL);
      if (!l || strcmp(l->zKind, "memstats") != 0)
        fail_msg("%s sniffed as %s", z, l ? l->zKind : "nothing");
      free(p);
      free(z);
    }
    /* facts.json is JSON but not MemStats; gctrace-docker.log is JSON lines. */
    static const char *azNot[] = {"facts.json", "gctrace-docker.log"};
    for (int f = 0; f < 2; f++) {
      char *z = hs_mprintf("%s/%s", azDir[d], azNot[f]);
      size_t n;
      char *p = tu_read_file(z, &n);
      if (p) {
        const hs_loader *l = hs_sniff((const uint8_t *)p, n, NULL);
        if (l && strcmp(l->zKind, "memstats") == 0) fail_msg("%s sniffed as memstats", z);
      }
      free(p);
      free(z);
    }
  }
  tu_free_list(azDir);
}

static void test_memstats_json_exact(void **state) {
  char **azDir = tu_sample_dirs("memstats.json", 0);
  if (!azDir[0]) {
    tu_free_list(azDir);
    skip();
    return;
  }
  for (int d = 0; azDir[d]; d++) {
    char *zPath = hs_mprintf("%s/memstats.json", azDir[d]);
    int rc;
    hs_case *c = load_file(zPath, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "memstats");
    assert_non_null(t);
    assert_int_equal(t->nRow, 1);
    size_t n;
    char *z = tu_read_file(zPath, &n);
    check_exact(t, 0, z, n, zPath);
    assert_string_equal(hs_table_str(t, hs_table_colidx(t, "source"), 0), zPath);
    assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "line"), 0), 1);

    /* The pause ring: min(NumGC, 256) rows, each equal to the file's slot. */
    uint64_t nGC, aNs[256], aEnd[256], nLast;
    assert_true(raw_u64(z, n, "NumGC", &nGC));
    assert_true(raw_u64(z, n, "LastGC", &nLast));
    assert_int_equal(raw_array(z, n, "PauseNs", aNs), 256);
    assert_int_equal(raw_array(z, n, "PauseEnd", aEnd), 256);
    hs_table *p = hs_case_table(c, "memstats.pauses");
    assert_non_null(p);
    uint64_t nValid = nGC < 256 ? nGC : 256;
    assert_int_equal(p->nRow, nValid);
    int iGc = hs_table_colidx(p, "gc"), iNs = hs_table_colidx(p, "pause_ns"),
        iEnd = hs_table_colidx(p, "end_ns"), iIdx = hs_table_colidx(p, "index");
    for (uint64_t r = 0; r < p->nRow; r++) {
      uint64_t idx = hs_table_u64(p, iIdx, r);
      assert_int_equal(idx, (hs_table_u64(p, iGc, r) - 1) % 256);
      assert_int_equal(hs_table_u64(p, iNs, r), aNs[idx]);
      assert_int_equal(hs_table_u64(p, iEnd, r), aEnd[idx]);
    }
    /* The last cycle's end is LastGC (Go writes both from one clock read). */
    assert_int_equal(hs_table_u64(p, iGc, p->nRow - 1), nGC);
    assert_int_equal(hs_table_u64(p, iEnd, p->nRow - 1), nLast);
    hs_table *b = hs_case_table(c, "memstats.by_size");
    assert_non_null(b);
    assert_true(b->nRow >= 61);
    free(z);
    free(zPath);
    hs_case_free(c);
  }
  tu_free_list(azDir);
}

static void test_vars_json(void **state) {
  char **azDir = tu_sample_dirs("vars.json", 0);
  if (!azDir[0]) {
    tu_free_list(azDir);
    skip();
    return;
  }
  for (int d = 0; azDir[d]; d++) {
    char *zPath = hs_mprintf("%s/vars.json", azDir[d]);
    int rc;
    hs_case *c = load_file(zPath, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "memstats");
    assert_non_null(t);
    assert_int_equal(t->nRow, 1);
    size_t n;
    char *z = tu_read_file(zPath, &n);
    const char *zMs = strstr(z, "\"memstats\":");
    assert_non_null(zMs);
    check_exact(t, 0, zMs, n - (zMs - z), zPath);
    /* cmdline: the first argument appears in the joined column. */
    const char *q = strstr(z, "\"cmdline\": [\"");
    if (!q) q = strstr(z, "\"cmdline\":[\"");
    assert_non_null(q);
    q = strchr(q, '[') + 2;
    const char *e = strchr(q, '"');
    const char *zCmd = hs_table_str(t, hs_table_colidx(t, "cmdline"), 0);
    assert_true(strlen(zCmd) > 0);
    assert_memory_equal(zCmd, q, (size_t)(e - q));
    free(z);
    free(zPath);
    hs_case_free(c);
  }
  tu_free_list(azDir);
}

static void test_jsonl_series(void **state) {
  char **azDir = tu_sample_dirs("memstats.jsonl", 0);
  if (!azDir[0]) {
    tu_free_list(azDir);
    skip();
    return;
  }
  for (int d = 0; azDir[d]; d++) {
    char *zPath = hs_mprintf("%s/memstats.jsonl", azDir[d]);
    int rc;
    hs_case *c = load_file(zPath, NULL, &rc);
    assert_int_equal(rc, HS_OK);
    hs_table *t = hs_case_table(c, "memstats");
    assert_non_null(t);
    size_t n;
    char *z = tu_read_file(zPath, &n);
    uint64_t nLine = 0;
    for (size_t i = 0; i < n; i++) nLine += z[i] == '\n';
    assert_int_equal(t->nRow, nLine);
    /* facts.json says how many snapshots the program wrote. */
    char *zFacts = hs_mprintf("%s/facts.json", azDir[d]);
    size_t nF;
    char *f = tu_read_file(zFacts, &nF);
    uint64_t nSnap;
    if (f && raw_u64(f, nF, "memstats_snapshots", &nSnap)) assert_int_equal(t->nRow, nSnap);
    free(f);
    free(zFacts);
    /* Every line's integers, exactly; times increase and are 20xx. */
    const char *zLine = z;
    int iTime = hs_table_colidx(t, "time"), iLineCol = hs_table_colidx(t, "line");
    for (uint64_t r = 0; r < t->nRow; r++) {
      const char *e = strchr(zLine, '\n');
      check_exact(t, r, zLine, (size_t)(e - zLine), zPath);
      assert_int_equal(hs_table_u64(t, iLineCol, r), r + 1);
      double tm = hs_table_f64(t, iTime, r);
      assert_true(tm > 1577836800.0 && tm < 4102444800.0); /* 2020 .. 2100 */
      if (r > 0) assert_true(tm >= hs_table_f64(t, iTime, r - 1));
      zLine = e + 1;
    }
    /* The first line's time, to the second, from its own text. */
    const char *q = strstr(z, "\"time\":\"");
    assert_non_null(q);
    struct tm tmv = {0};
    assert_int_equal(sscanf(q + 8, "%4d-%2d-%2dT%2d:%2d:%2d", &tmv.tm_year, &tmv.tm_mon,
                            &tmv.tm_mday, &tmv.tm_hour, &tmv.tm_min, &tmv.tm_sec), 6);
    tmv.tm_year -= 1900;
    tmv.tm_mon -= 1;
    assert_int_equal((long long)hs_table_f64(t, iTime, 0), (long long)timegm(&tmv));

    /* Cut inside the last line: every complete line is kept, with a warning. */
    hs_case *c2 = hs_case_new("t");
    size_t nCut = n - 200;
    rc = hs_case_load_buffer(c2, "cut.jsonl", z, nCut, "memstats");
    assert_true(rc == HS_OK || rc == HS_ETRUNC);
    assert_int_equal(hs_case_table(c2, "memstats")->nRow, nLine - 1);
    int bWarned = 0;
    for (int i = 0; i < c2->nDiag; i++)
      if (c2->aDiag[i].level == HS_WARNING && c2->aDiag[i].iLine == nLine &&
          strstr(c2->aDiag[i].zMsg, "truncated"))
        bWarned = 1;
    assert_true(bWarned);
    hs_case_free(c2);

    /* A corrupted line in the middle costs that line only. */
    char *zBad = malloc(n);
    memcpy(zBad, z, n);
    const char *zL3 = z;
    for (int k = 0; k < 2; k++) zL3 = strchr(zL3, '\n') + 1; /* line 3 */
    zBad[(strstr(zL3, "\"Alloc\":") - z) + 7] = '}'; /* {"time":..,"Alloc"} */
    hs_case *c3 = hs_case_new("t");
    rc = hs_case_load_buffer(c3, "bad.jsonl", zBad, n, NULL);
    assert_int_equal(rc, HS_OK);
    assert_int_equal(hs_case_table(c3, "memstats")->nRow, nLine - 1);
    int bErr = 0;
    for (int i = 0; i < c3->nDiag; i++)
      if (c3->aDiag[i].level == HS_ERROR && c3->aDiag[i].iLine == 3 &&
          strstr(c3->aDiag[i].zFile, "bad.jsonl") && strstr(c3->aDiag[i].zMsg, "byte offset"))
        bErr = 1;
    assert_true(bErr);
    hs_case_free(c3);
    free(zBad);
    free(z);
    free(zPath);
    hs_case_free(c);
  }
  tu_free_list(azDir);
}

/* Hand-made inputs: the shapes the samples do not cover. */
static void test_shapes(void **state) {
  /* An array of snapshots with epoch times in s, ms and ns; u64 max exact. */
  const char *z =
      "[{\"ts\":1700000000,\"HeapAlloc\":18446744073709551615,\"NumGC\":0},\n"
      " {\"timestamp\":1700000001500,\"HeapAlloc\":9007199254740993,\"GCCPUFraction\":0.25,"
      "\"EnableGC\":true},\n"
      " {\"time\":1700000002000000000,\"HeapAlloc\":1,\"time_is\":\"x\"}]\n";
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "a.json", z, strlen(z), NULL), HS_OK);
  hs_table *t = hs_case_table(c, "memstats");
  assert_non_null(t);
  assert_int_equal(t->nRow, 3);
  int iH = hs_table_colidx(t, "HeapAlloc"), iT = hs_table_colidx(t, "time");
  assert_true(hs_table_u64(t, iH, 0) == UINT64_MAX);
  assert_true(hs_table_u64(t, iH, 1) == 9007199254740993ull); /* 2^53 + 1 */
  assert_true(hs_table_f64(t, iT, 0) == 1700000000.0);
  assert_true(hs_table_f64(t, iT, 1) == 1700000001.5);
  assert_true(hs_table_f64(t, iT, 2) == 1700000002.0);
  assert_true(hs_table_f64(t, hs_table_colidx(t, "GCCPUFraction"), 1) == 0.25);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "EnableGC"), 1), 1);
  hs_case_free(c);

  /* RFC 3339 with an offset. */
  double tm;
  assert_true(hs_parse_rfc3339("2024-05-01T12:00:00.5+02:00", 27, HS_TIME_STRICT, &tm));
  assert_true(tm == 1714557600.5);
  assert_false(hs_parse_rfc3339("2024-05-01T12:00:00", 19, HS_TIME_STRICT, &tm));

  /* Not MemStats at all: an error naming what was expected. */
  c = hs_case_new("t");
  const char *zNo = "{\"hello\":1}\n";
  assert_int_equal(hs_case_load_buffer(c, "x.json", zNo, strlen(zNo), "memstats"), HS_EFORMAT);
  assert_true(c->nDiag >= 1);
  assert_int_equal(c->aDiag[c->nDiag - 1].level, HS_ERROR);
  assert_non_null(strstr(c->aDiag[c->nDiag - 1].zMsg, "HeapAlloc"));
  hs_case_free(c);

  /* Garbage before a valid line: the error has the line; the row is kept. */
  c = hs_case_new("t");
  const char *zG = "garbage\n{\"HeapAlloc\":5}\n";
  assert_int_equal(hs_case_load_buffer(c, "g.jsonl", zG, strlen(zG), "memstats"), HS_OK);
  assert_int_equal(hs_case_table(c, "memstats")->nRow, 1);
  assert_int_equal(c->aDiag[0].iLine, 1);
  assert_int_equal(hs_table_u64(hs_case_table(c, "memstats"),
                                hs_table_colidx(hs_case_table(c, "memstats"), "line"), 0), 2);
  hs_case_free(c);

  /* Deep nesting is refused by json-c's depth limit, not by the C stack. */
  size_t nDeep = 100000;
  char *zDeep = malloc(nDeep + 20);
  memcpy(zDeep, "{\"HeapAlloc\":", 13);
  memset(zDeep + 13, '[', nDeep);
  c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "deep.json", zDeep, nDeep + 13, "memstats"),
                   HS_EFORMAT);
  hs_case_free(c);
  free(zDeep);
}

/* expvar puts vars in key order, so "memstats" can lie past the 64 KiB the
** sniffer sees; "cmdline" (always first) still marks it as expvar. */
static void test_expvar_big(void **state) {
  size_t nBig = 100000;
  char *z = malloc(nBig + 200), *q = z;
  q += sprintf(q, "{\n\"cmdline\": [\"/bin/app\"],\n\"http_hits\": \"");
  memset(q, 'x', nBig);
  q += nBig;
  q += sprintf(q, "\",\n\"memstats\": {\"HeapAlloc\":42,\"LastGC\":1795298742405698043}\n}\n");
  size_t n = (size_t)(q - z);
  int score;
  const hs_loader *l = hs_sniff((const uint8_t *)z, n, &score);
  assert_non_null(l);
  assert_string_equal(l->zKind, "memstats");
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "vars.json", z, n, NULL), HS_OK);
  hs_table *t = hs_case_table(c, "memstats");
  assert_int_equal(t->nRow, 1);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "HeapAlloc"), 0), 42);
  assert_true(hs_table_u64(t, hs_table_colidx(t, "LastGC"), 0) == 1795298742405698043ull);
  assert_string_equal(hs_table_str(t, hs_table_colidx(t, "cmdline"), 0), "/bin/app");
  hs_case_free(c);
  free(z);

  /* Two MarshalIndent documents back to back: two rows, lines 1 and 5. */
  const char *zTwo = "{\n  \"HeapAlloc\": 1,\n  \"NumGC\": 0\n}\n{\n  \"HeapAlloc\": 2\n}\n";
  c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "two.json", zTwo, strlen(zTwo), NULL), HS_OK);
  t = hs_case_table(c, "memstats");
  assert_int_equal(t->nRow, 2);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "line"), 1), 5);
  assert_int_equal(hs_table_u64(t, hs_table_colidx(t, "HeapAlloc"), 1), 2);
  hs_case_free(c);
}

/* Two loaders sharing the table: the helper gives both the same columns. */
static void test_shared_table(void **state) {
  hs_case *c = hs_case_new("t");
  hs_table *t;
  int aiCol[HS_MS_NCOL];
  assert_int_equal(hs_memstats_table(c, &t, aiCol), HS_OK);
  for (int i = 0; i < HS_MS_NCOL; i++) {
    assert_true(aiCol[i] >= 0);
    assert_string_equal(t->aCol[aiCol[i]].zName, hs_memstats_colname(i));
  }
  assert_int_equal(hs_memstats_field("LastGC", 6), HS_MS_LastGC);
  assert_int_equal(hs_memstats_field("PauseNs", 7), -1);
  uint64_t r = hs_table_add_row(t);
  hs_table_set_u64(t, aiCol[HS_MS_HeapAlloc], r, 7);
  const char *z = "{\"HeapAlloc\":8}";
  assert_int_equal(hs_case_load_buffer(c, "m.json", z, strlen(z), NULL), HS_OK);
  assert_int_equal(t->nRow, 2);
  assert_int_equal(hs_table_u64(t, aiCol[HS_MS_HeapAlloc], 1), 8);
  /* 300 cycles: only the last 256 are in the ring, oldest first. */
  uint64_t aNs[256], aEnd[256];
  for (int i = 0; i < 256; i++) aNs[i] = aEnd[i] = 1000 + i;
  assert_int_equal(hs_memstats_add_pauses(c, 1, aNs, aEnd, 300), HS_OK);
  hs_table *p = hs_case_table(c, "memstats.pauses");
  assert_int_equal(p->nRow, 256);
  assert_int_equal(hs_table_u64(p, hs_table_colidx(p, "gc"), 0), 45);
  assert_int_equal(hs_table_u64(p, hs_table_colidx(p, "index"), 0), 44);
  assert_int_equal(hs_table_u64(p, hs_table_colidx(p, "gc"), 255), 300);
  hs_case_free(c);
}

/* After a malformed value the scan resumes before the place json-c stopped
** at; the line numbers of what follows must still be right (the line
** counter once moved backwards by a wrapped length: UBSan's pointer
** overflow, and wrong lines in the warnings). */
static void test_lines_after_resync(void **state) {
  (void)state;
  static const char z[] =
      "{\"Alloc\": [\n"                     /* 1: a value that never closes ... */
      "{\"HeapAlloc\": 5, \"Sys\": 9},\n"   /* 2: ... though a snapshot starts here */
      "{\"HeapAlloc\": 6, \"Sys\": 9}\n"    /* 3 */
      ", }\n"                                 /* 4: json-c stops here */
      "{\"HeapAlloc\": 7, \"Sys\": 9}\n";   /* 5 */
  int rc;
  hs_case *c = tu_load_buffer("resync.jsonl", z, sizeof z - 1, "memstats", &rc);
  assert_non_null(c);
  assert_true(tu_has_diag(c, HS_ERROR, 4, "malformed JSON"));
  assert_true(tu_has_diag(c, HS_ERROR, 2, "found ','"));
  assert_int_equal(tu_nrow(c, "memstats"), 3);
  hs_case_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sniff_samples),    cmocka_unit_test(test_memstats_json_exact),
      cmocka_unit_test(test_vars_json),        cmocka_unit_test(test_jsonl_series),
      cmocka_unit_test(test_shapes),           cmocka_unit_test(test_shared_table),
      cmocka_unit_test(test_expvar_big),       cmocka_unit_test(test_lines_after_resync),
  };
  return cmocka_run_group_tests_name("memstats", tests, NULL, NULL);
}
