/*
 * MemStats loader: runtime.MemStats as JSON, expvar's /debug/vars, and
 * JSON-lines series of either.
 *
 * The inputs this reads
 * ---------------------
 *   shape             what it looks like                          row per
 *   ----------------  ------------------------------------------  ---------
 *   MemStats JSON     {"Alloc":N,"TotalAlloc":N,...,"PauseNs":[256],  document
 *                     "PauseEnd":[256],"NumGC":N,...,"BySize":[61]}
 *                     (json.Marshal / MarshalIndent of a MemStats)
 *   expvar            {"cmdline":[...],"memstats":{...MemStats...}, document
 *                     ...other vars...}  (GET /debug/vars)
 *   JSON lines        one of the above per line, optionally with a   line
 *                     "time"/"ts"/"timestamp" key: an RFC 3339 string or
 *                     an epoch number (s, ms, us or ns, told apart by size)
 *   JSON array        [ {...}, {...} ] of the above                  element
 *
 * Any number of top-level values may follow one another (JSON lines is the
 * common case, but concatenated pretty-printed documents work the same): the
 * loader parses one value, records it, and starts again where it ended.
 * Field names are Go's (see memstats.h for the table); unknown keys are
 * ignored, so newer Go versions' extra fields do no harm.
 *
 * Why json-c and its tokener rather than a hand-written scanner or a
 * double-based parser: LastGC and PauseEnd are nanoseconds since 1970
 * (~1.8e18 > 2^53), so any parser that goes through double loses the low
 * bits; json-c stores integers as int64 (uint64 beyond INT64_MAX) and
 * json_object_get_uint64() returns them exactly.  Its tokener is a state
 * machine with an explicit, depth-limited stack (MS_MAX_DEPTH): hostile
 * nesting cannot recurse on the C stack.  It reports the byte where it
 * stopped (json_tokener_get_parse_end), which gives both the end of a value
 * in a concatenated stream and the place of a syntax error, and it tells a
 * value cut short (json_tokener_continue) from a malformed one.
 *
 * Errors and truncation: a malformed value is reported with its line and
 * byte offset, then the loader resynchronises at the next line that starts
 * with '{' in column 0 (top-level objects of JSON lines and of Go's
 * MarshalIndent output start there; nested ones are indented), so one bad
 * line of a series costs one row.  A value cut short at end of input is a
 * warning; every complete value before it is kept.
 *
 * Cost: one pass; memory is one parsed value at a time (json-c's tree is a
 * small constant factor of the value's text), so a series of any length
 * streams.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "heapscope/heapscope.h"
#include "base/base.h"
#include "formats/memstats.h"

#define MS_MAX_DEPTH 64   /* json-c nesting limit; expvar values nest a little */
#define MS_NPAUSE 256     /* length of Go's PauseNs/PauseEnd circular buffers */

/* ------------------------------------------------------------------ */
/* The shared table definition. */

const hs_colspec hs_memstats_cols[HS_MS_NCOL] = {
    {"Alloc", HS_U64, HS_COL_BYTES},        {"TotalAlloc", HS_U64, HS_COL_BYTES},
    {"Sys", HS_U64, HS_COL_BYTES},          {"Lookups", HS_U64, 0},
    {"Mallocs", HS_U64, 0},                 {"Frees", HS_U64, 0},
    {"HeapAlloc", HS_U64, HS_COL_BYTES},    {"HeapSys", HS_U64, HS_COL_BYTES},
    {"HeapIdle", HS_U64, HS_COL_BYTES},     {"HeapInuse", HS_U64, HS_COL_BYTES},
    {"HeapReleased", HS_U64, HS_COL_BYTES}, {"HeapObjects", HS_U64, 0},
    {"StackInuse", HS_U64, HS_COL_BYTES},   {"StackSys", HS_U64, HS_COL_BYTES},
    {"MSpanInuse", HS_U64, HS_COL_BYTES},   {"MSpanSys", HS_U64, HS_COL_BYTES},
    {"MCacheInuse", HS_U64, HS_COL_BYTES},  {"MCacheSys", HS_U64, HS_COL_BYTES},
    {"BuckHashSys", HS_U64, HS_COL_BYTES},  {"GCSys", HS_U64, HS_COL_BYTES},
    {"OtherSys", HS_U64, HS_COL_BYTES},     {"NextGC", HS_U64, HS_COL_BYTES},
    /* LastGC is ns since the epoch: the printer shows epoch values above
    ** 1e17 as ns, so HS_COL_EPOCH displays it as a date. */
    {"LastGC", HS_U64, HS_COL_EPOCH},                  {"PauseTotalNs", HS_U64, 0},
    {"NumGC", HS_U64, 0},                   {"NumForcedGC", HS_U64, 0},
    {"GCCPUFraction", HS_F64, 0},           {"EnableGC", HS_U64, 0},
    {"DebugGC", HS_U64, 0},                 {"MaxRSS", HS_U64, HS_COL_BYTES},
    {"time", HS_F64, HS_COL_EPOCH},         {"source", HS_STR, 0},
    {"line", HS_U64, 0},                    {"cmdline", HS_STR, 0},
};

