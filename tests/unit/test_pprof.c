/*
 * The pprof decoder on profiles built here byte by byte (a tiny protobuf
 * writer below), so every field of profile.proto is exercised with known
 * values: packed and unpacked repeated fields must give the same tables,
 * damage must keep what is complete and name the byte offset, the kind must
 * follow the sample types the Go runtime writes, and text must not sniff as
 * a profile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heapscope/heapscope.h"

/* ---- a protobuf writer ------------------------------------------------ */
typedef struct buf {
  uint8_t a[8192];
  size_t n;
} buf;

static void put_varint(buf *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    b->a[b->n++] = x | (v ? 0x80 : 0);
  } while (v);
}
static void put_key(buf *b, int f, int w) { put_varint(b, (uint64_t)f << 3 | w); }
static void vi(buf *b, int f, uint64_t v) {
  put_key(b, f, 0);
  put_varint(b, v);
}
static void ld(buf *b, int f, const buf *m) {
  put_key(b, f, 2);
  put_varint(b, m->n);
  memcpy(b->a + b->n, m->a, m->n);
  b->n += m->n;
}
static void ldz(buf *b, int f, const char *z) {
  put_key(b, f, 2);
  put_varint(b, strlen(z));
  memcpy(b->a + b->n, z, strlen(z));
  b->n += strlen(z);
}
/* A repeated scalar, packed or as one field per element. */
static void rep(buf *b, int f, const uint64_t *a, int n, int bPacked) {
  if (!bPacked) {
    for (int i = 0; i < n; i++) vi(b, f, a[i]);
    return;
  }
  buf m = {.n = 0};
  for (int i = 0; i < n; i++) put_varint(&m, a[i]);
  ld(b, f, &m);
}

enum { S_EMPTY, S_TYPE, S_BYTES, S_LEAK, S_FILE, S_MAIN, S_BIN, S_BUILD, S_SPACE, S_NOTE, S_DROP,
       S_SIZE, S_TYPE2, S_COUNT, S_NSTR };
static const char *azStr[] = {"", "alloc_space", "bytes", "main.leak", "main.go", "main.main",
                              "/bin/app", "build1", "space", "note", "runtime\\..*", "size",
                              "alloc_objects", "count"};

