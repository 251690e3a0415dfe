/*
 * `heapscope check` and `heapscope detectors`: the rule engine
 * (core/rules/rules.lua) over the loaded cases, through one writer of
 * core/report/.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/base.h"
#include "cli/cli.h"
#include "cli/wire.h"
#include "report/report.h"

/* Where the text report wraps: a terminal's width (80 when it does not
** say), else $COLUMNS when set, else nowhere (a file or pipe keeps one
** line per item for grep). */
static int text_width(FILE *out) {
  struct winsize ws;
  if (isatty(fileno(out)))
    return ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 ? ws.ws_col : 80;
  const char *z = getenv("COLUMNS");
  int n = z ? atoi(z) : 0;
  return n >= 40 ? n : 0;
}

const char hs_check_usage[] =
    "Check options:\n"
    "  --pack NAME|FILE    rule pack to run (default: default; ci is stricter)\n"
    "  --detector ID       run only this detector (repeatable)\n"
    "  --set ID.PARAM=VALUE  override a detector parameter (see heapscope detectors)\n"
    "  --rules DIR         also load plugins from DIR (repeatable; later ones\n"
    "                      override)\n"
    "  --format FMT        text (default), json, jsonl, msgpack, junit or html\n"
    "  -o FILE             write the report to FILE instead of stdout\n"
    "  --fail-on LEVEL     exit 1 when a finding is at or above LEVEL: info, warning\n"
    "                      (default), error, or never\n"
    "  --budget N          VM instructions a detector may use per case (default 1e9)\n"
    "  -j N                check N cases at once in worker processes (default 1);\n"
    "                      each gets an equal part of --max-total, past it that\n"
    "                      case is an error\n"
    "  --shard K/N         check only the K-th of N deterministic parts of the cases\n"
    "                      (by case name); the shards' jsonl or msgpack outputs\n"
    "                      concatenate into one run's\n";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A usage error of check's options: *pzErr = "zMsg: zArg" (malloc'd), -1. */
static int check_usage(char **pzErr, const char *zMsg, const char *zArg) {
  *pzErr = hs_mprintf("%s%s%s", zMsg, zArg ? ": " : "", zArg ? zArg : "");
  return -1;
}

/* The value of option argv[*pi] (moving *pi to it), or NULL at the end. */
static const char *value(int argc, char **argv, int *pi) {
  return *pi + 1 < argc ? argv[++*pi] : NULL;
}

/* The list of output formats, for --format's error (malloc'd). */
static char *format_list(void) {
  char *z = hs_mprintf("unknown format; formats:");
  for (int i = 0; z && hs_writers[i]; i++) {
    char *zNew = hs_mprintf("%s %s", z, hs_writers[i]->zName);
    free(z);
    z = zNew;
  }
  return z;
}

