/*
 * heapscope command line: one binary, a few verbs (DESIGN.md "Command line").
 *
 *   heapscope [INPUT...]                 REPL on a terminal; Lua from stdin when
 *                                        stdin is a pipe or file; else a summary
 *   heapscope -e CODE [INPUT...]         run a Lua chunk, print what it returns
 *   heapscope run SCRIPT [INPUT...] [-- ARG...]
 *   heapscope info INPUT...              what was loaded, per case
 *   heapscope check [OPTIONS] INPUT...   run detectors, report findings (check.c)
 *   heapscope report -o FILE INPUT...    check as one HTML page (check.c, report/html.c)
 *   heapscope detectors                  what detectors are installed (check.c)
 *
 * Exit status: 0 fine; 1 a Lua error (or a script's own status); 2 bad usage
 * or an input that could not be loaded (the other cases are still reported).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <luajit.h>

#include "base/base.h"
#include "cli/args.h"
#include "heapscope/heap.h"
#include "cli/cli.h"
#include "heapscope/graph.h"
#include "lua/hslua.h"
#include "lua/repl.h"

/* heapscope diff: every argument a case of its own (its first: the record
** of files that are not evidence comes after), then hs.diff; one argument:
** the series that case holds. */
static const char zDiff[] =
    "local c = {}\n"
    "if #DIFF_INPUTS == 1 then return tostring(hs.diff((hs.load(DIFF_INPUTS[1])))) end\n"
    "for i, p in ipairs(DIFF_INPUTS) do\n"
    "  c[i] = hs.load(p)\n"
    "  if not c[i].heap then error(p .. ': no heap dump in it; diff compares heap dumps', 0) end\n"
    "end\n"
    "return tostring(hs.diff(c[1], c[2], c[3]))\n";

