/*
 * Private to the dominator code (dominators.c), the graph build (graph.c)
 * and the tests' second algorithm (tests/lib/domiter.c), which shares the
 * renumbering of predecessors.
 */
#ifndef HS_GRAPH_DOMINATORS_H
#define HS_GRAPH_DOMINATORS_H

#include <stdint.h>
#include "heapscope/graph.h"
#include "base/base.h"

/* The predecessors of the reached nodes as their numbers: aVert[1..n] maps
** a number to its node, aNum a node to its number (0: not reached); edges
** from unreached nodes are left out.  Allocates *paPredStart (n+2 entries:
** number w's predecessors are (*paPred)[(*paPredStart)[w] ..
** (*paPredStart)[w+1])) and *paPred, which the caller frees, on failure
** too.  Returns HS_OK or HS_ENOMEM. */
int hs_dom_preds(uint32_t n, uint32_t nNode, const uint32_t *aVert, const uint32_t *aNum,
                 const uint32_t *aRStart, const uint32_t *aRSrc, uint32_t **paPredStart,
                 uint32_t **paPred);

/* Bit i of a bitmap of 64-bit words. */
static inline int hs_bit(const uint64_t *a, uint64_t i) { return a[i >> 6] >> (i & 63) & 1; }
static inline void hs_bit_set(uint64_t *a, uint64_t i) { a[i >> 6] |= 1ull << (i & 63); }

/* A bitmap of the leaves: the nodes without edges out other than iRoot
** (the DFS and the BFS start there whatever it has), which the caller
** frees; NULL when out of memory. */
uint64_t *hs_leaf_bits(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart);

/* The DFS's copy of the forward edges (see dominators.c), made in two
** steps so that two threads can share the second: the plan (one pass over
** the row starts; aPos, nNode entries, is its scratch and must stay until
** the fills are done) and fills of node ranges [v0, v1) that together cover
** [0, nNode).  Returns HS_OK, HS_ENOMEM or HS_ELIMIT (over 2^32 words). */
typedef struct hs_dfs_rows {
  uint32_t *aRow;
  uint64_t nRow;
  uint32_t iRootRow;
  uint32_t *aPos;
} hs_dfs_rows;
int hs_dfs_rows_plan(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                     const uint64_t *aLeaf, uint32_t *aPos, hs_dfs_rows *r);
void hs_dfs_rows_fill(const hs_dfs_rows *r, uint32_t nNode, const uint32_t *aStart,
                      const uint32_t *aDst, const uint64_t *aLeaf, uint32_t v0, uint32_t v1);

/* hs_graph_from_csr in two steps, so that the first, which needs only the
** row starts (the leaves, the DFS rows' plan, the graph's columns), can run
** while the caller places the edges (heapgraph.c).  hs_graph_prep borrows
** aStart; on failure the caller calls hs_graph_prep_free.
** hs_graph_from_prep takes over the three arrays and the preparation,
** whatever it returns. */
typedef struct hs_graph_prepared {
  hs_graph *g;
  uint64_t *aLeaf;
  hs_dfs_rows rows;
  hs_spare spare;           /* the caller's scratch, for the dominators' */
} hs_graph_prepared;
int hs_graph_prep(uint32_t nObj, const uint64_t *aSize, uint32_t nRoot, const uint32_t *aStart,
                  hs_graph_prepared *p);
void hs_graph_prep_free(hs_graph_prepared *p);
int hs_graph_from_prep(hs_graph_prepared *p, uint32_t *aStart, uint32_t *aDst, uint32_t *aOff,
                       hs_graph **ppOut);

/* Test knob (graph.c): when set, the BFS's walk beside the DFS stops after
** its first 4096 queue places whether or not the DFS is done, so that the
** thread beside the semidominators resumes it partway (test_graph). */
extern int hs_graph_bfs_stop_early;

/* hs_dominators for the graph build, with these options: */
typedef struct hs_dom_opts {
  const uint64_t *aLeaf;    /* hs_leaf_bits(nNode, iRoot, ...) (NULL: made here) */
  /* Called once (may be NULL), after the DFS, which reads only the forward
  ** edges, and before the reverse ones are first read through *paRStart
  ** and *paRSrc: the caller may build them meanwhile and have them ready
  ** when it returns.  Its error ends the computation with that code; on an
  ** early failure it is not called. */
  int (*xAfterDfs)(void *pArg);
  void *pArg;
  /* Called once (may be NULL) with pArg when the semidominators start,
  ** which take one thread: on a thread of its own when bTwo, joined
  ** before the retained sizes (on every path once called); in line
  ** otherwise.  Not called on a failure before that. */
  void *(*xBeside)(void *pArg);
  int bTwo;                 /* may use a second thread */
  /* When aRetained (nNode) is given, it receives each node's retained size:
  ** the sum of aSize (nNode) over the node's dominator subtree (0 when not
  ** reached). */
  const uint64_t *aSize;
  uint64_t *aRetained;
  /* When aCount (nNode) is given (with aRetained), it receives the number
  ** of nodes in each node's dominator subtree, itself included (0 when not
  ** reached): added up beside the retained sizes. */
  uint32_t *aCount;
  /* When given (with aSize), receives the sum of aSize over the nodes not
  ** reached (as many as nNode less *pnReached). */
  uint64_t *pnGoneBytes;
  /* Rows planned and filled by the caller with the same aLeaf (NULL: made
  ** here); their aRow is taken over (set to NULL; after the DFS its memory
  ** holds the predecessors, freed after the semidominators). */
  hs_dfs_rows *pRows;
  /* Blocks to take the scratch arrays from (NULL: malloc), and where they
  ** are given back at the end (four blocks of (nNode+1) words, one of
  ** them double), their pages still in memory for the caller's next use. */
  hs_spare *pSpare;
} hs_dom_opts;

int hs_dominators_ex(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                     const uint32_t *aDst, const uint32_t *const *paRStart,
                     const uint32_t *const *paRSrc, const hs_dom_opts *pOpt,
                     uint32_t *aIdom, uint32_t *aOrder, uint32_t *pnReached);

#endif
