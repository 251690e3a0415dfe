/*
 * Lua bindings of the detectors' scans (include/heapscope/scan.h), added to
 * the hs.core table as heap_scan_* functions.  Like lheap.c, each takes the
 * case userdata first and builds the object graph if needed.
 */
#include <stdlib.h>

#include "heapscope/graph.h"

#include "heapscope/scan.h"
#include "lua/hslua.h"

/* heap_scan_slices(case, min_size) -> list of hits, by ascending object id:
** {obj (0-based id), headers, lo, hi (addresses used), wasted, slot_objects,
** pointers (bool), string (bool), root (bool), holder (object id, or root
** index when root), holder_off, ptr, len, cap} */
static int l_scan_slices(lua_State *L) {
  hs_heap *h;
  hs_graph *g = hsL_checkgraph(L, &h);
  lua_Number dMin = luaL_optnumber(L, 2, 4096);
  hs_slice_hit *a;
  uint64_t n;
  int rc = hs_scan_slices(h, g, dMin < 1 ? 1 : (uint64_t)dMin, &a, &n);
  if (rc != HS_OK)
    return luaL_error(L, "%s: slice scan failed: %s", h->zFile ? h->zFile : "heap dump",
                      rc == HS_ENOMEM ? "out of memory" : "interrupted (Ctrl-C)");
  lua_createtable(L, (int)n, 0);
  for (uint64_t i = 0; i < n; i++) {
    const hs_slice_hit *x = &a[i];
    lua_createtable(L, 0, 14);
    hsL_setnum(L, "obj", x->iObj);
    hsL_setnum(L, "headers", x->nHeader);
    hsL_setnum(L, "lo", (double)x->iLo);
    hsL_setnum(L, "hi", (double)x->iHi);
    hsL_setnum(L, "wasted", (double)x->nWasted);
    hsL_setnum(L, "slot_objects", x->nSlotObj);
    lua_pushboolean(L, x->bPtrs);
    lua_setfield(L, -2, "pointers");
    lua_pushboolean(L, x->bString);
    lua_setfield(L, -2, "string");
    lua_pushboolean(L, x->bRoot);
    lua_setfield(L, -2, "root");
    hsL_setnum(L, "holder", x->iHolder);
    hsL_setnum(L, "holder_off", (double)x->iHolderOff);
    hsL_setnum(L, "ptr", (double)x->iPtr);
    hsL_setnum(L, "len", (double)x->nLen);
    hsL_setnum(L, "cap", (double)x->nCap);
    lua_rawseti(L, -2, (int)i + 1);
  }
  free(a);
  return 1;
}

/* The object ids of the list at stack index idx, checked (malloc'd; *pn
** gets their number). */
static uint32_t *checkids(lua_State *L, int idx, const hs_graph *g, uint32_t *pn) {
  luaL_checktype(L, idx, LUA_TTABLE);
  size_t n = lua_objlen(L, idx);
  if (n > g->nObj) luaL_error(L, "more ids than objects");
  uint32_t *a = malloc((n + 1) * sizeof *a);
  if (!a) luaL_error(L, "out of memory");
  for (size_t k = 0; k < n; k++) {
    lua_rawgeti(L, idx, (int)k + 1);
    lua_Number d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (d < 0 || d >= g->nObj || d != (lua_Number)(uint32_t)d) {
      free(a);
      luaL_error(L, "bad object id at [%d] (the heap has %d objects)", (int)k + 1, (int)g->nObj);
    }
    a[k] = (uint32_t)d;
  }
  *pn = (uint32_t)n;
  return a;
}

/* heap_accumulation(case, ids, ratio [, like]) -> list of {to =, steps =
** [, like =]}: the accumulation point below each id (hs_dom_accumulation),
** with like the objects shaped like it in its part when asked */
static int l_accumulation(lua_State *L) {
  hs_heap *h;
  hs_graph *g = hsL_checkgraph(L, &h);
  uint32_t n;
  uint32_t *aFrom = checkids(L, 2, g, &n);
  double ratio = luaL_optnumber(L, 3, 0.7);
  int bLike = lua_toboolean(L, 4);
  uint32_t *aTo = malloc(((size_t)n + 1) * 2 * sizeof *aTo);
  uint64_t *aLike = bLike ? malloc(((size_t)n + 1) * sizeof *aLike) : NULL;
  int rc = aTo && (aLike || !bLike)
               ? hs_dom_accumulation(h, g, aFrom, n, ratio, aTo, aTo + n + 1, aLike)
               : HS_ENOMEM;
  free(aFrom);
  if (rc != HS_OK) {
    free(aTo);
    free(aLike);
    return luaL_error(L, rc == HS_ENOMEM ? "out of memory" : "interrupted (Ctrl-C)");
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t k = 0; k < n; k++) {
    lua_createtable(L, 0, 3);
    hsL_setnum(L, "to", aTo[k]);
    hsL_setnum(L, "steps", aTo[n + 1 + k]);
    if (aLike) hsL_setnum(L, "like", (double)aLike[k]);
    lua_rawseti(L, -2, (int)k + 1);
  }
  free(aTo);
  free(aLike);
  return 1;
}

static void push_groups(lua_State *L, const char *zKey, const hs_dom_group *a, uint32_t n) {
  lua_createtable(L, (int)n, 0);
  for (uint32_t k = 0; k < n; k++) {
    lua_createtable(L, 0, 3);
    hsL_setnum(L, zKey, (double)a[k].iKey);
    hsL_setnum(L, "objects", (double)a[k].nObj);
    hsL_setnum(L, "bytes", (double)a[k].nBytes);
    lua_rawseti(L, -2, (int)k + 1);
  }
}

