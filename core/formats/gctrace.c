/*
 * gctrace: the lines the Go runtime prints to stderr with
 * GODEBUG=gctrace=1 (and scavtrace=1, gcpacertrace=1), found among any other
 * log lines, plain or inside Kubernetes CRI, Docker json-file or `kubectl
 * logs --timestamps` output (see golog.h for the framing).  Lines that are
 * none of the forms below are ignored; goroutine tracebacks in the same
 * file are handed to the goroutine extractor (goroutines.c) by the loader
 * (textlog.c), so a log holding both yields both tables whichever loader
 * the sniffer chose.
 *
 * Line forms, as printed by runtime/mgc.go, mgcscavenge.go, mgcpacer.go:
 *
 *   form                                                        Go       table
 *   ----------------------------------------------------------  -------  --------
 *   gc N @T.TTTs U%: C+C+C+C+C ms clock,                        1.5-1.6  gc
 *      C+C+C+A/B/I+C ms cpu, H->H->H MB, G MB goal, P P
 *   gc N @T.TTTs U%: C+C+C ms clock, C+A/B/I+C ms cpu,          1.7-1.17 gc
 *      H->H->H MB, G MB goal, P P
 *   ... G MB goal, S MB stacks, L MB globals, P P               1.18+    gc
 *   any of them followed by " (forced)"                         all      gc.forced
 *   GC forced                                                   all      next gc row's periodic
 *   scvgN: N MB released                                        1.5-1.12 gc.scav
 *   scvgN: inuse: N, idle: N, sys: N, released: N, consumed: N (MB)
 *                                                               1.5-1.12 gc.scav
 *   scav N KiB work, N KiB total, N% util                       1.13-1.20 gc.scav
 *   scav N KiB work (bg), N KiB work (eager), N KiB now, N% util 1.21+   gc.scav
 *      (scav lines may end with " (forced)" or " [controller reset]")
 *   pacer: assist ratio=F (scan N MB in N->N MB) workers=N+F    all      gc.pacer
 *   pacer: N% CPU (N exp.) for N+N+N B work (N B exp.)          1.18+    gc.pacer
 *      in N B -> N B (∆goal N, cons/mark F)[ [controller reset]]
 *   pacer: anything else (older H_m_prime=..., sweep done ...)  <1.18    gc.pacer kind "other"
 *
 * Clock phases map to sweep termination, mark, mark termination; the
 * 1.5-1.6 middle phases (scan, install write barrier, mark) are summed into
 * clock_mark.  CPU groups map to sweep termination, the assist/background/
 * idle triple (the group with slashes) and mark termination; 1.5-1.6's scan
 * and install-wb CPU times are added to cpu_background.
 *
 * Every line that starts with "gc " and a digit produces exactly one gc row,
 * even when it does not parse to the end: the row keeps the fields before
 * the unparsable one and a warning names the line and column.
 *
 * Cost: one memchr and a first-byte test per line; gc lines are parsed by
 * hand (no sscanf, no allocation per line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "base/base.h"
#include "golog.h"

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int has_prefix(const char *z, size_t n, const char *zP, size_t nP) {
  return n >= nP && memcmp(z, zP, nP) == 0;
}
#define PREFIX(z, n, lit) has_prefix(z, n, lit, sizeof(lit) - 1)

/* ------------------------------------------------------------------ */
/* Tables. */


enum {
  GC_NUM, GC_T, GC_CPU_PCT, GC_CLOCK_SWEEP_TERM, GC_CLOCK_MARK, GC_CLOCK_MARK_TERM,
  GC_CPU_SWEEP_TERM, GC_CPU_ASSIST, GC_CPU_BACKGROUND, GC_CPU_IDLE, GC_CPU_MARK_TERM,
  GC_HEAP_START, GC_HEAP_END, GC_HEAP_LIVE, GC_GOAL, GC_STACKS, GC_GLOBALS, GC_PROCS,
  GC_FORCED, GC_PERIODIC, GC_WALL, GC_LINE, GC_SOURCE, GC_NCOL
};
static const hs_colspec aGcCol[GC_NCOL] = {
    {"num", HS_U64, 0},
    {"t", HS_F64, HS_COL_SECONDS},
    {"cpu_pct", HS_U32, HS_COL_PCT},
    {"clock_sweep_term", HS_F64, 0},
    {"clock_mark", HS_F64, 0},
    {"clock_mark_term", HS_F64, 0},
    {"cpu_sweep_term", HS_F64, 0},
    {"cpu_assist", HS_F64, 0},
    {"cpu_background", HS_F64, 0},
    {"cpu_idle", HS_F64, 0},
    {"cpu_mark_term", HS_F64, 0},
    /* sizes in MB as printed: u32 (4 PB) halves their share of the
    ** memory traffic when millions of rows are written */
    {"heap_start", HS_U32, HS_COL_MB},
    {"heap_end", HS_U32, HS_COL_MB},
    {"heap_live", HS_U32, HS_COL_MB},
    {"goal", HS_U64, HS_COL_MB},   /* "8532210231536 MB goal" happens: GC off, memory limit */
    {"stacks", HS_U32, HS_COL_MB},
    {"globals", HS_U32, HS_COL_MB},
    {"procs", HS_U32, 0},
    {"forced", HS_U32, 0},
    {"periodic", HS_U32, 0},
    {"wall", HS_F64, HS_COL_SECONDS | HS_COL_EPOCH},
    {"line", HS_U64, 0},
    {"source", HS_STR, 0},
};

