/*
 * Heap profile text: what /debug/pprof/heap?debug=1 (and allocs?debug=1)
 * serve, written by runtime/pprof writeHeapInternal with debug != 0.
 *
 * FORMAT (one item per line; Go pads the frame columns with tabs)
 *
 *   line                                          meaning
 *   heap profile: A: B [C: D] @ heap/R            totals: A objects / B bytes in
 *                                                 use, C / D allocated; R is
 *                                                 2*MemProfileRate ("heap_v2/R"
 *                                                 and "heapz_v2/R" carry the rate
 *                                                 itself, "heapprofile" none)
 *   N: B [N2: B2] @ 0xpc 0xpc ...                 one record (a stack bucket):
 *                                                 in use objects: bytes [allocated
 *                                                 objects: bytes], raw sampled
 *                                                 counts, and the return PCs
 *   #\t0xpc\tfunc+0xoff\tfile:line                a frame, leaf first; inlined
 *                                                 frames repeat the PC; runtime
 *                                                 frames at the leaf are hidden;
 *                                                 "#\t0xpc" alone if unsymbolized
 *   (blank)                                       ends a record
 *   # runtime.MemStats                            starts the MemStats tail:
 *   # Name = 123                                  a field (Go's name)
 *   # Stack = inuse / sys                         StackInuse / StackSys; also
 *                                                 MSpan and MCache
 *   # PauseNs = [n n ...]                         256-entry rings (PauseEnd too)
 *   # GCCPUFraction = 0.01  # DebugGC = false     a float, a bool
 *   # MaxRSS = 123                                getrusage, after the block
 *
 * TABLES.  The records become a profile shaped like a pprof one (see
 * pprof.c), kind "heap_text" (then heap_text_2 ...), so hs.profile's p:top
 * works on it: info, sample_types (alloc_objects, alloc_space,
 * inuse_objects, inuse_space as Go's protobuf orders them), samples (those
 * four columns scaled up for sampling exactly as `go tool pprof` scales a
 * legacy text profile and as the runtime scales its protobuf:
 * v / (1 - exp(-avgsize/rate)); plus raw_* columns with the numbers as
 * written, stack, depth, labels), stacks, locations (one per distinct PC and
 * frame group), lines, functions, mappings (empty: the text has none),
 * labels (empty).  The MemStats tail becomes one row of `memstats`
 * (memstats.h: Go's field names, source = this input, line = the
 * "# runtime.MemStats" line) and its pauses go to memstats.pauses.
 *
 * ERRORS.  A line that is not what its place calls for is reported with its
 * line number and skipped (a bad record line skips its frames too).  A file
 * that ends inside a line (no final newline) drops the record that line
 * belongs to and warns: complete records are kept.  Cost: one pass, O(1)
 * work per frame (hashing), no recursion.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapscope/heapscope.h"
#include "base/base.h"
#include "formats/memstats.h"
#include "formats/profiles.h"

/* ------------------------------------------------------------------ */
/* Small helpers over byte spans. */

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

static const char *skip_space(const char *z, const char *zEnd) {
  while (z < zEnd && is_space(*z)) z++;
  return z;
}

