/*
 * Reading a heap dump's object records on two threads.
 *
 * The records are varint-framed: where one ends is known only by parsing
 * everything before it, so the dump cannot simply be cut in two.  The
 * read-ahead guesses instead.  From a point two fifths into the object
 * records it looks for a byte from which SYNC_RECORDS object records in a
 * row parse strictly (an object tag, an address inside the heap, a length
 * that fits, field kinds 1..3 at ascending offsets inside the object, as
 * Go's dumpobj writes them).  From there it parses object records until
 * one is not a clean object record (another kind, an inconsistent one, the
 * end, a cut), each into an hs_objrec, while the loader reads the records
 * before it.
 *
 * The guess is checked, never trusted: the loader, reading on, takes the
 * parsed records only if a record of its own begins exactly at the guessed
 * byte.  Parsing is a function of the offset alone, so from there the
 * read-ahead saw the records the loader would have, and the loader hands
 * them one by one, in order, to the same code (take_object) that its own
 * parse feeds: the tables come out byte for byte as a one-thread load
 * makes them.  Should the loader pass the guessed byte without stopping on
 * it (a guess inside a record), the read-ahead is thrown away and the
 * loader reads on alone.  (The params, which parsing depends on, are
 * settled before the first object record: a second params record is
 * skipped.)  Where the
 * read-ahead stopped, the loader reads the next record itself, so anything
 * to report (a skipped record, a cut) is reported by the one reader.
 *
 * Its parse done, the thread faults in the loader's columns a block ahead
 * of the taking (hs_ahead_cols): new pages cost about as much as the
 * taking itself, and the thread is idle by then.
 *
 * Memory: 32 bytes per record parsed ahead (a Go dump spends 60-90 bytes
 * on an object record), at most half the dump's size in all, freed as the
 * loader takes them; the thread hands back the file pages behind it as the
 * loader does (MADV_DONTNEED, an mmapped file only).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/base.h"
#include "formats/dumpahead.h"

uint64_t hs_ahead_min_bytes = 64u << 20;
int hs_ahead_patient;

#define SYNC_RECORDS 16       /* clean records in a row that make a start */
#define SYNC_SEARCH ((uint64_t)64 << 20) /* bytes searched for one */
#define CHUNK 65536           /* records per block handed over */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL: no harm */
#endif

int hs_objrec_read(rd *r, const hs_dumpfmt *f, uint64_t iRec, hs_objrec *o) {
  uint64_t n, iMin;
  int bBad = 0;
  o->iRec = iRec;
  o->iAddr = rd_uv(r);
  const uint8_t *p = rd_bytes(r, &n);
  o->nSize = n;
  o->nField = rd_fields(r, n, f->nPtrSize, &iMin, &bBad);
  o->iHeader = 0;
  if (r->err) return OBJREC_OK;
  o->iContent = (uint64_t)(p - r->pBase);
  if (bBad) return OBJREC_BADFIELD;
  if (o->iAddr + n < o->iAddr) return OBJREC_WRAPS;
  /* The Go 1.22+ malloc header: see the essay in heapdump.c. */
  if (f->bTypeHeader && n > (uint64_t)f->nPtrSize * f->nPtrSize * 8 && n <= 32768 &&
      o->nField > 0 && iMin >= 8)
    o->iHeader = rd_word(p, f->nPtrSize, f->bBigEndian);
  return OBJREC_OK;
}

/* A parsed record as a block holds it: 32 bytes instead of hs_objrec's
** 48 (the read-ahead's memory and what the loader reads back). */
typedef struct packed {
  uint64_t iAddr, nSize, iContent;
  uint32_t nField;          /* a record with more is left to the loader */
  uint8_t nHead;            /* iContent - the record's offset (at most 21) */
  uint8_t bHeader;          /* the block's aHeader holds its header word */
} packed;

/* A block of parsed records; aHeader is written only where a record has a
** header word, so its pages mostly stay untouched. */
typedef struct chunk {
  struct chunk *pNext;
  uint32_t n;
  packed a[CHUNK];
  uint64_t aHeader[CHUNK];
} chunk;

struct hs_ahead {
  const uint8_t *pBase;
  uint64_t n, iFrom;
  hs_dumpfmt f;
  int bMapped;
  pthread_t th;
  int bThread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_cond_t cvCols;    /* the loader has begun taking: cols is set */
  int bKnown;               /* iStart is decided (atomic) */
  uint64_t iStart;          /* where it began (UINT64_MAX: nowhere) */
  /* under mu */
  chunk *pHead, *pTail;     /* handed over, not yet taken */
  int bDone;                /* no more chunks come; iStop is set */
  uint64_t iStop;           /* the offset after its last record */
  int bCancel;              /* the loader does not want the rest */
  int bCols;                /* cols is set */
  hs_ahead_cols cols;
  uint64_t nTaken;          /* records the loader has taken (atomic) */
};

