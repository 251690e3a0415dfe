/*
 * DWARF from a Go binary, read with libdw: types, typed globals, inline
 * chains.
 *
 * What Go's linker writes (cmd/link/internal/ld/dwarf.go), and what we use:
 *
 *   DIE                       Go attributes          becomes
 *   DW_TAG_base_type          DW_AT_go_kind          HS_BT_SCALAR
 *   DW_TAG_pointer_type       DW_AT_type (absent     HS_BT_PTR (elem -1)
 *                             for unsafe.Pointer)
 *   DW_TAG_structure_type     go_kind 23 slice,      HS_BT_SLICE (elem: DW_AT_go_elem),
 *                             24 string, 25 struct;  HS_BT_STRING, HS_BT_STRUCT;
 *                             runtime.iface/eface,   HS_BT_IFACE/EFACE
 *                             sync.eface
 *   DW_TAG_array_type         subrange DW_AT_count   HS_BT_ARRAY
 *   DW_TAG_typedef            go_kind 20 interface,  the layout of its target,
 *                             21 map, 18 chan;       its own name
 *                             named types' aliases
 *   DW_TAG_subroutine_type                           HS_BT_FUNC
 *   DW_TAG_variable (CU       DW_AT_location         a global: name, address, type
 *   level)                    = DW_OP_addr A
 *   DW_TAG_inlined_subroutine DW_AT_abstract_origin  one frame of an inline chain
 *
 *   DW_AT_go_kind 0x2900, DW_AT_go_key 0x2901, DW_AT_go_elem 0x2902,
 *   DW_AT_go_embedded_field 0x2903, DW_AT_go_runtime_type 0x2904: the
 *   offset of the type's runtime descriptor from the types base.
 *
 * Map and channel internals are synthesized by the linker under names of
 * its own.  A map's header object is named for the map type (what the
 * program's map value points at, as reflect.TypeOf(m) prints it), a
 * channel's for the chan type, a bucket array by the compiler's bucket type
 * (what a malloc header shows): hash<K,V> -> map[K]V, bucket<K,V> ->
 * map.bucket[K]V, hchan<T> -> chan T.
 *
 * Types are the top-level children of each compile unit, so walking the
 * CUs in order visits them in increasing DIE offset: the offset -> index
 * map is a sorted array (binary search), no hash table.  Cost: one pass
 * over .debug_info to list DIEs, one to decode the type DIEs.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binint.h"
#include "base/base.h"

enum {
  AT_GO_KIND = 0x2900,
  AT_GO_ELEM = 0x2902,
  AT_GO_RUNTIME_TYPE = 0x2904,
  GOKIND_CHAN = 18,
  GOKIND_IFACE = 20,
  GOKIND_MAP = 21,
  GOKIND_SLICE = 23,
  GOKIND_STRING = 24,
  BT_TYPEDEF = 100 /* pending: copy the layout of iElem */
};

typedef struct dwread {
  hs_binary *b;
  Dwarf *dbg;
  uint64_t *aOff;        /* DIE offset of each type, ascending */
  uint32_t nOff, nOffCap;
  uint64_t *aVar;        /* DIE offsets of CU-level variables */
  uint32_t nVar, nVarCap;
} dwread;

static int push(uint64_t **pa, uint32_t *pn, uint32_t *pCap, uint64_t v) {
  if (*pn == *pCap && HS_GROW(*pa, *pCap, 1024)) return HS_ENOMEM;
  (*pa)[(*pn)++] = v;
  return HS_OK;
}

static int is_type_tag(int tag) {
  switch (tag) {
    case DW_TAG_base_type: case DW_TAG_pointer_type: case DW_TAG_structure_type:
    case DW_TAG_array_type: case DW_TAG_typedef: case DW_TAG_subroutine_type:
    case DW_TAG_unspecified_type:
      return 1;
  }
  return 0;
}

/* Type index of the DIE at offset iOff, or -1. */
static int32_t type_index(const dwread *r, uint64_t iOff) {
  uint32_t lo = 0, hi = r->nOff;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (r->aOff[mid] < iOff) lo = mid + 1;
    else hi = mid;
  }
  return lo < r->nOff && r->aOff[lo] == iOff ? (int32_t)lo : -1;
}

static int32_t ref_type(const dwread *r, Dwarf_Die *d, unsigned iAttr) {
  Dwarf_Attribute a;
  Dwarf_Die t;
  if (!dwarf_attr(d, iAttr, &a) || !dwarf_formref_die(&a, &t)) return -1;
  return type_index(r, dwarf_dieoffset(&t));
}

