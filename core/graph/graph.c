/*
 * The object graph once objects have ids: reverse edges, dominators,
 * retained sizes and BFS shortest paths from the super-root.  Building from
 * a heap dump (pointer resolution) is in heapgraph.c; the dominator
 * algorithm in dominators.c; the index file in index.c.
 *
 * Memory while building, n objects and m edges: forward CSR 8n + 8m, reverse
 * CSR 4n + 4m, results 24n, and the dominators' scratch 28n, which is freed
 * before the BFS queue (4n) is allocated.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapscope/graph.h"
#include "base/base.h"
#include "table/internal.h"

int hs_graph_threads = 0;

int hs_graph_nthreads(void) {
  int n = hs_graph_threads;
  if (n <= 0) {
    const char *z = getenv("HEAPSCOPE_THREADS");
    n = z && *z ? atoi(z) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  }
  return n >= 2 ? 2 : 1;
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
** come out in ascending id order. */
static int build_reverse(hs_graph *g) {
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
  free(aFill);
  return HS_OK;
}

/* BFS from the super-root: parent and depth of every reached object.  The
** queue is a plain array of n ids (each node enters it once).  Reads only
** the forward edges, so it may run beside the dominators. */
static int build_paths(hs_graph *g) {
  uint32_t nNode = g->nObj + 1, iRoot = g->nObj;
  g->aParent = malloc((size_t)nNode * sizeof *g->aParent);
  g->aDepth = calloc(nNode, sizeof *g->aDepth);
  uint32_t *aQ = malloc((size_t)nNode * sizeof *aQ);
  if (!g->aParent || !g->aDepth || !aQ) {
    free(aQ);
    return HS_ENOMEM;
  }
  for (uint32_t v = 0; v < nNode; v++) g->aParent[v] = HS_NONE;
  uint32_t nHead = 0, nTail = 0;
  aQ[nTail++] = iRoot;
  g->aParent[iRoot] = iRoot;
  while (nHead < nTail) {
    uint32_t u = aQ[nHead++];
    for (uint32_t e = g->aFwdStart[u]; e < g->aFwdStart[u + 1]; e++) {
      uint32_t w = g->aFwdDst[e];
      if (g->aParent[w] != HS_NONE) continue;
      g->aParent[w] = u;
      g->aDepth[w] = g->aDepth[u] + 1;
      aQ[nTail++] = w;
    }
  }
  g->aParent[iRoot] = HS_NONE;
  free(aQ);
  return HS_OK;
}

typedef struct paths_job {
  hs_graph *g;
  int rc;
} paths_job;

static void *paths_thread(void *p) {
  paths_job *j = p;
  j->rc = build_paths(j->g);
  return NULL;
}

/* Dominators, then retained sizes bottom-up in reverse DFS preorder (every
** node's idom precedes it in preorder, so one pass suffices). */
static int build_dominators(hs_graph *g) {
  uint32_t nNode = g->nObj + 1;
  g->aIdom = malloc((size_t)nNode * sizeof *g->aIdom);
  uint32_t *aOrder = malloc(((size_t)nNode + 1) * sizeof *aOrder);
  uint32_t nReached = 0;
  int rc = HS_ENOMEM;
  if (!g->aIdom || !aOrder) goto done;
  rc = hs_dominators(nNode, g->nObj, g->aFwdStart, g->aFwdDst, g->aRevStart, g->aRevSrc,
                     g->aIdom, aOrder, &nReached);
  if (rc != HS_OK) goto done;
  /* allocated only now: the dominators' scratch is freed (lower peak) */
  g->aRetained = calloc(nNode, sizeof *g->aRetained);
  if (!g->aRetained) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t i = nReached; i-- > 0;) {
    uint32_t v = aOrder[i];
    g->aRetained[v] += g->aSize[v];
    if (g->aIdom[v] != HS_NONE) g->aRetained[g->aIdom[v]] += g->aRetained[v];
  }
  g->nUnreachable = 0;
  g->nUnreachableBytes = 0;
  for (uint32_t v = 0; v < g->nObj; v++)
    if (g->aIdom[v] == HS_NONE) {
      g->nUnreachable++;
      g->nUnreachableBytes += g->aSize[v];
    }
done:
  free(aOrder);
  return rc;
}

int hs_graph_from_csr(uint32_t nObj, const uint64_t *aSize, uint32_t nRoot,
                      uint32_t *aStart, uint32_t *aDst, uint32_t *aOff,
                      hs_graph **ppOut) {
  int rc = HS_ENOMEM;
  *ppOut = NULL;
  hs_graph *g = calloc(1, sizeof *g);
  if (!g) {
    free(aStart);
    free(aDst);
    free(aOff);
    return HS_ENOMEM;
  }
  g->nObj = nObj;
  g->nRoot = nRoot;
  g->aFwdStart = aStart;
  g->aFwdDst = aDst;
  g->aFwdOff = aOff;
  g->nEdge = aStart[(size_t)nObj + 1];
  g->aSize = malloc(((size_t)nObj + 1) * sizeof *g->aSize);
  if (!g->aSize) goto done;
  if (nObj) memcpy(g->aSize, aSize, (size_t)nObj * sizeof *aSize);
  g->aSize[nObj] = 0;
  if ((rc = build_reverse(g)) != HS_OK) goto done;
  /* The BFS (forward edges only) in a second thread while this one computes
  ** the dominators: 12n bytes of BFS arrays then live beside their scratch. */
  pthread_t th;
  paths_job job = {g, HS_ERR};
  int bThread = hs_graph_nthreads() > 1 && (hs_graph_threads > 1 || nObj > 65536) &&
                pthread_create(&th, NULL, paths_thread, &job) == 0;
  rc = build_dominators(g);
  if (bThread) pthread_join(th, NULL);
  else if (rc == HS_OK) job.rc = build_paths(g);
  hs_progress_done();
  if (rc != HS_OK || (rc = job.rc) != HS_OK) goto done;
  *ppOut = g;
  g = NULL;
done:
  hs_graph_free(g);
  return rc;
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
