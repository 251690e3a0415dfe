/*
 * The heap object graph: dense object ids, forward and reverse edges,
 * dominator tree, retained sizes and shortest paths from the GC roots.
 *
 * Ids.  Objects get dense u32 ids 0..nObj-1 in address order (the order of
 * the heap dump loader's objects).  Id nObj is the super-root: its edges go
 * to every object a GC root points at, and the edge's "offset" is the index
 * of that root in the heap's root list.
 *
 * Edges are CSR: the targets of node v are aFwdDst[aFwdStart[v] ..
 * aFwdStart[v+1]) with the field offset (within v) of each in aFwdOff; the
 * referrers of v are aRevSrc[aRevStart[v] .. aRevStart[v+1]).  Edge counts
 * are u32 (a dump with more than 4 G pointers is refused with HS_ELIMIT).
 *
 * Unreachable objects (garbage not yet swept when the dump was taken) have
 * aIdom == aParent == HS_NONE and aRetained == aCount == 0; they are counted in
 * nUnreachable / nUnreachableBytes and excluded from every retained size.
 *
 * Ownership: an hs_graph owns its arrays (malloc'd, or one read-only mapping
 * of an index file); hs_graph_free releases them.  It does not point into
 * the heap dump, so it may outlive the case that built it.
 *
 * Cost (n objects, m pointers): building is O(n + m log n) time for pointer
 * resolution plus O(m log n) for the dominators (semi-NCA with path
 * compression, iterative: no recursion, a 10 M-long list is fine);
 * memory is 40 bytes per object plus 12 bytes per edge kept, and 28 bytes
 * per object of scratch while the dominators are computed.
 */
#ifndef HEAPSCOPE_GRAPH_H
#define HEAPSCOPE_GRAPH_H

#include "heapscope/heapscope.h"

#define HS_NONE UINT32_MAX

typedef struct hs_graph {
  uint32_t nObj;           /* objects; node nObj is the super-root */
  uint32_t nRoot;          /* GC roots in the heap's root list */
  uint64_t nEdge;          /* forward edges, super-root edges included */
  uint32_t *aFwdStart;     /* nObj+2: CSR row starts (super-root row last) */
  uint32_t *aFwdDst;       /* nEdge target ids */
  uint32_t *aFwdOff;       /* nEdge field offsets (super-root: root index) */
  uint32_t *aRevStart;     /* nObj+2: referrer row starts */
  uint32_t *aRevSrc;       /* nEdge referrer ids (nObj: a GC root) */
  uint32_t *aIdom;         /* nObj+1: immediate dominator (nObj: the super-root),
                              HS_NONE when unreachable and for the super-root */
  uint64_t *aRetained;     /* nObj+1: retained bytes (self included); the
                              super-root's is every reachable byte */
  uint32_t *aCount;        /* nObj+1: objects retained (its dominator subtree,
                              self included; 0 when unreachable); the
                              super-root's is every reachable object + 1 */
  uint32_t *aParent;       /* nObj+1: BFS parent on a shortest root path */
  uint32_t *aDepth;        /* nObj+1: edges from the super-root (1: rooted
                              directly), 0 when unreachable */
  uint64_t *aSize;         /* nObj+1: shallow sizes (copied; super-root 0) */
  uint64_t nUnreachable;   /* objects no root reaches */
  uint64_t nUnreachableBytes;
  uint64_t nDropped;       /* pointers into no object (globals, stacks, off heap) */
  uint64_t nRootDropped;   /* roots pointing into no object */
  hs_table *pTable;        /* "heap.graph": columns aliasing the arrays above
                              (made by the Lua binding; freed with the graph) */
  /* storage */
  void *pMap;              /* index file mapping, or NULL */
  size_t nMap;
  int bFromIndex;          /* 1: read from an index file */
  int bBorrowed;           /* 1: the arrays point into memory the graph does
                              not own (an index file's mapping or image) */
  void *pCheck;            /* a reopened index's graph sections not checked
                              yet: call hs_index_check before reading them */
} hs_graph;

/* Threads the graph build uses: pointer resolution in two halves, and the
** BFS beside the dominators.  The result is the same byte for byte whatever
** the count.  hs_graph_threads: 0 (default) means the HEAPSCOPE_THREADS
** environment variable if set, else 2 when the machine has 2 or more CPUs;
** hs_graph_nthreads() says what that resolves to (1 or 2).  Graphs under 64 K
** objects use one thread unless hs_graph_threads asks for 2 (tests do):
** hs_graph_two_threads(nObj) says whether a graph of nObj objects uses two. */
extern int hs_graph_threads;
int hs_graph_nthreads(void);
int hs_graph_two_threads(uint64_t nObj);

/* Build a graph from an edge list over nObj objects: edge i goes from
** aSrc[i] to aDst[i] at field offset aOff[i] (aOff may be NULL: 0); the
** super-root points at aRoot[0..nRoot) (index r is root r).  Ids out of range
** are dropped and counted.  On success *ppOut is a new graph; returns HS_OK,
** HS_ENOMEM or HS_ELIMIT.  Used by tests and by front ends with their own
** object model. */
int hs_graph_from_edges(uint32_t nObj, const uint64_t *aSize, uint64_t nEdge,
                        const uint32_t *aSrc, const uint32_t *aDst,
                        const uint32_t *aOff, uint32_t nRoot,
                        const uint32_t *aRoot, hs_graph **ppOut);