static uint64_t udata(Dwarf_Die *d, unsigned iAttr, uint64_t dflt) {
  Dwarf_Attribute a;
  Dwarf_Word v;
  if (!dwarf_attr(d, iAttr, &a)) return dflt;
  if (dwarf_whatform(&a) == DW_FORM_addr) {
    Dwarf_Addr ad;
    return dwarf_formaddr(&a, &ad) == 0 ? ad : dflt;
  }
  return dwarf_formudata(&a, &v) == 0 ? v : dflt;
}

/* reflect names a package by its last path element ("hpack.pairNameValue"),
** DWARF by its import path ("vendor/golang.org/x/net/http2/hpack.pairNameValue"):
** drop every qualified name's path, up to its last '/'.  Returns malloc'd. */
static char *short_paths(const char *z) {
  size_t n = strlen(z), k = 0;
  char *zOut = malloc(n + 1);
  if (!zOut) return NULL;
  for (size_t i = 0; i < n;) {
    size_t j = i; /* a token: up to a bracket, star, comma or space */
    while (j < n && !strchr("[]*(){}<>, ;", z[j])) j++;
    const char *zSlash = NULL;
    for (size_t m = i; m < j; m++)
      if (z[m] == '/') zSlash = z + m;
    size_t iFrom = zSlash ? (size_t)(zSlash - z) + 1 : i;
    memcpy(zOut + k, z + iFrom, j - iFrom);
    k += j - iFrom;
    if (j < n) zOut[k++] = z[j++];
    i = j;
  }
  zOut[k] = 0;
  return zOut;
}

static uint32_t intern_short(hs_binary *b, const char *z) {
  char *zShort = strchr(z, '/') ? short_paths(z) : NULL;
  uint32_t id = hs_str_internz(b->pStr, zShort ? zShort : z);
  free(zShort);
  return id;
}

/* The name reflect prints for a DWARF name (see the essay). */
static uint32_t go_name(hs_binary *b, const char *z) {
  static const struct { const char *zFrom, *zTo; int bArgs; } aMap[] = {
      {"hash<", "map", 1}, {"bucket<", "map.bucket", 1},
      {"hchan<", "chan ", 2}, {"sudog<", "runtime.sudog", 0},
      {"waitq<", "runtime.waitq", 0}};
  for (size_t i = 0; i < sizeof aMap / sizeof aMap[0]; i++) {
    size_t nFrom = strlen(aMap[i].zFrom), n = strlen(z);
    if (strncmp(z, aMap[i].zFrom, nFrom) != 0 || z[n - 1] != '>') continue;
    if (!aMap[i].bArgs) return hs_str_internz(b->pStr, aMap[i].zTo);
    if (aMap[i].bArgs == 2) { /* hchan<T> -> chan T */
      char *zName = hs_mprintf("%s%.*s", aMap[i].zTo, (int)(n - 1 - nFrom), z + nFrom);
      uint32_t id = zName ? intern_short(b, zName) : UINT32_MAX;
      free(zName);
      return id;
    }
    /* K,V: split at the comma outside any brackets. */
    int depth = 0;
    for (size_t k = nFrom; k < n - 1; k++) {
      char c = z[k];
      if (c == '<' || c == '[' || c == '(' || c == '{') depth++;
      else if (c == '>' || c == ']' || c == ')' || c == '}') depth--;
      else if (c == ',' && depth == 0) {
        char *zName = hs_mprintf("%s[%.*s]%.*s", aMap[i].zTo, (int)(k - nFrom), z + nFrom,
                                 (int)(n - 2 - k), z + k + 1);
        uint32_t id = zName ? intern_short(b, zName) : UINT32_MAX;
        free(zName);
        return id;
      }
    }
  }
  return intern_short(b, z);
}

static int add_field(hs_binary *b, uint32_t idName, int32_t iType, uint64_t iOff) {
  binint *x = b->pInt;
  if (b->nField == x->nFieldCap && HS_GROW(b->aField, x->nFieldCap, 4096)) return HS_ENOMEM;
  b->aField[b->nField++] = (hs_binfield){idName, iType, iOff};
  return HS_OK;
}

