/*
 * What the heapscope command's files share: main.c parses the common
 * options and dispatches; each subcommand with options of its own has a
 * file (check.c: `check` and `detectors`).
 */
#ifndef HS_CLI_H
#define HS_CLI_H

#include "lua/hslua.h"

/* Options of `check` and `detectors` (DESIGN.md "Command line"). */
typedef struct hs_check_opts {
  const char *zPack;      /* --pack NAME|FILE, NULL: default (or --detector only) */
  const char **azRules;   /* --rules DIR, in order */
  int nRules;
  const char **azDetector; /* --detector ID */
  int nDetector;
  const char **azSet;     /* --set ID.PARAM=VALUE */
  int nSet;
  const char *zFormat;    /* --format, NULL: text */
  const char *zOut;       /* -o FILE, NULL: stdout */
  int eFailOn;            /* --fail-on as HS_SEV_*, 0: warning */
  double nBudget;         /* --budget N instructions, 0: the engine's default */
  int nJobs;              /* -j N worker processes, 0 or 1: in this process */
  int iShard, nShards;    /* --shard K/N, nShards 0: all cases */
  double rCaseTimeout;    /* --timeout: seconds a case may take (in a worker), 0: none */
} hs_check_opts;

/* If argv[*pi] is an option of `check`, consume it (and its value, moving
** *pi) and return 1; return 0 if it is not one; -1 for a missing or bad
** value, with *pzErr (malloc'd) saying which and what was expected. */
int hs_check_option(hs_check_opts *, int argc, char **argv, int *pi, char **pzErr);
/* Run `check` over the inputs: as the walk completes each case, keep it if
** it is this shard's and load and check it here or in one of -j workers,
** writing the report in the order the cases were found.  Returns the exit
** status (0; 1 findings at or above --fail-on; 2 usage, load errors or a
** failed worker). */
int hs_check_main(const hs_check_opts *, const char *const *azInput, int nInput,
                  const hs_open_opts *, int bQuiet);
/* `detectors`: print what is installed; returns the exit status. */
int hs_detectors_run(lua_State *L, const hs_check_opts *);

/* The usage line for check's options in `heapscope --help`. */
extern const char hs_check_usage[];

#endif
