/*
 * Goroutine dumps: the text forms in which a Go program lists its
 * goroutines, alone in a file or inside any log (plain, Kubernetes CRI or
 * Docker json-file, see golog.h).  Three sources print them:
 *
 *   /debug/pprof/goroutine?debug=2, runtime.Stack(all), panics, fatal
 *   errors and SIGQUIT (runtime/traceback.go), one block per goroutine:
 *
 *   line                                                  meaning
 *   ----------------------------------------------------  ---------------------------
 *   goroutine 20 [chan receive, 5 minutes, locked to thread]:
 *                                                         header: id [status
 *                                                         (scan), wait, locked]
 *   goroutine 5 gp=0xc000007 m=3 mp=0xc000 [running]:     1.23+ with GOTRACEBACK=system
 *                                                         or while throwing
 *   main.leakyWorker(0x0, {0xc002ab6000, 0x2000, 0x2000}) a frame: func(args), the
 *   \theapscope/samples/leaky/main.go:199 +0x208          leaf first, then \tfile:line
 *                                                         [+0xPCOFF][ fp= sp= pc=]
 *   main.walkRecords(...)                                 an inlined frame
 *   ...53 frames elided...                                1.21+: middle frames cut
 *   ...additional frames elided...                        <=1.20: stack cut at 100
 *   \tgoroutine running on other thread; stack unavailable
 *   created by main.startLeakyWorkers                     1.19 (then \tfile:line)
 *   created by main.panicMode in goroutine 1              1.21+
 *   [originating from goroutine 7]:                       tracebackancestors=N:
 *                                                         ancestor frames (skipped)
 *   (blank line)                                          end of the block
 *
 *   Around the blocks a crash prints its reason ("panic: ...",
 *   "fatal error: ...", "SIGQUIT: quit", "PC=0x.. m=0 sigcode=0") and, with
 *   GOTRACEBACK=crash, register dumps ("rax    0xca"); those are kept as
 *   the blocks' `reason`, other text between blocks is ignored.
 *
 *   /debug/pprof/goroutine?debug=1 (runtime/pprof printCountProfile):
 *
 *   goroutine profile: total 61                           header
 *   50 @ 0x43d2d6 0x407e1b 0x58dae8 0x46aa41              C goroutines share the stack
 *   # labels: {"role":"leaky-worker"}                     optional pprof labels
 *   #\t0x58dae7\tmain.leakyWorker+0x207\tmain.go:199      a frame (leaf first)
 *   (blank line)                                          end of the record
 *
 * Tables: goroutines (one row per block, or per debug=1 record with
 * count = C) and goroutines.frames (one row per printed frame; `goroutine`
 * is the 0-based row in goroutines, `depth` 0 is the leaf).  debug=1
 * records have no id, state or creator (0 and "").
 *
 * Cost: one pass, a first-byte dispatch per line, one string intern per
 * frame function and file; no allocation per line, no recursion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "golog.h"

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static int has_prefix(const char *z, size_t n, const char *zP, size_t nP) {
  return n >= nP && memcmp(z, zP, nP) == 0;
}
static int has_suffix(const char *z, size_t n, const char *zS, size_t nS) {
  return n >= nS && memcmp(z + n - nS, zS, nS) == 0;
}
#define PREFIX(z, n, lit) has_prefix(z, n, lit, sizeof(lit) - 1)
#define SUFFIX(z, n, lit) has_suffix(z, n, lit, sizeof(lit) - 1)

/* A header "goroutine N[ gp=.. m=.. mp=..] [status...]:" split into its
** parts; 0 if z[0..n) is not one. */
typedef struct ghead {
  uint64_t id;
  const char *zState;
  size_t nState;
  uint64_t nMinutes;
  int bLocked;
} ghead;

