/*
 * Fuzz target for the object graph over damaged heap dumps: any bytes,
 * loaded as a heap dump, then the graph built (no index file) and queried
 * as the Lua API does.  Built with tests/fuzz/replay.c for `scons check`,
 * or with clang -fsanitize=fuzzer for real fuzzing.
 */
#include <stdint.h>
#include "heapscope/graph.h"
#include "heapscope/heap.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  c->flags |= HS_CASE_NOCACHE;
  hs_case_load_buffer(c, "fuzz", p, n, "heapdump");
  hs_graph *g = NULL;
  if (c->pHeap && hs_case_graph(c, &g) == HS_OK) {
    hs_heap *h = c->pHeap;
    uint64_t nSum = g->nUnreachable + g->nDropped;
    hs_path_step aStep[8];
    for (uint32_t v = 0; v < g->nObj; v++) {
      nSum += hs_graph_path(g, v, aStep, 8) + g->aRetained[v] + g->aCount[v];
      nSum += hs_graph_find(h->aAddr, h->aSize, g->nObj, h->aAddr[v] + 8);
    }
    for (uint64_t r = 0; r < h->nRoot; r++)
      nSum += hs_graph_find(h->aAddr, h->aSize, g->nObj, h->aRootTarget[r]);
    (void)nSum;
  }
  hs_case_free(c);
  return 0;
}
