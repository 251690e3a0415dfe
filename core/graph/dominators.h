/*
 * Private to the dominator code (dominators.c), the graph build (graph.c)
 * and the tests' second algorithm (tests/lib/domiter.c), which shares the
 * renumbering of predecessors.
 */
#ifndef HS_GRAPH_DOMINATORS_H
#define HS_GRAPH_DOMINATORS_H

#include <stdint.h>

/* The predecessors of the reached nodes as their numbers: aVert[1..n] maps
** a number to its node, aNum a node to its number (0: not reached); edges
** from unreached nodes are left out.  Allocates *paPredStart (n+2 entries:
** number w's predecessors are (*paPred)[(*paPredStart)[w] ..
** (*paPredStart)[w+1])) and *paPred, which the caller frees, on failure
** too.  Returns HS_OK or HS_ENOMEM. */
int hs_dom_preds(uint32_t n, uint32_t nNode, const uint32_t *aVert, const uint32_t *aNum,
                 const uint32_t *aRStart, const uint32_t *aRSrc, uint32_t **paPredStart,
                 uint32_t **paPred);

/* A bitmap of the nodes without edges out (bit v of word v/64), which the
** caller frees; NULL when out of memory. */
uint64_t *hs_leaf_bits(uint32_t nNode, const uint32_t *aStart);

/* hs_dominators for the graph build, with these options: */
typedef struct hs_dom_opts {
  const uint64_t *aLeaf;    /* hs_leaf_bits' bitmap (NULL: made here) */
  /* Called once (may be NULL), after the DFS, which reads only the forward
  ** edges, and before the reverse ones are first read through *paRStart
  ** and *paRSrc: the caller may build them meanwhile and have them ready
  ** when it returns.  Its error ends the computation with that code; on an
  ** early failure it is not called. */
  int (*xAfterDfs)(void *pArg);
  void *pArg;
  int bTwo;                 /* may use a second thread */
  /* When aRetained (nNode) is given, it receives each node's retained size:
  ** the sum of aSize (nNode) over the node's dominator subtree (0 when not
  ** reached). */
  const uint64_t *aSize;
  uint64_t *aRetained;
} hs_dom_opts;

int hs_dominators_ex(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                     const uint32_t *aDst, const uint32_t *const *paRStart,
                     const uint32_t *const *paRSrc, const hs_dom_opts *pOpt,
                     uint32_t *aIdom, uint32_t *aOrder, uint32_t *pnReached);

#endif