static int parse_header(const char *z, size_t n, ghead *h) {
  if (!PREFIX(z, n, "goroutine ") || !SUFFIX(z, n, "]:")) return 0;
  size_t i = 10;
  uint64_t id = 0;
  if (i >= n || !is_digit(z[i])) return 0;
  for (; i < n && is_digit(z[i]); i++) id = id * 10 + (uint64_t)(z[i] - '0');
  /* skip " gp=0x.. m=N mp=0x.." up to " [" */
  const char *zOpen = NULL;
  for (size_t k = i; k + 1 < n; k++)
    if (z[k] == ' ' && z[k + 1] == '[') { zOpen = z + k + 2; break; }
  if (!zOpen) return 0;
  const char *zEnd = z + n - 2; /* the "]" */
  if (zOpen > zEnd) return 0;
  size_t m = (size_t)(zEnd - zOpen);
  memset(h, 0, sizeof *h);
  h->id = id;
  if (SUFFIX(zOpen, m, ", locked to thread")) {
    h->bLocked = 1;
    m -= sizeof(", locked to thread") - 1;
  }
  if (SUFFIX(zOpen, m, " minutes")) {
    size_t j = m - (sizeof(" minutes") - 1), k = j;
    while (k > 0 && is_digit(zOpen[k - 1])) k--;
    if (k < j && k >= 2 && zOpen[k - 1] == ' ' && zOpen[k - 2] == ',') {
      uint64_t v = 0;
      for (size_t q = k; q < j && q - k < 18; q++) v = v * 10 + (uint64_t)(zOpen[q] - '0');
      h->nMinutes = v;
      m = k - 2;
    }
  }
  if (SUFFIX(zOpen, m, " (scan)")) m -= sizeof(" (scan)") - 1;
  h->zState = zOpen;
  h->nState = m;
  return 1;
}

/* "\tfile:line[ +0xOFF][ fp=.. sp=.. pc=..]" after the tab. */
static void parse_fileline(const char *z, size_t n, size_t *pnFile, uint32_t *piLine,
                           uint64_t *pOff) {
  size_t iEnd = n;
  *pOff = 0;
  for (size_t k = 0; k + 3 < n; k++) {
    if (z[k] == ' ' && ((z[k + 1] == '+' && z[k + 2] == '0' && z[k + 3] == 'x') ||
                        (k + 3 < n && z[k + 1] == 'f' && z[k + 2] == 'p' && z[k + 3] == '='))) {
      iEnd = k;
      break;
    }
  }
  if (iEnd + 4 <= n && z[iEnd + 1] == '+') {
    uint64_t v = 0;
    for (size_t k = iEnd + 4; k < n && k < iEnd + 20; k++) {
      char ch = z[k];
      int h = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
      if (h < 0) break;
      v = v * 16 + (uint64_t)h;
    }
    *pOff = v;
  }
  /* line number: digits after the last ':' before iEnd */
  size_t j = iEnd;
  while (j > 0 && z[j - 1] == ' ') j--;
  size_t k = j;
  while (k > 0 && is_digit(z[k - 1])) k--;
  if (k < j && k > 0 && z[k - 1] == ':') {
    uint32_t v = 0;
    for (size_t q = k; q < j && q - k < 9; q++) v = v * 10 + (uint32_t)(z[q] - '0');
    *piLine = v;
    *pnFile = k - 1;
  } else {
    *piLine = 0;
    *pnFile = j;
  }
}

/* ------------------------------------------------------------------ */
/* Tables. */


enum {
  G_ID, G_STATE, G_WAIT_MINUTES, G_FRAMES, G_TOP, G_CREATED_BY, G_CREATED_BY_GOROUTINE,
  G_LOCKED, G_ELIDED, G_COUNT, G_LABELS, G_REASON, G_SOURCE, G_LINE, G_NCOL
};
static const hs_colspec aGCol[G_NCOL] = {
    {"id", HS_U64, 0},
    {"state", HS_STR, 0},
    {"wait_minutes", HS_U32, 0},
    {"frames", HS_U32, 0},
    {"top", HS_STR, 0},
    {"created_by", HS_STR, 0},
    {"created_by_goroutine", HS_U64, 0},
    {"locked", HS_U32, 0},
    {"elided", HS_U32, 0},
    {"count", HS_U64, 0},
    {"labels", HS_STR, 0},
    {"reason", HS_STR, 0},
    {"source", HS_STR, 0},
    {"line", HS_U64, 0},
};

enum { F_GOROUTINE, F_DEPTH, F_FUNC, F_FILE, F_LINE, F_PC_OFFSET, F_NCOL };
static const hs_colspec aFCol[F_NCOL] = {
    {"goroutine", HS_U64, 0},
    {"depth", HS_U32, 0},
    {"func", HS_STR, 0},
    {"file", HS_STR, 0},
    {"line", HS_U32, 0},
    {"pc_offset", HS_U64, HS_COL_HEX},
};


/* ------------------------------------------------------------------ */
/* The extractor. */

