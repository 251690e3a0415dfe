/*
 * From command-line paths to cases, as the walk reads them.
 *
 * Grouping rule (DESIGN.md "case"): every directory holding evidence is a
 * case -- its own files one case, each subdirectory grouped by the same
 * rule; inside an archive each top-level directory is a case and the loose
 * files at its root one.  The source layer names each input's case
 * (hs_input.zCase, a path below the argument); plain files named together
 * form one case.  Found files that are not evidence (a README beside the
 * captures) are named in one case of their own per argument.
 *
 * Streaming: the walk visits a case's inputs together (a directory's files
 * before the walk leaves it), so a case is complete once an input arrives
 * whose case is neither it nor below it.  Open cases form a stack of
 * ancestors (a directory whose files are a case, its subdirectory being
 * read): memory holds those, not the whole input.  An archive's top-level
 * directory need not be contiguous (`tar cf x.tar a/1 b/1 a/2`): the source
 * layer marks an input whose case has more inputs after other cases'
 * (hs_input.bCaseLater, from a pass over the archive's headers), and such a
 * case is parked instead of handed over when the walk leaves it, taken back
 * when its next input arrives, and handed over after its last -- one case
 * however the archive is ordered, held only while its members are apart.
 *
 * Without HS_CASE_DEFER each input is loaded as it arrives and its decoded
 * bytes freed after (load.c), so inputs are held one at a time -- but for
 * heap dumps, whose bytes a case keeps anyway: they wait for the case's
 * end, when all of them are known and ordered into a series
 * (hs_case_load_held).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "base/base.h"

/* A case being gathered: its key (hs_input.zCase) and the case. */
typedef struct group {
  char *zKey;
  hs_case *c;
  int bEvidence;      /* an input sniffed as evidence, or could not be read */
  int bDrop;          /* not wanted (hs_open_opts.xWant): its evidence is freed unread;
                         if none proves to be evidence it joins the skipped, as it
                         would unwanted */
  int bLater;         /* its last input said more come after other cases' */
} group;

/* State of one hs_open: the argument being walked and its open cases. */
typedef struct opener {
  const hs_open_opts *o;
  hs_caselist *pOut;
  char *zBase;        /* the argument, without trailing slashes */
  group *aOpen;       /* open cases, each an ancestor of the next */
  int nOpen, nOpenCap;
  group *aPark;       /* open cases the walk left that have inputs further on */
  int nPark, nParkCap;
  hs_case *pSkip;     /* the argument's found inputs that are not evidence */
  hs_case *pLoose;    /* files named on the command line, across arguments */
  int nArgInput;      /* inputs of this argument with a case key */
  int nArgCase;       /* cases handed over for this argument */
  int bBaseCase;      /* one of them is named zBase */
  uint64_t nInput;    /* inputs seen, for progress */
  uint64_t nArgBase;  /* bytes of the arguments before this one (xRead) */
  uint64_t nRead;     /* bytes read so far, as xRead last said */
  uint64_t nTotal;    /* the arguments' bytes; 0: not known */
  int rc;             /* HS_ENOMEM once memory ran out */
} opener;

static int caselist_add(hs_caselist *l, hs_case *c) {
  if (l->nCase == l->nCaseCap && HS_GROW(l->apCase, l->nCaseCap, 8)) return HS_ENOMEM;
  l->apCase[l->nCase++] = c;
  return HS_OK;
}

void hs_caselist_free(hs_caselist *l) {
  for (int i = 0; i < l->nCase; i++) hs_case_free(l->apCase[i]);
  free(l->apCase);
  memset(l, 0, sizeof *l);
}

/* A new case named zName, with the --binary executable loaded first (so
** that it wins over an ELF among the inputs) -- unless the case is deferred:
** then hs_case_load_deferred loads it first, where the case runs. */
static hs_case *case_new(const hs_open_opts *o, const char *zName) {
  hs_case *c = hs_case_new(zName);
  if (!c) return NULL;
  c->flags = o->caseFlags;
  c->nMaxBytes = o->limits.nMaxBytes;
  if (o->zBinary && !(o->caseFlags & HS_CASE_DEFER) &&
      hs_case_load_binary(c, o->zBinary, &o->limits) == HS_ENOMEM) {
    hs_case_free(c);
    return NULL;
  }
  return c;
}