/* Decode type DIE d into b->aType[i]. */
static int decode_type(dwread *r, uint32_t i, Dwarf_Die *d) {
  hs_binary *b = r->b;
  hs_bintype *t = &b->aType[i];
  const char *zName = dwarf_diename(d);
  memset(t, 0, sizeof *t);
  t->iElem = -1;
  t->idName = go_name(b, zName ? zName : "");
  if (t->idName == UINT32_MAX) return HS_ENOMEM;
  t->nSize = udata(d, DW_AT_byte_size, 0);
  t->iRtype = udata(d, AT_GO_RUNTIME_TYPE, 0);
  if (t->iRtype) t->iRtype += b->iTypesBase;
  uint64_t goKind = udata(d, AT_GO_KIND, 0);
  switch (dwarf_tag(d)) {
    case DW_TAG_base_type:
      t->kind = HS_BT_SCALAR;
      if (zName && strcmp(zName, "uint8") == 0 && b->iUint8 < 0) b->iUint8 = (int32_t)i;
      break;
    case DW_TAG_pointer_type:
      t->kind = HS_BT_PTR;
      t->nSize = b->nPtrSize;
      t->iElem = ref_type(r, d, DW_AT_type);
      break;
    case DW_TAG_subroutine_type:
      t->kind = HS_BT_FUNC;
      t->nSize = b->nPtrSize;
      break;
    case DW_TAG_typedef:
      t->kind = BT_TYPEDEF;
      t->iElem = ref_type(r, d, DW_AT_type);
      break;
    case DW_TAG_array_type: {
      t->kind = HS_BT_ARRAY;
      t->iElem = ref_type(r, d, DW_AT_type);
      Dwarf_Die c;
      if (dwarf_child(d, &c) == 0) {
        do {
          if (dwarf_tag(&c) == DW_TAG_subrange_type) {
            uint64_t ub = udata(&c, DW_AT_upper_bound, UINT64_MAX);
            t->nCount = udata(&c, DW_AT_count, ub == UINT64_MAX ? 0 : ub + 1);
            break;
          }
        } while (dwarf_siblingof(&c, &c) == 0);
      }
      break;
    }
    case DW_TAG_structure_type: {
      if (goKind == GOKIND_SLICE) {
        t->kind = HS_BT_SLICE;
        t->iElem = ref_type(r, d, AT_GO_ELEM);
        break;
      }
      if (goKind == GOKIND_STRING) {
        t->kind = HS_BT_STRING;
        t->iElem = b->iUint8;
        break;
      }
      if (zName && strcmp(zName, "runtime.iface") == 0) {
        t->kind = HS_BT_IFACE;
        break;
      }
      /* sync.eface {typ, val unsafe.Pointer}: sync/poolqueue.go stores
      ** any values in it through *(*any)(unsafe.Pointer(slot)). */
      if (zName && (strcmp(zName, "runtime.eface") == 0 || strcmp(zName, "sync.eface") == 0)) {
        t->kind = HS_BT_EFACE;
        break;
      }
      t->kind = HS_BT_STRUCT;
      t->iField = b->nField;
      Dwarf_Die c;
      if (dwarf_child(d, &c) == 0) {
        do {
          if (dwarf_tag(&c) != DW_TAG_member) continue;
          const char *zField = dwarf_diename(&c);
          uint32_t id = hs_str_internz(b->pStr, zField ? zField : "?");
          if (id == UINT32_MAX) return HS_ENOMEM;
          if (add_field(b, id, ref_type(r, &c, DW_AT_type),
                        udata(&c, DW_AT_data_member_location, 0)) != HS_OK)
            return HS_ENOMEM;
          t->nField++;
        } while (dwarf_siblingof(&c, &c) == 0);
      }
      break;
    }
    default:
      t->kind = HS_BT_SCALAR;
  }
  (void)GOKIND_CHAN;
  (void)GOKIND_IFACE;
  (void)GOKIND_MAP;
  return HS_OK;
}

/* Typedefs take their target's layout (following chains, at most 16 deep:
** a damaged file may loop). */
static void resolve_typedefs(hs_binary *b) {
  for (uint32_t i = 0; i < b->nType; i++) {
    hs_bintype *t = &b->aType[i];
    if (t->kind != BT_TYPEDEF) continue;
    int32_t j = t->iElem;
    for (int k = 0; k < 16 && j >= 0 && b->aType[j].kind == BT_TYPEDEF; k++) j = b->aType[j].iElem;
    if (j < 0 || b->aType[j].kind == BT_TYPEDEF) {
      t->kind = HS_BT_SCALAR;
      t->iElem = -1;
      continue;
    }
    const hs_bintype *u = &b->aType[j];
    t->kind = u->kind;
    t->nSize = u->nSize;
    t->iElem = u->iElem;
    t->nCount = u->nCount;
    t->iField = u->iField;
    t->nField = u->nField;
    if (!t->iRtype) t->iRtype = u->iRtype;
  }
}

static int cmp_rtype(const void *pA, const void *pB, void *pArg) {
  const hs_binary *b = pArg;
  uint64_t a = b->aType[*(const uint32_t *)pA].iRtype, c = b->aType[*(const uint32_t *)pB].iRtype;
  return a < c ? -1 : a > c;
}

