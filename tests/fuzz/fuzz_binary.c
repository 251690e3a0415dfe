/*
 * Fuzz target for the binary reader (core/binary/): any bytes opened as a
 * Go executable, then every query the naming pass makes (frame variables'
 * locations included).  A damaged ELF or
 * DWARF must give an error that names the file (or open with less), never
 * a crash, a hang or a read out of bounds.  The corpus seeds are a tiny ELF
 * with a Go build info header and C DWARF, plain and with compressed
 * DWARF sections (tests/fuzz/corpus/binary/mini.c.txt is their source).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/binary.h"

static void count_frame(void *pArg, const char *zFunc) { *(size_t *)pArg += strlen(zFunc); }

static void count_var(void *pArg, int32_t iType, const hs_binpiece *aPiece, uint32_t nPiece) {
  for (uint32_t k = 0; k < nPiece; k++) *(size_t *)pArg += aPiece[k].nSize + (size_t)iType;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  static const char zFile[] = "fuzz.elf";
  hs_binary *b = NULL;
  char *zErr = NULL, *zWarn = NULL;
  int rc = hs_binary_open(zFile, p, n, &b, &zErr, &zWarn);
  if (rc != HS_OK) {
    /* The contract: an error names the file and says what was wrong. */
    if (!zErr || strncmp(zErr, zFile, sizeof zFile - 1) != 0 || strlen(zErr) < sizeof zFile + 8) {
      fprintf(stderr, "fuzz_binary: error without the file's name: %s\n", zErr ? zErr : "(none)");
      abort();
    }
    free(zErr);
    free(zWarn);
    return 0;
  }
  free(zWarn);
  size_t nSum = 0;
  char z[256];
  for (uint32_t i = 0; i < b->nType; i++) {
    const hs_bintype *t = &b->aType[i];
    nSum += hs_binary_rtype_name(b, t->iRtype, z, sizeof z) + hs_binary_rtype_size(b, t->iRtype);
    nSum += (size_t)hs_binary_rtype_dwarf(b, t->iRtype);
    z[0] = 0;
    hs_binary_field_path(b, (int32_t)i, t->nSize / 2, z, sizeof z);
    nSum += strlen(z);
  }
  for (uint32_t i = 0; i < b->nGlobal; i++) {
    const hs_binglobal *g = hs_binary_global(b, b->aGlobal[i].iAddr + 1);
    nSum += g ? g->nSize : 0;
  }
  /* Addresses the file names, as a dump's type words and PCs would. */
  for (uint64_t a = b->iTypesBase; a < b->iTypesBase + 4096; a += 8)
    nSum += hs_binary_rtype_name(b, a, z, sizeof z);
  for (uint64_t pc = 0x1000; pc < 0x1400; pc += 16) {
    hs_binary_inline_chain(b, pc, count_frame, &nSum);
    if (hs_binary_frame_vars(b, pc, pc + 4, count_var, &nSum) != HS_OK) abort();
  }
  (void)nSum;
  hs_binary_free(b);
  return 0;
}
