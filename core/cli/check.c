/*
 * `heapscope check` and `heapscope detectors`: the rule engine
 * (core/rules/rules.lua) over the loaded cases, through one writer of
 * core/report/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/report.h"

const char hs_check_usage[] =
    "Check options:\n"
    "  --pack NAME|FILE    rule pack to run (default: default; ci is stricter)\n"
    "  --detector ID       run only this detector (repeatable)\n"
    "  --set ID.PARAM=VALUE  override a detector parameter (see heapscope detectors)\n"
    "  --rules DIR         also load plugins from DIR (repeatable; later ones override)\n"
    "  --format FMT        text (default) or json\n"
    "  -o FILE             write the report to FILE instead of stdout\n"
    "  --fail-on LEVEL     exit 1 when a finding is at or above LEVEL: info, warning\n"
    "                      (default), error, or never\n"
    "  --budget N          VM instructions a detector may use per case (default 1e9)\n";

static void check_usage(const char *zMsg, const char *zArg) {
  fprintf(stderr, "heapscope: %s%s%s\nTry 'heapscope --help'.\n", zMsg, zArg ? ": " : "",
          zArg ? zArg : "");
  exit(2);
}

static const char *value(int argc, char **argv, int *pi) {
  if (*pi + 1 >= argc) check_usage("option needs a value", argv[*pi]);
  return argv[++*pi];
}

int hs_check_option(hs_check_opts *o, int argc, char **argv, int *pi) {
  const char *z = argv[*pi];
  if (!o->azRules) {
    o->azRules = calloc(argc, sizeof *o->azRules);
    o->azDetector = calloc(argc, sizeof *o->azDetector);
    o->azSet = calloc(argc, sizeof *o->azSet);
    if (!o->azRules || !o->azDetector || !o->azSet) check_usage("out of memory", NULL);
  }
  if (strcmp(z, "--pack") == 0) {
    o->zPack = value(argc, argv, pi);
  } else if (strcmp(z, "--rules") == 0) {
    o->azRules[o->nRules++] = value(argc, argv, pi);
  } else if (strcmp(z, "--detector") == 0) {
    o->azDetector[o->nDetector++] = value(argc, argv, pi);
  } else if (strcmp(z, "--set") == 0) {
    const char *zv = value(argc, argv, pi);
    if (!strchr(zv, '=') || !strchr(zv, '.') || strchr(zv, '.') > strchr(zv, '='))
      check_usage("--set expects ID.PARAM=VALUE", zv);
    o->azSet[o->nSet++] = zv;
  } else if (strcmp(z, "--format") == 0) {
    o->zFormat = value(argc, argv, pi);
    if (!hs_writer_find(o->zFormat)) {
      fprintf(stderr, "heapscope: --format %s: unknown format; formats:", o->zFormat);
      for (int i = 0; hs_writers[i]; i++) fprintf(stderr, " %s", hs_writers[i]->zName);
      check_usage("", NULL);
    }
  } else if (strcmp(z, "-o") == 0 || strcmp(z, "--output") == 0) {
    o->zOut = value(argc, argv, pi);
  } else if (strcmp(z, "--fail-on") == 0) {
    const char *zv = value(argc, argv, pi);
    o->eFailOn = hs_severity(zv, strlen(zv));
    if (!o->eFailOn) check_usage("--fail-on expects info, warning, error or never", zv);
  } else if (strcmp(z, "--budget") == 0) {
    const char *zv = value(argc, argv, pi);
    char *zEnd;
    o->nBudget = strtod(zv, &zEnd);
    if (*zEnd || !(o->nBudget >= 1000)) check_usage("--budget expects a number of instructions (>= 1000)", zv);
  } else {
    return 0;
  }
  return 1;
}

static void push_strings(lua_State *L, const char *const *az, int n, const char *zField) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, az[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, zField);
}

/* Push require("hs.rules")[zFn] and the options table the engine takes. */
static void push_call(lua_State *L, const char *zFn, const hs_check_opts *o, int bQuiet) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.rules");
  lua_call(L, 1, 1);                          /* R */
  lua_getfield(L, -1, zFn);
  lua_remove(L, -2);                          /* fn */
  lua_newtable(L);                            /* fn opts */
  if (o->zPack) {
    lua_pushstring(L, o->zPack);
    lua_setfield(L, -2, "pack");
  }
  push_strings(L, o->azRules, o->nRules, "rules");
  push_strings(L, o->azDetector, o->nDetector, "detector");
  push_strings(L, o->azSet, o->nSet, "set");
  if (o->nBudget > 0) {
    lua_pushnumber(L, o->nBudget);
    lua_setfield(L, -2, "budget");
  }
  lua_pushstring(L, hs_severity_name(o->eFailOn ? o->eFailOn : HS_SEV_WARNING));
  lua_setfield(L, -2, "fail_on");
  lua_pushboolean(L, bQuiet);
  lua_setfield(L, -2, "quiet");
}