int32_t hs_binary_rtype_dwarf(const hs_binary *b, uint64_t iAddr) {
  const binint *x = b->pInt;
  uint32_t lo = 0, hi = x->nRtypeIdx;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (b->aType[x->aRtypeIdx[mid]].iRtype < iAddr) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= x->nRtypeIdx || b->aType[x->aRtypeIdx[lo]].iRtype != iAddr) return -1;
  /* Several DIEs share a runtime type (a named type and its typedef alias):
  ** prefer the one that is not a bare typedef of a struct, i.e. the first. */
  return (int32_t)x->aRtypeIdx[lo];
}

static int add_func(hs_binary *b, Dwarf_Die *d, uint64_t iCuOff) {
  binint *x = b->pInt;
  Dwarf_Addr lo, hi;
  const char *zName = dwarf_diename(d);
  if (!zName || dwarf_lowpc(d, &lo) != 0 || dwarf_highpc(d, &hi) != 0 || hi <= lo) return HS_OK;
  if (x->nFunc == x->nFuncCap && HS_GROW(x->aFunc, x->nFuncCap, 1024)) return HS_ENOMEM;
  uint32_t id = hs_str_internz(b->pStr, zName);
  if (id == UINT32_MAX) return HS_ENOMEM;
  x->aFunc[x->nFunc++] = (binfunc){id, lo, hi, iCuOff, dwarf_dieoffset(d)};
  return HS_OK;
}

static int cmp_func(const void *pA, const void *pB) {
  const binfunc *a = pA, *b = pB;
  return a->idName < b->idName ? -1 : a->idName > b->idName;
}

static int cmp_func_pc(const void *pA, const void *pB, void *pArg) {
  const binfunc *aFunc = pArg, *a = &aFunc[*(const uint32_t *)pA], *b = &aFunc[*(const uint32_t *)pB];
  return a->iLo < b->iLo ? -1 : a->iLo > b->iLo;
}

int binint_read_dwarf(hs_binary *b, char **pzWarn) {
  dwread r = {.b = b};
  int rc = HS_OK;
  Dwarf *dbg = dwarf_begin_elf(b->pElf, DWARF_C_READ, NULL);
  if (!dbg) return HS_OK; /* stripped, or no usable DWARF: names from rtypes only */
  r.dbg = dbg;
  b->pDwarf = dbg;
  /* Pass 1: list type and variable DIEs. */
  Dwarf_Off off = 0, next;
  size_t nHdr;
  int nBad = 0;
  while (dwarf_nextcu(dbg, off, &next, &nHdr, NULL, NULL, NULL) == 0) {
    Dwarf_Die cu, c;
    if (dwarf_offdie(dbg, off + nHdr, &cu) && dwarf_child(&cu, &c) == 0) {
      do {
        int tag = dwarf_tag(&c);
        uint64_t o = dwarf_dieoffset(&c);
        if (is_type_tag(tag)) rc = push(&r.aOff, &r.nOff, &r.nOffCap, o);
        else if (tag == DW_TAG_variable) rc = push(&r.aVar, &r.nVar, &r.nVarCap, o);
        else if (tag == DW_TAG_subprogram) rc = add_func(b, &c, off + nHdr);
        if (rc != HS_OK) goto done;
      } while (dwarf_siblingof(&c, &c) == 0);
    } else
      nBad++;
    if (next <= off) break;
    off = next;
  }
  if (r.nOff == 0) {
    if (pzWarn) *pzWarn = hs_mprintf("%s: DWARF present but no types could be read (%s); "
                                     "types come from runtime descriptors only", b->zFile,
                                     dwarf_errmsg(-1));
    goto done;
  }
  /* Pass 2: decode the types. */
  b->aType = calloc(r.nOff, sizeof *b->aType);
  if (!b->aType) {
    rc = HS_ENOMEM;
    goto done;
  }
  b->nType = r.nOff;
  for (uint32_t i = 0; i < r.nOff; i++) {
    Dwarf_Die d;
    if (!dwarf_offdie(dbg, r.aOff[i], &d)) {
      b->aType[i].iElem = -1;
      nBad++;
      continue;
    }
    if ((rc = decode_type(&r, i, &d)) != HS_OK) goto done;
  }
  /* uint8 may come after the string type that needs it. */
  for (uint32_t i = 0; i < b->nType; i++)
    if (b->aType[i].kind == HS_BT_STRING) b->aType[i].iElem = b->iUint8;
  resolve_typedefs(b);
  /* Type sizes a damaged file could make absurd are clamped to what the
  ** fields say, so walks stay bounded by the object they walk. */
  binint *x = b->pInt;
  x->aRtypeIdx = malloc((b->nType ? b->nType : 1) * sizeof *x->aRtypeIdx);
  if (!x->aRtypeIdx) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t i = 0; i < b->nType; i++)
    if (b->aType[i].iRtype) x->aRtypeIdx[x->nRtypeIdx++] = i;
  if (x->nRtypeIdx) qsort_r(x->aRtypeIdx, x->nRtypeIdx, sizeof *x->aRtypeIdx, cmp_rtype, b);
  if (x->nFunc) {
    qsort(x->aFunc, x->nFunc, sizeof *x->aFunc, cmp_func);
    if (!(x->aFuncByPc = malloc(x->nFunc * sizeof *x->aFuncByPc))) {
      rc = HS_ENOMEM;
      goto done;
    }
    for (uint32_t i = 0; i < x->nFunc; i++) x->aFuncByPc[i] = i;
    qsort_r(x->aFuncByPc, x->nFunc, sizeof *x->aFuncByPc, cmp_func_pc, x->aFunc);
  }
  /* Globals. */
  for (uint32_t i = 0; i < r.nVar; i++) {
    Dwarf_Die d;
    Dwarf_Attribute a;
    Dwarf_Block blk;
    /* Go writes the location as a block holding one DW_OP_addr (libdw's
    ** dwarf_getlocation refuses a block form in DWARF 4, so we decode it). */
    if (!dwarf_offdie(dbg, r.aVar[i], &d) || !dwarf_attr(&d, DW_AT_location, &a)) continue;
    if (dwarf_formblock(&a, &blk) != 0 || blk.length != 1 + b->nPtrSize || blk.data[0] != DW_OP_addr)
      continue;
    uint64_t iAddr = 0;
    for (uint32_t k = 0; k < b->nPtrSize; k++) {
      uint32_t j = b->bBigEndian ? k : b->nPtrSize - 1 - k;
      iAddr = (iAddr << 8) | blk.data[1 + j];
    }
    const char *zName = dwarf_diename(&d);
    int32_t iType = ref_type(&r, &d, DW_AT_type);
    if (!zName) continue;
    uint64_t nSize = iType >= 0 ? b->aType[iType].nSize : 0;
    if ((rc = binint_add_global(b, zName, iAddr, nSize, iType)) != HS_OK) goto done;
  }
  b->flags |= HS_BIN_DWARF;
  if (nBad && pzWarn)
    *pzWarn = hs_mprintf("%s: %d damaged DWARF entries skipped", b->zFile, nBad);
