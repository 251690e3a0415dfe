/*
 * The REPL: reading chunks, evaluating them, printing results, history and
 * Ctrl-C at the prompt.  The Lua half (completion, help text, result
 * display) is core/lua/repl.lua, `require "hs.repl"`.
 *
 * Evaluation follows Lua 5.4's lua.c: a line is compiled as `return <line>`
 * first, then as a statement; while the statement's syntax error ends in
 * '<eof>' (LuaJIT quotes it so too) a continuation line is read and the
 * chunk retried.  One history entry per chunk, however many lines it has:
 * the history file is written with timestamps and read with
 * history_multiline_entries, so a multi-line chunk comes back whole.
 *
 * Ctrl-C has two owners.  While Lua runs, hsL_docall's handler makes a hook
 * raise "interrupted" (and a second press in a compiled loop ends the
 * process through hsL_on_emergency_exit, which saves the history here).
 * At the prompt, readline runs in callback mode with persistent signal
 * handlers: pselect() returns EINTR, rl_check_signals() lets readline restore
 * the terminal and re-deliver the signal to prompt_sigint (the handler that
 * was current when readline installed its own), and the line -- plus any
 * continuation lines already typed -- is discarded, as bash does.  No
 * longjmp crosses readline or Lua.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "lua/repl.h"

#define PROMPT1 "hs> "
#define PROMPT2 "..> "
#define CHUNKNAME "=stdin"
#define REPL_KEY "hs.repl.module" /* registry: the hs.repl module table */

/* Readline splits words at these; '.' and ':' are absent so that
** `case.heap.obj` or `case.gc:so` reaches the completer as one word.  The
** completer's contract matches: its candidates replace the run of
** [A-Za-z0-9_.:] before the cursor. */
static char zBreakChars[] = " \t\n!\"#$%&'()*+,-/;<=>?@[\\]^`{|}~";

static lua_State *gL;                   /* state being completed in */
static char *gzHistory;                 /* history file, NULL: none */
static volatile sig_atomic_t gbSigint;  /* Ctrl-C at the prompt */

/* ---------------------------------------------------------------- reading */

enum { READ_OK, READ_EOF, READ_INTR };

typedef struct Reader {
  int bTty;        /* 1: readline on the terminal; 0: plain lines */
  FILE *pIn;       /* input when bTty is 0 */
  char *zBuf;      /* getline buffer */
  size_t nBuf;
} Reader;

static void prompt_sigint(int sig) {
  (void)sig;
  gbSigint = 1;
}

static char *gzAccepted;   /* line handed over by readline's callback */
static int gbAccepted;     /* 1 once readline has finished a line (or EOF) */

static void on_line(char *z) {
  gzAccepted = z;
  gbAccepted = 1;
  rl_callback_handler_remove();
}

/* Read one line with readline's callback interface; *pz is malloc'd.
** Returns READ_EOF on Ctrl-D at an empty line, READ_INTR on Ctrl-C (the line
** is cleared and a newline printed). */
static int tty_read(const char *zPrompt, char **pz) {
  int fd = fileno(rl_instream ? rl_instream : stdin);
  *pz = NULL;
  gbAccepted = 0;
  gzAccepted = NULL;
  gbSigint = 0;
  /* SIGINT stays blocked except inside pselect, so one that arrives just
  ** before the wait is not left pending until the next key press. */
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &orig);
  rl_callback_handler_install(zPrompt, on_line);
  while (!gbAccepted && !gbSigint) {
    if (rl_pending_signal()) {                /* readline caught one: let it */
      rl_check_signals();                     /* restore the terminal and */
      continue;                               /* re-deliver it to us */
    }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    int rc = pselect(fd + 1, &fds, NULL, NULL, NULL, &orig);
    if (rc < 0) {
      if (errno != EINTR) break;              /* treat as end of input */
      continue;
    }
    rl_callback_read_char();
  }
  sigprocmask(SIG_SETMASK, &orig, NULL);
  if (gbAccepted) {
    *pz = gzAccepted;
    return gzAccepted ? READ_OK : READ_EOF;
  }
  if (gbSigint) {                             /* discard the line, like bash */
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_point = rl_end = 0;
    rl_callback_handler_remove();             /* restores the terminal */
    fputs("\n", rl_outstream ? rl_outstream : stdout);
    fflush(rl_outstream ? rl_outstream : stdout);
    gbSigint = 0;
    return READ_INTR;
  }
  rl_callback_handler_remove();
  return READ_EOF;
}

