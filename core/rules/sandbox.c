/*
 * The C half of the rule engine (core/rules/rules.lua is the rest): running
 * one detector under an instruction budget, and the few system calls the
 * engine needs that plugins never see (directory listing, embedded sources).
 *
 * The budget is a count hook, as Redis's luaMaskCountHook: every HOOK_EVERY
 * VM instructions it adds to the run's count, and looks at the Lua heap.
 * Once the run is over its instruction or memory budget, or Ctrl-C was
 * pressed, the verdict is kept here in C (a pcall inside the plugin cannot
 * reset it) and the hook is re-armed to fire on every instruction, raising
 * again each time, so the plugin's own pcall only delays its end by one
 * instruction.  The hook is removed when the run returns to C.
 *
 * LuaJIT calls no hooks inside compiled traces.  The engine therefore turns
 * the JIT off for plugins read from disk (jit.off(chunk, true) in
 * rules.lua), so their loops run in the interpreter where the hook fires;
 * compiled-in plugins keep the JIT and rely on the hs iteration helpers,
 * which call hs.checkpoint() (a C function: the trace exits) every 64K rows.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/embed.h"
#include "lua/hslua.h"
#include "report/report.h"

#define HOOK_EVERY 1000 /* instructions between two looks at the budget */

enum { RUN_OK = 0, RUN_BUDGET, RUN_MEMORY, RUN_INTERRUPTED };

typedef struct run_state {
  lua_State *L;
  double nBudget;               /* instructions allowed */
  double nUsed;                 /* instructions counted so far */
  int nMemBaseKb;               /* Lua heap at the start, KiB */
  int nMemBudgetKb;             /* growth allowed, KiB */
  volatile sig_atomic_t eOver;  /* RUN_*: once set, stays set until return */
  volatile sig_atomic_t nSig;   /* Ctrl-C presses during the run */
} run_state;

static run_state *volatile gRun; /* the run in progress, NULL if none */

static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  run_state *r = gRun;
  if (!r) return;
  if (r->eOver == RUN_OK) {
    r->nUsed += HOOK_EVERY;
    if (r->nUsed > r->nBudget)
      r->eOver = RUN_BUDGET;
    else if (lua_gc(L, LUA_GCCOUNT, 0) - r->nMemBaseKb > r->nMemBudgetKb)
      r->eOver = RUN_MEMORY;
    else
      return;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1); /* from now on: every instruction */
  }
  /* No position prefix: the traceback says where the plugin was. */
  if (r->eOver == RUN_BUDGET)
    lua_pushfstring(L, "instruction budget of %f exceeded", r->nBudget);
  else if (r->eOver == RUN_MEMORY)
    lua_pushfstring(L, "memory budget of %d MiB exceeded", r->nMemBudgetKb >> 10);
  else
    lua_pushliteral(L, "interrupted (Ctrl-C)");
  lua_error(L);
}

static void on_sigint(int sig) {
  (void)sig;
  run_state *r = gRun;
  hs_interrupted = 1;
  if (!r) return;
  if (++r->nSig >= 2) {
    static const char zMsg[] =
        "\nheapscope: second Ctrl-C while a detector was inside a compiled loop "
        "that cannot be interrupted; exiting.\n";
    if (write(STDERR_FILENO, zMsg, sizeof zMsg - 1) < 0) { /* nothing to do */
    }
    if (hsL_on_emergency_exit) hsL_on_emergency_exit();
    _exit(130);
  }
  r->eOver = RUN_INTERRUPTED;
  lua_sethook(r->L, budget_hook, LUA_MASKCOUNT, 1);
}

/* The traceback handler of a detector run: the message as raised, without
** hs.explain's advice (that speaks of the REPL's global `case`, not of the
** case the detector was given). */
static int run_msghandler(lua_State *L) {
  const char *zMsg = lua_tostring(L, 1);
  if (!zMsg) zMsg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, zMsg, 1);
  return 1;
}