done:
  if (rc == HS_OK && b->aType) { /* kept to type frame variables */
    b->pInt->aTypeOff = r.aOff;
    r.aOff = NULL;
  }
  free(r.aOff);
  free(r.aVar);
  return rc;
}

void binint_free_dwarf(hs_binary *b) {
  if (b->pDwarf) dwarf_end(b->pDwarf);
  b->pDwarf = NULL;
}

void hs_binary_field_path(const hs_binary *b, int32_t iType, uint64_t iOff, char *zOut,
                          size_t nOut) {
  size_t k = strlen(zOut);
  for (int depth = 0; depth < 32 && iType >= 0 && (uint32_t)iType < b->nType && k < nOut; depth++) {
    const hs_bintype *t = &b->aType[iType];
    if (t->kind == HS_BT_STRUCT) {
      const hs_binfield *f = NULL;
      for (uint32_t j = 0; j < t->nField; j++) {
        const hs_binfield *g = &b->aField[t->iField + j];
        if (g->iOff <= iOff) f = g;
      }
      if (!f) return;
      k += snprintf(zOut + k, nOut - k, ".%s", hs_str(b->pStr, f->idName));
      iOff -= f->iOff;
      iType = f->iType;
    } else if (t->kind == HS_BT_ARRAY && t->iElem >= 0 && b->aType[t->iElem].nSize) {
      uint64_t nElem = b->aType[t->iElem].nSize;
      k += snprintf(zOut + k, nOut - k, "[%llu]", (unsigned long long)(iOff / nElem));
      iOff %= nElem;
      iType = t->iElem;
    } else
      return;
  }
}

