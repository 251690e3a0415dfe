/*
 * From a loaded heap dump to the object graph: resolve every pointer field
 * and every root to the object that contains its target, then hand the CSR
 * to graph.c.  Also the lazy, cached entry point hs_case_graph.
 *
 * Resolution.  Objects are sorted by address and do not overlap, so the
 * object containing p is the last one starting at or before p, if p is
 * below its end.  A plain binary search over 10 M addresses costs ~24
 * dependent cache misses per pointer; a page directory first narrows it to
 * the objects whose start falls in p's page (aPage[k] = the number of
 * objects starting before page k), so the search runs over a few entries.
 * The directory has at most 2^22 pages (16 MiB), sized from the span of the
 * heap.  Pointers to base+8 of a Go 1.22+ object with a type header are
 * interior pointers and resolve like any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

#include "heapscope/graph.h"
#include "heapscope/heap.h"
#include "base/base.h"
#include "graph/dominators.h"

int hs_pagedir_init(hs_pagedir *d, const uint64_t *aAddr, const uint64_t *aSize,
                        uint32_t n) {
  memset(d, 0, sizeof *d);
  if (n == 0) return HS_OK;
  d->iBase = aAddr[0];
  uint64_t iEnd = aAddr[n - 1] + aSize[n - 1];
  uint64_t nSpan = iEnd > d->iBase ? iEnd - d->iBase : 1;
  uint64_t nWant = (uint64_t)n < (1u << 22) ? (n < 1024 ? 1024 : n) : (1u << 22);
  d->nShift = 3;
  while ((nSpan >> d->nShift) > nWant) d->nShift++;
  d->nPage = (nSpan >> d->nShift) + 1;
  d->aPage = malloc((d->nPage + 1) * sizeof *d->aPage);
  if (!d->aPage) return HS_ENOMEM;
  uint32_t i = 0;
  for (uint64_t k = 0; k <= d->nPage; k++) {
    uint64_t iStart = d->iBase + (k << d->nShift);
    while (i < n && aAddr[i] < iStart) i++;
    d->aPage[k] = i;
  }
  return HS_OK;
}


/* A run: objects iFirst..iEnd-1 (ids) whose contents ascend in the dump,
** starting at byte iOff.  The loader sorts the dump's spans by address, so
** a run is usually one span. */
typedef struct run {
  uint64_t iOff;
  uint32_t iFirst, iEnd;
} run;

static int run_cmp(const void *a, const void *b) {
  const run *x = a, *y = b;
  return x->iOff < y->iOff ? -1 : x->iOff > y->iOff;
}

/* The runs in dump order, or one run of every object when there are too
** many to be worth it (then pages are only given back at the end). */
static run *dump_order(const hs_heap *h, uint32_t nObj, uint32_t *pnRun) {
  uint32_t nRun = nObj ? 1 : 0;
  for (uint32_t i = 1; i < nObj; i++) nRun += h->aContentOff[i] <= h->aContentOff[i - 1];
  if (nRun > nObj / 8 + 1024) nRun = nObj ? 1 : 0;
  run *a = malloc(((size_t)nRun + 1) * sizeof *a);
  if (!a) return NULL;
  if (nRun == 1) {
    a[0] = (run){0, 0, nObj};
  } else if (nRun) {
    uint32_t k = 0;
    a[0].iFirst = 0;
    a[0].iOff = h->aContentOff[0];
    for (uint32_t i = 1; i < nObj; i++)
      if (h->aContentOff[i] <= h->aContentOff[i - 1]) {
        a[k].iEnd = i;
        a[++k].iFirst = i;
        a[k].iOff = h->aContentOff[i];
      }
    a[k].iEnd = nObj;
    qsort(a, nRun, sizeof *a, run_cmp);
  }
  *pnRun = nRun;
  return a;
}

