/*
 * The goroutine dump loader against the truth: the samples' dumps were
 * printed by real Go runtimes running programs that planted goroutines
 * (facts.json: 50 main.leakyWorker parked on a channel, 2 locked to their
 * thread, ...).  Counts come from a separate, simple scan of the files
 * (header lines, tab lines), never from the loader's code.  Container
 * forms are made here from the plain files; hand-written fixtures under
 * tests/fuzz/corpus/goroutines cover forms the samples lack (1.23
 * GOTRACEBACK=system headers, ancestors, "(scan)", interleaved log lines).
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
#include <json-c/json.h>

#include "heapscope/heapscope.h"
#include "testutil.h"

/* The independent scan: what a plain reading of the text says. */
typedef struct textfacts {
  int nHeader;      /* "goroutine N [...]:" lines */
  int nFrame;       /* frame file lines: tab lines minus created-by and "running on other thread" */
  int nRecord;      /* debug=1 "C @ ..." lines */
  long nTotal;      /* debug=1 "goroutine profile: total N" */
  long nCountSum;   /* sum of C */
  int bElided;      /* a "frames elided" marker */
} textfacts;

static void scan_text(const char *z, textfacts *f) {
  memset(f, 0, sizeof *f);
  int bAncestor = 0;
  for (const char *l = z; l && *l; ) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    char *zL = hs_strndup(l, len);
    if (len == 0) bAncestor = 0;
    if (strncmp(zL, "goroutine profile: total ", 25) == 0) f->nTotal = atol(zL + 25);
    else if (strncmp(zL, "goroutine ", 10) == 0 && strstr(zL, " [") && len > 2 &&
             strcmp(zL + len - 2, "]:") == 0) {
      f->nHeader++;
      bAncestor = 0;
    } else if (strncmp(zL, "[originating from goroutine ", 28) == 0) bAncestor = 1;
    else if (!bAncestor && zL[0] == '\t' && strncmp(zL, "\tgoroutine running on other", 27) != 0)
      f->nFrame++;
    else if (!bAncestor && strncmp(zL, "created by ", 11) == 0) f->nFrame--;
    else if (strncmp(zL, "#\t0x", 4) == 0) f->nFrame++;
    else if (zL[0] >= '1' && zL[0] <= '9' && strstr(zL, " @ ")) {
      f->nRecord++;
      f->nCountSum += atol(zL);
    }
    if (strstr(zL, "frames elided")) f->bElided = 1;
    free(zL);
    l = e ? e + 1 : NULL;
  }
}

/* Does goroutine row iRow have a frame whose function is zFunc? */
static int has_frame(const hs_case *c, uint64_t iRow, const char *zFunc) {
  hs_table *f = hs_case_table(c, "goroutines.frames");
  for (uint64_t i = 0; i < f->nRow; i++)
    if (tu_col_u64(f, "goroutine", i) == iRow && strcmp(tu_col_str(f, "func", i), zFunc) == 0) return 1;
  return 0;
}

/* The frames of each row are consecutive, depth 0.. frames-1. */
static void check_frame_shape(const hs_case *c) {
  hs_table *g = hs_case_table(c, "goroutines"), *f = hs_case_table(c, "goroutines.frames");
  uint64_t k = 0;
  for (uint64_t i = 0; i < g->nRow; i++) {
    uint64_t n = tu_col_u64(g, "frames", i);
    for (uint64_t d = 0; d < n; d++, k++) {
      assert_true(k < f->nRow);
      assert_int_equal(tu_col_u64(f, "goroutine", k), i);
      assert_int_equal(tu_col_u64(f, "depth", k), d);
    }
    if (n) assert_string_equal(tu_col_str(g, "top", i), tu_col_str(f, "func", k - n));
  }
  assert_int_equal(k, f->nRow);
}

static json_object *facts_for(const char *zPath) {
  const char *zSlash = strrchr(zPath, '/');
  char *zDir = hs_mprintf("%.*s/facts.json", (int)(zSlash - zPath), zPath);
  json_object *j = json_object_from_file(zDir);
  free(zDir);
  return j;
}

