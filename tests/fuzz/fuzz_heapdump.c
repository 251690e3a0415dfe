/*
 * Fuzz target for the heap dump loader: any bytes, loaded as a heap dump
 * (the sniffer is bypassed so that every input reaches the record parser).
 * Built with tests/fuzz/replay.c for `scons check`, or with
 * clang -fsanitize=fuzzer for real fuzzing.
 */
#include <stddef.h>
#include <stdint.h>
#include "heapscope/heap.h"
#include "formats/dumpscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  hs_case *c = hs_case_new("fuzz");
  if (!c) return 0;
  hs_case_load_buffer(c, "fuzz", p, n, "heapdump");
  hs_heap *h = c->pHeap;
  if (h) {
    /* Walk what the graph will walk: every field of every object. */
    uint64_t nSum = 0;
    for (uint64_t i = 0; i < h->nObj; i++) {
      hs_heap_fielditer it;
      uint64_t off;
      hs_heap_fields(h, i, &it);
      while (hs_heap_field_next(&it, &off)) nSum += hs_heap_word(h, i, off);
      nSum += hs_heap_find(h, h->aAddr[i] + h->aSize[i] / 2);
    }
    for (uint64_t r = 0; r < h->nRoot; r++) nSum += hs_heap_find(h, h->aRootTarget[r]);
    (void)nSum;
  }
  hs_heapdump_scan(p, n, NULL, NULL);
  hs_case_free(c);
  return 0;
}