enum {
  SC_NUM, SC_KIND, SC_WORK, SC_WORK_BG, SC_WORK_EAGER, SC_RELEASED, SC_UTIL_PCT, SC_FORCED,
  SC_RESET, SC_INUSE, SC_IDLE, SC_SYS, SC_RELEASED_MB, SC_CONSUMED, SC_WALL, SC_LINE,
  SC_SOURCE, SC_NCOL
};
static const hs_colspec aScavCol[SC_NCOL] = {
    {"num", HS_U64, 0},          /* the last gc cycle printed before this line */
    {"kind", HS_STR, 0},         /* "scav" (1.13-1.20), "scav-bg-eager" (1.21+), "scvg", "scvg-released" */
    {"work", HS_U64, HS_COL_BYTES},       /* bytes released by this line's work (bg+eager) */
    {"work_bg", HS_U64, HS_COL_BYTES},
    {"work_eager", HS_U64, HS_COL_BYTES},
    {"released", HS_U64, HS_COL_BYTES},   /* total released to the OS ("total"/"now") */
    {"util_pct", HS_U32, HS_COL_PCT},
    {"forced", HS_U32, 0},
    {"reset", HS_U32, 0},
    {"inuse", HS_U32, HS_COL_MB},         /* scvg lines (Go <= 1.12), MB */
    {"idle", HS_U32, HS_COL_MB},
    {"sys", HS_U32, HS_COL_MB},
    {"released_mb", HS_U32, HS_COL_MB},
    {"consumed", HS_U32, HS_COL_MB},
    {"wall", HS_F64, HS_COL_SECONDS | HS_COL_EPOCH},
    {"line", HS_U64, 0},
    {"source", HS_STR, 0},
};

enum {
  PC_NUM, PC_KIND, PC_ASSIST_RATIO, PC_SCAN, PC_LIVE_START, PC_GOAL_MB, PC_WORKERS,
  PC_FRACTIONAL, PC_CPU_PCT, PC_CPU_GOAL_PCT, PC_HEAP_SCAN_WORK, PC_STACK_SCAN_WORK,
  PC_GLOBALS_SCAN_WORK, PC_WORK_EXP, PC_TRIGGERED, PC_HEAP_LIVE, PC_GOAL_DELTA,
  PC_CONS_MARK, PC_RESET, PC_WALL, PC_LINE, PC_SOURCE, PC_NCOL
};
static const hs_colspec aPacerCol[PC_NCOL] = {
    {"num", HS_U64, 0},                 /* the gc cycle this line belongs to */
    {"kind", HS_STR, 0},                /* "assist", "cpu" or "other" */
    {"assist_ratio", HS_F64, 0},
    {"scan", HS_U64, HS_COL_MB},
    {"live_start", HS_U64, HS_COL_MB},
    {"goal_mb", HS_U64, HS_COL_MB},
    {"workers", HS_U32, 0},
    {"fractional", HS_F64, 0},
    {"cpu_pct", HS_U32, HS_COL_PCT},
    {"cpu_goal_pct", HS_U32, HS_COL_PCT},
    {"heap_scan_work", HS_U64, HS_COL_BYTES},
    {"stack_scan_work", HS_U64, HS_COL_BYTES},
    {"globals_scan_work", HS_U64, HS_COL_BYTES},
    {"work_exp", HS_U64, HS_COL_BYTES},
    {"triggered", HS_U64, HS_COL_BYTES},
    {"heap_live", HS_U64, HS_COL_BYTES},
    {"goal_delta", HS_I64, 0},
    {"cons_mark", HS_F64, 0},
    {"reset", HS_U32, 0},
    {"wall", HS_F64, HS_COL_SECONDS | HS_COL_EPOCH},
    {"line", HS_U64, 0},
    {"source", HS_STR, 0},
};


/* ------------------------------------------------------------------ */
/* A cursor over one line; the first failure sticks and says where. */

typedef struct cur {
  const char *z;
  size_t n;
  size_t i;
  int bBad;           /* a parse step failed */
  size_t iBad;        /* where */
  const char *zWant;  /* what was expected there */
} cur;

static int c_fail(cur *p, const char *zWant) {
  if (!p->bBad) {
    p->bBad = 1;
    p->iBad = p->i;
    p->zWant = zWant;
  }
  return 0;
}