enum {
  ST_NONE,          /* between dumps */
  ST_BLOCK,         /* in a goroutine block, expecting a frame, created by, blank */
  ST_FILE,          /* after a frame's function line, expecting \tfile:line */
  ST_CREATED_FILE,  /* after "created by", expecting its \tfile:line */
  ST_DONE,          /* after "created by" and its file: only a blank line or
                    ** ancestors may follow */
  ST_ANCESTOR,      /* in "[originating from goroutine N]:" frames: skipped */
  ST_D1             /* in a debug=1 profile */
};

typedef struct grx {
  hs_case *c;
  hs_input *in;
  hs_table *pG, *pF;
  int aG[G_NCOL], aF[F_NCOL];
  uint32_t idSource;    /* input name in the string pool */
  uint32_t idReason;    /* the current dump's reason line, 0 if none */
  int bSawBlock;        /* a block of the current dump was completed */
  int eState;
  int bOpen;            /* iRow is an open goroutine row */
  uint64_t iRow;        /* the open goroutine row */
  uint64_t iOpenLine;   /* where it started */
  uint64_t iOpenOff;
  uint32_t nFrame;      /* frames of the open row */
  uint64_t iFrame;      /* the frame row waiting for its file line */
  uint64_t nRow;        /* goroutine rows added */
  int nForeign;         /* consecutive foreign lines inside the open block */
  int bLastNoLine;      /* the last file:line read had no line number */
  int bLastOk;          /* the last line was a whole element of a dump */
  int bNoMem;
  int bTrunc;
} grx;

static int ensure_tables(grx *x) {
  if (x->pG) return 1;
  x->pG = hs_table_open(x->c, "goroutines",
                        "one row per goroutine (debug=1: per stack, with count)", aGCol, G_NCOL,
                        x->aG);
  x->pF = x->pG ? hs_table_open(x->c, "goroutines.frames",
                                "one row per frame; goroutine = 0-based row in goroutines, depth "
                                "0 = leaf", aFCol, F_NCOL, x->aF)
                : NULL;
  if (!x->pG || !x->pF) {
    x->bNoMem = 1;
    return 0;
  }
  return 1;
}

static void close_row(grx *x) {
  if (!x->bOpen) return;
  hs_table_set_u32(x->pG, x->aG[G_FRAMES], x->iRow, x->nFrame);
  x->bOpen = 0;
  x->bSawBlock = 1;
}

static int open_row(grx *x, const hs_logline *L) {
  close_row(x);
  if (!ensure_tables(x)) return 0;
  uint64_t iRow = hs_table_add_row(x->pG);
  if (iRow == UINT64_MAX) {
    x->bNoMem = 1;
    return 0;
  }
  x->iRow = iRow;
  x->bOpen = 1;
  x->nFrame = 0;
  x->iOpenLine = L->iLine;
  x->iOpenOff = L->iOff;
  x->nRow++;
  hs_table *t = x->pG;
  hs_table_set_u64(t, x->aG[G_COUNT], iRow, 1);
  hs_table_set_u32(t, x->aG[G_SOURCE], iRow, x->idSource);
  hs_table_set_u64(t, x->aG[G_LINE], iRow, L->iLine);
  hs_table_set_u32(t, x->aG[G_REASON], iRow, x->idReason);
  return 1;
}

/* Add a frame of the open row; returns its row or UINT64_MAX. */
static uint64_t add_frame(grx *x, const char *zFunc, size_t nFunc) {
  uint64_t iF = hs_table_add_row(x->pF);
  if (iF == UINT64_MAX) {
    x->bNoMem = 1;
    return iF;
  }
  hs_table *t = x->pF;
  hs_table_set_u64(t, x->aF[F_GOROUTINE], iF, x->iRow);
  hs_table_set_u32(t, x->aF[F_DEPTH], iF, x->nFrame);
  hs_table_set_str(t, x->aF[F_FUNC], iF, zFunc, nFunc);
  if (x->nFrame == 0) hs_table_set_str(x->pG, x->aG[G_TOP], x->iRow, zFunc, nFunc);
  x->nFrame++;
  return iF;
}

static void set_fileline(grx *x, uint64_t iF, const char *z, size_t n) {
  size_t nFile;
  uint32_t iLine;
  uint64_t off;
  parse_fileline(z, n, &nFile, &iLine, &off);
  x->bLastNoLine = iLine == 0;
  hs_table_set_str(x->pF, x->aF[F_FILE], iF, z, nFile);
  hs_table_set_u32(x->pF, x->aF[F_LINE], iF, iLine);
  hs_table_set_u64(x->pF, x->aF[F_PC_OFFSET], iF, off);
}

