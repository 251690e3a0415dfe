/*
 * The object graph once objects have ids: reverse edges, dominators,
 * retained sizes and BFS shortest paths from the super-root.  Building from
 * a heap dump (pointer resolution) is in heapgraph.c; the dominator
 * algorithm in dominators.c; the index file in index.c.
 *
 * Memory while building, n objects (l of them leaves) and m edges: forward
 * CSR 8n + 8m, reverse CSR 4n + 4m, results 24n, the leaf bitmap n/8, the
 * dominators' scratch 28n, and during the DFS its rows, 8(n - l) + 4m.  The
 * BFS's log (8n + n/8 while it walks) lives beside the dominators' scratch
 * with two threads; with one it is made after them, its queue in their
 * scratch, which also holds the parents and depths at the end.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapscope/graph.h"
#include "base/base.h"
#include "table/internal.h"
#include "graph/dominators.h"

int hs_graph_threads = 0;

int hs_graph_nthreads(void) {
  if (hs_graph_threads > 0) return hs_graph_threads >= 2 ? 2 : 1;
  return hs_nthreads();
}

int hs_graph_two_threads(uint64_t nObj) {
  if (hs_graph_threads > 0) return hs_graph_threads > 1;
  return hs_two_threads(nObj);
}

void hs_graph_free(hs_graph *g) {
  if (!g) return;
  hs_table_free_(g->pTable);                  /* its columns borrow our arrays */
  free(g->pCheck);
  if (g->pMap) munmap(g->pMap, g->nMap);      /* an index file (index.c) */
  if (!g->bBorrowed) {
    free(g->aFwdStart);
    free(g->aFwdDst);
    free(g->aFwdOff);
    free(g->aRevStart);
    free(g->aRevSrc);
    free(g->aIdom);
    free(g->aRetained);
    free(g->aCount);
    free(g->aParent);
    free(g->aDepth);
    free(g->aSize);
  }
  free(g);
}

uint32_t hs_graph_find(const uint64_t *aAddr, const uint64_t *aSize, uint32_t n,
                       uint64_t p) {
  return hs_find_between(aAddr, aSize, 0, n, p);
}

/* Reverse CSR by counting sort over the forward edges; sources in each row
** come out in ascending id order.  With paSpare, *paSpare gets its scratch
** (nObj+1 words, malloc'd) for the caller's next use instead of freeing
** it. */
static int build_reverse(hs_graph *g, uint32_t **paSpare) {
  uint32_t nNode = g->nObj + 1;
  uint64_t m = g->nEdge;
  g->aRevStart = calloc((size_t)nNode + 1, sizeof *g->aRevStart);
  g->aRevSrc = malloc((m ? m : 1) * sizeof *g->aRevSrc);
  if (!g->aRevStart || !g->aRevSrc) return HS_ENOMEM;
  for (uint64_t e = 0; e < m; e++) g->aRevStart[g->aFwdDst[e] + 1]++;
  for (uint32_t v = 0; v < nNode; v++) g->aRevStart[v + 1] += g->aRevStart[v];
  uint32_t *aFill = malloc((size_t)nNode * sizeof *aFill);
  if (!aFill) return HS_ENOMEM;
  memcpy(aFill, g->aRevStart, (size_t)nNode * sizeof *aFill);
  for (uint32_t u = 0; u < nNode; u++)
    for (uint32_t e = g->aFwdStart[u]; e < g->aFwdStart[u + 1]; e++)
      g->aRevSrc[aFill[g->aFwdDst[e]]++] = u;
  if (paSpare)
    *paSpare = aFill;
  else
    free(aFill);
  return HS_OK;
}