int hs_check_option(hs_check_opts *o, int argc, char **argv, int *pi, char **pzErr) {
  const char *z = argv[*pi], *zv = NULL;
  int bValue = strcmp(z, "--pack") == 0 || strcmp(z, "--rules") == 0 ||
               strcmp(z, "--detector") == 0 || strcmp(z, "--set") == 0 ||
               strcmp(z, "--format") == 0 || strcmp(z, "-o") == 0 || strcmp(z, "--output") == 0 ||
               strcmp(z, "--fail-on") == 0 || strcmp(z, "--budget") == 0 ||
               strcmp(z, "-j") == 0 || strcmp(z, "--jobs") == 0 || strcmp(z, "--shard") == 0;
  if (!bValue && strncmp(z, "-j", 2) != 0) return 0;
  if (!o->azRules) {
    o->azRules = calloc(argc, sizeof *o->azRules);
    o->azDetector = calloc(argc, sizeof *o->azDetector);
    o->azSet = calloc(argc, sizeof *o->azSet);
    if (!o->azRules || !o->azDetector || !o->azSet) return check_usage(pzErr, "out of memory", NULL);
  }
  if (bValue && !(zv = value(argc, argv, pi))) return check_usage(pzErr, "option needs a value", z);
  if (strcmp(z, "--pack") == 0) {
    o->zPack = zv;
  } else if (strcmp(z, "--rules") == 0) {
    o->azRules[o->nRules++] = zv;
  } else if (strcmp(z, "--detector") == 0) {
    o->azDetector[o->nDetector++] = zv;
  } else if (strcmp(z, "--set") == 0) {
    if (!strchr(zv, '=') || !strchr(zv, '.') || strchr(zv, '.') > strchr(zv, '='))
      return check_usage(pzErr, "--set expects ID.PARAM=VALUE", zv);
    o->azSet[o->nSet++] = zv;
  } else if (strcmp(z, "--format") == 0) {
    o->zFormat = zv;
    if (!hs_writer_find(zv)) {
      char *zList = format_list();
      char *zWhat = hs_mprintf("--format %s", zv);
      int rc = check_usage(pzErr, zWhat ? zWhat : "--format", zList ? zList : "unknown format");
      free(zList);
      free(zWhat);
      return rc;
    }
  } else if (strcmp(z, "-o") == 0 || strcmp(z, "--output") == 0) {
    o->zOut = zv;
  } else if (strcmp(z, "--fail-on") == 0) {
    o->eFailOn = hs_severity(zv, strlen(zv));
    if (!o->eFailOn) return check_usage(pzErr, "--fail-on expects info, warning, error or never", zv);
  } else if (strcmp(z, "--budget") == 0) {
    char *zEnd;
    o->nBudget = strtod(zv, &zEnd);
    if (*zEnd || !(o->nBudget >= 1000))
      return check_usage(pzErr, "--budget expects a number of instructions (>= 1000)", zv);
  } else if (strcmp(z, "--shard") == 0) {
    int k, n, nUsed = 0;
    if (sscanf(zv, "%d/%d%n", &k, &n, &nUsed) != 2 || zv[nUsed] || n < 1 || k < 1 || k > n)
      return check_usage(pzErr, "--shard expects K/N with 1 <= K <= N", zv);
    o->iShard = k;
    o->nShards = n;
  } else {                                    /* -j N, --jobs N, -jN */
    if (!zv) zv = z + 2;
    char *zEnd;
    long n = strtol(zv, &zEnd, 10);
    if (*zEnd || n < 1 || n > 1024) return check_usage(pzErr, "-j expects a number of workers (1 to 1024)", zv);
    o->nJobs = (int)n;
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
  lua_pushstring(L, o->zFormat ? o->zFormat : "text");
  lua_setfield(L, -2, "format");
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

/* ------------------------------------------------------------ running */

/* A case's result: the msgpack case map, or NULL while it is not in. */
typedef struct result {
  char *p;
  size_t n;
  int bDone;
} result;

/* Run the engine on case c (loaded here when deferred, with o's --binary;
** freed by Lua) in this process; the case map bytes go to *pr.  Returns 0,
** or -1 after a Lua error in the engine itself (printed). */
static int run_inline(lua_State *L, const hs_open_opts *o, hs_case *c, result *pr, int bCollect) {
  int iTop = lua_gettop(L);
  hs_case_load_deferred(c, o);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "hs.rules");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "cli_case");
  lua_remove(L, -2);
  hsL_pushcase(L, c);                         /* the userdata owns c now */
  int rc = 0;
  if (hsL_docall(L, 1, 1) != 0) {
    hsL_report(L, 1);
    rc = -1;
  } else {
    size_t n;
    const char *p = lua_tolstring(L, -1, &n);
    pr->p = malloc(n ? n : 1);
    if (pr->p) memcpy(pr->p, p, n), pr->n = n;
    else rc = -1;
  }
  lua_settop(L, iTop);
  if (bCollect) lua_gc(L, LUA_GCCOLLECT, 0);  /* the case's memory, now (a worker just ends:
                                                 a collection would copy every page it marks) */
  pr->bDone = 1;
  return rc;
}

static void pack_cstr(msgpack_packer *pk, const char *z) {
  msgpack_pack_str(pk, strlen(z));
  msgpack_pack_str_body(pk, z, strlen(z));
}

