/*
 * Fuzz target for the detectors' scans over damaged heap dumps: any bytes,
 * loaded as a heap dump, the graph built (no index file), then every object
 * taken for a candidate array (minimum size 1) so that every header reader
 * of core/graph/scan.c runs over whatever the contents hold; then the
 * dominator-tree walks of core/graph/domwalk.c from the first objects (the
 * like counts of the accumulation points must be the summary's).
 */
#include <stdint.h>
#include <stdlib.h>
#include "heapscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  c->flags |= HS_CASE_NOCACHE;
  hs_case_load_buffer(c, "fuzz", p, n, "heapdump");
  hs_graph *g = NULL;
  if (c->pHeap && hs_case_graph(c, &g) == HS_OK) {
    hs_slice_hit *a = NULL;
    uint64_t nHit = 0, nSum = 0;
    if (hs_scan_slices(c->pHeap, g, 1, &a, &nHit) == HS_OK)
      for (uint64_t i = 0; i < nHit; i++) nSum += a[i].nWasted + a[i].iObj;
    free(a);
    uint32_t nTop = g->nObj < 64 ? g->nObj : 64;
    uint32_t aId[64], aTo[64], aSteps[64];
    int8_t aReach[64];
    hs_dom_summary aSum[64];
    uint64_t aLike[64];
    for (uint32_t k = 0; k < nTop; k++) aId[k] = k;
    if (hs_dom_accumulation(c->pHeap, g, aId, nTop, 0.7, aTo, aSteps, aLike) == HS_OK &&
        hs_dom_summarize(c->pHeap, g, aTo, nTop, 64, aSum) == HS_OK)
      for (uint32_t k = 0; k < nTop; k++) {
        if (aLike[k] != aSum[k].nLike) abort();   /* the like count is the summary's */
        nSum += aTo[k] + aSteps[k] + aLike[k];
      }
    if (hs_dom_summarize(c->pHeap, g, aId, nTop, 64, aSum) == HS_OK)
      for (uint32_t k = 0; k < nTop; k++) nSum += aSum[k].nObj + aSum[k].nLike + aSum[k].nSite;
    hs_pool_hit *aPool = NULL;
    uint64_t nPool = 0, nAl, nAlBytes;
    uint32_t iFirst;
    if (hs_scan_pools(c->pHeap, g, &aPool, &nPool) == HS_OK)
      for (uint64_t k = 0; k < nPool; k++) nSum += aPool[k].iLocal + aPool[k].iVictim;
    free(aPool);
    if (hs_pool_aliases(c->pHeap, g, aId, nTop, &nAl, &nAlBytes, &iFirst) == HS_OK)
      nSum += nAl + nAlBytes + iFirst;
    if (hs_reaches_self(g, aId, nTop, 1000, aReach) == HS_OK)
      for (uint32_t k = 0; k < nTop; k++) nSum += (uint64_t)aReach[k];
    (void)nSum;
  }
  hs_case_free(c);
  return 0;
}
