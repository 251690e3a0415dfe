/*
 * Lua state, protected calls, Ctrl-C, --timeout and --max-memory.
 *
 * Interruption follows lua.c's laction: the SIGINT handler (or the
 * --timeout alarm) sets hs_interrupted, which C loops poll, and a hook that
 * raises the stop at the next call, return or count event.  LuaJIT checks
 * no hooks inside compiled traces, so a loop that never leaves a trace
 * cannot be stopped that way; hs.table's iteration helpers call
 * hs.core.checkpoint() every 64K rows (a C function, so the trace exits).
 * For what is still running after that -- a compiled loop of user code, or
 * C code between two checkpoints -- a second Ctrl-C (or the alarm 2 s after
 * the timeout) ends the process after removing our temporary files.
 *
 * A stop is raised once: whoever raises it (the hook, checkpoint(), a C
 * function that saw hs_checkpoint()) clears hs_interrupted first, and the
 * hook does nothing once it is clear, so it cannot fire again inside the
 * error handler ("error in error handling").
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "heapscope/graph.h"
#include "lua/embed.h"
#include "lua/hslua.h"

/* Functions Lua calls only through the FFI (ffi.C.*): named here so that the
** linker keeps them in the binary (-rdynamic exports them). */
__attribute__((used)) static void *const gaFfiOnly[] = {(void *)hs_profile_aggregate};

void (*hsL_on_exit)(void);

static lua_State *volatile gL;      /* state running the outermost protected call */
static volatile sig_atomic_t gnSig; /* Ctrl-C presses during that call */
static double grDeadline;           /* CLOCK_MONOTONIC seconds, 0: none */
static char gzCallee[128];          /* chunk of the function the outermost call runs */

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void hsL_set_limits(const hsL_limits *p) {
  hsL_g.lim = *p;
  grDeadline = 0;
}

static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  if (!hs_interrupted) return;                /* C code raised it already */
  hsL_raise_stop(L);
}

/* Leave now: write zMsg, remove our temporaries, save the REPL history. */
static void emergency_exit(const char *zMsg, size_t nMsg, int rc) {
  if (write(STDERR_FILENO, zMsg, nMsg) < 0) { /* nothing to do */
  }
  hs_index_abort_tmp();
  if (hsL_on_emergency_exit) hsL_on_emergency_exit();
  _exit(rc);
}