/* A heap-like profile: 2 sample types, 2 samples, 1 mapping, 2 locations
** (the first with an inlined frame), 2 functions, every scalar field set.
** *piSampleEnd gets the offset just past the samples. */
static size_t build_profile(uint8_t *pOut, int bPacked, const char *zDefault, size_t *piSampleEnd) {
  buf p = {.n = 0}, m;
  m.n = 0;
  vi(&m, 1, S_TYPE2);
  vi(&m, 2, S_COUNT);
  ld(&p, 1, &m);
  m.n = 0;
  vi(&m, 1, S_TYPE);
  vi(&m, 2, S_BYTES);
  ld(&p, 1, &m);
  /* sample 1: leaf location 1, then 2; values 3, 4096; label size=4096 bytes */
  {
    uint64_t aLoc[] = {1, 2}, aVal[] = {3, 4096};
    buf s = {.n = 0}, l = {.n = 0};
    rep(&s, 1, aLoc, 2, bPacked);
    rep(&s, 2, aVal, 2, bPacked);
    vi(&l, 1, S_SIZE);
    vi(&l, 3, 4096);
    vi(&l, 4, S_BYTES);
    ld(&s, 3, &l);
    ld(&p, 2, &s);
  }
  /* sample 2: location 2 only; values 1, 100 */
  {
    uint64_t aLoc[] = {2}, aVal[] = {1, 100};
    buf s = {.n = 0};
    rep(&s, 1, aLoc, 1, bPacked);
    rep(&s, 2, aVal, 2, bPacked);
    ld(&p, 2, &s);
  }
  *piSampleEnd = p.n;
  m.n = 0;
  vi(&m, 1, 1);
  vi(&m, 2, 0x400000);
  vi(&m, 3, 0x500000);
  vi(&m, 4, 0x1000);
  vi(&m, 5, S_BIN);
  vi(&m, 6, S_BUILD);
  for (int f = 7; f <= 10; f++) vi(&m, f, 1);
  ld(&p, 3, &m);
  {
    buf l = {.n = 0}, ln = {.n = 0};
    vi(&l, 1, 1);
    vi(&l, 2, 1);
    vi(&l, 3, 0x401000);
    vi(&ln, 1, 1);
    vi(&ln, 2, 10);
    ld(&l, 4, &ln);
    ln.n = 0;
    vi(&ln, 1, 2);
    vi(&ln, 2, 20);
    vi(&ln, 3, 7);
    ld(&l, 4, &ln);
    vi(&l, 5, 1);
    ld(&p, 4, &l);
    l.n = 0;
    ln.n = 0;
    vi(&l, 1, 2);
    vi(&l, 2, 1);
    vi(&l, 3, 0x402000);
    vi(&ln, 1, 2);
    vi(&ln, 2, 30);
    ld(&l, 4, &ln);
    ld(&p, 4, &l);
  }
  m.n = 0;
  vi(&m, 1, 1);
  vi(&m, 2, S_LEAK);
  vi(&m, 3, S_LEAK);
  vi(&m, 4, S_FILE);
  vi(&m, 5, 9);
  ld(&p, 5, &m);
  m.n = 0;
  vi(&m, 1, 2);
  vi(&m, 2, S_MAIN);
  vi(&m, 3, S_MAIN);
  vi(&m, 4, S_FILE);
  vi(&m, 5, 19);
  ld(&p, 5, &m);
  for (int i = 0; i < S_NSTR; i++) ldz(&p, 6, azStr[i]);
  vi(&p, 7, S_DROP);
  vi(&p, 8, 0);
  vi(&p, 9, 1700000000000000000ull);
  vi(&p, 10, 5000000000ull);
  m.n = 0;
  vi(&m, 1, S_SPACE);
  vi(&m, 2, S_BYTES);
  ld(&p, 11, &m);
  vi(&p, 12, 524288);
  uint64_t aCom[] = {S_NOTE, S_NOTE};
  rep(&p, 13, aCom, 2, bPacked);
  if (zDefault) vi(&p, 14, strcmp(zDefault, "alloc_space") == 0 ? S_TYPE : S_TYPE2);
  memcpy(pOut, p.a, p.n);
  return p.n;
}

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

