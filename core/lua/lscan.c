/*
 * Lua bindings of the detectors' scans (include/heapscope/scan.h), added to
 * the hs.core table as heap_scan_* functions.  Like lheap.c, each takes the
 * case userdata first and builds the object graph if needed.
 */
#include <stdlib.h>

#include "heapscope/scan.h"
#include "lua/hslua.h"

static void setnum(lua_State *L, const char *zKey, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, zKey);
}

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
    setnum(L, "obj", x->iObj);
    setnum(L, "headers", x->nHeader);
    setnum(L, "lo", (double)x->iLo);
    setnum(L, "hi", (double)x->iHi);
    setnum(L, "wasted", (double)x->nWasted);
    setnum(L, "slot_objects", x->nSlotObj);
    lua_pushboolean(L, x->bPtrs);
    lua_setfield(L, -2, "pointers");
    lua_pushboolean(L, x->bString);
    lua_setfield(L, -2, "string");
    lua_pushboolean(L, x->bRoot);
    lua_setfield(L, -2, "root");
    setnum(L, "holder", x->iHolder);
    setnum(L, "holder_off", (double)x->iHolderOff);
    setnum(L, "ptr", (double)x->iPtr);
    setnum(L, "len", (double)x->nLen);
    setnum(L, "cap", (double)x->nCap);
    lua_rawseti(L, -2, (int)i + 1);
  }
  free(a);
  return 1;
}

int hsL_open_scan(lua_State *L) {
  static const luaL_Reg aFn[] = {{"heap_scan_slices", l_scan_slices}, {NULL, NULL}};
  /* stack: hs.core */
  luaL_register(L, NULL, aFn);
  /* stack: hs.core */
  return 0;
}
