/*
 * What unknown bytes look like, for the error that says an input is not Go
 * evidence: a few known magics, else text or binary with its first bytes.
 * Reads at most the first 512 bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "heapscope/heapscope.h"

void hs_sniff_describe(const uint8_t *p, size_t n, char *zOut, size_t nOut) {
  static const struct { const char *zMagic; size_t n; const char *zWhat; } aKnown[] = {
      {"\x7f" "ELF", 4, "an ELF binary (a core file? heapscope reads WriteHeapDump output, not cores)"},
      {"\x1f\x8b", 2, "a gzip stream that did not decode"},
      {"%PDF", 4, "a PDF document"},
      {"\x89PNG", 4, "a PNG image"},
      {"SQLite format 3", 15, "an SQLite database"},
      {"go1.", 4, "a Go heap dump of an unsupported version"},
      {"HSIDX01\n", 8, "a heapscope index file (the saved graph of a heap dump; a cache, safe to delete)"},
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