/* Every field lands where it should. */
static void check_tables(hs_case *c, const char *zKind) {
  char z[128];
#define TAB(part) (snprintf(z, sizeof z, "profiles.%s.%s", zKind, part), T(c, z))
  hs_table *tInfo = TAB("info"), *tTypes = TAB("sample_types"), *tS = TAB("samples");
  hs_table *tStk = TAB("stacks"), *tLoc = TAB("locations"), *tLine = TAB("lines");
  hs_table *tFn = TAB("functions"), *tMap = TAB("mappings"), *tLab = TAB("labels");
#undef TAB
  assert_int_equal(tInfo->nRow, 1);
  assert_string_equal(Z(tInfo, "kind", 0), zKind);
  assert_int_equal(U(tInfo, "period", 0), 524288);
  assert_int_equal(U(tInfo, "time_nanos", 0), 1700000000000000000ull);
  assert_int_equal(U(tInfo, "duration_nanos", 0), 5000000000ull);
  assert_string_equal(Z(tInfo, "period_type", 0), "space");
  assert_string_equal(Z(tInfo, "period_unit", 0), "bytes");
  assert_string_equal(Z(tInfo, "drop_frames", 0), "runtime\\..*");
  assert_string_equal(Z(tInfo, "keep_frames", 0), "");
  assert_string_equal(Z(tInfo, "comments", 0), "note\nnote");
  assert_int_equal(tTypes->nRow, 2);
  assert_string_equal(Z(tTypes, "name", 1), "alloc_space");
  assert_string_equal(Z(tTypes, "unit", 1), "bytes");
  assert_int_equal(tS->nRow, 2);
  assert_int_equal(U(tS, "alloc_objects", 0), 3);
  assert_int_equal(U(tS, "alloc_space", 0), 4096);
  assert_int_equal(U(tS, "alloc_space", 1), 100);
  assert_true(tS->aCol[hs_table_colidx(tS, "alloc_space")].flags & HS_COL_BYTES);
  assert_int_equal(U(tS, "depth", 0), 2);
  assert_int_equal(U(tS, "depth", 1), 1);
  assert_string_equal(Z(tS, "labels", 0), "size=4096bytes");
  assert_int_equal(tStk->nRow, 3);
  uint64_t iStk = U(tS, "stack", 0);
  assert_int_equal(U(tStk, "location", iStk), 0);
  assert_int_equal(U(tStk, "location", iStk + 1), 1);
  assert_int_equal(U(tStk, "depth", iStk + 1), 1);
  assert_int_equal(U(tStk, "location", U(tS, "stack", 1)), 1);
  assert_int_equal(tLoc->nRow, 2);
  assert_int_equal(U(tLoc, "address", 0), 0x401000);
  assert_int_equal(U(tLoc, "is_folded", 0), 1);
  assert_int_equal(U(tLoc, "nline", 0), 2);
  assert_string_equal(Z(tLoc, "name", 0), "main.leak");
  assert_int_equal(tLine->nRow, 3);
  uint64_t iLn = U(tLoc, "line", 0);
  assert_string_equal(Z(tLine, "name", iLn), "main.leak");
  assert_string_equal(Z(tLine, "name", iLn + 1), "main.main");
  assert_string_equal(Z(tLine, "file", iLn + 1), "main.go");
  assert_int_equal(U(tLine, "line", iLn + 1), 20);
  assert_int_equal(U(tLine, "column", iLn + 1), 7);
  assert_int_equal(tFn->nRow, 2);
  assert_string_equal(Z(tFn, "system_name", 1), "main.main");
  assert_int_equal(U(tFn, "start_line", 1), 19);
  assert_int_equal(tMap->nRow, 1);
  assert_int_equal(U(tMap, "memory_limit", 0), 0x500000);
  assert_int_equal(U(tMap, "file_offset", 0), 0x1000);
  assert_string_equal(Z(tMap, "filename", 0), "/bin/app");
  assert_string_equal(Z(tMap, "build_id", 0), "build1");
  assert_int_equal(U(tMap, "has_inline_frames", 0), 1);
  assert_int_equal(tLab->nRow, 1);
  assert_string_equal(Z(tLab, "key", 0), "size");
  assert_int_equal(U(tLab, "num", 0), 4096);
  assert_string_equal(Z(tLab, "num_unit", 0), "bytes");
}

static void test_packed_and_unpacked(void **state) {
  uint8_t a[8192], b[8192];
  size_t iEnd;
  size_t na = build_profile(a, 1, "alloc_space", &iEnd);
  size_t nb = build_profile(b, 0, "alloc_space", &iEnd);
  assert_true(na != nb); /* really two encodings */
  for (int k = 0; k < 2; k++) {
    hs_case *c = hs_case_new("t");
    assert_int_equal(hs_case_load_buffer(c, "p.pb", k ? b : a, k ? nb : na, NULL), HS_OK);
    assert_int_equal(c->nDiag, 0);
    check_tables(c, "allocs"); /* default_sample_type alloc_space: allocs */
    hs_case_free(c);
  }
}

static void test_sniff(void **state) {
  uint8_t a[8192];
  size_t iEnd;
  size_t n = build_profile(a, 1, NULL, &iEnd);
  const hs_loader *l = hs_loader_find("pprof");
  assert_non_null(l);
  assert_true(l->xSniff(a, n) > 0);
  const char *azText[] = {"heap profile: 1: 2 [3: 4] @ heap/1048576\n",
                          "goroutine 1 [running]:\nmain.main()\n",
                          "gc 1 @0.001s 1%: 0.1+0.2+0.3 ms clock\n",
                          "{\"Alloc\": 1}\n", "# HELP go_goroutines\n", "\n\n", "x"};
  for (size_t i = 0; i < sizeof azText / sizeof azText[0]; i++)
    assert_int_equal(l->xSniff((const uint8_t *)azText[i], strlen(azText[i])), 0);
  /* the sniffer sees at most 64 KiB: any cut after the first sample type
  ** (a window, or a truncated file the loader will report) still sniffs */
  for (size_t k = 12; k < n; k++) assert_true(l->xSniff(a, k) > 0);
  const hs_loader *s = hs_sniff(a, n, NULL);
  assert_non_null(s);
  assert_string_equal(s->zKind, "pprof");
}

