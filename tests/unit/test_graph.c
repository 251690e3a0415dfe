/*
 * The object graph: dominators against a naive data-flow reference on
 * random graphs, a 10 M-long list (no recursion), hand graphs with known
 * retained sizes, shortest root paths, and the index file (round trip,
 * stale, corrupt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "heapscope/graph.h"
#include "heapscope/heap.h"
#include "graph/dominators.h"
#include "lib/domiter.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t gSeed = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
  gSeed ^= gSeed << 13;
  gSeed ^= gSeed >> 7;
  gSeed ^= gSeed << 17;
  return n ? (uint32_t)(gSeed % n) : 0;
}

/* Naive dominators over nNode nodes (node nNode-1 is the root): iterate
** dom(v) = {v} + intersection of dom(p) over reached predecessors until it
** stops changing; idom(v) = the strict dominator with the largest dom set. */
static void naive_idom(uint32_t nNode, uint32_t nEdge, const uint32_t *aSrc,
                       const uint32_t *aDst, uint32_t iRoot, uint32_t *aIdom) {
  size_t nW = (nNode + 63) / 64;
  uint64_t *aDom = malloc((size_t)nNode * nW * 8);
  uint8_t *aReach = calloc(nNode, 1);
  /* reachability by repeated relaxation */
  aReach[iRoot] = 1;
  for (int bChanged = 1; bChanged;) {
    bChanged = 0;
    for (uint32_t e = 0; e < nEdge; e++)
      if (aReach[aSrc[e]] && !aReach[aDst[e]]) aReach[aDst[e]] = bChanged = 1;
  }
  for (uint32_t v = 0; v < nNode; v++) {
    memset(aDom + v * nW, v == iRoot ? 0 : 0xff, nW * 8);
    if (v == iRoot) aDom[v * nW + v / 64] |= 1ull << (v % 64);
  }
  uint64_t *aTmp = malloc(nW * 8);
  for (int bChanged = 1; bChanged;) {
    bChanged = 0;
    for (uint32_t v = 0; v < nNode; v++) {
      if (v == iRoot || !aReach[v]) continue;
      memset(aTmp, 0xff, nW * 8);
      for (uint32_t e = 0; e < nEdge; e++)
        if (aDst[e] == v && aReach[aSrc[e]])
          for (size_t w = 0; w < nW; w++) aTmp[w] &= aDom[aSrc[e] * nW + w];
      aTmp[v / 64] |= 1ull << (v % 64);
      if (memcmp(aTmp, aDom + v * nW, nW * 8)) {
        memcpy(aDom + v * nW, aTmp, nW * 8);
        bChanged = 1;
      }
    }
  }
  for (uint32_t v = 0; v < nNode; v++) {
    aIdom[v] = HS_NONE;
    if (v == iRoot || !aReach[v]) continue;
    int nBest = -1;
    for (uint32_t d = 0; d < nNode; d++) {
      if (d == v || !(aDom[v * nW + d / 64] >> (d % 64) & 1)) continue;
      int nCnt = 0;
      for (size_t w = 0; w < nW; w++) nCnt += __builtin_popcountll(aDom[d * nW + w]);
      if (nCnt > nBest) {
        nBest = nCnt;
        aIdom[v] = d;
      }
    }
  }
  free(aTmp);
  free(aDom);
  free(aReach);
}

/* ---------------------------------------------------------------- tests */

