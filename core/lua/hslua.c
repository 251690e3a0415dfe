/*
 * Lua state, protected calls and Ctrl-C.
 *
 * Interruption follows lua.c's laction: the SIGINT handler sets a hook that
 * raises "interrupted" at the next call, return or count event.  LuaJIT
 * checks no hooks inside compiled traces, so a loop that never leaves a
 * trace cannot be stopped that way; hs.table's iteration helpers call
 * hs.core.checkpoint() every 64K rows (a C function, so the trace exits),
 * and for a compiled loop of user code a second Ctrl-C ends the process
 * cleanly (history saved) after saying why.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/embed.h"
#include "lua/hslua.h"

/* Functions Lua calls only through the FFI (ffi.C.*): named here so that the
** linker keeps them in the binary (-rdynamic exports them). */
__attribute__((used)) static void *const gaFfiOnly[] = {(void *)hs_profile_aggregate};

void (*hsL_on_emergency_exit)(void);
void (*hsL_on_exit)(void);

static lua_State *volatile gL;      /* state running a protected call */
static volatile sig_atomic_t gnSig; /* Ctrl-C presses during that call */

static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  hs_interrupted = 0;
  gnSig = 0;
  luaL_error(L, "interrupted (Ctrl-C)");
}

static void laction(int sig) {
  (void)sig;
  if (++gnSig >= 2) {
    static const char zMsg[] =
        "\nheapscope: second Ctrl-C while Lua code was running inside a compiled "
        "loop that cannot be interrupted; exiting (history saved).\n";
    if (write(STDERR_FILENO, zMsg, sizeof zMsg - 1) < 0) { /* nothing to do */
    }
    if (hsL_on_emergency_exit) hsL_on_emergency_exit();
    _exit(130);
  }
  hs_interrupted = 1;
  if (gL) lua_sethook(gL, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int msghandler(lua_State *L) {
  const char *zMsg = lua_tostring(L, 1);
  if (zMsg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    zMsg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  /* hs.explain(msg) may add what to do (core/lua/hs.lua); its own failure
  ** leaves the message as it was */
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_getfield(L, -1, "hs");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "explain");
    lua_pushstring(L, zMsg);
    if (lua_pcall(L, 1, 1, 0) == 0 && lua_isstring(L, -1)) zMsg = lua_tostring(L, -1);
  }
  /* luaL_traceback is 5.2+; LuaJIT has it as an extension. */
  luaL_traceback(L, L, zMsg, 1);
  return 1;
}

int hsL_docall(lua_State *L, int narg, int nres) {
  int iBase = lua_gettop(L) - narg;           /* function index */
  lua_pushcfunction(L, msghandler);
  lua_insert(L, iBase);                       /* msghandler below the function */
  lua_State *pPrev = gL;
  struct sigaction sa, saOld;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = laction;
  sigemptyset(&sa.sa_mask);
  gL = L;
  gnSig = 0;
  hs_interrupted = 0;
  sigaction(SIGINT, &sa, &saOld);
  int status = lua_pcall(L, narg, nres, iBase);
  sigaction(SIGINT, &saOld, NULL);
  gL = pPrev;
  gnSig = 0;
  hs_interrupted = 0;
  lua_sethook(L, NULL, 0, 0);
  lua_remove(L, iBase);                       /* msghandler */
  return status;
}

void hsL_report(lua_State *L, int status) {
  if (status == 0) return;
  const char *zMsg = lua_tostring(L, -1);
  fprintf(stderr, "heapscope: %s\n", zMsg ? zMsg : "(error without a message)");
  fflush(stderr);
  lua_pop(L, 1);
}

int hsL_loadembedded(lua_State *L, const char *zPath) {
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++) {
    if (strcmp(e->zName, zPath) == 0) {
      char zChunk[256];
      snprintf(zChunk, sizeof zChunk, "@%s", zPath);
      return luaL_loadbuffer(L, e->zSrc, e->nSrc, zChunk);
    }
  }
  lua_pushfstring(L, "embedded file %s not found", zPath);
  return LUA_ERRFILE;
}