/* Cut inside the mappings: the samples before the cut are kept, the
** warning names the offset, and strings (which come after) are missing. */
static void test_truncated(void **state) {
  uint8_t a[8192];
  size_t iEnd;
  size_t n = build_profile(a, 1, NULL, &iEnd);
  hs_case *c = hs_case_new("t");
  int rc = hs_case_load_buffer(c, "cut.pb", a, iEnd + 3, "pprof");
  assert_int_equal(rc, HS_ETRUNC);
  assert_true(c->nDiag >= 1);
  assert_int_equal(c->aDiag[0].level, HS_WARNING);
  assert_int_equal(c->aDiag[0].iOffset, iEnd);
  assert_non_null(strstr(c->aDiag[0].zMsg, "cut short"));
  /* the string table came after the cut: no type names, so no kind */
  assert_int_equal(T(c, "profiles.profile.samples")->nRow, 2);
  hs_case_free(c);
  /* cut inside the first sample (the two sample types take 12 bytes): no
  ** sample was read, so nothing is loaded and it is an error at the cut */
  c = hs_case_new("t");
  rc = hs_case_load_buffer(c, "cut.pb", a, 12 + 3, "pprof");
  assert_int_equal(rc, HS_EFORMAT);
  assert_int_equal(c->nTable, 0);
  assert_int_equal(c->nError, 1);
  assert_int_equal(c->nDiag, 1);
  assert_int_equal(c->aDiag[0].level, HS_ERROR);
  assert_int_equal(c->aDiag[0].iOffset, 12);
  assert_non_null(strstr(c->aDiag[0].zMsg, "before any sample"));
  hs_case_free(c);
  /* cut exactly after the two sample types, between fields: nothing says
  ** "cut" but no sample and no string table came, so the same error */
  c = hs_case_new("t");
  rc = hs_case_load_buffer(c, "cut.pb", a, 12, "pprof");
  assert_int_equal(rc, HS_EFORMAT);
  assert_int_equal(c->nTable, 0);
  assert_int_equal(c->nError, 1);
  assert_int_equal(c->aDiag[0].level, HS_ERROR);
  assert_non_null(strstr(c->aDiag[0].zMsg, "before any sample"));
  hs_case_free(c);
  /* every prefix: never a crash, never an error without a diagnostic */
  for (size_t k = 1; k < n; k++) {
    c = hs_case_new("t");
    rc = hs_case_load_buffer(c, "cut.pb", a, k, "pprof");
    if (rc != HS_OK) assert_true(c->nDiag > 0);
    hs_case_free(c);
  }
}

/* A sample whose bytes do not decode is skipped; the rest is kept. */
static void test_damaged_field(void **state) {
  buf p = {.n = 0}, m = {.n = 0};
  vi(&m, 1, 1);
  vi(&m, 2, 2);
  ld(&p, 1, &m);
  size_t iBad = p.n;
  m.n = 0;
  put_key(&m, 1, 2); /* location_id packed, length past the end */
  put_varint(&m, 50);
  ld(&p, 2, &m);
  m.n = 0;
  vi(&m, 2, 7);
  ld(&p, 2, &m);
  ldz(&p, 6, "");
  ldz(&p, 6, "goroutine");
  ldz(&p, 6, "count");
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "bad.pb", p.a, p.n, "pprof"), HS_OK);
  assert_int_equal(c->nDiag, 1);
  /* the offset is the damage itself: the inner length after key and length
  ** of the sample field (2 bytes) and the location_id key (1 byte) */
  assert_int_equal(c->aDiag[0].iOffset, iBad + 3);
  assert_non_null(strstr(c->aDiag[0].zMsg, "field 2"));
  hs_table *t = T(c, "profiles.goroutine.samples");
  assert_int_equal(t->nRow, 1);
  assert_int_equal(U(t, "goroutine", 0), 7);
  hs_case_free(c);
}

