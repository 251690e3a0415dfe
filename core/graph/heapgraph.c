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
#include <stdlib.h>
#include <string.h>

#include "heapscope/graph.h"
#include "heapscope/heap.h"

typedef struct pagedir {
  uint64_t iBase;     /* address of page 0 */
  uint32_t nShift;    /* page size is 1 << nShift */
  uint64_t nPage;
  uint32_t *aPage;    /* nPage+1: objects starting before each page */
} pagedir;

static int pagedir_init(pagedir *d, const uint64_t *aAddr, const uint64_t *aSize,
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

/* The object containing p, or HS_NONE. */
static inline uint32_t pagedir_find(const pagedir *d, const uint64_t *aAddr,
                                    const uint64_t *aSize, uint64_t p) {
  if (p < d->iBase) return HS_NONE;
  uint64_t k = (p - d->iBase) >> d->nShift;
  if (k >= d->nPage) return HS_NONE;
  /* objects starting at or before p: all before page k, plus some in it */
  uint32_t lo = d->aPage[k], hi = d->aPage[k + 1];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (aAddr[mid] <= p)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return HS_NONE;
  lo--;
  return p - aAddr[lo] < aSize[lo] ? lo : HS_NONE;
}

int hs_graph_from_heap(const hs_heap *h, hs_graph **ppOut) {
  *ppOut = NULL;
  if (h->nObj >= UINT32_MAX - 2 || h->nRoot >= UINT32_MAX) return HS_ELIMIT;
  if (h->nField + h->nRoot >= UINT32_MAX) return HS_ELIMIT;
  uint32_t nObj = (uint32_t)h->nObj, nRoot = (uint32_t)h->nRoot;
  uint64_t nCap = h->nField + nRoot + 1;
  uint32_t *aStart = malloc(((size_t)nObj + 2) * sizeof *aStart);
  uint32_t *aDst = malloc(nCap * sizeof *aDst);
  uint32_t *aOff = malloc(nCap * sizeof *aOff);
  uint64_t nDropped = 0, nRootDropped = 0;
  pagedir d;
  int rc = pagedir_init(&d, h->aAddr, h->aSize, nObj);
  if (rc != HS_OK || !aStart || !aDst || !aOff) {
    rc = HS_ENOMEM;
    goto fail;
  }
  uint32_t m = 0;
  for (uint32_t i = 0; i < nObj; i++) {
    aStart[i] = m;
    hs_heap_fielditer it;
    uint64_t off;
    hs_heap_fields(h, i, &it);
    while (hs_heap_field_next(&it, &off)) {
      if (off + h->nPtrSize > h->aSize[i]) continue; /* the loader guarantees; be safe */
      uint64_t p = hs_heap_word(h, i, off);
      if (p == 0) continue;
      uint32_t j = pagedir_find(&d, h->aAddr, h->aSize, p);
      if (j == HS_NONE) {
        nDropped++;
        continue;
      }
      if (m >= nCap - nRoot - 1) break;       /* more fields than nField said */
      aDst[m] = j;
      aOff[m++] = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
    }
    if ((i & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto fail;
    }
  }
  aStart[nObj] = m;
  for (uint32_t r = 0; r < nRoot; r++) {
    uint32_t j = pagedir_find(&d, h->aAddr, h->aSize, h->aRootTarget[r]);
    if (j == HS_NONE) {
      nRootDropped++;
      continue;
    }
    aDst[m] = j;
    aOff[m++] = r;
  }
  aStart[nObj + 1] = m;
  free(d.aPage);
  d.aPage = NULL;
  /* Give back the room of dropped and nil pointers. */
  uint32_t *aT = realloc(aDst, ((size_t)m + 1) * sizeof *aDst);
  if (aT) aDst = aT;
  aT = realloc(aOff, ((size_t)m + 1) * sizeof *aOff);
  if (aT) aOff = aT;
  rc = hs_graph_from_csr(nObj, h->aSize, nRoot, aStart, aDst, aOff, ppOut);
  if (rc == HS_OK) {
    (*ppOut)->nDropped = nDropped;
    (*ppOut)->nRootDropped = nRootDropped;
  }
  return rc;

fail:
  free(d.aPage);
  free(aStart);
  free(aDst);
  free(aOff);
  return rc;
}

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
  if (h->pGraph) {
    *ppOut = h->pGraph;
    return HS_OK;
  }
  hs_graph *g = NULL;
  hs_index_key k;
  const hs_input *pIn = heap_input(c, h);
  int bCache = !(c->flags & HS_CASE_NOCACHE) && pIn && pIn->zPath && !getenv("HEAPSCOPE_NO_INDEX");
  if (bCache) {
    hs_index_key_init(&k, pIn, (uint32_t)h->nObj);
    char *zIdx = hs_index_path(&k, 0);
    g = hs_index_read(zIdx, &k);
    free(zIdx);
  }
  if (!g) {
    int rc = hs_graph_from_heap(h, &g);
    if (rc != HS_OK) return rc;
    if (bCache) {
      char *zIdx = hs_index_path(&k, 1);
      hs_index_write(zIdx, &k, g);             /* an optimisation: failure is fine */
      free(zIdx);
    }
  }
  h->pGraph = g;
  h->xGraphFree = hs_graph_free;
  *ppOut = g;
  return HS_OK;
}
