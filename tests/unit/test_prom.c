/*
 * The Prometheus text loader against the truth: samples/thirdparty/
 * prometheus/metrics.prom is three real /metrics scrapes of a Debian
 * prometheus server (client_golang), each preceded by our capture script's
 * `# heapscope-capture: scrape N at <time>` line.  Every non-comment line is
 * one sample, so the metrics table must have exactly that many rows, and
 * each row's value must be what the line says (parsed here with a plain
 * split on the last space, independently of the loader).
 */
#include <math.h>
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

#define PROM_SAMPLE "samples/thirdparty/prometheus/metrics.prom"

/* The real scrapes: rows, values, labels, scrapes, types, times. */
static void test_real_scrapes(void **state) {
  size_t n;
  char *z = tu_read_file(PROM_SAMPLE, &n);
  if (!z) {
    skip();
    return;
  }
  const hs_loader *l = hs_sniff((const uint8_t *)z, n, NULL);
  assert_non_null(l);
  assert_string_equal(l->zKind, "prom");
  int rc;
  hs_case *c = tu_load_buffer(PROM_SAMPLE, z, n, NULL, &rc);
  assert_int_equal(rc, HS_OK);
  hs_table *t = hs_case_table(c, "metrics");
  assert_non_null(t);
  int iScrape = hs_table_colidx(t, "scrape"), iName = hs_table_colidx(t, "name"),
      iLab = hs_table_colidx(t, "labels"), iVal = hs_table_colidx(t, "value"),
      iLine = hs_table_colidx(t, "line"), iType = hs_table_colidx(t, "type"),
      iHelp = hs_table_colidx(t, "help"), iTs = hs_table_colidx(t, "timestamp");

  /* Walk the file: every non-comment line is the next row. */
  uint64_t r = 0, nLine = 0, nScrape = 0, aPerScrape[8] = {0};
  double aScrapeTime[8] = {0};
  char *zLine = z;
  while (zLine < z + n) {
    char *e = strchr(zLine, '\n');
    if (!e) e = z + n;
    *e = 0;
    nLine++;
    if (strncmp(zLine, "# heapscope-capture: scrape ", 28) == 0) {
      nScrape++;
      struct tm tm = {0};
      const char *q = strstr(zLine, " at ");
      assert_non_null(q);
      assert_int_equal(sscanf(q + 4, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      if (nScrape < 8) aScrapeTime[nScrape] = (double)timegm(&tm);
    } else if (zLine[0] != '#' && zLine[0] != 0) {
      assert_true(r < t->nRow);
      char *sp = strrchr(zLine, ' ');
      assert_non_null(sp);
      double v = strtod(sp + 1, NULL);
      double got = hs_table_f64(t, iVal, r);
      if (isnan(v))
        assert_true(isnan(got));
      else if (got != v)
        fail_msg("line %llu: value %.17g, file says %s", (unsigned long long)nLine, got, sp + 1);
      assert_int_equal(hs_table_u64(t, iLine, r), nLine);
      /* name and label text: client_golang writes labels sorted, as we do */
      *sp = 0;
      char *br = strchr(zLine, '{');
      const char *zName = hs_table_str(t, iName, r), *zLab = hs_table_str(t, iLab, r);
      if (br) {
        assert_int_equal(strlen(zName), (size_t)(br - zLine));
        assert_memory_equal(zName, zLine, (size_t)(br - zLine));
        /* client_golang puts quantile/le last; ours are sorted by name */
        assert_int_equal(strlen(zLab), strlen(br));
        char *zSet = strdup(br + 1);
        zSet[strlen(zSet) - 1] = 0;
        for (char *tok = strtok(zSet, ","); tok; tok = strtok(NULL, ",")) {
          if (!strstr(zLab, tok)) fail_msg("line %llu: %s not in %s", (unsigned long long)nLine, tok, zLab);
        }
        free(zSet);
      } else {
        assert_string_equal(zName, zLine);
        assert_string_equal(zLab, "");
      }
      assert_int_equal(hs_table_u64(t, iScrape, r), nScrape);
      assert_true(hs_table_f64(t, iTs, r) == aScrapeTime[nScrape < 8 ? nScrape : 0]);
      if (nScrape < 8) aPerScrape[nScrape]++;
      r++;
    }
    zLine = e + 1;
  }
  assert_int_equal(t->nRow, r);
  assert_int_equal(nScrape, 3);
  /* every scrape has the Go collector and more */
  for (int k = 1; k <= 3; k++) assert_true(aPerScrape[k] > 100);

  /* Types and help come from the family, including _sum/_count. */
  for (uint64_t i = 0; i < t->nRow; i++) {
    const char *zName = hs_table_str(t, iName, i);
    if (strcmp(zName, "go_gc_duration_seconds_sum") == 0 ||
        strcmp(zName, "go_gc_duration_seconds") == 0)
      assert_string_equal(hs_table_str(t, iType, i), "summary");
    if (strcmp(zName, "go_goroutines") == 0) {
      assert_string_equal(hs_table_str(t, iType, i), "gauge");
      assert_string_equal(hs_table_str(t, iHelp, i), "Number of goroutines that currently exist.");
    }
    if (strcmp(zName, "go_memstats_mallocs_total") == 0)
      assert_string_equal(hs_table_str(t, iType, i), "counter");
  }

  /* One memstats row per scrape, Go's names, equal to the samples. */
  hs_table *m = hs_case_table(c, "memstats");
  assert_non_null(m);
  assert_int_equal(m->nRow, 3);
  static const struct { const char *zProm, *zGo; } aPair[] = {
      {"go_memstats_heap_alloc_bytes", "HeapAlloc"}, {"go_memstats_alloc_bytes", "Alloc"},
      {"go_memstats_sys_bytes", "Sys"},              {"go_memstats_heap_objects", "HeapObjects"},
      {"go_memstats_next_gc_bytes", "NextGC"},       {"go_memstats_mallocs_total", "Mallocs"},
      {"go_memstats_frees_total", "Frees"},          {"go_memstats_alloc_bytes_total", "TotalAlloc"},
      {"go_gc_duration_seconds_count", "NumGC"},
  };
  int nMatched = 0;
  for (uint64_t i = 0; i < t->nRow; i++) {
    uint64_t k = hs_table_u64(t, iScrape, i);
    const char *zName = hs_table_str(t, iName, i);
    double v = hs_table_f64(t, iVal, i);
    for (size_t j = 0; j < sizeof aPair / sizeof aPair[0]; j++)
      if (strcmp(zName, aPair[j].zProm) == 0) {
        assert_int_equal(hs_table_u64(m, hs_table_colidx(m, aPair[j].zGo), k - 1),
                         (uint64_t)llround(v));
        nMatched++;
      }
    if (strcmp(zName, "go_memstats_last_gc_time_seconds") == 0) {
      double d = (double)hs_table_u64(m, hs_table_colidx(m, "LastGC"), k - 1) - v * 1e9;
      assert_true(fabs(d) < 2048);
    }
  }
  assert_int_equal(nMatched, 27);
  for (uint64_t k = 0; k < 3; k++)
    assert_true(hs_table_f64(m, hs_table_colidx(m, "time"), k) == aScrapeTime[k + 1]);
  hs_case_free(c);
  free(z);
}

/* Scrapes without markers, timestamps, special values, escapes, errors. */
static void test_handmade(void **state) {
  const char *z =
      "# HELP up Whether up.\n"
      "# TYPE up gauge\n"
      "up{job=\"a\",instance=\"x\"} 1 1700000000000\n"
      "up{instance=\"y\",job=\"a\"} 0\n"
      "weird{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\"} +Inf\n"
      "neg -Inf\n"
      "nan NaN\n"
      "this is not a sample\n"
      "# HELP up Whether up.\n" /* repeated HELP: second scrape */
      "# TYPE up gauge\n"
      "up{job=\"a\",instance=\"x\"} 1\n"
      "up{job=\"a\",instance=\"x\"} 0\n" /* repeated series: third scrape */
      "tail 12";                          /* no newline: dropped */
  int rc;
  hs_case *c = tu_load_buffer("h.prom", z, strlen(z), NULL, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  hs_table *t = hs_case_table(c, "metrics");
  assert_non_null(t);
  assert_int_equal(t->nRow, 7);
  int iS = hs_table_colidx(t, "scrape"), iL = hs_table_colidx(t, "labels"),
      iV = hs_table_colidx(t, "value"), iT = hs_table_colidx(t, "timestamp");
  assert_string_equal(hs_table_str(t, iL, 0), "{instance=\"x\",job=\"a\"}");
  assert_string_equal(hs_table_str(t, iL, 1), "{instance=\"y\",job=\"a\"}");
  assert_string_equal(hs_table_str(t, iL, 2), "{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\"}");
  assert_true(hs_table_f64(t, iT, 0) == 1700000000.0);
  assert_true(isinf(hs_table_f64(t, iV, 2)) && hs_table_f64(t, iV, 2) > 0);
  assert_true(isinf(hs_table_f64(t, iV, 3)) && hs_table_f64(t, iV, 3) < 0);
  assert_true(isnan(hs_table_f64(t, iV, 4)));
  assert_int_equal(hs_table_u64(t, iS, 4), 1);
  assert_int_equal(hs_table_u64(t, iS, 5), 2);
  assert_int_equal(hs_table_u64(t, iS, 6), 3);
  assert_string_equal(hs_table_str(t, hs_table_colidx(t, "type"), 0), "gauge");
  assert_true(tu_has_diag(c, HS_ERROR, 8, "metric name") || tu_has_diag(c, HS_ERROR, 8, "value"));
  assert_true(tu_has_diag(c, HS_WARNING, 13, "truncated"));
  assert_null(hs_case_table(c, "memstats")); /* no go_memstats_* */

  /* A second file in the same case continues the scrape numbering. */
  const char *z2 = "go_goroutines 3\ngo_memstats_heap_alloc_bytes 1.5e+07\n";
  assert_int_equal(hs_case_load_buffer(c, "b.prom", z2, strlen(z2), NULL), HS_OK);
  assert_int_equal(t->nRow, 9);
  assert_int_equal(hs_table_u64(t, iS, 7), 4);
  hs_table *m = hs_case_table(c, "memstats");
  assert_non_null(m);
  assert_int_equal(m->nRow, 1);
  assert_int_equal(hs_table_u64(m, hs_table_colidx(m, "HeapAlloc"), 0), 15000000);
  assert_string_equal(hs_table_str(m, hs_table_colidx(m, "source"), 0), "b.prom");
  hs_case_free(c);

  /* OpenMetrics: seconds timestamps, exemplars, # EOF. */
  const char *zOm = "# TYPE om histogram\n"
                    "om_bucket{le=\"1\"} 3 # {trace_id=\"abc\"} 0.5 1520879607.789\n"
                    "om_count 3 1700000000.25\n"
                    "om_sum 7 1700000001\n"
                    "# EOF\n";
  c = tu_load_buffer("om.txt", zOm, strlen(zOm), "prom", &rc);
  assert_int_equal(rc, HS_OK);
  t = hs_case_table(c, "metrics");
  assert_int_equal(t->nRow, 3);
  iV = hs_table_colidx(t, "value");
  iT = hs_table_colidx(t, "timestamp");
  assert_true(hs_table_f64(t, iV, 0) == 3);
  assert_true(hs_table_f64(t, iT, 0) == 0);
  assert_true(hs_table_f64(t, iT, 1) == 1700000000.25);
  assert_true(hs_table_f64(t, iT, 2) == 1700000001.0);
  assert_string_equal(hs_table_str(t, hs_table_colidx(t, "type"), 1), "histogram");
  hs_case_free(c);

  /* Nothing usable: an error saying what was expected. */
  const char *z3 = "hello world\n";
  c = tu_load_buffer("x.prom", z3, strlen(z3), "prom", &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_true(tu_has_diag(c, HS_ERROR, 1, NULL));
  assert_true(tu_has_diag(c, HS_ERROR, 0, "go_goroutines"));
  hs_case_free(c);
}

/* Content that is not Prometheus text must not sniff as it. */
static void test_sniff(void **state) {
  static const struct { const char *z; int bProm; } a[] = {
      {"# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 3\n", 1},
      {"go_goroutines 3\nprocess_resident_memory_bytes 1.2e+07\n", 1},
      {"gc 1 @0.011s 2%: 0.012+0.5+0.003 ms clock, 4->4->0 MB, 4 MB goal, 2 P\n", 0},
      {"goroutine 1 [running]:\nmain.main()\n", 0},
      {"{\"HeapAlloc\": 1}\n", 0},
      {"Name:\tleaky\nUmask:\t0022\n", 0},
  };
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
    const hs_loader *l = hs_sniff((const uint8_t *)a[i].z, strlen(a[i].z), NULL);
    int bProm = l && strcmp(l->zKind, "prom") == 0;
    if (bProm != a[i].bProm) fail_msg("case %zu: sniffed as %s", i, l ? l->zKind : "nothing");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_real_scrapes),
      cmocka_unit_test(test_handmade),
      cmocka_unit_test(test_sniff),
  };
  return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
