/*
 * The gctrace loader against the truth: every gctrace.log in samples/ was
 * written by a real Go runtime, so every "gc N @" line must give exactly one
 * row whose numbers equal the line's digits.  The test counts and reads the
 * lines itself with a separate, simple scan (strstr + sscanf), never with
 * the loader's code.  Container logs (CRI with partial lines, Docker
 * json-file with escapes) are made here from the plain log and must give the
 * same rows, with wall times.  Hand-written fixtures (tests/fuzz/corpus/gctrace)
 * hold the older formats taken from Go's format strings.
 */
#include <dirent.h>
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
#include "testutil.h"

/* What the independent scan reads from one gc line. */
typedef struct gcfact {
  unsigned long long num, h0, h1, h2, goal, procs;
  double t;
  unsigned pct;
  int forced;
  int bWhole;  /* the line is whole: not interrupted by other output */
} gcfact;

/* Lines of z that start with zPrefix (and contain zAlso if given). */
static int count_lines(const char *z, const char *zPrefix, const char *zAlso) {
  int n = 0;
  size_t nP = strlen(zPrefix);
  for (const char *l = z; l && *l; ) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    if (len >= nP && memcmp(l, zPrefix, nP) == 0) {
      if (!zAlso) n++;
      else {
        char *zL = hs_strndup(l, len);
        if (strstr(zL, zAlso)) n++;
        free(zL);
      }
    }
    l = e ? e + 1 : NULL;
  }
  return n;
}

/* Parse the "gc N @" lines of z with sscanf: the truth the rows must match. */
static int gc_facts(const char *z, gcfact *a, int nMax) {
  int n = 0;
  for (const char *l = z; l && *l; ) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    char *zL = hs_strndup(l, len);
    if (strncmp(zL, "gc ", 3) == 0 && strstr(zL, " @") && n < nMax) {
      gcfact *f = &a[n++];
      memset(f, 0, sizeof *f);
      sscanf(zL, "gc %llu @%lfs %u%%:", &f->num, &f->t, &f->pct);
      const char *q = strstr(zL, " ms cpu, ");
      if (q) sscanf(q, " ms cpu, %llu->%llu->%llu MB, %llu MB goal", &f->h0, &f->h1, &f->h2, &f->goal);
      q = strstr(zL, " P");
      while (q && strstr(q + 1, " P")) q = strstr(q + 1, " P");
      if (q) {
        const char *s = q;
        while (s > zL && s[-1] >= '0' && s[-1] <= '9') s--;
        f->procs = strtoull(s, NULL, 10);
      }
      f->forced = strstr(zL, "(forced)") != NULL;
      f->bWhole = len > 2 && (memcmp(zL + len - 2, " P", 2) == 0 || f->forced);
    }
    free(zL);
    l = e ? e + 1 : NULL;
  }
  return n;
}

static void check_rows(const hs_table *t, const gcfact *a, int n, const char *zWhere) {
  assert_non_null(t);
  if (t->nRow != (uint64_t)n) fail_msg("%s: %llu gc rows, the file has %d gc lines", zWhere,
                                       (unsigned long long)t->nRow, n);
  for (int i = 0; i < n; i++) {
    if (!a[i].bWhole) {
      /* interrupted by another writer: the rest is on a later line, which
      ** this scan does not rejoin; the loader must have completed it */
      if (tu_col_u64(t, "num", i) != a[i].num || tu_col_u64(t, "procs", i) == 0 ||
          fabs(tu_col_f64(t, "t", i) - a[i].t) > 1e-9)
        fail_msg("%s: interrupted gc line %d (gc %llu) not rejoined", zWhere, i, a[i].num);
      continue;
    }
    if (tu_col_u64(t, "num", i) != a[i].num || tu_col_u64(t, "heap_start", i) != a[i].h0 ||
        tu_col_u64(t, "heap_end", i) != a[i].h1 || tu_col_u64(t, "heap_live", i) != a[i].h2 ||
        tu_col_u64(t, "goal", i) != a[i].goal || tu_col_u64(t, "procs", i) != a[i].procs ||
        tu_col_u64(t, "cpu_pct", i) != a[i].pct || tu_col_u64(t, "forced", i) != (uint64_t)a[i].forced ||
        fabs(tu_col_f64(t, "t", i) - a[i].t) > 1e-9)
      fail_msg("%s: gc row %d (gc %llu) differs from its line", zWhere, i, a[i].num);
  }
}