static int read_line(Reader *r, const char *zPrompt, char **pz) {
  if (r->bTty) return tty_read(zPrompt, pz);
  ssize_t n = getline(&r->zBuf, &r->nBuf, r->pIn);
  if (n < 0) return READ_EOF;
  if (n > 0 && r->zBuf[n - 1] == '\n') r->zBuf[--n] = 0;
  if (n > 0 && r->zBuf[n - 1] == '\r') r->zBuf[--n] = 0;
  *pz = hs_strdup(r->zBuf);
  return *pz ? READ_OK : READ_EOF;
}

/* ---------------------------------------------------------------- loading */

enum { LOAD_OK, LOAD_ERR, LOAD_EOF, LOAD_INTR };

/* Is the syntax error on top of the stack the kind more input would fix? */
static int incomplete(lua_State *L) {
  size_t n;
  const char *zMsg = lua_tolstring(L, -1, &n);
  static const char zMark[] = "'<eof>'";
  size_t nMark = sizeof zMark - 1;
  return zMsg && n >= nMark && strcmp(zMsg + n - nMark, zMark) == 0;
}

static int blank(const char *z) {
  while (*z == ' ' || *z == '\t' || *z == '\r') z++;
  return *z == 0;
}

/* Compile a chunk as typed.  LuaJIT skips a first line that starts with
** '#' (a #! header) in every load, which would make `#t` a silent empty
** chunk; a leading space keeps it, except for a real "#!" line. */
static int load_text(lua_State *L, const char *z) {
  if (z[0] != '#' || z[1] == '!') return luaL_loadbuffer(L, z, strlen(z), CHUNKNAME);
  char *zSpaced = hs_mprintf(" %s", z);
  if (!zSpaced) {
    lua_pushliteral(L, "out of memory");
    return LUA_ERRMEM;
  }
  int status = luaL_loadbuffer(L, zSpaced, strlen(zSpaced), CHUNKNAME);
  free(zSpaced);
  return status;
}

/* Read and compile one chunk.  LOAD_OK: the function is on top of the
** stack; LOAD_ERR: the syntax error message is; both set *pzChunk to the
** chunk as typed (malloc'd, the caller frees it).  LOAD_EOF and LOAD_INTR
** push nothing and leave *pzChunk NULL.  Blank lines are skipped. */
static int load_chunk(lua_State *L, Reader *r, char **pzChunk) {
  char *zLine = NULL;
  *pzChunk = NULL;
  for (;;) {
    int rc = read_line(r, PROMPT1, &zLine);
    if (rc != READ_OK) return rc == READ_EOF ? LOAD_EOF : LOAD_INTR;
    if (!blank(zLine)) break;
    free(zLine);
  }
  char *zRet = hs_mprintf("return %s", zLine);
  if (zRet && luaL_loadbuffer(L, zRet, strlen(zRet), CHUNKNAME) == 0) {
    free(zRet);
    *pzChunk = zLine;
    return LOAD_OK;                           /* function */
  }
  if (zRet) lua_pop(L, 1);                    /* its syntax error */
  free(zRet);
  char *zChunk = zLine;
  for (;;) {
    int status = load_text(L, zChunk);
    if (status != LUA_ERRSYNTAX || !incomplete(L)) {
      *pzChunk = zChunk;
      return status == 0 ? LOAD_OK : LOAD_ERR; /* function or message */
    }
    int rc = read_line(r, PROMPT2, &zLine);
    if (rc == READ_EOF) {                     /* report the '<eof>' error */
      if (r->bTty) fputs("\n", stdout);        /* after the ..> prompt */
      *pzChunk = zChunk;
      return LOAD_ERR;
    }
    lua_pop(L, 1);                            /* the '<eof>' error */
    if (rc == READ_INTR) {
      free(zChunk);
      return LOAD_INTR;
    }
    char *zJoined = hs_mprintf("%s\n%s", zChunk, zLine);
    free(zChunk);
    free(zLine);
    if (!zJoined) {
      lua_pushliteral(L, "out of memory reading a chunk");
      *pzChunk = NULL;
      return LOAD_ERR;
    }
    zChunk = zJoined;
  }
}

/* ---------------------------------------------------------------- running */

/* Terminal width for the formatter, 0 when not on a terminal. */
static int screen_cols(int bTty) {
  if (!bTty) return 0;
  int nRow = 0, nCol = 0;
  rl_reset_screen_size();                     /* picks up a resize; no redraw */
  rl_get_screen_size(&nRow, &nCol);
  return nCol > 0 ? nCol : 80;
}