/* The case map of a case whose worker did not report: its inputs and one
** error saying how the worker ended. */
static void failed_case(const hs_case *c, const char *zWhy, result *pr) {
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  static const char *const azEmpty[] = {"warnings", "skipped", "notes", "detectors", "findings"};
  msgpack_pack_map(&pk, 8);
  pack_cstr(&pk, "name");
  pack_cstr(&pk, c->zName);
  pack_cstr(&pk, "inputs");
  int nIn = 0;
  for (int i = 0; i < c->nInput; i++) nIn += !c->apInput[i]->zError && !c->apInput[i]->bSkip;
  msgpack_pack_array(&pk, nIn);
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *in = c->apInput[i];
    if (in->zError || in->bSkip) continue;
    msgpack_pack_map(&pk, 3);
    pack_cstr(&pk, "name");
    pack_cstr(&pk, in->zName);
    pack_cstr(&pk, "kind");
    pack_cstr(&pk, in->zKind ? in->zKind : "unknown");
    pack_cstr(&pk, "size");
    msgpack_pack_uint64(&pk, in->n);
  }
  pack_cstr(&pk, "errors");
  msgpack_pack_array(&pk, 1);
  char *zErr = hs_mprintf("%s: the worker checking this case %s before it reported; "
                          "the other cases are unaffected (rerun this one alone with -j 1 "
                          "to see more)", c->zName, zWhy);
  pack_cstr(&pk, zErr ? zErr : "worker failed");
  free(zErr);
  for (int i = 0; i < 5; i++) {
    pack_cstr(&pk, azEmpty[i]);
    msgpack_pack_array(&pk, 0);
  }
  pr->p = sb.data;                            /* ownership moves to pr */
  pr->n = sb.size;
  pr->bDone = 1;
}

/* ------------------------------------------------------------ workers
**
** With -j N (or --timeout) cases run in worker processes forked from the
** ready Lua state.  A worker lives for many cases: the parent sends it a
** case over a socket and reads the result back over a pipe, so the fork,
** its page faults and the engine's warm-up are paid once per worker, not
** once per case.  A case goes unloaded (HS_CASE_DEFER): the worker loads
** its inputs, --binary's executable first.
**
** A case goes to a worker as wire.c writes it.  A result on the pipe (worker to parent):
**   u64 n | u64 bRetire | the case map (n bytes of msgpack)
** bRetire: the worker ends after this case (it is not sent another). */

typedef struct worker {
  pid_t pid;                                  /* 0: the slot has no process */
  int fd;                                     /* read end of its result pipe */
  int fdTo;                                   /* its end of the case socket */
  int iCase;                                  /* the case it checks; -1: idle */
  hs_case *pCase;                             /* that case (its names, for failed_case) */
  char *p;                                    /* what it wrote so far */
  size_t n, nCap;
} worker;

#define FRAME_HEAD 16                         /* a result's u64 n and u64 bRetire */
#define WORKER_CASES 256                      /* cases before a worker is replaced */
#define WORKER_GROWTH (64u << 20)             /* data growth before it is replaced */

/* Write a result frame to fd; 0 or -1. */
static int write_frame(int fd, const result *r, int bRetire) {
  uint64_t aHead[2] = {r->n, (uint64_t)bRetire};
  return hs_wire_write(fd, aHead, sizeof aHead) || hs_wire_write(fd, r->p, r->n) ? -1 : 0;
}

/* This process's data segment in bytes (what RLIMIT_DATA bounds). */
static uint64_t data_bytes(void) {
  unsigned long nData = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f && fscanf(f, "%*u %*u %*u %*u %*u %lu", &nData) != 1) nData = 0;
  if (f) fclose(f);
  return (uint64_t)nData * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* In a forked worker: no Lua limits of its own (the whole case is bounded,
** not only Lua) and the signals' default actions. */
static void worker_bounds(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGALRM, SIG_DFL);
  hsL_limits lim = {0, 0};
  hsL_set_limits(&lim);
}

/* Before a case, with its inputs in memory: let the data segment grow by
** nShare bytes past what it holds now; after it (bLift), no limit while the
** next case's inputs arrive (the parent admitted them; a mapped file's
** bytes, which a forked worker shared, are a copy here).  Only the soft
** limit moves.  Nothing without a share. */
static void case_share(uint64_t nShare, int bLift) {
  struct rlimit rl;
  if (!nShare || getrlimit(RLIMIT_DATA, &rl) != 0) return;
  rl.rlim_cur = bLift ? rl.rlim_max : (rlim_t)(data_bytes() + nShare);
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_DATA, &rl);
}

