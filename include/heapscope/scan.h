/*
 * Scans of a heap dump and its object graph that the detectors need and Lua
 * cannot do at compiled speed: slice and string headers that point into
 * large objects (slice retention), and walks of the dominator tree (the
 * accumulation points of leak suspects and what they hold).
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

/* A sync.Pool value found by its shape (see scan.c): where it is and its
** per-P arrays (the current one and the victim kept across one GC). */
typedef struct hs_pool_hit {
  uint8_t bRoot;           /* 1: in a global or frame (iContainer: a root index
                              at one of its arrays); 0: in object iContainer */
  uint32_t iContainer;
  uint64_t iOff;           /* the Pool's offset in the object (roots: in the segment) */
  uint32_t iLocal, iVictim; /* object ids of the arrays, HS_NONE when nil */
  uint64_t nLocalSize, nVictimSize; /* their element counts (Ps) */
} hs_pool_hit;

/* Every sync.Pool in the heap and the globals: *paOut (malloc'd) gets *pnOut
** pools.  Looks at objects of a per-P array's size with few referrers;
** reads the first element's padding of each and the fields of their
** referrers.  Returns HS_OK, HS_ENOMEM or HS_ERR (interrupted). */
int hs_scan_pools(const hs_heap *h, const hs_graph *g, hs_pool_hit **paOut, uint64_t *pnOut);

/* The accumulation point below each of aFrom[0..n) (object ids): from v,
** step to its largest dominated child c while retained(c) >= ratio *
** retained(v), and stop at v when c has v's shape (size and type word):
** v then heads a chain of like objects (a linked list, a ring), which is
** where they accumulate, rather than the chain's far end.  aTo[k] gets the
** point, aSteps[k] the steps taken, and aLike[k] (when aLike is not NULL)
** hs_dom_summarize's nLike for the points aTo, found in the same scratch
** and walking up only from objects of a point's size.  O(nObj) time
** and 4 bytes per object of scratch.  Returns HS_OK, HS_ENOMEM or HS_ERR
** (interrupted). */
int hs_dom_accumulation(const hs_heap *h, const hs_graph *g, const uint32_t *aFrom, uint32_t n,
                        double ratio, uint32_t *aTo, uint32_t *aSteps, uint64_t *aLike);

/* What the objects aTop[0..n) (distinct ids) dominate, each its own subtree
** less any other top's (a top nested in another's subtree keeps its own).
** Per top: objects and bytes, the objects like the top itself (same size
** and type word: the chain or collection it heads), those of at least
** nBigMin bytes, and the nKey largest
** groups by allocation site (heap.objects.bucket, 0: not sampled) and by
** type word, by bytes (four hash map updates per object, most of the
** walk).  O(nObj) time, 4 bytes per object of scratch. */
typedef struct hs_dom_group {
  uint64_t iKey;           /* bucket (1-based heap.memprof row, 0 none) or type word */
  uint64_t nObj, nBytes;
} hs_dom_group;

#define HS_DOM_NKEY 8
typedef struct hs_dom_summary {
  uint64_t nObj, nBytes;   /* dominated objects (the top included) and their bytes */
  uint64_t nLike;          /* of them, shaped like the top */
  uint64_t nBig, nBigBytes; /* of them, objects of at least nBigMin bytes */
  uint32_t nSite, nType;   /* groups filled below, largest first */
  hs_dom_group aSite[HS_DOM_NKEY];
  hs_dom_group aType[HS_DOM_NKEY];
} hs_dom_summary;

int hs_dom_summarize(const hs_heap *h, const hs_graph *g, const uint32_t *aTop, uint32_t n,
                     uint64_t nBigMin, hs_dom_summary *aOut);

/* Pointer-free objects (buffers) reachable within a few steps from the
** arrays aArr[0..n) of a pool that the arrays do not dominate: something
** outside the pool references them too.  *pnObj and *pnBytes get their
** number and bytes, *piFirst the first (HS_NONE if none).  Visits at most
** 10^6 objects.  Returns HS_OK or HS_ENOMEM. */
int hs_pool_aliases(const hs_heap *h, const hs_graph *g, const uint32_t *aArr, uint32_t n,
                    uint64_t *pnObj, uint64_t *pnBytes, uint32_t *piFirst);

/* Whether each of aObj[0..n) reaches itself through one or more pointers
** (is on a cycle): aOut[k] = 1 yes, 0 no, -1 undecided after visiting
** nBudget objects from it.  Breadth-first from the object; 8 bytes per
** object of scratch for the whole call.  Returns HS_OK, HS_ENOMEM or HS_ERR
** (interrupted). */
int hs_reaches_self(const hs_graph *g, const uint32_t *aObj, uint32_t n, uint64_t nBudget,
                    int8_t *aOut);

#endif /* HEAPSCOPE_SCAN_H */
