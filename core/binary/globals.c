/*
 * The binary's table of globals, filled from .symtab by elf.c and from
 * DWARF by dwarf.c, then sorted by address.  Below both readers so that
 * elf.c -> dwarf.c -> globals.c runs one way.
 */
#include <stdlib.h>

#include "binary/binint.h"
#include "base/base.h"

static int cmp_global(const void *pA, const void *pB) {
  const hs_binglobal *a = pA, *b = pB;
  return a->iAddr < b->iAddr ? -1 : a->iAddr > b->iAddr;
}

int binint_add_global(hs_binary *b, const char *zName, uint64_t iAddr, uint64_t nSize,
                      int32_t iType) {
  binint *x = b->pInt;
  if (b->nGlobal == x->nGlobalCap && HS_GROW(b->aGlobal, x->nGlobalCap, 256)) return HS_ENOMEM;
  uint32_t id = hs_str_internz(b->pStr, zName);
  if (id == UINT32_MAX) return HS_ENOMEM;
  b->aGlobal[b->nGlobal++] = (hs_binglobal){id, iAddr, nSize, iType};
  return HS_OK;
}

void binint_sort_globals(hs_binary *b) {
  if (b->nGlobal) qsort(b->aGlobal, b->nGlobal, sizeof *b->aGlobal, cmp_global);
  /* Drop duplicates (the same variable from symtab and DWARF). */
  uint32_t j = 0;
  for (uint32_t i = 0; i < b->nGlobal; i++) {
    if (j > 0 && b->aGlobal[j - 1].iAddr == b->aGlobal[i].iAddr) {
      if (b->aGlobal[j - 1].iType < 0) b->aGlobal[j - 1] = b->aGlobal[i];
      continue;
    }
    b->aGlobal[j++] = b->aGlobal[i];
  }
  b->nGlobal = j;
}