/* heap_dom_summary(case, ids [, big]) -> list of {objects, bytes, like,
** big, big_bytes (objects of at least `big` bytes), sites = {{bucket,
** objects, bytes}...}, types = {{type, objects, bytes}...}}: what each id
** dominates (hs_dom_summarize) */
static int l_dom_summary(lua_State *L) {
  hs_heap *h;
  hs_graph *g = hsL_checkgraph(L, &h);
  uint32_t n;
  uint32_t *aTop = checkids(L, 2, g, &n);
  lua_Number dBig = luaL_optnumber(L, 3, 1e19);
  hs_dom_summary *a = malloc(((size_t)n + 1) * sizeof *a);
  int rc = a ? hs_dom_summarize(h, g, aTop, n,
                                dBig >= 1e19 ? UINT64_MAX : (uint64_t)(dBig < 0 ? 0 : dBig), a)
             : HS_ENOMEM;
  free(aTop);
  if (rc != HS_OK) {
    free(a);
    return luaL_error(L, rc == HS_ENOMEM ? "out of memory" : "interrupted (Ctrl-C)");
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t k = 0; k < n; k++) {
    lua_createtable(L, 0, 5);
    hsL_setnum(L, "objects", (double)a[k].nObj);
    hsL_setnum(L, "bytes", (double)a[k].nBytes);
    hsL_setnum(L, "like", (double)a[k].nLike);
    hsL_setnum(L, "big", (double)a[k].nBig);
    hsL_setnum(L, "big_bytes", (double)a[k].nBigBytes);
    push_groups(L, "bucket", a[k].aSite, a[k].nSite);
    lua_setfield(L, -2, "sites");
    push_groups(L, "type", a[k].aType, a[k].nType);
    lua_setfield(L, -2, "types");
    lua_rawseti(L, -2, (int)k + 1);
  }
  free(a);
  return 1;
}

/* heap_reaches_self(case, ids, budget) -> list of 1 (on a cycle), 0 (not)
** or -1 (undecided within budget visits), one per id (hs_reaches_self) */
static int l_reaches_self(lua_State *L) {
  hs_graph *g = hsL_checkgraph(L, NULL);
  uint32_t n;
  uint32_t *aObj = checkids(L, 2, g, &n);
  lua_Number dBudget = luaL_optnumber(L, 3, 100000);
  int8_t *aOut = malloc((size_t)n + 1);
  int rc = aOut ? hs_reaches_self(g, aObj, n, dBudget < 1 ? 1 : (uint64_t)dBudget, aOut) : HS_ENOMEM;
  free(aObj);
  if (rc != HS_OK) {
    free(aOut);
    return luaL_error(L, rc == HS_ENOMEM ? "out of memory" : "interrupted (Ctrl-C)");
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t k = 0; k < n; k++) {
    lua_pushnumber(L, aOut[k]);
    lua_rawseti(L, -2, (int)k + 1);
  }
  free(aOut);
  return 1;
}

/* heap_scan_pools(case) -> list of sync.Pools: {root (bool), container
** (object id, or root index when root), off, local, victim (object ids of
** the per-P arrays, nil when nil), local_size, victim_size} */
static int l_scan_pools(lua_State *L) {
  hs_heap *h;
  hs_graph *g = hsL_checkgraph(L, &h);
  hs_pool_hit *a;
  uint64_t n;
  int rc = hs_scan_pools(h, g, &a, &n);
  if (rc != HS_OK)
    return luaL_error(L, rc == HS_ENOMEM ? "out of memory" : "interrupted (Ctrl-C)");
  lua_createtable(L, (int)n, 0);
  for (uint64_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 7);
    lua_pushboolean(L, a[i].bRoot);
    lua_setfield(L, -2, "root");
    hsL_setnum(L, "container", a[i].iContainer);
    hsL_setnum(L, "off", (double)a[i].iOff);
    if (a[i].iLocal != HS_NONE) hsL_setnum(L, "local", a[i].iLocal);
    if (a[i].iVictim != HS_NONE) hsL_setnum(L, "victim", a[i].iVictim);
    hsL_setnum(L, "local_size", (double)a[i].nLocalSize);
    hsL_setnum(L, "victim_size", (double)a[i].nVictimSize);
    lua_rawseti(L, -2, (int)i + 1);
  }
  free(a);
  return 1;
}

/* heap_pool_aliases(case, arrays) -> {count, bytes, first}: hs_pool_aliases */
static int l_pool_aliases(lua_State *L) {
  hs_heap *h;
  hs_graph *g = hsL_checkgraph(L, &h);
  uint32_t n, iFirst;
  uint32_t *aArr = checkids(L, 2, g, &n);
  uint64_t nObj, nBytes;
  int rc = hs_pool_aliases(h, g, aArr, n, &nObj, &nBytes, &iFirst);
  free(aArr);
  if (rc != HS_OK) return luaL_error(L, "out of memory");
  lua_createtable(L, 0, 3);
  hsL_setnum(L, "count", (double)nObj);
  hsL_setnum(L, "bytes", (double)nBytes);
  if (iFirst != HS_NONE) hsL_setnum(L, "first", iFirst);
  return 1;
}

int hsL_open_scan(lua_State *L) {
  static const luaL_Reg aFn[] = {{"heap_scan_slices", l_scan_slices},
                                 {"heap_accumulation", l_accumulation},
                                 {"heap_dom_summary", l_dom_summary},
                                 {"heap_reaches_self", l_reaches_self},
                                 {"heap_scan_pools", l_scan_pools},
                                 {"heap_pool_aliases", l_pool_aliases},
                                 {NULL, NULL}};
  /* stack: hs.core */
  luaL_register(L, NULL, aFn);
  /* stack: hs.core */
  return 0;
}