/* package.preload["hs.NAME"] for core/lua/NAME.lua, and
** package.preload["hs.plugins.NAME"] for plugins/NAME.lua. */
static void register_preload(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");             /* package preload */
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++) {
    const char *z = e->zName;
    size_t n = strlen(z);
    if (n < 5 || strcmp(z + n - 4, ".lua") != 0) continue;
    char zMod[256];
    if (strcmp(z, "core/lua/hs.lua") == 0)
      snprintf(zMod, sizeof zMod, "hs");
    else if (strncmp(z, "core/lua/", 9) == 0)
      snprintf(zMod, sizeof zMod, "hs.%.*s", (int)(n - 13), z + 9);
    else if (strcmp(z, "core/rules/rules.lua") == 0)
      snprintf(zMod, sizeof zMod, "hs.rules");
    else if (strncmp(z, "plugins/", 8) == 0) {
      snprintf(zMod, sizeof zMod, "hs.plugins.%.*s", (int)(n - 12), z + 8);
      for (char *p = zMod + 11; *p; p++)
        if (*p == '/') *p = '.';
    } else
      continue;
    if (luaL_loadbuffer(L, e->zSrc, e->nSrc, lua_pushfstring(L, "@%s", z)) != 0) {
      fprintf(stderr, "heapscope: embedded %s: %s\n", z, lua_tostring(L, -1));
      lua_pop(L, 2);
      continue;
    }
    lua_remove(L, -2);                        /* drop the chunk name */
    lua_setfield(L, -2, zMod);
  }
  lua_pop(L, 2);
}

/* The embedded FFI header, for `require "hs.ffi"`. */
static int l_ffi_header(lua_State *L) {
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++)
    if (strcmp(e->zName, "include/heapscope/ffi.h") == 0) {
      lua_pushlstring(L, e->zSrc, e->nSrc);
      return 1;
    }
  return 0;
}

/* List the embedded file names matching a prefix (plugins discovery). */
static int l_embedded(lua_State *L) {
  const char *zPrefix = luaL_optstring(L, 1, "");
  size_t nPrefix = strlen(zPrefix);
  lua_newtable(L);
  int i = 0;
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++)
    if (strncmp(e->zName, zPrefix, nPrefix) == 0) {
      lua_pushstring(L, e->zName);
      lua_rawseti(L, -2, ++i);
    }
  return 1;
}

/* os.exit(code) closes the state first (as Lua 5.4's os.exit(code, true)),
** so __gc metamethods run, cases are freed and the REPL's history hook
** runs; LuaJIT's own os.exit would skip all of that. */
static int l_os_exit(lua_State *L) {
  int rc;
  if (lua_isboolean(L, 1))
    rc = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
  else
    rc = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
  fflush(stdout);
  if (hsL_on_exit) hsL_on_exit();
  lua_close(L);
  exit(rc);
  return 0;
}

lua_State *hsL_newstate(hs_caselist *pCases) {
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "heapscope: cannot create a Lua state (out of memory)\n");
    return NULL;
  }
  luaL_openlibs(L);
  lua_getglobal(L, "os");
  lua_pushcfunction(L, l_os_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);
  register_preload(L);
  /* hs.core: the C module */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");              /* package loaded */
  luaopen_heapscope(L);                       /* package loaded core */
  lua_pushcfunction(L, l_ffi_header);
  lua_setfield(L, -2, "ffi_header");
  lua_pushcfunction(L, l_embedded);
  lua_setfield(L, -2, "embedded");
  hsL_open_heap(L);                           /* adds heap functions to core */
  hsL_open_scan(L);                           /* and the detectors' scans */
  hsL_open_rules(L);                          /* and the rule engine's */
  lua_setfield(L, -2, "hs.core");             /* package loaded */
  lua_pop(L, 2);
  /* hs = require "hs"; hs._init(cases) */
  lua_getglobal(L, "require");
  lua_pushstring(L, "hs");
  int status = hsL_docall(L, 1, 1);
  if (status != 0) {
    hsL_report(L, status);
    lua_close(L);
    return NULL;
  }
  lua_pushvalue(L, -1);
  lua_setglobal(L, "hs");
  lua_getfield(L, -1, "_init");
  lua_newtable(L);                            /* hs _init list */
  if (pCases) {
    for (int i = 0; i < pCases->nCase; i++) {
      hsL_pushcase(L, pCases->apCase[i]);
      lua_rawseti(L, -2, i + 1);
    }
    free(pCases->apCase);
    memset(pCases, 0, sizeof *pCases);
  }
  status = hsL_docall(L, 1, 0);
  lua_pop(L, 1);                              /* hs */
  if (status != 0) {
    hsL_report(L, status);
    lua_close(L);
    return NULL;
  }
  return L;
}

void hsL_close(lua_State *L) {
  if (L) lua_close(L);
}