/* One object record from r, strictly (the start's test); 1 if clean.  It
** gives up at the first thing wrong, the address before the rest: a try
** that starts inside a long field list or a run of 0x01 bytes must not
** walk to its end (that made the search quadratic in such a run). */
static int strict_record(rd *r, const hs_dumpfmt *f) {
  if (rd_uv(r) != TAG_OBJECT || r->err) return 0;
  uint64_t iAddr = rd_uv(r), n;
  if (r->err || iAddr < f->iHeapStart || iAddr >= f->iHeapEnd) return 0;
  rd_bytes(r, &n);
  if (r->err || n == 0 || iAddr + n < iAddr) return 0;
  for (uint64_t nField = 0, iLast = 0;; nField++) {
    uint64_t kind = rd_uv(r);
    if (r->err || kind > 3) return 0;
    if (kind == 0) return 1;
    uint64_t off = rd_uv(r), nWords = kind == 1 ? 1 : 2;
    if (r->err || off > n || n - off < nWords * f->nPtrSize || (nField && off <= iLast))
      return 0;
    iLast = off;
  }
}

static int cancelled(hs_ahead *a) {
  pthread_mutex_lock(&a->mu);
  int b = a->bCancel;
  pthread_mutex_unlock(&a->mu);
  return b;
}

/* The first byte at or after iFrom where SYNC_RECORDS records in a row
** parse strictly; UINT64_MAX if there is none in SYNC_SEARCH bytes (huge
** objects there: the loader reads on alone), or the loader cancelled. */
static uint64_t find_start(hs_ahead *a) {
  const uint8_t *p = a->pBase + a->iFrom, *pEnd = a->pBase + a->n;
  if ((uint64_t)(pEnd - p) > SYNC_SEARCH) pEnd = p + SYNC_SEARCH;
  for (const uint8_t *pCheck = p + (1u << 20); p < pEnd; p++) {
    p = memchr(p, TAG_OBJECT, (size_t)(pEnd - p));
    if (!p) break;
    rd r = {a->pBase, p, a->pBase + a->n, 0, 0, 0};
    int k = 0;
    while (k < SYNC_RECORDS && strict_record(&r, &a->f)) k++;
    if (k == SYNC_RECORDS) return (uint64_t)(p - a->pBase);
    if (p >= pCheck) {                        /* every MiB looked at */
      if (cancelled(a)) break;
      pCheck = p + (1u << 20);
    }
  }
  return UINT64_MAX;
}