static void test_samples(void **state) {
  (void)state;
  char **az = tu_sample_files("gctrace.log", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  static gcfact a[20000];
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    int nGc = gc_facts(z, a, 20000);
    assert_true(nGc > 0);
    int rc;
    hs_case *c = tu_load_path(az[i], &rc);
    assert_int_equal(rc, HS_OK);
    assert_string_equal(c->apInput[0]->zKind, "gctrace");
    check_rows(hs_case_table(c, "gc"), a, nGc, az[i]);
    assert_int_equal(tu_nrow(c, "gc.scav"), count_lines(z, "scav ", NULL) + count_lines(z, "scvg", NULL));
    assert_int_equal(tu_nrow(c, "gc.pacer"), count_lines(z, "pacer: ", NULL));
    if (tu_n_warnings(c)) fail_msg("%s: %d warnings, first: %s", az[i], tu_n_warnings(c), c->aDiag[0].zMsg);
    /* facts.json: the program disabled GC after its evidence, so the log
    ** holds exactly NumGC cycles, NumForcedGC of them forced */
    const char *zSlash = strrchr(az[i], '/');
    char *zFacts = hs_mprintf("%.*s/facts.json", (int)(zSlash - az[i]), az[i]);
    size_t nF;
    char *zF = tu_read_file(zFacts, &nF);
    if (zF) {
      const char *q = strstr(zF, "\"num_gc\":"), *r = strstr(zF, "\"num_forced_gc\":");
      hs_table *t = hs_case_table(c, "gc");
      if (q) assert_int_equal(t->nRow, strtoull(q + 9, NULL, 10));
      if (r) {
        uint64_t nForced = 0;
        for (uint64_t k = 0; k < t->nRow; k++) nForced += tu_col_u64(t, "forced", k);
        assert_int_equal(nForced, strtoull(r + 16, NULL, 10));
      }
      free(zF);
    }
    free(zFacts);
    /* a SIGQUIT dump in the same log lands in goroutines too */
    int nG = count_lines(z, "goroutine ", "]:");
    assert_int_equal(tu_nrow(c, "goroutines"), nG);
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

/* The prometheus log: 535 gc + 535 scav lines and a 34-goroutine SIGQUIT
** dump (samples/thirdparty/README.md); counted here as well. */
static void test_prometheus(void **state) {
  (void)state;
  const char *zPath = "samples/thirdparty/prometheus/gctrace.log";
  size_t n;
  char *z = tu_read_file(zPath, &n);
  if (!z) skip();
  hs_case *c = tu_load_path(zPath, NULL);
  assert_int_equal(tu_nrow(c, "gc"), count_lines(z, "gc ", " @"));
  assert_int_equal(tu_nrow(c, "gc.scav"), count_lines(z, "scav ", NULL));
  assert_int_equal(tu_nrow(c, "goroutines"), count_lines(z, "goroutine ", " ["));
  hs_table *g = hs_case_table(c, "goroutines");
  assert_non_null(g);
  assert_string_equal(tu_col_str(g, "reason", 0), "SIGQUIT: quit");
  hs_case_free(c);
  free(z);
}

/* Wrap each line of z as Kubernetes CRI does; lines longer than 40 bytes
** are split into a P record and an F record. */
static char *to_cri(const char *z) {
  size_t nCap = strlen(z) * 4 + 1024, k = 0;
  char *o = malloc(nCap);
  int i = 0;
  for (const char *l = z; l && *l; i++) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    char zTs[64];
    snprintf(zTs, sizeof zTs, "2024-05-01T10:%02d:%02d.%09dZ", (i / 60) % 60, i % 60, i * 1000);
    if (len > 40) {
      k += sprintf(o + k, "%s stderr P %.*s\n", zTs, 40, l);
      k += sprintf(o + k, "%s stderr F %.*s\n", zTs, (int)(len - 40), l + 40);
    } else {
      k += sprintf(o + k, "%s stdout F %.*s\n", zTs, (int)len, l);
    }
    l = e ? e + 1 : NULL;
  }
  o[k] = 0;
  return o;
}

/* Wrap each line as Docker's json-file driver does: JSON escapes, "%" and
** "@" as \u escapes to exercise the decoder, a split record every 7 lines. */
static char *to_docker(const char *z) {
  size_t nCap = strlen(z) * 12 + 1024, k = 0;
  char *o = malloc(nCap);
  int i = 0;
  for (const char *l = z; l && *l; i++) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    size_t nSplit = (i % 7 == 3 && len > 10) ? 10 : 0;
    for (int part = nSplit ? 0 : 1; part < 2; part++) {
      size_t a = part ? nSplit : 0, b = part ? len : nSplit;
      k += sprintf(o + k, "{\"log\":\"");
      for (size_t j = a; j < b; j++) {
        char ch = l[j];
        if (ch == '"' || ch == '\\') k += sprintf(o + k, "\\%c", ch);
        else if (ch == '\t') k += sprintf(o + k, "\\t");
        else if (ch == '%') k += sprintf(o + k, "\\u0025");
        else if (ch == '@') k += sprintf(o + k, "\\u0040");
        else o[k++] = ch;
      }
      k += sprintf(o + k, "%s\",\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:%02d.5+02:00\"}\n",
                   part ? "\\n" : "", i % 60);
    }
    l = e ? e + 1 : NULL;
  }
  o[k] = 0;
  return o;
}