static const char zUsage[] =
    "heapscope " HS_VERSION " -- where does a Go process's memory go, and why does it\n"
    "not come back?\n"
    "\n"
    "Usage:\n"
    "  heapscope [OPTIONS] [INPUT...]\n"
    "      explore in the Lua REPL (on a terminal)\n"
    "  heapscope [OPTIONS] -e CODE [INPUT...]\n"
    "      run a Lua chunk, print what it returns\n"
    "  heapscope [OPTIONS] run SCRIPT [INPUT...] [-- ARG...]\n"
    "      run a Lua script (ARGs in `arg`)\n"
    "  heapscope [OPTIONS] info INPUT...\n"
    "      what was loaded, per case\n"
    "  heapscope [OPTIONS] check [CHECK-OPTIONS] INPUT...\n"
    "      run detectors over each case, report findings (exit 1 at --fail-on or\n"
    "      above)\n"
    "  heapscope [OPTIONS] report [CHECK-OPTIONS] -o FILE INPUT...\n"
    "      check's findings and charts (with a diff view for a series) as one self-\n"
    "      contained HTML page (--format html, --fail-on never)\n"
    "  heapscope [OPTIONS] detectors [--rules DIR]\n"
    "      list detectors, evidence, parameters\n"
    "  heapscope [OPTIONS] diff BASE TARGET [FINAL]\n"
    "      what grew between heap dumps of one process, by site, type and holder;\n"
    "      with FINAL, only what TARGET added and FINAL still holds (each argument\n"
    "      is one case)\n"
    "  heapscope [OPTIONS] diff CASE\n"
    "      the same over the series CASE holds (3 dumps: as BASE TARGET FINAL; else\n"
    "      each pair), its profiles as pprof -diff_base shows them, growth rates\n"
    "\n"
    "INPUT is any evidence a Go process leaves, recognised by its content (never its\n"
    "name): heap dumps (runtime/debug.WriteHeapDump), pprof profiles, goroutine\n"
    "dumps, gctrace logs, MemStats JSON, Prometheus metrics, /proc and cgroup memory\n"
    "files; plain, compressed (.gz .xz .zst .bz2) or inside archives (.tar.* .zip).\n"
    "\n"
    "A case is the evidence of one process, analysed together. The INPUT arguments\n"
    "make the cases: the files named on the command line (not directories or\n"
    "archives) form one case, named after the first; so does each directory holding\n"
    "evidence (its own files; subdirectories are cases of their own), each top-level\n"
    "directory of an archive, and the loose files at an archive's root.\n"
    "Several heap dumps, or profiles of one kind, in one case are a series, ordered\n"
    "by what they say (a dump's GC count, a profile's time; file names break ties):\n"
    "case.heap and case.profiles.KIND are the latest, case.heaps and\n"
    "case.profile_series.KIND the series; `info` shows the order.\n"
    "\n"
    "Options:\n"
    "  -e CODE          run CODE (Lua) with `case` (the first case) and `cases` set\n"
    "  --no-cache       do not read or write heap index files\n"
    "  --binary FILE    the Go executable that wrote the dump: names types, globals,\n"
    "                   inlined frames (an ELF with Go build info among the inputs\n"
    "                   is used the same way)\n"
    "  --max-bytes SIZE decode at most SIZE bytes per compressed file or archive\n"
    "                   member (K, M, G, T; default a quarter of the machine's\n"
    "                   memory)\n"
    "  --max-total SIZE hold at most SIZE decoded bytes in all (default half of the\n"
    "                   machine's memory); past either, that input is an error\n"
    "  --timeout SECS   stop the Lua code (-e, run, a script on stdin) after SECS\n"
    "                   seconds (30, 2.5s, 10m, 1h); exit status 1; in check, each\n"
    "                   case runs in a worker stopped after SECS (that case's error)\n"
    "  --max-memory SIZE  stop the Lua code when its heap and the tables it builds\n"
    "                   need more than SIZE (512M, 2G); exit status 1\n"
    "  -q, --quiet      no progress on stderr\n"
    "  -h, --help       this text\n"
    "  -V, --version    print the version\n"
    "\n"
    "In Lua (REPL, -e, scripts): case.name, case.inputs, case.warnings,\n"
    "case.tables, case.gc, case.memstats, case.goroutines, case.metrics, case.proc,\n"
    "case.profiles.KIND, case.heap; every table supports #t, t[i], t:where(fn),\n"
    "t:select(...), t:sort(col), t:top(n, col), t:group_by(col):count() / :sum(col),\n"
    "t:each(). Type help() in the REPL.\n"
    "\n"
    "%s"
    "\n"
    "Examples:\n"
    "  heapscope info samples/go1.23/leaky\n"
    "  heapscope -e 'return case.gc:top(5, \"heap_end\")' gctrace.log\n"
    "  heapscope -e 'return case.goroutines:group_by(\"state\"):count()' goroutines.txt\n"
    "  heapscope run myscript.lua dumps.tar.gz -- --threshold 10\n"
    "  heapscope heap.dump.xz     # then, at hs>: case.heap:top_retainers(10)\n"
    "  heapscope check --format json samples/go1.23/leaky\n"
    "  heapscope check --detector goroutine-leak \\\n"
    "      --set goroutine-leak.min_count=20 dumps/\n"
    "  heapscope diff heap1.dump.xz heap2.dump.xz heap3.dump.xz\n"
    "  heapscope diff samples/series/go1.23/growth   # a directory holding a series\n"
    "\n"
    "Exit status: 0 ok; 1 a Lua error (check: a finding at or above --fail-on); 2 bad\n"
    "usage or an input that could not be loaded; 130 interrupted (Ctrl-C).\n"
    "\n"
    "Environment:\n"
    "  HEAPSCOPE_THREADS=1|2   threads for loading dumps and building graphs\n"
    "                          (default: 2 where the machine has two cores or more)\n"
    "  HEAPSCOPE_PATH=DIR:...  more plugin directories (they may override stock ones)\n"
    "  NO_COLOR                check prints no colour on a terminal\n";

/* "  KIND        description" with the description wrapped at 80 columns
** under itself (the registry's descriptions are one line each). */
static void print_wrapped(const char *zKind, const char *zDesc) {
  int nCol = printf("  %-11s", zKind);
  while (*zDesc) {
    size_t nWord = strcspn(zDesc, " ");
    if (nCol + 1 + (int)nWord > 80 && nCol > 14) nCol = printf("\n%13s", "") - 1;
    nCol += printf(" %.*s", (int)nWord, zDesc);
    zDesc += nWord;
    while (*zDesc == ' ') zDesc++;
  }
  printf("\n");
}

static void usage_error(char *zMsg) {
  fprintf(stderr, "heapscope: %s\nTry 'heapscope --help'.\n", zMsg ? zMsg : "out of memory");
  free(zMsg);
  exit(2);
}

