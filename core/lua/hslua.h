/*
 * The Lua side of heapscope: state creation, protected calls, interruption
 * and the C bindings (hsL_ helpers, built only on the public Lua API).
 */
#ifndef HS_LUA_H
#define HS_LUA_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "heapscope/heapscope.h"
#include "lua/lhelp.h"

/* Set the bounds before hsL_newstate (hsL_limits: lua/lhelp.h). */
void hsL_set_limits(const hsL_limits *);

#define HSL_MODULE_KEY "hs.module" /* registry: the hs module, whatever the global */

/* Create a state with the standard libraries, the embedded modules on
** package.preload, `hs` loaded and the globals `case` and `cases` set from
** the given caselist (which the state takes over, even on failure; NULL
** for none).  All of it runs protected.  Returns NULL (with a message on
** stderr) on failure. */
lua_State *hsL_newstate(hs_caselist *pCases);
void hsL_close(lua_State *L);

/* Call the function below narg arguments in protected mode with a
** traceback; the stack is as lua_pcall leaves it.  Installs the Ctrl-C
** handler for the duration of the call. */
int hsL_docall(lua_State *L, int narg, int nres);
/* Print the error message on top of the stack (and pop it): a stop
** (Ctrl-C, --timeout, --max-memory) as one line, other errors with their
** traceback. */
void hsL_report(lua_State *L, int status);
/* Load an embedded chunk by project path ("core/lua/table.lua"). */
int hsL_loadembedded(lua_State *L, const char *zPath);

/* Push a case userdata that takes ownership of c. */
void hsL_pushcase(lua_State *L, hs_case *c);
hs_case *hsL_checkcase(lua_State *L, int idx);
/* Push a table userdata for t.  iKeep: stack index of a value the table
** depends on (its case, or the table whose pool it shares), 0 for none;
** bOwned: HSL_SHARED, HSL_OWN_TABLE or HSL_OWN_TABLE_AND_POOL. */
void hsL_pushtable(lua_State *L, hs_table *t, int iKeep, int bOwned);

/* Called by os.exit() before it closes the state (the REPL saves history). */
extern void (*hsL_on_exit)(void);

/* Module entry for the C part of `hs` ("hs.core"). */
int luaopen_heapscope(lua_State *L);
/* Extension points filled by other subsystems (heap graph bindings). */
int hsL_open_heap(lua_State *L);
int hsL_open_scan(lua_State *L);
/* The heap dump and object graph of the case at stack index 1, built on
** first use; raises a Lua error saying why when there is none. */
struct hs_graph *hsL_checkgraph(lua_State *L, struct hs_heap **ppHeap);
int hsL_open_rules(lua_State *L);  /* core/rules/sandbox.c, core/report/mpack.c */

#endif