/* One scanner's share of the resolution: runs [r0, r1) in dump order.  It
** writes its (target, offset) pairs forward from slot 0, or backward from
** slot nCap-1 (bBack), so two scanners share one pair of arrays without
** knowing their counts in advance: together they never hold more than the
** nField pointer fields the loader counted.  Each object's count goes to
** aCount[id + 1] and each run's first pair's index (counted from its
** scanner's end) to aRunAt[r], which is all the placement needs: within a
** run, sources ascend. */
typedef struct scan {
  const hs_heap *h;
  const hs_pagedir *d;
  const run *aRun;
  uint32_t r0, r1;
  int bMapped, bBack;
  uint32_t *aTDst, *aTOff;
  uint32_t *aCount;     /* nObj+2: object i's count at [i+1] */
  uint64_t *aRunAt;     /* per run: its first pair, in this scanner's order */
  uint64_t nCap;
  uint64_t nLimit;      /* slots this scanner may use (the other's are after) */
  uint64_t m;           /* pairs written */
  uint64_t nObjShare;   /* objects in its runs (for the progress line) */
  uint64_t nDropped;
  int rc;
} scan;

/* A batch of pointers found but not yet resolved.  Resolving one costs two
** or three dependent cache misses (the page directory, then the object's
** address and size); a batch resolves its pointers stage by stage, each
** stage prefetching for the next over the whole batch, so their misses
** overlap instead of queuing. */
#define SCAN_BATCH 32
typedef struct pending {
  uint64_t p;          /* the pointer */
  uint64_t iPage;      /* its page in the directory (stage 1) */
  uint32_t iSrc;       /* the object holding it */
  uint32_t iOff;       /* its offset there */
  uint32_t lo, hi;     /* the page's objects (stage 2; 0, 0: outside the heap,
                          which hs_find_between answers with HS_NONE) */
} pending;

static void scan_flush(scan *s, pending *a, uint32_t n) {
  const hs_pagedir *d = s->d;
  const uint64_t *aAddr = s->h->aAddr, *aSize = s->h->aSize;
  for (uint32_t j = 0; j < n; j++) {
    a[j].iPage = hs_pagedir_page(d, a[j].p);
    if (a[j].iPage < d->nPage) __builtin_prefetch(&d->aPage[a[j].iPage]);
  }
  for (uint32_t j = 0; j < n; j++) {
    a[j].lo = a[j].hi = 0;
    if (a[j].iPage >= d->nPage) continue;
    a[j].lo = d->aPage[a[j].iPage];
    a[j].hi = d->aPage[a[j].iPage + 1];
    uint32_t x = a[j].lo ? a[j].lo - 1 : 0;    /* the answer is in [lo-1, hi) */
    __builtin_prefetch(&aAddr[x]);
    __builtin_prefetch(&aSize[x]);
  }
  for (uint32_t j = 0; j < n; j++) {
    uint32_t t = hs_find_between(aAddr, aSize, a[j].lo, a[j].hi, a[j].p);
    if (t == HS_NONE) {
      s->nDropped++;
      continue;
    }
    if (s->m >= s->nLimit) continue;           /* more fields than nField said */
    uint64_t k = s->bBack ? s->nCap - 1 - s->m : s->m;
    s->m++;
    s->aTDst[k] = t;
    s->aTOff[k] = a[j].iOff;
    s->aCount[a[j].iSrc + 1]++;
  }
}

static void *scan_runs(void *pArg) {
  scan *s = pArg;
  const hs_heap *h = s->h;
  uint64_t iDropped = s->r0 < s->r1 ? s->aRun[s->r0].iOff & ~(uint64_t)0xfffff : 0;
  uint64_t nSeen = 0;
  pending aPend[SCAN_BATCH];
  uint32_t nPend = 0;
  for (uint32_t r = s->r0; r < s->r1; r++) {
    /* hand back the pages of the dump behind the scan (see from_heap) */
    if (s->bMapped) hs_drop_behind(h->pBuf, &iDropped, s->aRun[r].iOff);
    s->aRunAt[r] = s->m;
    for (uint32_t i = s->aRun[r].iFirst; i < s->aRun[r].iEnd; i++) {
      hs_heap_fielditer it;
      uint64_t off;
      hs_heap_fields(h, i, &it);
      while (hs_heap_field_next(&it, &off)) {
        if (off + h->nPtrSize > h->aSize[i]) continue; /* the loader guarantees; be safe */
        uint64_t p = hs_heap_word(h, i, off);
        if (p == 0) continue;
        aPend[nPend++] = (pending){.p = p, .iSrc = i,
                                   .iOff = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off};
        if (nPend == SCAN_BATCH) {
          scan_flush(s, aPend, nPend);
          nPend = 0;
        }
      }
      if ((++nSeen & 0xffff) == 0 && !s->bBack)  /* the main thread's scanner */
        hs_progress("resolving pointers", "objects", nSeen, s->nObjShare);
      if ((nSeen & 0xffff) == 0 && hs_checkpoint()) {
        s->rc = HS_ERR;
        return NULL;
      }
    }
    scan_flush(s, aPend, nPend);               /* a run's pairs end with it */
    nPend = 0;
  }
  return NULL;
}