/* Progress for long loads: one self-overwriting line on a terminal. */
static void progress(void *pArg, const char *zWhat, uint64_t nDone, uint64_t nTotal) {
  (void)pArg;
  hs_progress_done();                         /* a stage line of the last input */
  if (zWhat && nTotal > nDone)
    fprintf(stderr, "\r\033[Kloading %llu/%llu %s", (unsigned long long)nDone + 1,
            (unsigned long long)nTotal, zWhat);
  else if (zWhat)                             /* a streamed walk: no total yet */
    fprintf(stderr, "\r\033[Kloading input %llu: %s", (unsigned long long)nDone + 1, zWhat);
  else
    fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

/* Print load warnings and errors on stderr (if bPrint); returns the number
** of inputs that could not be loaded. */
static int report_diags(const hs_caselist *pCl, int bPrint) {
  int nErr = 0;
  for (int i = 0; i < pCl->nCase; i++) {
    const hs_case *c = pCl->apCase[i];
    for (int k = 0; k < c->nDiag; k++) {
      const hs_diag *d = &c->aDiag[k];
      if (!bPrint || d->level == HS_INFO) continue;
      char *z = hs_diag_text(d);
      if (z) fprintf(stderr, "%s\n", z);
      free(z);
    }
    nErr += c->nError;
  }
  return nErr;
}

/* Call the function on the stack top; print what it returns with hs.format. */
static int call_and_print(lua_State *L, int nArg) {
  int iBase = lua_gettop(L) - nArg - 1;
  int status = hsL_docall(L, nArg, LUA_MULTRET);
  if (status != 0) {
    hsL_report(L, status);
    return 1;
  }
  int nRes = lua_gettop(L) - iBase;
  if (nRes > 0) {
    lua_getfield(L, LUA_REGISTRYINDEX, HSL_MODULE_KEY);
    lua_getfield(L, -1, "format");            /* res... hs format */
    lua_remove(L, -2);
    for (int i = 1; i <= nRes; i++) {
      lua_pushvalue(L, -1);
      lua_pushvalue(L, iBase + i);
      if (hsL_docall(L, 1, 1) != 0) {
        hsL_report(L, 1);
        lua_settop(L, iBase);
        return 1;
      }
      fputs(lua_tostring(L, -1) ? lua_tostring(L, -1) : "", stdout);
      fputs(i < nRes ? "\t" : "\n", stdout);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, iBase);
  return 0;
}

/* `run`: the script gets `arg` (script name at 0, ARGs from 1) and the ARGs
** as `...`; a number it returns becomes the exit status. */
static int run_script(lua_State *L, const hs_cli *p) {
  lua_createtable(L, p->nArg, 1);
  lua_pushstring(L, p->zScript);
  lua_rawseti(L, -2, 0);
  for (int i = 0; i < p->nArg; i++) {
    lua_pushstring(L, p->azArg[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
  if (luaL_loadfile(L, p->zScript) != 0) {
    fprintf(stderr, "heapscope: cannot load script: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 2;
  }
  for (int i = 0; i < p->nArg; i++) lua_pushstring(L, p->azArg[i]);
  int status = hsL_docall(L, p->nArg, 1);
  if (status != 0) {
    hsL_report(L, status);
    return 1;
  }
  int rc = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  return rc;
}

/* What `info` prints, and `heapscope INPUT...` without a terminal. */
static const char zSummary[] =
    "local out = {} for _, c in ipairs(cases) do out[#out+1] = c:summary() end "
    "return table.concat(out, '\\n\\n')";

/* Run a Lua chunk and print what it returns. */
static int print_lua(lua_State *L, const char *zCode, const char *zChunk) {
  if (luaL_loadbuffer(L, zCode, strlen(zCode), zChunk) != 0) {
    hsL_report(L, 1);
    return 1;
  }
  return call_and_print(L, 0);
}

static int is_verb(const hs_cli *p, const char *zVerb) {
  return p->zVerb && strcmp(p->zVerb, zVerb) == 0;
}

/* Ctrl-C while loading: loaders poll hs_checkpoint() and keep what they
** read; a second press ends the process at once.  Lua installs its own
** handler while it runs. */
static void on_sigint_loading(int sig) {
  (void)sig;
  if (hs_interrupted) {
    static const char zMsg[] = "\nheapscope: interrupted\n";
    if (write(STDERR_FILENO, zMsg, sizeof zMsg - 1) < 0) { /* nothing to do */
    }
    hs_index_abort_tmp();
    _exit(130);
  }
  hs_interrupted = 1;
}

/* Settings the CLI gives the prelude and hs (run protected: hsL_docall). */
static int configure(lua_State *L) {
  int nCol = (int)lua_tointeger(L, 1);
  int bNoCache = lua_toboolean(L, 2);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.show");
  lua_call(L, 1, 1);
  lua_pushinteger(L, nCol);
  lua_setfield(L, -2, "width");
  lua_pop(L, 1);
  if (bNoCache) {
    lua_getfield(L, LUA_REGISTRYINDEX, HSL_MODULE_KEY);
    lua_getfield(L, -1, "open_options");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "nocache");
    lua_pop(L, 2);
  }
  return 0;
}

int main(int argc, char **argv) {
  hs_heap_reopen = hs_index_reopen;           /* a dump with a current index skips its objects */
  hs_cli a;
  char *zErr = NULL;
  int iParse = hs_cli_parse(argc, argv, &a, &zErr);
  if (iParse != HS_CLI_RUN) hs_cli_free(&a);
  switch (iParse) {
    case HS_CLI_HELP:
      printf(zUsage, hs_check_usage);
      printf("\nEvidence kinds recognised (by content, in this order):\n");
      for (int k = 0; hs_loaders[k]; k++) print_wrapped(hs_loaders[k]->zKind, hs_loaders[k]->zDesc);
      return 0;
    case HS_CLI_VERSION:
      printf("heapscope %s (%s)\n", HS_VERSION, LUAJIT_VERSION);
      return 0;
    case HS_CLI_USAGE:
      usage_error(zErr);
  }
  hsL_limits lim = {a.rTimeout, a.nMaxMemory};
  hsL_set_limits(&lim);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint_loading;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);

  hs_open_opts o;
  hs_open_opts_init(&o);
  if (a.bNoCache) o.caseFlags |= HS_CASE_NOCACHE;
  if (a.nMaxBytes) o.limits.nMaxBytes = a.nMaxBytes;
  o.zBinary = a.zBinary;
  if (a.nMaxTotal) o.limits.nMaxTotal = a.nMaxTotal;
  if (!a.bQuiet && isatty(STDERR_FILENO)) {
    o.xProgress = progress;
    hs_progress_enable(1);                    /* long stages: core/base/progress.c */
  }
  if (is_verb(&a, "check") || is_verb(&a, "report")) { /* loads case by case itself */
    a.check.rCaseTimeout = a.rTimeout;
    int rc = hs_check_main(&a.check, a.azInput, a.nInput, &o, a.bQuiet);
    hs_cli_free(&a);
    return rc;
  }
  hs_caselist cl;
  /* diff loads each argument as a case of its own (hs.load, in Lua) */
  int bDiff = is_verb(&a, "diff");
  int bOom = hs_open(a.azInput, bDiff ? 0 : a.nInput, &o, &cl) != HS_OK;
  int bInfo = is_verb(&a, "info");
  int nLoadErr = report_diags(&cl, !bInfo) + bOom; /* info prints them itself */
  if (bOom)
    fprintf(stderr, "heapscope: out of memory while loading; %d case%s loaded before it %s kept\n",
            cl.nCase, cl.nCase == 1 ? "" : "s", cl.nCase == 1 ? "is" : "are");
  if (hs_interrupted) {
    fprintf(stderr, "heapscope: interrupted\n");
    hs_caselist_free(&cl);
    hs_cli_free(&a);
    return 130;
  }
  lua_State *L = hsL_newstate(&cl);
  if (!L) {
    hs_cli_free(&a);
    return hsL_stopped() == HSL_STOP_INT ? 130 : 2;
  }
  /* output width: the terminal's, or unlimited for pipes and files */
  struct winsize ws;
  int nCol = 1000000;
  if (isatty(STDOUT_FILENO))
    nCol = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
  lua_pushcfunction(L, configure);
  lua_pushinteger(L, nCol);
  lua_pushboolean(L, a.bNoCache);
  int rc = hsL_docall(L, 2, 0);
  if (rc != 0) {
    hsL_report(L, rc);
    rc = 1;
  } else if (a.zCode) {
    rc = print_lua(L, a.zCode, "=(command line)");
  } else if (a.zVerb && strcmp(a.zVerb, "run") == 0) {
    rc = run_script(L, &a);
  } else if (bInfo) {
    rc = print_lua(L, zSummary, "=summary");
  } else if (is_verb(&a, "detectors")) {
    rc = hs_detectors_run(L, &a.check);
  } else if (bDiff) {
    lua_createtable(L, a.nInput, 0);          /* DIFF_INPUTS: the arguments */
    for (int i = 0; i < a.nInput; i++) {
      lua_pushstring(L, a.azInput[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "DIFF_INPUTS");
    rc = print_lua(L, zDiff, "=diff");
  } else if (isatty(STDIN_FILENO)) {
    rc = hsL_repl(L, NULL);
  } else {
    struct stat st;
    int bScript = fstat(STDIN_FILENO, &st) == 0 &&
                  (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
                   (S_ISREG(st.st_mode) && st.st_size > 0));
    if (bScript)
      rc = hsL_run_stdin(L);
    else
      rc = print_lua(L, zSummary, "=summary");
  }
  if (rc != 0 && hsL_stopped() == HSL_STOP_INT) rc = 130;
  hsL_close(L);
  hs_cli_free(&a);
  if (rc == 0 && nLoadErr > 0) rc = 2;
  return rc;
}
