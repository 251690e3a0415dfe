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
 * locality.  Time O(m log n); scratch 7 u32 per node plus one u32 per
 * edge (the predecessors renumbered).
 *
 * Leaves (nodes without edges out: string bytes, buffers, pointer-free
 * structs; a quarter of a Go heap) lie on no path to another node, so they
 * change nobody's dominators: the steps above leave them out, and each
 * one's idom is then the nearest common dominator of its reached
 * predecessors (its one predecessor, nearly always).  The DFS reads only
 * the forward edges; a caller that builds the reverse ones meanwhile gets
 * a call between the two (hs_dominators_ex).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/graph.h"
#include "base/base.h"
#include "graph/dominators.h"

/* Per preorder number: the virtual-forest parent (compressed in place) and
** the label, side by side so that eval's two reads share a cache line. */
typedef struct parlab {
  uint32_t par;
  uint32_t label;
} parlab;

/* The path-compression stack: grows on demand (paths are short in heaps;
** a list makes one as long as the list at most once). */
typedef struct stk {
  uint32_t *a;
  uint32_t nCap;
  int bOom;           /* a push failed: the caller stops with HS_ENOMEM */
} stk;

/* eval(v) for the semi loop at vertex w (iLastLinked = w+1): the vertex with
** the smallest semi on the virtual-forest path from v up to (not including)
** the root of its virtual tree.  On out-of-memory returns v with s->bOom. */
static uint32_t eval(uint32_t v, uint32_t iLastLinked, parlab *aPL, const uint32_t *aSemi,
                     stk *s) {
  if (aPL[v].par < iLastLinked) return aPL[v].label;
  uint32_t nStk = 0, *aStk = s->a;
  do {
    if (nStk == s->nCap) {
      uint32_t *aNew = realloc(s->a, (size_t)s->nCap * 2 * sizeof *aNew);
      if (!aNew) {
        s->bOom = 1;
        return v;
      }
      s->a = aStk = aNew;
      s->nCap *= 2;
    }
    aStk[nStk++] = v;
    v = aPL[v].par;
  } while (aPL[v].par >= iLastLinked);
  /* v is now the topmost linked vertex; compress the path below it. */
  uint32_t p = v;
  uint32_t pLabel = aPL[p].label;
  do {
    v = aStk[--nStk];
    aPL[v].par = aPL[p].par;
    if (aSemi[pLabel] < aSemi[aPL[v].label])
      aPL[v].label = pLabel;
    else
      pLabel = aPL[v].label;
    p = v;
  } while (nStk);
  return aPL[v].label;
}


uint64_t *hs_leaf_bits(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart) {
  uint64_t *a = calloc(((size_t)nNode + 63) / 64, sizeof *a);
  if (!a) return NULL;
  for (uint32_t v = 0; v < nNode; v++)
    if (aStart[v + 1] == aStart[v] && v != iRoot) hs_bit_set(a, v);
  return a;
}

/* Predecessors of numbers [w0, w1) in the order of w, written forward
** from aPred[k] (bBack 0) or, numbers from w1-1 down, backward below
** aPred[k] (bBack 1: the rows still come out in ascending order of w, each
** ending where the one after it starts).  Returns where it stopped.  The
** iterations are independent, so their cache misses overlap; prefetches
** run 8 and 16 numbers ahead. */
typedef struct preds {
  uint32_t nNode;
  const uint32_t *aVert, *aNum, *aRStart, *aRSrc;
  uint32_t *aPredStart, *aPred;
  uint32_t w0, w1, k;
  int bBack;
} preds;

