/*
 * The C half of `case.heap` (core/lua/heap.lua is the other): graph queries
 * on a case's heap dump, added to the hs.core table as heap_* functions.
 *
 * Every function takes the case userdata first, so the case (and the dump
 * buffer, the heap and the graph that hang off it) stays alive for as long
 * as Lua holds anything derived from it.  Objects are identified by their
 * 0-based id (row of heap.objects); the graph is built on first use by
 * hs_case_graph and kept on the heap.  The graph's columns reach Lua
 * zero-copy as the table "heap.graph" (retained, idom, parent, depth), one
 * row per object, whose userdata's environment is the case.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/graph.h"
#include "heapscope/binary.h"
#include "heapscope/heap.h"
#include "lua/hslua.h"
#include "base/base.h"
#include "table/internal.h"

static hs_heap *checkheap(lua_State *L, hs_case **ppCase) {
  hs_case *c = hsL_checkcase(L, 1);
  if (!c->pHeap) luaL_error(L, "case %s has no heap dump", c->zName);
  if (ppCase) *ppCase = c;
  return c->pHeap;
}

/* The graph, built if needed; raises a Lua error saying why it failed. */
static hs_graph *checkgraph(lua_State *L, hs_heap **ppHeap) {
  hs_case *c;
  hs_heap *h = checkheap(L, &c);
  hs_graph *g;
  int rc = hs_case_graph(c, &g);
  if (rc != HS_OK && hs_interrupted) hsL_raise_stop(L); /* Ctrl-C, --timeout: once */
  if (rc != HS_OK) {
    const char *zWhy = rc == HS_ENOMEM   ? "out of memory"
                       : rc == HS_ELIMIT ? "more than 4 G objects or pointers"
                                         : "interrupted (Ctrl-C)";
    luaL_error(L, "%s: cannot build the object graph: %s", h->zFile ? h->zFile : c->zName,
               zWhy);
  }
  if (ppHeap) *ppHeap = h;
  return g;
}

hs_graph *hsL_checkgraph(lua_State *L, hs_heap **ppHeap) { return checkgraph(L, ppHeap); }

static uint32_t checkid(lua_State *L, int idx, const hs_graph *g) {
  lua_Number d = luaL_checknumber(L, idx);
  if (d < 0 || d >= g->nObj || d != (lua_Number)(uint32_t)d)
    luaL_error(L, "bad object id %f (the heap has %d objects)", d, (int)g->nObj);
  return (uint32_t)d;
}

/* heap_has(case) -> true if the case has a heap dump */
static int l_has(lua_State *L) {
  lua_pushboolean(L, hsL_checkcase(L, 1)->pHeap != NULL);
  return 1;
}

/* heap_params(case) -> {go_version, arch, ptr_size, ncpu, big_endian, ...} */
static int l_params(lua_State *L) {
  hs_heap *h = checkheap(L, NULL);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, h->zGoVersion ? h->zGoVersion : "");
  lua_setfield(L, -2, "go_version");
  lua_pushstring(L, h->zArch ? h->zArch : "");
  lua_setfield(L, -2, "arch");
  hsL_setnum(L, "ptr_size", h->nPtrSize);
  hsL_setnum(L, "ncpu", h->nCpu);
  lua_pushboolean(L, h->bBigEndian);
  lua_setfield(L, -2, "big_endian");
  hsL_setnum(L, "heap_start", (double)h->iHeapStart);
  hsL_setnum(L, "heap_end", (double)h->iHeapEnd);
  lua_pushboolean(L, h->bTypeHeader);
  lua_setfield(L, -2, "type_header");
  hsL_setnum(L, "objects", (double)h->nObj);
  return 1;
}