/* Put input in into case c: kept for later (HS_CASE_DEFER) or loaded now. */
static void add(opener *op, hs_case *c, hs_input *in) {
  const hs_open_opts *o = op->o;
  if (o->xProgress) o->xProgress(o->pProgressArg, in->zName, op->nInput, 0);
  op->nInput++;
  int rc = o->caseFlags & HS_CASE_DEFER ? hs_case_add_input(c, in) : hs_case_take_input(c, in);
  if (rc == HS_ENOMEM) {
    if (o->caseFlags & HS_CASE_DEFER) hs_input_free(in);
    op->rc = HS_ENOMEM;
  }
}

/* A complete case: sealed (unless deferred) and handed over. */
static void finish(opener *op, hs_case *c) {
  const hs_open_opts *o = op->o;
  if (!(o->caseFlags & HS_CASE_DEFER)) {
    if (hs_case_load_held(c) == HS_ENOMEM)
      op->rc = HS_ENOMEM;
    else
      hs_case_check_read(c);
    hs_case_seal(c);
  }
  if (o->xProgress) o->xProgress(o->pProgressArg, NULL, op->nInput, 0);
  int rc = o->xCase ? o->xCase(o->pCaseArg, c) : caselist_add(op->pOut, c);
  if (rc == HS_ENOMEM) {
    if (!o->xCase) hs_case_free(c);
    op->rc = HS_ENOMEM;
  }
}

/* 1 if the case keyed zA holds the case keyed zK or is it. */
static int holds(const char *zA, const char *zK) {
  size_t n = strlen(zA);
  return n == 0 || (strncmp(zA, zK, n) == 0 && (zK[n] == 0 || zK[n] == '/'));
}

/* Move what case pFrom holds (but the --binary input every case has) to
** pTo, and free pFrom. */
static void merge(opener *op, hs_case *pTo, hs_case *pFrom) {
  for (int i = 0; i < pFrom->nInput; i++) {
    hs_input *in = pFrom->apInput[i];
    pFrom->apInput[i] = NULL;
    if (op->o->zBinary && strcmp(in->zName, op->o->zBinary) == 0) {
      pFrom->apInput[i] = in;                 /* freed with pFrom */
      continue;
    }
    if (hs_case_add_input(pTo, in) != HS_OK) {
      hs_input_free(in);
      op->rc = HS_ENOMEM;
    }
  }
  for (int i = 0; i < pFrom->nDiag; i++) {
    const hs_diag *d = &pFrom->aDiag[i];
    if (op->o->zBinary && d->zFile && strcmp(d->zFile, op->o->zBinary) == 0) continue;
    hs_case_diag(pTo, d->level, d->zFile, d->iOffset, d->iLine, "%s", d->zMsg);
  }
  pTo->nError += pFrom->nError;
  hs_case_free(pFrom);
}

static int skip_case(opener *op) {
  if (!op->pSkip && !(op->pSkip = case_new(op->o, op->zBase))) op->rc = HS_ENOMEM;
  return op->pSkip != NULL;
}

/* Hand over the case of group g, which is complete.  One in which nothing
** proved to be evidence (text files that might have held a goroutine dump)
** joins the argument's skipped inputs instead. */
static void close_group(opener *op, group *g) {
  hs_case *c = g->c;
  if (!g->bEvidence && (c->nTable > 0 || c->pHeap || c->nHeld)) g->bEvidence = 1; /* it was */
  if (!g->bEvidence && skip_case(op))
    merge(op, op->pSkip, c);
  else {                                      /* a case, this shard's or another's */
    if (strcmp(g->zKey, "") == 0) op->bBaseCase = 1;
    op->nArgCase++;
    if (g->bDrop)
      hs_case_free(c);
    else
      finish(op, c);
  }
  free(g->zKey);
}