/* Prefix each line with an RFC 3339 time, as `kubectl logs --timestamps`. */
static char *to_kubectl(const char *z) {
  size_t nCap = strlen(z) * 2 + 40 * 20000 + 1024, k = 0;
  char *o = malloc(nCap);
  int i = 0;
  for (const char *l = z; l && *l && k + 4096 < nCap; i++) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    k += sprintf(o + k, "2024-05-01T10:%02d:%02d.%06d+00:00 %.*s\n", (i / 60) % 60, i % 60, i, (int)len, l);
    l = e ? e + 1 : NULL;
  }
  o[k] = 0;
  return o;
}

static void check_wrapped(const char *zPath, char *(*xWrap)(const char *), const char *zForm) {
  size_t n;
  char *z = tu_read_file(zPath, &n);
  assert_non_null(z);
  static gcfact a[20000];
  int nGc = gc_facts(z, a, 20000);
  char *w = xWrap(z);
  int rc;
  hs_case *c = tu_load_buffer(zForm, w, strlen(w), NULL, &rc);
  assert_int_equal(rc, HS_OK);
  assert_string_equal(c->apInput[0]->zKind, "gctrace");
  check_rows(hs_case_table(c, "gc"), a, nGc, zForm);
  assert_int_equal(tu_nrow(c, "gc.scav"), count_lines(z, "scav ", NULL) + count_lines(z, "scvg", NULL));
  assert_int_equal(tu_nrow(c, "gc.pacer"), count_lines(z, "pacer: ", NULL));
  hs_table *t = hs_case_table(c, "gc");
  for (uint64_t i = 0; i < t->nRow; i++) {
    double w0 = tu_col_f64(t, "wall", i);
    assert_true(w0 > 1714500000.0 && w0 < 1714600000.0); /* 2024-05-01 */
  }
  if (tu_n_warnings(c)) fail_msg("%s: %s", zForm, c->aDiag[0].zMsg);
  hs_case_free(c);
  free(w);
  free(z);
}

