/*
 * Private to core/: functions one file defines and another calls, that are
 * not part of the public C API in heapscope.h.
 */
#ifndef HS_TABLE_INTERNAL_H
#define HS_TABLE_INTERNAL_H

#include "heapscope/heapscope.h"

/* Free a table and its columns (table.c).  Tables belong to their case,
** which calls this; only a table made outside any case (lcore.c's scratch
** tables) is freed directly. */
void hs_table_free_(hs_table *);

/* Free an input and its buffer (munmap or free, per bMapped) (case.c).  The
** source layer and the case grouping call it for inputs no case took. */
void hs_input_free(hs_input *);

#endif
