/*
 * Private to the dominator code (dominators.c) and the tests' second
 * algorithm (tests/lib/domiter.c), which share the renumbering of
 * predecessors.
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

#endif
