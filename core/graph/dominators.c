/*
 * Dominators by semi-NCA (Georgiadis, "Linear-Time Algorithms for Dominators
 * and Related Problems", 2005; the variant LLVM's GenericDomTreeConstruction
 * uses), without recursion.
 *
 *   1. Iterative DFS from the root numbers the reached nodes 1..n in
 *      preorder and records each one's DFS-tree parent.  The stack is an
 *      explicit array of (node, next edge) pairs, so a 10 M-long chain needs
 *      80 MB of heap, not 10 M C frames.
 *   2. For w = n..2, semi(w) = min over predecessors v of semi(eval(v)),
 *      where eval walks the "virtual forest" of already processed vertices
 *      with path compression (again with an explicit stack).
 *   3. For w = 2..n, idom(w) = the nearest ancestor of parent(w) in the
 *      dominator tree whose number is <= semi(w) (the NCA step).
 *
 * Everything runs in preorder-number space (arrays indexed by number) for
 * locality.  Time O(m log n); scratch 7 u32 per reached node.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/graph.h"

/* eval(v) for the semi loop at vertex w (iLastLinked = w+1): the vertex with
** the smallest semi on the virtual-forest path from v up to (not including)
** the root of its virtual tree.  aPar is compressed in place. */
static uint32_t eval(uint32_t v, uint32_t iLastLinked, uint32_t *aPar,
                     uint32_t *aLabel, const uint32_t *aSemi, uint32_t *aStk) {
  if (aPar[v] < iLastLinked) return aLabel[v];
  uint32_t nStk = 0;
  do {
    aStk[nStk++] = v;
    v = aPar[v];
  } while (aPar[v] >= iLastLinked);
  /* v is now the topmost linked vertex; compress the path below it. */
  uint32_t p = v;
  uint32_t pLabel = aLabel[p];
  do {
    v = aStk[--nStk];
    aPar[v] = aPar[p];
    if (aSemi[pLabel] < aSemi[aLabel[v]])
      aLabel[v] = pLabel;
    else
      pLabel = aLabel[v];
    p = v;
  } while (nStk);
  return aLabel[v];
}

int hs_dominators(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                  const uint32_t *aDst, const uint32_t *aRStart,
                  const uint32_t *aRSrc, uint32_t *aIdom, uint32_t *aOrder,
                  uint32_t *pnReached) {
  int rc = HS_ENOMEM;
  size_t nA = (size_t)nNode + 1;
  uint32_t *aNum = calloc(nNode ? nNode : 1, sizeof *aNum); /* node -> number, 0 unreached */
  uint32_t *aVert = malloc(nA * sizeof *aVert);  /* number -> node */
  uint32_t *aPar = malloc(nA * sizeof *aPar);    /* number -> parent number */
  uint32_t *aSemi = malloc(nA * sizeof *aSemi);
  uint32_t *aLabel = malloc(nA * sizeof *aLabel);
  uint32_t *aDom = malloc(nA * sizeof *aDom);
  uint32_t *aStk = malloc(nA * sizeof *aStk);
  uint32_t n = 0;
  if (!aNum || !aVert || !aPar || !aSemi || !aLabel || !aDom || !aStk) goto done;
  for (uint32_t i = 0; i < nNode; i++) aIdom[i] = HS_NONE;
  if (iRoot >= nNode) {
    rc = HS_OK;
    goto done;
  }

  /* 1. DFS.  aSemi holds the stack's nodes and aLabel their next edge. */
  {
    uint32_t *aSNode = aSemi, *aSEdge = aLabel, nSp = 0;
    n = 1;
    aNum[iRoot] = 1;
    aVert[1] = iRoot;
    aPar[1] = 0;
    aSNode[nSp] = iRoot;
    aSEdge[nSp++] = aStart[iRoot];
    while (nSp) {
      uint32_t v = aSNode[nSp - 1];
      uint32_t e = aSEdge[nSp - 1];
      if (e < aStart[v + 1]) {
        aSEdge[nSp - 1] = e + 1;
        uint32_t w = aDst[e];
        if (w < nNode && aNum[w] == 0) {
          aNum[w] = ++n;
          aVert[n] = w;
          aPar[n] = aNum[v];
          aSNode[nSp] = w;
          aSEdge[nSp++] = aStart[w];
        }
      } else
        nSp--;
    }
  }

  /* 2. Semidominators, w = n..2. */
  for (uint32_t i = 1; i <= n; i++) {
    aSemi[i] = i;
    aLabel[i] = i;
    aDom[i] = aPar[i];
  }
  for (uint32_t w = n; w >= 2; w--) {
    uint32_t s = aPar[w];
    uint32_t node = aVert[w];
    for (uint32_t e = aRStart[node]; e < aRStart[node + 1]; e++) {
      uint32_t u = aRSrc[e];
      if (u >= nNode) continue;
      uint32_t v = aNum[u];
      if (v == 0) continue;                   /* unreachable predecessor */
      uint32_t su = aSemi[eval(v, w + 1, aPar, aLabel, aSemi, aStk)];
      if (su < s) s = su;
    }
    aSemi[w] = s;
    if ((w & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
  }

  /* 3. NCA: climb from the tree parent until at or above semi(w). */
  for (uint32_t w = 2; w <= n; w++) {
    uint32_t c = aDom[w];
    while (c > aSemi[w]) c = aDom[c];
    aDom[w] = c;
  }
  for (uint32_t w = 2; w <= n; w++) aIdom[aVert[w]] = aVert[aDom[w]];
  if (aOrder) memcpy(aOrder, aVert + 1, (size_t)n * sizeof *aOrder);
  rc = HS_OK;

done:
  if (pnReached) *pnReached = rc == HS_OK ? n : 0;
  free(aNum);
  free(aVert);
  free(aPar);
  free(aSemi);
  free(aLabel);
  free(aDom);
  free(aStk);
  return rc;
}
