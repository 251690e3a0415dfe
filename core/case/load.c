/*
 * Loading one buffer into a case: sniff its kind (or take the one given),
 * run that loader, and count what could not be loaded.  An input nothing
 * recognises is an error when the user named it and a note when a directory
 * or archive walk found it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "base/base.h"

/* "heapdump, pprof, ..." from the registry into z[n]. */
static void list_kinds(char *z, size_t n) {
  size_t k = 0;
  z[0] = 0;
  for (int i = 0; hs_loaders[i] && k < n - 32; i++)
    k += snprintf(z + k, n - k, "%s%s", i ? ", " : "", hs_loaders[i]->zKind);
}

/* Load input in, which case c holds already (hs_case_add_input). */
static int load_added(hs_case *c, hs_input *in, const char *zKind) {
  char zTried[512];
  list_kinds(zTried, sizeof zTried);
  int rc;
  if (in->n == 0) {
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0, "empty file; nothing to load");
    return HS_OK;
  }
  const hs_loader *l = zKind ? hs_loader_find(zKind) : hs_sniff(in->p, in->n, NULL);
  if (!l) {
    char zWhat[160];
    hs_sniff_describe(in->p, in->n, zWhat, sizeof zWhat);
    if (in->bFound) { /* a README or checksum file beside the evidence */
      hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                   "skipped: not Go evidence (it looks like %s)", zWhat);
      hs_input_release(in);
      return HS_OK;
    }
    hs_case_diag(c, HS_ERROR, in->zName, 0, 0,
                 "not recognised as Go evidence: it looks like %s (tried: %s). "
                 "`heapscope --help` lists the kinds of evidence heapscope reads", zWhat, zTried);
    c->nError++;
    return HS_EFORMAT;
  }
  free(in->zKind);
  in->zKind = hs_strdup(l->zKind);
  c->zLoading = in->zName;
  c->zKinds = zTried;
  c->nPlaced = 0;
  c->nDropped = 0;
  rc = l->xLoad(c, in);
  c->zLoading = NULL;
  c->zKinds = NULL;
  if (c->nDropped)
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0,
                 "%llu further problems not shown (only the first %d of an input are listed)",
                 (unsigned long long)c->nDropped, HS_MAX_PLACED_DIAG);
  if (rc != HS_OK && rc != HS_ETRUNC) c->nError++;
  if (!l->bKeepsBytes) hs_input_release(in);
  return rc;
}

int hs_case_load_input(hs_case *c, hs_input *in, const char *zKind) {
  int rc = hs_case_add_input(c, in);
  return rc == HS_OK ? load_added(c, in, zKind) : rc;
}

/* Inputs with a series key, grouped by loader: qsort's argument. */
typedef struct series_ent {
  hs_input *pIn;
  const hs_loader *pLoader;
  uint64_t iKey;
} series_ent;

static int cmp_series(const void *pA, const void *pB) {
  const series_ent *a = pA, *b = pB;
  if (a->pLoader != b->pLoader) return a->pLoader < b->pLoader ? -1 : 1;
  if (a->iKey != b->iKey) return a->iKey < b->iKey ? -1 : 1;
  return strcmp(a->pIn->zName, b->pIn->zName);
}

