/*
 * Prometheus text exposition loader (format 0.0.4, what client_golang's
 * promhttp serves on /metrics): the Go collector's go_memstats_*,
 * go_gc_duration_seconds, go_goroutines, go_threads, go_info, process_*,
 * and any other metric, one scrape or several concatenated.
 *
 * The format, one item per line ('\n'; a trailing '\r' is ignored)
 * ----------------------------------------------------------------
 *   line                                    meaning
 *   --------------------------------------  -------------------------------
 *   # HELP <name> <text>                    doc of family <name>; text
 *                                           escapes \\ and \n
 *   # TYPE <name> <type>                    counter|gauge|summary|histogram|
 *                                           untyped (OpenMetrics adds more)
 *   # heapscope-capture: scrape N at <T>    our capture scripts' marker: a
 *                                           new scrape starts, taken at T
 *                                           (RFC 3339)
 *   # <anything else>, empty line           ignored (# EOF of OpenMetrics too)
 *   <name>[{l="v",...}] <value> [<ts>]      a sample: name [a-zA-Z_:][a-zA-Z0-9_:]*,
 *                                           label values escape \\ \" \n, value a
 *                                           Go float (+Inf, -Inf, NaN too), ts
 *                                           integer ms since the epoch
 *                                           (OpenMetrics: seconds, and an
 *                                           exemplar `# {...} v` may follow,
 *                                           ignored; # EOF, # UNIT ignored)
 *
 * A summary's samples are <name>{quantile="q"}, <name>_sum, <name>_count; a
 * histogram's <name>_bucket{le="b"}, _sum, _count.  They take the family's
 * type and help.
 *
 * Scrapes.  Concatenated scrapes repeat every series, so a new scrape starts
 * (a) at a `# heapscope-capture:` line, (b) when a sample's name and labels
 * repeat within the current scrape, or (c) when a family's # TYPE or # HELP
 * repeats within it.  Scrapes are numbered 1, 2, ... per case (a second
 * file continues the numbering).
 *
 * Tables
 *   metrics   scrape u64, name str, labels str (canonical: `{a="b",c="d"}`
 *             sorted by label name, Go's escapes; "" when none), value f64,
 *             timestamp f64 (epoch s: the sample's own, else the scrape's
 *             capture time, else 0), type str, help str, source str, line u64
 *   memstats  one row per scrape that has go_memstats_* samples, with
 *             client_golang's metrics mapped back to Go's MemStats names
 *             where the mapping is 1:1 (aMap below); the rest stay 0.
 *             LastGC comes from a float of seconds, so only its top ~16
 *             digits are exact (the JSON loader keeps all 19).
 *
 * Errors: a line that is not a sample or a known comment is reported with
 * its line number and what was expected, then skipped.  Every line of the
 * format ends in '\n', so a last line without one is a file cut short: its
 * sample is dropped with a warning (its value may have lost digits) and
 * every complete line before it is kept.
 * Cost: one pass; per sample one canonicalisation (labels sorted by
 * insertion, at most PROM_MAX_LABELS) and O(1) hash probes.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "base/base.h"
#include "formats/memstats.h"

#define PROM_MAX_LABELS 64
#define PROM_MAX_LINE (1u << 20) /* longer "lines" are garbage, not samples */

