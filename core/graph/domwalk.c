/*
 * Walks of the dominator tree for the leak-suspect detectors (contracts in
 * include/heapscope/scan.h): the accumulation point below a suspect, and
 * what a suspect holds, grouped by allocation site and type.
 *
 * The graph keeps only each object's immediate dominator (aIdom), not the
 * children lists; the walks get by with one pass over aIdom and 4 bytes
 * per object of scratch instead of building them (which would take 8).
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "heapscope/scan.h"

/* Same shape: the same size and type word (a node of the same list). */
static int like(const hs_heap *h, uint32_t a, uint32_t b) {
  return h->aSize[a] == h->aSize[b] && h->aType[a] == h->aType[b];
}

/* A bit of a 4096-bit filter of sizes. */
static uint32_t size_bit(uint64_t nSize) {
  return (uint32_t)((nSize * 0x9e3779b97f4a7c15ull) >> 52);
}

/* The first of the tops on i's dominator chain (i included), as aOwner
** holds them: k + 1 for top k, HS_NONE for none (unreachable, or no top
** above); 0 is not known yet.  Walks up to an object whose owner is known,
** then writes it along the walk, so that every object is walked over once
** however many ask. */
static uint32_t owner_of(const hs_graph *g, uint32_t *aOwner, uint32_t i) {
  uint32_t nObj = g->nObj, v = i, o;
  while ((o = aOwner[v]) == 0) {
    uint32_t p = g->aIdom[v];
    if (p > nObj) {
      o = HS_NONE; /* unreachable */
      break;
    }
    v = p;
  }
  for (v = i; aOwner[v] == 0; v = g->aIdom[v]) {
    aOwner[v] = o;
    if (g->aIdom[v] > nObj) break;
  }
  return o;
}

/* aOwner (nObj+1 words, zeroed) set up for owner_of with the tops aTop. */
static void owners_init(const hs_graph *g, const uint32_t *aTop, uint32_t n, uint32_t *aOwner) {
  aOwner[g->nObj] = HS_NONE;
  for (uint32_t k = 0; k < n; k++)
    if (aTop[k] < g->nObj) aOwner[aTop[k]] = k + 1;
}

/* hs_dom_summarize's nLike alone, aLike[k] for aTop[k], over aOwner
** (nObj+1 words, zeroed): only an object of a top's size (a filter of one
** read per object) can be like one, and only those walk up to their
** top, so on a large heap this costs a fraction of the summary. */
static int dom_like(const hs_heap *h, const hs_graph *g, const uint32_t *aTop, uint32_t n,
                    uint32_t *aOwner, uint64_t *aLike) {
  uint64_t aSizes[64] = {0};
  memset(aLike, 0, (size_t)n * sizeof *aLike);
  owners_init(g, aTop, n, aOwner);
  for (uint32_t k = 0; k < n; k++)
    if (aTop[k] < g->nObj) {
      uint32_t b = size_bit(h->aSize[aTop[k]]);
      aSizes[b >> 6] |= 1ull << (b & 63);
    }
  for (uint32_t i = 0; i < g->nObj; i++) {
    if ((i & 0xffff) == 0 && hs_checkpoint()) return HS_ERR;
    uint32_t b = size_bit(h->aSize[i]);
    if (!(aSizes[b >> 6] >> (b & 63) & 1)) continue;
    uint32_t o = owner_of(g, aOwner, i);
    if (o != HS_NONE && like(h, i, aTop[o - 1])) aLike[o - 1]++;
  }
  return HS_OK;
}

int hs_dom_accumulation(const hs_heap *h, const hs_graph *g, const uint32_t *aFrom, uint32_t n,
                        double ratio, uint32_t *aTo, uint32_t *aSteps, uint64_t *aLike) {
  uint32_t nObj = g->nObj;
  uint32_t *aBest = malloc(((size_t)nObj + 1) * sizeof *aBest);
  if (!aBest) return HS_ENOMEM;
  memset(aBest, 0xff, ((size_t)nObj + 1) * sizeof *aBest); /* HS_NONE */
  /* the largest dominated child of each object (ties: the lower id) */
  for (uint32_t i = 0; i < nObj; i++) {
    uint32_t p = g->aIdom[i];
    if (p > nObj) continue;
    uint32_t b = aBest[p];
    if (b == HS_NONE || g->aRetained[i] > g->aRetained[b]) aBest[p] = i;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t v = aFrom[k], nStep = 0;
    if (v >= nObj) {
      aTo[k] = v;
      aSteps[k] = 0;
      continue;
    }
    for (;;) {
      uint32_t c = aBest[v];
      if (c == HS_NONE || (double)g->aRetained[c] < ratio * (double)g->aRetained[v]) break;
      if (like(h, c, v)) break; /* v heads a chain of like objects */
      v = c;
      if (++nStep >= nObj) break; /* a dominator tree has no cycle; be safe */
    }
    aTo[k] = v;
    aSteps[k] = nStep;
  }
  int rc = HS_OK;
  if (aLike) {                                /* aBest's pages, in memory now, are dom_like's */
    memset(aBest, 0, ((size_t)nObj + 1) * sizeof *aBest);
    rc = dom_like(h, g, aTo, n, aBest, aLike);
  }
  free(aBest);
  return rc;
}

