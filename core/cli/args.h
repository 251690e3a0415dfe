/*
 * The heapscope command line, parsed without side effects (no exit, no
 * output), so tests and a fuzz target can drive it.
 */
#ifndef HS_CLI_ARGS_H
#define HS_CLI_ARGS_H

#include <stdint.h>

#include "cli/cli.h"

typedef struct hs_cli {
  const char *zCode;      /* -e */
  const char *zVerb;      /* "run", "info", "check", "report", "detectors" or NULL */
  const char *zScript;    /* run SCRIPT */
  const char **azInput;   /* nInput paths (pointers into argv) */
  int nInput;
  const char **azArg;     /* after -- */
  int nArg;
  int bNoCache;
  int bQuiet;
  const char *zBinary;    /* --binary */
  uint64_t nMaxBytes;     /* --max-bytes, 0: default */
  uint64_t nMaxTotal;     /* --max-total, 0: default */
  double rTimeout;        /* --timeout seconds, 0: none */
  uint64_t nMaxMemory;    /* --max-memory bytes, 0: none */
  hs_check_opts check;    /* options of check and detectors (check.c parses them,
                             and exits on a bad value) */
} hs_cli;

enum { HS_CLI_RUN = 0, HS_CLI_HELP = 1, HS_CLI_VERSION = 2, HS_CLI_USAGE = -1 };

/* Parse argv into *p (zeroed first).  Returns HS_CLI_RUN, HS_CLI_HELP,
** HS_CLI_VERSION, or HS_CLI_USAGE with *pzErr (malloc'd) saying which
** argument was wrong and what was expected.  hs_cli_free releases the
** arrays in every case. */
int hs_cli_parse(int argc, char **argv, hs_cli *p, char **pzErr);
void hs_cli_free(hs_cli *p);

/* "512M", "2G", "1048576": a byte count with an optional K, M, G or T
** suffix (powers of 1024).  Returns 0, or -1 for anything else: a sign,
** no digits, an unknown suffix, zero, or a value that does not fit in 63
** bits (so it never wraps). */
int hs_parse_size(const char *z, uint64_t *pn);
/* "30", "2.5s", "10m", "1h": a positive duration in seconds. */
int hs_parse_seconds(const char *z, double *pr);

#endif