/* The function holding pc, or NULL.  O(log n): functions do not overlap. */
static const binfunc *func_of(const hs_binary *b, uint64_t pc) {
  const binint *x = b->pInt;
  uint32_t lo = 0, hi = x->aFuncByPc ? x->nFunc : 0;
  while (lo < hi) { /* first function starting after pc */
    uint32_t mid = lo + (hi - lo) / 2;
    if (x->aFunc[x->aFuncByPc[mid]].iLo <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const binfunc *f = &x->aFunc[x->aFuncByPc[lo - 1]];
  return pc < f->iHi ? f : NULL;
}

/* The inline chain at pc inside function f: descend the concrete
** subprogram's tree through the inlined subroutines (and lexical blocks)
** that contain pc, outermost first.  (libdw's dwarf_getscopes turns to an
** inlined function's abstract definition after the innermost one, so it
** would lose the middle of a nested chain.)  At most 64 levels. */
static int chain_in(const hs_binary *b, const binfunc *f, uint64_t pc,
                    void (*xFrame)(void *pArg, const char *zFunc), void *pArg) {
  const char *azName[64];
  int n = 0;
  Dwarf_Die d, c;
  if (!dwarf_offdie(b->pDwarf, f->iDieOff, &d)) return 0;
  azName[n++] = hs_str(b->pStr, f->idName);
  for (int depth = 0; depth < 64 && dwarf_child(&d, &c) == 0; depth++) {
    int bFound = 0;
    do {
      int tag = dwarf_tag(&c);
      if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) && dwarf_haspc(&c, pc) == 1) {
        if (tag == DW_TAG_inlined_subroutine && n < 64) {
          Dwarf_Attribute a;
          const char *z = dwarf_formstring(dwarf_attr_integrate(&c, DW_AT_name, &a));
          azName[n++] = z ? z : "?";
        }
        d = c;
        bFound = 1;
        break;
      }
    } while (dwarf_siblingof(&c, &c) == 0);
    if (!bFound) break;
  }
  for (int k = n - 1; k >= 0; k--) xFrame(pArg, azName[k]);
  return n;
}

int hs_binary_inline_chain(const hs_binary *b, uint64_t pc,
                           void (*xFrame)(void *pArg, const char *zFunc), void *pArg) {
  if (!b->pDwarf) return 0;
  const binfunc *f = func_of(b, pc);
  return f ? chain_in(b, f, pc, xFrame, pArg) : 0;
}

/* 1 if path zA ends with path zB or zB with zA, at a '/' boundary (the
** dump's file names and DWARF's may differ in how much of the path they
** keep). */
static int same_file(const char *zA, const char *zB) {
  size_t nA = strlen(zA), nB = strlen(zB);
  if (nA < nB) {
    const char *z = zA; zA = zB; zB = z;
    size_t n = nA; nA = nB; nB = n;
  }
  return nB > 0 && strcmp(zA + nA - nB, zB) == 0 && (nA == nB || zA[nA - nB - 1] == '/');
}

int hs_binary_inline_at(hs_binary *b, const char *zFunc, const char *zFile, uint64_t iLine,
                        void (*xFrame)(void *pArg, const char *zFunc), void *pArg) {
  binint *x = b->pInt;
  if (!b->pDwarf || !x->nFunc) return 0;
  uint32_t id = hs_str_internz(b->pStr, zFunc);
  uint32_t lo = 0, hi = x->nFunc;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (x->aFunc[mid].idName < id) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= x->nFunc || x->aFunc[lo].idName != id) return 0;
  const binfunc *f = &x->aFunc[lo];
  Dwarf_Die cu;
  Dwarf_Lines *pLines;
  size_t nLine;
  if (!dwarf_offdie(b->pDwarf, f->iCuOff, &cu) || dwarf_getsrclines(&cu, &pLines, &nLine) != 0) return 0;
  /* libdw sorts a unit's lines by address: start at the function's first. */
  size_t iFirst = 0, iEnd = nLine;
  while (iFirst < iEnd) {
    size_t mid = iFirst + (iEnd - iFirst) / 2;
    Dwarf_Addr a;
    Dwarf_Line *l = dwarf_onesrcline(pLines, mid);
    if (l && dwarf_lineaddr(l, &a) == 0 && a < f->iLo) iFirst = mid + 1;
    else iEnd = mid;
  }
  for (size_t i = iFirst; i < nLine; i++) {
    Dwarf_Line *l = dwarf_onesrcline(pLines, i);
    Dwarf_Addr a;
    int ln;
    const char *zSrc;
    if (!l || dwarf_lineaddr(l, &a) != 0) continue;
    if (a >= f->iHi) break;
    if (a < f->iLo) continue;
    if (dwarf_lineno(l, &ln) != 0 || (uint64_t)ln != iLine) continue;
    if (!(zSrc = dwarf_linesrc(l, NULL, NULL)) || !same_file(zSrc, zFile)) continue;
    return chain_in(b, f, a, xFrame, pArg);
  }
  return 0;
}

/* Frame variables.  Go writes a variable that stays in one frame slot for
** the whole function (cmd/internal/dwarf putvar) as a location block
**   DW_OP_call_frame_cfa [DW_OP_consts N DW_OP_plus]
** and one the optimizer moves between registers and slots
** (cmd/compile/internal/ssa debug.go) as a location list whose entries say,
** per piece of the value (a struct's or slice's parts, in order),
**   DW_OP_call_frame_cfa | DW_OP_fbreg N | DW_OP_regN | DW_OP_regx R | (absent)
**   [DW_OP_piece SIZE]
** with the frame base the CFA (DW_AT_frame_base DW_OP_call_frame_cfa,
** checked).  Only pieces in the frame are kept: Go keeps no register
** across a call, and the dump has no registers.  A value whose pieces do
** not add up to its type's size (padding between them) cannot be placed
** field by field and is skipped. */
typedef struct framevar {
  int32_t iType;
  uint32_t iPiece, nPiece; /* its pieces in varlist.aPiece */
  int bBad;                /* shares bytes with another variable */
} framevar;

