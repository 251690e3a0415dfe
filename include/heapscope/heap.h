/*
 * Heap dump tables and the object graph (owned by the heap dump loader and
 * the graph; see core/formats/heapdump.c and core/graph/).
 * PLACEHOLDER until the heap dump loader lands.
 */
#ifndef HEAPSCOPE_HEAP_H
#define HEAPSCOPE_HEAP_H
#include "heapscope/heapscope.h"
typedef struct hs_heap hs_heap;
#endif