static void *preds_run(void *pArg) {
  preds *p = pArg;
  const uint32_t *aVert = p->aVert, *aNum = p->aNum, *aRStart = p->aRStart, *aRSrc = p->aRSrc;
  uint32_t k = p->k, nNode = p->nNode;
  int d = p->bBack ? -1 : 1;
  uint32_t w = p->bBack ? p->w1 - 1 : p->w0, nLeft = p->w1 - p->w0;
  for (; nLeft; nLeft--, w += d) {
    if (nLeft > 16) __builtin_prefetch(&aRStart[aVert[w + 16 * d]]);
    if (nLeft > 8) __builtin_prefetch(&aRSrc[aRStart[aVert[w + 8 * d]]]);
    uint32_t node = aVert[w];
    if (!p->bBack) p->aPredStart[w] = k;
    for (uint32_t e = aRStart[node]; e < aRStart[node + 1]; e++) {
      uint32_t u = aRSrc[e];
      uint32_t x = u < nNode ? aNum[u] : 0;
      if (!x) continue;
      if (p->bBack)
        p->aPred[--k] = x;
      else
        p->aPred[k++] = x;
    }
    if (p->bBack) p->aPredStart[w] = k;
  }
  p->k = k;
  return NULL;
}

/* hs_dom_preds, on two threads when bTwo: the first half of the numbers
** written forward from the bottom of aPred, the second backward from its
** top (the reverse edges are enough room for both), then moved down.
** aMemStart (n+2 words) and aMemPred (as many as reverse edges), when not
** NULL, are malloc'd memory it takes for the two arrays. */
static int dom_preds(uint32_t n, uint32_t nNode, const uint32_t *aVert, const uint32_t *aNum,
                     const uint32_t *aRStart, const uint32_t *aRSrc, int bTwo,
                     uint32_t *aMemStart, uint32_t *aMemPred, uint32_t **paPredStart,
                     uint32_t **paPred) {
  uint64_t nCap = aRStart[nNode];
  uint32_t *aPredStart =
      aMemStart ? aMemStart : malloc(((size_t)n + 2) * sizeof *aPredStart);
  uint32_t *aPred = aMemPred ? aMemPred : malloc((nCap ? nCap : 1) * sizeof *aPred);
  *paPredStart = aPredStart;
  *paPred = aPred;
  if (!aPredStart || !aPred) return HS_ENOMEM;
  preds a = {nNode, aVert, aNum, aRStart, aRSrc, aPredStart, aPred, 1, n + 1, 0, 0};
  preds b = a;
  pthread_t th;
  int bThread = 0;
  if (bTwo) {
    a.w1 = b.w0 = 1 + n / 2;
    b.k = (uint32_t)nCap;
    b.bBack = 1;
    bThread = pthread_create(&th, NULL, preds_run, &b) == 0;
    if (!bThread) a.w1 = n + 1;
  }
  preds_run(&a);
  aPredStart[n + 1] = a.k;
  if (bThread) {
    pthread_join(th, NULL);
    uint32_t nGap = b.k - a.k;
    memmove(aPred + a.k, aPred + b.k, ((size_t)nCap - b.k) * sizeof *aPred);
    for (uint32_t w = b.w0; w < b.w1; w++) aPredStart[w] -= nGap;
    aPredStart[n + 1] = (uint32_t)nCap - nGap;
  }
  return HS_OK;
}

int hs_dom_preds(uint32_t n, uint32_t nNode, const uint32_t *aVert, const uint32_t *aNum,
                 const uint32_t *aRStart, const uint32_t *aRSrc, uint32_t **paPredStart,
                 uint32_t **paPred) {
  return dom_preds(n, nNode, aVert, aNum, aRStart, aRSrc, 0, NULL, NULL, paPredStart, paPred);
}