/* Leave the open cases that do not hold zKey (all of them: NULL): each is
** handed over, or parked when its inputs continue further on (bLater). */
static void close_until(opener *op, const char *zKey) {
  while (op->nOpen > 0 && (!zKey || !holds(op->aOpen[op->nOpen - 1].zKey, zKey))) {
    group *g = &op->aOpen[--op->nOpen];
    if (g->bLater && zKey && (op->nPark < op->nParkCap || !HS_GROW(op->aPark, op->nParkCap, 8)))
      op->aPark[op->nPark++] = *g;
    else
      close_group(op, g);
  }
}

/* The parked case keyed zKey, taken out of the parked ones (*g), or 0. */
static int unpark(opener *op, const char *zKey, group *g) {
  for (int i = 0; i < op->nPark; i++) {
    if (strcmp(op->aPark[i].zKey, zKey) != 0) continue;
    *g = op->aPark[i];
    memmove(op->aPark + i, op->aPark + i + 1, (op->nPark - i - 1) * sizeof *g);
    op->nPark--;
    return 1;
  }
  return 0;
}

/* Hand over the parked cases (the walk of the argument ended). */
static void close_parked(opener *op) {
  for (int i = 0; i < op->nPark; i++) close_group(op, &op->aPark[i]);
  op->nPark = 0;
}

/* What a found input promises: 0 nothing (named as skipped, no case of its
** own), 1 maybe (a text that may hold a goroutine dump or gctrace lines
** past the sniff window), 2 evidence (or an error its case must report). */
static int promise(const hs_input *in) {
  if (in->zError || (in->zNote && in->iNoteLevel >= HS_ERROR)) return 2;
  if (in->bSkip) return 0;
  if (in->zNote) return 2;                    /* a cut stream: say so in its case */
  int iScore = 0;
  if (!in->p || !hs_sniff(in->p, in->n, &iScore)) return 0;
  return iScore > 5 ? 2 : 1;
}

/* The consumer of hs_source_read: route each input to its case. */
static int route(void *pArg, hs_input *in, const char *zRel) {
  opener *op = pArg;
  (void)zRel;
  if (op->o->xRead && op->nArgBase + in->iWalkPos > op->nRead) {
    op->nRead = op->nArgBase + in->iWalkPos;
    op->o->xRead(op->o->pProgressArg, op->nRead, op->nTotal);
  }
  if (op->rc == HS_ENOMEM) {
    hs_input_free(in);
    return HS_ENOMEM;
  }
  if (!in->zCase) {                           /* named on the command line */
    if (!op->pLoose && !(op->pLoose = case_new(op->o, in->zName))) goto oom;
    add(op, op->pLoose, in);
    return op->rc;
  }
  op->nArgInput++;
  in->bFound = 1;
  int iPromise = promise(in);
  if (iPromise == 0) {
    group g;                                  /* the last input of a parked case */
    if (!in->bCaseLater && unpark(op, in->zCase, &g)) close_group(op, &g);
    for (int i = 0; i < op->nOpen; i++)
      if (strcmp(op->aOpen[i].zKey, in->zCase) == 0) op->aOpen[i].bLater = in->bCaseLater;
    if (!skip_case(op)) goto oom;
    add(op, op->pSkip, in);
    return op->rc;
  }
  close_until(op, in->zCase);
  if (op->nOpen == op->nOpenCap && HS_GROW(op->aOpen, op->nOpenCap, 8)) goto oom;
  int bOpen = op->nOpen > 0 && strcmp(op->aOpen[op->nOpen - 1].zKey, in->zCase) == 0;
  if (!bOpen && unpark(op, in->zCase, &op->aOpen[op->nOpen])) {
    op->nOpen++;                              /* a case whose inputs were apart */
    bOpen = 1;
  }
  if (!bOpen) {
    char *zName = in->zCase[0] ? hs_mprintf("%s/%s", op->zBase, in->zCase) : hs_strdup(op->zBase);
    char *zKey = hs_strdup(in->zCase);
    hs_case *c = zName && zKey ? case_new(op->o, zName) : NULL;
    free(zName);
    if (!c) {
      free(zKey);
      goto oom;
    }
    op->aOpen[op->nOpen].zKey = zKey;
    op->aOpen[op->nOpen].bEvidence = 0;
    op->aOpen[op->nOpen].bLater = 0;
    op->aOpen[op->nOpen].bDrop = op->o->xWant && !op->o->xWant(op->o->pCaseArg, c->zName);
    op->aOpen[op->nOpen++].c = c;
  }
  group *g = &op->aOpen[op->nOpen - 1];
  if (iPromise == 2) g->bEvidence = 1;
  g->bLater = in->bCaseLater;
  if (g->bDrop && iPromise == 2)             /* another's: only what may turn out not to be */
    hs_input_free(in);                        /* evidence is read, as in an unsharded run */
  else
    add(op, g->c, in);
  return op->rc;
oom:
  hs_input_free(in);
  op->rc = HS_ENOMEM;
  return HS_ENOMEM;
}