const char *hs_memstats_colname(int i) {
  return i >= 0 && i < HS_MS_NCOL ? hs_memstats_cols[i].zName : NULL;
}

int hs_memstats_field(const char *zName, size_t n) {
  for (int i = 0; i <= HS_MS_DebugGC; i++)
    if (strlen(hs_memstats_cols[i].zName) == n && memcmp(hs_memstats_cols[i].zName, zName, n) == 0) return i;
  return -1;
}

int hs_memstats_table(hs_case *c, hs_table **ppTab, int aiCol[]) {
  hs_table *t = hs_table_open(c, "memstats", "one row per runtime.MemStats snapshot; columns "
                              "are Go's field names (bytes, counts, LastGC in ns since the "
                              "epoch); time: epoch seconds (0: unknown)",
                              hs_memstats_cols, HS_MS_NCOL, aiCol);
  *ppTab = t;
  if (t) return HS_OK;
  t = hs_case_table(c, "memstats");
  return t && t->bSealed ? HS_ERR : HS_ENOMEM;
}

int hs_memstats_add_pauses(hs_case *c, uint64_t iSnap, const uint64_t *aPauseNs,
                           const uint64_t *aPauseEnd, uint64_t nNumGC) {
  static const hs_colspec aCol[] = {{"snapshot", HS_U64, 0}, {"gc", HS_U64, 0},
                                     {"index", HS_U64, 0}, {"pause_ns", HS_U64, 0},
                                     {"end_ns", HS_U64, HS_COL_EPOCH}};
  int aiCol[HS_NCOL(aCol)];
  if (nNumGC == 0 || (!aPauseNs && !aPauseEnd)) return HS_OK;
  hs_table *t = hs_table_open(c, "memstats.pauses",
                               "GC pauses of a MemStats snapshot (its PauseNs/PauseEnd ring): "
                               "snapshot = row of memstats, gc = cycle number (1-based), "
                               "pause_ns, end_ns = ns since the epoch", aCol, HS_NCOL(aCol), aiCol);
  if (!t) return HS_ENOMEM;
  uint64_t nValid = nNumGC < MS_NPAUSE ? nNumGC : MS_NPAUSE;
  for (uint64_t gc = nNumGC - nValid + 1; gc <= nNumGC && gc != 0; gc++) {
    uint64_t idx = (gc - 1) % MS_NPAUSE;
    uint64_t r = hs_table_add_row(t);
    if (r == UINT64_MAX) return HS_ENOMEM;
    hs_table_set_u64(t, aiCol[0], r, iSnap);
    hs_table_set_u64(t, aiCol[1], r, gc);
    hs_table_set_u64(t, aiCol[2], r, idx);
    hs_table_set_u64(t, aiCol[3], r, aPauseNs ? aPauseNs[idx] : 0);
    hs_table_set_u64(t, aiCol[4], r, aPauseEnd ? aPauseEnd[idx] : 0);
  }
  return HS_OK;
}

/* ------------------------------------------------------------------ */
/* Times. */