/* Copies scanner s's pairs of run r (run r's objects start at aStart[r's
** first id]) into the CSR: a block, read backward for the backward scanner. */
static void place_run(const scan *s, uint32_t r, const uint32_t *aStart, uint32_t *aDst,
                      uint32_t *aOff) {
  uint64_t t0 = s->aRunAt[r], t1 = r + 1 < s->r1 ? s->aRunAt[r + 1] : s->m;
  uint32_t k = aStart[s->aRun[r].iFirst];
  if (!s->bBack) {
    memcpy(aDst + k, s->aTDst + t0, (t1 - t0) * sizeof *aDst);
    memcpy(aOff + k, s->aTOff + t0, (t1 - t0) * sizeof *aOff);
    return;
  }
  for (uint64_t t = t0; t < t1; t++, k++) {
    aDst[k] = s->aTDst[s->nCap - 1 - t];
    aOff[k] = s->aTOff[s->nCap - 1 - t];
  }
}

/* hs_graph_prep on a thread of its own. */
typedef struct prep {
  uint32_t nObj, nRoot;
  const uint64_t *aSize;
  const uint32_t *aStart;
  hs_graph_prepared p;
  int rc;
} prep;

static void *prep_run(void *pArg) {
  prep *x = pArg;
  x->rc = hs_graph_prep(x->nObj, x->aSize, x->nRoot, x->aStart, &x->p);
  return NULL;
}

