/*
 * A decode-only pass over a heap dump: a series orders its dumps by the GC
 * count it finds (heapdump.c's series key), and the tests, the heap dump
 * fuzz target and the load benchmark's floor (tests/bench/heapload.c) use
 * it.  Internal to core, not heapscope's API: it reads with the loader's
 * own reader (dumpread.h) and stores nothing.
 */
#ifndef HS_FORMATS_DUMPSCAN_H
#define HS_FORMATS_DUMPSCAN_H

#include <stdint.h>

/* Decode-only pass over a dump's records (the benchmark floor and a quick
** validity check): walks every record, stores nothing.  Returns HS_OK when
** the EOF record was reached, HS_ETRUNC when the bytes ended first,
** HS_EFORMAT on a bad header, varint or record kind; *piEnd (may be NULL)
** gets the offset where the walk stopped. */
typedef struct hs_heapdump_counts {
  uint64_t aRecord[18];     /* records of each kind (0 = EOF .. 17 = alloc sample) */
  uint64_t nField;          /* pointer fields over objects, frames, data and bss */
  uint64_t nObjBytes;       /* bytes of object contents */
  uint64_t nNumGC;          /* NumGC of the (last) memstats record, 0 without one */
} hs_heapdump_counts;
int hs_heapdump_scan(const uint8_t *p, uint64_t n, hs_heapdump_counts *, uint64_t *piEnd);

#endif