static void test_random_vs_naive(void **state) {
  (void)state;
  for (int iGraph = 0; iGraph < 400; iGraph++) {
    uint32_t nObj = 1 + rnd(iGraph < 200 ? 12 : 150);
    uint32_t nEdge = rnd(nObj * (1 + rnd(4)));
    uint32_t nRoot = 1 + rnd(3);
    uint32_t *aSrc = malloc((nEdge + nRoot + 1) * 4), *aDst = malloc((nEdge + nRoot + 1) * 4);
    uint32_t *aRoot = malloc(nRoot * 4);
    uint64_t *aSize = malloc(nObj * 8);
    for (uint32_t i = 0; i < nObj; i++) aSize[i] = 1 + rnd(100);
    for (uint32_t e = 0; e < nEdge; e++) {
      aSrc[e] = rnd(nObj);
      /* mostly forward-ish edges make long chains; some back edges make cycles */
      aDst[e] = rnd(4) ? (aSrc[e] + 1 + rnd(3)) % nObj : rnd(nObj);
    }
    for (uint32_t r = 0; r < nRoot; r++) aRoot[r] = rnd(nObj);
    hs_graph *g = NULL;
    assert_int_equal(hs_graph_from_edges(nObj, aSize, nEdge, aSrc, aDst, NULL, nRoot, aRoot, &g), HS_OK);
    /* the reference sees the super-root as node nObj */
    for (uint32_t r = 0; r < nRoot; r++) {
      aSrc[nEdge + r] = nObj;
      aDst[nEdge + r] = aRoot[r];
    }
    uint32_t *aRef = malloc((nObj + 1) * 4);
    naive_idom(nObj + 1, nEdge + nRoot, aSrc, aDst, nObj, aRef);
    for (uint32_t v = 0; v < nObj; v++) {
      if (g->aIdom[v] != aRef[v])
        fail_msg("graph %d (n=%u m=%u): idom(%u) = %u, reference says %u", iGraph, nObj,
                 nEdge, v, g->aIdom[v], aRef[v]);
    }
    /* the second algorithm agrees too */
    uint32_t *aIt = malloc((nObj + 1) * 4), *aOrd = malloc((nObj + 2) * 4), nR;
    assert_int_equal(tl_dominators_iter(nObj + 1, nObj, g->aFwdStart, g->aFwdDst, g->aRevStart,
                                        g->aRevSrc, aIt, aOrd, &nR), HS_OK);
    for (uint32_t v = 0; v < nObj; v++)
      if (aIt[v] != aRef[v])
        fail_msg("graph %d: iterative idom(%u) = %u, reference says %u", iGraph, v, aIt[v], aRef[v]);
    free(aIt);
    free(aOrd);
    /* the public entry point gives the same idoms, and its order has every
    ** reached node once, after its idom */
    uint32_t *aId2 = malloc((nObj + 1) * 4), *aOrd2 = malloc((nObj + 2) * 4), nR2;
    uint32_t *aAt = malloc((nObj + 1) * 4);
    assert_int_equal(hs_dominators(nObj + 1, nObj, g->aFwdStart, g->aFwdDst, g->aRevStart,
                                   g->aRevSrc, aId2, aOrd2, &nR2), HS_OK);
    assert_memory_equal(aId2, g->aIdom, (size_t)nObj * 4);
    assert_int_equal(nR2, nObj + 1 - g->nUnreachable);
    for (uint32_t v = 0; v <= nObj; v++) aAt[v] = HS_NONE;
    for (uint32_t i = 0; i < nR2; i++) {
      assert_true(aOrd2[i] <= nObj && aAt[aOrd2[i]] == HS_NONE);
      aAt[aOrd2[i]] = i;
    }
    for (uint32_t v = 0; v < nObj; v++)
      if (aId2[v] != HS_NONE) assert_true(aAt[aId2[v]] < aAt[v]);
    free(aId2);
    free(aOrd2);
    free(aAt);
    /* parents and depths equal a plain BFS's (every node queued) */
    uint32_t *aQ = malloc((nObj + 1) * 4), *aPar = malloc((nObj + 1) * 4);
    uint32_t *aDep = calloc(nObj + 1, 4), nHead = 0, nTail = 0;
    for (uint32_t v = 0; v <= nObj; v++) aPar[v] = HS_NONE;
    aQ[nTail++] = nObj;
    while (nHead < nTail) {
      uint32_t u = aQ[nHead++];
      for (uint32_t e = g->aFwdStart[u]; e < g->aFwdStart[u + 1]; e++) {
        uint32_t w = g->aFwdDst[e];
        if (w == nObj || aPar[w] != HS_NONE) continue;
        aPar[w] = u;
        aDep[w] = aDep[u] + 1;
        aQ[nTail++] = w;
      }
    }
    for (uint32_t v = 0; v < nObj; v++)
      if (g->aParent[v] != aPar[v] || g->aDepth[v] != aDep[v])
        fail_msg("graph %d: parent/depth of %u = %u/%u, a plain BFS says %u/%u", iGraph, v,
                 g->aParent[v], g->aDepth[v], aPar[v], aDep[v]);
    free(aQ);
    free(aPar);
    free(aDep);
    /* retained = sum of sizes of the dominator subtree, count = its
    ** objects, computed naively */
    uint32_t nReached = 0;
    for (uint32_t v = 0; v < nObj; v++) {
      uint64_t nWant = 0, nWantCount = 0;
      for (uint32_t w = 0; w < nObj; w++) {
        if (aRef[w] == HS_NONE && w != v) continue;
        if (aRef[v] == HS_NONE) break;
        uint32_t x = w;
        while (x != HS_NONE && x != v && x != nObj) x = aRef[x];
        if (x == v) {
          nWant += aSize[w];
          nWantCount++;
        }
      }
      assert_int_equal(g->aRetained[v], nWant);
      assert_int_equal(g->aCount[v], nWantCount);
      nReached += aRef[v] != HS_NONE;
    }
    assert_int_equal(g->aCount[nObj], nReached + 1);   /* the super-root: all, and itself */
    hs_graph_free(g);
    free(aRef);
    free(aSrc);
    free(aDst);
    free(aRoot);
    free(aSize);
  }
}

/* Graphs too big for the naive reference: the two algorithms agree. */
static void test_cross_check_large(void **state) {
  (void)state;
  for (int iGraph = 0; iGraph < 4; iGraph++) {
    uint32_t nObj = 200000 + rnd(100000), nEdge = nObj * (1 + iGraph);
    uint32_t *aSrc = malloc(nEdge * 4), *aDst = malloc(nEdge * 4), aRoot[8];
    uint64_t *aSize = malloc(nObj * 8);
    for (uint32_t i = 0; i < nObj; i++) aSize[i] = 8 + rnd(64);
    for (uint32_t e = 0; e < nEdge; e++) {
      aSrc[e] = rnd(nObj);
      aDst[e] = rnd(10) < 7 ? (aSrc[e] + 1 + rnd(50)) % nObj : rnd(nObj);
    }
    for (int r = 0; r < 8; r++) aRoot[r] = rnd(nObj);
    hs_graph *g = NULL;
    assert_int_equal(hs_graph_from_edges(nObj, aSize, nEdge, aSrc, aDst, NULL, 8, aRoot, &g), HS_OK);
    uint32_t *aIt = malloc((nObj + 1) * 4), *aOrd = malloc((nObj + 2) * 4), nR;
    assert_int_equal(tl_dominators_iter(nObj + 1, nObj, g->aFwdStart, g->aFwdDst, g->aRevStart,
                                        g->aRevSrc, aIt, aOrd, &nR), HS_OK);
    assert_memory_equal(aIt, g->aIdom, (size_t)nObj * 4);
    assert_int_equal(nR, nObj + 1 - g->nUnreachable);
    free(aIt);
    free(aOrd);
    free(aSrc);
    free(aDst);
    free(aSize);
    hs_graph_free(g);
  }
}