static void test_container_forms(void **state) {
  (void)state;
  char **az = tu_sample_files("gctrace.log", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    check_wrapped(az[i], to_cri, "cri.log");
    check_wrapped(az[i], to_docker, "docker.log");
    check_wrapped(az[i], to_kubectl, "kubectl.log");
  }
  check_wrapped("tests/fuzz/corpus/gctrace/go1.21.log", to_docker, "docker-1.21.log");
  check_wrapped("tests/fuzz/corpus/gctrace/go1.5.log", to_cri, "cri-1.5.log");
  tu_free_list(az);
}

/* gc records in a CRI or Docker log, counted by a plain scan: a record is
** a gc line when its content starts with "gc " and a digit and the record
** before it was complete (CRI tag F, Docker log string ending in \n). */
static int count_container_gc(const char *z) {
  int n = 0, bCont = 0;
  for (const char *l = z; l && *l; ) {
    const char *e = strchr(l, '\n');
    const char *zC = NULL;
    int bPartial = 0;
    if (strncmp(l, "{\"log\":\"", 8) == 0) {
      zC = l + 8;
      const char *q = strstr(l, "\",\"stream\"");
      bPartial = !(q && q - l >= 2 && q[-2] == '\\' && q[-1] == 'n');
    } else {
      const char *q = strstr(l, " stderr ");
      if (!q || (e && q > e)) q = strstr(l, " stdout ");
      if (q && (!e || q < e)) {
        bPartial = q[8] == 'P';
        zC = q + 10;
      }
    }
    if (zC && !bCont && strncmp(zC, "gc ", 3) == 0 && zC[3] >= '0' && zC[3] <= '9') n++;
    bCont = zC && bPartial;
    l = e ? e + 1 : NULL;
  }
  return n;
}

/* The samples' own container logs, when the generator made them. */
static void test_sample_container_logs(void **state) {
  (void)state;
  static const char *azForm[] = {"gctrace-cri.log", "gctrace-docker.log"};
  int nSeen = 0;
  for (int f = 0; f < 2; f++) {
    char **az = tu_sample_files(azForm[f], 1);
    for (int i = 0; az[i]; i++) {
      const char *zSlash = strrchr(az[i], '/');
      char *zPlain = hs_mprintf("%.*s/gctrace.log", (int)(zSlash - az[i]), az[i]);
      hs_case *cP = tu_load_path(zPlain, NULL);
      hs_case *cW = tu_load_path(az[i], NULL);
      hs_table *tP = hs_case_table(cP, "gc"), *tW = hs_case_table(cW, "gc");
      assert_non_null(tW);
      size_t n;
      char *z = tu_read_file(az[i], &n);
      int nGc = count_container_gc(z);
      if (tP && tP->nRow == tW->nRow) {
        for (uint64_t r = 0; r < tW->nRow; r++) {
          assert_int_equal(tu_col_u64(tW, "num", r), tu_col_u64(tP, "num", r));
          assert_int_equal(tu_col_u64(tW, "heap_end", r), tu_col_u64(tP, "heap_end", r));
          assert_true(tu_col_f64(tW, "wall", r) > 1e9);
        }
      }
      assert_int_equal(tW->nRow, nGc);
      nSeen++;
      free(z);
      free(zPlain);
      hs_case_free(cP);
      hs_case_free(cW);
    }
    tu_free_list(az);
  }
  if (!nSeen) skip();
}

