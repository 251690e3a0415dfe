/*
 * Benchmark of the heap graph's algorithms on a synthetic heap-shaped graph
 * (not a timed test; tests/bench/heap-graph.sh builds and runs it).
 *
 *   graph-bench [nObj] [index-dir]
 *   graph-bench DUMP [index-dir]   (a heap dump file: the real pipeline)
 *
 * The graph: nObj objects of 16..4096 bytes; 2.5 pointers per object on
 * average, most to nearby objects (allocation locality), some random; one
 * linked list through 10% of the objects; 1000 roots.  Prints one line per
 * stage with wall time, and peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "heapscope/graph.h"
#include "heapscope/heap.h"
#include "lib/domiter.h"

/* CPU seconds (user + system): steadier than wall time on a shared machine. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t gSeed = 88172645463325252ull;
static uint32_t rnd(uint32_t n) {
  gSeed ^= gSeed << 13;
  gSeed ^= gSeed >> 7;
  gSeed ^= gSeed << 17;
  return (uint32_t)(gSeed % n);
}

static double peak_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

/* The stages of opening a real dump's graph, timed one by one. */
static int bench_dump(const char *zDump, const char *zDir) {
  hs_open_opts o;
  hs_open_opts_init(&o);
  o.caseFlags |= HS_CASE_NOCACHE;
  hs_caselist cl;
  double t0 = now();
  if (hs_open(&zDump, 1, &o, &cl) != HS_OK || cl.nCase < 1 || !cl.apCase[0]->pHeap) {
    fprintf(stderr, "graph-bench: %s did not load as a heap dump\n", zDump);
    return 1;
  }
  hs_case *c = cl.apCase[0];
  hs_heap *h = c->pHeap;
  double t1 = now();
  printf("load (heapdump loader): %.3f s cpu, %llu objects, peak RSS %.0f MiB\n", t1 - t0,
         (unsigned long long)h->nObj, peak_mib());
  t0 = now();
  hs_graph *g = NULL;
  if (hs_case_graph(c, &g) != HS_OK) return 1;  /* as heapscope does it, without the index */
  t1 = now();
  printf("graph build (resolve + reverse + dominators + retained + BFS): %.3f s cpu, "
         "%llu edges, %llu dropped, peak RSS %.0f MiB\n",
         t1 - t0, (unsigned long long)g->nEdge, (unsigned long long)g->nDropped, peak_mib());
  uint32_t n = g->nObj;
  uint32_t *aIdom = malloc(((size_t)n + 1) * 4), *aOrder = malloc(((size_t)n + 2) * 4), nR;
  uint64_t *aRet = calloc((size_t)n + 1, 8);
  t0 = now();
  hs_dominators(n + 1, n, g->aFwdStart, g->aFwdDst, g->aRevStart, g->aRevSrc, aIdom, aOrder, &nR);
  for (uint32_t i = nR; i-- > 0;) {
    uint32_t v = aOrder[i];
    aRet[v] += g->aSize[v];
    if (aIdom[v] != HS_NONE) aRet[aIdom[v]] += aRet[v];
  }
  t1 = now();
  printf("  of which dominators + retained sizes: %.3f s cpu\n", t1 - t0);
  free(aIdom);
  free(aOrder);
  free(aRet);
  char *zIdx = hs_mprintf("%s/graph-bench.hsidx", zDir);
  hs_index_key k;
  hs_index_key_init(&k, c->apInput[0], n, NULL);
  t0 = now();
  hs_index_write(zIdx, &k, g);
  t1 = now();
  printf("index write: %.3f s cpu\n", t1 - t0);
  t0 = now();
  hs_graph *g2 = hs_index_read(zIdx, &k);
  t1 = now();
  printf("index reopen (mmap + validate + checksums): %.3f s cpu (%s)\n", t1 - t0,
         g2 ? "ok" : "FAILED");
  hs_graph_free(g2);
  unlink(zIdx);
  free(zIdx);
  hs_caselist_free(&cl);
  return 0;
}

