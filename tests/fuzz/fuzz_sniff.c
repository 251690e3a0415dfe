/* Fuzz target for the sniffers: every loader's xSniff over the first
** 64 KiB, hs_sniff's choice, and the description of unknown bytes.  The
** loader targets name their kind and skip sniffing; this one reaches every
** sniffer with the same hostile bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  size_t nLook = n < 65536 ? n : 65536;
  for (int i = 0; hs_loaders[i]; i++) {
    int s = hs_loaders[i]->xSniff ? hs_loaders[i]->xSniff(p, nLook) : 0;
    if (s < 0 || s > 100) abort();
  }
  int iScore = -1;
  const hs_loader *l = hs_sniff(p, n, &iScore);
  if ((l == NULL) != (iScore == 0)) abort();
  char z[160];
  hs_sniff_describe(p, n, z, sizeof z);
  if (!memchr(z, 0, sizeof z)) abort();
  return 0;
}