/* The DFS's own copy of the edges (see dominators.h), in which a node's
** row is found without a second miss: each row holds its node, its count
** and its targets as the positions of their rows, so entering a node reads
** one place, which was prefetched when its parent was entered.  Leaves have
** no row (the DFS never enters one): an edge to a leaf points at the row at
** position 0, a node-less one the DFS marks entered before it starts.
** Since a leaf has no edges, v's row is at 2 + 2 (rows before v) + (edges
** before v), which the plan computes in one pass; the fill is the gather of
** the targets' positions, which two threads can share.  A row is at least
** 2 words, so p/2 tells rows apart (the DFS's bitmap). */
int hs_dfs_rows_plan(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                     const uint64_t *aLeaf, uint32_t *aPos, hs_dfs_rows *r) {
  memset(r, 0, sizeof *r);
  uint64_t nRows = 1;
  for (uint32_t v = 0; v < nNode; v++)
    if (!hs_bit(aLeaf, v)) {
      uint64_t p = 2 * nRows + aStart[v];
      if (p + 2 + (aStart[v + 1] - aStart[v]) >= UINT32_MAX) return HS_ELIMIT;
      aPos[v] = (uint32_t)p;
      nRows++;
    }
  r->nRow = 2 * nRows + aStart[nNode];
  r->aRow = malloc(r->nRow * sizeof *r->aRow);
  if (!r->aRow) return HS_ENOMEM;
  r->aRow[0] = iRoot;
  r->aRow[1] = 0;
  r->aPos = aPos;
  r->iRootRow = aPos[iRoot];
  return HS_OK;
}

void hs_dfs_rows_fill(const hs_dfs_rows *r, uint32_t nNode, const uint32_t *aStart,
                      const uint32_t *aDst, const uint64_t *aLeaf, uint32_t v0, uint32_t v1) {
  uint32_t *aRow = r->aRow;
  const uint32_t *aPos = r->aPos;
  for (uint32_t v = v0; v < v1; v++) {
    if (hs_bit(aLeaf, v)) continue;
    uint32_t q = aPos[v], e0 = aStart[v], e1 = aStart[v + 1];
    aRow[q] = v;
    aRow[q + 1] = e1 - e0;
    for (uint32_t e = e0; e < e1; e++) {
      uint32_t t = aDst[e];
      aRow[q + 2 + e - e0] = t < nNode && !hs_bit(aLeaf, t) ? aPos[t] : 0;
    }
  }
}

/* Steps 4 and 5 of hs_dominators_ex, each over half of the nodes or of
** the numbers [i0, i1) (see there). */
typedef struct finish {
  uint32_t nNode;
  const uint64_t *aLeaf;
  const uint32_t *aVert, *aDom, *aRStart, *aRSrc;
  uint32_t *aNum;                 /* becomes aIdom */
  const uint64_t *aSize;
  uint64_t *aR, *aRetained;       /* NULL when retained sizes are not asked */
  uint32_t *aC, *aCount;          /* the same for subtree counts */
  uint32_t i0, i1;
  int bShared;                    /* the other half runs at the same time */
  uint32_t nLeaf;                 /* 5a: reached leaves seen */
  uint64_t nGoneBytes;            /* 5a: the sizes of the nodes not reached */
} finish;

/* 4a: each number's retained size starts with its node's own, its count
** with 1. */
static void *own_sizes(void *pArg) {
  finish *t = pArg;
  for (uint32_t w = t->i0; w < t->i1; w++) t->aR[w] = t->aSize[t->aVert[w]];
  if (t->aC)
    for (uint32_t w = t->i0; w < t->i1; w++) t->aC[w] = 1;
  return NULL;
}

/* 4b: a leaf's idom is the nearest common ancestor, in the dominator tree,
** of its reached predecessors: climb from the larger number (an idom's
** number is below its node's).  Kept as a number in the leaf's own aNum
** slot, which the DFS left 0; 0 when no predecessor was reached.  Its
** predecessors are never leaves (a leaf has no edges), so the halves read
** no slot the other writes; the sizes they add to a shared idom are added
** atomically. */
static void *leaf_idoms(void *pArg) {
  finish *t = pArg;
  const uint32_t *aRStart = t->aRStart, *aRSrc = t->aRSrc, *aDom = t->aDom;
  uint32_t *aNum = t->aNum;
  for (uint32_t v = t->i0; v < t->i1; v++) {
    if (!hs_bit(t->aLeaf, v)) continue;
    uint32_t a = 0;
    for (uint32_t e = aRStart[v]; e < aRStart[v + 1]; e++) {
      uint32_t b = aRSrc[e] < t->nNode ? aNum[aRSrc[e]] : 0;
      if (!b) continue;
      if (!a) {
        a = b;
        continue;
      }
      while (a != b)
        if (a > b)
          a = aDom[a];
        else
          b = aDom[b];
    }
    aNum[v] = a;
    if (t->aR && a) {
      if (t->bShared)
        __atomic_fetch_add(&t->aR[a], t->aSize[v], __ATOMIC_RELAXED);
      else
        t->aR[a] += t->aSize[v];
    }
    if (t->aC && a) {
      if (t->bShared)
        __atomic_fetch_add(&t->aC[a], 1, __ATOMIC_RELAXED);
      else
        t->aC[a]++;
    }
  }
  return NULL;
}