static int same_bytes(const hs_input *a, const hs_input *b) {
  return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

void hs_case_mark_series(hs_input **ap, int n) {
  series_ent *a = calloc(n > 0 ? n : 1, sizeof *a);
  if (!a) return;                             /* no series: the loader says why */
  int m = 0;
  for (int i = 0; i < n; i++) {
    hs_input *in = ap[i];
    if (!in || !in->p || in->n == 0 || in->bSkip || in->zError) continue;
    const hs_loader *l = hs_sniff(in->p, in->n, NULL);
    if (l && l->xSeriesKey) a[m++] = (series_ent){in, l, 0};
  }
  qsort(a, m, sizeof *a, cmp_series);         /* by loader first: count each kind */
  for (int i = 0; i < m;) {
    int j = i;
    while (j < m && a[j].pLoader == a[i].pLoader) j++;
    if (j - i > 1) {
      for (int k = i; k < j; k++) {
        hs_input *in = a[k].pIn;
        a[k].pLoader->xSeriesKey(in->p, in->n, &a[k].iKey);
        /* The key's walk read every page of the member: hand a mapped file's
        ** pages back (they stay in the page cache; the loader faults in what
        ** it reads), so a series costs one member's pages at a time, not
        ** all of them until each is loaded. */
        if (in->bMapped) madvise((void *)in->p, in->n, MADV_DONTNEED);
      }
      qsort(a + i, j - i, sizeof *a, cmp_series);
      for (int k = i; k < j; k++) {
        a[k].pIn->iSeriesKey = a[k].iKey;
        a[k].pIn->iSeries = k == j - 1 ? 1 : 2;
      }
      /* a copy of the latest (dump.xz beside dump) is the latest too: the
      ** loader loads the bytes once */
      for (int k = j - 2; k >= i && same_bytes(a[k].pIn, a[j - 1].pIn); k--)
        a[k].pIn->iSeries = 1;
      int nLeft = 0;
      for (int k = i; k < j; k++) nLeft += a[k].pIn->iSeries == 2;
      if (nLeft == 0)                         /* copies of one dump: no series */
        for (int k = i; k < j; k++) a[k].pIn->iSeries = 0;
    }
    i = j;
  }
  free(a);
}

/* zMsg without a leading "zName: " (the diagnostic names the input). */
static const char *unprefixed(const char *zMsg, const char *zName) {
  size_t n = strlen(zName);
  return strncmp(zMsg, zName, n) == 0 && zMsg[n] == ':' && zMsg[n + 1] == ' ' ? zMsg + n + 2
                                                                            : zMsg;
}

int hs_case_take_input(hs_case *c, hs_input *in) {
  if (in->zError) {
    hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "%s", unprefixed(in->zError, in->zName));
    c->nError++;
    hs_input_free(in);
    return HS_OK;
  }
  if (in->zNote) { /* a stream cut short, a FIFO skipped, a member over a limit */
    hs_case_diag(c, in->iNoteLevel, in->zName, UINT64_MAX, 0, "%s",
                 unprefixed(in->zNote, in->zName));
    if (in->iNoteLevel == HS_ERROR) c->nError++;
  }
  if (in->bSkip || (in->bFound && in->n >= 8 && memcmp(in->p, "HSIDX01\n", 8) == 0)) {
    hs_input_free(in);          /* or our own index file beside its dump: not an input */
    return HS_OK;
  }
  const hs_loader *l = in->n ? hs_sniff(in->p, in->n, NULL) : NULL;
  if (l && l->xSeriesKey) {     /* its place in a series is known at the case's end */
    if (hs_case_add_input(c, in) != HS_OK) { /* listed in its place, loaded later */
      hs_input_free(in);
      return HS_ENOMEM;
    }
    if (c->nHeld == c->nHeldCap && HS_GROW(c->apHeld, c->nHeldCap, 4)) return HS_ENOMEM;
    c->apHeld[c->nHeld++] = in;
    return HS_OK;
  }
  int rc = hs_case_load_input(c, in, l ? l->zKind : NULL); /* sniffed once, above */
  return rc == HS_ENOMEM ? rc : HS_OK;
}

int hs_case_load_held(hs_case *c) {
  int n = c->nHeld, rc = HS_OK;
  hs_input **ap = c->apHeld;
  c->nHeld = c->nHeldCap = 0;
  c->apHeld = NULL;
  hs_case_mark_series(ap, n);
  for (int i = 0; i < n && rc == HS_OK; i++)
    if (load_added(c, ap[i], NULL) == HS_ENOMEM) rc = HS_ENOMEM;
  free(ap);
  return rc;
}