static void publish(hs_ahead *a, chunk *c) {
  pthread_mutex_lock(&a->mu);
  if (a->pTail)
    a->pTail->pNext = c;
  else
    a->pHead = c;
  a->pTail = c;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

/* After the parse (nRec records): waits for the loader to begin taking,
** then faults in its columns where the records go, a block at a time,
** skipping the blocks it has taken, until all are done or the loader is. */
static void fault_in_columns(hs_ahead *a, uint64_t nRec) {
  pthread_mutex_lock(&a->mu);
  while (!a->bCols && !a->bCancel) pthread_cond_wait(&a->cvCols, &a->mu);
  hs_ahead_cols cols = a->cols;
  int bGo = a->bCols && !a->bCancel && cols.nCap;
  pthread_mutex_unlock(&a->mu);
  for (uint64_t k = 0; bGo && k < nRec && cols.iBase + k < cols.nCap; k += CHUNK) {
    if (k + CHUNK <= __atomic_load_n(&a->nTaken, __ATOMIC_RELAXED)) continue;
    uint64_t iLo = cols.iBase + k, iHi = iLo + (nRec - k < CHUNK ? nRec - k : CHUNK);
    if (iHi > cols.nCap) iHi = cols.nCap;
    for (int i = 0; i < 3; i++) {
      uintptr_t p0 = (uintptr_t)((uint64_t *)cols.ap[i] + iLo) & ~(uintptr_t)4095;
      uintptr_t p1 = (uintptr_t)((uint64_t *)cols.ap[i] + iHi) & ~(uintptr_t)4095;
      if (p1 > p0) madvise((void *)p0, p1 - p0, MADV_POPULATE_WRITE);
    }
    if (cancelled(a)) break;
  }
}

static void *ahead_run(void *pArg) {
  hs_ahead *a = pArg;
  uint64_t iStart = find_start(a);
  a->iStart = iStart;
  __atomic_store_n(&a->bKnown, 1, __ATOMIC_RELEASE);
  uint64_t iAt = iStart, nBudget = a->n / 2 / sizeof(packed), nRec = 0;
  uint64_t iDropped = iStart & ~(uint64_t)0xfffff;
  rd r = {a->pBase, a->pBase + (iStart < a->n ? iStart : a->n), a->pBase + a->n, 0, 0, 0};
  chunk *c = NULL;
  while (iStart != UINT64_MAX && nRec < nBudget) {
    if (!c || c->n == CHUNK) {
      if (c) publish(a, c);
      if (cancelled(a) || !(c = malloc(sizeof *c))) {
        c = NULL;
        break;
      }
      c->pNext = NULL;
      c->n = 0;
      if (a->bMapped) hs_drop_behind(a->pBase, &iDropped, iAt);   /* as the loader does */
    }
    if (r.p >= r.pEnd || rd_uv(&r) != TAG_OBJECT || r.err) break;
    hs_objrec o;
    if (hs_objrec_read(&r, &a->f, iAt, &o) != OBJREC_OK || r.err || o.nField > UINT32_MAX) break;
    c->a[c->n] = (packed){o.iAddr, o.nSize, o.iContent, (uint32_t)o.nField,
                          (uint8_t)(o.iContent - iAt), o.iHeader != 0};
    if (o.iHeader) c->aHeader[c->n] = o.iHeader;
    c->n++;
    nRec++;
    iAt = (uint64_t)(r.p - r.pBase);
  }
  if (c && c->n)
    publish(a, c);
  else
    free(c);
  pthread_mutex_lock(&a->mu);
  a->iStop = iAt;
  a->bDone = 1;
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
  fault_in_columns(a, nRec);
  return NULL;
}

hs_ahead *hs_ahead_start(const uint8_t *pBase, uint64_t n, uint64_t iFirst,
                         const hs_dumpfmt *f, int bMapped) {
  if (n < hs_ahead_min_bytes || iFirst >= n || hs_nthreads() < 2) return NULL;
  hs_ahead *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->pBase = pBase;
  a->n = n;
  /* The loader reads the first two fifths and takes the rest: taking
  ** costs it about half as much as reading (the columns' new pages, even
  ** faulted in ahead), while the read-ahead, done, only faults them in.
  ** Measured on tests/bench/realheap.sh, paired against halving the
  ** records: 0.90x the load's time (16 pairs); 0.35 of them gave 0.93x,
  ** 0.45 gave 0.97x (10 pairs). */
  a->iFrom = iFirst + (n - iFirst) / 5 * 2;
  a->f = *f;
  a->bMapped = bMapped;
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
  pthread_cond_init(&a->cvCols, NULL);
  a->bThread = pthread_create(&a->th, NULL, ahead_run, a) == 0;
  if (!a->bThread) {
    hs_ahead_free(a);
    return NULL;
  }
  return a;
}

uint64_t hs_ahead_from(const hs_ahead *a) { return a->iFrom; }

uint64_t hs_ahead_at(const hs_ahead *a) {
  while (!__atomic_load_n(&a->bKnown, __ATOMIC_ACQUIRE)) {
    if (!hs_ahead_patient) return 0;
    sched_yield();
  }
  return a->iStart;
}

int hs_ahead_take(hs_ahead *a, int (*xTake)(void *, const hs_objrec *), void *pArg,
                  const hs_ahead_cols *pCols, uint64_t *piStop, uint64_t *pnTaken) {
  uint64_t nTaken = 0, iStop = a->iStart;
  int rc = HS_OK;
  pthread_mutex_lock(&a->mu);
  if (pCols) a->cols = *pCols;
  a->bCols = 1;
  pthread_cond_signal(&a->cvCols);
  pthread_mutex_unlock(&a->mu);
  for (;;) {
    pthread_mutex_lock(&a->mu);
    while (!a->pHead && !a->bDone) pthread_cond_wait(&a->cv, &a->mu);
    chunk *c = a->pHead;
    if (c) {
      a->pHead = c->pNext;
      if (!a->pHead) a->pTail = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    if (!c) break;                            /* done, and all taken */
    for (uint32_t i = 0; i < c->n && rc == HS_OK; i++) {
      const packed *q = &c->a[i];
      hs_objrec o = {q->iContent - q->nHead, q->iAddr, q->nSize, q->iContent, q->nField,
                     q->bHeader ? c->aHeader[i] : 0};
      rc = xTake(pArg, &o);
      if (rc == HS_OK)
        nTaken++;
      else
        iStop = o.iRec;                       /* the loader stops at it */
    }
    free(c);
    __atomic_store_n(&a->nTaken, nTaken, __ATOMIC_RELAXED);
    if (rc != HS_OK) break;
  }
  if (rc == HS_OK) {                          /* all taken: where the thread stopped */
    pthread_mutex_lock(&a->mu);
    iStop = a->iStop;
    pthread_mutex_unlock(&a->mu);
  }
  *piStop = iStop;
  *pnTaken = nTaken;
  return rc;
}

void hs_ahead_free(hs_ahead *a) {
  if (!a) return;
  if (a->bThread) {
    pthread_mutex_lock(&a->mu);
    a->bCancel = 1;
    pthread_cond_signal(&a->cvCols);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
  }
  for (chunk *c = a->pHead, *pNext; c; c = pNext) {
    pNext = c->pNext;
    free(c);
  }
  pthread_mutex_destroy(&a->mu);
  pthread_cond_destroy(&a->cv);
  pthread_cond_destroy(&a->cvCols);
  free(a);
}