/* heap_stats(case) -> {unreachable, unreachable_bytes, dropped, root_dropped,
** reachable_bytes, edges, from_index, objects_from_index}; builds the graph. */
static int l_stats(lua_State *L) {
  hs_heap *h;
  hs_graph *g = checkgraph(L, &h);
  lua_createtable(L, 0, 8);
  hsL_setnum(L, "unreachable", (double)g->nUnreachable);
  hsL_setnum(L, "unreachable_bytes", (double)g->nUnreachableBytes);
  hsL_setnum(L, "dropped", (double)g->nDropped);
  hsL_setnum(L, "root_dropped", (double)g->nRootDropped);
  hsL_setnum(L, "reachable_bytes", (double)g->aRetained[g->nObj]);
  hsL_setnum(L, "edges", (double)g->nEdge);
  hsL_setnum(L, "objects", g->nObj);
  lua_pushboolean(L, g->bFromIndex);
  lua_setfield(L, -2, "from_index");
  lua_pushboolean(L, h->bObjFromIndex);       /* the object records were not parsed */
  lua_setfield(L, -2, "objects_from_index");
  return 1;
}

/* heap_find(case, addr) -> id of the object containing addr, or nil */
static int l_find(lua_State *L) {
  hs_heap *h = checkheap(L, NULL);
  lua_Number d = luaL_checknumber(L, 2);
  if (d < 0 || d >= 18446744073709551616.0) return 0;
  uint32_t i = hs_graph_find(h->aAddr, h->aSize, (uint32_t)h->nObj, (uint64_t)d);
  if (i == HS_NONE) return 0;
  lua_pushnumber(L, i);
  return 1;
}

/* heap_graph_table(case) -> the "heap.graph" table (zero-copy columns) */
static int l_graph_table(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  if (!g->pTable) {
    static const hs_colspec aCol[] = {{"retained", HS_U64, HS_COL_BYTES},
                                       {"count", HS_U32, 0},
                                       {"idom", HS_U32, 0},
                                       {"parent", HS_U32, 0},
                                       {"depth", HS_U32, 0}};
    void *apData[] = {g->aRetained, g->aCount, g->aIdom, g->aParent, g->aDepth};
    hs_table *t = hs_table_borrow(
        "heap.graph",
        "one row per object (row i = heap.objects row i): retained bytes and count (objects "
        "it retains, itself included; 0 if unreachable); idom, parent: "
        "0-based row of the immediate dominator / BFS parent on a shortest root path, "
        "= #rows for a GC root, 4294967295 if unreachable; depth: pointers from a root (0: "
        "unreachable)", aCol, HS_NCOL(aCol), apData, g->nObj, hsL_checkcase(L, 1)->pStr);
    if (!t) return luaL_error(L, "out of memory");
    g->pTable = t;
  }
  hsL_pushtable(L, g->pTable, 1, HSL_SHARED);
  return 1;
}

