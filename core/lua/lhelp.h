/*
 * What the bindings (lcore.c, lheap.c, lscan.c, core/rules/sandbox.c) share
 * with hslua.c, which registers them: the userdata types, the stop and
 * --max-memory budget of the running protected call, the emergency-exit
 * hook.  It depends on none of them, so the arrows run one way:
 * hslua.c -> bindings -> lhelp.c.
 */
#ifndef HS_LUA_LHELP_H
#define HS_LUA_LHELP_H

#include <signal.h>
#include <stdint.h>

#include <lua.h>
#include <lauxlib.h>

#include "heapscope/heapscope.h"

#define HSL_CASE_MT "hs.case"
#define HSL_TABLE_MT "hs.table"

/* Payload of an "hs.case" userdata.  Created closed (pCase NULL), then the
** case is attached (liolib's newprefile pattern). */
typedef struct hsL_case {
  hs_case *pCase;
} hsL_case;

/* Payload of an "hs.table" userdata: hs_table_ud of ffi.h.  A standalone
** table (made from Lua by hs.table_from, group_by ...) owns pTab, and its
** pool unless it shares the pool of the table it was derived from; a case
** table keeps its case alive through the userdata's environment table. */
typedef hs_table_ud hsL_table;
enum { HSL_SHARED = 0, HSL_OWN_TABLE = 1, HSL_OWN_TABLE_AND_POOL = 2 };

/* Bounds on Lua code run by the CLI (`-e`, `run`): rTimeout seconds of
** wall time from the state's first call (0: none), and nMaxMem bytes of
** Lua heap plus tables built from Lua (0: none).  Set before
** hsL_newstate. */
typedef struct hsL_limits {
  double rTimeout;
  uint64_t nMaxMem;
} hsL_limits;

/* Why the last protected call was stopped. */
enum { HSL_STOP_NONE = 0, HSL_STOP_INT = 1, HSL_STOP_TIMEOUT = 2 };
int hsL_stopped(void);
/* "interrupted (Ctrl-C)" or the --timeout message. */
const char *hsL_stop_message(void);
/* Raise the pending stop as a Lua error (C code that saw hs_checkpoint()
** calls this instead of raising its own, so the stop is raised once). */
int hsL_raise_stop(lua_State *L);
/* Count nBytes (negative: give back) of memory allocated for Lua outside
** its heap against --max-memory; returns -1 (counting nothing) if it would
** exceed the limit; the caller frees and raises an error naming the flag. */
int hsL_charge(int64_t nBytes);

/* The budget of the outermost protected call: hslua.c arms and resets it
** (hsL_docall, its signal handlers and allocator), the bindings charge it
** and raise its stop. */
typedef struct hsL_budget {
  volatile sig_atomic_t iStop; /* HSL_STOP_* since that call began */
  hsL_limits lim;              /* hsL_set_limits */
  uint64_t nMem;               /* bytes charged: Lua heap + standalone tables */
  int bMemHit;                 /* the allocator refused for --max-memory */
} hsL_budget;
extern hsL_budget hsL_g;

/* Called when the process must end from inside a signal handler (second
** Ctrl-C, or code still running 2 s past --timeout); the REPL sets it to
** save its history. */
extern void (*hsL_on_emergency_exit)(void);

/* t[zKey] = v for the table on top of the stack (stack unchanged). */
static inline void hsL_setnum(lua_State *L, const char *zKey, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, zKey);
}
static inline void hsL_setstr(lua_State *L, const char *zKey, const char *z) {
  lua_pushstring(L, z);
  lua_setfield(L, -2, zKey);
}

#endif
