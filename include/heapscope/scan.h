/*
 * Scans of a heap dump's contents that the detectors need and Lua cannot do
 * at compiled speed: here, slice and string headers that point into large
 * objects (slice retention).
 *
 * A Go slice header is three words (pointer, len, cap), a string header two
 * (pointer, len); the dump says which words are pointers but not their
 * types, so a header is recognised by shape: a pointer slot whose next word
 * is not a pointer slot and holds a length that fits in the object pointed
 * into, and for a slice a third non-pointer word with len <= cap that fits
 * too.  Headers are looked for in object contents, in the data and bss
 * segments and in stack frames (hs_heap.aSeg).
 */
#ifndef HEAPSCOPE_SCAN_H
#define HEAPSCOPE_SCAN_H

#include "heapscope/graph.h"
#include "heapscope/heap.h"

/* One large object ("the array") that only slice or string headers reach
** and that they use only part of. */
typedef struct hs_slice_hit {
  uint32_t iObj;           /* the backing array (object id) */
  uint32_t nHeader;        /* headers pointing into it */
  uint64_t iLo, iHi;       /* addresses the headers use: [iLo, iHi), their hull */
  uint64_t nWasted;        /* pointer-free array: its bytes outside the hull;
                              pointer array: bytes retained only through
                              slots outside the hull */
  uint32_t nSlotObj;       /* pointer array: objects kept only by those slots */
  uint8_t bPtrs;           /* 1: the array has pointer fields */
  uint8_t bString;         /* 1: the first header has no cap word (a string) */
  uint8_t bRoot;           /* 1: the first header is in a root (global, frame) */
  uint32_t iHolder;        /* the first header's object id, or root index */
  uint64_t iHolderOff;     /* its offset in that object (roots: in the slot's
                              segment or frame) */
  uint64_t iPtr, nLen, nCap; /* the first header's words (nCap 0 for a string) */
} hs_slice_hit;

/* Find the objects of at least nMinSize bytes whose every reference is a
** slice or string header, and whose headers leave part unused: pointer-free
** arrays with at least one unused byte (a header at the array's start whose
** cap reaches its end holds the whole capacity and counts as using all of
** it), pointer arrays that retain something only through unused slots.
** *paOut (malloc'd, the caller frees) gets *pnOut hits by ascending object
** id.  Reads the contents of the objects that point at candidates only.
** Cost: O(edges) over the graph plus the field lists of those referrers.
** Returns HS_OK, HS_ENOMEM or HS_ERR (interrupted). */
int hs_scan_slices(const hs_heap *h, const hs_graph *g, uint64_t nMinSize,
                   hs_slice_hit **paOut, uint64_t *pnOut);

#endif /* HEAPSCOPE_SCAN_H */
