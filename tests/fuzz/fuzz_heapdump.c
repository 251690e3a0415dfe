/*
 * Fuzz target for the heap dump loader: any bytes, loaded as a heap dump
 * (the sniffer is bypassed so that every input reaches the record parser),
 * once on one thread and once with the read-ahead (formats/dumpahead.c)
 * on whatever the size: both must load the same objects.
 * Built with tests/fuzz/replay.c for `scons check`, or with
 * clang -fsanitize=fuzzer for real fuzzing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heapscope/heap.h"
#include "formats/dumpahead.h"
#include "formats/dumpscan.h"

/* A load with the read-ahead on; aborts where its object columns or
** diagnostics differ from pFirst's (the fuzzer reports a crash). */
static void same_with_read_ahead(const uint8_t *p, size_t n, const hs_case *pFirst) {
  const hs_heap *h = pFirst->pHeap;
  uint64_t nMin = hs_ahead_min_bytes;
  hs_ahead_min_bytes = 0;
  hs_ahead_patient = 1;
  setenv("HEAPSCOPE_THREADS", "2", 1);
  hs_case *c = hs_case_new("fuzz");
  if (c) hs_case_load_buffer(c, "fuzz", p, n, "heapdump");
  hs_ahead_min_bytes = nMin;
  const hs_heap *g = c ? c->pHeap : NULL;
  if (c && (!h) != (!g)) abort();
  if (h && g) {
    size_t k = (size_t)h->nObj * 8;
    if (h->nObj != g->nObj || h->nField != g->nField || h->nFieldMax != g->nFieldMax ||
        h->nRoot != g->nRoot || h->nPhantom != g->nPhantom ||
        h->iObjRecEnd != g->iObjRecEnd || h->bObjContig != g->bObjContig ||
        (k && (memcmp(h->aAddr, g->aAddr, k) || memcmp(h->aSize, g->aSize, k) ||
               memcmp(h->aContentOff, g->aContentOff, k) || memcmp(h->aType, g->aType, k))))
      abort();
  }
  if (c && c->nDiag != pFirst->nDiag) abort();
  for (int i = 0; c && i < c->nDiag; i++)
    if (strcmp(c->aDiag[i].zMsg, pFirst->aDiag[i].zMsg) != 0) abort();
  hs_case_free(c);
}

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
  same_with_read_ahead(p, n, c);
  hs_heapdump_scan(p, n, NULL, NULL);
  hs_case_free(c);
  return 0;
}