/* An epoch number in s, ms, us or ns: told apart by magnitude (seconds
** reach 1e11 only in the year 5138, ms reach 1e14 in 5138, and so on). */
static double epoch_seconds(double v) {
  if (!(v > 0) || !isfinite(v)) return 0;
  if (v >= 1e17) return v / 1e9;
  if (v >= 1e14) return v / 1e6;
  if (v >= 1e11) return v / 1e3;
  return v;
}

static double json_time(json_object *o) {
  double t = 0;
  switch (json_object_get_type(o)) {
    case json_type_int:
      return epoch_seconds((double)json_object_get_uint64(o));
    case json_type_double:
      return epoch_seconds(json_object_get_double(o));
    case json_type_string: {
      const char *z = json_object_get_string(o);
      size_t n = (size_t)json_object_get_string_len(o);
      if (hs_parse_rfc3339(z, n, HS_TIME_STRICT, &t)) return t;
      char *zEnd;
      double v = strtod(z, &zEnd);
      if (n > 0 && zEnd == z + n) return epoch_seconds(v);
      return 0;
    }
    default:
      return 0;
  }
}

/* ------------------------------------------------------------------ */
/* Loading. */

typedef struct ms_load {
  hs_case *c;
  hs_input *in;
  hs_table *t;            /* memstats */
  int aiCol[HS_MS_NCOL];  /* its columns by HS_MS_ slot */
  uint64_t nRow;          /* snapshots this input added */
  uint64_t nSkipped;      /* JSON values without MemStats fields */
  uint64_t nBad;          /* values that did not parse */
  int rc;                 /* HS_ENOMEM once memory ran out */
} ms_load;

static uint64_t json_u64(json_object *o) {
  switch (json_object_get_type(o)) {
    case json_type_int:
      return json_object_get_uint64(o); /* exact; negative -> 0 */
    case json_type_double: {
      double v = json_object_get_double(o);
      if (!(v > 0)) return 0;
      return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
    }
    case json_type_boolean:
      return json_object_get_boolean(o) ? 1 : 0;
    case json_type_string:
      return strtoull(json_object_get_string(o), NULL, 10);
    default:
      return 0;
  }
}

/* Copy a JSON array of integers into a[0..MS_NPAUSE-1]; 1 if it was one. */
static int json_ring(json_object *o, uint64_t *a) {
  if (!json_object_is_type(o, json_type_array)) return 0;
  size_t n = json_object_array_length(o);
  memset(a, 0, MS_NPAUSE * sizeof *a);
  for (size_t i = 0; i < n && i < MS_NPAUSE; i++) a[i] = json_u64(json_object_array_get_idx(o, i));
  return 1;
}

static void ms_diag(ms_load *p, hs_level lvl, uint64_t iOff, uint64_t iLine, const char *zMsg) {
  if (iOff != UINT64_MAX)
    hs_case_diag(p->c, lvl, p->in->zName, iOff, iLine, "byte offset %llu: %s",
                 (unsigned long long)iOff, zMsg);
  else
    hs_case_diag(p->c, lvl, p->in->zName, iOff, iLine, "%s", zMsg);
}

static int has_memstats_key(json_object *o) {
  json_object_object_foreach(o, zKey, pVal) {
    (void)pVal;
    if (hs_memstats_field(zKey, strlen(zKey)) >= 0 || strcmp(zKey, "PauseNs") == 0 ||
        strcmp(zKey, "BySize") == 0)
      return 1;
  }
  return 0;
}

static double find_time(json_object *o) {
  static const char *const azKey[] = {"time", "ts", "timestamp"};
  json_object *v;
  for (int i = 0; i < 3; i++)
    if (json_object_object_get_ex(o, azKey[i], &v)) return json_time(v);
  return 0;
}