/* Resolve every pointer field and root; bMapped: the dump is an mmapped
** file, whose pages can be handed back to the kernel behind the scan
** (MADV_DONTNEED: they stay in the page cache and fault back in when
** object contents are read later; on a decoded buffer it would zero the
** data, so never then).
**
** The scan goes in dump order, so that it reads the file front to back and
** the pages behind it can go: resident memory stays at the loader's plus a
** 64 MB window (per scanner) instead of the whole dump.  With two threads
** (hs_graph_threads), each scans half of the runs (by bytes), as
** scan_runs says.  The counts per object make the CSR's row starts, and
** each run's pairs, already in id order, are copied to its first object's
** row as a block (8 bytes per pointer field of scratch, which the
** dominators take for theirs).  The sources of one object stay in field order, and the
** result is the same byte for byte whatever the thread count. */
static int from_heap(const hs_heap *h, int bMapped, hs_graph **ppOut) {
  *ppOut = NULL;
  if (h->nObj >= UINT32_MAX - 2 || h->nRoot >= UINT32_MAX) return HS_ELIMIT;
  if (h->nField + h->nRoot >= UINT32_MAX) return HS_ELIMIT;
  uint32_t nObj = (uint32_t)h->nObj, nRoot = (uint32_t)h->nRoot;
  uint64_t nCap = h->nField + 1;
  uint32_t *aTDst = malloc(nCap * sizeof *aTDst);
  uint32_t *aTOff = malloc(nCap * sizeof *aTOff);
  uint32_t *aStart = calloc((size_t)nObj + 2, sizeof *aStart);
  uint32_t *aDst = NULL, *aOff = NULL, *aRootObj = NULL;
  uint64_t *aRunAt = NULL;
  uint64_t nDropped = 0, nRootDropped = 0;
  prep p = {0};
  int bPrep = 0;                              /* p holds a preparation */
  uint32_t nRun = 0;
  run *aRun = dump_order(h, nObj, &nRun);
  hs_pagedir d;
  int rc = hs_pagedir_init(&d, h->aAddr, h->aSize, nObj);
  if (aRun) aRunAt = malloc(((size_t)nRun + 1) * sizeof *aRunAt);
  if (rc != HS_OK || !aTDst || !aTOff || !aStart || !aRun || !aRunAt) {
    rc = HS_ENOMEM;
    goto done;
  }
  /* Split the runs where the dump's bytes are halved (runs are in dump
  ** order); one scanner when there is one run or one thread. */
  uint32_t rSplit = nRun;
  if (nRun > 1 && hs_graph_two_threads(nObj)) {
    uint64_t iLo = aRun[0].iOff, iHi = aRun[nRun - 1].iOff;
    rSplit = 1;
    while (rSplit < nRun - 1 && aRun[rSplit].iOff - iLo < (iHi - iLo) / 2) rSplit++;
  }
  scan a = {.h = h, .d = &d, .aRun = aRun, .r0 = 0, .r1 = rSplit,
            .bMapped = bMapped && nRun > 1, .bBack = 0, .aTDst = aTDst, .aTOff = aTOff,
            .aCount = aStart, .aRunAt = aRunAt, .nCap = nCap, .nLimit = nCap - 1, .rc = HS_OK};
  scan b = a;
  b.r0 = rSplit;
  b.r1 = nRun;
  b.bBack = 1;
  for (uint32_t r = 0; r < rSplit; r++) a.nObjShare += aRun[r].iEnd - aRun[r].iFirst;
  pthread_t th;
  int bThread = rSplit < nRun;
  /* Each may use all nCap-1 slots: they write at most one per pointer
  ** field, and the loader counted nField exactly, so the two ends never
  ** meet; were it wrong, the overlap is caught below (indices stay in
  ** bounds either way). */
  if (bThread) {
    if (pthread_create(&th, NULL, scan_runs, &b) != 0) {
      bThread = 0;
      a.r1 = nRun;                             /* no thread: one scanner */
      a.nObjShare = nObj;
    }
  }
  hs_progress("resolving pointers", "objects", 0, a.nObjShare);
  scan_runs(&a);
  if (bThread) pthread_join(th, NULL);
  if (a.rc != HS_OK || (bThread && b.rc != HS_OK)) {
    rc = HS_ERR;
    goto done;
  }
  if (bThread && a.m + b.m > nCap - 1) {       /* the loader's nField was short: */
    rc = HS_ELIMIT;                            /* the halves overlapped */
    goto done;
  }
  nDropped = a.nDropped + (bThread ? b.nDropped : 0);
  uint64_t m = a.m + (bThread ? b.m : 0);
  if (bMapped && h->nBuf) {                   /* the graph never reads the dump again */
    uint64_t iTo = h->nBuf & ~(uint64_t)0xfff;
    if (iTo) madvise((void *)h->pBuf, iTo, MADV_DONTNEED);
  }

  /* Roots resolve to the super-root's row; the counts become row starts,
  ** and the runs' blocks are placed. */
  aRootObj = malloc(((size_t)nRoot + 1) * sizeof *aRootObj);
  if (!aRootObj) {
    rc = HS_ENOMEM;
    goto done;
  }
  uint32_t nRootEdge = 0;
  for (uint32_t r = 0; r < nRoot; r++) {
    aRootObj[r] = hs_pagedir_find(&d, h->aAddr, h->aSize, h->aRootTarget[r]);
    if (aRootObj[r] == HS_NONE)
      nRootDropped++;
    else
      nRootEdge++;
  }
  aStart[nObj + 1] = nRootEdge;
  for (uint32_t v = 0; v <= nObj; v++) aStart[v + 1] += aStart[v];
  /* The graph's preparation needs only the row starts: with two threads it
  ** runs on the second while this one places the edges. */
  p = (prep){.nObj = nObj, .aSize = h->aSize, .nRoot = nRoot, .aStart = aStart};
  bPrep = bThread && pthread_create(&th, NULL, prep_run, &p) == 0;
  aDst = malloc(((size_t)m + nRootEdge + 1) * sizeof *aDst);
  aOff = malloc(((size_t)m + nRootEdge + 1) * sizeof *aOff);
  if (aDst && aOff) {
    for (uint32_t r = 0; r < nRun; r++)
      place_run(bThread && r >= rSplit ? &b : &a, r, aStart, aDst, aOff);
    for (uint32_t r = 0, k = aStart[nObj]; r < nRoot; r++)
      if (aRootObj[r] != HS_NONE) {
        aDst[k] = aRootObj[r];
        aOff[k++] = r;
      }
  }
  if (bPrep)
    pthread_join(th, NULL);
  else
    prep_run(&p);
  bPrep = 1;                                  /* p is to be freed or used */
  if (!aDst || !aOff) {
    rc = HS_ENOMEM;
    goto done;
  }
  if (p.rc != HS_OK) {
    rc = p.rc;
    goto done;
  }
  /* the scan's pairs are done with: the dominators' scratch */
  hs_spare_put(&p.p.spare, aTDst, nCap * sizeof *aTDst);
  hs_spare_put(&p.p.spare, aTOff, nCap * sizeof *aTOff);
  free(aRootObj);
  free(aRun);
  free(aRunAt);
  free(d.aPage);
  aTDst = aTOff = aRootObj = NULL;
  aRun = NULL;
  aRunAt = NULL;
  d.aPage = NULL;
  rc = hs_graph_from_prep(&p.p, aStart, aDst, aOff, ppOut);
  bPrep = 0;
  aStart = aDst = aOff = NULL;                /* owned (or freed) by from_prep */
  if (rc == HS_OK) {
    (*ppOut)->nDropped = nDropped;
    (*ppOut)->nRootDropped = nRootDropped;
  }

done:
  if (bPrep) hs_graph_prep_free(&p.p);
  free(aRun);
  free(aRunAt);
  free(d.aPage);
  free(aTDst);
  free(aTOff);
  free(aRootObj);
  free(aStart);
  free(aDst);
  free(aOff);
  return rc;
}