/* Parse an unsigned decimal at *pz; 0 on success. */
static int parse_u64(const char **pz, const char *zEnd, uint64_t *pv) {
  const char *z = *pz;
  uint64_t v = 0;
  if (z >= zEnd || *z < '0' || *z > '9') return -1;
  while (z < zEnd && *z >= '0' && *z <= '9') {
    uint64_t d = (uint64_t)(*z - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
    z++;
  }
  *pz = z;
  *pv = v;
  return 0;
}

static int parse_hex(const char **pz, const char *zEnd, uint64_t *pv) {
  const char *z = *pz;
  uint64_t v = 0;
  if (zEnd - z < 3 || z[0] != '0' || (z[1] != 'x' && z[1] != 'X')) return -1;
  z += 2;
  const char *zStart = z;
  while (z < zEnd) {
    int d;
    if (*z >= '0' && *z <= '9') d = *z - '0';
    else if (*z >= 'a' && *z <= 'f') d = *z - 'a' + 10;
    else if (*z >= 'A' && *z <= 'F') d = *z - 'A' + 10;
    else break;
    if (z - zStart >= 16) return -1;
    v = (v << 4) | (uint64_t)d;
    z++;
  }
  if (z == zStart) return -1;
  *pz = z;
  *pv = v;
  return 0;
}

static int expect(const char **pz, const char *zEnd, const char *zLit) {
  size_t n = strlen(zLit);
  if ((size_t)(zEnd - *pz) < n || memcmp(*pz, zLit, n) != 0) return -1;
  *pz += n;
  return 0;
}

/* "A: B [C: D]" with optional spaces, as both the header and records have. */
static int parse_counts(const char **pz, const char *zEnd, uint64_t a[4]) {
  const char *z = skip_space(*pz, zEnd);
  if (parse_u64(&z, zEnd, &a[0]) || expect(&z, zEnd, ":")) return -1;
  z = skip_space(z, zEnd);
  if (parse_u64(&z, zEnd, &a[1])) return -1;
  z = skip_space(z, zEnd);
  if (expect(&z, zEnd, "[")) return -1;
  z = skip_space(z, zEnd);
  if (parse_u64(&z, zEnd, &a[2]) || expect(&z, zEnd, ":")) return -1;
  z = skip_space(z, zEnd);
  if (parse_u64(&z, zEnd, &a[3])) return -1;
  z = skip_space(z, zEnd);
  if (expect(&z, zEnd, "]")) return -1;
  z = skip_space(z, zEnd);
  if (expect(&z, zEnd, "@")) return -1;
  *pz = skip_space(z, zEnd);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Sniff: the header line. */

static int sniff(const uint8_t *p, size_t n) {
  const char *z = (const char *)p, *zEnd = z + n;
  uint64_t a[4];
  if (expect(&z, zEnd, "heap profile:")) return 0;
  if (parse_counts(&z, zEnd, a)) return 0;
  return expect(&z, zEnd, "heap") == 0 ? 95 : 0;
}

/* ------------------------------------------------------------------ */
/* Hashing location contents (the map from the hash to the row is base's). */

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

/* ------------------------------------------------------------------ */
/* Loading. */

typedef struct frame {
  uint64_t pc;
  const char *zFn; size_t nFn;     /* function name (no +0x offset) */
  const char *zFile; size_t nFile;
  int64_t iLine;
} frame;

typedef struct ht {
  hs_case *c;
  hs_input *in;
  int rc;
  uint64_t rate;      /* sampling rate for scaling (<= 1: none) */
  /* tables and their columns */
  hs_table *tSamp, *tStk, *tLoc, *tLine, *tFn;
  int aiVal[4], aiRaw[4], iStack, iDepth;
  hs_u64map mLoc;     /* hash of a location (PC and frames) -> its row */
  hs_u64map mFn;      /* function (name id << 32 | file id) -> its row */
  /* the pending record */
  uint64_t aCount[4]; /* as written: inuse n, inuse bytes, alloc n, alloc bytes */
  frame *aFrame;
  size_t nFrame, nFrameCap;
  int bPending;
  uint64_t iRecLine;
  int nBad;
} ht;

static void bad_line(ht *x, uint64_t iLine, const char *zWhat) {
  if (x->nBad++ < 20)
    hs_case_diag(x->c, HS_WARNING, x->in->zName, UINT64_MAX, iLine,
                 "heap profile text: expected %s; skipped the line", zWhat);
}

/* Go's scaleHeapSample (runtime/pprof protomem.go; pprof legacy_profile.go). */
static void scale(uint64_t count, uint64_t size, uint64_t rate, int64_t *pCount, int64_t *pSize) {
  if (count == 0 || size == 0) {
    *pCount = 0;
    *pSize = 0;
    return;
  }
  if (rate <= 1) {
    *pCount = (int64_t)count;
    *pSize = (int64_t)size;
    return;
  }
  double avg = (double)size / (double)count;
  double s = 1 / (1 - exp(-avg / (double)rate));
  double c = (double)count * s, b = (double)size * s;
  /* Absurd inputs (average size far below the rate) make s infinite; a C
  ** conversion of that is undefined, so clamp. */
  *pCount = c < 9.2e18 ? (int64_t)c : INT64_MAX;
  *pSize = b < 9.2e18 ? (int64_t)b : INT64_MAX;
}

static uint32_t str_id(ht *x, const char *z, size_t n) {
  uint32_t id = hs_str_intern(x->c->pStr, z, n);
  return id == UINT32_MAX ? 0 : id;
}

/* Row of the function (name, file), added if new. */
static uint32_t function_row(ht *x, const frame *f) {
  uint32_t idName = str_id(x, f->zFn, f->nFn), idFile = str_id(x, f->zFile, f->nFile);
  uint64_t key = ((uint64_t)idName << 32) | idFile, v;
  hs_table *t = x->tFn;
  if (hs_u64map_get(&x->mFn, key, &v)) return (uint32_t)v;
  uint64_t r = hs_table_add_row(t);
  if (r == UINT64_MAX) return UINT32_MAX;
  hs_table_set_u64(t, PF_ID, r, r + 1);
  hs_table_set_str(t, PF_NAME, r, f->zFn, f->nFn);
  hs_table_set_str(t, PF_FILENAME, r, f->zFile, f->nFile);
  return hs_u64map_put(&x->mFn, key, r) == HS_OK ? (uint32_t)r : UINT32_MAX;
}

/* Row of the location made of frames a[0..n) (one PC, inlined frames
** first), added if no location with the same PC and frames exists. */
static uint32_t location_row(ht *x, const frame *a, size_t n) {
  uint64_t h = a[0].pc;
  uint32_t aiFn[64];
  size_t nLine = n == 1 && a[0].nFn == 0 ? 0 : n; /* "#\t0xpc": no symbol */
  if (nLine > 64) nLine = 64;                     /* Go's stacks are shorter */
  for (size_t i = 0; i < nLine; i++) {
    aiFn[i] = function_row(x, &a[i]);
    if (aiFn[i] == UINT32_MAX) return UINT32_MAX;
    h = mix(h ^ ((uint64_t)aiFn[i] << 32) ^ (uint64_t)a[i].iLine);
  }
  h = mix(h ^ nLine);
  hs_table *tL = x->tLoc, *tN = x->tLine;
  uint64_t v;
  while (hs_u64map_get(&x->mLoc, h, &v)) {
    uint32_t r = (uint32_t)v;
    uint64_t iFirst = hs_table_u64(tL, PL_LINE, r);
    int bSame = hs_table_u64(tL, PL_ADDRESS, r) == a[0].pc &&
                hs_table_u64(tL, PL_NLINE, r) == nLine;
    for (size_t i = 0; bSame && i < nLine; i++)
      bSame = hs_table_u64(tN, PN_FUNCTION, iFirst + i) == aiFn[i] &&
              (int64_t)hs_table_u64(tN, PN_LINE, iFirst + i) == a[i].iLine;
    if (bSame) return r;
    h = mix(h + 1); /* two locations with one 64-bit hash: try the next hash */
  }
  uint64_t r = hs_table_add_row(tL);
  if (r == UINT64_MAX) return UINT32_MAX;
  hs_table_set_u64(tL, PL_ID, r, r + 1);
  hs_table_set_u64(tL, PL_ADDRESS, r, a[0].pc);
  hs_table_set_u32(tL, PL_LINE, r, (uint32_t)tN->nRow);
  hs_table_set_u32(tL, PL_NLINE, r, (uint32_t)nLine);
  for (size_t i = 0; i < nLine; i++) {
    uint64_t rl = hs_table_add_row(tN);
    if (rl == UINT64_MAX) return UINT32_MAX;
    hs_table_set_u32(tN, PN_LOCATION, rl, (uint32_t)r);
    hs_table_set_u32(tN, PN_FUNCTION, rl, aiFn[i]);
    hs_table_set_str(tN, PN_NAME, rl, a[i].zFn, a[i].nFn);
    hs_table_set_str(tN, PN_FILE, rl, a[i].zFile, a[i].nFile);
    hs_table_set_i64(tN, PN_LINE, rl, a[i].iLine);
    if (i == 0) hs_table_set_str(tL, PL_NAME, r, a[i].zFn, a[i].nFn);
  }
  return hs_u64map_put(&x->mLoc, h, r) == HS_OK ? (uint32_t)r : UINT32_MAX;
}

/* Turn the pending record into a sample. */
static void commit(ht *x) {
  if (!x->bPending || x->rc != HS_OK) return;
  x->bPending = 0;
  hs_table *t = x->tSamp;
  uint64_t r = hs_table_add_row(t);
  if (r == UINT64_MAX) goto oom;
  int64_t aScaled[4];
  scale(x->aCount[2], x->aCount[3], x->rate, &aScaled[0], &aScaled[1]); /* alloc */
  scale(x->aCount[0], x->aCount[1], x->rate, &aScaled[2], &aScaled[3]); /* inuse */
  uint64_t aRaw[4] = {x->aCount[2], x->aCount[3], x->aCount[0], x->aCount[1]};
  for (int i = 0; i < 4; i++) {
    hs_table_set_i64(t, x->aiVal[i], r, aScaled[i]);
    hs_table_set_i64(t, x->aiRaw[i], r, (int64_t)aRaw[i]);
  }
  hs_table_set_u32(t, x->iStack, r, (uint32_t)x->tStk->nRow);
  uint32_t nDepth = 0;
  for (size_t i = 0; i < x->nFrame;) {
    size_t k = i + 1;
    while (k < x->nFrame && x->aFrame[k].pc == x->aFrame[i].pc) k++;
    uint32_t iLoc = location_row(x, x->aFrame + i, k - i);
    uint64_t rs = hs_table_add_row(x->tStk);
    if (iLoc == UINT32_MAX || rs == UINT64_MAX) goto oom;
    hs_table_set_u32(x->tStk, PK_SAMPLE, rs, (uint32_t)r);
    hs_table_set_u32(x->tStk, PK_DEPTH, rs, nDepth++);
    hs_table_set_u32(x->tStk, PK_LOCATION, rs, iLoc);
    i = k;
  }
  hs_table_set_u32(t, x->iDepth, r, nDepth);
  x->nFrame = 0;
  return;
oom:
  x->rc = HS_ENOMEM;
}

/* "#\t0xpc\tfunc+0xoff\tfile:line" (z points past "#"). */
static int parse_frame(ht *x, const char *z, const char *zEnd) {
  frame f;
  memset(&f, 0, sizeof f);
  f.zFn = f.zFile = ""; /* an unsymbolized frame has neither */
  z = skip_space(z, zEnd);
  if (parse_hex(&z, zEnd, &f.pc)) return -1;
  z = skip_space(z, zEnd);
  if (z < zEnd) {
    const char *zFn = z;
    while (z < zEnd && !is_space(*z)) z++;
    const char *zPlus = z;
    while (zPlus > zFn && zPlus[-1] != '+') zPlus--;
    f.zFn = zFn;
    f.nFn = zPlus > zFn ? (size_t)(zPlus - 1 - zFn) : (size_t)(z - zFn);
    z = skip_space(z, zEnd);
    const char *zE = zEnd;
    while (zE > z && is_space(zE[-1])) zE--;
    const char *zColon = zE;
    while (zColon > z && zColon[-1] != ':') zColon--;
    if (zColon > z) {
      const char *zNum = zColon;
      uint64_t v;
      if (parse_u64(&zNum, zE, &v) == 0 && zNum == zE) {
        f.iLine = (int64_t)v;
        zE = zColon - 1;
      }
    }
    f.zFile = z;
    f.nFile = (size_t)(zE - z);
  }
  if (x->nFrame == x->nFrameCap && HS_GROW(x->aFrame, x->nFrameCap, 64)) {
    x->rc = HS_ENOMEM;
    return 0;
  }
  x->aFrame[x->nFrame++] = f;
  return 0;
}

/* The "# runtime.MemStats" tail from line iLine on: one memstats row. */
typedef struct msrow {
  hs_table *t;
  int aiCol[HS_MS_NCOL];
  uint64_t r;
  uint64_t aPauseNs[256], aPauseEnd[256], nNumGC;
  int bPauseNs, bPauseEnd;
} msrow;

static int ms_begin(ht *x, msrow *m, uint64_t iLine) {
  int rc = hs_memstats_table(x->c, &m->t, m->aiCol);
  if (rc != HS_OK) return rc;
  m->r = hs_table_add_row(m->t);
  if (m->r == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(m->t, m->aiCol[HS_MS_source], m->r, x->in->zName);
  hs_table_set_u64(m->t, m->aiCol[HS_MS_line], m->r, iLine);
  return HS_OK;
}

static void ms_array(const char *z, const char *zEnd, uint64_t a[256]) {
  int i = 0;
  z = skip_space(z, zEnd);
  if (z < zEnd && *z == '[') z++;
  while (i < 256) {
    z = skip_space(z, zEnd);
    uint64_t v;
    if (parse_u64(&z, zEnd, &v)) break;
    a[i++] = v;
  }
}

/* "# Name = value" (z points past "#"); returns -1 if not such a line. */
static int ms_line(ht *x, msrow *m, const char *z, const char *zEnd) {
  z = skip_space(z, zEnd);
  const char *zName = z;
  while (z < zEnd && ((*z >= 'A' && *z <= 'Z') || (*z >= 'a' && *z <= 'z') || (*z >= '0' && *z <= '9'))) z++;
  size_t nName = (size_t)(z - zName);
  z = skip_space(z, zEnd);
  if (nName == 0 || expect(&z, zEnd, "=")) return -1;
  z = skip_space(z, zEnd);
  hs_table *t = m->t;
  uint64_t v, v2;
  static const struct { const char *zName; int iInuse, iSys; } aPair[] = {
      {"Stack", HS_MS_StackInuse, HS_MS_StackSys},
      {"MSpan", HS_MS_MSpanInuse, HS_MS_MSpanSys},
      {"MCache", HS_MS_MCacheInuse, HS_MS_MCacheSys}};
  for (int i = 0; i < 3; i++) {
    if (nName == strlen(aPair[i].zName) && memcmp(zName, aPair[i].zName, nName) == 0) {
      if (parse_u64(&z, zEnd, &v)) return -1;
      z = skip_space(z, zEnd);
      if (expect(&z, zEnd, "/")) return -1;
      z = skip_space(z, zEnd);
      if (parse_u64(&z, zEnd, &v2)) return -1;
      hs_table_set_u64(t, m->aiCol[aPair[i].iInuse], m->r, v);
      hs_table_set_u64(t, m->aiCol[aPair[i].iSys], m->r, v2);
      return 0;
    }
  }
  if (nName == 7 && memcmp(zName, "PauseNs", 7) == 0) {
    ms_array(z, zEnd, m->aPauseNs);
    m->bPauseNs = 1;
    return 0;
  }
  if (nName == 8 && memcmp(zName, "PauseEnd", 8) == 0) {
    ms_array(z, zEnd, m->aPauseEnd);
    m->bPauseEnd = 1;
    return 0;
  }
  int iSlot = hs_memstats_field(zName, nName);
  if (iSlot < 0 && nName == 6 && memcmp(zName, "MaxRSS", 6) == 0) iSlot = HS_MS_MaxRSS;
  if (iSlot < 0) return 0; /* a field we do not know: newer Go; ignore */
  if (iSlot == HS_MS_GCCPUFraction) {
    char zNum[64];
    size_t n = (size_t)(zEnd - z) < sizeof zNum - 1 ? (size_t)(zEnd - z) : sizeof zNum - 1;
    memcpy(zNum, z, n);
    zNum[n] = 0;
    char *zStop;
    double d = strtod(zNum, &zStop);
    if (zStop == zNum) return -1;
    hs_table_set_f64(t, m->aiCol[iSlot], m->r, d);
    return 0;
  }
  if (expect(&z, zEnd, "true") == 0) v = 1;
  else if (expect(&z, zEnd, "false") == 0) v = 0;
  else if (parse_u64(&z, zEnd, &v)) return -1;
  hs_table_set_u64(t, m->aiCol[iSlot], m->r, v);
  if (iSlot == HS_MS_NumGC) m->nNumGC = v;
  return 0;
}

static int make_tables(ht *x, const char *zKind, uint64_t iPeriod) {
  /* debug=1 writes in-use then alloc counts; pprof's order of the four
  ** sample types is alloc first, and the values are scaled for sampling as
  ** pprof does, with the written counts kept beside them as raw_*. */
  static const hs_colspec aVal[4] = {
      {"alloc_objects", HS_I64, 0}, {"alloc_space", HS_I64, HS_COL_BYTES},
      {"inuse_objects", HS_I64, 0}, {"inuse_space", HS_I64, HS_COL_BYTES}};
  static const hs_colspec aRaw[4] = {
      {"raw_alloc_objects", HS_I64, 0}, {"raw_alloc_space", HS_I64, HS_COL_BYTES},
      {"raw_inuse_objects", HS_I64, 0}, {"raw_inuse_space", HS_I64, HS_COL_BYTES}};
  hs_profile_tables T;
  int rc = hs_profile_tables_open(x->c, zKind, aVal, 4, aRaw, 4,
                                  "one row per heap profile record: counts scaled for sampling "
                                  "as pprof does (raw_*: as written), stack = first row in "
                                  ".stacks", &T);
  if (rc != HS_OK) return rc;
  uint64_t r = hs_table_add_row(T.pInfo);
  if (r == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(T.pInfo, PI_SOURCE, r, x->in->zName);
  hs_table_set_strz(T.pInfo, PI_KIND, r, zKind);
  hs_table_set_strz(T.pInfo, PI_PERIOD_TYPE, r, "space");
  hs_table_set_strz(T.pInfo, PI_PERIOD_UNIT, r, "bytes");
  hs_table_set_strz(T.pInfo, PI_COMMENTS, r, "heap profile text (debug=1)");
  hs_table_set_i64(T.pInfo, PI_PERIOD, r, (int64_t)iPeriod);
  for (int i = 0; i < 4; i++) {
    if ((r = hs_table_add_row(T.pTypes)) == UINT64_MAX) return HS_ENOMEM;
    hs_table_set_strz(T.pTypes, PT_NAME, r, aVal[i].zName);
    hs_table_set_strz(T.pTypes, PT_UNIT, r, i & 1 ? "bytes" : "count");
    x->aiVal[i] = i;
    x->aiRaw[i] = 4 + PS_NCOL + i;
  }
  x->iStack = T.aiSample[PS_STACK];
  x->iDepth = T.aiSample[PS_DEPTH];
  x->tSamp = T.pSamples;
  x->tStk = T.pStacks;
  x->tLoc = T.pLocations;
  x->tLine = T.pLines;
  x->tFn = T.pFunctions;
  return HS_OK;
}

static int load(hs_case *c, hs_input *in) {
  ht x;
  msrow *pMs = NULL;
  memset(&x, 0, sizeof x);
  x.c = c;
  x.in = in;
  const char *z = (const char *)in->p, *zEnd = z + in->n;
  const char *zLine = z;
  const char *zNl = memchr(zLine, '\n', (size_t)(zEnd - zLine));
  const char *zLineEnd = zNl ? zNl : zEnd;

  /* Header. */
  uint64_t aTot[4], iPeriod = 0;
  const char *zh = zLine;
  if (expect(&zh, zLineEnd, "heap profile:") || parse_counts(&zh, zLineEnd, aTot)) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 1,
                 "heap profile text: expected the header `heap profile: N: N [N: N] @ heap/N` "
                 "on line 1; is this the output of /debug/pprof/heap?debug=1?");
    return HS_EFORMAT;
  }
  const char *zMode = zh;
  while (zh < zLineEnd && *zh != '/' && !is_space(*zh)) zh++;
  size_t nMode = (size_t)(zh - zMode);
  if (zh < zLineEnd && *zh == '/') {
    zh++;
    parse_u64(&zh, zLineEnd, &iPeriod);
  }
  if (nMode == 4 && memcmp(zMode, "heap", 4) == 0) x.rate = iPeriod / 2;
  else if (nMode >= 7 && memcmp(zMode + nMode - 3, "_v2", 3) == 0) x.rate = iPeriod;
  else x.rate = 1; /* "heapprofile": every allocation was recorded */

  char zKind[64] = "heap_text", zName[128];
  for (int i = 2; i < 1000; i++) {
    snprintf(zName, sizeof zName, "profiles.%s.info", zKind);
    if (!hs_case_table(c, zName)) break;
    snprintf(zKind, sizeof zKind, "heap_text_%d", i);
  }
  if ((x.rc = make_tables(&x, zKind, x.rate)) != HS_OK) goto done;

  uint64_t iLine = 1;
  int bMemStats = 0, bCut = 0;
  for (;;) {
    if (!zNl) break;
    zLine = zNl + 1;
    if (zLine >= zEnd) break;
    iLine++;
    zNl = memchr(zLine, '\n', (size_t)(zEnd - zLine));
    zLineEnd = zNl ? zNl : zEnd;
    if (!zNl) {
      /* The last line has no newline: the file was cut inside it. */
      bCut = 1;
      break;
    }
    if ((iLine & 0xffff) == 0 && hs_checkpoint()) break;
    const char *zt = skip_space(zLine, zLineEnd);
    if (zt == zLineEnd) {
      commit(&x);
      continue;
    }
    if (*zt == '#') {
      const char *zAfter = zt + 1;
      const char *zs = skip_space(zAfter, zLineEnd);
      if (!bMemStats && zs < zLineEnd && *zs == '0') {
        if (!x.bPending) {
          bad_line(&x, iLine, "a record line `N: N [N: N] @ 0x...` before this frame");
        } else if (parse_frame(&x, zAfter, zLineEnd)) {
          bad_line(&x, iLine, "a frame `#\\t0xPC\\tfunction+0xOFF\\tfile:line`");
        }
      } else if (!bMemStats && expect(&zs, zLineEnd, "runtime.MemStats") == 0) {
        commit(&x);
        bMemStats = 1;
        pMs = calloc(1, sizeof *pMs);
        if (!pMs) {
          x.rc = HS_ENOMEM;
          break;
        }
        if ((x.rc = ms_begin(&x, pMs, iLine)) != HS_OK) {
          if (x.rc == HS_ERR) { /* memstats sealed: cannot happen while loading */
            x.rc = HS_OK;
            free(pMs);
            pMs = NULL;
          } else {
            break;
          }
        }
      } else if (bMemStats && pMs) {
        if (ms_line(&x, pMs, zAfter, zLineEnd))
          bad_line(&x, iLine, "a MemStats line `# Name = value`");
      } else if (!bMemStats) {
        bad_line(&x, iLine, "a frame line `#\\t0xPC ...` or `# runtime.MemStats`");
      }
      if (x.rc != HS_OK) break;
      continue;
    }
    if (bMemStats) {
      bad_line(&x, iLine, "a `# Name = value` line in the MemStats block");
      continue;
    }
    /* A record: "N: N [N: N] @ 0x... 0x..." */
    commit(&x);
    if (x.rc != HS_OK) break;
    uint64_t a[4];
    const char *zr = zLine;
    if (parse_counts(&zr, zLineEnd, a)) {
      bad_line(&x, iLine, "a record line `N: N [N: N] @ 0x...`");
      continue;
    }
    memcpy(x.aCount, a, sizeof a);
    x.nFrame = 0;
    x.bPending = 1;
    x.iRecLine = iLine;
  }
  if (bCut) {
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, iLine,
                 "heap profile text: the file ends inside line %llu (no newline); %s. "
                 "If it was cut short, fetch it again",
                 (unsigned long long)iLine,
                 x.bPending && !bMemStats ? "dropped the record that line belongs to"
                                          : "ignored that line");
    x.bPending = 0;
  }
  commit(&x);
  if (pMs && x.rc == HS_OK)
    x.rc = hs_memstats_add_pauses(c, pMs->r + 1, pMs->bPauseNs ? pMs->aPauseNs : NULL,
                                  pMs->bPauseEnd ? pMs->aPauseEnd : NULL, pMs->nNumGC);
  if (x.rc == HS_OK && bCut) x.rc = HS_ETRUNC;
done:
  if (x.rc == HS_ENOMEM)
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "heap profile text: out of memory");
  free(pMs);
  free(x.aFrame);
  hs_u64map_free(&x.mLoc);
  hs_u64map_free(&x.mFn);
  return x.rc;
}

const hs_loader hs_loader_heaptext = {"heaptext", "heap profile text (/debug/pprof/heap?debug=1)",
                                      sniff, load, "profiles.KIND.* memstats memstats.pauses", NULL, 0};