/* Record BySize (an array of {"Size","Mallocs","Frees"}) of snapshot iSnap. */
static int add_by_size(ms_load *p, uint64_t iSnap, json_object *a) {
  static const hs_colspec aCol[] = {{"snapshot", HS_U64, 0}, {"size", HS_U64, HS_COL_BYTES},
                                     {"mallocs", HS_U64, 0}, {"frees", HS_U64, 0}};
  int aiCol[HS_NCOL(aCol)];
  size_t n = json_object_array_length(a);
  if (n == 0) return HS_OK;
  hs_table *t = hs_table_open(p->c, "memstats.by_size",
                               "MemStats.BySize of a snapshot: snapshot = row of memstats, "
                               "size class (bytes), mallocs, frees", aCol, HS_NCOL(aCol), aiCol);
  if (!t) return HS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i), *v;
    if (!json_object_is_type(e, json_type_object)) continue;
    uint64_t r = hs_table_add_row(t);
    if (r == UINT64_MAX) return HS_ENOMEM;
    hs_table_set_u64(t, aiCol[0], r, iSnap);
    if (json_object_object_get_ex(e, "Size", &v)) hs_table_set_u64(t, aiCol[1], r, json_u64(v));
    if (json_object_object_get_ex(e, "Mallocs", &v)) hs_table_set_u64(t, aiCol[2], r, json_u64(v));
    if (json_object_object_get_ex(e, "Frees", &v)) hs_table_set_u64(t, aiCol[3], r, json_u64(v));
  }
  return HS_OK;
}

/* expvar's cmdline (an array of strings) joined by spaces; malloc'd or NULL. */
static char *join_cmdline(json_object *a) {
  if (!json_object_is_type(a, json_type_array)) return NULL;
  size_t n = json_object_array_length(a), nOut = 1;
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (json_object_is_type(e, json_type_string)) nOut += (size_t)json_object_get_string_len(e) + 1;
  }
  char *z = malloc(nOut), *q = z;
  if (!z) return NULL;
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (!json_object_is_type(e, json_type_string)) continue;
    size_t k = (size_t)json_object_get_string_len(e);
    if (q != z) *q++ = ' ';
    memcpy(q, json_object_get_string(e), k);
    q += k;
  }
  *q = 0;
  return z;
}

/* One JSON object: a MemStats, or an expvar document holding one.  Adds a
** row (and its pauses and size classes); counts it as skipped otherwise. */
static void ms_object(ms_load *p, json_object *o, uint64_t iLine) {
  json_object *pStats = o, *v;
  if (json_object_object_get_ex(o, "memstats", &v) && json_object_is_type(v, json_type_object))
    pStats = v;
  if (!has_memstats_key(pStats)) {
    p->nSkipped++;
    return;
  }
  if (!p->t && (p->rc = hs_memstats_table(p->c, &p->t, p->aiCol)) != HS_OK) return;
  hs_table *t = p->t;
  uint64_t r = hs_table_add_row(t);
  if (r == UINT64_MAX) {
    p->rc = HS_ENOMEM;
    return;
  }
  uint64_t aPauseNs[MS_NPAUSE], aPauseEnd[MS_NPAUSE], nNumGC = 0;
  int bPauseNs = 0, bPauseEnd = 0;
  json_object *pBySize = NULL;
  json_object_object_foreach(pStats, zKey, pVal) {
    int i = hs_memstats_field(zKey, strlen(zKey));
    if (i == HS_MS_GCCPUFraction) {
      hs_table_set_f64(t, p->aiCol[i], r, json_object_get_double(pVal));
    } else if (i >= 0) {
      uint64_t x = json_u64(pVal);
      hs_table_set_u64(t, p->aiCol[i], r, x);
      if (i == HS_MS_NumGC) nNumGC = x;
    } else if (strcmp(zKey, "PauseNs") == 0) {
      bPauseNs = json_ring(pVal, aPauseNs);
    } else if (strcmp(zKey, "PauseEnd") == 0) {
      bPauseEnd = json_ring(pVal, aPauseEnd);
    } else if (strcmp(zKey, "BySize") == 0 && json_object_is_type(pVal, json_type_array)) {
      pBySize = pVal;
    }
  }
  double tm = find_time(o);
  if (tm == 0 && pStats != o) tm = find_time(pStats);
  hs_table_set_f64(t, p->aiCol[HS_MS_time], r, tm);
  hs_table_set_strz(t, p->aiCol[HS_MS_source], r, p->in->zName);
  hs_table_set_u64(t, p->aiCol[HS_MS_line], r, iLine);
  if (json_object_object_get_ex(o, "cmdline", &v)) {
    char *z = join_cmdline(v);
    if (z) hs_table_set_strz(t, p->aiCol[HS_MS_cmdline], r, z);
    free(z);
  }
  p->nRow++;
  uint64_t iSnap = r + 1;
  int rc = hs_memstats_add_pauses(p->c, iSnap, bPauseNs ? aPauseNs : NULL,
                                  bPauseEnd ? aPauseEnd : NULL, nNumGC);
  if (rc == HS_OK && pBySize) rc = add_by_size(p, iSnap, pBySize);
  if (rc != HS_OK) p->rc = rc;
}