/* root -> 0 -> 1 -> ... -> n-1: every node dominates the rest. */
static void test_long_list(void **state) {
  (void)state;
  uint32_t n = 10 * 1000 * 1000;
  uint32_t *aSrc = malloc((size_t)n * 4), *aDst = malloc((size_t)n * 4);
  uint64_t *aSize = malloc((size_t)n * 8);
  for (uint32_t i = 0; i < n; i++) {
    aSize[i] = 16;
    aSrc[i] = i;
    aDst[i] = i + 1;                          /* the last edge is dropped */
  }
  uint32_t iRoot = 0;
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_edges(n, aSize, n, aSrc, aDst, NULL, 1, &iRoot, &g), HS_OK);
  assert_int_equal(g->nDropped, 1);
  assert_int_equal(g->aRetained[0], (uint64_t)n * 16);
  assert_int_equal(g->aRetained[n / 2], (uint64_t)(n - n / 2) * 16);
  assert_int_equal(g->aIdom[n - 1], n - 2);
  assert_int_equal(g->aDepth[n - 1], n);
  assert_int_equal(g->nUnreachable, 0);
  hs_path_step aStep[4];
  assert_int_equal(hs_graph_path(g, n - 1, aStep, 4), n);
  assert_int_equal(aStep[0].iObj, 0);
  assert_int_equal(aStep[0].iOff, 0);         /* root index 0 */
  assert_int_equal(aStep[3].iObj, 3);
  hs_graph_free(g);
  /* the reverse list: edges i+1 -> i, root at the far end */
  for (uint32_t i = 0; i < n; i++) {
    aSrc[i] = n - 1 - i;
    aDst[i] = n - 2 - i;                      /* the last is UINT32_MAX: dropped */
  }
  iRoot = n - 1;
  assert_int_equal(hs_graph_from_edges(n, aSize, n, aSrc, aDst, NULL, 1, &iRoot, &g), HS_OK);
  assert_int_equal(g->aRetained[n - 1], (uint64_t)n * 16);
  assert_int_equal(g->aIdom[0], 1);
  hs_graph_free(g);
  free(aSrc);
  free(aDst);
  free(aSize);
}

/* Diamond: R->a, a->b, a->c, b->d, c->d.  d is dominated by a, not b or c. */
static void test_diamond(void **state) {
  (void)state;
  uint64_t aSize[] = {10, 20, 30, 40};        /* a b c d */
  uint32_t aSrc[] = {0, 0, 1, 2}, aDst[] = {1, 2, 3, 3}, aOff[] = {8, 16, 0, 24};
  uint32_t iRoot = 0;
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_edges(4, aSize, 4, aSrc, aDst, aOff, 1, &iRoot, &g), HS_OK);
  assert_int_equal(g->aIdom[3], 0);
  assert_int_equal(g->aIdom[1], 0);
  assert_int_equal(g->aIdom[0], 4);           /* the super-root */
  assert_int_equal(g->aRetained[0], 100);
  assert_int_equal(g->aRetained[1], 20);
  assert_int_equal(g->aRetained[2], 30);
  assert_int_equal(g->aRetained[3], 40);
  assert_int_equal(g->aRetained[4], 100);
  /* referrers of d: b and c */
  assert_int_equal(g->aRevStart[4] - g->aRevStart[3], 2);
  assert_int_equal(g->aRevSrc[g->aRevStart[3]], 1);
  assert_int_equal(g->aRevSrc[g->aRevStart[3] + 1], 2);
  hs_path_step a[8];
  assert_int_equal(hs_graph_path(g, 3, a, 8), 3);
  assert_int_equal(a[0].iObj, 0);
  assert_int_equal(a[1].iObj, 1);
  assert_int_equal(a[1].iOff, 8);
  assert_int_equal(a[2].iObj, 3);
  assert_int_equal(a[2].iOff, 0);
  hs_graph_free(g);
}