/* A crash's first line: the reason the dump was printed. */
static int is_reason(const char *z, size_t n) {
  if (n < 6) return 0;
  switch (z[0]) {
    case 'p': return PREFIX(z, n, "panic: ");
    case 'f': return PREFIX(z, n, "fatal error: ") || PREFIX(z, n, "fatal: ");
    case 'S': {
      if (n < 6 || z[1] != 'I' || z[2] != 'G') return 0;
      size_t i = 3;
      while (i < n && z[i] >= 'A' && z[i] <= 'Z') i++;
      return i > 3 && i + 1 < n && z[i] == ':' && z[i + 1] == ' ';
    }
    case 'u': return PREFIX(z, n, "unexpected fault address ");
  }
  return 0;
}

/* Lines the runtime prints around goroutine blocks during a crash; they do
** not end the dump's reason. */
static int is_crash_noise(const char *z, size_t n) {
  if (n == 0) return 1;
  if (z[0] == '\t' || z[0] == '[' || PREFIX(z, n, "PC=") || PREFIX(z, n, "runtime") ||
      PREFIX(z, n, "exit status") || PREFIX(z, n, "-----"))
    return 1;
  /* register dump: "rax    0xca", "r10    0x0", "rflags 0x286" */
  size_t i = 0;
  while (i < n && i < 8 && ((z[i] >= 'a' && z[i] <= 'z') || is_digit(z[i]))) i++;
  if (i == 0 || i >= n || z[i] != ' ') return 0;
  while (i < n && z[i] == ' ') i++;
  return n - i >= 2 && z[i] == '0' && z[i + 1] == 'x';
}

/* A frame function line: "name(args)" with no leading tab; sets the name. */
static int is_func_line(const char *z, size_t n, size_t *pnName) {
  if (n < 3 || z[n - 1] != ')' || z[0] == '\t' || z[0] == ' ') return 0;
  const char *zOpen = NULL;
  for (size_t k = n - 1; k > 0; k--)
    if (z[k] == '(') { zOpen = z + k; break; }
  if (!zOpen) return 0;
  *pnName = (size_t)(zOpen - z);
  return 1;
}

static void set_reason(grx *x, const char *z, size_t n) {
  uint32_t id = hs_str_intern(x->c->pStr, z, n > 400 ? 400 : n);
  x->idReason = id == UINT32_MAX ? 0 : id;
  x->bSawBlock = 0;
}

/* Between blocks: reasons, and the other kind's content. */
static void line_none(grx *x, const hs_logline *L, int *pbOther) {
  if (is_reason(L->z, L->n)) {
    set_reason(x, L->z, L->n);
  } else if (x->idReason && x->bSawBlock && !is_crash_noise(L->z, L->n)) {
    x->idReason = 0; /* ordinary log output again: the dump is over */
  }
  if (pbOther && !*pbOther && hs_golog_is_gc_line(L->z, L->n)) *pbOther = 1;
}

/* A debug=1 record line "C @ 0x.. 0x.."; returns 1 and C. */
static int is_d1_record(const char *z, size_t n, uint64_t *pC) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < n && is_digit(z[i]) && i < 19) v = v * 10 + (uint64_t)(z[i++] - '0');
  if (i == 0 || n - i < 2 || z[i] != ' ' || z[i + 1] != '@') return 0;
  *pC = v;
  return 1;
}

/* "#\t0x58dae7\tmain.leakyWorker+0x207\tfile.go:199" */
static void d1_frame(grx *x, const char *z, size_t n) {
  size_t i = 1;
  while (i < n && z[i] == '\t') i++;
  while (i < n && z[i] != '\t') i++; /* the pc */
  while (i < n && z[i] == '\t') i++;
  size_t iFunc = i;
  while (i < n && z[i] != '\t') i++;
  size_t nFunc = i - iFunc;
  uint64_t off = 0;
  /* strip "+0xOFF" */
  for (size_t k = nFunc; k > 1; k--) {
    if (z[iFunc + k - 1] == '+' && k + 1 < nFunc && z[iFunc + k] == '0' && z[iFunc + k + 1] == 'x') {
      for (size_t q = iFunc + k + 2; q < iFunc + nFunc && q < iFunc + k + 18; q++) {
        char ch = z[q];
        int h = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (h < 0) break;
        off = off * 16 + (uint64_t)h;
      }
      nFunc = k - 1;
      break;
    }
  }
  while (i < n && z[i] == '\t') i++;
  uint64_t iF = add_frame(x, z + iFunc, nFunc);
  if (iF == UINT64_MAX) return;
  set_fileline(x, iF, z + i, n - i);
  hs_table_set_u64(x->pF, x->aF[F_PC_OFFSET], iF, off);
}