static void test_old_formats(void **state) {
  (void)state;
  int rc;
  /* Go 1.5-1.6: five clock phases, seven cpu times */
  hs_case *c = tu_load_path("tests/fuzz/corpus/gctrace/go1.5.log", &rc);
  assert_int_equal(rc, HS_OK);
  hs_table *t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 3);
  assert_true(fabs(tu_col_f64(t, "clock_sweep_term", 0) - 0.054) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "clock_mark", 0) - (1.1 + 0.016 + 0.45)) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "clock_mark_term", 0) - 0.24) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_sweep_term", 0) - 0.16) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_assist", 0) - 1.1) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_background", 0) - (0.19 + 1.1 + 0)) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_idle", 0) - 0) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_mark_term", 0) - 0.72) < 1e-9);
  assert_int_equal(tu_col_u64(t, "heap_live", 0), 1);
  assert_int_equal(tu_col_u64(t, "procs", 0), 4);
  /* decimals are the doubles strtod gives, to the last bit */
  assert_true(tu_col_f64(t, "t", 1) == strtod("120.503", NULL));
  assert_true(tu_col_f64(t, "cpu_sweep_term", 2) == strtod("0.057", NULL));
  assert_true(tu_col_f64(t, "cpu_mark_term", 2) == strtod("1.0", NULL));
  assert_int_equal(tu_col_u64(t, "periodic", 1), 1); /* after "GC forced" */
  assert_int_equal(tu_col_u64(t, "periodic", 0), 0);
  assert_int_equal(tu_col_u64(t, "forced", 2), 1);
  assert_int_equal(tu_col_u64(t, "line", 0), 2);
  hs_table *s = hs_case_table(c, "gc.scav");
  assert_int_equal(s->nRow, 3);
  assert_string_equal(tu_col_str(s, "kind", 0), "scvg");
  assert_int_equal(tu_col_u64(s, "inuse", 0), 3);
  assert_int_equal(tu_col_u64(s, "consumed", 0), 3);
  assert_string_equal(tu_col_str(s, "kind", 1), "scvg-released");
  assert_int_equal(tu_col_u64(s, "work", 1), 2u << 20);
  assert_int_equal(tu_col_u64(s, "released_mb", 2), 2);
  assert_int_equal(tu_col_u64(s, "num", 2), 2);
  assert_int_equal(tu_n_warnings(c), 0);
  hs_case_free(c);

  /* Go 1.7-1.17: three phases, no stacks/globals; old pacer lines */
  c = tu_load_path("tests/fuzz/corpus/gctrace/go1.10.log", &rc);
  t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 4);
  assert_int_equal(tu_col_u64(t, "num", 2), 10);
  assert_true(fabs(tu_col_f64(t, "t", 2) - 12.345) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "clock_mark", 2) - 15) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_background", 2) - 30) < 1e-9);
  assert_true(fabs(tu_col_f64(t, "cpu_idle", 2) - 45) < 1e-9);
  assert_int_equal(tu_col_u64(t, "heap_start", 2), 120);
  assert_int_equal(tu_col_u64(t, "goal", 2), 124);
  assert_int_equal(tu_col_u64(t, "stacks", 2), 0);
  assert_int_equal(tu_col_u64(t, "procs", 2), 8);
  assert_int_equal(tu_col_u64(t, "forced", 3), 1);
  hs_table *p = hs_case_table(c, "gc.pacer");
  assert_int_equal(p->nRow, 2);
  assert_string_equal(tu_col_str(p, "kind", 0), "assist");
  assert_int_equal(tu_col_u64(p, "workers", 0), 1);
  assert_string_equal(tu_col_str(p, "kind", 1), "other");
  assert_int_equal(tu_col_u64(p, "num", 0), 1);
  assert_int_equal(tu_n_warnings(c), 0);
  hs_case_free(c);

  /* 1.13-1.20 scav lines and 1.13's scvg: lines */
  c = tu_load_path("tests/fuzz/corpus/gctrace/go1.13.log", &rc);
  s = hs_case_table(c, "gc.scav");
  assert_int_equal(s->nRow, 4);
  assert_int_equal(tu_col_u64(s, "sys", 1), 63);
  assert_int_equal(tu_col_u64(s, "work", 2), 1024u << 10);
  assert_int_equal(tu_col_u64(s, "released", 2), 2048u << 10);
  assert_int_equal(tu_col_u64(s, "util_pct", 2), 95);
  assert_int_equal(tu_col_u64(s, "forced", 3), 1);
  assert_int_equal(tu_n_warnings(c), 0);
  hs_case_free(c);

  /* 1.21+: stacks, globals, scav bg/eager, pacer cpu lines */
  c = tu_load_path("tests/fuzz/corpus/gctrace/go1.21.log", &rc);
  t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 3);
  assert_int_equal(tu_col_u64(t, "stacks", 1), 1);
  assert_int_equal(tu_col_u64(t, "globals", 1), 2);
  assert_int_equal(tu_col_u64(t, "procs", 1), 4);
  s = hs_case_table(c, "gc.scav");
  assert_int_equal(tu_col_u64(s, "work_bg", 1), 512u << 10);
  assert_int_equal(tu_col_u64(s, "work_eager", 1), 256u << 10);
  assert_int_equal(tu_col_u64(s, "work", 1), 768u << 10);
  assert_int_equal(tu_col_u64(s, "released", 1), 4456u << 10);
  assert_int_equal(tu_col_u64(s, "reset", 1), 1);
  p = hs_case_table(c, "gc.pacer");
  assert_int_equal(p->nRow, 3);
  assert_true(fabs(tu_col_f64(p, "assist_ratio", 0) - 1.276063) < 1e-9);
  assert_true(fabs(tu_col_f64(p, "fractional", 0)) < 1e-12);
  assert_int_equal(tu_col_u64(p, "cpu_pct", 1), 42);
  assert_int_equal(tu_col_u64(p, "stack_scan_work", 1), 9216);
  assert_int_equal(tu_col_u64(p, "heap_live", 1), 4339432);
  assert_int_equal((int64_t)tu_col_u64(p, "goal_delta", 2), -33272);
  assert_true(fabs(tu_col_f64(p, "cons_mark", 2) - 0.15) < 1e-12);
  assert_int_equal(tu_col_u64(p, "reset", 2), 1);
  assert_int_equal(tu_col_u64(p, "num", 2), 3);
  assert_int_equal(tu_n_warnings(c), 0);
  hs_case_free(c);
}