/* Build from CSR forward edges whose arrays the graph takes over (they must
** be malloc'd): aStart has nObj+2 entries (the super-root row last), aDst and
** aOff aStart[nObj+1] entries.  aSize (nObj entries) is copied.  On failure
** the arrays are freed too. */
int hs_graph_from_csr(uint32_t nObj, const uint64_t *aSize, uint32_t nRoot,
                      uint32_t *aStart, uint32_t *aDst, uint32_t *aOff,
                      hs_graph **ppOut);

void hs_graph_free(hs_graph *);

/* Build the graph of a loaded heap dump: every pointer field (interior
** pointers too, such as base+8 into Go 1.22+ type-header objects) and every
** root target resolves to the object containing it; pointers to nothing in
** the heap are dropped and counted (nDropped, nRootDropped). */
struct hs_heap;
int hs_graph_from_heap(const struct hs_heap *h, hs_graph **ppOut);

/* The graph of case c's heap dump, built on first use and kept on the heap
** (c->pHeap->pGraph) for the life of the case.  Reads the index file when a
** current one exists and writes one after building, unless c->flags has
** HS_CASE_NOCACHE.  Returns HS_OK, HS_ERR (no heap dump; or interrupted),
** HS_ENOMEM or HS_ELIMIT; the graph belongs to the heap. */
int hs_case_graph(hs_case *c, hs_graph **ppOut);

/* Immediate dominators by semi-NCA over a CSR graph of nNode nodes from
** iRoot.  aIdom (nNode, caller's) receives the idom of each node, HS_NONE
** for the root and for unreachable nodes; aOrder (nNode+1 entries, caller's,
** may be NULL; used as scratch) receives the reached nodes, each after its
** idom (the nodes with edges out in DFS preorder, then the reached leaves),
** *pnReached their count.
** Iterative (explicit stacks).  Returns HS_OK, HS_ENOMEM or HS_ERR (Ctrl-C). */
int hs_dominators(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                  const uint32_t *aDst, const uint32_t *aRStart,
                  const uint32_t *aRSrc, uint32_t *aIdom, uint32_t *aOrder,
                  uint32_t *pnReached);

/* Edges of node v as [*piFirst, *piLast) into aFwd* / aRev*. */
static inline void hs_graph_out(const hs_graph *g, uint32_t v, uint64_t *piFirst,
                                uint64_t *piLast) {
  *piFirst = g->aFwdStart[v];
  *piLast = g->aFwdStart[v + 1];
}
static inline void hs_graph_in(const hs_graph *g, uint32_t v, uint64_t *piFirst,
                               uint64_t *piLast) {
  *piFirst = g->aRevStart[v];
  *piLast = g->aRevStart[v + 1];
}

/* One step of a root path: object id and the offset, within the previous
** step's object, of the field that points at it.  The first step has
** iObj = the rooted object and iOff = the index of the root in the heap's
** root list. */
typedef struct hs_path_step {
  uint32_t iObj;
  uint32_t iOff;
} hs_path_step;

/* Shortest path from a GC root to object v: fills at most nMax steps of
** aStep, root first, and returns the number of steps of the whole path
** (0 if v is unreachable).  Bounded by the path length (at most nObj). */
uint32_t hs_graph_path(const hs_graph *g, uint32_t v, hs_path_step *aStep, uint32_t nMax);

/* The offset of the first field of u that points at v (HS_NONE if none). */
uint32_t hs_graph_edge_off(const hs_graph *g, uint32_t u, uint32_t v);

/* Id of the object containing address p among n objects sorted by address
** (aAddr ascending, non-overlapping): aAddr[i] <= p < aAddr[i]+aSize[i];
** HS_NONE if none.  O(log n). */
/* A page directory over objects sorted by address: objects starting
** before page k are aPage[k] of them, so the object containing an address
** is found by a binary search within one page (the page size is chosen so
** that there are about as many pages as objects, at most 4 M).  The graph
** build and the binary's typing pass (core/binary) both resolve every
** pointer through it.  hs_pagedir_init returns HS_OK or HS_ENOMEM; the
** caller frees aPage. */
typedef struct hs_pagedir {
  uint64_t iBase;     /* address of page 0 */
  uint32_t nShift;    /* page size is 1 << nShift */
  uint64_t nPage;
  uint32_t *aPage;    /* nPage+1: objects starting before each page */
} hs_pagedir;
int hs_pagedir_init(hs_pagedir *d, const uint64_t *aAddr, const uint64_t *aSize, uint32_t n);
/* The object containing p, or HS_NONE, when every object before lo starts
** at or before p and every object from hi on starts after it: the last
** object of [lo, hi) whose address is <= p (or the one before lo), then
** whether p is inside it.  hs_graph_find and hs_pagedir_find narrow the
** range and call this. */
static inline uint32_t hs_find_between(const uint64_t *aAddr, const uint64_t *aSize,
                                       uint32_t lo, uint32_t hi, uint64_t p) {
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (aAddr[mid] <= p)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return HS_NONE;
  lo--;
  return p - aAddr[lo] < aSize[lo] ? lo : HS_NONE;
}

