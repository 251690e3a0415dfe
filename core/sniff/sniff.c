/*
 * Sniffing: which loader owns a buffer, decided by content only.  Every
 * loader's xSniff looks at (at most) the first 64 KiB and answers with a
 * confidence; the highest wins, ties go to the earlier loader in
 * hs_loaders[].  Cost: one pass of each sniffer over <= 64 KiB per input.
 */
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