/* BFS from the super-root: parent and depth of every reached object, in
** two steps.  The walk (bfs_start, bfs_walk) logs each node it reaches, in
** order, with the node it came from: sequential writes, where writing the
** parent and depth at each node's place at once added two misses to a loop
** already bound by them.  paths_place then writes them where the nodes
** are: its iterations are independent, so their misses overlap.
**
** The walk reads only the forward edges, so it may run beside the
** dominators' DFS; it stops when asked (*pbStop, so that the reverse edges'
** thread is free for the predecessors as soon as the DFS ends) and goes on
** later from where it was.  A queue knows its future: the rows of the nodes
** a few places ahead are prefetched (their starts further ahead still),
** and whether a node was seen is asked of a bitmap that stays in cache.
** The log is the queue (a leaf, bit set in aLeaf, has no edges to follow
** and is passed over); level l is aNode[aLev[l] .. aLev[l+1]).  8 bytes
** per object of scratch (and a bit) until paths_place, which keeps 4 of
** them for the depths. */
typedef struct bfs_log {
  uint32_t *aNode, *aFrom, *aLev;
  uint32_t n, nLev;         /* logged nodes (the queue's tail), levels begun */
  uint64_t *aSeen;          /* the walk's state, kept between its calls */
  uint32_t nHead, nLevelEnd, nLevCap, iPf, iPfRow;
  int bDone;
} bfs_log;

static void bfs_log_free(bfs_log *l) {
  free(l->aNode);
  free(l->aFrom);
  free(l->aLev);
  free(l->aSeen);
  memset(l, 0, sizeof *l);
}

/* Appends level start i, keeping room for the end that closes the last. */
static int bfs_level(bfs_log *l, uint32_t i) {
  if (l->nLev + 1 >= l->nLevCap) {
    uint32_t *a = realloc(l->aLev, (size_t)l->nLevCap * 2 * sizeof *a);
    if (!a) return HS_ENOMEM;
    l->aLev = a;
    l->nLevCap *= 2;
  }
  l->aLev[l->nLev++] = i;
  return HS_OK;
}

/* aMem: NULL, or nObj+1 malloc'd words it takes (for the log's nodes). */
static int bfs_start(const hs_graph *g, uint32_t *aMem, bfs_log *l) {
  uint32_t nNode = g->nObj + 1, iRoot = g->nObj;
  memset(l, 0, sizeof *l);
  l->aNode = aMem ? aMem : malloc((size_t)nNode * sizeof *l->aNode);
  l->aFrom = malloc((size_t)nNode * sizeof *l->aFrom);
  l->aSeen = calloc(((size_t)nNode + 63) / 64, sizeof *l->aSeen);
  l->aLev = malloc((l->nLevCap = 1024) * sizeof *l->aLev);
  if (!l->aNode || !l->aFrom || !l->aSeen || !l->aLev) return HS_ENOMEM;
  l->aNode[0] = iRoot;
  l->aFrom[0] = HS_NONE;
  l->n = 1;
  hs_bit_set(l->aSeen, iRoot);
  l->aLev[l->nLev++] = 0;
  l->nLevelEnd = 1;
  return HS_OK;
}

int hs_graph_bfs_stop_early;