static void case_timer(double rTimeout) {
  struct itimerval it = {{0, 0}, {(time_t)rTimeout, (suseconds_t)(fmod(rTimeout, 1) * 1e6)}};
  if (rTimeout > 0) setitimer(ITIMER_REAL, &it, NULL);
}

/* A long-lived worker: check each case read from fdIn and write its
** result to fdOut, until fdIn ends.  Each case is freed (and the Lua heap
** collected) before the next, and each case gets its share of the run's
** memory on top of what the worker holds with the case's inputs in; past
** WORKER_CASES cases or WORKER_GROWTH bytes of data growth (what
** fragmentation holds on to, which no share counts) it says so with its
** last result and ends, and the parent starts a fresh one. */
static void serve(lua_State *L, const hs_open_opts *o, int fdIn, int fdOut, double rTimeout,
                  uint64_t nShare) {
  worker_bounds();
  hs_decoded_held = 0;                        /* its cases' bytes are its own copies */
  uint64_t nBase = data_bytes(), nGrow = WORKER_GROWTH;
  if (nShare && nShare / 8 < nGrow) nGrow = nShare / 8;
  for (int nDone = 1;; nDone++) {
    int bEnd = 0;
    hs_case *c = hs_wire_recv_case(fdIn, &bEnd);
    if (!c) _exit(bEnd ? 0 : 5);
    result r = {0};
    case_share(nShare, 0);
    case_timer(rTimeout);
    if (run_inline(L, o, c, &r, 1) != 0 || !r.p) _exit(3);
    struct itimerval itOff = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &itOff, NULL);
    case_share(nShare, 1);
    int bRetire = nDone >= WORKER_CASES || data_bytes() > nBase + nGrow;
    if (write_frame(fdOut, &r, bRetire) != 0) _exit(4);
    free(r.p);
    if (bRetire) _exit(0);
  }
}

/* A worker whose result is complete or whose pipe ended: the result, or
** an error case map saying how the worker ended when it did not report.
** A worker that goes on stays; one that ends is closed and its pid
** returned for the caller to reap later (exiting takes a millisecond or
** more, with its address space to tear down); otherwise 0. */
static pid_t reap(worker *w, hs_case *c, result *pr, double rTimeout, uint64_t nShare) {
  int status = 0;
  pid_t pidLater = 0;
  uint64_t aHead[2] = {0, 1};
  if (w->n >= FRAME_HEAD) memcpy(aHead, w->p, sizeof aHead);
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  int bOk = w->n >= FRAME_HEAD && w->n - FRAME_HEAD == aHead[0] &&
            msgpack_unpack_next(&u, w->p + FRAME_HEAD, aHead[0], &off) == MSGPACK_UNPACK_SUCCESS &&
            off == aHead[0];
  msgpack_unpacked_destroy(&u);
  char zWhy[256], zShare[32];
  zWhy[0] = 0;
  if (bOk) {
    if (aHead[1]) {                           /* it ends now */
      if (waitpid(w->pid, &status, WNOHANG) == 0) pidLater = w->pid;
      w->pid = 0;
    }
  } else {
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    w->pid = 0;
    hs_fmt_bytes(nShare, zShare, sizeof zShare);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM && rTimeout > 0)
      snprintf(zWhy, sizeof zWhy, "ran longer than the per-case limit (--timeout %gs) and was "
               "stopped", rTimeout);
    else if (WIFSIGNALED(status))
      snprintf(zWhy, sizeof zWhy, "was killed by signal %d (%s)%s%s%s", WTERMSIG(status),
               strsignal(WTERMSIG(status)), nShare ? "; it may have needed more than its share "
               "of the run's memory (" : "", nShare ? zShare : "",
               nShare ? ", --max-total divided among the workers)" : "");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      snprintf(zWhy, sizeof zWhy, "failed (exit status %d)%s%s%s", WEXITSTATUS(status),
               nShare ? "; it may have needed more than its share of the run's memory (" : "",
               nShare ? zShare : "", nShare ? ", --max-total divided among the workers)" : "");
    else
      snprintf(zWhy, sizeof zWhy, "wrote a truncated result");
  }
  if (zWhy[0]) {
    failed_case(c, zWhy, pr);
  } else {
    pr->p = malloc(aHead[0] ? aHead[0] : 1);
    if (pr->p) memcpy(pr->p, w->p + FRAME_HEAD, aHead[0]);
    pr->n = pr->p ? aHead[0] : 0;
    pr->bDone = 1;
  }
  w->n = 0;
  w->iCase = -1;
  if (!w->pid) {
    close(w->fd);
    close(w->fdTo);
    free(w->p);
    w->p = NULL;
    w->nCap = 0;
  }
  return pidLater;
}