int hs_graph_from_heap(const hs_heap *h, hs_graph **ppOut) { return from_heap(h, 0, ppOut); }

static const hs_input *heap_input(const hs_case *c, const hs_heap *h) {
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *in = c->apInput[i];
    if (in->p == h->pBuf || (h->zFile && in->zName && strcmp(in->zName, h->zFile) == 0))
      return in;
  }
  return NULL;
}

int hs_case_graph(hs_case *c, hs_graph **ppOut) {
  *ppOut = NULL;
  hs_heap *h = c->pHeap;
  if (!h) return HS_ERR;
  /* A reopened index's graph is checked on first use.  One that fails is
  ** rebuilt, never believed; its mapping, where the object columns are,
  ** goes to the new graph. */
  hs_graph *gBad = NULL;
  if (h->pGraph) {
    if (hs_index_check(h->pGraph) == HS_OK) {
      *ppOut = h->pGraph;
      return HS_OK;
    }
    gBad = h->pGraph;
    h->pGraph = NULL;
  }
  hs_graph *g = NULL;
  hs_index_key k;
  const hs_input *pIn = heap_input(c, h);
  int bCache = !(c->flags & HS_CASE_NOCACHE) && pIn && pIn->zPath && !getenv("HEAPSCOPE_NO_INDEX");
  if (bCache) {
    hs_index_key_init(&k, pIn, (uint32_t)h->nObj, h->aSize);
    k.pHeap = h;
  }
  if (bCache && !gBad) {
    char *zIdx = hs_index_path(&k, 0);
    g = hs_index_read(zIdx, &k);
    free(zIdx);
  }
  if (!g) {
    int rc = from_heap(h, pIn && pIn->bMapped && pIn->p == h->pBuf, &g);
    if (rc != HS_OK) {
      h->pGraph = gBad;
      return rc;
    }
    if (bCache) {
      /* An optimisation: failing is worth one warning (a full disk would
      ** otherwise cost a silent rebuild on every run), never an error. */
      char *zIdx = hs_index_path(&k, 1);
      if (!zIdx)
        hs_case_diag(c, HS_WARNING, pIn->zName, UINT64_MAX, 0,
                     "no place to save the heap index (no writable directory beside "
                     "the dump and no HOME or XDG_CACHE_HOME): the graph is rebuilt on "
                     "every run; pass --no-cache to skip saving it");
      else if (hs_index_write(zIdx, &k, g) != HS_OK) {
        int iErr = errno;
        hs_case_diag(c, HS_WARNING, pIn->zName, UINT64_MAX, 0,
                     "could not save the heap index %s (%s): the graph is rebuilt on "
                     "every run; %s", zIdx, strerror(iErr),
                     iErr == ENOSPC ? "free some disk space, or pass --no-cache"
                                    : "pass --no-cache to skip saving it");
      }
      free(zIdx);
    }
  }
  if (gBad) {
    g->pMap = gBad->pMap;
    g->nMap = gBad->nMap;
    gBad->pMap = NULL;
    hs_graph_free(gBad);
  }
  h->pGraph = g;
  h->xGraphFree = hs_graph_free;
  *ppOut = g;
  return HS_OK;
}