/* run(budget, membudget_mib, fn, ...) -> "ok", results...
**                                    | "error"|"budget"|"memory"|"interrupted", message
** Calls fn(...) with the budget hook armed and a traceback handler.  Not
** reentrant: a detector cannot run detectors. */
static int l_run(lua_State *L) {
  static const char *const azStatus[] = {"error", "budget", "memory", "interrupted"};
  run_state r;
  memset(&r, 0, sizeof r);
  r.L = L;
  r.nBudget = luaL_checknumber(L, 1);
  r.nMemBudgetKb = (int)(luaL_checknumber(L, 2) * 1024);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if (gRun) return luaL_error(L, "a detector is already running (detectors cannot run detectors)");
  int nArg = lua_gettop(L) - 3;
  lua_pushcfunction(L, run_msghandler);
  lua_replace(L, 2);                          /* budget handler fn args... */
  lua_remove(L, 1);                           /* handler fn args... */
  struct sigaction sa, saOld;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  r.nMemBaseKb = lua_gc(L, LUA_GCCOUNT, 0);
  hs_interrupted = 0;
  gRun = &r;
  sigaction(SIGINT, &sa, &saOld);
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
  int status = lua_pcall(L, nArg, LUA_MULTRET, 1);
  lua_sethook(L, NULL, 0, 0);
  sigaction(SIGINT, &saOld, NULL);
  gRun = NULL;
  hs_interrupted = 0;
  if (status == 0) {
    lua_pushliteral(L, "ok");
    lua_replace(L, 1);                        /* "ok" results... */
    return lua_gettop(L);
  }
  lua_pushstring(L, azStatus[r.eOver]);       /* handler message status */
  lua_insert(L, -2);                          /* handler status message */
  return 2;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* listdir(path) -> sorted list of {name=, dir=bool}, dotfiles skipped;
** nil, message when the directory cannot be read. */
static int l_listdir(lua_State *L) {
  const char *zDir = luaL_checkstring(L, 1);
  DIR *d = opendir(zDir);
  if (!d) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", zDir, strerror(errno));
    return 2;
  }
  int n = 0, nCap = 0;
  char **az = NULL;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == nCap) {
      nCap = nCap ? 2 * nCap : 32;
      char **azNew = realloc(az, nCap * sizeof *az);
      if (!azNew) break;
      az = azNew;
    }
    if (!(az[n] = strdup(e->d_name))) break;
    n++;
  }
  closedir(d);
  qsort(az, n, sizeof *az, cmp_str);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    char *zPath = hs_mprintf("%s/%s", zDir, az[i]);
    struct stat st;
    int bDir = zPath && stat(zPath, &st) == 0 && S_ISDIR(st.st_mode);
    free(zPath);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, az[i]);
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, bDir);
    lua_setfield(L, -2, "dir");
    lua_rawseti(L, -2, i + 1);
    free(az[i]);
  }
  free(az);
  return 1;
}

/* isdir(path) -> boolean */
static int l_isdir(lua_State *L) {
  struct stat st;
  lua_pushboolean(L, stat(luaL_checkstring(L, 1), &st) == 0 && S_ISDIR(st.st_mode));
  return 1;
}

/* embedded_source(path) -> the compiled-in file's text, or nil */
static int l_embedded_source(lua_State *L) {
  const char *zPath = luaL_checkstring(L, 1);
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++)
    if (strcmp(e->zName, zPath) == 0) {
      lua_pushlstring(L, e->zSrc, e->nSrc);
      return 1;
    }
  return 0;
}

/* Adds the engine's functions to hs.core (on the stack top). */
int hsL_open_rules(lua_State *L) {
  static const luaL_Reg aFn[] = {{"rules_run", l_run},
                                 {"listdir", l_listdir},
                                 {"isdir", l_isdir},
                                 {"embedded_source", l_embedded_source},
                                 {"mpack", hsL_mpack},
                                 {NULL, NULL}};
  luaL_register(L, NULL, aFn);
  return 0;
}
