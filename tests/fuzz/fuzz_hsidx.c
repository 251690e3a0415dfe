/*
 * Fuzz target for heap graph index files (core/graph/index.c): any bytes,
 * validated as an index for a fixed key.  The seed in corpus/hsidx/ is a
 * valid index for that key (a 12-object graph), so mutations reach the
 * header and section checks; a graph that passes is walked end to end.
 * Built with tests/fuzz/replay.c for `scons check`, or with
 * clang -fsanitize=fuzzer for real fuzzing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heapscope/graph.h"

/* The key the seed corpus/hsidx/seed-12-objects.hsidx was written with (a
** 12-object graph from hs_graph_from_edges, then hs_index_write). */
static const hs_index_key gKey = {.zPath = "fuzz.dump", .zName = "fuzz.dump",
                                  .nBytes = 3, .iHash = 4, .nObj = 12};

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  uint8_t *a = malloc(n ? n : 1);             /* 8-aligned copy, as a mapping would be */
  if (!a) return 0;
  memcpy(a, p, n);
  hs_graph *g = hs_index_parse(a, n, &gKey);
  if (g) {
    uint64_t nSum = 0;
    hs_path_step aStep[16];
    for (uint32_t v = 0; v <= g->nObj; v++) {
      uint64_t i0, i1;
      hs_graph_out(g, v, &i0, &i1);
      for (uint64_t e = i0; e < i1; e++) nSum += g->aFwdDst[e] + g->aFwdOff[e];
      hs_graph_in(g, v, &i0, &i1);
      for (uint64_t e = i0; e < i1; e++) nSum += g->aRevSrc[e];
      nSum += g->aRetained[v] + g->aSize[v] + g->aDepth[v] + g->aCount[v];
      if (v < g->nObj) nSum += hs_graph_path(g, v, aStep, 16);
      uint32_t d = g->aIdom[v];
      for (int k = 0; k < 64 && d != HS_NONE && d < g->nObj; k++) d = g->aIdom[d];
    }
    (void)nSum;
    hs_graph_free(g);
  }
  free(a);
  return 0;
}