/* A cycle a->b->c->a held by one root at b, plus garbage e->f not rooted
** and a second root at f's neighbour g held twice. */
static void test_cycle_and_garbage(void **state) {
  (void)state;
  uint64_t aSize[] = {1, 2, 4, 8, 16, 32};    /* a b c e f g */
  uint32_t aSrc[] = {0, 1, 2, 3, 5}, aDst[] = {1, 2, 0, 4, 5};
  uint32_t aRoot[] = {1, 5, 5, 99};
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_edges(6, aSize, 5, aSrc, aDst, NULL, 4, aRoot, &g), HS_OK);
  assert_int_equal(g->nRootDropped, 1);
  assert_int_equal(g->aIdom[1], 6);
  assert_int_equal(g->aIdom[2], 1);
  assert_int_equal(g->aIdom[0], 2);
  assert_int_equal(g->aRetained[1], 7);
  assert_int_equal(g->aRetained[0], 1);
  assert_int_equal(g->aRetained[5], 32);      /* self loop changes nothing */
  assert_int_equal(g->nUnreachable, 2);       /* e and f */
  assert_int_equal(g->nUnreachableBytes, 24);
  assert_int_equal(g->aRetained[3], 0);
  assert_int_equal(g->aIdom[4], HS_NONE);
  assert_int_equal(g->aRetained[6], 39);
  hs_path_step a[4];
  assert_int_equal(hs_graph_path(g, 3, a, 4), 0);
  assert_int_equal(hs_graph_path(g, 5, a, 4), 1);
  assert_int_equal(a[0].iOff, 1);             /* the first of the two roots */
  hs_graph_free(g);
}

static void test_find(void **state) {
  (void)state;
  uint64_t aAddr[] = {0x1000, 0x1010, 0x2000, 0x2400};
  uint64_t aSize[] = {16, 16, 0x400, 8};
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0xfff), HS_NONE);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x1000), 0);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x100f), 0);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x1010), 1);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x1020), HS_NONE);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x2008), 2); /* type-header +8 */
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x2407), 3);
  assert_int_equal(hs_graph_find(aAddr, aSize, 4, 0x2408), HS_NONE);
  assert_int_equal(hs_graph_find(aAddr, aSize, 0, 0x2408), HS_NONE);
}

/* ---------------------------------------------------------------- index */

static hs_graph *random_graph(uint32_t nObj, uint32_t nEdge) {
  uint32_t *aSrc = malloc(nEdge * 4 + 4), *aDst = malloc(nEdge * 4 + 4), *aOff = malloc(nEdge * 4 + 4);
  uint64_t *aSize = malloc(nObj * 8 + 8);
  for (uint32_t i = 0; i < nObj; i++) aSize[i] = 16 + rnd(1000);
  for (uint32_t e = 0; e < nEdge; e++) {
    aSrc[e] = rnd(nObj);
    aDst[e] = rnd(nObj);
    aOff[e] = 8 * rnd(16);
  }
  uint32_t aRoot[3] = {0, rnd(nObj), rnd(nObj)};
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_edges(nObj, aSize, nEdge, aSrc, aDst, aOff, 3, aRoot, &g), HS_OK);
  free(aSrc);
  free(aDst);
  free(aOff);
  free(aSize);
  return g;
}

static void same_graph(const hs_graph *a, const hs_graph *b) {
  assert_int_equal(a->nObj, b->nObj);
  assert_int_equal(a->nEdge, b->nEdge);
  assert_int_equal(a->nRoot, b->nRoot);
  assert_int_equal(a->nUnreachable, b->nUnreachable);
  assert_int_equal(a->nUnreachableBytes, b->nUnreachableBytes);
  size_t nN = a->nObj + 1;
  assert_memory_equal(a->aFwdStart, b->aFwdStart, (nN + 1) * 4);
  assert_memory_equal(a->aFwdDst, b->aFwdDst, a->nEdge * 4);
  assert_memory_equal(a->aFwdOff, b->aFwdOff, a->nEdge * 4);
  assert_memory_equal(a->aRevStart, b->aRevStart, (nN + 1) * 4);
  assert_memory_equal(a->aRevSrc, b->aRevSrc, a->nEdge * 4);
  assert_memory_equal(a->aIdom, b->aIdom, nN * 4);
  assert_memory_equal(a->aParent, b->aParent, nN * 4);
  assert_memory_equal(a->aDepth, b->aDepth, nN * 4);
  assert_memory_equal(a->aRetained, b->aRetained, nN * 8);
  assert_memory_equal(a->aCount, b->aCount, nN * 4);
  assert_memory_equal(a->aSize, b->aSize, nN * 8);
}