/* Walks until done (l->bDone) or, pbStop not NULL, until *pbStop is set
** (or, with hs_graph_bfs_stop_early, past 4096 places). */
static int bfs_walk(const hs_graph *g, const uint64_t *aLeaf, bfs_log *l, const int *pbStop) {
  const uint32_t *aStart = g->aFwdStart, *aDst = g->aFwdDst;
  uint32_t *aNode = l->aNode, *aFrom = l->aFrom;
  uint64_t *aSeen = l->aSeen;
  uint32_t nHead = l->nHead, nTail = l->n, nLevelEnd = l->nLevelEnd, iPf = l->iPf,
           iPfRow = l->iPfRow;
  int rc = HS_OK;
  while (nHead < nTail) {
    if ((nHead & 0xfff) == 0 && pbStop &&
        (__atomic_load_n(pbStop, __ATOMIC_RELAXED) || (hs_graph_bfs_stop_early && nHead)))
      break;
    if (nHead == nLevelEnd) {             /* the next level's nodes are deeper */
      nLevelEnd = nTail;
      if ((rc = bfs_level(l, nHead)) != HS_OK) break;
    }
    uint32_t u = aNode[nHead++];
    if (hs_bit(aLeaf, u)) continue;
    for (iPf = iPf > nHead ? iPf : nHead; iPf < nTail && iPf < nHead + 16; iPf++)
      if (!hs_bit(aLeaf, aNode[iPf])) __builtin_prefetch(&aStart[aNode[iPf]]);
    for (iPfRow = iPfRow > nHead ? iPfRow : nHead; iPfRow < nTail && iPfRow < nHead + 8; iPfRow++)
      if (!hs_bit(aLeaf, aNode[iPfRow])) __builtin_prefetch(&aDst[aStart[aNode[iPfRow]]]);
    for (uint32_t e = aStart[u]; e < aStart[u + 1]; e++) {
      uint32_t w = aDst[e];
      if (hs_bit(aSeen, w)) continue;
      hs_bit_set(aSeen, w);
      aNode[nTail] = w;
      aFrom[nTail++] = u;
    }
  }
  l->nHead = nHead;
  l->n = nTail;
  l->nLevelEnd = nLevelEnd;
  l->iPf = iPf;
  l->iPfRow = iPfRow;
  if (rc == HS_OK && nHead == nTail) {
    l->bDone = 1;
    l->aLev[l->nLev] = nTail;
    free(l->aSeen);
    l->aSeen = NULL;
  }
  return rc;
}

/* One half of paths_place: the parents or the depths. */
typedef struct placing {
  const bfs_log *l;
  uint32_t nNode;
  uint32_t *a;
  int bDepth;
} placing;

static void *place_half(void *pArg) {
  placing *x = pArg;
  const bfs_log *l = x->l;
  uint32_t *a = x->a;
  if (!x->bDepth) {
    for (uint32_t v = 0; v < x->nNode; v++) a[v] = HS_NONE;
    for (uint32_t k = 0; k < l->n; k++) a[l->aNode[k]] = l->aFrom[k];
  } else {
    memset(a, 0, (size_t)x->nNode * sizeof *a);
    for (uint32_t d = 1; d < l->nLev; d++)
      for (uint32_t k = l->aLev[d]; k < l->aLev[d + 1]; k++) a[l->aNode[k]] = d;
  }
  return NULL;
}

/* The log's parents and depths written at their nodes (g->aParent,
** g->aDepth; HS_NONE and 0 where none was reached), each on its own
** thread when bTwo, in blocks from pSpare (the dominators' scratch, its
** pages in memory already); frees the log. */
static int paths_place(hs_graph *g, bfs_log *l, hs_spare *pSpare, int bTwo) {
  uint32_t nNode = g->nObj + 1;
  g->aParent = hs_spare_take(pSpare, (size_t)nNode * sizeof *g->aParent);
  g->aDepth = hs_spare_take(pSpare, (size_t)nNode * sizeof *g->aDepth);
  if (!g->aParent || !g->aDepth) {
    bfs_log_free(l);
    return HS_ENOMEM;
  }
  placing a = {l, nNode, g->aParent, 0}, b = {l, nNode, g->aDepth, 1};
  hs_run_two(place_half, &a, &b, bTwo);
  bfs_log_free(l);
  return HS_OK;
}

/* The build after the forward edges: the dominators on the calling thread;
** with two threads, the reverse edges and then the BFS's walk on the other
** while the dominators' DFS runs (neither needs what the other makes), the
** walk stopped when the DFS ends, the predecessors on both, the rest of
** the walk beside the semidominators, and the BFS's placing on both after
** the dominators (in their scratch). */
typedef struct build {
  hs_graph *g;
  const uint64_t *aLeaf;
  hs_dfs_rows rows;   /* planned by the first thread, filled by both */
  uint32_t vSplit;    /* the second thread fills the rows of [vSplit, nNode) */
  pthread_barrier_t bar;
  int bThread;        /* th runs: its rows, then the reverse edges, the BFS */
  int bSide;          /* th was started (the BFS is its) */
  pthread_t th;
  bfs_log log;        /* the BFS's walk, until placed */
  int bStop;          /* the DFS is done: the BFS's walk stops for now */
  hs_spare *pSpare;   /* the caller's scratch, for the dominators' */
  int rcRev, rcPaths; /* HS_ERR until done */
} build;

