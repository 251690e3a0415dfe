/*
 * Sniffing: which loader owns a buffer, decided by content only.  Every
 * loader's xSniff looks at (at most) the first 64 KiB and answers with a
 * confidence; the highest wins, ties go to the earlier loader in
 * hs_loaders[].  Cost: one pass of each sniffer over <= 64 KiB per input.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"

#define SNIFF_MAX (64 * 1024)

const hs_loader *hs_loader_find(const char *zKind) {
  for (int i = 0; hs_loaders[i]; i++)
    if (strcmp(hs_loaders[i]->zKind, zKind) == 0) return hs_loaders[i];
  return NULL;
}

const hs_loader *hs_sniff(const uint8_t *p, size_t n, int *piScore) {
  const hs_loader *pBest = NULL;
  int iBest = 0;
  size_t nLook = n < SNIFF_MAX ? n : SNIFF_MAX;
  for (int i = 0; hs_loaders[i]; i++) {
    int s = hs_loaders[i]->xSniff ? hs_loaders[i]->xSniff(p, nLook) : 0;
    if (s > iBest) {
      iBest = s;
      pBest = hs_loaders[i];
    }
  }
  if (piScore) *piScore = iBest;
  return pBest;
}

void hs_sniff_describe(const uint8_t *p, size_t n, char *zOut, size_t nOut) {
  static const struct { const char *zMagic; size_t n; const char *zWhat; } aKnown[] = {
      {"\x7f" "ELF", 4, "an ELF binary (a core file? heapscope reads WriteHeapDump output, not cores)"},
      {"\x1f\x8b", 2, "a gzip stream that did not decode"},
      {"%PDF", 4, "a PDF document"},
      {"\x89PNG", 4, "a PNG image"},
      {"SQLite format 3", 15, "an SQLite database"},
      {"go1.", 4, "a Go heap dump of an unsupported version"},
  };
  for (size_t i = 0; i < sizeof aKnown / sizeof aKnown[0]; i++) {
    if (n >= aKnown[i].n && memcmp(p, aKnown[i].zMagic, aKnown[i].n) == 0) {
      snprintf(zOut, nOut, "%s", aKnown[i].zWhat);
      return;
    }
  }
  if (n == 0) {
    snprintf(zOut, nOut, "an empty file");
    return;
  }
  size_t nLook = n < 512 ? n : 512, nText = 0;
  for (size_t i = 0; i < nLook; i++)
    if (isprint(p[i]) || isspace(p[i]) || p[i] >= 0x80) nText++;
  if (nText == nLook) {
    char zFirst[48];
    size_t k = 0;
    for (size_t i = 0; i < nLook && k < sizeof zFirst - 1 && p[i] != '\n'; i++)
      zFirst[k++] = isprint(p[i]) ? (char)p[i] : '?';
    zFirst[k] = 0;
    snprintf(zOut, nOut, "text starting with \"%s\"", zFirst);
    return;
  }
  snprintf(zOut, nOut, "binary data starting with %02x %02x %02x %02x", p[0],
           n > 1 ? p[1] : 0, n > 2 ? p[2] : 0, n > 3 ? p[3] : 0);
}

int hs_case_load_input(hs_case *c, hs_input *in, const char *zKind) {
  int rc = hs_case_add_input(c, in);
  if (rc != HS_OK) return rc;
  if (in->n == 0) {
    hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0, "empty file; nothing to load");
    return HS_OK;
  }
  const hs_loader *l = zKind ? hs_loader_find(zKind) : hs_sniff(in->p, in->n, NULL);
  if (!l) {
    char zWhat[160], zTried[512];
    size_t k = 0;
    zTried[0] = 0;
    for (int i = 0; hs_loaders[i] && k < sizeof zTried - 32; i++)
      k += snprintf(zTried + k, sizeof zTried - k, "%s%s", i ? ", " : "", hs_loaders[i]->zKind);
    hs_sniff_describe(in->p, in->n, zWhat, sizeof zWhat);
    if (in->bFound) { /* a README or checksum file beside the evidence */
      hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                   "skipped: not Go evidence (it looks like %s)", zWhat);
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
  rc = l->xLoad(c, in);
  if (rc != HS_OK && rc != HS_ETRUNC) c->nError++;
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