static int c_lit_(cur *p, const char *zLit, size_t nLit, const char *zWant) {
  if (p->bBad) return 0;
  if (p->n - p->i < nLit || memcmp(p->z + p->i, zLit, nLit) != 0) return c_fail(p, zWant);
  p->i += nLit;
  return 1;
}
#define c_lit(p, lit, want) c_lit_(p, lit, sizeof(lit) - 1, want)

/* Match zLit without failing: 1 and advance, or 0 and stay. */
static int c_try_(cur *p, const char *zLit, size_t nLit) {
  if (p->bBad || p->n - p->i < nLit || memcmp(p->z + p->i, zLit, nLit) != 0) return 0;
  p->i += nLit;
  return 1;
}
#define c_try(p, lit) c_try_(p, lit, sizeof(lit) - 1)

static int c_peek(cur *p, char ch) { return !p->bBad && p->i < p->n && p->z[p->i] == ch; }

static int c_u64(cur *p, uint64_t *pv, const char *zWant) {
  if (p->bBad) return 0;
  size_t i = p->i;
  uint64_t v = 0;
  while (i < p->n && is_digit(p->z[i]) && i - p->i < 19) v = v * 10 + (uint64_t)(p->z[i++] - '0');
  if (i == p->i) return c_fail(p, zWant);
  while (i < p->n && is_digit(p->z[i])) i++; /* absurdly long: keep the first 19 digits */
  p->i = i;
  *pv = v;
  return 1;
}

static int c_i64(cur *p, int64_t *pv, const char *zWant) {
  int bNeg = 0;
  if (c_peek(p, '-')) { bNeg = 1; p->i++; }
  else if (c_peek(p, '+')) p->i++;
  uint64_t v;
  if (!c_u64(p, &v, zWant)) return 0;
  if (v > (uint64_t)INT64_MAX) v = (uint64_t)INT64_MAX; /* Go prints int64: cannot happen */
  *pv = bNeg ? -(int64_t)v : (int64_t)v;
  return 1;
}

/* A plain decimal as the runtime prints durations: 12, 0.024, 1.3.  With
** at most 15 digits the digits form an integer m below 2^53 and the value
** is m / 10^k, one correctly rounded division (the double strtod gives);
** longer numbers go through strtod. */
static int c_dec(cur *p, double *pv, const char *zWant) {
  static const double aPow[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                1e11, 1e12, 1e13, 1e14, 1e15};
  if (p->bBad) return 0;
  size_t i = p->i, iStart = p->i;
  uint64_t m = 0;
  int nDigit = 0, nFrac = 0;
  while (i < p->n && is_digit(p->z[i])) {
    m = m * 10 + (uint64_t)(p->z[i++] - '0');
    nDigit++;
  }
  if (nDigit == 0) return c_fail(p, zWant);
  if (i + 1 < p->n && p->z[i] == '.' && is_digit(p->z[i + 1])) {
    for (i++; i < p->n && is_digit(p->z[i]); i++, nFrac++) m = m * 10 + (uint64_t)(p->z[i] - '0');
    nDigit += nFrac;
  }
  p->i = i;
  if (nDigit <= 15) {
    *pv = (double)m / aPow[nFrac];
  } else {
    char a[64];
    size_t n = i - iStart < sizeof a - 1 ? i - iStart : sizeof a - 1;
    memcpy(a, p->z + iStart, n);
    a[n] = 0;
    *pv = strtod(a, NULL);
  }
  return 1;
}

/* A float as Go's print() writes it (+1.545085e+000), or any strtod form. */
static int c_flt(cur *p, double *pv, const char *zWant) {
  if (p->bBad) return 0;
  char a[64];
  size_t k = 0, i = p->i;
  while (i < p->n && k < sizeof a - 1) {
    char ch = p->z[i];
    if (!(is_digit(ch) || ch == '+' || ch == '-' || ch == '.' || ch == 'e' || ch == 'E' ||
          ch == 'N' || ch == 'a' || ch == 'I' || ch == 'n' || ch == 'f'))
      break;
    /* a sign ends the number unless it follows an exponent or starts it */
    if ((ch == '+' || ch == '-') && k > 0 && a[k - 1] != 'e' && a[k - 1] != 'E') break;
    a[k++] = ch;
    i++;
  }
  a[k] = 0;
  char *zEnd;
  double v = strtod(a, &zEnd);
  if (zEnd == a) return c_fail(p, zWant);
  p->i += (size_t)(zEnd - a);
  *pv = v;
  return 1;
}