static char *read_all(const char *z, size_t *pn) {
  FILE *f = fopen(z, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *pn = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc(*pn + 1);
  assert_int_equal(fread(p, 1, *pn, f), *pn);
  fclose(f);
  return p;
}

static void write_all(const char *z, const char *p, size_t n) {
  FILE *f = fopen(z, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

static void test_index_round_trip(void **state) {
  (void)state;
  char zDir[] = "/tmp/hs-test-graph-XXXXXX";
  assert_non_null(mkdtemp(zDir));
  char *zDump = hs_mprintf("%s/heap.dump", zDir);
  static const uint8_t aDump[] = "go1.7 heap dump\n...pretend...";
  hs_input in = {.zName = zDump, .p = aDump, .n = sizeof aDump, .zPath = zDump};
  hs_graph *g = random_graph(3000, 9000);
  hs_index_key k;
  hs_index_key_init(&k, &in, g->nObj, g->aSize);
  char *zIdx = hs_index_path(&k, 1);
  assert_non_null(zIdx);
  assert_string_equal(zIdx + strlen(zIdx) - 15, "heap.dump.hsidx");
  assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
  char *zFound = hs_index_path(&k, 0);
  assert_string_equal(zFound, zIdx);
  hs_graph *g2 = hs_index_read(zIdx, &k);
  assert_non_null(g2);
  assert_int_equal(g2->bFromIndex, 1);
  same_graph(g, g2);
  hs_path_step a[64];
  uint32_t v = g->nObj - 1;
  assert_int_equal(hs_graph_path(g, v, a, 64), hs_graph_path(g2, v, a, 64));
  hs_graph_free(g2);

  /* stale: any part of the key differs */
  hs_index_key k2 = k;
  k2.nBytes++;
  assert_null(hs_index_read(zIdx, &k2));
  k2 = k;
  k2.iHash ^= 1;
  assert_null(hs_index_read(zIdx, &k2));
  k2 = k;
  k2.nObj++;
  assert_null(hs_index_read(zIdx, &k2));
  /* the key is the content: another name for the same bytes is the same dump */
  k2 = k;
  k2.zName = "other.tar:heap.dump";
  hs_graph *gSame = hs_index_read(zIdx, &k2);
  assert_non_null(gSame);
  hs_graph_free(gSame);
  /* a dump whose middle changed (same length, same first and last bytes) */
  {
    uint8_t aMid[sizeof aDump];
    memcpy(aMid, aDump, sizeof aDump);
    aMid[sizeof aDump / 2] ^= 1;
    hs_input inMid = in;
    inMid.p = aMid;
    hs_index_key kMid;
    hs_index_key_init(&kMid, &inMid, g->nObj, g->aSize);
    assert_null(hs_index_read(zIdx, &kMid));
  }
  /* object sizes that differ from the dump's */
  {
    uint64_t *aOther = malloc(g->nObj * sizeof *aOther);
    memcpy(aOther, g->aSize, g->nObj * sizeof *aOther);
    aOther[g->nObj / 2]++;
    k2 = k;
    k2.aObjSize = aOther;
    assert_null(hs_index_read(zIdx, &k2));
    free(aOther);
  }

  /* corrupt: every truncation length class and byte flips all over the file */
  size_t n;
  char *p = read_all(zIdx, &n);
  char *zBad = hs_mprintf("%s/bad.hsidx", zDir);
  size_t aCut[] = {0, 5, 11, 12, 40, n / 3, n / 2, n - 64, n - 1};
  for (size_t i = 0; i < sizeof aCut / sizeof aCut[0]; i++) {
    write_all(zBad, p, aCut[i]);
    assert_null(hs_index_read(zBad, &k));
  }
  for (int iFlip = 0; iFlip < 300; iFlip++) {
    size_t iAt = iFlip < 150 ? (size_t)iFlip * 3 % 400 : rnd((uint32_t)n);
    p[iAt] ^= (char)(1 + rnd(255));
    write_all(zBad, p, n);
    hs_graph *gBad = hs_index_read(zBad, &k);
    /* a flip in the zero padding between sections is harmless; else rejected */
    if (gBad) {
      same_graph(g, gBad);
      hs_graph_free(gBad);
    }
    free(p);
    p = read_all(zIdx, &n);
  }
  assert_null(hs_index_read("/nonexistent/x.hsidx", &k));
  assert_null(hs_index_read(zDir, &k));        /* a directory */
  free(p);
  unlink(zBad);
  unlink(zIdx);
  rmdir(zDir);
  free(zBad);
  free(zIdx);
  free(zFound);
  free(zDump);
  hs_graph_free(g);
}

/* Forged indexes: each is written by hs_index_write, so its checksums are
** right; what gives it away is that it cannot be the graph of this dump. */
typedef void (*forge_fn)(hs_graph *g, uint32_t *a32, uint64_t *a64);

static void forge_retained_tripled(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  for (uint32_t v = 0; v <= g->nObj; v++) a64[v] = g->aRetained[v] * 3;
  g->aRetained = a64;
}
static void forge_sizes_and_retained_tripled(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  /* consistent with itself, not with the dump's object sizes */
  for (uint32_t v = 0; v <= g->nObj; v++) a64[v] = g->aSize[v] * 3;
  g->aSize = a64;
  uint64_t *aRet = a64 + g->nObj + 1;
  for (uint32_t v = 0; v <= g->nObj; v++) aRet[v] = g->aRetained[v] * 3;
  g->aRetained = aRet;
}
static void forge_count_plus_one(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  (void)a64;                                  /* one reached object counts one more */
  memcpy(a32, g->aCount, (g->nObj + 1) * 4);
  for (uint32_t i = 0; i < g->nObj; i++)
    if (g->aIdom[i] != HS_NONE) {
      a32[i]++;
      break;
    }
  g->aCount = a32;
}
static void forge_counts_doubled(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  (void)a64;
  for (uint32_t v = 0; v <= g->nObj; v++) a32[v] = g->aCount[v] * 2;
  g->aCount = a32;
}
static void forge_unreachable_counted(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  (void)a64;
  memcpy(a32, g->aCount, (g->nObj + 1) * 4);
  for (uint32_t i = 0; i < g->nObj; i++)
    if (g->aIdom[i] == HS_NONE) {
      a32[i] = 1;
      g->aCount = a32;
      return;
    }
  fail_msg("no unreachable object to forge a count for");
}
static void forge_idom_cycle(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  memcpy(a32, g->aIdom, (g->nObj + 1) * 4);
  uint32_t u = HS_NONE, v = HS_NONE;          /* two reachable objects dominate each other */
  for (uint32_t i = 0; i < g->nObj && v == HS_NONE; i++)
    if (g->aIdom[i] != HS_NONE) {
      if (u == HS_NONE) u = i;
      else v = i;
    }
  a32[u] = v;
  a32[v] = u;
  g->aIdom = a32;
}
static void forge_parent(hs_graph *g, uint32_t *a32, uint64_t *a64) {
  memcpy(a32, g->aParent, (g->nObj + 1) * 4);
  for (uint32_t i = 0; i < g->nObj; i++)      /* a parent with no edge to i */
    if (g->aDepth[i] > 1) {
      for (uint32_t p = 0; p < g->nObj; p++) {
        int bEdge = 0;
        for (uint32_t e = g->aRevStart[i]; e < g->aRevStart[i + 1]; e++) bEdge |= g->aRevSrc[e] == p;
        if (!bEdge && g->aDepth[p] + 1 == g->aDepth[i]) {
          a32[i] = p;
          g->aParent = a32;
          return;
        }
      }
    }
  fail_msg("no object to forge a parent for");
}

static void test_index_forged(void **state) {
  (void)state;
  char zDir[] = "/tmp/hs-test-forge-XXXXXX";
  assert_non_null(mkdtemp(zDir));
  char *zDump = hs_mprintf("%s/heap.dump", zDir);
  static const uint8_t aDump[] = "go1.7 heap dump\n...forged...";
  hs_input in = {.zName = zDump, .p = aDump, .n = sizeof aDump, .zPath = zDump};
  hs_graph *g = random_graph(2000, 5000);
  hs_index_key k;
  hs_index_key_init(&k, &in, g->nObj, g->aSize);
  char *zIdx = hs_index_path(&k, 1);
  assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
  forge_fn aForge[] = {forge_retained_tripled, forge_sizes_and_retained_tripled,
                       forge_idom_cycle,     forge_parent,
                       forge_count_plus_one, forge_counts_doubled,
                       forge_unreachable_counted};
  uint32_t *a32 = malloc((g->nObj + 1) * 4);
  uint64_t *a64 = malloc((g->nObj + 1) * 16);
  for (int t = 1; t <= 2; t++) {                /* validated by one thread, then two */
    hs_graph_threads = t;
    assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
    hs_graph *gOk = hs_index_read(zIdx, &k);    /* the honest one is believed */
    assert_non_null(gOk);
    same_graph(g, gOk);
    hs_graph_free(gOk);
    for (size_t i = 0; i < sizeof aForge / sizeof aForge[0]; i++) {
      hs_graph gF = *g;
      aForge[i](&gF, a32, a64);
      assert_int_equal(hs_index_write(zIdx, &k, &gF), HS_OK);
      hs_graph *gBad = hs_index_read(zIdx, &k);
      if (gBad) fail_msg("forgery %zu was believed (%d threads)", i, t);
    }
  }
  hs_graph_threads = 0;
  /* a temporary left by a writer that was killed is removed by the next write */
  char *zStale = hs_mprintf("%s.tmp%d", zIdx, 999999999);
  FILE *f = fopen(zStale, "wb");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
  assert_int_equal(access(zStale, F_OK), -1);
  free(a32);
  free(a64);
  unlink(zIdx);
  rmdir(zDir);
  free(zStale);
  free(zIdx);
  free(zDump);
  hs_graph_free(g);
}

/* The graph of every sample heap dump is the same byte for byte built with
** one thread and with two (issue: parallel build equals one-thread build). */
static void test_threads_same_graph(void **state) {
  (void)state;
  char **az = tu_sample_dirs("heap.dump.xz", 1);
  int nDone = 0;
  for (int i = 0; az && az[i]; i++) {
    char *zDump = hs_mprintf("%s/heap.dump.xz", az[i]);
    hs_open_opts o;
    hs_open_opts_init(&o);
    o.caseFlags |= HS_CASE_NOCACHE;
    hs_caselist cl = {0};
    const char *azIn[1] = {zDump};
    assert_int_equal(hs_open(azIn, 1, &o, &cl), HS_OK);
    free(zDump);
    hs_case *c = cl.nCase == 1 ? cl.apCase[0] : NULL;
    if (!c || !c->pHeap) {
      hs_caselist_free(&cl);
      continue;
    }
    hs_graph *g1 = NULL, *g2 = NULL, *g3 = NULL;
    hs_graph_threads = 1;
    assert_int_equal(hs_graph_from_heap(c->pHeap, &g1), HS_OK);
    hs_graph_threads = 2;
    assert_int_equal(hs_graph_from_heap(c->pHeap, &g2), HS_OK);
    /* the BFS's walk stopped partway and resumed by the other thread */
    hs_graph_bfs_stop_early = 1;
    assert_int_equal(hs_graph_from_heap(c->pHeap, &g3), HS_OK);
    hs_graph_bfs_stop_early = 0;
    hs_graph_threads = 0;
    assert_true(g1->nEdge > 1000);
    same_graph(g1, g2);
    same_graph(g1, g3);
    hs_graph_free(g3);
    assert_int_equal(g1->nDropped, g2->nDropped);
    assert_int_equal(g1->nRootDropped, g2->nRootDropped);
    hs_graph_free(g1);
    hs_graph_free(g2);
    hs_caselist_free(&cl);
    nDone++;
  }
  tu_free_list(az);
  if (!nDone) skip();
  fprintf(stderr, "one thread vs two: %d sample dumps, identical graphs\n", nDone);
}

/* Reopening with the object columns saved in the index (hs_index_reopen):
** they equal the parsed ones, and forged columns are refused. */
static void test_index_objects(void **state) {
  (void)state;
  char **az = tu_sample_dirs("heap.dump.xz", 0);
  if (!az || !az[0]) {
    tu_free_list(az);
    skip();
  }
  char zCache[] = "/tmp/hs-test-reopen-XXXXXX";
  assert_non_null(mkdtemp(zCache));
  setenv("XDG_CACHE_HOME", zCache, 1);
  char *zDump = hs_mprintf("%s/heap.dump.xz", az[0]);
  hs_open_opts o;
  hs_open_opts_init(&o);
  o.caseFlags |= HS_CASE_NOCACHE;
  hs_caselist cl = {0};
  const char *azIn[1] = {zDump};
  assert_int_equal(hs_open(azIn, 1, &o, &cl), HS_OK);
  hs_case *c = cl.apCase[0];
  hs_heap *h = c->pHeap;
  assert_non_null(h);
  assert_true(h->bObjContig);
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_heap(h, &g), HS_OK);
  /* the dump as if it were a file in a read-only place: the index goes to
  ** the cache directory, keyed by content (the dump is hashed first); then
  ** as a file in a writable one: the index beside it (hashed while the
  ** index is checked) */
  hs_input in = *c->apInput[0];
  for (int i = 0; i < c->nInput; i++)
    if (c->apInput[i]->p == h->pBuf) in = *c->apInput[i];
  char *zBeside = hs_mprintf("%s/heap.dump", zCache);
  char zNowhere[] = "/nonexistent-dir/heap.dump";
  char *azWhere[] = {zNowhere, zBeside};
  /* each validated by one thread and by two (which share the dump's hash) */
  for (int iRun = 0; iRun < 6; iRun++) {
    int iWhere = iRun / 3, t = iRun % 3;
    in.zPath = in.zName = azWhere[iWhere];
    hs_index_key k;
    hs_index_key_init(&k, &in, g->nObj, h->aSize);
    k.pHeap = h;
    char *zIdx = hs_index_path(&k, 1);
    char *zWant = hs_mprintf("%s.hsidx", zBeside);
    if (iWhere == 1) assert_string_equal(zIdx, zWant);
    free(zWant);
    hs_heap_prebuilt pre;
    hs_graph_threads = t;
    assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
    assert_int_equal(hs_index_reopen(&in, &pre), HS_OK);
    assert_int_equal(pre.nObj, h->nObj);
    assert_memory_equal(pre.aAddr, h->aAddr, h->nObj * 8);
    assert_memory_equal(pre.aSize, h->aSize, h->nObj * 8);
    assert_memory_equal(pre.aContentOff, h->aContentOff, h->nObj * 8);
    assert_memory_equal(pre.aType, h->aType, h->nObj * 8);
    assert_int_equal(pre.nField, h->nField);
    assert_int_equal(pre.iObjRecFirst, h->iObjRecFirst);
    assert_non_null(pre.pGraph->pCheck);          /* the graph is checked on first use */
    assert_int_equal(hs_index_check(pre.pGraph), HS_OK);
    assert_null(pre.pGraph->pCheck);
    same_graph(g, pre.pGraph);
    pre.xGraphFree(pre.pGraph);
    /* forged graph, honest objects: the reopen succeeds, the first use fails */
    uint32_t *a32 = malloc((g->nObj + 1) * 4);
    uint64_t *a64 = malloc((g->nObj + 1) * 16);
    hs_graph gF = *g;
    forge_retained_tripled(&gF, a32, a64);
    assert_int_equal(hs_index_write(zIdx, &k, &gF), HS_OK);
    assert_int_equal(hs_index_reopen(&in, &pre), HS_OK);
    assert_int_equal(hs_index_check(pre.pGraph), HS_ERR);
    assert_int_equal(hs_index_check(pre.pGraph), HS_ERR);   /* and stays failed */
    pre.xGraphFree(pre.pGraph);
    free(a32);
    free(a64);
    /* forged: contents one byte off, and two objects' addresses swapped;
    ** the checksums are right (hs_index_write made them) */
    uint64_t *aOff = malloc(h->nObj * 8), *aAddr = malloc(h->nObj * 8);
    for (uint64_t i = 0; i < h->nObj; i++) aOff[i] = h->aContentOff[i] + 1;
    memcpy(aAddr, h->aAddr, h->nObj * 8);
    aAddr[1] = h->aAddr[2];
    aAddr[2] = h->aAddr[1];
    hs_heap hF = *h;
    hF.aContentOff = aOff;
    k.pHeap = &hF;
    assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
    assert_int_equal(hs_index_reopen(&in, &pre), HS_ERR);
    hF.aContentOff = h->aContentOff;
    hF.aAddr = aAddr;
    assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
    assert_int_equal(hs_index_reopen(&in, &pre), HS_ERR);
    /* a dump that changed: another key, no reopen */
    uint8_t *pCopy = malloc(in.n);
    memcpy(pCopy, in.p, in.n);
    pCopy[in.n / 2] ^= 0x40;
    hs_input inChanged = in;
    inChanged.p = pCopy;
    k.pHeap = h;
    assert_int_equal(hs_index_write(zIdx, &k, g), HS_OK);
    assert_int_equal(hs_index_reopen(&inChanged, &pre), HS_ERR);
    assert_int_equal(hs_index_reopen(&in, &pre), HS_OK);
    pre.xGraphFree(pre.pGraph);
    free(pCopy);
    free(aOff);
    free(aAddr);
    unlink(zIdx);
    free(zIdx);
  }
  hs_graph_threads = 0;
  free(zBeside);
  char *zSub = hs_mprintf("%s/heapscope", zCache);
  rmdir(zSub);
  rmdir(zCache);
  free(zSub);
  unsetenv("XDG_CACHE_HOME");
  hs_graph_free(g);
  hs_caselist_free(&cl);
  free(zDump);
  tu_free_list(az);
}

/* The fuzz target tests/fuzz/fuzz_hsidx.c mutates a valid index for its
** fixed key; this test keeps that seed current with the format (it fails
** when the committed seed no longer parses, and HS_WRITE_SEED=1 rewrites it:
** `HS_WRITE_SEED=1 build/release/tests/unit/test_graph` from the top). */
static void test_index_fuzz_seed(void **state) {
  (void)state;
  static const char *zSeed = "tests/fuzz/corpus/hsidx/seed-12-objects.hsidx";
  static const hs_index_key k = {.zPath = "fuzz.dump", .zName = "fuzz.dump",
                                 .nBytes = 3, .iHash = 4, .nObj = 12};
  /* a 12-object graph with a cycle, a diamond, garbage and two roots */
  static const uint64_t aSize[12] = {16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192};
  static const uint32_t aSrc[] = {0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  static const uint32_t aDst[] = {1, 2, 3, 4, 5, 5, 6, 0, 8, 9, 7, 11, 10};
  static const uint32_t aOff[] = {0, 8, 0, 8, 16, 0, 8, 0, 8, 0, 8, 0, 8};
  static const uint32_t aRoot[] = {0, 7};
  hs_graph *g = NULL;
  assert_int_equal(hs_graph_from_edges(12, aSize, 13, aSrc, aDst, aOff, 2, aRoot, &g), HS_OK);
  if (getenv("HS_WRITE_SEED")) assert_int_equal(hs_index_write(zSeed, &k, g), HS_OK);
  hs_graph *g2 = hs_index_read(zSeed, &k);
  if (!g2) fail_msg("%s does not parse: rewrite it with HS_WRITE_SEED=1 (see this test)", zSeed);
  same_graph(g, g2);
  hs_graph_free(g2);
  hs_graph_free(g);
}

/* Read-only directory: the index goes to $XDG_CACHE_HOME/heapscope. */
static void test_index_cache_dir(void **state) {
  (void)state;
  /* a directory that does not exist is not writable, even for root */
  char zDir[] = "/tmp/hs-test-cache-XXXXXX";
  assert_non_null(mkdtemp(zDir));
  setenv("XDG_CACHE_HOME", zDir, 1);
  static const uint8_t aDump[] = "dump";
  hs_input in = {.zName = "/nonexistent-dir/heap.dump", .p = aDump, .n = 4,
                 .zPath = "/nonexistent-dir/heap.dump"};
  hs_index_key k;
  hs_index_key_init(&k, &in, 10, NULL);
  char *z = hs_index_path(&k, 1);
  assert_non_null(z);
  assert_true(strncmp(z, zDir, strlen(zDir)) == 0);
  assert_non_null(strstr(z, "/heapscope/"));
  assert_non_null(strstr(z, ".hsidx"));
  hs_graph *g = random_graph(10, 20);
  assert_int_equal(hs_index_write(z, &k, g), HS_OK);
  char *zR = hs_index_path(&k, 0);
  assert_string_equal(zR, z);
  hs_graph *g2 = hs_index_read(zR, &k);
  assert_non_null(g2);
  same_graph(g, g2);
  hs_graph_free(g2);
  hs_graph_free(g);
  unlink(z);
  char *zSub = hs_mprintf("%s/heapscope", zDir);
  rmdir(zSub);
  rmdir(zDir);
  free(zSub);
  free(z);
  free(zR);
  unsetenv("XDG_CACHE_HOME");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find),
      cmocka_unit_test(test_diamond),
      cmocka_unit_test(test_cycle_and_garbage),
      cmocka_unit_test(test_random_vs_naive),
      cmocka_unit_test(test_cross_check_large),
      cmocka_unit_test(test_long_list),
      cmocka_unit_test(test_index_round_trip),
      cmocka_unit_test(test_index_forged),
      cmocka_unit_test(test_threads_same_graph),
      cmocka_unit_test(test_index_objects),
      cmocka_unit_test(test_index_fuzz_seed),
      cmocka_unit_test(test_index_cache_dir),
  };
  return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
