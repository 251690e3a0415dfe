/*
 * The `memstats` table, shared by every loader that finds a runtime.MemStats
 * snapshot: the MemStats JSON loader (memstats.c), the Prometheus loader
 * (prom.c, go_memstats_* mapped back to Go's names) and the heap profile
 * text loader (heaptext.c, its `# runtime.MemStats` tail).
 *
 * Whichever loader runs first creates the table, so all of them create it
 * through hs_memstats_table(): one definition of the columns, in the order
 * of Go's `type MemStats struct` (runtime/mstats.go), named exactly as Go
 * names the fields, so `case.memstats[1].HeapAlloc` means what the Go
 * documentation says it means.  The array fields (PauseNs, PauseEnd, BySize)
 * go to side tables keyed by the snapshot's row number.
 *
 *   column         type  notes
 *   Alloc..NextGC  u64   bytes (HS_COL_BYTES) except Lookups, Mallocs,
 *                        Frees, HeapObjects (counts)
 *   LastGC         u64   ns since the Unix epoch, exact (0: never); HS_COL_EPOCH
 *                        (the printer reads epoch values > 1e17 as ns)
 *   PauseTotalNs   u64   ns
 *   NumGC          u64   (Go's type is uint32; u64 keeps one accessor)
 *   NumForcedGC    u64
 *   GCCPUFraction  f64
 *   EnableGC       u64   0/1
 *   DebugGC        u64   0/1
 *   MaxRSS         u64   bytes; not a MemStats field: runtime/pprof prints
 *                        it after the MemStats block of heap?debug=1 (from
 *                        getrusage); 0 where the evidence does not say
 *   time           f64   seconds since the epoch of the snapshot (0: unknown)
 *   source         str   input name the row came from
 *   line           u64   1-based line in that input where the snapshot starts
 *   cmdline        str   expvar's `cmdline`, arguments joined by spaces ("")
 *
 *   memstats.pauses   snapshot (u64, 1-based row of memstats), gc (u64, GC
 *                     cycle number, 1-based like gctrace's `gc N`), index
 *                     (u64, slot in Go's 256-entry circular buffer), pause_ns,
 *                     end_ns (ns since epoch).  Only the min(NumGC, 256) slots
 *                     that hold a real cycle, oldest first.
 *   memstats.by_size  snapshot, size, mallocs, frees (Go's BySize, all rows).
 */
#ifndef HS_FORMATS_MEMSTATS_H
#define HS_FORMATS_MEMSTATS_H

#include "heapscope/heapscope.h"

/* Column slots, in Go's field order; aiCol[HS_MS_x] is the table column. */
enum {
  HS_MS_Alloc, HS_MS_TotalAlloc, HS_MS_Sys, HS_MS_Lookups, HS_MS_Mallocs,
  HS_MS_Frees, HS_MS_HeapAlloc, HS_MS_HeapSys, HS_MS_HeapIdle, HS_MS_HeapInuse,
  HS_MS_HeapReleased, HS_MS_HeapObjects, HS_MS_StackInuse, HS_MS_StackSys,
  HS_MS_MSpanInuse, HS_MS_MSpanSys, HS_MS_MCacheInuse, HS_MS_MCacheSys,
  HS_MS_BuckHashSys, HS_MS_GCSys, HS_MS_OtherSys, HS_MS_NextGC, HS_MS_LastGC,
  HS_MS_PauseTotalNs, HS_MS_NumGC, HS_MS_NumForcedGC, HS_MS_GCCPUFraction,
  HS_MS_EnableGC, HS_MS_DebugGC, HS_MS_MaxRSS,
  HS_MS_time, HS_MS_source, HS_MS_line, HS_MS_cmdline,
  HS_MS_NCOL
};

/* The columns, by slot (HS_MS_x): name, type and display hint.  heapdump.c
** uses the first ones, Alloc..NumGC, for heap.memstats. */
extern const hs_colspec hs_memstats_cols[HS_MS_NCOL];

/* Get (creating it on first use) the case's `memstats` table and fill
** aiCol[0..HS_MS_NCOL-1] with its column indexes.  If another loader made
** the table with fewer columns, the missing slots are -1 (the setters ignore
** -1).  Returns HS_OK, HS_ENOMEM, or HS_ERR if the table is sealed. */
int hs_memstats_table(hs_case *, hs_table **, int aiCol[]);

/* The slot (HS_MS_x) of a Go MemStats field name of n bytes, -1 if it is
** not a scalar MemStats field (PauseNs, PauseEnd, BySize are not). */
int hs_memstats_field(const char *zName, size_t n);

/* Column name of slot i (NULL if out of range). */
const char *hs_memstats_colname(int i);

/* Record the valid entries of Go's PauseNs/PauseEnd circular buffers (256
** entries each; either may be NULL) for snapshot iSnap (1-based row of
** memstats) whose NumGC is nNumGC, into memstats.pauses.  HS_OK or HS_ENOMEM. */
int hs_memstats_add_pauses(hs_case *, uint64_t iSnap, const uint64_t *aPauseNs,
                           const uint64_t *aPauseEnd, uint64_t nNumGC);

#endif
