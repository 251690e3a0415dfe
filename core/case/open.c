/*
 * From command-line paths to loaded cases.
 *
 * Grouping rule (DESIGN.md "case"): plain files named together form one case;
 * a directory or an archive is one case -- unless it holds no files of its own
 * but only subdirectories, in which case each subdirectory is grouped by the
 * same rule (so `samples/` yields go1.19/leaky, go1.19/healthy, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "base/base.h"


typedef struct entry {
  hs_input *pIn;
  char *zRel; /* path below the directory or inside the archive; NULL: loose file */
} entry;

typedef struct collect {
  entry *a;
  int n, nCap;
} collect;

static int collect_one(void *pArg, hs_input *pIn, const char *zRel) {
  collect *c = pArg;
  if (c->n == c->nCap && HS_GROW(c->a, c->nCap, 32)) {
    hs_input_free(pIn);
    return HS_ENOMEM;
  }
  c->a[c->n].pIn = pIn;
  c->a[c->n].zRel = zRel ? hs_strdup(zRel) : NULL;
  if (zRel) pIn->bFound = 1;
  c->n++;
  return HS_OK;
}

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

/* --binary FILE: load it as the program's executable, whatever it looks like. */
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

/* zMsg without a leading "zName: " (the diagnostic names the input). */
static const char *unprefixed(const char *zMsg, const char *zName) {
  size_t n = strlen(zName);
  return strncmp(zMsg, zName, n) == 0 && zMsg[n] == ':' && zMsg[n + 1] == ' ' ? zMsg + n + 2
                                                                            : zMsg;
}

/* Load entries a[0..n) (all below zPrefix) into one case. */
static int load_case(hs_caselist *pOut, const char *zName, entry *a, int n,
                     const hs_open_opts *o) {
  hs_case *c = hs_case_new(zName);
  if (!c) return HS_ENOMEM;
  c->flags = o->caseFlags;
  if (o->zBinary) { /* first, so that it wins over an ELF among the inputs */
    char *zErr = NULL;
    if (hs_source_read(o->zBinary, &o->limits, load_binary, c, &zErr) == HS_ENOMEM) {
      free(zErr);
      hs_case_free(c);
      return HS_ENOMEM;
    }
    if (zErr) {
      hs_case_diag(c, HS_ERROR, o->zBinary, UINT64_MAX, 0, "--binary: %s", zErr);
      c->nError++;
      free(zErr);
    }
  }
  c->nMaxBytes = o->limits.nMaxBytes;
  if (!(o->caseFlags & HS_CASE_DEFER)) { /* deferred: hs_case_load_deferred marks them */
    hs_input **ap = malloc((n > 0 ? n : 1) * sizeof *ap);
    if (ap) {
      for (int i = 0; i < n; i++) ap[i] = a[i].pIn;
      hs_case_mark_series(ap, n);
      free(ap);
    }
  }
  for (int i = 0; i < n; i++) {
    hs_input *in = a[i].pIn;
    a[i].pIn = NULL;
    if (o->xProgress) o->xProgress(o->pProgressArg, in->zName, i, n);
    if (in->zError) {
      hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "%s", unprefixed(in->zError, in->zName));
      c->nError++;
      hs_input_free(in);
      continue;
    }
    if (in->zNote) { /* a stream cut short, a FIFO skipped, a member over a limit */
      hs_case_diag(c, in->iNoteLevel, in->zName, UINT64_MAX, 0, "%s", unprefixed(in->zNote, in->zName));
      if (in->iNoteLevel == HS_ERROR) c->nError++;
    }
    if (in->bSkip) {
      hs_input_free(in);
      continue;
    }
    if (in->bFound && in->n >= 8 && memcmp(in->p, "HSIDX01\n", 8) == 0) {
      hs_input_free(in);          /* our own index file beside its dump: not an input */
      continue;
    }
    if (o->caseFlags & HS_CASE_DEFER) { /* loaded later by hs_case_load_deferred */
      if (hs_case_add_input(c, in) != HS_OK) hs_input_free(in);
      continue;
    }
    hs_case_load_input(c, in, NULL);
  }
  if (o->xProgress) o->xProgress(o->pProgressArg, NULL, n, n);
  if (!(o->caseFlags & HS_CASE_DEFER)) { /* deferred: hs_case_load_deferred */
    int bAllFound = n > 0;
    for (int i = 0; i < c->nInput; i++) bAllFound &= c->apInput[i]->bFound;
    if (bAllFound && c->nInput > 0 && c->nTable == 0 && !c->pHeap && c->nError == 0) {
      /* everything found was skipped: say so at the level of the case */
      hs_case_diag(c, HS_WARNING, zName, UINT64_MAX, 0,
                   "nothing here is Go evidence: the %d input%s found %s skipped (see `heapscope "
                   "info`)", c->nInput, c->nInput == 1 ? "" : "s", c->nInput == 1 ? "was" : "were");
    }
    hs_case_seal(c);
  }
  return caselist_add(pOut, c);
}

