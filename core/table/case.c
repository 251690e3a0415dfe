/*
 * Cases: all evidence about one process.  A case owns its tables, its string
 * pool, its input buffers (tables may point into them) and its diagnostics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "base/base.h"

hs_case *hs_case_new(const char *zName) {
  hs_case *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->zName = hs_strdup(zName ? zName : "");
  c->pStr = hs_strpool_new();
  if (!c->zName || !c->pStr) {
    hs_case_free(c);
    return NULL;
  }
  return c;
}

uint64_t hs_decoded_held;

void hs_input_release(hs_input *in) {
  if (!in->p) return;
  if (in->bBorrowed)
    ; /* another case's input owns them */
  else if (in->bMapped)
    munmap((void *)in->p, in->n);
  else
    free((void *)in->p);
  in->p = NULL;
  hs_decoded_held -= in->nDecoded;
  in->nDecoded = 0;
}

void hs_input_free(hs_input *in) {
  if (!in) return;
  hs_input_release(in);
  free(in->zName);
  free(in->zKind);
  free(in->zPath);
  free(in->zError);
  free(in->zNote);
  free(in->zCase);
  free(in);
}

void hs_case_free(hs_case *c) {
  if (!c) return;
  if (c->pHeap && c->xHeapFree) c->xHeapFree(c->pHeap);
  if (c->pBinary && c->xBinaryFree) c->xBinaryFree(c->pBinary);
  for (int i = 0; i < c->nTable; i++) hs_table_free_(c->apTable[i]);
  free(c->apTable);
  for (int i = 0; i < c->nInput; i++) hs_input_free(c->apInput[i]);
  free(c->apInput);
  free(c->apHeld);                            /* its inputs are in apInput */
  for (int i = 0; i < c->nDiag; i++) {
    free(c->aDiag[i].zFile);
    free(c->aDiag[i].zMsg);
  }
  free(c->aDiag);
  hs_strpool_free(c->pStr);
  free(c->zName);
  free(c);
}

void hs_case_diag(hs_case *c, hs_level level, const char *zFile, uint64_t iOffset,
                  uint64_t iLine, const char *zFmt, ...) {
  if (c->zLoading && (iLine || iOffset != UINT64_MAX) && ++c->nPlaced > HS_MAX_PLACED_DIAG) {
    c->nDropped++;
    return;
  }
  if (c->nDiag == c->nDiagCap && HS_GROW(c->aDiag, c->nDiagCap, 16)) return;
  va_list ap;
  va_start(ap, zFmt);
  hs_diag *d = &c->aDiag[c->nDiag];
  d->level = level;
  d->zFile = hs_strdup(zFile ? zFile : c->zName);
  d->iOffset = iOffset;
  d->iLine = iLine;
  d->zMsg = hs_vmprintf(zFmt, ap);
  va_end(ap);
  if (!d->zMsg) {
    free(d->zFile);
    return;
  }
  c->nDiag++;
}

const char *hs_level_name(int level) {
  static const char *azLevel[] = {"info", "warning", "error"};
  return azLevel[level < HS_INFO || level > HS_ERROR ? HS_ERROR : level];
}

char *hs_diag_text(const hs_diag *d) {
  const char *zLevel = hs_level_name(d->level);
  if (d->iLine)
    return hs_mprintf("%s:%llu: %s: %s", d->zFile, (unsigned long long)d->iLine, zLevel, d->zMsg);
  if (d->iOffset != UINT64_MAX)
    return hs_mprintf("%s: offset %llu: %s: %s", d->zFile, (unsigned long long)d->iOffset,
                      zLevel, d->zMsg);
  return hs_mprintf("%s: %s: %s", d->zFile, zLevel, d->zMsg);
}

void hs_case_seal(hs_case *c) {
  if (c->pBinary && c->xBinaryName) {
    int (*xName)(hs_case *, struct hs_binary *) = c->xBinaryName;
    c->xBinaryName = NULL; /* once: later seals (hs.load_buffer) keep the names */
    if (xName(c, c->pBinary) == HS_ENOMEM)
      hs_case_diag(c, HS_ERROR, NULL, UINT64_MAX, 0, "out of memory naming objects from the binary");
  }
  for (int i = 0; i < c->nTable; i++) hs_table_seal(c->apTable[i]);
}

int hs_case_add_input(hs_case *c, hs_input *in) {
  if (c->nInput == c->nInputCap && HS_GROW(c->apInput, c->nInputCap, 8)) return HS_ENOMEM;
  c->apInput[c->nInput++] = in;
  return HS_OK;
}