/* ------------------------------------------------------------------ */
/* The extractor.
**
** A line is parsed into a rec (values by column index) and then written as
** one row.  The runtime prints a trace line in pieces (one write per
** print() argument), so another goroutine's log line can land in the middle
** of it: "scav 512 KiB work (bg), 0 KiB work (eager), 2026/11/21 ... steady:
** ...\n11848 KiB now, 31% util".  When a line stops parsing, the parsed
** prefix is joined with the next line and parsed again; if that completes,
** the next line was the rest of ours (the foreign text is dropped),
** otherwise the next line is processed on its own as usual. */


typedef union val {
  uint64_t u;
  int64_t i;
  double d;
} val;

enum { REC_GC, REC_SCAV, REC_PACER };

typedef struct rec {
  uint64_t mSet;       /* bit i: a[i] holds column i's value */
  val a[32];           /* by column index of the record's table */
  const char *zKind;   /* the kind column (scav, pacer), or NULL */
} rec;

#define SETU(r, col, v) ((r)->a[col].u = (uint64_t)(v), (r)->mSet |= 1ull << (col))
#define SETI(r, col, v) ((r)->a[col].i = (int64_t)(v), (r)->mSet |= 1ull << (col))
#define SETD(r, col, v) ((r)->a[col].d = (v), (r)->mSet |= 1ull << (col))

typedef struct gcx {
  hs_case *c;
  hs_input *in;
  hs_table *apTab[3];  /* gc, gc.scav, gc.pacer: opened on first row */
  int aGc[GC_NCOL], aScav[SC_NCOL], aPacer[PC_NCOL];
  uint32_t idSource;   /* the input's name in the string pool */
  uint64_t nRow;       /* rows added, all three tables */
  uint64_t iLastNum;   /* number of the last gc line */
  int bPeriodic;       /* a "GC forced" line is waiting for its gc line */
  uint64_t nStitch;    /* lines rejoined after interleaved output */
  char *aJoin;         /* the joined text of an interrupted line */
  size_t nJoinCap;
  int bNoMem;
  int bTrunc;          /* the input ended inside a record */
} gcx;

static const struct tabdef {
  const char *zName;
  const char *zNote;
  const hs_colspec *aDef;
  int nDef;
  int iNum, iLine, iWall, iSource, iKind;
  const char *zWhat;   /* for messages */
} aTab[3] = {
    {"gc", "one row per GC cycle (a gctrace line); sizes in MB as printed, times in ms", aGcCol,
     GC_NCOL, GC_NUM, GC_LINE, GC_WALL, GC_SOURCE, -1, "gc line"},
    {"gc.scav", "one row per scavenger trace line (scav/scvg); sizes in bytes unless MB",
     aScavCol, SC_NCOL, SC_NUM, SC_LINE, SC_WALL, SC_SOURCE, SC_KIND, "scavenger line"},
    {"gc.pacer", "one row per gcpacertrace line; num is the cycle it precedes", aPacerCol,
     PC_NCOL, PC_NUM, PC_LINE, PC_WALL, PC_SOURCE, PC_KIND, "pacer line"},
};

static int *tab_idx(gcx *x, int eTab) {
  return eTab == REC_GC ? x->aGc : eTab == REC_SCAV ? x->aScav : x->aPacer;
}

static void warn(gcx *x, const hs_logline *L, const char *zWhat, const cur *p) {
  if (L->bCut) {
    hs_case_diag(x->c, HS_WARNING, x->in->zName, L->iOff, L->iLine,
                 "the file ends inside this %s (truncated at column %zu, where %s was expected); "
                 "the row keeps the fields before it", zWhat, p->iBad + 1, p->zWant);
  } else {
    hs_case_diag(x->c, HS_WARNING, x->in->zName, L->iOff, L->iLine,
                 "%s with an unparsable field at column %zu: expected %s; the row keeps the "
                 "fields before it (if this is a Go version heapscope does not know, please "
                 "report the line)", zWhat, p->iBad + 1, p->zWant);
  }
}