static void *side_thread(void *p) {
  build *b = p;
  hs_graph *g = b->g;
  hs_dfs_rows_fill(&b->rows, g->nObj + 1, g->aFwdStart, g->aFwdDst, b->aLeaf, b->vSplit,
                   g->nObj + 1);
  pthread_barrier_wait(&b->bar);
  uint32_t *aSpare = NULL;                    /* the reverse edges' scratch, the BFS's */
  b->rcRev = build_reverse(g, &aSpare);
  if (b->rcRev == HS_OK && (b->rcPaths = bfs_start(g, aSpare, &b->log)) == HS_OK)
    b->rcPaths = bfs_walk(g, b->aLeaf, &b->log, &b->bStop);
  return NULL;
}

/* The rest of the BFS's walk (all of it when the side thread did not start
** it): beside the semidominators (hs_dom_opts.xBeside), once th is joined,
** or after the dominators on one thread. */
static void *paths_walk_rest(void *p) {
  build *b = p;
  if (b->rcPaths == HS_OK && !b->log.bDone) b->rcPaths = bfs_walk(b->g, b->aLeaf, &b->log, NULL);
  return NULL;
}

/* Between the DFS and the reverse edges' first use (hs_dominators_ex). */
static int after_dfs(void *p) {
  build *b = p;
  if (b->bThread) {
    __atomic_store_n(&b->bStop, 1, __ATOMIC_RELAXED);
    pthread_join(b->th, NULL);
    b->bThread = 0;
  } else
    b->rcRev = build_reverse(b->g, NULL);
  return b->rcRev;
}

/* Dominators, retained sizes and counts (g->aIdom, aRetained, aCount allocated), the
** DFS's rows planned.  With two threads, the second fills half the rows,
** then builds the reverse edges and runs the BFS while the DFS runs (none
** of them needs what another makes); the predecessors and the last step
** are shared too. */
static int build_dominators(hs_graph *g, build *b, int bTwo) {
  uint32_t nNode = g->nObj + 1, nReached = 0;
  b->vSplit = nNode;
  if (bTwo && pthread_barrier_init(&b->bar, NULL, 2) == 0) {
    b->vSplit = nNode / 2;
    b->bThread = b->bSide = pthread_create(&b->th, NULL, side_thread, b) == 0;
    if (!b->bThread) {
      pthread_barrier_destroy(&b->bar);
      b->vSplit = nNode;
    }
  }
  hs_dfs_rows_fill(&b->rows, nNode, g->aFwdStart, g->aFwdDst, b->aLeaf, 0, b->vSplit);
  if (b->bThread) pthread_barrier_wait(&b->bar); /* destroyed once th is joined */
  hs_dom_opts o = {.aLeaf = b->aLeaf, .xAfterDfs = after_dfs, .pArg = b,
                   .xBeside = b->bSide ? paths_walk_rest : NULL, .bTwo = bTwo,
                   .aSize = g->aSize, .aRetained = g->aRetained, .aCount = g->aCount,
                   .pnGoneBytes = &g->nUnreachableBytes, .pRows = &b->rows,
                   .pSpare = b->pSpare};
  int rc = hs_dominators_ex(nNode, g->nObj, g->aFwdStart, g->aFwdDst,
                            (const uint32_t *const *)&g->aRevStart,
                            (const uint32_t *const *)&g->aRevSrc, &o, g->aIdom, NULL, &nReached);
  if (rc != HS_OK) return rc;
  g->nUnreachable = nNode - nReached;        /* the super-root is reached */
  return HS_OK;
}

