/*
 * A second dominator algorithm, for the tests and the graph benchmark only:
 * two independent implementations agree or one of them is wrong.
 */
#ifndef HS_TESTLIB_DOMITER_H
#define HS_TESTLIB_DOMITER_H

#include <stdint.h>

/* Immediate dominators by the iterative algorithm of Cooper, Harvey and
** Kennedy over BFS order (aOrder receives BFS order, in which every idom
** also precedes its nodes).  Otherwise the contract of hs_dominators
** (heapscope/graph.h), which it cross-checks. */
int tl_dominators_iter(uint32_t nNode, uint32_t iRoot, const uint32_t *aStart,
                       const uint32_t *aDst, const uint32_t *aRStart,
                       const uint32_t *aRSrc, uint32_t *aIdom, uint32_t *aOrder,
                       uint32_t *pnReached);

#endif
