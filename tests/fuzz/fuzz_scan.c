/*
 * Fuzz target for the detectors' scans over damaged heap dumps: any bytes,
 * loaded as a heap dump, the graph built (no index file), then every object
 * taken for a candidate array (minimum size 1) so that every header reader
 * of core/graph/scan.c runs over whatever the contents hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include "heapscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  c->flags |= HS_CASE_NOCACHE;
  hs_case_load_buffer(c, "fuzz", p, n, "heapdump");
  hs_graph *g = NULL;
  if (c->pHeap && hs_case_graph(c, &g) == HS_OK) {
    hs_slice_hit *a = NULL;
    uint64_t nHit = 0, nSum = 0;
    if (hs_scan_slices(c->pHeap, g, 1, &a, &nHit) == HS_OK)
      for (uint64_t i = 0; i < nHit; i++) nSum += a[i].nWasted + a[i].iObj;
    (void)nSum;
    free(a);
  }
  hs_case_free(c);
  return 0;
}