/* Print the n values above iBase with hs.repl.show (which uses
** require("hs").format), tab-separated, and pop them.  Returns a status;
** on failure the error message is left on top. */
static int print_results(lua_State *L, int iBase, int n, int bTty) {
  lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  lua_getfield(L, -1, "show");                /* values... mod show */
  lua_remove(L, -2);
  lua_insert(L, iBase + 1);                   /* show values... */
  lua_createtable(L, 0, 1);
  int nCol = screen_cols(bTty);
  if (nCol > 0) {
    lua_pushinteger(L, nCol);
    lua_setfield(L, -2, "width");
  }
  lua_insert(L, iBase + 2);                   /* show opts values... */
  int status = hsL_docall(L, n + 1, 1);       /* string | error */
  if (status == 0) {
    size_t nOut;
    const char *zOut = lua_tolstring(L, -1, &nOut);
    if (zOut) {
      fwrite(zOut, 1, nOut, stdout);
      fputc('\n', stdout);
    }
    lua_pop(L, 1);
  }
  fflush(stdout);
  return status;
}

/* Run the function on top of the stack, print its results (the first one
** also goes to the global `_`) or the error with its traceback.  The stack
** is back at its height without the function.  Returns the status. */
static int run_chunk(lua_State *L, int bTty) {
  int iBase = lua_gettop(L) - 1;              /* below the function */
  int status = hsL_docall(L, 0, LUA_MULTRET);
  fflush(stdout);
  if (status == 0 && lua_gettop(L) > iBase) {
    lua_pushvalue(L, iBase + 1);
    lua_setglobal(L, "_");
    status = print_results(L, iBase, lua_gettop(L) - iBase, bTty);
  }
  if (status != 0) {
    /* The terminal echoed ^C with no newline after it. */
    const char *zMsg = lua_tostring(L, -1);
    if (bTty && zMsg && strstr(zMsg, "interrupted (Ctrl-C)")) fputs("\n", stdout);
    fflush(stdout);
    hsL_report(L, status);
  }
  lua_settop(L, iBase);
  return status;
}

/* ---------------------------------------------------------------- history */

static void save_history(void) {
  if (gzHistory) write_history(gzHistory);
}

/* Called from the SIGINT handler before _exit(130) (hslua.c says why);
** write_history is not async-signal-safe, but the process is ending and
** Lua is stuck in a compiled loop, not inside readline. */
static void emergency_exit(void) {
  save_history();
}

/* The default history file (malloc'd), creating its directory when it is
** under XDG_STATE_HOME; NULL when there is no home to put it in. */
static char *default_history_path(void) {
  const char *zState = getenv("XDG_STATE_HOME");
  if (zState && zState[0] == '/') {
    char *zDir = hs_mprintf("%s/heapscope", zState);
    if (!zDir) return NULL;
    mkdir(zState, 0700);                      /* fine if it exists */
    mkdir(zDir, 0700);
    free(zDir);
    return hs_mprintf("%s/heapscope/history", zState);
  }
  const char *zHome = getenv("HOME");
  if (!zHome || !zHome[0]) return NULL;
  return hs_mprintf("%s/.heapscope_history", zHome);
}

/* ---------------------------------------------------------------- completion */

/* readline's rl_attempted_completion_function: ask hs.repl.complete(line,
** cursor) for the words that replace zText and hand them over as readline
** wants them: [0] their longest common prefix, then the words, NULL-ended,
** all malloc'd (readline frees them).  Never falls back to file names. */
static char **complete_cb(const char *zText, int iStart, int iEnd) {
  (void)iStart;
  char **az = NULL;
  lua_State *L = gL;
  rl_attempted_completion_over = 1;
  rl_completion_append_character = '\0';
  if (!L) return NULL;
  int iTop = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  if (!lua_istable(L, -1)) goto done;
  lua_getfield(L, -1, "complete");            /* mod complete */
  lua_pushstring(L, rl_line_buffer);
  lua_pushinteger(L, iEnd);
  if (lua_pcall(L, 2, 1, 0) != 0 || !lua_istable(L, -1)) goto done;
  int n = (int)lua_objlen(L, -1);             /* mod list */
  if (n <= 0) goto done;
  az = calloc((size_t)n + 2, sizeof *az);
  if (!az) goto done;
  int nOut = 0;
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    const char *z = lua_tostring(L, -1);
    if (z && strncmp(z, zText, strlen(zText)) == 0) az[1 + nOut++] = strdup(z);
    lua_pop(L, 1);
  }
  if (nOut == 0) {
    free(az);
    az = NULL;
    goto done;
  }
  if (nOut == 1) {                            /* the word itself, no list */
    az[0] = az[1];
    az[1] = NULL;
    goto done;
  }
  size_t nPrefix = strlen(az[1]);
  for (int i = 2; i <= nOut; i++) {
    size_t j = 0;
    while (j < nPrefix && az[i][j] == az[1][j]) j++;
    nPrefix = j;
  }
  az[0] = strndup(az[1], nPrefix);
