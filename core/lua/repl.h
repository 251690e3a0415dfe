/*
 * The interactive REPL (GNU readline) and its non-terminal twin.
 *
 * Both evaluate input the way Lua 5.4's lua.c does: a line is tried as
 * `return <line>` first, then as a statement; while the statement is
 * incomplete (its syntax error ends in '<eof>') more lines are read.
 * Results are printed with require("hs").format, tab-separated, and the
 * first one is kept in the global `_`.  Errors print a traceback and the
 * session goes on.
 */
#ifndef HS_REPL_H
#define HS_REPL_H

#include "lua/hslua.h"

/* Run the interactive loop on the terminal until Ctrl-D (or os.exit()).
** zHistoryPath is the history file (NULL: $XDG_STATE_HOME/heapscope/history
** when XDG_STATE_HOME is set, else ~/.heapscope_history); it is loaded at
** start and written (bounded to HSL_REPL_HISTORY entries) at the end.
** Does not close L.  Returns the process exit status (0). */
int hsL_repl(lua_State *L, const char *zHistoryPath);

/* Evaluate Lua read from stdin (not a terminal) chunk by chunk, as the REPL
** would, without prompts or history.  An error is printed with its
** traceback and evaluation continues.  Returns 1 if any chunk failed to
** compile or run, else 0. */
int hsL_run_stdin(lua_State *L);

#define HSL_REPL_HISTORY 1000  /* entries kept in the history file */

#endif