static const char *jstr(json_object *o, const char *zKey) {
  json_object *v;
  return json_object_object_get_ex(o, zKey, &v) ? json_object_get_string(v) : NULL;
}
static long jint(json_object *o, const char *zKey) {
  json_object *v;
  return json_object_object_get_ex(o, zKey, &v) ? (long)json_object_get_int64(v) : -1;
}

/* For each planted goroutine kind of facts.json: the rows whose stack holds
** its function number `count` (summing `count` for debug=1), in the right
** state, created by the right function, locked when planted so. */
static void check_planted(const hs_case *c, json_object *jFacts, int bDebug1, const char *zWhere) {
  json_object *jG;
  if (!json_object_object_get_ex(jFacts, "goroutines", &jG)) return;
  const char *zVer = jstr(jFacts, "go_version");
  int b119 = zVer && strncmp(zVer, "go1.19", 6) == 0;
  hs_table *g = hs_case_table(c, "goroutines");
  for (size_t k = 0; k < json_object_array_length(jG); k++) {
    json_object *e = json_object_array_get_idx(jG, k);
    const char *zFunc = jstr(e, "function");
    const char *zState = b119 && jstr(e, "state_go1_19") ? jstr(e, "state_go1_19") : jstr(e, "state");
    const char *zCreated = jstr(e, "created_by");
    json_object *jLocked;
    int bLocked = json_object_object_get_ex(e, "locked_to_thread", &jLocked) &&
                  json_object_get_boolean(jLocked);
    long nWant = jint(e, "count"), nGot = 0, nLocked = 0;
    for (uint64_t i = 0; i < g->nRow; i++) {
      if (!has_frame(c, i, zFunc)) continue;
      nGot += (long)tu_col_u64(g, "count", i);
      if (bDebug1) continue;
      if (strcmp(tu_col_str(g, "state", i), zState) != 0)
        fail_msg("%s: %s goroutine %llu is in state \"%s\", planted as \"%s\"", zWhere, zFunc,
                 (unsigned long long)tu_col_u64(g, "id", i), tu_col_str(g, "state", i), zState);
      if (zCreated) assert_string_equal(tu_col_str(g, "created_by", i), zCreated);
      nLocked += (long)tu_col_u64(g, "locked", i);
    }
    if (nGot != nWant) fail_msg("%s: %ld goroutines in %s, planted %ld", zWhere, nGot, zFunc, nWant);
    if (!bDebug1 && bLocked) assert_int_equal(nLocked, nWant);
  }
}