/* A top-level value: an object, or an array of objects (one level only). */
static void ms_value(ms_load *p, json_object *o, uint64_t iLine) {
  if (json_object_is_type(o, json_type_object)) {
    ms_object(p, o, iLine);
  } else if (json_object_is_type(o, json_type_array)) {
    size_t n = json_object_array_length(o);
    for (size_t i = 0; i < n && p->rc == HS_OK; i++) {
      json_object *e = json_object_array_get_idx(o, i);
      if (json_object_is_type(e, json_type_object))
        ms_object(p, e, iLine);
      else
        p->nSkipped++;
    }
  } else {
    p->nSkipped++;
  }
}

/* Newlines in z[0..n) (memchr runs at memory speed). */
static size_t count_nl(const char *z, size_t n) {
  size_t k = 0;
  const char *e = z + n;
  while (z < e && (z = memchr(z, '\n', e - z)) != NULL) {
    k++;
    z++;
  }
  return k;
}

/* Line of byte x, given that byte *piAt is on line *piLine; moves the mark
** to x.  Positions may go backwards (after a malformed value the scan
** resumes before where json-c stopped), so count in either direction. */
static uint64_t line_at(const char *z, uint64_t *piLine, uint64_t *piAt, uint64_t x) {
  if (x >= *piAt)
    *piLine += count_nl(z + *piAt, x - *piAt);
  else
    *piLine -= count_nl(z + x, *piAt - x);
  *piAt = x;
  return *piLine;
}

