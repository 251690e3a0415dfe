/*
 * Private to core/: functions one file defines and another calls, that are
 * not part of the public C API in heapscope.h.
 */
#ifndef HS_TABLE_INTERNAL_H
#define HS_TABLE_INTERNAL_H

#include "heapscope/heapscope.h"

/* Free a table and its columns (table.c).  Tables belong to their case,
** which calls this; only a table made outside any case (lcore.c's scratch
** tables, hs_table_borrow's) is freed directly.  A column with nCap 0
** borrows its aData and does not free it. */
void hs_table_free_(hs_table *);

/* A sealed table outside any case whose nCol columns a[] read the arrays
** apData[i] (nRow elements each, of the column's type) in place: the heap
** graph's arrays, shown as "heap.graph".  The table owns only its names
** and column list; the arrays must outlive it (free it first, with
** hs_table_free_).  pStr is the pool its HS_STR columns index.  NULL on
** OOM. */
hs_table *hs_table_borrow(const char *zName, const char *zNote, const hs_colspec *a, int nCol,
                          void *const *apData, uint64_t nRow, hs_strpool *pStr);

/* Free an input and its buffer (munmap or free, per bMapped) (case.c).  The
** source layer and the case grouping call it for inputs no case took. */
void hs_input_free(hs_input *);

#endif