/* After a call that returns (value) or (nil, usage message): 0 with the
** value on the stack, or 2 after printing the message. */
static int usage_result(lua_State *L) {
  if (!lua_isnil(L, -2)) {
    lua_pop(L, 1);
    return 0;
  }
  fprintf(stderr, "heapscope: %s\nTry 'heapscope detectors' and 'heapscope --help'.\n",
          lua_tostring(L, -1));
  lua_pop(L, 2);
  return 2;
}

int hs_check_run(lua_State *L, const hs_check_opts *o, int bQuiet) {
  int iTop = lua_gettop(L);
  const hs_writer *w = hs_writer_find(o->zFormat ? o->zFormat : "text");
  int eFailOn = o->eFailOn ? o->eFailOn : HS_SEV_WARNING;
  push_call(L, "cli_begin", o, bQuiet);
  if (hsL_docall(L, 1, 2) != 0) {
    hsL_report(L, 1);
    return 2;
  }
  if (usage_result(L)) return 2;
  size_t nRun;
  const char *pRun = lua_tolstring(L, -1, &nRun);
  FILE *out = stdout;
  if (o->zOut && !(out = fopen(o->zOut, "w"))) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    lua_settop(L, iTop);
    return 2;
  }
  hs_report rep;
  memset(&rep, 0, sizeof rep);
  rep.bColour = isatty(fileno(out)) && !getenv("NO_COLOR");
  int rc = hs_report_begin(&rep, w, out, eFailOn, pRun, nRun);
  lua_pop(L, 1);
  lua_getglobal(L, "hs");
  lua_getfield(L, -1, "cases");
  int nCase = (int)lua_objlen(L, -1);
  lua_pop(L, 2);
  int bEngineError = 0;
  for (int i = 1; i <= nCase && rc == 0; i++) {
    lua_getglobal(L, "require");
    lua_pushliteral(L, "hs.rules");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "cli_case");
    lua_remove(L, -2);
    lua_pushinteger(L, i);
    if (hsL_docall(L, 1, 1) != 0) {           /* a bug in the engine, not a plugin */
      hsL_report(L, 1);
      bEngineError = 1;
      continue;
    }
    size_t n;
    const char *p = lua_tolstring(L, -1, &n);
    rc = hs_report_case(&rep, p, n);
    lua_pop(L, 1);
  }
  int status = rc == 0 ? hs_report_end(&rep) : -1;
  if (status < 0) {
    fprintf(stderr, "heapscope: writing the report to %s: %s\n", o->zOut ? o->zOut : "stdout",
            strerror(errno));
    status = 2;
  }
  if (out != stdout && fclose(out) != 0 && status != 2) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    status = 2;
  }
  lua_settop(L, iTop);
  return bEngineError ? 2 : status;
}

int hs_detectors_run(lua_State *L, const hs_check_opts *o) {
  push_call(L, "cli_detectors", o, 0);
  if (hsL_docall(L, 1, 2) != 0) {
    hsL_report(L, 1);
    return 2;
  }
  if (usage_result(L)) return 2;
  puts(lua_tostring(L, -1));
  lua_pop(L, 1);
  return 0;
}