typedef struct varlist {
  int bFbCfa;              /* the function's frame base is its CFA (DW_OP_fbreg N = CFA + N) */
  framevar *a;
  uint32_t n, nCap;
  hs_binpiece *aPiece;
  uint32_t nPiece, nPieceCap;
} varlist;

/* Decode a location block's operations we understand into ops (at most
** nMax); the count, or -1 for anything else. */
static int decode_ops(const uint8_t *p, size_t n, Dwarf_Op *aOp, int nMax) {
  int k = 0;
  size_t i = 0;
  while (i < n) {
    if (k == nMax) return -1;
    Dwarf_Op *o = &aOp[k++];
    o->atom = p[i++];
    o->number = 0;
    int bSigned = o->atom == DW_OP_fbreg || o->atom == DW_OP_consts;
    if (bSigned || o->atom == DW_OP_piece || o->atom == DW_OP_regx || o->atom == DW_OP_plus_uconst) {
      uint64_t v = 0;
      unsigned shift = 0;
      uint8_t c = 0x80;
      while (i < n && (c & 0x80) && shift < 64) {
        c = p[i++];
        v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
      }
      if (c & 0x80) return -1;
      if (bSigned && shift < 64 && (c & 0x40)) v |= ~(uint64_t)0 << shift;
      o->number = v;
    } else if (o->atom != DW_OP_call_frame_cfa && o->atom != DW_OP_plus &&
               !(o->atom >= DW_OP_reg0 && o->atom <= DW_OP_reg31))
      return -1;
  }
  return k;
}

/* Append the in-frame pieces of a value of nSize bytes whose location is
** ops; 1 if the location was understood (even with no piece in the frame). */
static int add_pieces(varlist *v, const Dwarf_Op *aOp, size_t nOp, uint64_t nSize, int *pbNoMem) {
  uint64_t iVarOff = 0;
  size_t i = 0;
  *pbNoMem = 0;
  while (i < nOp) {
    /* One piece's location: nothing, a register, or a frame slot. */
    int bMem = 0;
    int64_t iCfa = 0;
    if (aOp[i].atom == DW_OP_call_frame_cfa) {
      bMem = 1;
      i++;
      if (i + 1 < nOp && aOp[i].atom == DW_OP_consts && aOp[i + 1].atom == DW_OP_plus) {
        iCfa = (int64_t)aOp[i].number;
        i += 2;
      } else if (i < nOp && aOp[i].atom == DW_OP_plus_uconst) {
        iCfa = (int64_t)aOp[i].number;
        i++;
      }
    } else if (aOp[i].atom == DW_OP_fbreg) {
      if (!v->bFbCfa) return 0;
      bMem = 1;
      iCfa = (int64_t)aOp[i++].number;
    } else if ((aOp[i].atom >= DW_OP_reg0 && aOp[i].atom <= DW_OP_reg31) || aOp[i].atom == DW_OP_regx) {
      i++;
    } else if (aOp[i].atom != DW_OP_piece)
      return 0;
    uint64_t nPiece;
    if (i < nOp && aOp[i].atom == DW_OP_piece)
      nPiece = aOp[i++].number;
    else if (i == nOp && iVarOff == 0)
      nPiece = nSize; /* one location for the whole value */
    else
      return 0;
    if (nPiece > nSize - iVarOff) return 0;
    if (bMem && nPiece) {
      if (v->nPiece == v->nPieceCap && HS_GROW(v->aPiece, v->nPieceCap, 32)) {
        *pbNoMem = 1;
        return 0;
      }
      v->aPiece[v->nPiece++] = (hs_binpiece){iVarOff, nPiece, iCfa};
    }
    iVarOff += nPiece;
  }
  return iVarOff == nSize;
}