int hs_case_load_buffer(hs_case *c, const char *zName, const void *p, size_t n,
                        const char *zKind) {
  hs_input *in = calloc(1, sizeof *in);
  if (!in) return HS_ENOMEM;
  in->zName = hs_strdup(zName);
  in->zPath = hs_strdup(zName);
  void *pCopy = malloc(n ? n : 1);
  if (!in->zName || !in->zPath || !pCopy) {
    free(pCopy);
    free(in->zName);
    free(in->zPath);
    free(in);
    return HS_ENOMEM;
  }
  if (n) memcpy(pCopy, p, n);
  in->p = pCopy;
  in->n = n;
  return hs_case_load_input(c, in, zKind);
}

/* hs_source_read's consumer for --binary: load the file as the program's
** executable, whatever it looks like. */
static int load_binary(void *pArg, hs_input *pIn, const char *zRel) {
  hs_case *c = pArg;
  if (pIn->zError) {
    hs_case_diag(c, HS_ERROR, pIn->zName, UINT64_MAX, 0, "--binary: %s", pIn->zError);
    c->nError++;
    hs_input_free(pIn);
    return HS_OK;
  }
  int rc = hs_case_load_input(c, pIn, "gobinary");
  return rc == HS_ENOMEM ? rc : HS_OK;
}

int hs_case_load_binary(hs_case *c, const char *zBinary, const hs_limits *pLimits) {
  char *zErr = NULL;
  if (hs_source_read(zBinary, pLimits, load_binary, c, &zErr) == HS_ENOMEM) {
    free(zErr);
    return HS_ENOMEM;
  }
  if (zErr) {
    hs_case_diag(c, HS_ERROR, zBinary, UINT64_MAX, 0, "--binary: %s", zErr);
    c->nError++;
    free(zErr);
  }
  return HS_OK;
}

int hs_case_load_deferred(hs_case *c, const hs_open_opts *o) {
  if (!(c->flags & HS_CASE_DEFER)) return HS_OK; /* loaded already */
  c->flags &= ~HS_CASE_DEFER;
  int n = c->nInput, rc = HS_OK;
  hs_input **ap = c->apInput;
  c->nInput = c->nInputCap = 0;
  c->apInput = NULL;
  if (o->zBinary) rc = hs_case_load_binary(c, o->zBinary, &o->limits); /* first, as case_new */
  for (int i = 0; i < n; i++) {
    if (rc == HS_ENOMEM)
      hs_input_free(ap[i]);
    else if (hs_case_take_input(c, ap[i]) == HS_ENOMEM)
      rc = HS_ENOMEM;
  }
  free(ap);
  if (hs_case_load_held(c) == HS_ENOMEM) rc = HS_ENOMEM;
  if (rc == HS_OK) hs_case_check_read(c);
  hs_case_seal(c);
  return rc;
}

void hs_case_check_read(hs_case *c) {
  if (c->nTable || c->pHeap || c->pBinary || c->nError || (c->flags & HS_CASE_SKIPPED)) return;
  if (!(c->flags & HS_CASE_BATCH)) {           /* info, the REPL: the user sees the case */
    if (c->nInput > 0)
      hs_case_diag(c, HS_WARNING, c->zName, UINT64_MAX, 0,
                   "nothing here is Go evidence: the %d input%s found %s skipped (see "
                   "`heapscope info`)",
                   c->nInput, c->nInput == 1 ? "" : "s", c->nInput == 1 ? "was" : "were");
    else
      hs_case_diag(c, HS_WARNING, c->zName, UINT64_MAX, 0,
                   "nothing here is Go evidence: no input could be read");
    return;
  }
  int nSkipped = 0;
  for (int i = 0; i < c->nInput; i++) nSkipped += !c->apInput[i]->zKind;
  hs_case_diag(c, HS_ERROR, c->zName, UINT64_MAX, 0,
               "nothing in this case could be read as Go evidence (%d input%s, %d skipped); "
               "`heapscope info` shows what each input looks like",
               c->nInput, c->nInput == 1 ? "" : "s", nSkipped);
  c->nError++;
}