/* Keep the nKey largest (by bytes) of a count map and a bytes map. */
static uint32_t top_groups(const hs_u64map *mObj, const hs_u64map *mBytes, hs_dom_group *a) {
  uint32_t n = 0;
  for (uint64_t s = 0; s <= mBytes->nCap; s++) {
    uint64_t k, nBytes;
    if (s == mBytes->nCap) {
      if (!mBytes->bZero) break;
      k = 0;
      nBytes = mBytes->iZeroVal;
    } else {
      k = mBytes->aKey[s];
      if (k == 0) continue;
      nBytes = mBytes->aVal[s];
    }
    /* insertion into a + n, kept sorted by bytes descending */
    uint32_t j = n < HS_DOM_NKEY ? n++ : HS_DOM_NKEY;
    if (j == HS_DOM_NKEY && nBytes <= a[HS_DOM_NKEY - 1].nBytes) continue;
    if (j == HS_DOM_NKEY) j = HS_DOM_NKEY - 1;
    while (j > 0 && (a[j - 1].nBytes < nBytes || (a[j - 1].nBytes == nBytes && a[j - 1].iKey > k))) {
      a[j] = a[j - 1];
      j--;
    }
    uint64_t nObj = 0;
    hs_u64map_get(mObj, k, &nObj);
    a[j] = (hs_dom_group){k, nObj, nBytes};
  }
  return n;
}