/* Read what is available from a worker; returns 1 once its result is
** complete or its pipe ended. */
static int drain(worker *w) {
  for (;;) {
    if (w->n >= FRAME_HEAD) {
      uint64_t nBody;
      memcpy(&nBody, w->p, sizeof nBody);
      if (w->n - FRAME_HEAD >= nBody) return 1;
    }
    if (w->n == w->nCap) {
      size_t nCap = w->nCap ? 2 * w->nCap : 65536;
      char *pNew = realloc(w->p, nCap);
      if (!pNew) return 1;                    /* reaped as truncated */
      w->p = pNew;
      w->nCap = nCap;
    }
    ssize_t k = read(w->fd, w->p + w->n, w->nCap - w->n);
    if (k > 0) {
      w->n += (size_t)k;
      continue;
    }
    if (k < 0 && (errno == EINTR)) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return 1;
  }
}

/* A check run: cases arrive from hs_open's walk (on_case) and leave, in
** the order they arrived, through the report. */
typedef struct batch {
  const hs_check_opts *o;
  const hs_open_opts *pOpen; /* what hs_open was given: --binary, for the cases it defers */
  lua_State *L;
  hs_report *pRep;
  FILE *out;
  int nJobs;          /* workers at once */
  int bFork;          /* each case in a worker (-j N > 1, or --timeout) */
  double rTimeout;    /* per case, seconds; 0: none */
  uint64_t nShare;    /* memory a worker's case may take; 0: no limit */
  worker *aW;
  int nRunning;
  result *aRes;       /* per case, in arrival order */
  int nCase, nCaseCap;
  int iWrite;         /* results written so far */
  int bProgress, bAll;
  double t0, tDrawn;  /* the run's start; when the progress line was drawn */
  uint64_t nRead;     /* bytes of the inputs read so far (hs_open_opts.xRead) */
  uint64_t nTotal;    /* of this many; 0: not known (a pipe) */
  int bEngineError, rcWrite, bNoWorker;
  pid_t *aLater;      /* workers that reported and are still ending */
  int nLater, nLaterCap;
} batch;