/* Bad lines: one row each, a warning naming line and column; the
** truncated last line is kept with what it had. */
static void test_bad_lines(void **state) {
  (void)state;
  int rc;
  hs_case *c = tu_load_path("tests/fuzz/corpus/gctrace/bad.log", &rc);
  assert_int_equal(rc, HS_ETRUNC);
  hs_table *t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 3);
  assert_int_equal(tu_col_u64(t, "num", 1), 2);
  assert_int_equal(tu_col_u64(t, "cpu_pct", 1), 3);
  assert_int_equal(tu_col_u64(t, "num", 2), 3);
  assert_int_equal(tu_col_u64(t, "heap_live", 2), 3);
  assert_int_equal(tu_col_u64(t, "goal", 2), 8);
  int bLine2 = 0, bLine4 = 0;
  for (int i = 0; i < c->nDiag; i++) {
    hs_diag *d = &c->aDiag[i];
    if (d->iLine == 2 && strstr(d->zMsg, "column 20") && strstr(d->zMsg, "clock phase")) bLine2 = 1;
    if (d->iLine == 4 && strstr(d->zMsg, "ends inside")) bLine4 = 1;
  }
  assert_true(bLine2);
  assert_true(bLine4);
  hs_case_free(c);

  /* nothing of ours: an error naming what was expected */
  const char *z = "hello\nworld\n";
  c = tu_load_buffer("x.log", z, strlen(z), "gctrace", &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_true(c->nDiag == 1 && strstr(c->aDiag[0].zMsg, "gctrace=1"));
  hs_case_free(c);
}