int main(int argc, char **argv) {
  const char *zDir = argc > 2 ? argv[2] : "/tmp";
  if (argc > 1 && access(argv[1], R_OK) == 0) return bench_dump(argv[1], zDir);
  uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : 10000000;
  uint64_t m = (uint64_t)n * 5 / 2;
  uint64_t *aSize = malloc((size_t)n * 8);
  uint32_t *aCount = calloc((size_t)n + 2, 4);
  for (uint32_t i = 0; i < n; i++) aSize[i] = 16 << rnd(9);
  /* forward CSR directly, as heapgraph.c produces it */
  uint32_t *aStart = malloc(((size_t)n + 2) * 4);
  uint32_t *aDst = malloc((m + n / 10 + 1001) * 4);
  uint32_t *aOff = malloc((m + n / 10 + 1001) * 4);
  uint32_t e = 0, nList = n / 10;
  for (uint32_t i = 0; i < n; i++) {
    aStart[i] = e;
    uint32_t k = rnd(6);                       /* 0..5, mean 2.5 */
    for (uint32_t j = 0; j < k && e < m; j++) {
      uint32_t t = rnd(10) < 8 ? (i + 1 + rnd(64)) % n : rnd(n);
      aDst[e] = t;
      aOff[e++] = 8 * j;
    }
    if (i < nList && i + 1 < n) {              /* the list: 0 -> 1 -> ... */
      aDst[e] = i + 1;
      aOff[e++] = 64;
    }
  }
  aStart[n] = e;
  aDst[e] = 0;
  aOff[e++] = 0;
  for (uint32_t r = 1; r < 1000; r++) {
    aDst[e] = rnd(n);
    aOff[e++] = r;
  }
  aStart[n + 1] = e;
  free(aCount);
  printf("objects %u, edges %u (list of %u)\n", n, e, nList);

  double t0 = now();
  hs_graph *g = NULL;
  if (hs_graph_from_csr(n, aSize, 1000, aStart, aDst, aOff, &g) != HS_OK) {
    fprintf(stderr, "graph-bench: build failed\n");
    return 1;
  }
  double t1 = now();
  printf("build (reverse CSR + dominators + retained + BFS): %.3f s\n", t1 - t0);

  /* dominators + retained alone, again on the built graph */
  uint32_t *aIdom = malloc(((size_t)n + 1) * 4), *aOrder = malloc(((size_t)n + 2) * 4), nR;
  uint64_t *aRet = calloc((size_t)n + 1, 8);
  t0 = now();
  (getenv("ITER") ? tl_dominators_iter : hs_dominators)(n + 1, n, g->aFwdStart, g->aFwdDst, g->aRevStart, g->aRevSrc, aIdom, aOrder, &nR);
  for (uint32_t i = nR; i-- > 0;) {
    uint32_t v = aOrder[i];
    aRet[v] += g->aSize[v];
    if (aIdom[v] != HS_NONE) aRet[aIdom[v]] += aRet[v];
  }
  t1 = now();
  printf("dominators (%s) + retained sizes: %.3f s (%u reached, root retains %llu bytes)\n",
         getenv("ITER") ? "iterative, ITER=1" : "semi-NCA", t1 - t0,
         nR, (unsigned long long)aRet[n]);
  free(aIdom);
  free(aOrder);
  free(aRet);
  printf("peak RSS after build: %.0f MiB\n", peak_mib());

  char *zIdx = hs_mprintf("%s/graph-bench.hsidx", zDir);
  hs_index_key k = {.zPath = zIdx, .zName = "bench", .nBytes = 3, .iHash = 4, .nObj = n};
  t0 = now();
  if (hs_index_write(zIdx, &k, g) != HS_OK) {
    fprintf(stderr, "graph-bench: cannot write %s\n", zIdx);
    return 1;
  }
  t1 = now();
  printf("index write: %.3f s\n", t1 - t0);
  hs_graph_free(g);
  t0 = now();
  hs_graph *g2 = hs_index_read(zIdx, &k);
  t1 = now();
  if (!g2) {
    fprintf(stderr, "graph-bench: index did not read back\n");
    return 1;
  }
  printf("index reopen (mmap + validate + checksums): %.3f s\n", t1 - t0);
  hs_graph_free(g2);
  unlink(zIdx);
  free(zIdx);
  free(aSize);
  printf("peak RSS: %.0f MiB\n", peak_mib());
  return 0;
}