/* Sample types and stacks decide the kind, as Go writes them. */
static size_t kind_profile(uint8_t *pOut, const char *zType1, const char *zUnit1,
                           const char *zType2, const char *zUnit2, const char *zLeaf) {
  buf p = {.n = 0}, m = {.n = 0};
  const char *az[] = {"", zType1, zUnit1, zType2 ? zType2 : "x", zUnit2 ? zUnit2 : "x", zLeaf};
  vi(&m, 1, 1);
  vi(&m, 2, 2);
  ld(&p, 1, &m);
  if (zType2) {
    m.n = 0;
    vi(&m, 1, 3);
    vi(&m, 2, 4);
    ld(&p, 1, &m);
  }
  m.n = 0;
  uint64_t aLoc[] = {1}, aVal[] = {1, 2};
  rep(&m, 1, aLoc, 1, 1);
  rep(&m, 2, aVal, zType2 ? 2 : 1, 1);
  ld(&p, 2, &m);
  buf l = {.n = 0}, ln = {.n = 0};
  vi(&l, 1, 1);
  vi(&ln, 1, 1);
  ld(&l, 4, &ln);
  ld(&p, 4, &l);
  m.n = 0;
  vi(&m, 1, 1);
  vi(&m, 2, 5);
  ld(&p, 5, &m);
  for (int i = 0; i < 6; i++) ldz(&p, 6, az[i]);
  memcpy(pOut, p.a, p.n);
  return p.n;
}

static void test_kinds(void **state) {
  struct {
    const char *zT1, *zU1, *zT2, *zU2, *zLeaf, *zKind;
  } a[] = {
      {"contentions", "count", "delay", "nanoseconds", "sync.(*Mutex).Unlock", "mutex"},
      {"contentions", "count", "delay", "nanoseconds", "runtime.chanrecv1", "block"},
      {"samples", "count", "cpu", "nanoseconds", "main.spin", "cpu"},
      {"goroutine", "count", NULL, NULL, "runtime.gopark", "goroutine"},
      {"threadcreate", "count", NULL, NULL, "runtime.newm", "threadcreate"},
      {"inuse_space", "bytes", NULL, NULL, "main.f", "heap"},
  };
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
    uint8_t p[4096];
    size_t n = kind_profile(p, a[i].zT1, a[i].zU1, a[i].zT2, a[i].zU2, a[i].zLeaf);
    hs_case *c = hs_case_new("t");
    assert_int_equal(hs_case_load_buffer(c, "k.pb", p, n, NULL), HS_OK);
    char z[128];
    snprintf(z, sizeof z, "profiles.%s.info", a[i].zKind);
    assert_non_null(hs_case_table(c, z));
    /* a second profile of the same kind gets its own tables */
    assert_int_equal(hs_case_load_buffer(c, "k2.pb", p, n, NULL), HS_OK);
    snprintf(z, sizeof z, "profiles.%s_2.samples", a[i].zKind);
    assert_int_equal(T(c, z)->nRow, 1);
    hs_case_free(c);
  }
}

/* A gzipped profile handed straight to hs_case_load_buffer. */
static void test_gzip(void **state) {
  FILE *f = fopen("samples/thirdparty/prometheus/goroutine.pb.gz", "rb");
  if (!f) {
    skip();
    return;
  }
  static uint8_t a[1 << 20];
  size_t n = fread(a, 1, sizeof a, f);
  fclose(f);
  hs_case *c = hs_case_new("t");
  assert_int_equal(hs_case_load_buffer(c, "goroutine.pb.gz", a, n, NULL), HS_OK);
  assert_true(T(c, "profiles.goroutine.samples")->nRow > 0);
  hs_case_free(c);
  /* a cut gzip stream: what inflated is kept or a clear error, never a crash */
  c = hs_case_new("t");
  int rc = hs_case_load_buffer(c, "cut.pb.gz", a, n / 2, "pprof");
  if (rc != HS_OK) assert_true(c->nDiag > 0);
  hs_case_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_packed_and_unpacked), cmocka_unit_test(test_sniff),
      cmocka_unit_test(test_truncated),           cmocka_unit_test(test_damaged_field),
      cmocka_unit_test(test_kinds),               cmocka_unit_test(test_gzip),
  };
  return cmocka_run_group_tests_name("pprof", tests, NULL, NULL);
}