int hs_dom_summarize(const hs_heap *h, const hs_graph *g, const uint32_t *aTop, uint32_t n,
                     uint64_t nBigMin, hs_dom_summary *aOut) {
  uint32_t nObj = g->nObj;
  int rc = HS_OK;
  uint32_t *aOwner = calloc((size_t)nObj + 1, sizeof *aOwner);
  hs_u64map *aMap = calloc((size_t)n * 4 + 1, sizeof *aMap);
  memset(aOut, 0, n * sizeof *aOut);
  if (!aOwner || !aMap) {
    rc = HS_ENOMEM;
    goto done;
  }
  owners_init(g, aTop, n, aOwner);
  /* Each object's owner is the first top on its dominator chain. */
  for (uint32_t i = 0; i < nObj; i++) {
    if ((i & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
    uint32_t o = owner_of(g, aOwner, i);
    if (o == HS_NONE) continue;
    o--;
    hs_dom_summary *s = &aOut[o];
    uint64_t nSize = h->aSize[i];
    s->nObj++;
    s->nBytes += nSize;
    if (nSize >= nBigMin) {
      s->nBig++;
      s->nBigBytes += nSize;
    }
    if (aTop[o] < nObj && like(h, i, aTop[o])) s->nLike++;
    uint64_t *pA = hs_u64map_upsert(&aMap[4 * o], h->aBucket[i], NULL);
    if (pA) (*pA)++;
    uint64_t *pB = hs_u64map_upsert(&aMap[4 * o + 1], h->aBucket[i], NULL);
    if (pB) *pB += nSize;
    uint64_t *pC = hs_u64map_upsert(&aMap[4 * o + 2], h->aType[i], NULL);
    if (pC) (*pC)++;
    uint64_t *pD = hs_u64map_upsert(&aMap[4 * o + 3], h->aType[i], NULL);
    if (pD) *pD += nSize;
    if (!pA || !pB || !pC || !pD) {
      rc = HS_ENOMEM;
      goto done;
    }
  }
  for (uint32_t k = 0; k < n; k++) {
    aOut[k].nSite = top_groups(&aMap[4 * k], &aMap[4 * k + 1], aOut[k].aSite);
    aOut[k].nType = top_groups(&aMap[4 * k + 2], &aMap[4 * k + 3], aOut[k].aType);
  }
done:
  if (aMap)
    for (uint32_t k = 0; k < 4 * n; k++) hs_u64map_free(&aMap[k]);
  free(aMap);
  free(aOwner);
  return rc;
}

int hs_reaches_self(const hs_graph *g, const uint32_t *aObj, uint32_t n, uint64_t nBudget,
                    int8_t *aOut) {
  uint32_t nObj = g->nObj;
  uint32_t *aStamp = calloc((size_t)nObj + 1, sizeof *aStamp);
  uint32_t *aQueue = malloc(((size_t)nObj + 1) * sizeof *aQueue);
  int rc = HS_OK;
  if (!aStamp || !aQueue) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t x = aObj[k], gen = k + 1;
    aOut[k] = 0;
    if (x >= nObj) continue;
    /* breadth-first from x's referents until x shows up */
    uint64_t nHead = 0, nTail = 0, nSeen = 0;
    aQueue[nTail++] = x;
    while (nHead < nTail && aOut[k] == 0) {
      uint32_t v = aQueue[nHead++];
      for (uint64_t e = g->aFwdStart[v]; e < g->aFwdStart[v + 1]; e++) {
        uint32_t d = g->aFwdDst[e];
        if (d == x) {
          aOut[k] = 1;
          break;
        }
        if (aStamp[d] == gen) continue;
        aStamp[d] = gen;
        aQueue[nTail++] = d;
        if (++nSeen > nBudget) {
          aOut[k] = -1;
          break;
        }
      }
    }
    if ((k & 0xff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
  }
done:
  free(aStamp);
  free(aQueue);
  return rc;
}

/* Is v dominated by one of aTop[0..n)?  Walks v's dominator chain. */
static int dominated_by(const hs_graph *g, uint32_t v, const uint32_t *aTop, uint32_t n) {
  for (uint32_t step = 0; v < g->nObj && step < g->nObj; step++) {
    for (uint32_t k = 0; k < n; k++)
      if (aTop[k] == v) return 1;
    v = g->aIdom[v];
  }
  return 0;
}

int hs_pool_aliases(const hs_heap *h, const hs_graph *g, const uint32_t *aArr, uint32_t n,
                    uint64_t *pnObj, uint64_t *pnBytes, uint32_t *piFirst) {
  enum { MAX_DEPTH = 6, MAX_VISIT = 1000000 };
  hs_u64map mSeen = {0};
  uint32_t *aQueue = NULL;
  uint8_t *aDepth = NULL;
  uint64_t nHead = 0, nTail = 0, nCap = 1024;
  int rc = HS_OK;
  *pnObj = *pnBytes = 0;
  *piFirst = HS_NONE;
  aQueue = malloc(nCap * sizeof *aQueue);
  aDepth = malloc(nCap);
  if (!aQueue || !aDepth) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t k = 0; k < n; k++) {
    if (aArr[k] >= g->nObj || nTail == nCap) continue;
    if (hs_u64map_put(&mSeen, aArr[k], 1) != HS_OK) {
      rc = HS_ENOMEM;
      goto done;
    }
    aQueue[nTail] = aArr[k];
    aDepth[nTail++] = 0;
  }
  while (nHead < nTail) {
    uint32_t v = aQueue[nHead];
    uint8_t d = aDepth[nHead++];
    if (d >= MAX_DEPTH) continue;
    for (uint64_t e = g->aFwdStart[v]; e < g->aFwdStart[v + 1]; e++) {
      uint32_t c = g->aFwdDst[e];
      int bNew = 0;
      if (!hs_u64map_upsert(&mSeen, c, &bNew)) {
        rc = HS_ENOMEM;
        goto done;
      }
      if (!bNew) continue;
      /* a pointer-free object (a buffer) the pool does not dominate */
      if (h->pBuf[h->aContentOff[c] + h->aSize[c]] == 0 && !dominated_by(g, c, aArr, n)) {
        if (*piFirst == HS_NONE) *piFirst = c;
        (*pnObj)++;
        *pnBytes += h->aSize[c];
      }
      if (nTail >= MAX_VISIT) continue;
      if (nTail == nCap) {
        uint64_t nNew = nCap * 2;
        uint32_t *aQ = realloc(aQueue, nNew * sizeof *aQ);
        if (!aQ) {
          rc = HS_ENOMEM;
          goto done;
        }
        aQueue = aQ;
        uint8_t *aD = realloc(aDepth, nNew);
        if (!aD) {
          rc = HS_ENOMEM;
          goto done;
        }
        aDepth = aD;
        nCap = nNew;
      }
      aQueue[nTail] = c;
      aDepth[nTail++] = (uint8_t)(d + 1);
    }
  }
done:
  hs_u64map_free(&mSeen);
  free(aQueue);
  free(aDepth);
  return rc;
}