/* The page of p; nPage or more when p is outside the directory. */
static inline uint64_t hs_pagedir_page(const hs_pagedir *d, uint64_t p) {
  return p < d->iBase ? d->nPage : (p - d->iBase) >> d->nShift;
}

/* The object containing p, or HS_NONE. */
static inline uint32_t hs_pagedir_find(const hs_pagedir *d, const uint64_t *aAddr,
                                       const uint64_t *aSize, uint64_t p) {
  uint64_t k = hs_pagedir_page(d, p);
  if (k >= d->nPage) return HS_NONE;
  /* objects starting at or before p: all before page k, plus some in it */
  return hs_find_between(aAddr, aSize, d->aPage[k], d->aPage[k + 1], p);
}

uint32_t hs_graph_find(const uint64_t *aAddr, const uint64_t *aSize, uint32_t n,
                       uint64_t p);

/* ------------------------------------------------------------------ */
/* Index files: the graph saved next to the dump (<dump>.hsidx) or in the
** cache directory keyed by the dump's content, reused only for the exact
** dump and heapscope version that made it.  See index.c. */

typedef struct hs_index_key {
  const char *zPath;       /* the dump's file on disk (NULL: no index) */
  const char *zName;       /* input display name (archive members differ) */
  int bMember;             /* 1: an archive member (zName != zPath): cache only */
  uint64_t nBytes;         /* decompressed length of the dump */
  uint64_t iHash;          /* hash of every byte of the dump (hs_index_hash) */
  uint32_t nObj;           /* objects the loader found (UINT32_MAX: not known yet) */
  const uint64_t *aObjSize;/* their sizes, checked against the index (may be NULL) */
  const uint8_t *pDump;    /* the dump's bytes (for checking saved object columns) */
  const struct hs_heap *pHeap; /* writing: save its object columns too (may be NULL) */
} hs_index_key;

/* Fill k from a dump buffer and its input: hashes the whole buffer (about
** 0.15 s of CPU for a warm 700 MB).  aObjSize (nObj entries) is borrowed. */
void hs_index_key_init(hs_index_key *k, const hs_input *pIn, uint32_t nObj,
                       const uint64_t *aObjSize);
/* The hash hs_index_key_init uses, over p[0..n): an XXH3-64 of the XXH3-64s
** of its 16 MiB pieces (big-endian), so that pieces can be hashed apart. */
uint64_t hs_index_hash(const uint8_t *p, uint64_t n);
/* Where the index of k lives (malloc'd path): next to a dump that is a file
** of its own, else in $XDG_CACHE_HOME/heapscope or ~/.cache/heapscope under
** its content hash.  bWrite: the directory must be writable (and is
** created).  NULL if there is no place. */
char *hs_index_path(const hs_index_key *k, int bWrite);
/* Open a saved graph matching k from the path; NULL when missing, stale,
** damaged or inconsistent (lengths, checksums, ids, and the tree and size
** checks of index.c: a forged file is rejected, never trusted). */
hs_graph *hs_index_read(const char *zIdx, const hs_index_key *k);
/* Validate an index image p[0..n) for k, as hs_index_read does, and return
** a graph whose arrays point into p (the caller keeps p alive and unchanged
** for the graph's life; hs_graph_free leaves p alone); NULL if invalid. */
hs_graph *hs_index_parse(const uint8_t *p, size_t n, const hs_index_key *k);
/* Save g for k to zIdx (written to zIdx.tmp<pid>, then renamed; removes
** temporaries of dead writers first; SIGTERM/SIGHUP meanwhile remove it).
** Returns HS_OK, or HS_ERR with errno saying why (ENOSPC: the disk is full). */
int hs_index_write(const char *zIdx, const hs_index_key *k, const hs_graph *g);
/* hs_heap_reopen's implementation (heap.h): the object columns and graph of
** a current index file for the dump in `in`, so that its loader skips the
** object records.  HS_OK, or HS_ERR when there is no such index.  Only the
** object columns and sizes are checked (with the dump's hash); the graph's
** sections wait for hs_index_check. */
struct hs_heap_prebuilt;
int hs_index_reopen(const hs_input *in, struct hs_heap_prebuilt *pre);
/* Check the sections of a graph from hs_index_reopen that were left for its
** first use (index.c's checks, on two threads when there are two); HS_OK
** when they pass or there was nothing left (any other graph), HS_ERR when
** they fail: the graph must not be read (it may still be freed, and its
** mapping handed to a rebuilt graph, pMap). */
int hs_index_check(hs_graph *g);
/* Unlink the temporary an hs_index_write in progress is writing, if any.
** Async-signal-safe: for the CLI's interrupt path. */
void hs_index_abort_tmp(void);

#endif /* HEAPSCOPE_GRAPH_H */