static void line(grx *x, const hs_logline *L, int *pbOther) {
  const char *z = L->z;
  size_t n = L->n;
  ghead h;
  uint64_t u;
  x->bLastOk = 1;

  /* A header starts a block in any state. */
  if (n >= 13 && z[0] == 'g' && PREFIX(z, n, "goroutine ")) {
    if (PREFIX(z, n, "goroutine profile: total ")) {
      close_row(x);
      x->idReason = 0;
      x->eState = ST_D1;
      return;
    }
    if (parse_header(z, n, &h)) {
      if (!open_row(x, L)) return;
      x->nForeign = 0;
      hs_table *t = x->pG;
      hs_table_set_u64(t, x->aG[G_ID], x->iRow, h.id);
      hs_table_set_str(t, x->aG[G_STATE], x->iRow, h.zState, h.nState);
      hs_table_set_u32(t, x->aG[G_WAIT_MINUTES], x->iRow, (uint32_t)h.nMinutes);
      hs_table_set_u32(t, x->aG[G_LOCKED], x->iRow, (uint32_t)h.bLocked);
      x->eState = ST_BLOCK;
      return;
    }
  }

  switch (x->eState) {
    case ST_NONE:
      line_none(x, L, pbOther);
      return;

    case ST_D1:
      if (n == 0) {
        close_row(x);
      } else if (is_d1_record(z, n, &u)) {
        if (!open_row(x, L)) return;
        hs_table_set_u64(x->pG, x->aG[G_COUNT], x->iRow, u);
      } else if (z[0] == '#' && x->bOpen) {
        if (n >= 2 && z[1] == '\t') {
          d1_frame(x, z, n);
          x->bLastOk = !x->bLastNoLine;
        }
        else if (PREFIX(z, n, "# labels: "))
          hs_table_set_str(x->pG, x->aG[G_LABELS], x->iRow, z + 10, n - 10);
      } else {
        close_row(x);
        x->eState = ST_NONE;
        line_none(x, L, pbOther);
      }
      return;

    case ST_ANCESTOR:
      if (n == 0) {
        close_row(x);
        x->eState = ST_NONE;
      }
      return;

    case ST_DONE:
      if (PREFIX(z, n, "[originating from goroutine ")) {
        x->eState = ST_ANCESTOR;
        return;
      }
      close_row(x);
      x->eState = ST_NONE;
      if (n) line_none(x, L, pbOther);
      return;

    default: break;
  }

  /* In a traceback block. */
  if (n == 0) {
    close_row(x);
    x->eState = ST_NONE;
    return;
  }
  if (z[0] == '\t') {
    if (x->eState == ST_FILE) {
      set_fileline(x, x->iFrame, z + 1, n - 1);
      x->bLastOk = !x->bLastNoLine;
    }
    x->eState = x->eState == ST_CREATED_FILE ? ST_DONE : ST_BLOCK;
    x->nForeign = 0;
    return;
  }
  size_t nName;
  if (x->eState == ST_FILE && !is_func_line(z, n, &nName) && !PREFIX(z, n, "created by ") &&
      !(z[0] == '.' && SUFFIX(z, n, " elided..."))) {
    /* Another writer's line inside the block (the runtime prints while
    ** the program still runs): skip a few, then give up on the block. */
    x->bLastOk = 0;
    if (++x->nForeign <= 3) return;
    close_row(x);
    x->eState = ST_NONE;
    line_none(x, L, pbOther);
    return;
  }
  x->eState = ST_BLOCK;
  x->nForeign = 0;
  if (PREFIX(z, n, "created by ")) {
    const char *zF = z + 11;
    size_t nF = n - 11;
    for (size_t k = 0; k + 14 <= nF; k++) {
      if (zF[k] == ' ' && memcmp(zF + k, " in goroutine ", 14) == 0) {
        uint64_t g = 0;
        for (size_t q = k + 14; q < nF && is_digit(zF[q]) && q < k + 33; q++) g = g * 10 + (uint64_t)(zF[q] - '0');
        hs_table_set_u64(x->pG, x->aG[G_CREATED_BY_GOROUTINE], x->iRow, g);
        nF = k;
        break;
      }
    }
    hs_table_set_str(x->pG, x->aG[G_CREATED_BY], x->iRow, zF, nF);
    x->eState = ST_CREATED_FILE;
  } else if (z[0] == '.' && PREFIX(z, n, "...") && SUFFIX(z, n, " elided...")) {
    hs_table_set_u32(x->pG, x->aG[G_ELIDED], x->iRow, 1);
  } else if (PREFIX(z, n, "[originating from goroutine ")) {
    x->eState = ST_ANCESTOR;
  } else if (is_func_line(z, n, &nName)) {
    uint64_t iF = add_frame(x, z, nName);
    if (iF == UINT64_MAX) return;
    x->iFrame = iF;
    x->eState = ST_FILE;
  } else {
    /* another writer's line inside the block: skip a few, then give up */
    x->bLastOk = 0;
    if (++x->nForeign > 3) {
      close_row(x);
      x->eState = ST_NONE;
      line_none(x, L, pbOther);
    }
  }
}

