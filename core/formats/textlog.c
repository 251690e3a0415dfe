/*
 * The two text-log loaders, gctrace and goroutines.  A Go program's stderr
 * log may hold gctrace lines and goroutine dumps together; whichever kind
 * the sniffer chose, the input is read by its own extractor and, when that
 * one saw lines of the other kind, by the other too, so a log holding both
 * yields both tables.  The extractors (gctrace.c, goroutines.c) share the
 * line reader in golog.c; this file is the only one that knows both, so they
 * need not know each other.
 */
#include <stdlib.h>

#include "heapscope/heapscope.h"
#include "golog.h"

typedef int (*extract_fn)(hs_case *, hs_input *, uint64_t *pnRow, int *pbOther);

/* Run xOwn over the input, then xOther if xOwn saw lines of the other kind.
** *pnRow receives the rows both added.  The status is xOwn's, or xOther's
** when xOwn's was HS_OK; HS_ENOMEM stops at once. */
static int extract_both(hs_case *c, hs_input *in, extract_fn xOwn, extract_fn xOther,
                        uint64_t *pnRow) {
  uint64_t nRow = 0, nOther = 0;
  int bOther = 0;
  *pnRow = 0;
  int rc = xOwn(c, in, &nRow, &bOther);
  if (rc == HS_ENOMEM) return rc;
  if (bOther) {
    int rc2 = xOther(c, in, &nOther, NULL);
    if (rc2 == HS_ENOMEM) return rc2;
    if (rc == HS_OK) rc = rc2;
  }
  *pnRow = nRow + nOther;
  return rc;
}

static int gctrace_load(hs_case *c, hs_input *in) {
  uint64_t nRow;
  int rc = extract_both(c, in, hs_gctrace_extract, hs_goroutines_extract, &nRow);
  if (rc == HS_ENOMEM || nRow) return rc;
  hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
               "no gctrace lines found: expected lines like \"gc 1 @0.006s 1%%: ...\" (run the "
               "program with GODEBUG=gctrace=1 and keep its stderr)");
  return HS_EFORMAT;
}

static int goroutines_load(hs_case *c, hs_input *in) {
  uint64_t nRow;
  int rc = extract_both(c, in, hs_goroutines_extract, hs_gctrace_extract, &nRow);
  if (rc == HS_ENOMEM || nRow) return rc;
  char zWhat[160];
  hs_sniff_describe(in->p, in->n, zWhat, sizeof zWhat);
  free(in->zKind); /* not a goroutine dump after all: no kind, as unsniffed input */
  in->zKind = NULL;
  if (in->bFound) {
    /* a text file found beside the evidence (README, notes): skipped as
    ** the sniffer skips what no loader claims */
    hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                 "skipped: not Go evidence (it looks like %s; no goroutine dump or gctrace "
                 "lines in it)", zWhat);
    return HS_OK;
  }
  hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0,
               "no Go evidence found in this text (%s): its start matches no evidence "
               "kind, and the whole file holds no goroutine dump (\"goroutine N [state]:\" "
               "blocks from debug=2, a panic or SIGQUIT; \"goroutine profile: total N\" from "
               "debug=1) and no gctrace lines (\"gc N @...\"). `heapscope --help` lists the "
               "kinds of evidence heapscope reads", zWhat);
  return HS_EFORMAT;
}

const hs_loader hs_loader_gctrace = {
    "gctrace", "GODEBUG=gctrace=1 output (gc, scav, scvg, pacer lines), plain or in container logs",
    hs_gctrace_sniff, gctrace_load, "gc gc.scav gc.pacer", NULL, 0};

const hs_loader hs_loader_goroutines = {
    "goroutines",
    "goroutine dumps: pprof debug=1 and debug=2, panic and SIGQUIT tracebacks in any log",
    hs_goroutines_sniff, goroutines_load, "goroutines goroutines.frames", NULL, 0};