static int load(hs_case *c, hs_input *in) {
  ms_load s = {.c = c, .in = in};
  const char *z = (const char *)in->p;
  uint64_t n = in->n, i = 0, iLine = 1, iLineAt = 0; /* iLine is the line of byte iLineAt */
  uint64_t nValue = 0;
  int rc = HS_OK, bTrunc = 0;
  json_tokener *tok = json_tokener_new_ex(MS_MAX_DEPTH);
  if (!tok) return HS_ENOMEM;
  if (n >= 3 && memcmp(z, "\xef\xbb\xbf", 3) == 0) i = iLineAt = 3; /* UTF-8 BOM */
#define LINE_AT(x) line_at(z, &iLine, &iLineAt, (x))
  while (i < n && s.rc == HS_OK) {
    while (i < n && (z[i] == ' ' || z[i] == '\t' || z[i] == '\r' || z[i] == '\n')) i++;
    if (i >= n) break;
    uint64_t iStart = i, iStartLine = LINE_AT(i);
    if ((++nValue & 0xfff) == 0 && hs_checkpoint()) {
      ms_diag(&s, HS_WARNING, UINT64_MAX, iStartLine, "interrupted; the snapshots before this "
                                                      "line were kept");
      break;
    }
    json_object *o = NULL;
    enum json_tokener_error e = json_tokener_error_parse_unexpected;
    uint64_t iEnd = i;
    if (z[i] == '{' || z[i] == '[') {
      json_tokener_reset(tok);
      int nLen = n - i > INT_MAX ? INT_MAX : (int)(n - i);
      o = json_tokener_parse_ex(tok, z + i, nLen);
      e = json_tokener_get_error(tok);
      iEnd = i + json_tokener_get_parse_end(tok);
    }
    if (o) {
      ms_value(&s, o, iStartLine);
      json_object_put(o);
      i = iEnd > iStart ? iEnd : iStart + 1;
      continue;
    }
    if (e == json_tokener_continue) {
      char zMsg[200];
      snprintf(zMsg, sizeof zMsg,
               "the input ends (at byte %llu) inside the JSON value that starts here "
               "(truncated file?); the %llu complete snapshot%s before it were kept",
               (unsigned long long)n, (unsigned long long)s.nRow, s.nRow == 1 ? "" : "s");
      ms_diag(&s, HS_WARNING, iStart, iStartLine, zMsg);
      s.nBad++;
      bTrunc = 1;
      break;
    }
    /* Malformed: report where json-c stopped, then resynchronise. */
    {
      char zMsg[300];
      if (iEnd >= n) iEnd = n ? n - 1 : 0;
      if (z[iStart] != '{' && z[iStart] != '[')
        snprintf(zMsg, sizeof zMsg,
                 "expected a JSON object ('{') holding runtime.MemStats fields, found '%c'; "
                 "skipping to the next line that starts with '{'",
                 isprint((unsigned char)z[iStart]) ? z[iStart] : '?');
      else
        snprintf(zMsg, sizeof zMsg,
                 "malformed JSON (%s) in the value that starts on line %llu; "
                 "skipping to the next line that starts with '{'",
                 json_tokener_error_desc(e), (unsigned long long)iStartLine);
      ms_diag(&s, HS_ERROR, iEnd, LINE_AT(iEnd), zMsg);
      s.nBad++;
    }
    i = iStart + 1;
    while (i < n && !(z[i] == '{' && z[i - 1] == '\n')) i++;
  }
#undef LINE_AT
  json_tokener_free(tok);
  if (s.rc != HS_OK) {
    rc = s.rc;
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 rc == HS_ENOMEM ? "out of memory while loading MemStats"
                                 : "the memstats table is already sealed; load inputs before use");
    goto done;
  }
  if (s.nSkipped > 0 && s.nRow > 0)
    hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                 "%llu JSON value%s without runtime.MemStats fields skipped",
                 (unsigned long long)s.nSkipped, s.nSkipped == 1 ? "" : "s");
  if (s.nRow == 0) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "no runtime.MemStats snapshot found: expected a JSON object with Go's MemStats "
                 "keys (\"HeapAlloc\", \"Sys\", ...), expvar output with a \"memstats\" key, or "
                 "JSON lines of those");
    rc = HS_EFORMAT;
    goto done;
  }
  rc = bTrunc ? HS_ETRUNC : HS_OK;
done:
  return rc;
}

/* ------------------------------------------------------------------ */
/* Sniffing: a JSON object (or array, or JSON lines) that names MemStats
** fields.  expvar output whose "memstats" key lies beyond the first 64 KiB
** is still recognised by the "cmdline" key expvar always writes first. */

static int sniff(const uint8_t *p, size_t n) {
  size_t i = 0;
  if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) i = 3;
  while (i < n && isspace(p[i])) i++;
  if (i >= n || (p[i] != '{' && p[i] != '[')) return 0;
  const char *z = (const char *)p;
  int bHeap = memmem(z, n, "\"HeapAlloc\"", 11) != NULL;
  int bOther = memmem(z, n, "\"Mallocs\"", 9) || memmem(z, n, "\"TotalAlloc\"", 12) ||
               memmem(z, n, "\"HeapSys\"", 9) || memmem(z, n, "\"NumGC\"", 7);
  if (bHeap && bOther) return 95;
  if (bHeap || bOther) return 70;
  const char *q = memmem(z, n, "\"memstats\"", 10);
  if (q) {
    q += 10;
    while (q < z + n && isspace((unsigned char)*q)) q++;
    if (q < z + n && *q == ':') return 80;
  }
  q = z + i + 1;
  while (q < z + n && isspace((unsigned char)*q)) q++;
  if ((size_t)(z + n - q) >= 10 && memcmp(q, "\"cmdline\":", 10) == 0) return 50;
  return 0;
}

const hs_loader hs_loader_memstats = {
    "memstats", "runtime.MemStats as JSON, expvar /debug/vars, or JSON lines of them",
    sniff, load, "memstats memstats.pauses memstats.by_size", NULL, 0};