int hs_graph_prep(uint32_t nObj, const uint64_t *aSize, uint32_t nRoot, const uint32_t *aStart,
                  hs_graph_prepared *p) {
  memset(p, 0, sizeof *p);
  hs_graph *g = p->g = calloc(1, sizeof *g);
  if (!g) return HS_ENOMEM;
  g->nObj = nObj;
  g->nRoot = nRoot;
  g->nEdge = aStart[(size_t)nObj + 1];
  g->aSize = malloc(((size_t)nObj + 1) * sizeof *g->aSize);
  if (!g->aSize) return HS_ENOMEM;
  if (nObj) memcpy(g->aSize, aSize, (size_t)nObj * sizeof *aSize);
  g->aSize[nObj] = 0;
  p->aLeaf = hs_leaf_bits(nObj + 1, nObj, aStart);
  g->aIdom = malloc(((size_t)nObj + 1) * sizeof *g->aIdom);
  g->aRetained = malloc(((size_t)nObj + 1) * sizeof *g->aRetained);
  g->aCount = malloc(((size_t)nObj + 1) * sizeof *g->aCount);
  if (!p->aLeaf || !g->aIdom || !g->aRetained || !g->aCount) return HS_ENOMEM;
  /* the retained column is the plan's scratch until the dominators' end */
  return hs_dfs_rows_plan(nObj + 1, nObj, aStart, p->aLeaf, (uint32_t *)g->aRetained, &p->rows);
}

void hs_graph_prep_free(hs_graph_prepared *p) {
  hs_graph_free(p->g);
  free(p->aLeaf);
  free(p->rows.aRow);
  hs_spare_free(&p->spare);
  memset(p, 0, sizeof *p);
}

int hs_graph_from_prep(hs_graph_prepared *p, uint32_t *aStart, uint32_t *aDst, uint32_t *aOff,
                       hs_graph **ppOut) {
  *ppOut = NULL;
  hs_graph *g = p->g;
  g->aFwdStart = aStart;
  g->aFwdDst = aDst;
  g->aFwdOff = aOff;
  build b = {.g = g, .aLeaf = p->aLeaf, .rows = p->rows, .pSpare = &p->spare,
             .rcRev = HS_ERR, .rcPaths = HS_ERR};
  p->rows.aRow = NULL;                        /* b's now */
  int bTwo = hs_graph_two_threads(g->nObj);
  int rc = build_dominators(g, &b, bTwo);
  if (b.bThread) {                            /* the DFS failed before after_dfs */
    __atomic_store_n(&b.bStop, 1, __ATOMIC_RELAXED);
    pthread_join(b.th, NULL);
  }
  if (b.bSide) pthread_barrier_destroy(&b.bar); /* th has left it */
  free(b.rows.aRow);                          /* when the DFS did not take it */
  if (rc == HS_OK && !b.bSide &&
      (b.rcPaths = bfs_start(g, hs_spare_take(b.pSpare, (g->nObj + 1) * sizeof(uint32_t)),
                             &b.log)) == HS_OK)
    paths_walk_rest(&b);
  if (rc == HS_OK && b.rcPaths == HS_OK) b.rcPaths = paths_place(g, &b.log, b.pSpare, bTwo);
  bfs_log_free(&b.log);                       /* when not placed */
  hs_progress_done();
  if (rc == HS_OK && (rc = b.rcPaths) == HS_OK) {
    *ppOut = g;
    p->g = NULL;
  }
  hs_graph_prep_free(p);
  return rc;
}

int hs_graph_from_csr(uint32_t nObj, const uint64_t *aSize, uint32_t nRoot,
                      uint32_t *aStart, uint32_t *aDst, uint32_t *aOff,
                      hs_graph **ppOut) {
  hs_graph_prepared p;
  int rc = hs_graph_prep(nObj, aSize, nRoot, aStart, &p);
  if (rc != HS_OK) {
    hs_graph_prep_free(&p);
    free(aStart);
    free(aDst);
    free(aOff);
    *ppOut = NULL;
    return rc;
  }
  return hs_graph_from_prep(&p, aStart, aDst, aOff, ppOut);
}

