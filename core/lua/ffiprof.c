/*
 * p:top's inner loop in C, called from core/lua/profile.lua through the FFI
 * (the prototype is in include/heapscope/ffi.h): one pass over the samples
 * of a profile summing one sample type into flat and cum per node, and the
 * inline labels pprof prints.  In Lua the same loop cost ~37 ns a frame
 * (0.58 s for a 300 k-sample profile, 65 % of load + top); here it is a few
 * ns a frame.
 *
 * Nodes.  profile.lua numbers the nodes of a `by` (function, file, address)
 * 1..nNode and gives, per location row, the run of node ids its frames make
 * in pprof's walk order (aSeq[aStart[loc] .. aStart[loc+1]), caller first);
 * aTarget[n] = 1 when n is the callee of some inlined pair inside a
 * location.  Node 0 is never used.
 *
 * Labels (bLabels), pprof's rule: a node is "inline" when every caller edge
 * into it is an inlined call, "partial-inline" when some are.  Inlined edges
 * are fixed by the locations (line[j+1] calls line[j] inlined), so only the
 * edges between locations are seen per sample: they mark aHasNoin, and a
 * pair (caller, callee) that is also an inlined pair somewhere is flagged
 * so that pair does not count as inlined.  Then every inlined pair of a
 * location that occurred marks aHasIn unless flagged.  The inlined pairs
 * are few (one per inlined frame) and known before the pass, so the pass
 * only looks them up in a small map: recording every caller edge instead
 * cost 0.25 s on a 300 k-sample profile.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "heapscope/heapscope.h"

int hs_profile_aggregate(uint64_t nSample, const int64_t *aVal, const uint32_t *aStack,
                         const uint32_t *aDepth, uint64_t nStackRow, const uint32_t *aStLoc,
                         uint32_t nLoc, const int32_t *aStart, const int32_t *aSeq,
                         const uint8_t *aTarget, uint32_t nNode, int bLabels, double *aFlat,
                         double *aCum, uint8_t *aHasIn, uint8_t *aHasNoin) {
  int rc = HS_ENOMEM;
  uint32_t *aSeen = calloc((size_t)nNode + 1, sizeof *aSeen);
  uint8_t *aLocUsed = bLabels ? calloc((size_t)nLoc + 1, 1) : NULL;
  hs_u64map mPair = {0};                     /* inlined (caller, callee) -> index + 1 */
  uint8_t *aNonin = NULL;                    /* per index: also seen not inlined */
  uint64_t nStride = (uint64_t)nNode + 1, nPair = 0;
  if (!aSeen || (bLabels && !aLocUsed)) goto done;
  if (bLabels) {
    for (uint32_t loc = 0; loc < nLoc; loc++)
      for (int32_t k = aStart[loc] + 1; k < aStart[loc + 1]; k++) {
        uint32_t a = (uint32_t)aSeq[k - 1], b = (uint32_t)aSeq[k];
        if (a == b) continue;
        int bNew;
        uint64_t *pv = hs_u64map_upsert(&mPair, a * nStride + b, &bNew);
        if (!pv) goto done;
        if (bNew) *pv = ++nPair;
      }
    if (!(aNonin = calloc(nPair + 1, 1))) goto done;
  }
  for (uint64_t i = 0; i < nSample; i++) {
    double w = (double)aVal[i];
    if (w == 0) continue;
    uint32_t iStamp = (uint32_t)(i + 1), iParent = 0;
    uint64_t iBase = aStack[i];
    uint32_t nD = aDepth[i];
    if (iBase > nStackRow || nD > nStackRow - iBase) continue;   /* the loader guarantees */
    for (uint32_t d = nD; d-- > 0;) {
      uint32_t loc = aStLoc[iBase + d];
      if (loc >= nLoc) continue;
      int32_t k0 = aStart[loc], k1 = aStart[loc + 1];
      if (bLabels) {
        aLocUsed[loc] = 1;
        uint32_t n = (uint32_t)aSeq[k0];
        if (iParent != 0 && n != iParent) {
          aHasNoin[n] = 1;
          uint64_t iPair;
          if (aTarget[n] && hs_u64map_get(&mPair, iParent * nStride + n, &iPair))
            aNonin[iPair] = 1;
        }
      }
      for (int32_t k = k0; k < k1; k++) {
        uint32_t n = (uint32_t)aSeq[k];
        if (aSeen[n] != iStamp) {
          aSeen[n] = iStamp;
          aCum[n] += w;
        }
        iParent = n;
      }
    }
    if (iParent != 0) aFlat[iParent] += w;
    if ((i & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
  }
  if (bLabels)
    for (uint32_t loc = 0; loc < nLoc; loc++) {
      if (!aLocUsed[loc]) continue;
      for (int32_t k = aStart[loc] + 1; k < aStart[loc + 1]; k++) {
        uint32_t a = (uint32_t)aSeq[k - 1], b = (uint32_t)aSeq[k];
        uint64_t iPair;
        if (a != b && hs_u64map_get(&mPair, a * nStride + b, &iPair) && !aNonin[iPair])
          aHasIn[b] = 1;
      }
    }
  rc = HS_OK;
done:
  free(aSeen);
  free(aLocUsed);
  free(aNonin);
  hs_u64map_free(&mPair);
  return rc;
}
