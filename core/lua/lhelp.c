/*
 * The helpers the bindings share with hslua.c (see lhelp.h): the budget of
 * the running protected call, raising its stop, charging memory against
 * --max-memory.  Calls nothing in the other core/lua files.
 */
#include <stdio.h>

#include "lua/lhelp.h"

hsL_budget hsL_g;
void (*hsL_on_emergency_exit)(void);

int hsL_stopped(void) { return hsL_g.iStop; }

const char *hsL_stop_message(void) {
  static char z[96];
  if (hsL_g.iStop == HSL_STOP_TIMEOUT) {
    snprintf(z, sizeof z, "stopped: the script ran longer than --timeout %gs", hsL_g.lim.rTimeout);
    return z;
  }
  return "interrupted (Ctrl-C)";
}

int hsL_raise_stop(lua_State *L) {
  lua_sethook(L, NULL, 0, 0);
  hs_interrupted = 0;
  return luaL_error(L, "%s", hsL_stop_message());
}

int hsL_charge(int64_t nBytes) {
  if (!hsL_g.lim.nMaxMem) return 0;
  if (nBytes > 0 && hsL_g.nMem + (uint64_t)nBytes > hsL_g.lim.nMaxMem) {
    hsL_g.bMemHit = 1;
    return -1;
  }
  hsL_g.nMem += (uint64_t)nBytes;
  return 0;
}