/* client_golang's Go collector metric -> MemStats slot and scale. */
static const struct {
  const char *zName;
  int iSlot;
  double scale;
} aMap[] = {
    {"go_memstats_alloc_bytes", HS_MS_Alloc, 1},
    {"go_memstats_alloc_bytes_total", HS_MS_TotalAlloc, 1},
    {"go_memstats_sys_bytes", HS_MS_Sys, 1},
    {"go_memstats_lookups_total", HS_MS_Lookups, 1},
    {"go_memstats_mallocs_total", HS_MS_Mallocs, 1},
    {"go_memstats_frees_total", HS_MS_Frees, 1},
    {"go_memstats_heap_alloc_bytes", HS_MS_HeapAlloc, 1},
    {"go_memstats_heap_sys_bytes", HS_MS_HeapSys, 1},
    {"go_memstats_heap_idle_bytes", HS_MS_HeapIdle, 1},
    {"go_memstats_heap_inuse_bytes", HS_MS_HeapInuse, 1},
    {"go_memstats_heap_released_bytes", HS_MS_HeapReleased, 1},
    {"go_memstats_heap_objects", HS_MS_HeapObjects, 1},
    {"go_memstats_stack_inuse_bytes", HS_MS_StackInuse, 1},
    {"go_memstats_stack_sys_bytes", HS_MS_StackSys, 1},
    {"go_memstats_mspan_inuse_bytes", HS_MS_MSpanInuse, 1},
    {"go_memstats_mspan_sys_bytes", HS_MS_MSpanSys, 1},
    {"go_memstats_mcache_inuse_bytes", HS_MS_MCacheInuse, 1},
    {"go_memstats_mcache_sys_bytes", HS_MS_MCacheSys, 1},
    {"go_memstats_buck_hash_sys_bytes", HS_MS_BuckHashSys, 1},
    {"go_memstats_gc_sys_bytes", HS_MS_GCSys, 1},
    {"go_memstats_other_sys_bytes", HS_MS_OtherSys, 1},
    {"go_memstats_next_gc_bytes", HS_MS_NextGC, 1},
    {"go_memstats_last_gc_time_seconds", HS_MS_LastGC, 1e9},
    {"go_memstats_gc_cpu_fraction", HS_MS_GCCPUFraction, 1},
    /* go_gc_duration_seconds is built from debug.ReadGCStats: its count is
    ** NumGC and its sum PauseTotal. */
    {"go_gc_duration_seconds_count", HS_MS_NumGC, 1},
    {"go_gc_duration_seconds_sum", HS_MS_PauseTotalNs, 1e9},
};

/* ------------------------------------------------------------------ */
/* Lexing one sample line; shared by the sniffer and the loader. */

typedef struct prom_label {
  const char *zName; size_t nName;   /* label name, in the input */
  const char *zVal; size_t nVal;     /* raw value between the quotes (escaped) */
} prom_label;

typedef struct prom_sample {
  const char *zName; size_t nName;
  int nLabel;
  prom_label aLabel[PROM_MAX_LABELS];
  double value;
  int bTs;            /* a timestamp followed the value */
  double tsSec;       /* it, in seconds since the epoch */
  const char *zErr;   /* what was expected, when parsing failed */
} prom_sample;

static int is_name0(int ch) { return isalpha(ch) || ch == '_' || ch == ':'; }
static int is_name(int ch) { return isalnum(ch) || ch == '_' || ch == ':'; }

/* z[0..n) as a NUL-terminated string in zBuf (nBuf bytes): 1, or 0 when
** it is empty or does not fit. */
static int copy_token(const char *z, size_t n, char *zBuf, size_t nBuf) {
  if (n == 0 || n >= nBuf) return 0;
  memcpy(zBuf, z, n);
  zBuf[n] = 0;
  return 1;
}

/* Parse a Go float from z[0..n) exactly (no read past n).  1 on success. */
static int parse_float(const char *z, size_t n, double *pV) {
  char zBuf[64], *e;
  if (!copy_token(z, n, zBuf, sizeof zBuf)) return 0;
  /* strtod also takes hex floats and "infinity"; Go's ParseFloat does too. */
  *pV = strtod(zBuf, &e);
  return e == zBuf + n;
}

static int parse_i64(const char *z, size_t n, int64_t *pV) {
  char zBuf[32], *e;
  if (!copy_token(z, n, zBuf, sizeof zBuf)) return 0;
  long long v = strtoll(zBuf, &e, 10);
  if (e != zBuf + n) return 0;
  *pV = v;
  return 1;
}