/* Write r as a new row of table eTab; the line, wall time and source come
** from L. */
static void emit(gcx *x, int eTab, const rec *r, const hs_logline *L) {
  const struct tabdef *d = &aTab[eTab];
  int *aIdx = tab_idx(x, eTab);
  if (!x->apTab[eTab]) {
    x->apTab[eTab] = hs_table_open(x->c, d->zName, d->zNote, d->aDef, d->nDef, aIdx);
    if (!x->apTab[eTab]) {
      x->bNoMem = 1;
      return;
    }
  }
  hs_table *t = x->apTab[eTab];
  uint64_t iRow = hs_table_add_row(t);
  if (iRow == UINT64_MAX) {
    x->bNoMem = 1;
    return;
  }
  x->nRow++;
  for (uint64_t m = r->mSet; m; m &= m - 1) { /* the columns with a value */
    int i = __builtin_ctzll(m);
    switch (d->aDef[i].type) {
      case HS_U32: hs_table_set_u32(t, aIdx[i], iRow, (uint32_t)r->a[i].u); break;
      case HS_U64: hs_table_set_u64(t, aIdx[i], iRow, r->a[i].u); break;
      case HS_I64: hs_table_set_i64(t, aIdx[i], iRow, r->a[i].i); break;
      case HS_F64: hs_table_set_f64(t, aIdx[i], iRow, r->a[i].d); break;
      default: break;
    }
  }
  if (eTab == REC_GC) {
    if (r->mSet & (1ull << GC_NUM)) x->iLastNum = r->a[GC_NUM].u;
    if (x->bPeriodic) {
      hs_table_set_u32(t, aIdx[GC_PERIODIC], iRow, 1);
      x->bPeriodic = 0;
    }
  } else {
    hs_table_set_u64(t, aIdx[d->iNum], iRow, x->iLastNum + (eTab == REC_PACER));
  }
  if (d->iKind >= 0 && r->zKind) hs_table_set_strz(t, aIdx[d->iKind], iRow, r->zKind);
  hs_table_set_u64(t, aIdx[d->iLine], iRow, L->iLine);
  hs_table_set_u32(t, aIdx[d->iSource], iRow, x->idSource);
  if (L->zTime) {
    double tWall = 0; /* 0 when the container's timestamp does not parse */
    hs_parse_rfc3339(L->zTime, L->nTime, HS_TIME_PREFIX, &tWall);
    hs_table_set_f64(t, aIdx[d->iWall], iRow, tWall);
  }
}

static void gc_parse(cur *p, rec *r) {
  uint64_t u;
  double d;
  c_lit(p, "gc ", "\"gc \"");
  c_try(p, "#");
  if (c_u64(p, &u, "the cycle number after \"gc \"")) SETU(r, GC_NUM, u);
  c_lit(p, " @", "\" @\" before the time since start");
  if (c_dec(p, &d, "the seconds since start after \"@\"")) SETD(r, GC_T, d);
  c_lit(p, "s ", "\"s \" after the time since start");
  if (c_u64(p, &u, "the GC CPU percentage")) SETU(r, GC_CPU_PCT, u);
  c_lit(p, "%: ", "\"%: \" after the GC CPU percentage");

  /* Clock phases: 3 since Go 1.7, 5 in 1.5-1.6. */
  double aClock[8] = {0};
  int nClock = 0;
  do {
    if (!c_dec(p, &d, "a clock phase time in ms")) break;
    if (nClock < 8) aClock[nClock++] = d;
  } while (c_try(p, "+"));
  if (c_lit(p, " ms clock, ", "\" ms clock, \" after the clock phase times") && nClock >= 2) {
    double mark = 0;
    for (int i = 1; i < nClock - 1; i++) mark += aClock[i];
    SETD(r, GC_CLOCK_SWEEP_TERM, aClock[0]);
    SETD(r, GC_CLOCK_MARK, nClock == 2 ? aClock[1] : mark);
    if (nClock > 2) SETD(r, GC_CLOCK_MARK_TERM, aClock[nClock - 1]);
  }

  /* CPU groups: "+"-separated; one of them is assist/background/idle. */
  double aCpu[8][3] = {{0}};
  int nGroup = 0, iTriple = -1;
  do {
    int nPart = 0;
    double aPart[3] = {0};
    do {
      if (!c_dec(p, &d, "a cpu phase time in ms")) break;
      if (nPart < 3) aPart[nPart] = d;
      nPart++;
    } while (c_try(p, "/"));
    if (p->bBad) break;
    if (nGroup < 8) {
      memcpy(aCpu[nGroup], aPart, sizeof aPart);
      if (nPart >= 3 && iTriple < 0) iTriple = nGroup;
      nGroup++;
    }
  } while (c_try(p, "+"));
  if (c_lit(p, " ms cpu, ", "\" ms cpu, \" after the cpu phase times") && nGroup >= 1) {
    SETD(r, GC_CPU_SWEEP_TERM, aCpu[0][0]);
    if (nGroup >= 2) SETD(r, GC_CPU_MARK_TERM, aCpu[nGroup - 1][0]);
    double extra = 0; /* 1.5-1.6 scan and install-wb cpu */
    for (int i = 1; i < nGroup - 1; i++)
      if (i != iTriple) extra += aCpu[i][0];
    if (iTriple >= 0) {
      SETD(r, GC_CPU_ASSIST, aCpu[iTriple][0]);
      SETD(r, GC_CPU_BACKGROUND, aCpu[iTriple][1] + extra);
      SETD(r, GC_CPU_IDLE, aCpu[iTriple][2]);
    } else {
      SETD(r, GC_CPU_BACKGROUND, extra);
    }
  }

  if (c_u64(p, &u, "the heap size at GC start in MB")) SETU(r, GC_HEAP_START, u);
  c_lit(p, "->", "\"->\" after the heap size at GC start");
  if (c_u64(p, &u, "the heap size at GC end in MB")) SETU(r, GC_HEAP_END, u);
  c_lit(p, "->", "\"->\" after the heap size at GC end");
  if (c_u64(p, &u, "the live heap in MB")) SETU(r, GC_HEAP_LIVE, u);
  c_lit(p, " MB, ", "\" MB, \" after the live heap");
  if (c_u64(p, &u, "the heap goal in MB")) SETU(r, GC_GOAL, u);
  c_lit(p, " MB goal, ", "\" MB goal, \"");
  /* Go 1.18+ inserts stacks and globals before the P count. */
  for (int k = 0; k < 4 && !p->bBad; k++) {
    if (!c_u64(p, &u, "a number (MB stacks, MB globals or the P count)")) break;
    if (c_try(p, " MB stacks, ")) SETU(r, GC_STACKS, u);
    else if (c_try(p, " MB globals, ")) SETU(r, GC_GLOBALS, u);
    else if (c_lit(p, " P", "\" MB stacks, \", \" MB globals, \" or \" P\" after a number")) {
      SETU(r, GC_PROCS, u);
      break;
    }
  }
  if (c_try(p, " (forced)")) SETU(r, GC_FORCED, 1);
}