int hs_goroutines_extract(hs_case *c, hs_input *in, uint64_t *pnRow, int *pbOther) {
  grx x;
  memset(&x, 0, sizeof x);
  x.c = c;
  x.in = in;
  x.idSource = hs_golog_source_id(c, in);
  hs_logreader r;
  hs_logreader_init_input(&r, c, in, "goroutine dump");
  hs_logline L;
  int bCutLast = 0;
  while (hs_logreader_next(&r, &L)) {
    line(&x, &L, pbOther);
    bCutLast = L.bCut;
    if (x.bNoMem) break;
  }
  hs_logreader_free(&r);
  /* A missing final newline alone is no damage; a frame without its
  ** file line, or a file line cut before its line number, is. */
  if (x.bOpen && (x.eState == ST_FILE || (bCutLast && !x.bLastOk))) {
    /* The file ends inside a block: keep what is there. */
    hs_case_diag(c, HS_WARNING, in->zName, x.iOpenOff, x.iOpenLine,
                 "the file ends inside this goroutine's stack (truncated?); its %u frame%s "
                 "were kept%s", x.nFrame, x.nFrame == 1 ? "" : "s",
                 x.eState == ST_FILE ? ", the last one without its file:line" : "");
    x.bTrunc = 1;
  }
  close_row(&x);
  if (pnRow) *pnRow = x.nRow;
  if (x.bNoMem) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
                 "out of memory after %llu goroutines; the tables hold what was read",
                 (unsigned long long)x.nRow);
    return HS_ENOMEM;
  }
  return x.bTrunc ? HS_ETRUNC : HS_OK;
}

/* ------------------------------------------------------------------ */
/* The sniffer (the loader, shared with gctrace.c, is in textlog.c). */

/* Plain text lines (no NUL, a newline, not a JSON document unless Docker
** json-file): a log that may hold a dump past the sniff window. */
static int is_text_log(const uint8_t *p, size_t n) {
  size_t nLook = n < 4096 ? n : 4096;
  if (nLook == 0 || memchr(p, 0, nLook) || !memchr(p, '\n', nLook)) return 0;
  size_t i = 0;
  while (i < nLook && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
  if (i < nLook && (p[i] == '{' || p[i] == '[')) {
    const char *zLine = (const char *)p + i, *e = memchr(zLine, '\n', nLook - i);
    hs_logjson js;
    if (!e || !hs_golog_json_record(zLine, (size_t)(e - zLine), &js)) return 0;
  }
  return 1;
}

/* 90 if the first line is a goroutine header or a debug=1 profile, 75 if
** one appears later in the window (a log with a traceback), and 5 for any
** other text log: xSniff sees only the first 64 KiB, and a crashed
** program's log often ends with its traceback far past that.  The window is
** read with the line reader, so container framing looks as it will to the
** loader. */
int hs_goroutines_sniff(const uint8_t *p, size_t n) {
  hs_logreader r;
  hs_logline L;
  int score = 0, bFirst = 1;
  hs_logreader_init(&r, p, n);
  while (hs_logreader_next(&r, &L)) {
    if (hs_golog_is_goroutine_line(L.z, L.n)) {
      score = bFirst ? 90 : 75;
      break;
    }
    if (L.n) bFirst = 0;
  }
  hs_logreader_free(&r);
  if (score == 0 && is_text_log(p, n)) score = 5;
  return score;
}