/* Parse a sample line z[0..n) (no newline).  Returns 1, or 0 with s->zErr. */
static int parse_sample(const char *z, size_t n, prom_sample *s) {
  size_t i = 0;
  s->nLabel = 0;
  s->bTs = 0;
  s->zErr = NULL;
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  if (i >= n || !is_name0((unsigned char)z[i])) {
    s->zErr = "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or a # comment";
    return 0;
  }
  s->zName = z + i;
  while (i < n && is_name((unsigned char)z[i])) i++;
  s->nName = (size_t)(z + i - s->zName);
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  if (i < n && z[i] == '{') {
    i++;
    for (;;) {
      while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
      if (i < n && z[i] == '}') {
        i++;
        break;
      }
      if (i >= n || !is_name0((unsigned char)z[i])) {
        s->zErr = "expected a label name or '}' in the label set";
        return 0;
      }
      if (s->nLabel == PROM_MAX_LABELS) {
        s->zErr = "more than 64 labels on one sample";
        return 0;
      }
      prom_label *l = &s->aLabel[s->nLabel++];
      l->zName = z + i;
      while (i < n && is_name((unsigned char)z[i])) i++;
      l->nName = (size_t)(z + i - l->zName);
      while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
      if (i >= n || z[i] != '=') {
        s->zErr = "expected '=' after a label name";
        return 0;
      }
      i++;
      while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
      if (i >= n || z[i] != '"') {
        s->zErr = "expected '\"' to open a label value";
        return 0;
      }
      i++;
      l->zVal = z + i;
      while (i < n && z[i] != '"') i += (z[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i >= n) {
        s->zErr = "label value not closed by '\"' before the end of the line";
        return 0;
      }
      l->nVal = (size_t)(z + i - l->zVal);
      i++;
      while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
      if (i < n && z[i] == ',') i++;
      else if (!(i < n && z[i] == '}')) {
        s->zErr = "expected ',' or '}' after a label value";
        return 0;
      }
    }
  }
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  size_t iVal = i;
  while (i < n && z[i] != ' ' && z[i] != '\t') i++;
  if (i == iVal) {
    s->zErr = "expected a value (a number, +Inf, -Inf or NaN) after the metric name";
    return 0;
  }
  if (!parse_float(z + iVal, i - iVal, &s->value)) {
    s->zErr = "the value is not a number (expected e.g. 42, 1.5e+07, +Inf, NaN)";
    return 0;
  }
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  if (i < n && z[i] != '#') {
    size_t iTs = i;
    while (i < n && z[i] != ' ' && z[i] != '\t') i++;
    int64_t iMs;
    double d;
    if (parse_i64(z + iTs, i - iTs, &iMs)) {
      /* 0.0.4: integer ms; OpenMetrics: seconds.  Told apart by size
      ** (1e11 s is the year 5138; 1e11 ms is 1973). */
      s->tsSec = (iMs >= 100000000000LL || iMs <= -100000000000LL) ? (double)iMs / 1000.0
                                                                     : (double)iMs;
    } else if (parse_float(z + iTs, i - iTs, &d) && d == d) {
      s->tsSec = d; /* OpenMetrics: float seconds */
    } else {
      s->zErr = "expected a timestamp (integer ms, or seconds) or nothing after the value";
      return 0;
    }
    s->bTs = 1;
    while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  }
  /* OpenMetrics exemplar: `# {trace_id="..."} 1 [ts]` -- ignored */
  if (i < n && z[i] != '#') {
    s->zErr = "unexpected text after the timestamp";
    return 0;
  }
  return 1;
}

static int starts(const char *z, size_t n, const char *zPre) {
  size_t k = strlen(zPre);
  return n >= k && memcmp(z, zPre, k) == 0;
}

/* ------------------------------------------------------------------ */
/* Loader state. */

typedef struct prom_family {
  uint32_t idName, idType, idHelp;
  uint64_t iTypeScrape, iHelpScrape; /* scrape where # TYPE / # HELP last seen */
} prom_family;

enum { M_SCRAPE, M_NAME, M_LABELS, M_VALUE, M_TS, M_TYPE, M_HELP, M_SOURCE, M_LINE, M_NCOL };
static const hs_colspec aMetricsCol[M_NCOL] = {
    {"scrape", HS_U64, 0}, {"name", HS_STR, 0},  {"labels", HS_STR, 0},
    {"value", HS_F64, 0},  {"timestamp", HS_F64, HS_COL_EPOCH},
    {"type", HS_STR, 0},   {"help", HS_STR, 0},  {"source", HS_STR, 0},
    {"line", HS_U64, 0}};

typedef struct prom_load {
  hs_case *c;
  hs_input *in;
  hs_table *t;
  int aiCol[M_NCOL];      /* metrics column indices by M_x */
  prom_family *aFam;
  uint32_t nFam, nFamCap;
  hs_u64map mFam;         /* name id -> index in aFam */
  /* (name id, labels id) -> the last scrape (iGen, >= 1) that held it, so
  ** starting a scrape costs O(1), not a clear of the set (a file where
  ** every line starts a scrape stays linear) */
  hs_u64map mSeen;
  uint64_t iGen;
  /* the current scrape */
  uint64_t iCur;          /* scrape number in the case */
  int bStarted;           /* this input has started a scrape */
  uint64_t nCurSample;    /* samples in it so far */
  uint64_t iCurLine;      /* line where it started */
  double tCur;            /* capture time, 0 if unknown */
  double tFirstTs;        /* first sample timestamp in it, 0 if none */
  double aMs[HS_MS_NCOL]; /* go_memstats_* values */
  uint8_t aMsSet[HS_MS_NCOL];
  int bMs;
  uint64_t nSample, nBadLine;
  char *zBuf;             /* canonical label scratch */
  size_t nBufCap;
} prom_load;

static prom_family *family(prom_load *p, uint32_t idName, int bCreate) {
  uint64_t i;
  if (hs_u64map_get(&p->mFam, idName, &i)) return &p->aFam[i];
  if (!bCreate) return NULL;
  if (p->nFam == p->nFamCap && HS_GROW(p->aFam, p->nFamCap, 64)) return NULL;
  if (hs_u64map_put(&p->mFam, idName, p->nFam) != HS_OK) return NULL;
  prom_family *f = &p->aFam[p->nFam++];
  memset(f, 0, sizeof *f);
  f->idName = idName;
  return f;
}

/* Note key in the current scrape; 1 if it was already there, 0 if added,
** -1 on OOM. */
static int seen_add(prom_load *p, uint64_t key) {
  int bNew;
  uint64_t *pGen = hs_u64map_upsert(&p->mSeen, key, &bNew);
  if (!pGen) return -1;
  if (!bNew && *pGen == p->iGen) return 1;
  *pGen = p->iGen;
  return 0;
}

static void diag(prom_load *p, hs_level lvl, uint64_t iLine, const char *zFmt, const char *zArg) {
  hs_case_diag(p->c, lvl, p->in->zName, UINT64_MAX, iLine, zFmt, zArg);
}

/* End the current scrape: write its memstats row if it had go_memstats_*. */
static int end_scrape(prom_load *p) {
  int rc = HS_OK;
  if (p->bMs) {
    hs_table *t;
    int aiCol[HS_MS_NCOL];
    rc = hs_memstats_table(p->c, &t, aiCol);
    if (rc != HS_OK) return rc;
    uint64_t r = hs_table_add_row(t);
    if (r == UINT64_MAX) return HS_ENOMEM;
    for (int i = 0; i < HS_MS_NCOL; i++) {
      if (!p->aMsSet[i]) continue;
      double v = p->aMs[i];
      if (i == HS_MS_GCCPUFraction)
        hs_table_set_f64(t, aiCol[i], r, v);
      else if (v > 0 && v < 18446744073709551615.0)
        hs_table_set_u64(t, aiCol[i], r, (uint64_t)llround(v));
    }
    hs_table_set_f64(t, aiCol[HS_MS_time], r, p->tCur ? p->tCur : p->tFirstTs);
    hs_table_set_strz(t, aiCol[HS_MS_source], r, p->in->zName);
    hs_table_set_u64(t, aiCol[HS_MS_line], r, p->iCurLine);
  }
  p->bMs = 0;
  memset(p->aMsSet, 0, sizeof p->aMsSet);
  p->iGen++;
  return rc;
}

static int new_scrape(prom_load *p, uint64_t iLine) {
  int rc = p->bStarted ? end_scrape(p) : HS_OK;
  p->bStarted = 1;
  p->iCur++;
  p->nCurSample = 0;
  p->iCurLine = iLine;
  p->tCur = 0;
  p->tFirstTs = 0;
  return rc;
}

/* Canonical label text into p->zBuf: sorted by name, re-escaped. */
static int canon_labels(prom_load *p, prom_sample *s, size_t *pn) {
  /* insertion sort: label sets are small (bounded by PROM_MAX_LABELS) */
  for (int i = 1; i < s->nLabel; i++) {
    prom_label x = s->aLabel[i];
    int j = i - 1;
    while (j >= 0) {
      prom_label *y = &s->aLabel[j];
      size_t k = x.nName < y->nName ? x.nName : y->nName;
      int c = memcmp(x.zName, y->zName, k);
      if (c > 0 || (c == 0 && x.nName >= y->nName)) break;
      s->aLabel[j + 1] = *y;
      j--;
    }
    s->aLabel[j + 1] = x;
  }
  size_t nNeed = 3;
  for (int i = 0; i < s->nLabel; i++) nNeed += s->aLabel[i].nName + 2 * s->aLabel[i].nVal + 4;
  if (nNeed > p->nBufCap) {
    char *z = realloc(p->zBuf, nNeed);
    if (!z) return HS_ENOMEM;
    p->zBuf = z;
    p->nBufCap = nNeed;
  }
  size_t k = 0;
  if (s->nLabel) p->zBuf[k++] = '{';
  for (int i = 0; i < s->nLabel; i++) {
    prom_label *l = &s->aLabel[i];
    if (i) p->zBuf[k++] = ',';
    memcpy(p->zBuf + k, l->zName, l->nName);
    k += l->nName;
    p->zBuf[k++] = '=';
    p->zBuf[k++] = '"';
    /* input escapes \\ \" \n pass through; anything else escaped is kept
    ** literally, and a bare newline cannot occur (lines end there) */
    for (size_t j = 0; j < l->nVal; j++) {
      char ch = l->zVal[j];
      if (ch == '\\' && j + 1 < l->nVal) {
        p->zBuf[k++] = '\\';
        p->zBuf[k++] = l->zVal[++j];
      } else if (ch == '\\') {
        p->zBuf[k++] = '\\';
        p->zBuf[k++] = '\\';
      } else {
        p->zBuf[k++] = ch;
      }
    }
    p->zBuf[k++] = '"';
  }
  if (s->nLabel) p->zBuf[k++] = '}';
  *pn = k;
  return HS_OK;
}

/* The family a sample belongs to: its own name, or the name without a
** summary/histogram/counter suffix when that family was declared. */
static prom_family *sample_family(prom_load *p, const char *z, size_t n) {
  static const char *const azSuffix[] = {"_sum", "_count", "_bucket", "_total", "_created"};
  uint32_t id = hs_str_intern(p->c->pStr, z, n);
  prom_family *f = id == UINT32_MAX ? NULL : family(p, id, 0);
  if (f && f->idType) return f;
  for (int i = 0; i < 5; i++) {
    size_t k = strlen(azSuffix[i]);
    if (n > k && memcmp(z + n - k, azSuffix[i], k) == 0) {
      uint32_t idBase = hs_str_intern(p->c->pStr, z, n - k);
      prom_family *g = idBase == UINT32_MAX ? NULL : family(p, idBase, 0);
      if (g && g->idType) return g;
    }
  }
  return f;
}

static int do_comment(prom_load *p, const char *z, size_t n, uint64_t iLine) {
  if (starts(z, n, "# heapscope-capture:")) {
    int rc = HS_OK;
    if (p->nCurSample > 0 || !p->bStarted) rc = new_scrape(p, iLine);
    const char *q = memmem(z, n, " at ", 4);
    if (q) {
      q += 4;
      size_t k = (size_t)(z + n - q);
      while (k > 0 && (q[k - 1] == ' ' || q[k - 1] == '\t')) k--;
      double t;
      if (hs_parse_rfc3339(q, k, HS_TIME_STRICT, &t)) p->tCur = t;
    }
    return rc;
  }
  int bHelp = starts(z, n, "# HELP "), bType = starts(z, n, "# TYPE ");
  if (!bHelp && !bType) return HS_OK;
  size_t i = 7;
  while (i < n && z[i] == ' ') i++;
  size_t iName = i;
  while (i < n && z[i] != ' ' && z[i] != '\t') i++;
  if (i == iName) {
    diag(p, HS_WARNING, iLine, "%s without a metric name; ignored", bHelp ? "# HELP" : "# TYPE");
    return HS_OK;
  }
  uint32_t id = hs_str_intern(p->c->pStr, z + iName, i - iName);
  if (id == UINT32_MAX) return HS_ENOMEM;
  prom_family *f = family(p, id, 1);
  if (!f) return HS_ENOMEM;
  uint64_t *piSeen = bHelp ? &f->iHelpScrape : &f->iTypeScrape;
  if (!p->bStarted || (*piSeen == p->iCur && p->nCurSample > 0)) {
    int rc = new_scrape(p, iLine);
    if (rc != HS_OK) return rc;
  }
  *piSeen = p->iCur;
  while (i < n && z[i] == ' ') i++;
  if (bType) {
    size_t k = n;
    while (k > i && (z[k - 1] == ' ' || z[k - 1] == '\t')) k--;
    f->idType = hs_str_intern(p->c->pStr, z + i, k - i);
  } else {
    /* unescape \\ and \n */
    char *zHelp = malloc(n - i + 1);
    if (!zHelp) return HS_ENOMEM;
    size_t k = 0;
    for (size_t j = i; j < n; j++) {
      if (z[j] == '\\' && j + 1 < n && (z[j + 1] == '\\' || z[j + 1] == 'n')) {
        zHelp[k++] = z[j + 1] == 'n' ? '\n' : '\\';
        j++;
      } else {
        zHelp[k++] = z[j];
      }
    }
    f->idHelp = hs_str_intern(p->c->pStr, zHelp, k);
    free(zHelp);
  }
  if (f->idType == UINT32_MAX || f->idHelp == UINT32_MAX) return HS_ENOMEM;
  return HS_OK;
}

static int do_sample(prom_load *p, prom_sample *s, uint64_t iLine) {
  size_t nLab;
  int rc = canon_labels(p, s, &nLab);
  if (rc != HS_OK) return rc;
  uint32_t idName = hs_str_intern(p->c->pStr, s->zName, s->nName);
  uint32_t idLab = hs_str_intern(p->c->pStr, p->zBuf, nLab);
  if (idName == UINT32_MAX || idLab == UINT32_MAX) return HS_ENOMEM;
  if (!p->bStarted && (rc = new_scrape(p, iLine)) != HS_OK) return rc;
  int bDup = seen_add(p, ((uint64_t)idName << 32) | idLab);
  if (bDup < 0) return HS_ENOMEM;
  if (bDup) {
    if ((rc = new_scrape(p, iLine)) != HS_OK) return rc;
    if (seen_add(p, ((uint64_t)idName << 32) | idLab) < 0) return HS_ENOMEM;
  }
  prom_family *f = sample_family(p, s->zName, s->nName);
  double ts = s->bTs ? s->tsSec : p->tCur;
  if (s->bTs && p->tFirstTs == 0) p->tFirstTs = ts;
  hs_table *t = p->t;
  uint64_t r = hs_table_add_row(t);
  if (r == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, p->aiCol[M_SCRAPE], r, p->iCur);
  hs_table_set_u32(t, p->aiCol[M_NAME], r, idName);
  hs_table_set_u32(t, p->aiCol[M_LABELS], r, idLab);
  hs_table_set_f64(t, p->aiCol[M_VALUE], r, s->value);
  hs_table_set_f64(t, p->aiCol[M_TS], r, ts);
  if (f) {
    hs_table_set_u32(t, p->aiCol[M_TYPE], r, f->idType == UINT32_MAX ? 0 : f->idType);
    hs_table_set_u32(t, p->aiCol[M_HELP], r, f->idHelp == UINT32_MAX ? 0 : f->idHelp);
  }
  hs_table_set_strz(t, p->aiCol[M_SOURCE], r, p->in->zName);
  hs_table_set_u64(t, p->aiCol[M_LINE], r, iLine);
  p->nCurSample++;
  p->nSample++;
  if (s->nLabel == 0 && (starts(s->zName, s->nName, "go_memstats_") ||
                         starts(s->zName, s->nName, "go_gc_duration_seconds_"))) {
    for (size_t i = 0; i < sizeof aMap / sizeof aMap[0]; i++) {
      if (strlen(aMap[i].zName) == s->nName && memcmp(aMap[i].zName, s->zName, s->nName) == 0) {
        p->aMs[aMap[i].iSlot] = s->value * aMap[i].scale;
        p->aMsSet[aMap[i].iSlot] = 1;
        if (starts(s->zName, s->nName, "go_memstats_")) p->bMs = 1;
        break;
      }
    }
  }
  return HS_OK;
}

static int make_table(prom_load *p) {
  hs_table *t = hs_table_open(p->c, "metrics", "one row per Prometheus sample: scrape number "
                              "(1-based, per case), name, canonical labels {a=\"b\"}, value, "
                              "timestamp (epoch s, 0: unknown), the family's # TYPE and # HELP, "
                              "source file and line", aMetricsCol, M_NCOL, p->aiCol);
  if (!t) return HS_ENOMEM;
  p->t = t;
  /* continue the scrape numbering of earlier inputs of this case */
  for (uint64_t r = 0; r < t->nRow; r++) {
    uint64_t k = hs_table_u64(t, p->aiCol[M_SCRAPE], r);
    if (k > p->iCur) p->iCur = k;
  }
  return HS_OK;
}

static int load(hs_case *c, hs_input *in) {
  prom_load s;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.in = in;
  s.iGen = 1;
  const char *z = (const char *)in->p;
  uint64_t n = in->n, i = 0, iLine = 0;
  int rc = make_table(&s), bCut = 0;
  if (rc != HS_OK) goto done;
  prom_sample *pS = malloc(sizeof *pS);
  if (!pS) {
    rc = HS_ENOMEM;
    goto done;
  }
  while (i < n) {
    const char *e = memchr(z + i, '\n', n - i);
    uint64_t iEnd = e ? (uint64_t)(e - z) : n, iNext = e ? iEnd + 1 : n;
    iLine++;
    if ((iLine & 0xffff) == 0 && hs_checkpoint()) {
      diag(&s, HS_WARNING, iLine, "%s", "interrupted; the samples before this line were kept");
      break;
    }
    const char *zl = z + i;
    size_t nl = iEnd - i;
    i = iNext;
    if (nl > 0 && zl[nl - 1] == '\r') nl--;
    size_t k = 0;
    while (k < nl && (zl[k] == ' ' || zl[k] == '\t')) k++;
    if (k == nl) continue;
    if (zl[k] == '#') {
      if ((rc = do_comment(&s, zl + k, nl - k, iLine)) != HS_OK) break;
      continue;
    }
    if (!e) {
      /* Every line of the format ends in '\n'; a sample without one may
      ** have lost digits of its value, so it is not kept. */
      diag(&s, HS_WARNING, iLine, "%s", "the last line has no newline (file truncated?); "
           "its sample may be cut short and was not loaded");
      bCut = 1;
      continue;
    }
    if (nl > PROM_MAX_LINE || !parse_sample(zl, nl, pS)) {
      s.nBadLine++;
      diag(&s, HS_ERROR, iLine, "%s; line skipped (is this Prometheus text format 0.0.4?)",
           nl > PROM_MAX_LINE ? "line longer than 1 MiB" : pS->zErr);
      continue;
    }
    if ((rc = do_sample(&s, pS, iLine)) != HS_OK) break;
  }
  free(pS);
  if (rc == HS_OK) rc = end_scrape(&s);
  if (rc != HS_OK) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "%s",
                 rc == HS_ENOMEM ? "out of memory while loading metrics"
                                 : "the metrics table is sealed; load inputs before use");
    goto done;
  }
  if (s.nSample == 0) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "no Prometheus samples found: expected lines like `go_goroutines 31` or "
                 "`name{label=\"v\"} 1.5e+07` with # HELP / # TYPE comments (text format 0.0.4)");
    rc = HS_EFORMAT;
    goto done;
  }
  rc = bCut ? HS_ETRUNC : HS_OK;