/* 5a, in node space: leaves and unreached nodes get their idom and retained
** size (the unreached ones' sizes are added up); a reached node that is
** not a leaf is left to 5b. */
static void *leaves_to_nodes(void *pArg) {
  finish *t = pArg;
  for (uint32_t v = t->i0; v < t->i1; v++) {
    uint32_t x = t->aNum[v];
    int bLeaf = hs_bit(t->aLeaf, v);
    if (x && !bLeaf) continue;
    t->nLeaf += x != 0;
    if (!x && t->aSize) t->nGoneBytes += t->aSize[v];
    t->aNum[v] = x ? t->aVert[x] : HS_NONE;
    if (t->aRetained) t->aRetained[v] = x ? t->aSize[v] : 0;
    if (t->aCount) t->aCount[v] = x != 0;
  }
  return NULL;
}

/* 5b, in number space: read in order, written where each node is. */
static void *numbers_to_nodes(void *pArg) {
  finish *t = pArg;
  for (uint32_t w = t->i0; w < t->i1; w++) {
    uint32_t v = t->aVert[w];
    t->aNum[v] = w >= 2 ? t->aVert[t->aDom[w]] : HS_NONE;
    if (t->aRetained) t->aRetained[v] = t->aR[w];
    if (t->aCount) t->aCount[v] = t->aC[w];
  }
  return NULL;
}

/* Runs step x over [i0, i1), halved when bTwo; adds what the halves
** counted (nLeaf, nGoneBytes) to t's. */
static void halves(void *(*x)(void *), finish *t, uint32_t i0, uint32_t i1, int bTwo) {
  finish a = *t, b = *t;
  a.i0 = i0;
  a.i1 = b.i0 = i0 + (i1 - i0) / 2;
  b.i1 = i1;
  a.nLeaf = b.nLeaf = 0;
  a.nGoneBytes = b.nGoneBytes = 0;
  a.bShared = b.bShared = bTwo;
  hs_run_two(x, &a, &b, bTwo);
  t->nLeaf += a.nLeaf + b.nLeaf;
  t->nGoneBytes += a.nGoneBytes + b.nGoneBytes;
}

/* Scratch of n bytes back to the caller's spare blocks, or freed. */
static void give_back(hs_spare *pSpare, void *p, size_t n) {
  if (pSpare)
    hs_spare_put(pSpare, p, n);
  else
    free(p);
}

/* Memory: the loops below are bound by cache misses (random ids over
** arrays of 40 MB and more), so each one is arranged for memory-level
** parallelism: the DFS prefetches the rows of a node's targets when it
** enters the node; predecessors are converted to preorder numbers in one
** pass whose iterations are independent (the CPU overlaps their misses);
** the semi loop then reads them sequentially and prefetches eval's first
** reads a few vertices ahead. */
int hs_dominators(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                  const uint32_t *aDst, const uint32_t *aRStart,
                  const uint32_t *aRSrc, uint32_t *aIdom, uint32_t *aOrder,
                  uint32_t *pnReached) {
  hs_dom_opts o = {0};
  return hs_dominators_ex(nNode, iRoot, aStart, aDst, &aRStart, &aRSrc, &o, aIdom, aOrder,
                          pnReached);
}