/* Sniffing: by content, among other lines, in container framing. */
static void test_sniff(void **state) {
  (void)state;
  const char *z1 = "starting\ngc 1 @0.1s 1%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 1->1->0 MB, 4 MB goal, 1 P\n";
  const char *z2 = "2024-05-01T10:00:00.1Z stderr F gc 1 @0.1s 1%: 0+0+0 ms clock\n";
  const char *z3 = "{\"log\":\"gc 1 @0.1s 1%: 0+0+0 ms clock\\n\",\"stream\":\"stderr\"}\n";
  const char *z4 = "hello gc 1 @ world\n";
  int s;
  const hs_loader *l = hs_sniff((const uint8_t *)z1, strlen(z1), &s);
  assert_non_null(l);
  assert_string_equal(l->zKind, "gctrace");
  l = hs_sniff((const uint8_t *)z2, strlen(z2), &s);
  assert_true(l && strcmp(l->zKind, "gctrace") == 0);
  l = hs_sniff((const uint8_t *)z3, strlen(z3), &s);
  assert_true(l && strcmp(l->zKind, "gctrace") == 0);
  l = hs_sniff((const uint8_t *)z4, strlen(z4), &s);
  assert_true(!l || strcmp(l->zKind, "gctrace") != 0);
}

/* CRI: a partial stderr record with a whole stdout record between its
** parts; a partial at the end of the file. */
static void test_cri_streams(void **state) {
  (void)state;
  const char *z =
      "2024-05-01T10:00:00.1Z stderr P gc 1 @0.100s 1%: 0.1+0\n"
      "2024-05-01T10:00:00.1Z stdout F request served\n"
      "2024-05-01T10:00:00.1Z stderr F .2+0.3 ms clock, 0.1+0.1/0.2/0.3+0.1 ms cpu, 4->4->1 MB, 5 MB goal, 2 P\n"
      "2024-05-01T10:00:01Z stderr P gc 2 @1.000s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.1/0.2/0.3+0.1 ms cpu, ";
  int rc;
  hs_case *c = tu_load_buffer("cri.log", z, strlen(z), NULL, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  hs_table *t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 2);
  assert_int_equal(tu_col_u64(t, "procs", 0), 2);
  assert_true(fabs(tu_col_f64(t, "clock_mark", 0) - 0.2) < 1e-12);
  assert_int_equal(tu_col_u64(t, "line", 0), 1);
  assert_true(fabs(tu_col_f64(t, "wall", 0) - 1714557600.1) < 1e-3);
  assert_int_equal(tu_col_u64(t, "num", 1), 2);
  assert_int_equal(tu_n_warnings(c), 1); /* the cut last record */
  assert_int_equal(c->aDiag[0].iLine, 4);
  hs_case_free(c);
}

/* Several inputs of one case append to one table, each row naming its source. */
static void test_append(void **state) {
  (void)state;
  hs_case *c = hs_case_new("t");
  const char *az[] = {"tests/fuzz/corpus/gctrace/go1.10.log", "tests/fuzz/corpus/gctrace/go1.21.log"};
  for (int i = 0; i < 2; i++) {
    size_t n;
    char *p = tu_read_file(az[i], &n);
    assert_int_equal(hs_case_load_buffer(c, az[i], p, n, NULL), HS_OK);
    free(p);
  }
  hs_table *t = hs_case_table(c, "gc");
  assert_int_equal(t->nRow, 7);
  assert_string_equal(tu_col_str(t, "source", 0), az[0]);
  assert_string_equal(tu_col_str(t, "source", 6), az[1]);
  hs_case_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_samples),      cmocka_unit_test(test_prometheus),
      cmocka_unit_test(test_container_forms), cmocka_unit_test(test_sample_container_logs),
      cmocka_unit_test(test_old_formats),  cmocka_unit_test(test_bad_lines),
      cmocka_unit_test(test_sniff),        cmocka_unit_test(test_append),
      cmocka_unit_test(test_cri_streams),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
