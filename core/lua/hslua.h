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
#define HSL_MODULE_KEY "hs.module" /* registry: the hs module, whatever the global */

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
void hsL_set_limits(const hsL_limits *);

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

/* Called when the process must end from inside a signal handler (second
** Ctrl-C, or code still running 2 s past --timeout); the REPL sets it to
** save its history. */
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