int hs_dominators_ex(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                     const uint32_t *aDst, const uint32_t *const *paRStart,
                     const uint32_t *const *paRSrc, const hs_dom_opts *pOpt,
                     uint32_t *aIdom, uint32_t *aOrder, uint32_t *pnReached) {
  int rc = HS_ENOMEM;
  const uint64_t *aLeaf = pOpt->aLeaf;
  size_t nA = (size_t)nNode + 1;
  /* node -> number (0: unreached) lives in the caller's aIdom until the
  ** predecessors are renumbered; number -> node in aOrder when the caller
  ** gives one (nNode+1 entries), shifted down by one at the end. */
  uint32_t *aNum = aIdom;
  hs_spare *pSpare = pOpt->pSpare;
  parlab *aPL = hs_spare_take(pSpare, nA * sizeof *aPL); /* number -> parent, label */
  uint32_t *aVert = aOrder ? aOrder : hs_spare_take(pSpare, nA * sizeof *aVert);
  uint32_t *aSemi = hs_spare_take(pSpare, nA * sizeof *aSemi);
  uint32_t *aDom = hs_spare_take(pSpare, nA * sizeof *aDom);
  uint32_t *aStk = hs_spare_take(pSpare, nA * sizeof *aStk);
  uint32_t *aPredStart = NULL, *aPred = NULL;
  pthread_t thBeside;
  int bBeside = 0;
  uint32_t *aRowMem = NULL;                   /* the DFS's rows, until the predecessors */
  uint64_t nRowMem = 0;
  uint64_t *aOwnLeaf = aLeaf ? NULL : hs_leaf_bits(nNode, iRoot, aStart);
  const uint32_t *aRStart, *aRSrc;
  uint32_t n = 0;
  if (!aLeaf) aLeaf = aOwnLeaf;
  if (!aVert || !aPL || !aSemi || !aDom || !aStk || !aLeaf) goto done;
  memset(aNum, 0, (size_t)nNode * sizeof *aNum);
  if (iRoot >= nNode) {
    for (uint32_t i = 0; i < nNode; i++) aIdom[i] = HS_NONE;
    if (pOpt->aRetained) memset(pOpt->aRetained, 0, (size_t)nNode * sizeof *pOpt->aRetained);
    if (pOpt->aRetained && pOpt->aCount)
      memset(pOpt->aCount, 0, (size_t)nNode * sizeof *pOpt->aCount);
    rc = HS_OK;
    goto done;
  }

  hs_progress("computing dominators", "objects", 0, nNode);
  /* 1. DFS over its rows (hs_dfs_rows_plan).  The stack is three parallel arrays
  ** borrowed from aSemi, aStk and aDom: node's number, next edge, end of its
  ** edges.  Whether a row was entered is asked of a bitmap (which stays in
  ** cache), so an edge to a reached node costs no miss.  Entering a node
  ** prefetches the rows of its first four targets, and taking an edge the
  ** row of the target four edges on: a node with many targets (a map's
  ** bucket array, a slice of pointers) has each row on its way before the
  ** walk comes back to it, where a row fetched only on entry cost a miss
  ** each (the walk: 0.36-0.42 s instead of 0.44-0.51 s on the realheap
  ** dump, stage timers). */
  {
    hs_dfs_rows own, *pRows = pOpt->pRows;
    if (!pRows) {
      pRows = &own;
      if ((rc = hs_dfs_rows_plan(nNode, iRoot, aStart, aLeaf, aStk, &own)) != HS_OK) goto done;
      hs_dfs_rows_fill(&own, nNode, aStart, aDst, aLeaf, 0, nNode);
      rc = HS_ENOMEM;
    }
    uint32_t *aRow = aRowMem = pRows->aRow, iRootRow = pRows->iRootRow;
    nRowMem = pRows->nRow;
    pRows->aRow = NULL;                        /* ours: the predecessors' after the DFS */
    uint64_t *aSeen = calloc((pRows->nRow / 2 + 64) / 64, sizeof *aSeen);
    if (!aSeen) goto done;
    uint32_t *aSNum = aSemi, *aSEdge = aStk, *aSEnd = aDom, nSp = 0;
    n = 1;
    aNum[iRoot] = 1;
    hs_bit_set(aSeen, 0);                     /* the leaves' row */
    hs_bit_set(aSeen, iRootRow >> 1);
    aVert[1] = iRoot;
    aPL[1].par = 0;
    aSNum[nSp] = 1;
    aSEdge[nSp] = iRootRow + 2;
    aSEnd[nSp++] = iRootRow + 2 + aRow[iRootRow + 1];
    while (nSp) {
      uint32_t e = aSEdge[nSp - 1];
      if (e < aSEnd[nSp - 1]) {
        aSEdge[nSp - 1] = e + 1;
        if (e + 4 < aSEnd[nSp - 1]) __builtin_prefetch(&aRow[aRow[e + 4]]);
        uint32_t q = aRow[e];
        if (hs_bit(aSeen, q >> 1)) continue;
        hs_bit_set(aSeen, q >> 1);
        uint32_t w = aRow[q];
        aVert[++n] = w;
        if ((n & 0xffff) == 0) hs_progress("computing dominators", "objects", n / 2, nNode);
        aPL[n].par = aSNum[nSp - 1];
        uint32_t e0 = q + 2, e1 = e0 + aRow[q + 1];
        for (uint32_t k = e0; k < e1 && k < e0 + 4; k++)
          if (!hs_bit(aSeen, aRow[k] >> 1)) __builtin_prefetch(&aRow[aRow[k]]);
        aSNum[nSp] = n;
        aSEdge[nSp] = e0;
        aSEnd[nSp++] = e1;
      } else
        nSp--;
    }
    free(aSeen);
    /* The numbers of the nodes, written here rather than as each was
    ** entered: the iterations are independent, so their misses overlap,
    ** where in the DFS each one added to a chain of dependent ones. */
    for (uint32_t w = 2; w <= n; w++) aNum[aVert[w]] = w;
  }
  if (pOpt->xAfterDfs && (rc = pOpt->xAfterDfs(pOpt->pArg)) != HS_OK) goto done;
  rc = HS_ENOMEM;
  aRStart = *paRStart;
  aRSrc = *paRSrc;

  /* 2a. Predecessors in preorder-number space, reached ones only, in the
  ** memory of the DFS's rows (which hold every edge, and more) and stack
  ** (eval grows its own): pages already faulted in, where new ones cost
  ** more than the step's own work on a large heap. */
  {
    uint64_t nCap = aRStart[nNode];
    uint32_t *aMemPred = NULL, *aMemStart = (size_t)n + 2 <= nA ? aStk : NULL;
    if (aRowMem && nRowMem >= nCap) {
      aMemPred = realloc(aRowMem, (nCap ? nCap : 1) * sizeof *aMemPred); /* shrinks in place */
      if (!aMemPred) aMemPred = aRowMem;
    } else
      free(aRowMem);
    aRowMem = NULL;
    if (!aMemStart) free(aStk);
    aStk = NULL;
    if (dom_preds(n, nNode, aVert, aNum, aRStart, aRSrc, pOpt->bTwo, aMemStart, aMemPred,
                  &aPredStart, &aPred) != HS_OK)
      goto done;
  }

  /* 2b. Semidominators, w = n..2, on this thread; the caller's xBeside
  ** meanwhile on the other. */
  if (pOpt->xBeside) {
    bBeside = pOpt->bTwo && pthread_create(&thBeside, NULL, pOpt->xBeside, pOpt->pArg) == 0;
    if (!bBeside) pOpt->xBeside(pOpt->pArg);
  }
  stk cs = {NULL, 4096, 0};
  if (!(cs.a = malloc(cs.nCap * sizeof *cs.a))) goto done;
  for (uint32_t i = 1; i <= n; i++) {
    aSemi[i] = i;
    aPL[i].label = i;
    aDom[i] = aPL[i].par;
  }
  for (uint32_t w = n; w >= 2; w--) {
    if (w > 6)
      for (uint32_t e = aPredStart[w - 6]; e < aPredStart[w - 5]; e++) {
        __builtin_prefetch(&aPL[aPred[e]]);
        __builtin_prefetch(&aSemi[aPred[e]]);
      }
    uint32_t s = aPL[w].par;
    for (uint32_t e = aPredStart[w]; e < aPredStart[w + 1]; e++) {
      uint32_t su = aSemi[eval(aPred[e], w + 1, aPL, aSemi, &cs)];
      if (su < s) s = su;
    }
    if (cs.bOom) {
      free(cs.a);
      goto done;
    }
    aSemi[w] = s;
    if ((w & 0xffff) == 0) hs_progress("computing dominators", "objects", n - w / 2, n);
    if ((w & 0xffff) == 0 && hs_checkpoint()) {
      free(cs.a);
      rc = HS_ERR;
      goto done;
    }
  }
  free(cs.a);

  /* 3. NCA: climb from the tree parent until at or above semi(w). */
  for (uint32_t w = 2; w <= n; w++) {
    uint32_t c = aDom[w];
    while (c > aSemi[w]) c = aDom[c];
    aDom[w] = c;
  }
  if (bBeside) pthread_join(thBeside, NULL);  /* steps 4 and 5 take both threads */
  bBeside = 0;
  free(aPredStart);
  free(aPred);
  aPredStart = aPred = NULL;
  /* Retained sizes (when asked) in number space, over aPL's memory, which
  ** is free now, and the subtree counts over aSemi's. */
  uint64_t *aR = pOpt->aRetained ? (uint64_t *)aPL : NULL;
  uint32_t *aC = aR && pOpt->aCount ? aSemi : NULL;
  int bTwo = pOpt->bTwo;
  finish t = {nNode, aLeaf, aVert, aDom, aRStart, aRSrc, aNum, pOpt->aSize, aR,
              pOpt->aRetained, aC, aC ? pOpt->aCount : NULL, 0, 0, 0, 0, 0};
  /* 4. Each number starts with its node's size (and a count of 1), the
  ** leaves (their idoms found, as numbers) add theirs, and w = n..2 adds
  ** its own to its idom's. */
  if (aR) halves(own_sizes, &t, 1, n + 1, bTwo);
  halves(leaf_idoms, &t, 0, nNode, bTwo);
  if (aR)
    for (uint32_t w = n; w >= 2; w--) {
      aR[aDom[w]] += aR[w];
      if (aC) aC[aDom[w]] += aC[w];
    }
  /* 5. Back to node space, in place over aNum.  With aOrder, the reached
  ** leaves follow the numbers' nodes in it, in node order (after their
  ** idoms, as promised). */
  aDom[1] = 0;
  if (aOrder)
    for (uint32_t v = 0, k = n + 1; v < nNode; v++)
      if (aNum[v] && hs_bit(aLeaf, v)) aVert[k++] = v;
  halves(leaves_to_nodes, &t, 0, nNode, bTwo);
  halves(numbers_to_nodes, &t, 1, n + 1, bTwo);
  n += t.nLeaf;
  if (pOpt->pnGoneBytes) *pOpt->pnGoneBytes = t.nGoneBytes;
  if (aOrder) memmove(aOrder, aVert + 1, (size_t)n * sizeof *aOrder);
  rc = HS_OK;

done:
  if (bBeside) pthread_join(thBeside, NULL);
  if (pnReached) *pnReached = rc == HS_OK ? n : 0;
  if (rc != HS_OK)
    for (uint32_t i = 0; i < nNode; i++) aIdom[i] = HS_NONE;
  if (aVert != aOrder) give_back(pSpare, aVert, nA * sizeof *aVert);
  give_back(pSpare, aPL, nA * sizeof *aPL);
  give_back(pSpare, aSemi, nA * sizeof *aSemi);
  give_back(pSpare, aDom, nA * sizeof *aDom);
  free(aStk);
  free(aRowMem);
  free(aPredStart);
  free(aPred);
  free(aOwnLeaf);
  return rc;
}