static void scav_parse(cur *p, rec *r) {
  uint64_t u, bg = 0, eager = 0;
  if (c_try(p, "scav ")) {
    r->zKind = "scav";
    for (int k = 0; k < 6 && !p->bBad; k++) {
      if (!c_u64(p, &u, "a number")) break;
      if (c_try(p, " KiB work, ")) bg = u;
      else if (c_try(p, " KiB work (bg), ")) { bg = u; r->zKind = "scav-bg-eager"; }
      else if (c_try(p, " KiB work (eager), ")) eager = u;
      else if (c_try(p, " KiB total, ") || c_try(p, " KiB now, ")) SETU(r, SC_RELEASED, u << 10);
      else if (c_lit(p, "% util", "\" KiB work, \", \" KiB total, \", \" KiB now, \" or \"% util\"")) {
        SETU(r, SC_UTIL_PCT, u);
        break;
      }
    }
    SETU(r, SC_WORK, (bg + eager) << 10);
    SETU(r, SC_WORK_BG, bg << 10);
    SETU(r, SC_WORK_EAGER, eager << 10);
    if (c_try(p, " (forced)")) SETU(r, SC_FORCED, 1);
    else if (c_try(p, " [controller reset]")) SETU(r, SC_RESET, 1);
    return;
  }
  /* scvg, scvg0: ... (Go <= 1.12; "scvg: " in 1.13-1.14) */
  c_lit(p, "scvg", "\"scvg\"");
  while (p->i < p->n && is_digit(p->z[p->i])) p->i++;
  c_lit(p, ": ", "\": \" after \"scvg\"");
  if (!p->bBad && p->i < p->n && is_digit(p->z[p->i])) {
    r->zKind = "scvg-released";
    if (c_u64(p, &u, "the amount released")) {
      if (c_try(p, " MB released")) u <<= 20;
      else if (c_try(p, " KB released") || c_try(p, " KiB released")) u <<= 10;
      else c_fail(p, "\" MB released\"");
      SETU(r, SC_WORK, u);
    }
    return;
  }
  r->zKind = "scvg";
  /* "key: N" pairs separated by ", ", ended by "(MB)" */
  for (int k = 0; k < 8 && !p->bBad && p->i < p->n && p->z[p->i] != '('; k++) {
    size_t iKey = p->i;
    while (p->i < p->n && p->z[p->i] >= 'a' && p->z[p->i] <= 'z') p->i++;
    size_t nKey = p->i - iKey;
    c_lit(p, ": ", "\": \" after a scvg field name");
    if (!c_u64(p, &u, "a number of MB")) break;
    const char *zK = p->z + iKey;
    if (nKey == 5 && memcmp(zK, "inuse", 5) == 0) SETU(r, SC_INUSE, u);
    else if (nKey == 4 && memcmp(zK, "idle", 4) == 0) SETU(r, SC_IDLE, u);
    else if (nKey == 3 && memcmp(zK, "sys", 3) == 0) SETU(r, SC_SYS, u);
    else if (nKey == 8 && memcmp(zK, "consumed", 8) == 0) SETU(r, SC_CONSUMED, u);
    else if (nKey == 8 && memcmp(zK, "released", 8) == 0) {
      SETU(r, SC_RELEASED_MB, u);
      SETU(r, SC_RELEASED, u << 20);
    }
    c_try(p, ",");
    while (p->i < p->n && p->z[p->i] == ' ') p->i++;
  }
  c_lit(p, "(MB)", "\"(MB)\" at the end of the scvg line");
}