done:
  free(s.aFam);
  hs_u64map_free(&s.mFam);
  hs_u64map_free(&s.mSeen);
  free(s.zBuf);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Sniffing: # HELP/# TYPE comments and sample lines, few other lines. */

static int sniff(const uint8_t *p, size_t n) {
  const char *z = (const char *)p;
  size_t i = 0;
  int nHelp = 0, nSample = 0, nGo = 0, nOther = 0, nLine = 0;
  prom_sample *s = malloc(sizeof *s);
  if (!s) return 0;
  while (i < n && nLine < 2000) {
    const char *e = memchr(z + i, '\n', n - i);
    if (!e) break; /* the last, possibly cut line says nothing */
    const char *zl = z + i;
    size_t nl = (size_t)(e - zl);
    i = (size_t)(e - z) + 1;
    nLine++;
    if (nl > 0 && zl[nl - 1] == '\r') nl--;
    if (nl == 0) continue;
    if (starts(zl, nl, "# heapscope-capture:")) {
      free(s);
      return 95;
    }
    if (starts(zl, nl, "# HELP ") || starts(zl, nl, "# TYPE ")) nHelp++;
    else if (zl[0] == '#') continue;
    else if (parse_sample(zl, nl, s)) {
      nSample++;
      if (starts(s->zName, s->nName, "go_") || starts(s->zName, s->nName, "process_")) nGo++;
    } else
      nOther++;
  }
  free(s);
  /* Not one whole line in the window, yet it starts as metrics do: a line
  ** too long to be a sample.  Claim it, so the loader says so (line 1
  ** longer than 1 MiB) instead of "not Go evidence". */
  if (nLine == 0 && (starts(z, n, "# HELP ") || starts(z, n, "# TYPE ") ||
                     starts(z, n, "go_") || starts(z, n, "process_")))
    return 30;
  if (nHelp > 0 && nSample > 0 && nOther == 0) return 90;
  /* a stray line or two (a proxy's banner, a cut line) among many samples */
  if (nHelp > 0 && nSample > 0 && nOther * 10 <= nSample + nHelp) return 80;
  if (nOther > 0) return 0;
  if (nGo > 0) return 75;
  if (nSample >= 3) return 40;
  return 0;
}

const hs_loader hs_loader_prom = {
    "prom", "Prometheus text exposition (/metrics): go_memstats_*, go_gc_*, process_*, any metric",
    sniff, load, "metrics memstats", NULL, 0};
