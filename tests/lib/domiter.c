/* tl_dominators_iter: see domiter.h. */
#include <stdlib.h>
#include <string.h>
#include "heapscope/graph.h"
#include "base/base.h"
#include "graph/dominators.h"
#include "domiter.h"

/* The iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
** Dominance Algorithm", 2001) over BFS order: an independent second
** implementation, used by the tests to cross-check semi-NCA on graphs too
** large for the naive reference.
**
** It was written hoping to beat semi-NCA where a dependent cache miss costs
** 300-450 ns (VMs with nested paging) while independent ones overlap to
** ~25 ns: its passes are streams of independent loads.  Measured
** (tests/bench/RESULTS.md) it ties on heap-shaped graphs and loses on
** graphs with many back edges, which need several passes; semi-NCA's
** O(m log n) bound makes it the one the graph build uses.
**
** Correctness: BFS numbers have the property the algorithm's intersect
** needs: a dominator of x lies on every root path to x, so it is nearer the
** root and numbered before x; every estimate keeps idom(x) < x, so the
** finger walk terminates.  Passes repeat until nothing changes (the fixed
** point is the dominator relation for any visiting order); when the first
** pass never met a predecessor numbered after its node, its result is
** already final and no second pass runs.  Worst case O(passes * (m + walk
** lengths)); heaps take one or two passes. */
int tl_dominators_iter(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                       const uint32_t *aDst, const uint32_t *aRStart,
                       const uint32_t *aRSrc, uint32_t *aIdom, uint32_t *aOrder,
                       uint32_t *pnReached) {
  int rc = HS_ENOMEM;
  size_t nA = (size_t)nNode + 2;
  uint32_t *aNum = calloc(nNode ? nNode : 1, sizeof *aNum); /* node -> BFS number */
  uint32_t *aVert = malloc(nA * sizeof *aVert);  /* number -> node; the BFS queue */
  uint32_t *aD = NULL, *aPredStart = NULL, *aPred = NULL;
  uint32_t n = 0;
  if (!aNum || !aVert) goto done;
  for (uint32_t i = 0; i < nNode; i++) aIdom[i] = HS_NONE;
  if (iRoot >= nNode) {
    rc = HS_OK;
    goto done;
  }

  /* 1. BFS; aVert is the queue, so upcoming nodes are known and their
  ** edge rows are prefetched. */
  n = 1;
  aNum[iRoot] = 1;
  aVert[1] = iRoot;
  for (uint32_t h = 1; h <= n; h++) {
    if (h + 8 <= n) __builtin_prefetch(&aStart[aVert[h + 8]]);
    if (h + 4 <= n) __builtin_prefetch(&aDst[aStart[aVert[h + 4]]]);
    uint32_t u = aVert[h];
    for (uint32_t e = aStart[u]; e < aStart[u + 1]; e++) {
      uint32_t w = aDst[e];
      if (w < nNode && aNum[w] == 0) {
        aNum[w] = ++n;
        aVert[n] = w;
      }
    }
  }

  /* 2. Predecessors as BFS numbers. */
  if (hs_dom_preds(n, nNode, aVert, aNum, aRStart, aRSrc, &aPredStart, &aPred) != HS_OK)
    goto done;
  free(aNum);
  aNum = NULL;

  /* 3. Passes until nothing changes.  aD[x] = 0: not yet estimated. */
  aD = calloc((size_t)n + 2, sizeof *aD);
  if (!aD) goto done;
  aD[1] = 1;
  for (int iPass = 0;; iPass++) {
    int bChanged = 0, bSkipped = 0;
    for (uint32_t x = 2; x <= n; x++) {
      if (x + 4 <= n)
        for (uint32_t e = aPredStart[x + 4]; e < aPredStart[x + 5]; e++)
          __builtin_prefetch(&aD[aPred[e]]);
      uint32_t d = 0;
      for (uint32_t e = aPredStart[x]; e < aPredStart[x + 1]; e++) {
        uint32_t p = aPred[e];
        if (aD[p] == 0) {                     /* later in BFS order, first pass */
          bSkipped = 1;
          continue;
        }
        if (d == 0) {
          d = p;
          continue;
        }
        uint32_t a = p, b = d;                /* intersect: walk up to the common dominator */
        while (a != b) {
          while (a > b) a = aD[a];
          while (b > a) b = aD[b];
        }
        d = a;
      }
      if (aD[x] != d) {
        aD[x] = d;
        bChanged = 1;
      }
      if ((x & 0xffff) == 0 && hs_checkpoint()) {
        rc = HS_ERR;
        goto done;
      }
    }
    if (!bChanged || (iPass == 0 && !bSkipped)) break;
  }
  for (uint32_t x = 2; x <= n; x++) aIdom[aVert[x]] = aVert[aD[x]];
  if (aOrder) memcpy(aOrder, aVert + 1, (size_t)n * sizeof *aOrder);
  rc = HS_OK;

done:
  if (pnReached) *pnReached = rc == HS_OK ? n : 0;
  free(aNum);
  free(aVert);
  free(aD);
  free(aPredStart);
  free(aPred);
  return rc;
}