static void pacer_parse(cur *p, rec *r) {
  uint64_t u;
  int64_t i64;
  double d;
  c_lit(p, "pacer: ", "\"pacer: \"");
  if (c_try(p, "assist ratio=")) {
    r->zKind = "assist";
    if (c_flt(p, &d, "the assist ratio")) SETD(r, PC_ASSIST_RATIO, d);
    c_lit(p, " (scan ", "\" (scan \"");
    if (c_u64(p, &u, "the scannable heap in MB")) SETU(r, PC_SCAN, u);
    c_lit(p, " MB in ", "\" MB in \"");
    if (c_u64(p, &u, "the live heap at start in MB")) SETU(r, PC_LIVE_START, u);
    c_lit(p, "->", "\"->\"");
    if (c_u64(p, &u, "the heap goal in MB")) SETU(r, PC_GOAL_MB, u);
    c_lit(p, " MB) workers=", "\" MB) workers=\"");
    if (c_u64(p, &u, "the dedicated worker count")) SETU(r, PC_WORKERS, u);
    c_lit(p, "+", "\"+\" before the fractional goal");
    if (c_flt(p, &d, "the fractional utilization goal")) SETD(r, PC_FRACTIONAL, d);
  } else if (p->i < p->n && is_digit(p->z[p->i])) {
    r->zKind = "cpu";
    if (c_u64(p, &u, "the CPU utilization")) SETU(r, PC_CPU_PCT, u);
    c_lit(p, "% CPU (", "\"% CPU (\"");
    if (c_u64(p, &u, "the utilization goal")) SETU(r, PC_CPU_GOAL_PCT, u);
    c_lit(p, " exp.) for ", "\" exp.) for \"");
    static const int aWork[3] = {PC_HEAP_SCAN_WORK, PC_STACK_SCAN_WORK, PC_GLOBALS_SCAN_WORK};
    int k = 0;
    do {
      if (!c_u64(p, &u, "scan work in bytes")) break;
      if (k < 3) {
        int iCol = aWork[k++];
        SETU(r, iCol, u);
      }
    } while (c_try(p, "+"));
    c_lit(p, " B work (", "\" B work (\"");
    if (c_u64(p, &u, "the expected work")) SETU(r, PC_WORK_EXP, u);
    c_lit(p, " B exp.) in ", "\" B exp.) in \"");
    if (c_u64(p, &u, "the trigger in bytes")) SETU(r, PC_TRIGGERED, u);
    c_lit(p, " B -> ", "\" B -> \"");
    if (c_u64(p, &u, "the live heap in bytes")) SETU(r, PC_HEAP_LIVE, u);
    c_lit(p, " B (", "\" B (\"");
    /* "∆goal" is UTF-8: skip to the space after it */
    while (!p->bBad && p->i < p->n && p->z[p->i] != ' ' && p->z[p->i] != ',') p->i++;
    c_lit(p, " ", "\" \" after \"∆goal\"");
    if (c_i64(p, &i64, "the goal delta")) SETI(r, PC_GOAL_DELTA, i64);
    c_lit(p, ", cons/mark ", "\", cons/mark \"");
    if (c_flt(p, &d, "the cons/mark ratio")) SETD(r, PC_CONS_MARK, d);
    c_lit(p, ")", "\")\"");
    if (!p->bBad) {
      c_try(p, " ");
      if (c_try(p, "[controller reset]")) SETU(r, PC_RESET, 1);
    }
  } else {
    r->zKind = "other"; /* older pacer lines (H_m_prime=..., sweep done ...) */
  }
}

static void parse(int eTab, cur *p, rec *r) {
  memset(r, 0, sizeof *r);
  if (eTab == REC_GC) gc_parse(p, r);
  else if (eTab == REC_SCAV) scav_parse(p, r);
  else pacer_parse(p, r);
}