/* The argument's walk ended: hand over its open cases, then its inputs that
** are not evidence -- an error case when they are all it held. */
static void end_argument(opener *op) {
  close_until(op, NULL);
  close_parked(op);
  hs_case *c = op->pSkip;
  op->pSkip = NULL;
  if (!c) return;
  if (op->nArgCase > 0 || op->bBaseCase) {
    c->flags |= HS_CASE_SKIPPED;
    if (op->bBaseCase) {                      /* the argument's own files are a case */
      char *zName = hs_mprintf("%s (not evidence)", op->zBase);
      if (zName) {
        free(c->zName);
        c->zName = zName;
      }
    }
  }
  finish(op, c);
}

int hs_open(const char *const *azPath, int nPath, const hs_open_opts *o,
            hs_caselist *pOut) {
  hs_open_opts dflt;
  if (!o) {
    hs_open_opts_init(&dflt);
    o = &dflt;
  }
  memset(pOut, 0, sizeof *pOut);
  opener op;
  memset(&op, 0, sizeof op);
  op.o = o;
  op.pOut = pOut;
  uint64_t *anSize = o->xRead ? calloc(nPath ? nPath : 1, sizeof *anSize) : NULL;
  for (int i = 0; anSize && i < nPath; i++) {  /* a stat per file, before the walk */
    anSize[i] = hs_source_size(azPath[i]);
    op.nTotal = anSize[i] == UINT64_MAX || op.nTotal == UINT64_MAX ? UINT64_MAX
                                                                  : op.nTotal + anSize[i];
  }
  if (op.nTotal == UINT64_MAX) op.nTotal = 0;
  for (int i = 0; i < nPath && op.rc != HS_ENOMEM; i++) {
    char *zErr = NULL;
    op.zBase = hs_strdup(azPath[i]);
    if (!op.zBase) {
      op.rc = HS_ENOMEM;
      break;
    }
    size_t nBase = strlen(op.zBase);
    while (nBase > 1 && op.zBase[nBase - 1] == '/') op.zBase[--nBase] = 0;
    op.nArgInput = op.nArgCase = op.bBaseCase = 0;
    int r = hs_source_read(op.zBase, &o->limits, route, &op, &zErr);
    if (zErr) { /* a whole-input error: show it as an input of its own */
      hs_input *in = calloc(1, sizeof *in);
      if (in) {
        in->zName = hs_strdup(azPath[i]);
        in->zError = zErr;
        if (op.nArgInput > 0) in->zCase = hs_strdup("");
        route(&op, in, NULL);
      } else
        free(zErr);
    }
    if (r == HS_ENOMEM) op.rc = r;
    end_argument(&op);
    free(op.zBase);
    op.zBase = NULL;
    if (anSize && anSize[i] != UINT64_MAX) op.nArgBase += anSize[i];
  }
  free(anSize);
  free(op.aOpen);                             /* empty: each argument's end_argument */
  free(op.aPark);                             /* closed its cases and took pSkip */
  if (op.pLoose) {
    if (op.rc == HS_ENOMEM) hs_case_free(op.pLoose);
    else finish(&op, op.pLoose);   /* files named together: named after the first */
  }
  return op.rc;
}