/* Collect the variables of the scope d that are in the frame at pc,
** descending into the lexical blocks and inlined bodies that hold pc. */
static int collect_vars(const dwread *r, Dwarf_Die *d, uint64_t pc, varlist *v, int depth) {
  Dwarf_Die c;
  if (depth > 64 || dwarf_child(d, &c) != 0) return HS_OK;
  do {
    int tag = dwarf_tag(&c);
    if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      if (dwarf_haspc(&c, pc) == 1 && collect_vars(r, &c, pc, v, depth + 1) != HS_OK) return HS_ENOMEM;
      continue;
    }
    if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter) continue;
    Dwarf_Attribute a;
    Dwarf_Die t;
    if (!dwarf_attr_integrate(&c, DW_AT_type, &a) || !dwarf_formref_die(&a, &t)) continue;
    int32_t iType = type_index(r, dwarf_dieoffset(&t));
    if (iType < 0 || r->b->aType[iType].nSize == 0 || !dwarf_attr(&c, DW_AT_location, &a)) continue;
    Dwarf_Op aBuf[64], *aOp = aBuf;
    size_t nOp = 0;
    Dwarf_Block blk;
    if (dwarf_whatform(&a) == DW_FORM_sec_offset || dwarf_whatform(&a) == DW_FORM_loclistx) {
      /* A location list: the entry covering pc. */
      if (dwarf_getlocation_addr(&a, pc, &aOp, &nOp, 1) != 1) continue;
    } else {
      int k = dwarf_formblock(&a, &blk) == 0 ? decode_ops(blk.data, blk.length, aBuf, 64) : -1;
      if (k <= 0) continue;
      nOp = (size_t)k;
    }
    if (v->n == v->nCap && HS_GROW(v->a, v->nCap, 32)) return HS_ENOMEM;
    uint32_t iFirst = v->nPiece;
    int bNoMem;
    if (!add_pieces(v, aOp, nOp, r->b->aType[iType].nSize, &bNoMem)) {
      v->nPiece = iFirst;
      if (bNoMem) return HS_ENOMEM;
      continue;
    }
    if (v->nPiece > iFirst) v->a[v->n++] = (framevar){iType, iFirst, v->nPiece - iFirst, 0};
  } while (dwarf_siblingof(&c, &c) == 0);
  return HS_OK;
}

/* Two pieces of different variables share a byte of the frame. */
static int overlap(const varlist *v, const framevar *x, const framevar *y) {
  for (uint32_t i = 0; i < x->nPiece; i++)
    for (uint32_t j = 0; j < y->nPiece; j++) {
      const hs_binpiece *p = &v->aPiece[x->iPiece + i], *q = &v->aPiece[y->iPiece + j];
      if (p->iCfaOff < q->iCfaOff + (int64_t)q->nSize && q->iCfaOff < p->iCfaOff + (int64_t)p->nSize)
        return 1;
    }
  return 0;
}

/* The same variable twice (an inlined body's copy): same type, same pieces. */
static int same_var(const varlist *v, const framevar *x, const framevar *y) {
  return x->iType == y->iType && x->nPiece == y->nPiece &&
         memcmp(&v->aPiece[x->iPiece], &v->aPiece[y->iPiece], x->nPiece * sizeof *v->aPiece) == 0;
}

int hs_binary_frame_vars(const hs_binary *b, uint64_t iEntry, uint64_t pc,
                         void (*xVar)(void *pArg, int32_t iType, const hs_binpiece *, uint32_t),
                         void *pArg) {
  const binint *x = b->pInt;
  const binfunc *f = b->pDwarf && x->aTypeOff ? func_of(b, iEntry) : NULL;
  Dwarf_Die d;
  if (!f || !dwarf_offdie(b->pDwarf, f->iDieOff, &d)) return HS_OK;
  dwread r = {.b = (hs_binary *)b, .dbg = b->pDwarf, .aOff = x->aTypeOff, .nOff = b->nType};
  varlist v = {0};
  Dwarf_Attribute a;
  Dwarf_Block blk;
  v.bFbCfa = dwarf_attr(&d, DW_AT_frame_base, &a) && dwarf_formblock(&a, &blk) == 0 &&
             blk.length == 1 && blk.data[0] == DW_OP_call_frame_cfa;
  int rc = collect_vars(&r, &d, pc, &v, 0);
  /* Two variables sharing bytes (Go 1.23+ merges the slots of locals whose
  ** lives do not overlap) cannot say whose value is there: both dropped.
  ** O(n^2) in a function's variables in scope at pc: tens. */
  for (uint32_t i = 0; i < v.n && rc == HS_OK; i++)
    for (uint32_t j = i + 1; j < v.n; j++)
      if (overlap(&v, &v.a[i], &v.a[j]) && !same_var(&v, &v.a[i], &v.a[j])) v.a[i].bBad = v.a[j].bBad = 1;
  for (uint32_t i = 0; i < v.n && rc == HS_OK; i++)
    if (!v.a[i].bBad) xVar(pArg, v.a[i].iType, &v.aPiece[v.a[i].iPiece], v.a[i].nPiece);
  free(v.a);
  free(v.aPiece);
  return rc;
}