/* Parse the line L of kind eTab, rejoining it with the next line if it was
** interrupted.  Returns 1 and sets *pHeld when a line was read ahead and
** must be processed next. */
static int process(gcx *x, int eTab, const hs_logline *L, hs_logreader *pR, hs_logline *pHeld) {
  cur p = {L->z, L->n, 0, 0, 0, NULL};
  rec r;
  int bHeld = 0;
  parse(eTab, &p, &r);
  /* Old pacer lines are free-form; only "other" kinds are never rejoined. */
  if (p.bBad && !L->bCut && p.iBad > 0 && !(eTab == REC_PACER && r.zKind && r.zKind[0] == 'o')) {
    size_t nPre = p.iBad;
    /* A foreign line that starts with a date ("2026/11/21 22:11:00 ...",
    ** RFC 3339) glued to one of our numbers: "scav 02026/11/21": cut
    ** before the date. */
    const char *z = L->z;
    if (nPre >= 5 && nPre < L->n && (z[nPre] == '/' || z[nPre] == '-') && is_digit(z[nPre - 1]) &&
        is_digit(z[nPre - 2]) && is_digit(z[nPre - 3]) && is_digit(z[nPre - 4]))
      nPre -= 4;
    if (nPre > x->nJoinCap) {
      char *a = realloc(x->aJoin, nPre * 2);
      if (!a) {
        x->bNoMem = 1;
        return 0;
      }
      x->aJoin = a;
      x->nJoinCap = nPre * 2;
    }
    memcpy(x->aJoin, L->z, nPre); /* L->z may live in the reader's buffer */
    hs_logline L0 = *L;
    L0.z = NULL;
    if (hs_logreader_next(pR, pHeld)) {
      size_t nAll = nPre + pHeld->n;
      if (nAll > x->nJoinCap) {
        char *a = realloc(x->aJoin, nAll * 2);
        if (!a) {
          x->bNoMem = 1;
          return 0;
        }
        x->aJoin = a;
        x->nJoinCap = nAll * 2;
      }
      memcpy(x->aJoin + nPre, pHeld->z, pHeld->n);
      cur p2 = {x->aJoin, nAll, 0, 0, 0, NULL};
      rec r2;
      parse(eTab, &p2, &r2);
      if (!p2.bBad) {
        x->nStitch++;
        emit(x, eTab, &r2, &L0);
        return 0;
      }
      bHeld = 1;
    }
    parse(eTab, &(cur){x->aJoin, nPre, 0, 0, 0, NULL}, &r); /* the prefix alone */
    emit(x, eTab, &r, &L0);
    if (eTab != REC_PACER) warn(x, &L0, aTab[eTab].zWhat, &p);
    return bHeld;
  }
  emit(x, eTab, &r, L);
  /* Pacer lines changed shape often; a mismatch is kept quietly unless the
  ** file was cut inside one. */
  if (p.bBad && (eTab != REC_PACER || L->bCut)) warn(x, L, aTab[eTab].zWhat, &p);
  if (p.bBad && L->bCut) x->bTrunc = 1;
  return 0;
}

int hs_gctrace_extract(hs_case *c, hs_input *in, uint64_t *pnRow, int *pbOther) {
  gcx x;
  memset(&x, 0, sizeof x);
  x.c = c;
  x.in = in;
  x.idSource = hs_golog_source_id(c, in);
  hs_logreader r;
  hs_logreader_init_input(&r, c, in, "gctrace");
  hs_logline L;
  int bHeld = 0;
  for (;;) {
    if (!bHeld && !hs_logreader_next(&r, &L)) break;
    bHeld = 0;
    if (L.n < 5) continue;
    int eTab = -1;
    switch (L.z[0]) {
      case 'g':
        if (hs_golog_is_gc_start(L.z, L.n)) eTab = REC_GC;
        else if (pbOther && !*pbOther && hs_golog_is_goroutine_line(L.z, L.n)) *pbOther = 1;
        break;
      case 's':
        if ((L.n > 5 && PREFIX(L.z, L.n, "scav ") && is_digit(L.z[5])) || PREFIX(L.z, L.n, "scvg"))
          eTab = REC_SCAV;
        break;
      case 'p':
        if (PREFIX(L.z, L.n, "pacer: ")) eTab = REC_PACER;
        break;
      case 'G':
        if (L.n == 9 && memcmp(L.z, "GC forced", 9) == 0) x.bPeriodic = 1;
        break;
    }
    if (eTab >= 0) {
      hs_logline L2;
      if (process(&x, eTab, &L, &r, &L2)) {
        L = L2;
        bHeld = 1;
      }
    }
    if (x.bNoMem) break;
  }
  if (r.bNoMem && !x.bNoMem)
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0,
                 "a container log record longer than %u bytes was cut (partial records that never "
                 "end?); lines after the cut may be missing", HS_LOG_MAX_RECORD);
  hs_logreader_free(&r);
  free(x.aJoin);
  if (pnRow) *pnRow = x.nRow;
  if (x.bNoMem) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "out of memory after %llu gctrace rows; the tables hold what was read",
                 (unsigned long long)x.nRow);
    return HS_ENOMEM;
  }
  return x.bTrunc ? HS_ETRUNC : HS_OK;
}

/* ------------------------------------------------------------------ */
/* The sniffer (the loader, shared with goroutines.c, is in textlog.c). */

/* 80 when a gc line is in the window, 60 for only scav/pacer lines.  The
** window is read with the line reader, so container framing and partial
** records look as they will to the loader. */
int hs_gctrace_sniff(const uint8_t *p, size_t n) {
  hs_logreader r;
  hs_logline L;
  int score = 0;
  hs_logreader_init(&r, p, n);
  while (score < 80 && hs_logreader_next(&r, &L)) {
    if (L.n < 5 || !hs_golog_is_gc_line(L.z, L.n)) continue;
    if (L.z[0] == 'g' && L.n >= 8 && memchr(L.z, '@', L.n < 32 ? L.n : 32)) score = 80;
    else if (L.z[0] != 'G') score = 60;
  }
  hs_logreader_free(&r);
  return score;
}
