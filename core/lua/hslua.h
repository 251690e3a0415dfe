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

/* Create a state with the standard libraries, the embedded modules on
** package.preload, `hs` loaded and the globals `case` and `cases` set from
** the given caselist (which the state takes over; NULL for none).
** Returns NULL (with a message on stderr) on failure. */
lua_State *hsL_newstate(hs_caselist *pCases);
void hsL_close(lua_State *L);

/* Call the function below narg arguments in protected mode with a
** traceback; the stack is as lua_pcall leaves it.  Installs the Ctrl-C
** handler for the duration of the call. */
int hsL_docall(lua_State *L, int narg, int nres);
/* Print the error message on top of the stack (and pop it). */
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

/* Called when the process must end from inside the Ctrl-C handler (second
** Ctrl-C in a compiled loop); the REPL sets it to save its history. */
extern void (*hsL_on_emergency_exit)(void);
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