/* Reap the workers that reported and have ended since (all: bWait). */
static void reap_later(batch *b, int bWait) {
  int k = 0;
  for (int i = 0; i < b->nLater; i++) {
    pid_t r;
    while ((r = waitpid(b->aLater[i], NULL, bWait ? 0 : WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r == 0) b->aLater[k++] = b->aLater[i];
  }
  b->nLater = k;
}

/* One self-overwriting line on stderr:
**   checked 37 cases, 412 MiB of 2.0 GiB, 35 MiB/s, about 43 s left
** The cases' count is known only at the walk's end, but the bytes are known
** from the start (hs_source_size: a directory's files, an archive file's
** size, of which the walk has consumed nRead), so while the walk streams
** the time left is the bytes left at the rate they are read; once every
** case is found ("checked 37/40 cases") it is the cases left at the rate
** they are checked.  A pipe has no size: bytes and rate, no time left.
** Cleared once every case is in. */
static void progress_line(batch *b) {
  double t = now(), dt = t - b->t0;
  b->tDrawn = t;
  if (b->bAll && b->iWrite >= b->nCase) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
    return;
  }
  char zRead[32], zTotal[32], zRate[32], zCases[32];
  hs_fmt_bytes(b->nRead, zRead, sizeof zRead);
  hs_fmt_bytes(b->nTotal, zTotal, sizeof zTotal);
  double rBytes = dt > 0 ? b->nRead / dt : 0, rCases = dt > 0 ? b->iWrite / dt : 0;
  hs_fmt_bytes((uint64_t)rBytes, zRate, sizeof zRate);
  if (b->bAll)
    snprintf(zCases, sizeof zCases, "%d/%d", b->iWrite, b->nCase);
  else
    snprintf(zCases, sizeof zCases, "%d", b->iWrite);
  fprintf(stderr, "\r\033[Kchecked %s case%s, %s%s%s, %s/s", zCases,
          (b->bAll ? b->nCase : b->iWrite) == 1 ? "" : "s", zRead, b->nTotal ? " of " : " read",
          b->nTotal ? zTotal : "", zRate);
  double tLeft = -1;
  if (b->bAll && rCases > 0)
    tLeft = (b->nCase - b->iWrite) / rCases;
  else if (b->nTotal && rBytes > 0)
    tLeft = (b->nTotal > b->nRead ? b->nTotal - b->nRead : 0) / rBytes;
  if (tLeft >= 0) fprintf(stderr, ", about %.0f s left", tLeft);
  fflush(stderr);
}

/* hs_open's xRead: the walk's place; the line is redrawn at most five
** times a second between cases. */
static void on_read(void *pArg, uint64_t nRead, uint64_t nTotal) {
  batch *b = pArg;
  b->nRead = nRead;
  b->nTotal = nTotal;
  if (b->bProgress && now() - b->tDrawn >= 0.2) progress_line(b);
}

/* Write the results that are in, in case order. */
static void write_ready(batch *b) {
  while (b->iWrite < b->nCase && b->aRes[b->iWrite].bDone) {
    result *r = &b->aRes[b->iWrite];
    if (r->p && b->rcWrite == 0) b->rcWrite = hs_report_case(b->pRep, r->p, r->n);
    free(r->p);
    r->p = NULL;
    b->iWrite++;
    if (b->bProgress) progress_line(b);
  }
}

/* End the process in slot w (bKill: kill it first) and free the slot. */
static void stop_worker(worker *w, int bKill) {
  if (bKill) kill(w->pid, SIGKILL);
  while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  close(w->fd);
  close(w->fdTo);
  free(w->p);
  w->p = NULL;
  w->n = w->nCap = 0;
  w->pid = 0;
}

/* Wait until at least one worker reports or ends; collect what came in. */
static void wait_some(batch *b) {
  struct pollfd aPoll[b->nJobs];
  int nPoll = 0;
  for (int k = 0; k < b->nJobs; k++)
    if (b->aW[k].pid) aPoll[nPoll].fd = b->aW[k].fd, aPoll[nPoll].events = POLLIN, nPoll++;
  if (poll(aPoll, nPoll, -1) < 0 && errno != EINTR) return;
  for (int k = 0; k < b->nJobs; k++) {
    worker *w = &b->aW[k];
    if (!w->pid || !drain(w)) continue;
    if (w->iCase < 0) {                       /* an idle worker ended: no case lost */
      stop_worker(w, 0);
      continue;
    }
    hs_case *c = w->pCase;
    w->pCase = NULL;
    pid_t pid = reap(w, c, &b->aRes[w->iCase], b->rTimeout, b->nShare);
    if (pid && (b->nLater < b->nLaterCap || !HS_GROW(b->aLater, b->nLaterCap, 16)))
      b->aLater[b->nLater++] = pid;
    else if (pid)                             /* no memory to remember it: wait now */
      waitpid(pid, NULL, 0);
    hs_case_free(c);
    b->nRunning--;
  }
  reap_later(b, 0);
  write_ready(b);
}

/* Fork a long-lived worker into slot w.  0, or -1 when no process could be
** made. */
static int fork_worker(batch *b, worker *w) {
  int fds[2], sv[2];
  if (pipe(fds) != 0) return -1;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  if (b->out != stdout) fflush(b->out);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    close(sv[0]);
    close(sv[1]);
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    for (int k = 0; k < b->nJobs; k++)        /* the other workers' ends are theirs */
      if (b->aW[k].pid) {
        close(b->aW[k].fd);
        close(b->aW[k].fdTo);
      }
    close(sv[0]);
    serve(b->L, b->pOpen, sv[1], fds[1], b->rTimeout, b->nShare);
  }
  close(fds[1]);
  close(sv[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  memset(w, 0, sizeof *w);
  w->pid = pid;
  w->fd = fds[0];
  w->fdTo = sv[0];
  w->iCase = -1;
  return 0;
}

/* Hand case i to an idle worker, starting one when none is idle; 0, or -1
** when no process could be made or take the case. */
static int start(batch *b, int i, hs_case *c) {
  worker *w = NULL;
  for (int k = 0; k < b->nJobs && !w; k++)
    if (b->aW[k].pid && b->aW[k].iCase < 0) w = &b->aW[k];
  for (int k = 0; k < b->nJobs && !w; k++)
    if (!b->aW[k].pid) w = &b->aW[k];
  if (!w || (!w->pid && fork_worker(b, w) != 0)) return -1;
  if (hs_wire_send_case(w->fdTo, c) != 0) {  /* it died: the next try starts another */
    stop_worker(w, 1);
    return -1;
  }
  w->iCase = i;
  b->nRunning++;
  /* The worker has its own copy: keep only what failed_case names. */
  for (int k = 0; k < c->nInput; k++) {
    hs_input *in = c->apInput[k];
    const hs_loader *l = in->p && !in->zKind ? hs_sniff(in->p, in->n, NULL) : NULL;
    if (l) in->zKind = hs_strdup(l->zKind);
    hs_input_release(in);
  }
  w->pCase = c;
  return 0;
}

/* hs_open's xWant: is the case named zName this shard's?  It depends only
** on the name (XXH3-64 of its bytes, the project's hash), so a case's shard
** does not change with the order the inputs are named in. */
static int want(void *pArg, const char *zName) {
  const hs_check_opts *o = ((batch *)pArg)->o;
  return o->nShards <= 1 || XXH3_64bits(zName, strlen(zName)) % o->nShards == (uint64_t)(o->iShard - 1);
}

/* hs_open's xCase: a case is complete.  Keep it if it is in this shard,
** then check it here or hand it to a worker (waiting for a free one). */
static int on_case(void *pArg, hs_case *c) {
  batch *b = pArg;
  if (!want(b, c->zName)) {                   /* a case xWant could not tell about early */
    hs_case_free(c);
    return HS_OK;
  }
  if (b->nCase == b->nCaseCap && HS_GROW(b->aRes, b->nCaseCap, 64)) {
    hs_case_free(c);
    return HS_ENOMEM;
  }
  int i = b->nCase++;
  memset(&b->aRes[i], 0, sizeof b->aRes[i]);
  if (!b->bFork) {
    if (run_inline(b->L, b->pOpen, c, &b->aRes[i], 1) != 0) b->bEngineError = 1; /* c freed by Lua */
  } else {
    while (b->nRunning == b->nJobs) wait_some(b);
    if (start(b, i, c) != 0) {
      while (b->nRunning > 0 && start(b, i, c) != 0) wait_some(b);
      if (b->nRunning == 0 && start(b, i, c) != 0) {
        fprintf(stderr, "heapscope: cannot start a worker: %s\n", strerror(errno));
        b->bNoWorker = 1;
        failed_case(c, "could not be started (fork failed)", &b->aRes[i]);
        hs_case_free(c);
      }
    }
  }
  write_ready(b);
  return HS_OK;
}

int hs_check_main(const hs_check_opts *o, const char *const *azInput, int nInput,
                  const hs_open_opts *pOpen, int bQuiet) {
  batch b;
  memset(&b, 0, sizeof b);
  b.o = o;
  b.nJobs = o->nJobs > 0 ? o->nJobs : 1;
  b.rTimeout = o->rCaseTimeout;
  b.bFork = b.nJobs > 1 || b.rTimeout > 0;
  hs_open_opts oo = *pOpen;
  oo.caseFlags |= HS_CASE_BATCH;
  oo.xProgress = NULL;                        /* check prints its own line */
  b.bProgress = !bQuiet && isatty(STDERR_FILENO);
  oo.xRead = b.bProgress ? on_read : NULL;    /* its total costs a stat per file */
  oo.pProgressArg = &b;
  oo.xCase = on_case;
  oo.xWant = want;
  oo.pCaseArg = &b;
  b.pOpen = &oo;
  if (b.nJobs > 1 && sysconf(_SC_NPROCESSORS_ONLN) / b.nJobs < 2)
    setenv("HEAPSCOPE_THREADS", "1", 0);      /* the workers keep the cores busy (yours wins) */
  if (b.bFork) {
    /* The cases in flight share the run's budget: N workers and the case
    ** being read each get an equal part, for its decoded inputs and for
    ** everything its check builds. */
    oo.caseFlags |= HS_CASE_DEFER;
    b.nShare = oo.limits.nMaxTotal / (uint64_t)(b.nJobs + 1);
    oo.limits.nMaxTotal = b.nShare;
  }
  int status = 2;
  b.aW = calloc(b.nJobs, sizeof *b.aW);
  b.L = hsL_newstate(NULL);
  b.out = stdout;
  hs_report rep;
  memset(&rep, 0, sizeof rep);
  b.pRep = &rep;
  int bReport = 0;
  if (!b.aW || !b.L) goto done;

  push_call(b.L, "cli_begin", o, bQuiet);
  if (hsL_docall(b.L, 1, 2) != 0) {
    hsL_report(b.L, 1);
    goto done;
  }
  if (usage_result(b.L)) goto done;
  if (o->zOut && !(b.out = fopen(o->zOut, "w"))) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    b.out = stdout;
    goto done;
  }
  {
    size_t nRun;
    const char *pRun = lua_tolstring(b.L, -1, &nRun);
    rep.bColour = isatty(fileno(b.out)) && !getenv("NO_COLOR");
    rep.nWidth = text_width(b.out);
    const hs_writer *w = hs_writer_find(o->zFormat ? o->zFormat : "text");
    int rc = hs_report_begin(&rep, w, b.out, o->eFailOn ? o->eFailOn : HS_SEV_WARNING, pRun, nRun);
    lua_pop(b.L, 1);
    bReport = 1;
    if (rc != 0) goto done;
  }

  b.t0 = now();
  hs_caselist cl;
  int bOom = hs_open(azInput, nInput, &oo, &cl) != HS_OK;
  hs_caselist_free(&cl);                      /* empty: every case went to on_case */
  b.bAll = 1;
  if (b.bProgress) progress_line(&b);         /* the total, or the line cleared */
  while (b.nRunning > 0) wait_some(&b);
  write_ready(&b);
  if (bOom) {
    fprintf(stderr, "heapscope: out of memory while reading the inputs; the cases before "
            "it are reported\n");
    b.bEngineError = 1;
  }
  status = b.rcWrite == 0 ? hs_report_end(&rep) : -1;
  bReport = 0;
  if (status < 0) {
    fprintf(stderr, "heapscope: writing the report to %s: %s\n", o->zOut ? o->zOut : "stdout",
            strerror(errno));
    status = 2;
  }
  if (b.bEngineError || b.bNoWorker) status = 2;
done:
  if (bReport) {
    hs_report_end(&rep);
  }
  reap_later(&b, 1);
  free(b.aLater);
  for (int k = 0; b.aW && k < b.nJobs; k++)
    if (b.aW[k].pid) stop_worker(&b.aW[k], 1);
  if (b.out != stdout && fclose(b.out) != 0 && status != 2) {
    fprintf(stderr, "heapscope: -o %s: %s\n", o->zOut, strerror(errno));
    status = 2;
  } else if (b.out != stdout && status != 2 && !bQuiet) {
    struct stat st;                           /* say where the report went */
    char z[32] = "";
    if (stat(o->zOut, &st) == 0) hs_fmt_bytes((uint64_t)st.st_size, z, sizeof z);
    fprintf(stderr, "heapscope: wrote %s%s%s%s\n", o->zOut, z[0] ? " (" : "", z, z[0] ? ")" : "");
  }
  for (int i = 0; i < b.nCase; i++) free(b.aRes[i].p);
  for (int k = 0; b.aW && k < b.nJobs; k++) hs_case_free(b.aW[k].pCase);
  free(b.aRes);
  free(b.aW);
  hsL_close(b.L);
  return status;
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