/* Length of the first path component of z, or 0 if z has no '/'. */
static size_t first_dir(const char *z) {
  const char *zSlash = strchr(z, '/');
  return zSlash ? (size_t)(zSlash - z) : 0;
}

/* Group a[0..n), whose zRel all start with the nSkip-byte prefix, per the
** rule above.  zBase names the directory or archive. */
static int group(hs_caselist *pOut, const char *zBase, entry *a, int n, size_t nSkip,
                 const hs_open_opts *o) {
  int bFlat = 0;
  for (int i = 0; i < n; i++)
    if (first_dir(a[i].zRel + nSkip) == 0) bFlat = 1;
  if (bFlat || n == 0) {
    char *zName = nSkip ? hs_mprintf("%s/%.*s", zBase, (int)(nSkip - 1), a[0].zRel)
                        : hs_strdup(zBase);
    if (!zName) return HS_ENOMEM;
    int rc = load_case(pOut, zName, a, n, o);
    free(zName);
    return rc;
  }
  /* Entries are sorted by path, so each subdirectory is one run. */
  int i = 0;
  while (i < n) {
    size_t nDir = first_dir(a[i].zRel + nSkip);
    int j = i + 1;
    while (j < n && first_dir(a[j].zRel + nSkip) == nDir &&
           memcmp(a[j].zRel + nSkip, a[i].zRel + nSkip, nDir) == 0)
      j++;
    int rc = group(pOut, zBase, a + i, j - i, nSkip + nDir + 1, o);
    if (rc != HS_OK) return rc;
    i = j;
  }
  return HS_OK;
}

static int cmp_entry(const void *pA, const void *pB) {
  const entry *a = pA, *b = pB;
  return strcmp(a->zRel, b->zRel);
}

int hs_open(const char *const *azPath, int nPath, const hs_open_opts *o,
            hs_caselist *pOut) {
  collect loose = {0};
  hs_open_opts dflt;
  int rc = HS_OK;
  if (!o) {
    hs_open_opts_init(&dflt);
    o = &dflt;
  }
  memset(pOut, 0, sizeof *pOut);
  for (int i = 0; i < nPath && rc != HS_ENOMEM; i++) {
    collect one = {0};
    char *zErr = NULL;
    int r = hs_source_read(azPath[i], &o->limits, collect_one, &one, &zErr);
    int bGrouped = one.n > 0 && one.a[0].zRel != NULL;
    if (zErr) { /* a whole-input error: show it as an input of its own */
      hs_input *in = calloc(1, sizeof *in);
      if (in) {
        in->zName = hs_strdup(azPath[i]);
        in->zError = zErr;
        collect_one(bGrouped ? &one : &loose, in, bGrouped ? "" : NULL);
      } else
        free(zErr);
    }
    if (r == HS_ENOMEM) rc = r;
    if (bGrouped) {
      /* Name the case after the argument without trailing slashes. */
      char *zBase = hs_strdup(azPath[i]);
      size_t nBase = zBase ? strlen(zBase) : 0;
      while (nBase > 1 && zBase[nBase - 1] == '/') zBase[--nBase] = 0;
      for (int k = 0; k < one.n; k++)
        if (!one.a[k].zRel) one.a[k].zRel = hs_strdup("");
      qsort(one.a, one.n, sizeof *one.a, cmp_entry);
      if (zBase && rc == HS_OK) rc = group(pOut, zBase, one.a, one.n, 0, o);
      free(zBase);
    } else {
      for (int k = 0; k < one.n; k++) collect_one(&loose, one.a[k].pIn, NULL);
      for (int k = 0; k < one.n; k++) one.a[k].pIn = NULL;
    }
    for (int k = 0; k < one.n; k++) {
      hs_input_free(one.a[k].pIn);
      free(one.a[k].zRel);
    }
    free(one.a);
  }
  if (loose.n > 0 && rc == HS_OK) {
    /* Files named together: the case is named after the first one. */
    rc = load_case(pOut, loose.a[0].pIn->zName, loose.a, loose.n, o);
  }
  for (int k = 0; k < loose.n; k++) hs_input_free(loose.a[k].pIn);
  free(loose.a);
  return rc;
}