static void test_debug2(void **state) {
  (void)state;
  char **az = tu_sample_files("goroutines-debug2.txt", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    textfacts tf;
    scan_text(z, &tf);
    int rc;
    hs_case *c = tu_load_path(az[i], &rc);
    assert_int_equal(rc, HS_OK);
    assert_string_equal(c->apInput[0]->zKind, "goroutines");
    if (tu_nrow(c, "goroutines") != (uint64_t)tf.nHeader)
      fail_msg("%s: %llu rows, %d goroutine headers", az[i],
               (unsigned long long)tu_nrow(c, "goroutines"), tf.nHeader);
    assert_int_equal(tu_nrow(c, "goroutines.frames"), tf.nFrame);
    assert_int_equal(tu_n_warnings(c), 0);
    check_frame_shape(c);
    json_object *j = facts_for(az[i]);
    if (j) {
      check_planted(c, j, 0, az[i]);
      long nTotal = jint(j, "goroutines_total");
      if (nTotal > 0) assert_int_equal(tu_nrow(c, "goroutines"), nTotal);
      json_object_put(j);
    }
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

static void test_debug1(void **state) {
  (void)state;
  char **az = tu_sample_files("goroutines-debug1.txt", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    textfacts tf;
    scan_text(z, &tf);
    int rc;
    hs_case *c = tu_load_path(az[i], &rc);
    assert_int_equal(rc, HS_OK);
    assert_string_equal(c->apInput[0]->zKind, "goroutines");
    hs_table *g = hs_case_table(c, "goroutines");
    assert_int_equal(g->nRow, tf.nRecord);
    long nSum = 0;
    for (uint64_t r = 0; r < g->nRow; r++) nSum += (long)tu_col_u64(g, "count", r);
    assert_int_equal(nSum, tf.nTotal);
    assert_int_equal(nSum, tf.nCountSum);
    assert_int_equal(tu_nrow(c, "goroutines.frames"), tf.nFrame);
    check_frame_shape(c);
    json_object *j = facts_for(az[i]);
    if (j) {
      check_planted(c, j, 1, az[i]);
      json_object_put(j);
    }
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

/* panic.log: the panicking goroutine, its message, its creator. */
static void test_panic(void **state) {
  (void)state;
  char **az = tu_sample_files("panic.log", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    textfacts tf;
    scan_text(z, &tf);
    hs_case *c = tu_load_path(az[i], NULL);
    assert_string_equal(c->apInput[0]->zKind, "goroutines");
    hs_table *g = hs_case_table(c, "goroutines");
    assert_non_null(g);
    assert_int_equal(g->nRow, tf.nHeader);
    assert_int_equal(tu_nrow(c, "goroutines.frames"), tf.nFrame);
    assert_string_equal(tu_col_str(g, "state", 0), "running");
    assert_int_equal(tu_col_u64(g, "elided", 0), tf.bElided);
    json_object *j = facts_for(az[i]), *p;
    if (j && json_object_object_get_ex(j, "panic_log", &p)) {
      assert_string_equal(tu_col_str(g, "top", 0), jstr(p, "function"));
      assert_string_equal(tu_col_str(g, "created_by", 0), jstr(p, "created_by"));
      const char *zReason = tu_col_str(g, "reason", 0);
      assert_true(strncmp(zReason, "panic: ", 7) == 0);
      assert_non_null(strstr(zReason, jstr(p, "message")));
    }
    if (j) json_object_put(j);
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

/* SIGQUIT dumps: every goroutine, the reason, locked and waiting ones. */
static void test_sigquit(void **state) {
  (void)state;
  char **az = tu_sample_files("sigquit.log", 1);
  if (!az[0]) {
    free(az);
    skip();
    return;
  }
  for (int i = 0; az[i]; i++) {
    size_t n;
    char *z = tu_read_file(az[i], &n);
    textfacts tf;
    scan_text(z, &tf);
    hs_case *c = tu_load_path(az[i], NULL);
    hs_table *g = hs_case_table(c, "goroutines");
    assert_non_null(g);
    assert_int_equal(g->nRow, tf.nHeader);
    assert_int_equal(tu_nrow(c, "goroutines.frames"), tf.nFrame);
    check_frame_shape(c);
    /* the signal's line opens the dump: "SIGQUIT: quit", or "SIGABRT:
    ** abort" from a server that exits on SIGQUIT without one (caddy) */
    char zWhy[64] = "SIGQUIT: quit";
    const char *zSig = strncmp(z, "SIG", 3) == 0 ? z : strstr(z, "\nSIG");
    if (zSig) {
      if (*zSig == '\n') zSig++;
      size_t nSig = strcspn(zSig, "\n");
      snprintf(zWhy, sizeof zWhy, "%.*s", (int)nSig, zSig);
    }
    for (uint64_t r = 0; r < g->nRow; r++) assert_string_equal(tu_col_str(g, "reason", r), zWhy);
    json_object *j = facts_for(az[i]), *s;
    if (j && json_object_object_get_ex(j, "sigquit_log", &s)) {
      long nLocked = 0;
      for (uint64_t r = 0; r < g->nRow; r++) nLocked += (long)tu_col_u64(g, "locked", r);
      const char *zL = jstr(s, "locked_to_thread");
      if (zL) assert_int_equal(nLocked, atol(zL));
      /* planted goroutines waited over a minute when the dump was taken */
      long nLeaky = 0;
      for (uint64_t r = 0; r < g->nRow; r++)
        if (has_frame(c, r, "main.leakyWorker")) {
          nLeaky++;
          assert_true(tu_col_u64(g, "wait_minutes", r) >= 1);
        }
      json_object *jG;
      if (json_object_object_get_ex(j, "goroutines", &jG)) {
        for (size_t k = 0; k < json_object_array_length(jG); k++) {
          json_object *e = json_object_array_get_idx(jG, k);
          const char *zFunc = jstr(e, "function");
          if (strcmp(zFunc, "main.leakyWorker") == 0) assert_int_equal(nLeaky, jint(e, "count"));
          /* deep recursion: both Go versions mark the cut at crash level */
          if (jint(e, "recursion_depth") > 100) {
            long nDeep = 0;
            for (uint64_t r = 0; r < g->nRow; r++)
              if (has_frame(c, r, zFunc)) {
                nDeep++;
                if (!tu_col_u64(g, "elided", r)) fail_msg("%s: %s goroutine without its elision mark", az[i], zFunc);
              }
            assert_int_equal(nDeep, jint(e, "count"));
          }
        }
      }
    }
    if (j) json_object_put(j);
    hs_case_free(c);
    free(z);
  }
  tu_free_list(az);
}

/* Wrap lines as Kubernetes CRI (0), Docker json-file (1) or `kubectl logs
** --timestamps` (2) would. */
static char *wrap(const char *z, int bDocker) {
  size_t nCap = strlen(z) * 8 + 4096, k = 0;
  char *o = malloc(nCap);
  int i = 0;
  for (const char *l = z; l && *l; i++) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    if (bDocker == 2) {
      k += sprintf(o + k, "2024-05-01T10:00:00.%06dZ %.*s\n", i, (int)len, l);
    } else if (bDocker) {
      k += sprintf(o + k, "{\"log\":\"");
      for (size_t j = 0; j < len; j++) {
        char ch = l[j];
        if (ch == '"' || ch == '\\') k += sprintf(o + k, "\\%c", ch);
        else if (ch == '\t') k += sprintf(o + k, "\\t");
        else o[k++] = ch;
      }
      k += sprintf(o + k, "\\n\",\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:00.%06dZ\"}\n", i);
    } else if (len > 30) {
      k += sprintf(o + k, "2024-05-01T10:00:00.%06dZ stderr P %.*s\n", i, 30, l);
      k += sprintf(o + k, "2024-05-01T10:00:00.%06dZ stderr F %.*s\n", i, (int)(len - 30), l + 30);
    } else {
      k += sprintf(o + k, "2024-05-01T10:00:00.%06dZ stderr F %.*s\n", i, (int)len, l);
    }
    l = e ? e + 1 : NULL;
  }
  o[k] = 0;
  return o;
}

static void test_container_forms(void **state) {
  (void)state;
  static const char *azFile[] = {"goroutines-debug2.txt", "goroutines-debug1.txt", "panic.log",
                                 "sigquit.log"};
  int nSeen = 0;
  for (int f = 0; f < 4; f++) {
    char **az = tu_sample_files(azFile[f], 1);
    for (int i = 0; az[i]; i++) {
      size_t n;
      char *z = tu_read_file(az[i], &n);
      hs_case *cP = tu_load_path(az[i], NULL);
      hs_table *gP = hs_case_table(cP, "goroutines");
      for (int d = 0; d < 3; d++) {
        char *w = wrap(z, d);
        hs_case *cW = tu_load_buffer(d == 2 ? "kubectl.log" : d ? "docker.log" : "cri.log", w, strlen(w), NULL, NULL);
        assert_string_equal(cW->apInput[0]->zKind, "goroutines");
        hs_table *gW = hs_case_table(cW, "goroutines");
        assert_non_null(gW);
        assert_int_equal(gW->nRow, gP->nRow);
        for (uint64_t r = 0; r < gP->nRow; r++) {
          assert_int_equal(tu_col_u64(gW, "id", r), tu_col_u64(gP, "id", r));
          assert_int_equal(tu_col_u64(gW, "frames", r), tu_col_u64(gP, "frames", r));
          assert_int_equal(tu_col_u64(gW, "count", r), tu_col_u64(gP, "count", r));
          assert_string_equal(tu_col_str(gW, "state", r), tu_col_str(gP, "state", r));
          assert_string_equal(tu_col_str(gW, "top", r), tu_col_str(gP, "top", r));
          assert_string_equal(tu_col_str(gW, "created_by", r), tu_col_str(gP, "created_by", r));
        }
        assert_int_equal(tu_nrow(cW, "goroutines.frames"), tu_nrow(cP, "goroutines.frames"));
        hs_case_free(cW);
        free(w);
      }
      hs_case_free(cP);
      free(z);
      nSeen++;
    }
    tu_free_list(az);
  }
  if (!nSeen) skip();
}

static void test_fixture_system(void **state) {
  (void)state;
  int rc;
  hs_case *c = tu_load_path("tests/fuzz/corpus/goroutines/go1.23-system.txt", &rc);
  assert_int_equal(rc, HS_OK);
  assert_string_equal(c->apInput[0]->zKind, "goroutines");
  hs_table *g = hs_case_table(c, "goroutines"), *f = hs_case_table(c, "goroutines.frames");
  assert_int_equal(g->nRow, 6);
  check_frame_shape(c);
  /* goroutine 21: the thrower, GOTRACEBACK=system header and frame suffixes */
  assert_int_equal(tu_col_u64(g, "id", 0), 21);
  assert_string_equal(tu_col_str(g, "state", 0), "running");
  assert_int_equal(tu_col_u64(g, "frames", 0), 5);
  assert_string_equal(tu_col_str(g, "top", 0), "runtime/internal/runtime.Throw");
  assert_string_equal(tu_col_str(g, "created_by", 0), "main.main");
  assert_int_equal(tu_col_u64(g, "created_by_goroutine", 0), 1);
  assert_string_equal(tu_col_str(g, "reason", 0), "fatal error: concurrent map writes");
  assert_int_equal(tu_col_u64(g, "line", 0), 4);
  assert_string_equal(tu_col_str(f, "file", 0), "/usr/lib/go-1.23/src/runtime/panic.go");
  assert_int_equal(tu_col_u64(f, "line", 0), 1023);
  assert_int_equal(tu_col_u64(f, "pc_offset", 0), 0x5c);
  assert_string_equal(tu_col_str(f, "func", 2), "main.writer"); /* inlined: no offset */
  assert_int_equal(tu_col_u64(f, "line", 2), 12);
  assert_int_equal(tu_col_u64(f, "pc_offset", 2), 0);
  /* goroutine 1: m=nil, minutes and locked; main has no creator */
  assert_int_equal(tu_col_u64(g, "id", 1), 1);
  assert_string_equal(tu_col_str(g, "state", 1), "chan receive");
  assert_int_equal(tu_col_u64(g, "wait_minutes", 1), 12);
  assert_int_equal(tu_col_u64(g, "locked", 1), 1);
  assert_string_equal(tu_col_str(g, "created_by", 1), "");
  assert_string_equal(tu_col_str(g, "state", 2), "force gc (idle)");
  /* goroutine 7: running elsewhere, no frames */
  assert_int_equal(tu_col_u64(g, "frames", 3), 0);
  assert_string_equal(tu_col_str(g, "created_by", 3), "main.main");
  /* goroutine 9: (scan) dropped from the state, elided frames */
  assert_string_equal(tu_col_str(g, "state", 4), "GC worker (idle)");
  assert_int_equal(tu_col_u64(g, "wait_minutes", 4), 3);
  assert_int_equal(tu_col_u64(g, "elided", 4), 1);
  assert_int_equal(tu_col_u64(g, "frames", 4), 2);
  /* goroutine 11: ancestors are not its frames */
  assert_int_equal(tu_col_u64(g, "frames", 5), 1);
  assert_string_equal(tu_col_str(g, "created_by", 5), "main.start");
  assert_int_equal(tu_col_u64(g, "created_by_goroutine", 5), 9);
  hs_case_free(c);
}

static void test_fixture_debug1(void **state) {
  (void)state;
  hs_case *c = tu_load_path("tests/fuzz/corpus/goroutines/debug1-labels.txt", NULL);
  hs_table *g = hs_case_table(c, "goroutines"), *f = hs_case_table(c, "goroutines.frames");
  assert_int_equal(g->nRow, 3);
  assert_int_equal(tu_col_u64(g, "count", 0), 4);
  assert_string_equal(tu_col_str(g, "labels", 0), "{\"role\":\"worker\", \"shard\":\"3\"}");
  assert_string_equal(tu_col_str(g, "top", 0), "main.worker");
  assert_int_equal(tu_col_u64(g, "frames", 0), 2);
  assert_string_equal(tu_col_str(f, "func", 1), "main.startWorkers.func1");
  assert_int_equal(tu_col_u64(f, "pc_offset", 1), 0x30);
  assert_string_equal(tu_col_str(f, "file", 1), "/src/app/main.go");
  assert_int_equal(tu_col_u64(f, "line", 1), 210);
  assert_string_equal(tu_col_str(g, "top", 1), "sync.runtime_SemacquireMutex");
  assert_string_equal(tu_col_str(f, "func", 3), "sync.(*Mutex).lockSlow");
  assert_int_equal(tu_col_u64(g, "count", 2), 1);
  hs_case_free(c);
}

static void test_fixture_interleaved(void **state) {
  (void)state;
  hs_case *c = tu_load_path("tests/fuzz/corpus/goroutines/go1.19-interleaved.txt", NULL);
  hs_table *g = hs_case_table(c, "goroutines"), *f = hs_case_table(c, "goroutines.frames");
  assert_int_equal(g->nRow, 3);
  assert_int_equal(tu_col_u64(g, "wait_minutes", 1), 2);
  assert_int_equal(tu_col_u64(g, "frames", 1), 1);
  assert_int_equal(tu_col_u64(f, "line", 1), 30); /* its file line came after the log line */
  assert_string_equal(tu_col_str(g, "created_by", 1), "main.main");
  assert_int_equal(tu_col_u64(g, "created_by_goroutine", 1), 0);
  assert_int_equal(tu_col_u64(g, "elided", 2), 1);
  assert_string_equal(tu_col_str(g, "top", 2), "net/http.(*persistConn).writeLoop");
  hs_case_free(c);
}

/* A dump cut inside a frame: the complete goroutines are kept, a warning
** names the line where the cut one starts. */
static void test_truncated(void **state) {
  (void)state;
  size_t n;
  char *z = tu_read_file("tests/fuzz/corpus/goroutines/go1.23-system.txt", &n);
  const char *zCut = strstr(z, "main.poll(");
  assert_non_null(zCut);
  size_t nCut = (size_t)(zCut - z) + 20; /* inside the function line */
  int rc;
  hs_case *c = tu_load_buffer("cut.txt", z, nCut, NULL, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  assert_int_equal(tu_nrow(c, "goroutines"), 6);
  int bWarned = 0;
  for (int i = 0; i < c->nDiag; i++)
    if (c->aDiag[i].iLine == 48 && strstr(c->aDiag[i].zMsg, "ends inside")) bWarned = 1;
  assert_true(bWarned);
  hs_case_free(c);

  /* a missing final newline is no damage; a file line cut before its
  ** line number is */
  size_t nEnd = strlen(z);
  while (nEnd && z[nEnd - 1] == '\n') nEnd--;
  const char *zLast = strstr(z, "\t/src/app/main.go:40 +0x85");
  assert_non_null(zLast);
  size_t nMid = (size_t)(zLast - z) + 12;
  c = tu_load_buffer("nonl.txt", z, (size_t)(strstr(z, "exit status") - z) - 1, NULL, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(tu_n_warnings(c), 0);
  hs_case_free(c);
  c = tu_load_buffer("midfile.txt", z, nMid, NULL, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  assert_int_equal(tu_nrow(c, "goroutines"), 6);
  hs_case_free(c);
  (void)nEnd;

  /* nothing of ours */
  c = tu_load_buffer("x.txt", "hello\n", 6, "goroutines", &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_non_null(strstr(c->aDiag[0].zMsg, "goroutine N [state]"));
  hs_case_free(c);
  free(z);
}

/* A log holding both gctrace lines and a traceback gives both tables,
** whichever loader the sniffer (or the user) picks. */
static void test_both_kinds(void **state) {
  (void)state;
  const char *z =
      "gc 1 @0.006s 1%: 0.024+1.3+0.011 ms clock, 0.049+0.16/0/0+0.023 ms cpu, 3->4->0 MB, 4 MB "
      "goal, 0 MB stacks, 0 MB globals, 2 P\n"
      "scav 0 KiB work, 3288 KiB total, 27% util\n"
      "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:5 +0x1d\nexit status 2\n";
  static const char *azKind[] = {NULL, "gctrace", "goroutines"};
  for (int k = 0; k < 3; k++) {
    int rc;
    hs_case *c = tu_load_buffer("both.log", z, strlen(z), azKind[k], &rc);
    assert_int_equal(rc, HS_OK);
    assert_int_equal(tu_nrow(c, "gc"), 1);
    assert_int_equal(tu_nrow(c, "gc.scav"), 1);
    assert_int_equal(tu_nrow(c, "goroutines"), 1);
    assert_string_equal(tu_col_str(hs_case_table(c, "goroutines"), "reason", 0), "panic: boom");
    hs_case_free(c);
  }
}

/* A crashed program's log: its traceback (and gctrace lines) far past the
** 64 KiB the sniffers see.  Any text log reaches the goroutines loader as
** a last resort; text with nothing of ours is an error that says so. */
static void test_long_log(void **state) {
  (void)state;
  size_t nCap = 200000, k = 0;
  char *z = malloc(nCap);
  for (int i = 0; k < 100000; i++)
    k += (size_t)snprintf(z + k, nCap - k, "2026/01/02 03:04:05.%06d handled request %d in 3ms\n", i, i);
  k += (size_t)snprintf(z + k, nCap - k,
                        "gc 9 @12.500s 1%%: 0.02+1.1+0.01 ms clock, 0.04+0.1/0.5/0.9+0.02 ms cpu, "
                        "40->41->20 MB, 42 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
                        "panic: runtime error: invalid memory address or nil pointer dereference\n"
                        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]\n\n"
                        "goroutine 34 [running]:\nmain.handle(0x0)\n\t/src/app/main.go:77 +0x2c\n"
                        "created by main.serve in goroutine 1\n\t/src/app/main.go:60 +0x85\n");
  int rc;
  hs_case *c = tu_load_buffer("app.log", z, k, NULL, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(tu_nrow(c, "goroutines"), 1);
  assert_int_equal(tu_nrow(c, "gc"), 1);
  hs_table *g = hs_case_table(c, "goroutines");
  assert_string_equal(tu_col_str(g, "top", 0), "main.handle");
  assert_string_equal(tu_col_str(g, "reason", 0),
                      "panic: runtime error: invalid memory address or nil pointer dereference");
  hs_case_free(c);

  /* the same log without the crash: nothing of ours, an error naming what was looked for */
  c = tu_load_buffer("quiet.log", z, 100000, NULL, &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_true(c->nDiag >= 1 && strstr(c->aDiag[c->nDiag - 1].zMsg, "no Go evidence found"));
  hs_case_free(c);
  /* JSON is not a log */
  c = tu_load_buffer("x.json", "{\"a\": 1}\n", 9, NULL, &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_true(c->apInput[0]->zKind == NULL || strcmp(c->apInput[0]->zKind, "goroutines") != 0);
  hs_case_free(c);
  free(z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_debug2),          cmocka_unit_test(test_debug1),
      cmocka_unit_test(test_panic),           cmocka_unit_test(test_sigquit),
      cmocka_unit_test(test_container_forms), cmocka_unit_test(test_fixture_system),
      cmocka_unit_test(test_fixture_debug1),  cmocka_unit_test(test_fixture_interleaved),
      cmocka_unit_test(test_truncated),       cmocka_unit_test(test_both_kinds),
      cmocka_unit_test(test_long_log),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