static void arm_stop(int iStop) {
  hsL_g.iStop = iStop;
  hs_interrupted = 1;
  if (gL) lua_sethook(gL, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void laction(int sig) {
  (void)sig;
  if (++gnSig >= 2) {
    static const char zMsg[] = "\nheapscope: interrupted (second Ctrl-C: the code running "
                               "did not reach a point where it could stop)\n";
    emergency_exit(zMsg, sizeof zMsg - 1, 130);
  }
  arm_stop(HSL_STOP_INT);
}

static void ltimeout(int sig) {
  (void)sig;
  if (hsL_g.iStop == HSL_STOP_TIMEOUT) {      /* 2 s later, still running */
    static const char zMsg[] = "\nheapscope: stopped: the script ran longer than --timeout "
                               "and did not reach a point where it could stop\n";
    emergency_exit(zMsg, sizeof zMsg - 1, 1);
  }
  arm_stop(HSL_STOP_TIMEOUT);
  struct itimerval it = {{0, 0}, {2, 0}};
  setitimer(ITIMER_REAL, &it, NULL);
}

/* Is a function's source (lua_Debug.source) heapscope's own Lua, the
** embedded core/lua and core/rules files?  Every test of "the user's code"
** below asks this. */
static int own_source(const char *zSource) { return strncmp(zSource, "@core/", 6) == 0; }

/* "core/DIR/NAME.lua:N: " at the start of z: heapscope's own code. */
static size_t lib_prefix(const char *z) {
  if (strncmp(z, "core/", 5) != 0) return 0;
  const char *p = strstr(z, ".lua:");
  const char *zNl = strchr(z, '\n');
  if (!p || (zNl && zNl < p)) return 0;
  p += 5;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') p++;
  if (p[0] != ':' || p[1] != ' ') return 0;
  return (size_t)(p + 2 - z);
}

/* Does z start with a position, "WHERE:N: "? */
static int has_where(const char *z) {
  const char *p = strstr(z, ": ");
  if (!p || memchr(z, '\n', (size_t)(p - z))) return 0;
  const char *q = p;
  while (q > z && q[-1] >= '0' && q[-1] <= '9') q--;
  return q < p && q > z && q[-1] == ':';
}

/* Push "FILE:LINE:" of the innermost frame running the user's code (a Lua
** function outside heapscope's own files, own_source); returns 0 if none. */
static int push_user_where(lua_State *L) {
  lua_Debug ar;
  for (int iLevel = 1; lua_getstack(L, iLevel, &ar); iLevel++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
    if (own_source(ar.source)) continue;
    lua_pushfstring(L, "%s:%d:", ar.short_src, ar.currentline);
    return 1;
  }
  /* A tail call (`return case.gc:top(5, "x")`) left no frame of the user's:
  ** name the chunk that was called, without a line. */
  if (gzCallee[0]) {
    lua_pushfstring(L, "%s:", gzCallee);
    return 1;
  }
  return 0;
}

/* Append a short rendering of the value at idx (a key or a field). */
static void add_scalar(lua_State *L, int idx, char *z, size_t nz) {
  size_t n = strlen(z);
  switch (lua_type(L, idx)) {
    case LUA_TSTRING:
      snprintf(z + n, nz - n, "\"%.40s\"", lua_tostring(L, idx));
      break;
    case LUA_TNUMBER:
      snprintf(z + n, nz - n, "%.14g", lua_tonumber(L, idx));
      break;
    case LUA_TBOOLEAN:
      snprintf(z + n, nz - n, "%s", lua_toboolean(L, idx) ? "true" : "false");
      break;
    default:
      snprintf(z + n, nz - n, "(%s)", luaL_typename(L, idx));
  }
}

/* Push a readable line for an error value that is not a string: its
** __tostring, or its type and, for a table, up to 8 of its fields. */
static void push_error_value(lua_State *L, int idx) {
  if (luaL_callmeta(L, idx, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return;
  if (!lua_istable(L, idx)) {
    lua_pushfstring(L, "error raised with a %s value", luaL_typename(L, idx));
    return;
  }
  char z[512] = "error raised with a table value: {";
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {             /* ... key value */
    size_t nz = strlen(z);
    if (n++ == 8) {
      snprintf(z + nz, sizeof z - nz, ", ...");
      lua_pop(L, 2);
      break;
    }
    if (n > 1) snprintf(z + nz, sizeof z - nz, ", ");
    if (lua_type(L, -2) == LUA_TSTRING) {
      nz = strlen(z);
      snprintf(z + nz, sizeof z - nz, "%.40s", lua_tostring(L, -2));
    } else {
      strncat(z, "[", sizeof z - strlen(z) - 1);
      add_scalar(L, -2, z, sizeof z);
      strncat(z, "]", sizeof z - strlen(z) - 1);
    }
    strncat(z, " = ", sizeof z - strlen(z) - 1);
    add_scalar(L, -1, z, sizeof z);
    lua_pop(L, 1);                            /* ... key */
  }
  strncat(z, "}", sizeof z - strlen(z) - 1);
  lua_pushstring(L, z);
}

/* Push zMsg followed by the user's part of the stack: the frames of Lua
** code outside heapscope's own files (own_source), innermost first.  The
** message already names the innermost one, so a traceback follows only
** when there are more (the user's functions calling each other). */
static void push_user_traceback(lua_State *L, const char *zMsg) {
  luaL_Buffer b;
  lua_Debug ar;
  int nUser = 0;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, zMsg);
  for (int iLevel = 1; lua_getstack(L, iLevel, &ar); iLevel++) {
    if (!lua_getinfo(L, "Sln", &ar) || strcmp(ar.what, "C") == 0) continue;
    if (own_source(ar.source)) continue;
    char z[300];
    if (*ar.what == 'm')
      snprintf(z, sizeof z, "\n\t%s:%d: in main chunk", ar.short_src, ar.currentline);
    else if (ar.name)
      snprintf(z, sizeof z, "\n\t%s:%d: in function '%s'", ar.short_src, ar.currentline,
               ar.name);
    else
      snprintf(z, sizeof z, "\n\t%s:%d: in the function at line %d", ar.short_src,
               ar.currentline, ar.linedefined);
    if (nUser++ == 0) continue;               /* the message's own place */
    if (nUser == 2) luaL_addstring(&b, "\nstack traceback (your code):");
    luaL_addstring(&b, z);
    if (nUser > 20) {
      luaL_addstring(&b, "\n\t...");
      break;
    }
  }
  luaL_pushresult(&b);
}

/* "bad argument #N to 'f' (why)" raised by a C function that heapscope's
** own Lua called (a method's inner call): N and f are the inner call's,
** not what the user wrote.  Pushes zMsg with that part as "bad argument to
** M (why)", M the method the user's code called (the outermost of the
** core/lua frames); returns 0, pushing nothing, when it is not so. */
static int push_inner_argerror(lua_State *L, const char *zMsg) {
  const char *z = strstr(zMsg, "bad argument #");
  const char *zWhy = z ? strstr(z, "' (") : NULL;
  lua_Debug ar;
  if (!zWhy || !lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar) ||
      strcmp(ar.what, "C") != 0)
    return 0;
  char zName[64] = "";
  int nCore = 0;
  for (int i = 2; lua_getstack(L, i, &ar) && lua_getinfo(L, "Sn", &ar); i++, nCore++) {
    if (!own_source(ar.source)) break;
    /* a method or field name is the call the user wrote; after a tail
    ** call LuaJIT names the caller's call instead (a local or global) */
    int bNamed = ar.name && ar.namewhat &&
                 (strcmp(ar.namewhat, "method") == 0 || strcmp(ar.namewhat, "field") == 0);
    snprintf(zName, sizeof zName, "%s", bNamed ? ar.name : "");
  }
  if (nCore == 0) return 0;                   /* the user called f itself */
  lua_pushlstring(L, zMsg, (size_t)(z - zMsg));
  lua_pushfstring(L, "%s%s%s%s", lua_tostring(L, -1),
                  zName[0] ? "bad argument to " : "bad argument", zName, zWhy + 1);
  lua_remove(L, -2);
  return 1;
}

/* The message handler of every protected call: the error says where in the
** user's code it happened (not inside heapscope's own Lua files), a
** non-string error value is described, and the user's own frames follow
** (push_user_traceback). */
static int msghandler(lua_State *L) {
  lua_sethook(L, NULL, 0, 0);                 /* no stop inside the handler */
  const char *zMsg = lua_tostring(L, 1);
  if (zMsg == NULL) {                         /* error({}), error(nil) ... */
    push_error_value(L, 1);
    if (push_user_where(L)) {
      lua_pushliteral(L, " ");
      lua_pushvalue(L, -3);
      lua_concat(L, 3);
    }
    zMsg = lua_tostring(L, -1);
  } else {
    if (push_inner_argerror(L, zMsg)) zMsg = lua_tostring(L, -1);
    size_t nLib = lib_prefix(zMsg);
    if ((nLib || !has_where(zMsg)) && push_user_where(L)) { /* "FILE:LINE: what", the user's */
      lua_pushfstring(L, "%s %s", lua_tostring(L, -1), zMsg + nLib);
      zMsg = lua_tostring(L, -1);
    }
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
  push_user_traceback(L, zMsg);
  return 1;
}

/* --max-memory: LuaJIT's allocation function counting against the limit. */
static void *lalloc(void *pUd, void *p, size_t nOld, size_t nNew) {
  (void)pUd;
  size_t nHad = p ? nOld : 0;
  if (nNew == 0) {
    hsL_g.nMem -= nHad;
    free(p);
    return NULL;
  }
  if (nNew > nHad && hsL_g.nMem - nHad + nNew > hsL_g.lim.nMaxMem) {
    hsL_g.bMemHit = 1;
    return NULL;
  }
  void *q = realloc(p, nNew);
  if (q) hsL_g.nMem = hsL_g.nMem - nHad + nNew;
  return q;
}

int hsL_docall(lua_State *L, int narg, int nres) {
  int iBase = lua_gettop(L) - narg;           /* function index */
  lua_pushcfunction(L, msghandler);
  lua_insert(L, iBase);                       /* msghandler below the function */
  int bOuter = gL == NULL;
  struct sigaction sa, saOld, saAlrm;
  if (bOuter) {                               /* nested calls share the handlers */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = laction;
    sigemptyset(&sa.sa_mask);
    gnSig = 0;
    hsL_g.iStop = HSL_STOP_NONE;
    hs_interrupted = 0;
    hsL_g.bMemHit = 0;
    sigaction(SIGINT, &sa, &saOld);
    if (hsL_g.lim.rTimeout > 0) {
      if (grDeadline == 0) grDeadline = now_mono() + hsL_g.lim.rTimeout;
      double rLeft = grDeadline - now_mono();
      if (rLeft < 1e-3) rLeft = 1e-3;
      sa.sa_handler = ltimeout;
      sigaction(SIGALRM, &sa, &saAlrm);
      struct itimerval it = {{0, 0}, {(time_t)rLeft, (suseconds_t)(fmod(rLeft, 1) * 1e6)}};
      setitimer(ITIMER_REAL, &it, NULL);
    }
    gL = L;
    lua_Debug ar;
    gzCallee[0] = 0;
    lua_pushvalue(L, iBase + 1);
    if (lua_getinfo(L, ">S", &ar) && strcmp(ar.what, "C") != 0 && !own_source(ar.source))
      snprintf(gzCallee, sizeof gzCallee, "%s", ar.short_src);
  }
  int status = lua_pcall(L, narg, nres, iBase);
  if (bOuter) {
    if (hsL_g.lim.rTimeout > 0) {
      struct itimerval it = {{0, 0}, {0, 0}};
      setitimer(ITIMER_REAL, &it, NULL);
      sigaction(SIGALRM, &saAlrm, NULL);
    }
    sigaction(SIGINT, &saOld, NULL);
    gL = NULL;
    gnSig = 0;
    hs_interrupted = 0;
    lua_sethook(L, NULL, 0, 0);
    if (status == 0) hsL_g.iStop = HSL_STOP_NONE; /* a stop the code caught itself */
  }
  lua_remove(L, iBase);                       /* msghandler */
  return status;
}

void hsL_report(lua_State *L, int status) {
  if (status == 0) return;
  const char *zMsg = lua_tostring(L, -1);
  if (status == LUA_ERRMEM && hsL_g.bMemHit) {
    char z[32];
    hs_fmt_bytes(hsL_g.lim.nMaxMem, z, sizeof z);
    fprintf(stderr, "heapscope: stopped: the script needed more than --max-memory (%s)\n", z);
  } else if (hsL_g.bMemHit && zMsg && strstr(zMsg, "--max-memory")) {
    fprintf(stderr, "heapscope: %.*s\n", (int)strcspn(zMsg, "\n"), zMsg);
  } else if (hsL_g.iStop != HSL_STOP_NONE) {  /* the stop, without a traceback */
    fprintf(stderr, "heapscope: %.*s\n", zMsg ? (int)strcspn(zMsg, "\n") : 0, zMsg ? zMsg : "");
    if (!zMsg || !strstr(zMsg, hsL_stop_message()))
      fprintf(stderr, "heapscope: %s\n", hsL_stop_message());
  } else
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

/* The cases hsL_newstate hands to hs._init (setup runs in protected mode
** and takes no light userdata argument; STYLE.md). */
static hs_caselist *gpInitCases;

/* Everything a new state needs, run as a protected call: an error (out of
** memory, a broken embedded module) is reported, never a panic.  Cases
** handed over are NULLed in gpInitCases as userdata take them. */
static int setup(lua_State *L) {
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
  /* hs = require "hs"; hs._init(cases); the registry keeps hs for the CLI,
  ** which must work whatever the user does to the global */
  lua_getglobal(L, "require");
  lua_pushstring(L, "hs");
  lua_call(L, 1, 1);                          /* hs */
  lua_pushvalue(L, -1);
  lua_setglobal(L, "hs");
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, HSL_MODULE_KEY);
  lua_getfield(L, -1, "_init");
  lua_newtable(L);                            /* hs _init list */
  hs_caselist *pCl = gpInitCases;
  for (int i = 0; pCl && i < pCl->nCase; i++) {
    hsL_pushcase(L, pCl->apCase[i]);
    pCl->apCase[i] = NULL;
    lua_rawseti(L, -2, i + 1);
  }
  lua_call(L, 1, 0);                          /* hs */
  return 0;
}

lua_State *hsL_newstate(hs_caselist *pCases) {
  lua_State *L = hsL_g.lim.nMaxMem ? lua_newstate(lalloc, NULL) : luaL_newstate();
  if (!L) {
    fprintf(stderr, "heapscope: cannot create a Lua state (out of memory)\n");
    if (pCases) hs_caselist_free(pCases);
    return NULL;
  }
  gpInitCases = pCases;
  lua_pushcfunction(L, setup);
  int status = hsL_docall(L, 0, 0);
  gpInitCases = NULL;
  if (pCases) hs_caselist_free(pCases);       /* what setup did not take */
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
