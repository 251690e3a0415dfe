/*
 * core/binary's private declarations: what elf.c, dwarf.c, globals.c and names.c share
 * and nobody else needs.
 */
#ifndef HS_BINARY_BININT_H
#define HS_BINARY_BININT_H
#include "heapscope/binary.h"

typedef struct binsect {
  uint64_t iAddr;   /* virtual address */
  uint64_t nSize;   /* bytes (checked to lie within the file) */
  uint64_t iOff;    /* file offset */
} binsect;

typedef struct binfunc { /* a function's code range, for inline chains */
  uint32_t idName;       /* binary's pool */
  uint64_t iLo, iHi;     /* [low_pc, high_pc) */
  uint64_t iCuOff;       /* its compile unit's DIE (Go writes no .debug_aranges,
                            so libdw's dwarf_addrdie cannot find it by address) */
  uint64_t iDieOff;      /* its DW_TAG_subprogram */
} binfunc;

typedef struct binint {
  int nSect, nSectCap;
  binsect *aSect;        /* allocated PROGBITS sections */
  uint32_t nGlobalCap;
  uint32_t nTypeCap, nFieldCap;
  uint32_t *aRtypeIdx;   /* type indexes with an iRtype, sorted by iRtype */
  uint32_t nRtypeIdx;
  char *pCopy;           /* the image libelf reads (it writes into it) */
  binfunc *aFunc;        /* DWARF subprograms, sorted by name id */
  uint32_t nFunc, nFuncCap;
  uint32_t *aFuncByPc;   /* indexes into aFunc, sorted by iLo (nFunc of them) */
  uint64_t *aTypeOff;    /* DIE offset of each aType entry, ascending (nType of them) */
} binint;

int binint_add_global(hs_binary *, const char *zName, uint64_t iAddr, uint64_t nSize,
                      int32_t iType);
void binint_sort_globals(hs_binary *);
/* Read DWARF types and globals if the binary has them.  HS_OK also when it
** has none or they are damaged (then *pzWarn says so); HS_ENOMEM only. */
int binint_read_dwarf(hs_binary *, char **pzWarn);
void binint_free_dwarf(hs_binary *);
/* reflect.Kind of the runtime type at iAddr (low 5 bits of Kind_ plus flags), -1 if unreadable. */
int hs_binary_rtype_kind(const hs_binary *, uint64_t iAddr);
#endif