done:
  lua_settop(L, iTop);
  return az;
}

/* ---------------------------------------------------------------- session */

/* os.exit inside the REPL: save the history first, then the real os.exit
** (upvalue 1) with the same arguments. */
static int l_exit(lua_State *L) {
  save_history();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

/* Load hs.repl into the registry and let it install help().  Returns 0,
** or a status after printing why. */
static int setup_lua(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.repl");
  int status = hsL_docall(L, 1, 1);           /* mod | error */
  if (status == 0 && !lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "hs.repl did not return a table");
    status = LUA_ERRRUN;
  }
  if (status != 0) {
    hsL_report(L, status);
    return status;
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  lua_getfield(L, -1, "install");             /* mod install */
  lua_remove(L, -2);
  status = hsL_docall(L, 0, 0);
  if (status != 0) hsL_report(L, status);
  return status;
}

/* Print hs.repl.banner() (version, cases loaded, how to get help). */
static void banner(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY);
  lua_getfield(L, -1, "banner");
  lua_remove(L, -2);
  int status = hsL_docall(L, 0, 1);
  if (status == 0) {
    const char *z = lua_tostring(L, -1);
    if (z) fputs(z, stdout);
    lua_pop(L, 1);
  } else
    hsL_report(L, status);
  fflush(stdout);
}

int hsL_repl(lua_State *L, const char *zHistoryPath) {
  int iTop = lua_gettop(L);
  if (setup_lua(L) != 0) return 1;

  rl_readline_name = "heapscope";
  rl_attempted_completion_function = complete_cb;
  rl_completer_word_break_characters = zBreakChars;
  rl_basic_word_break_characters = zBreakChars;
  /* List the candidates on the first Tab when it cannot finish a word (the
  ** user's ~/.inputrc, read on first use, still has the last word). */
  rl_variable_bind("show-all-if-ambiguous", "on");
  rl_catch_signals = 1;
  rl_persistent_signal_handlers = 1;

  gzHistory = zHistoryPath ? hs_strdup(zHistoryPath) : default_history_path();
  using_history();
  stifle_history(HSL_REPL_HISTORY);
  history_comment_char = '#';                 /* "#<time>" lines delimit entries */
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  if (gzHistory) read_history(gzHistory);     /* a missing file is fine */

  gL = L;
  hsL_on_emergency_exit = emergency_exit;
  struct sigaction sa, saOld;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = prompt_sigint;              /* no SA_RESTART: select sees EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &saOld);

  lua_getglobal(L, "os");                     /* wrap os.exit to save history */
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "exit");
    lua_pushcclosure(L, l_exit, 1);
    lua_setfield(L, -2, "exit");
  }
  lua_pop(L, 1);

  banner(L);
  Reader r = {1, stdin, NULL, 0};
  for (;;) {
    char *zChunk = NULL;
    int rc = load_chunk(L, &r, &zChunk);
    if (rc == LOAD_EOF) {
      fputs("\n", stdout);
      break;
    }
    if (rc == LOAD_INTR) continue;
    if (zChunk) add_history(zChunk);          /* before running: a second
                                              ** Ctrl-C saves it too */
    free(zChunk);
    if (rc == LOAD_ERR)
      hsL_report(L, LUA_ERRSYNTAX);
    else
      run_chunk(L, 1);
  }
  fflush(stdout);

  /* write_history keeps the file within the stifled HSL_REPL_HISTORY
  ** entries; history_truncate_file counts lines, which would cut a
  ** multi-line entry in half, so it is not used. */
  if (gzHistory && write_history(gzHistory) != 0)
    fprintf(stderr, "heapscope: could not save the history to %s: %s\n", gzHistory,
            strerror(errno));
  sigaction(SIGINT, &saOld, NULL);
  hsL_on_emergency_exit = NULL;
  gL = NULL;
  free(gzHistory);
  gzHistory = NULL;
  lua_settop(L, iTop);
  return 0;
}

int hsL_run_stdin(lua_State *L) {
  int iTop = lua_gettop(L);
  if (setup_lua(L) != 0) return 1;
  Reader r = {0, stdin, NULL, 0};
  int bFailed = 0;
  for (;;) {
    char *zChunk = NULL;
    int rc = load_chunk(L, &r, &zChunk);
    free(zChunk);
    if (rc == LOAD_EOF) break;
    if (rc == LOAD_ERR) {
      hsL_report(L, LUA_ERRSYNTAX);
      bFailed = 1;
    } else if (rc == LOAD_OK && run_chunk(L, 0) != 0)
      bFailed = 1;
  }
  free(r.zBuf);
  fflush(stdout);
  lua_settop(L, iTop);
  return bFailed;
}