/* Push an array of n numbers as a Lua list. */
static void push_ids(lua_State *L, const uint32_t *a, uint64_t n) {
  lua_createtable(L, (int)n, 0);
  for (uint64_t i = 0; i < n; i++) {
    lua_pushnumber(L, a[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* Push two lists (ids, offsets) of n entries. */
static void push_pairs(lua_State *L, const uint32_t *aId, const uint32_t *aOff, uint64_t n) {
  push_ids(L, aId, n);
  push_ids(L, aOff, n);
}

/* heap_referents(case, id) -> ids, offsets (the object's pointer fields that
** resolve, in field order) */
static int l_referents(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t v = checkid(L, 2, g);
  uint32_t i0 = g->aFwdStart[v], i1 = g->aFwdStart[v + 1];
  push_pairs(L, g->aFwdDst + i0, g->aFwdOff + i0, i1 - i0);
  return 2;
}

/* heap_referrers(case, id) -> ids, offsets: the objects pointing at id and
** the offset of their (first) field doing so; id = #objects stands for a GC
** root, whose "offset" is the root's index (0-based) in heap.roots. */
static int l_referrers(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t v = checkid(L, 2, g);
  uint32_t i0 = g->aRevStart[v], i1 = g->aRevStart[v + 1];
  uint32_t *aOff = malloc(((size_t)(i1 - i0) + 1) * sizeof *aOff);
  if (!aOff) return luaL_error(L, "out of memory");
  /* A source appears once per edge; multiple edges from one source to v
  ** each get their own offset, in field order. */
  /* Rows of the reverse CSR list sources in ascending order, so repeats of
  ** one source are adjacent: k counts them. */
  uint32_t uPrev = HS_NONE, k = 0;
  for (uint32_t e = i0; e < i1; e++) {
    uint32_t u = g->aRevSrc[e];
    k = u == uPrev ? k + 1 : 0;
    uPrev = u;
    aOff[e - i0] = HS_NONE;
    uint32_t kk = k;
    for (uint32_t f = g->aFwdStart[u]; f < g->aFwdStart[u + 1]; f++)
      if (g->aFwdDst[f] == v && kk-- == 0) {
        aOff[e - i0] = g->aFwdOff[f];
        break;
      }
  }
  push_pairs(L, g->aRevSrc + i0, aOff, i1 - i0);
  free(aOff);
  return 2;
}

/* heap_path(case, id) -> ids, offsets: shortest path from a GC root, root
** first; offsets[1] is the root's index in heap.roots, offsets[k] the field
** of ids[k-1] pointing at ids[k].  Empty when unreachable. */
static int l_path(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t v = checkid(L, 2, g);
  uint32_t n = hs_graph_path(g, v, NULL, 0);
  hs_path_step *a = malloc(((size_t)n + 1) * sizeof *a);
  if (!a) return luaL_error(L, "out of memory");
  n = hs_graph_path(g, v, a, n);
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    lua_pushnumber(L, a[i].iObj);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    lua_pushnumber(L, a[i].iOff);
    lua_rawseti(L, -2, (int)i + 1);
  }
  free(a);
  return 2;
}

/* heap_root(case, index) -> {kind, desc, target, from, goroutine} for a
** 0-based root index, or nil */
static int l_root(lua_State *L) {
  static const char *azKind[] = {"?",     "data",  "bss",       "frame", "finalizer",
                                 "queued_finalizer", "other", "goroutine", "defer", "panic"};
  hs_heap *h = checkheap(L, NULL);
  lua_Number d = luaL_checknumber(L, 2);
  if (d < 0 || d >= (lua_Number)h->nRoot) return 0;
  uint64_t r = (uint64_t)d;
  int k = h->aRootKind ? h->aRootKind[r] : 0;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, azKind[k >= 0 && k <= 9 ? k : 0]);
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, h->aRootDesc ? hs_str(h->pStr, h->aRootDesc[r]) : "");
  lua_setfield(L, -2, "desc");
  hsL_setnum(L, "target", h->aRootTarget ? (double)h->aRootTarget[r] : 0);
  hsL_setnum(L, "from", h->aRootFrom ? (double)h->aRootFrom[r] : 0);
  hsL_setnum(L, "goroutine", h->aRootGoid ? (double)h->aRootGoid[r] : 0);
  hsL_setnum(L, "index", (double)r);
  return 1;
}

/* ---------------------------------------------------------------- histograms */

/* The key that groups object v: its allocation site (the heap.memprof row
** + 1, 0 if not sampled), or its type (the type word, or 2^63 + size for
** objects without a known type). */
static uint64_t group_key(const hs_heap *h, int bSite, uint32_t v) {
  if (bSite) return h->aBucket ? h->aBucket[v] : 0;
  if (h->aTypeName && h->aTypeName[v]) return (1ull << 62) | h->aTypeName[v]; /* a name */
  if (h->aType && h->aType[v]) return h->aType[v];
  return (1ull << 63) | h->aSize[v];
}

/* heap_histogram(case, "type"|"site") -> {key=, count=, bytes=, retained=,
** first=} arrays per group: key is the type identity (the type word, or
** 2^63 + size for objects without a known type) or the 1-based heap.memprof
** row (0: not sampled); first is the id of the group's first object.
**
** A group's retained bytes are what freeing every object of the group would
** free: the sum of the retained sizes of its members that no other member
** dominates (a list's head, not every node again).  One iterative DFS over
** the dominator tree keeps a count of open members per group:
** O(objects) time, 16 bytes per object of scratch. */
static int l_histogram(lua_State *L) {
  hs_heap *h;
  hs_graph *g = checkgraph(L, &h);
  int bSite = strcmp(luaL_checkstring(L, 2), "site") == 0;
  uint32_t n = g->nObj;
  if (n >= 0x7fffffffu) return luaL_error(L, "histograms: too many objects");
  hs_u64map m = {0};                          /* key -> dense group number */
  uint32_t nGrp = 0;
  uint32_t *aGrpOf = malloc(((size_t)n + 1) * sizeof *aGrpOf);
  uint32_t *aKidStart = calloc((size_t)n + 3, sizeof *aKidStart);
  uint32_t *aKid = malloc(((size_t)n + 1) * sizeof *aKid);
  uint32_t *aStk = malloc(((size_t)n + 2) * sizeof *aStk);
  uint64_t *aCount = NULL, *aBytes = NULL, *aRet = NULL, *aKey = NULL;
  uint32_t *aOpen = NULL, *aFirst = NULL;
  const char *zErr = "out of memory";
  if (!aGrpOf || !aKidStart || !aKid || !aStk) goto fail;
  for (uint32_t v = 0; v < n; v++) {
    int bNew;
    uint64_t *pGrp = hs_u64map_upsert(&m, group_key(h, bSite, v), &bNew);
    if (!pGrp) goto fail;
    if (bNew) *pGrp = nGrp++;
    aGrpOf[v] = (uint32_t)*pGrp;
  }
  aCount = calloc(nGrp + 1, sizeof *aCount);
  aBytes = calloc(nGrp + 1, sizeof *aBytes);
  aRet = calloc(nGrp + 1, sizeof *aRet);
  aKey = calloc(nGrp + 1, sizeof *aKey);
  aOpen = calloc(nGrp + 1, sizeof *aOpen);
  aFirst = malloc((nGrp + 1) * sizeof *aFirst);
  if (!aCount || !aBytes || !aRet || !aKey || !aOpen || !aFirst) goto fail;
  for (uint32_t i = 0; i < nGrp; i++) aFirst[i] = HS_NONE;
  for (uint32_t v = 0; v < n; v++) {
    uint32_t gr = aGrpOf[v];
    aCount[gr]++;
    aBytes[gr] += h->aSize[v];
    if (aFirst[gr] == HS_NONE) {
      aFirst[gr] = v;
      aKey[gr] = group_key(h, bSite, v);
    }
  }
  /* children of each node in the dominator tree, CSR by counting sort */
  for (uint32_t v = 0; v < n; v++)
    if (g->aIdom[v] != HS_NONE) aKidStart[g->aIdom[v] + 1]++;
  for (uint32_t v = 0; v <= n; v++) aKidStart[v + 1] += aKidStart[v];
  {
    uint32_t *aFill = aStk;                   /* borrowed before the walk */
    memcpy(aFill, aKidStart, ((size_t)n + 1) * sizeof *aFill);
    for (uint32_t v = 0; v < n; v++)
      if (g->aIdom[v] != HS_NONE) aKid[aFill[g->aIdom[v]]++] = v;
  }
  /* DFS from the super-root.  A node is pushed once, pending; popped, it is
  ** entered (its group opened) and an exit marker (high bit set) takes its
  ** place before its children are pushed; popping the marker closes the
  ** group.  A node is pending or open, never both, so the stack holds at
  ** most n entries. */
  {
    uint32_t nSp = 0;
    for (uint32_t e = aKidStart[n]; e < aKidStart[n + 1]; e++) aStk[nSp++] = aKid[e];
    while (nSp) {
      uint32_t x = aStk[--nSp];
      if (x & 0x80000000u) {
        aOpen[aGrpOf[x & 0x7fffffffu]]--;
        continue;
      }
      uint32_t gr = aGrpOf[x];
      if (aOpen[gr]++ == 0) aRet[gr] += g->aRetained[x];
      aStk[nSp++] = x | 0x80000000u;
      for (uint32_t e = aKidStart[x]; e < aKidStart[x + 1]; e++) aStk[nSp++] = aKid[e];
    }
  }
  lua_createtable(L, 0, 5);
  const char *azName[] = {"key", "count", "bytes", "retained"};
  uint64_t *aaVal[] = {aKey, aCount, aBytes, aRet};
  for (int c = 0; c < 4; c++) {
    lua_createtable(L, (int)nGrp, 0);
    for (uint32_t i = 0; i < nGrp; i++) {
      lua_pushnumber(L, (lua_Number)aaVal[c][i]);
      lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, azName[c]);
  }
  lua_createtable(L, (int)nGrp, 0);
  for (uint32_t i = 0; i < nGrp; i++) {
    lua_pushnumber(L, aFirst[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "first");
  zErr = NULL;
fail:
  hs_u64map_free(&m);
  free(aGrpOf);
  free(aKidStart);
  free(aKid);
  free(aStk);
  free(aCount);
  free(aBytes);
  free(aRet);
  free(aKey);
  free(aOpen);
  free(aFirst);
  if (zErr) return luaL_error(L, "%s", zErr);
  return 1;
}

/* ---------------------------------------------------------------- contents */

static uint32_t checkobj(lua_State *L, int idx, const hs_heap *h) {
  lua_Number d = luaL_checknumber(L, idx);
  if (d < 0 || d >= (lua_Number)h->nObj || d != (lua_Number)(uint32_t)d)
    luaL_error(L, "bad object id %f", d);
  return (uint32_t)d;
}

/* heap_word(case, id, off) -> lo, hi: the pointer-sized word at off as two
** exact 32-bit halves (Lua joins them; a double would round words past
** 2^53).  off must be a multiple of the pointer size inside the object: a
** misaligned or outside offset is an error that says which are valid. */
static int l_word(lua_State *L) {
  hs_heap *h = checkheap(L, NULL);
  uint32_t i = checkobj(L, 2, h);
  lua_Number dOff = luaL_optnumber(L, 3, 0);
  uint64_t nSize = h->aSize[i];
  if (dOff < 0 || dOff != (lua_Number)(uint64_t)dOff || dOff + h->nPtrSize > (lua_Number)nSize)
    return luaL_error(L, "offset %f is outside the object (%d bytes: words at 0..%d)", dOff,
                      (int)nSize, nSize >= h->nPtrSize ? (int)(nSize - h->nPtrSize) : 0);
  if ((uint64_t)dOff % h->nPtrSize)
    return luaL_error(L, "offset %d is not a multiple of the pointer size (%d): words are at "
                      "0, %d, %d, ...; o:bytes(off, n) reads any bytes",
                      (int)dOff, (int)h->nPtrSize, (int)h->nPtrSize, 2 * (int)h->nPtrSize);
  uint64_t w = hs_heap_word(h, i, (uint64_t)dOff);
  lua_pushnumber(L, (lua_Number)(uint32_t)w);
  lua_pushnumber(L, (lua_Number)(uint32_t)(w >> 32));
  return 2;
}

/* heap_field(case, id, off) -> ".buf" / "[3].next": the field at off, from
** the binary's types (core/binary); nil without a binary or a type. */
static int l_field(lua_State *L) {
  hs_case *c;
  hs_heap *h = checkheap(L, &c);
  uint32_t i = checkobj(L, 2, h);
  lua_Number dOff = luaL_checknumber(L, 3);
  char z[256];
  if (!c->pBinary || dOff < 0 ||
      !hs_binary_object_field(c->pBinary, h, i, (uint64_t)dOff, z, sizeof z) || !z[0])
    return 0;
  lua_pushstring(L, z);
  return 1;
}

/* heap_bytes(case, id, off, n) -> the bytes, clipped to the object */
static int l_bytes(lua_State *L) {
  hs_heap *h = checkheap(L, NULL);
  uint32_t i = checkobj(L, 2, h);
  lua_Number dOff = luaL_optnumber(L, 3, 0);
  lua_Number dN = luaL_optnumber(L, 4, (lua_Number)h->aSize[i]);
  uint64_t nSize = h->aSize[i];
  if (dOff < 0 || dOff >= (lua_Number)nSize || dN <= 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  uint64_t iOff = (uint64_t)dOff;
  uint64_t n = dN > (lua_Number)(nSize - iOff) ? nSize - iOff : (uint64_t)dN;
  lua_pushlstring(L, (const char *)h->pBuf + h->aContentOff[i] + iOff, n);
  return 1;
}

/* heap_string(case, id, off) -> the bytes of the Go string header (ptr, len)
** at off in object id, when ptr points into a heap object (clipped to that
** object); nil otherwise */
static int l_string(lua_State *L) {
  hs_heap *h = checkheap(L, NULL);
  uint32_t i = checkobj(L, 2, h);
  lua_Number dOff = luaL_optnumber(L, 3, 0);
  if (dOff < 0 || dOff + 2.0 * h->nPtrSize > (lua_Number)h->aSize[i]) return 0;
  uint64_t iOff = (uint64_t)dOff;
  uint64_t p = hs_heap_word(h, i, iOff), n = hs_heap_word(h, i, iOff + h->nPtrSize);
  if (n == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  uint32_t j = hs_graph_find(h->aAddr, h->aSize, (uint32_t)h->nObj, p);
  if (j == HS_NONE) return 0;
  uint64_t iIn = p - h->aAddr[j], nMax = h->aSize[j] - iIn;
  lua_pushlstring(L, (const char *)h->pBuf + h->aContentOff[j] + iIn, n < nMax ? n : nMax);
  return 1;
}

/* ---------------------------------------------------------------- dominator tree */

/* Payload of the userdata heap_domtree returns: the dominator tree's
** children of every node (the super-root, id nObj, included) as CSR, each
** node's children by retained size, largest first.  (Each subtree's count
** is the graph's aCount.) */
typedef struct domtree {
  uint32_t nObj;
  uint32_t *aStart;   /* nObj+2 row starts */
  uint32_t *aKid;     /* children */
} domtree;

/* Children order: larger retained first, then lower id. */
static int kid_before(const uint64_t *aRet, uint32_t x, uint32_t y) {
  return aRet[x] != aRet[y] ? aRet[x] > aRet[y] : x < y;
}

static int cmp_kid(const void *a, const void *b, void *pRet) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x == y ? 0 : kid_before(pRet, x, y) ? -1 : 1;
}

/* Sorts one node's children a[0..n) (by id, as filled): most nodes have
** one to three, sorted in place; the few wide ones by qsort. */
static void sort_kids(uint32_t *a, uint32_t n, const uint64_t *aRet) {
  if (n > 16) {
    qsort_r(a, n, sizeof *a, cmp_kid, (void *)aRet);
    return;
  }
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = a[i], j = i;
    for (; j > 0 && kid_before(aRet, x, a[j - 1]); j--) a[j] = a[j - 1];
    a[j] = x;
  }
}

static int domtree_gc(lua_State *L) {
  domtree *t = lua_touserdata(L, 1);
  free(t->aStart);
  free(t->aKid);
  t->aStart = t->aKid = NULL;
  return 0;
}

/* heap_domtree(case) -> userdata holding the dominator tree's children
** lists.  A counting sort by dominator (children in id order), then each
** node's children sorted by retained size: O(n) plus a sort of each list
** (most hold one to three), where one sort of every object cost 0.9 s of
** CPU on 8.4 M objects.  8 bytes per object kept, 4 per object of
** scratch. */
static int l_domtree(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t n = g->nObj;
  domtree *t = lua_newuserdata(L, sizeof *t);
  memset(t, 0, sizeof *t);
  t->nObj = n;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, domtree_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  t->aStart = calloc((size_t)n + 3, sizeof *t->aStart);
  t->aKid = malloc(((size_t)n + 1) * sizeof *t->aKid);
  uint32_t *aFill = malloc(((size_t)n + 2) * sizeof *aFill);
  if (!aFill || !t->aStart || !t->aKid) {
    free(aFill);
    return luaL_error(L, "out of memory");
  }
  for (uint32_t v = 0; v < n; v++)
    if (g->aIdom[v] != HS_NONE) t->aStart[g->aIdom[v] + 1]++;
  for (uint32_t v = 0; v <= n; v++) t->aStart[v + 1] += t->aStart[v];
  memcpy(aFill, t->aStart, ((size_t)n + 1) * sizeof *aFill);
  for (uint32_t v = 0; v < n; v++)
    if (g->aIdom[v] != HS_NONE) t->aKid[aFill[g->aIdom[v]]++] = v;
  for (uint32_t x = 0; x <= n; x++)
    if (t->aStart[x + 1] - t->aStart[x] > 1)
      sort_kids(t->aKid + t->aStart[x], t->aStart[x + 1] - t->aStart[x], g->aRetained);
  free(aFill);
  return 1;
}

/* heap_dominated(domtree, id [, n]) -> ids of the (first n) objects id
** immediately dominates, largest retained first, and the number of them
** all; id = #objects (0-based) asks for the tree's top level. */
static int l_dominated(lua_State *L) {
  domtree *t = lua_touserdata(L, 1);
  if (!t || !t->aStart) return luaL_argerror(L, 1, "expected heap_domtree's result");
  lua_Number d = luaL_checknumber(L, 2);
  if (d < 0 || d > t->nObj || d != (lua_Number)(uint32_t)d)
    return luaL_error(L, "bad object id %f", d);
  uint32_t v = (uint32_t)d, i0 = t->aStart[v], i1 = t->aStart[v + 1];
  lua_Number dN = luaL_optnumber(L, 3, (lua_Number)(i1 - i0));
  uint32_t nOut = dN < 0 ? 0 : dN < (lua_Number)(i1 - i0) ? (uint32_t)dN : i1 - i0;
  push_ids(L, t->aKid + i0, nOut);
  lua_pushnumber(L, i1 - i0);
  return 2;
}

/* heap_top(case [, n]) -> ids of the (first n) objects only GC roots
** dominate (the dominator tree's top level), in heap_dominated's order,
** and the number of them all.  Two passes over the idoms and a heap of
** the n best: what top_retainers needs, without building the whole tree
** (heap_domtree) first. */
static int l_top(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t n = g->nObj, nAll = 0, nHeap = 0;
  const uint64_t *aRet = g->aRetained;
  for (uint32_t v = 0; v < n; v++) nAll += g->aIdom[v] == n;
  lua_Number dN = luaL_optnumber(L, 2, (lua_Number)nAll);
  uint32_t nKeep = dN < 0 ? 0 : dN < (lua_Number)nAll ? (uint32_t)dN : nAll;
  /* a[0] is the last of the kept in heap_dominated's order, each parent
  ** after its children */
  uint32_t *a = lua_newuserdata(L, ((size_t)nKeep + 1) * sizeof *a);
  for (uint32_t v = 0; v < n && nKeep; v++) {
    if (g->aIdom[v] != n) continue;
    uint32_t i;
    if (nHeap < nKeep) {
      for (i = nHeap++; i > 0 && kid_before(aRet, a[(i - 1) / 2], v); i = (i - 1) / 2)
        a[i] = a[(i - 1) / 2];
    } else if (kid_before(aRet, v, a[0])) {
      for (i = 0;;) {
        uint32_t c = 2 * i + 1;
        if (c >= nHeap) break;
        if (c + 1 < nHeap && kid_before(aRet, a[c], a[c + 1])) c++;
        if (!kid_before(aRet, v, a[c])) break;
        a[i] = a[c];
        i = c;
      }
    } else
      continue;
    a[i] = v;
  }
  qsort_r(a, nHeap, sizeof *a, cmp_kid, (void *)aRet);
  push_ids(L, a, nHeap);
  lua_pushnumber(L, nAll);
  lua_remove(L, -3);                          /* a */
  return 2;
}

/* heap_path_avoiding(case, id, objs, edges) -> ids, offsets as heap_path
** gives them: a shortest path from a GC root to id that passes through none
** of the objects in the array objs (0-based ids) and uses no pointer from
** edges[k][1] to edges[k][2]; empty when every path is cut.  A breadth-first
** search backwards from id over the referrer lists: O(objects + pointers)
** time, 8 bytes per object of scratch. */
static int l_path_avoiding(lua_State *L) {
  hs_graph *g = checkgraph(L, NULL);
  uint32_t v = checkid(L, 2, g), n = g->nObj;
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  int nEx = (int)lua_objlen(L, 4);
  uint32_t *aNext = malloc(((size_t)n + 1) * sizeof *aNext);
  uint32_t *aQueue = malloc(((size_t)n + 1) * sizeof *aQueue);
  uint32_t *aEx = malloc(((size_t)nEx + 1) * 2 * sizeof *aEx);
  if (!aNext || !aQueue || !aEx) {
    free(aNext);
    free(aQueue);
    free(aEx);
    return luaL_error(L, "out of memory");
  }
  for (uint32_t k = 0; k <= n; k++) aNext[k] = HS_NONE;
  for (int k = 1; k <= (int)lua_objlen(L, 3); k++) {
    lua_rawgeti(L, 3, k);
    lua_Number d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (d >= 0 && d < n) aNext[(uint32_t)d] = n; /* "seen": never entered */
  }
  for (int k = 0; k < nEx; k++) {
    lua_rawgeti(L, 4, k + 1);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    aEx[2 * k] = (uint32_t)lua_tonumber(L, -2);
    aEx[2 * k + 1] = (uint32_t)lua_tonumber(L, -1);
    lua_pop(L, 3);
  }
  uint32_t nHead = 0, nTail = 0, iFound = HS_NONE;
  if (aNext[v] == HS_NONE) {
    aNext[v] = v;                              /* the target: its own "next" */
    aQueue[nTail++] = v;
  }
  while (nHead < nTail && iFound == HS_NONE) {
    uint32_t x = aQueue[nHead++];
    for (uint32_t e = g->aRevStart[x]; e < g->aRevStart[x + 1]; e++) {
      uint32_t u = g->aRevSrc[e];
      int bCut = 0;
      for (int k = 0; k < nEx && !bCut; k++) bCut = aEx[2 * k] == u && aEx[2 * k + 1] == x;
      if (bCut) continue;
      if (u == n) {
        iFound = x;
        break;
      }
      if (aNext[u] != HS_NONE) continue;
      aNext[u] = x;
      aQueue[nTail++] = u;
    }
  }
  uint32_t nStep = 0;
  if (iFound != HS_NONE)
    for (uint32_t x = iFound;; x = aNext[x]) {
      aQueue[nStep++] = x;                     /* the queue is done with */
      if (x == v) break;
    }
  for (uint32_t k = 0; k < nStep; k++)          /* aNext is done with too */
    aNext[k] = hs_graph_edge_off(g, k == 0 ? n : aQueue[k - 1], aQueue[k]);
  push_pairs(L, aQueue, aNext, nStep);
  free(aNext);
  free(aQueue);
  free(aEx);
  return 2;
}

int hsL_open_heap(lua_State *L) {
  static const luaL_Reg aFn[] = {
      {"heap_has", l_has},           {"heap_params", l_params},
      {"heap_stats", l_stats},       {"heap_find", l_find},
      {"heap_graph_table", l_graph_table},
      {"heap_referents", l_referents}, {"heap_referrers", l_referrers},
      {"heap_path", l_path},         {"heap_root", l_root},
      {"heap_histogram", l_histogram},
      {"heap_word", l_word},         {"heap_bytes", l_bytes},
      {"heap_field", l_field},
      {"heap_string", l_string},     {"heap_domtree", l_domtree},
      {"heap_dominated", l_dominated}, {"heap_path_avoiding", l_path_avoiding},
      {"heap_top", l_top},
      {NULL, NULL}};
  /* stack: hs.core */
  luaL_register(L, NULL, aFn);
  /* stack: hs.core */
  return 0;
}