int hs_graph_from_edges(uint32_t nObj, const uint64_t *aSize, uint64_t nEdge,
                        const uint32_t *aSrc, const uint32_t *aDst,
                        const uint32_t *aOff, uint32_t nRoot,
                        const uint32_t *aRoot, hs_graph **ppOut) {
  *ppOut = NULL;
  if (nEdge + nRoot >= UINT32_MAX || nObj >= UINT32_MAX - 2) return HS_ELIMIT;
  uint32_t nNode = nObj + 1;
  uint32_t *aStart = calloc((size_t)nNode + 1, sizeof *aStart);
  uint32_t *aD = malloc((nEdge + nRoot + 1) * sizeof *aD);
  uint32_t *aO = malloc((nEdge + nRoot + 1) * sizeof *aO);
  uint32_t *aFill = malloc((size_t)nNode * sizeof *aFill);
  uint64_t nDropped = 0, nRootDropped = 0;
  if (!aStart || !aD || !aO || !aFill) {
    free(aStart);
    free(aD);
    free(aO);
    free(aFill);
    return HS_ENOMEM;
  }
  for (uint64_t i = 0; i < nEdge; i++)
    if (aSrc[i] < nObj && aDst[i] < nObj) aStart[aSrc[i] + 1]++;
  for (uint32_t r = 0; r < nRoot; r++)
    if (aRoot[r] < nObj) aStart[nObj + 1]++;
  for (uint32_t v = 0; v < nNode; v++) aStart[v + 1] += aStart[v];
  memcpy(aFill, aStart, (size_t)nNode * sizeof *aFill);
  for (uint64_t i = 0; i < nEdge; i++) {
    if (aSrc[i] < nObj && aDst[i] < nObj) {
      uint32_t k = aFill[aSrc[i]]++;
      aD[k] = aDst[i];
      aO[k] = aOff ? aOff[i] : 0;
    } else
      nDropped++;
  }
  for (uint32_t r = 0; r < nRoot; r++) {
    if (aRoot[r] < nObj) {
      uint32_t k = aFill[nObj]++;
      aD[k] = aRoot[r];
      aO[k] = r;
    } else
      nRootDropped++;
  }
  free(aFill);
  int rc = hs_graph_from_csr(nObj, aSize, nRoot, aStart, aD, aO, ppOut);
  if (rc == HS_OK) {
    (*ppOut)->nDropped = nDropped;
    (*ppOut)->nRootDropped = nRootDropped;
  }
  return rc;
}

uint32_t hs_graph_edge_off(const hs_graph *g, uint32_t u, uint32_t v) {
  if (u > g->nObj) return HS_NONE;
  for (uint32_t e = g->aFwdStart[u]; e < g->aFwdStart[u + 1]; e++)
    if (g->aFwdDst[e] == v) return g->aFwdOff[e];
  return HS_NONE;
}

uint32_t hs_graph_path(const hs_graph *g, uint32_t v, hs_path_step *aStep, uint32_t nMax) {
  if (v >= g->nObj || g->aParent[v] == HS_NONE) return 0;
  uint32_t nLen = g->aDepth[v];
  if (nLen == 0 || nLen > g->nObj) return 0;  /* a corrupt depth never loops */
  /* Walk up from v, filling the array from the end. */
  uint32_t i = nLen;
  while (i > 0) {
    uint32_t u = g->aParent[v];
    if (u == HS_NONE || u > g->nObj) return 0;
    i--;
    if (i < nMax) {
      aStep[i].iObj = v;
      aStep[i].iOff = hs_graph_edge_off(g, u, v);
    }
    if (u == g->nObj) break;
    v = u;
  }
  return i == 0 ? nLen : 0;
}
