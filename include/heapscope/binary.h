/*
 * The program's binary as evidence: a Go ELF executable read with elfutils
 * (libelf for sections and symbols, libdw for DWARF), giving names to what a
 * heap dump leaves anonymous.
 *
 *   - Go build info (.go.buildinfo): the Go version, to check the binary
 *     against the dump's params;
 *   - .data/.bss addresses and sizes, to check them against the dump's
 *     segment records (a binary that did not write the dump is refused);
 *   - runtime type descriptors (abi.Type) in the read-only data: the name
 *     of the type a malloc header or an interface word points at;
 *   - DWARF: global variables (name, address, type), types with their
 *     fields, and inlined subroutines (a PC's inline chain).
 *
 * A stripped binary (no .symtab, no DWARF) still gives the version, the
 * segments and runtime type names; hs_binary.flags says what was found.
 *
 * Ownership: an hs_binary owns every array below and its own string pool;
 * it points into the input buffer it was opened from (the caller keeps the
 * buffer alive as long as the hs_binary).  Opening costs one pass over the
 * DWARF .debug_info (about 0.1 s for a 10 MB binary), memory about 40 bytes
 * per DWARF type and global.
 */
#ifndef HEAPSCOPE_BINARY_H
#define HEAPSCOPE_BINARY_H

#include "heapscope/heapscope.h"

/* What the binary provided (hs_binary.flags). */
enum {
  HS_BIN_BUILDINFO = 1, /* .go.buildinfo: Go version */
  HS_BIN_SYMTAB = 2,    /* .symtab: global symbols */
  HS_BIN_DWARF = 4,     /* .debug_info: types, globals with types, inline chains */
  HS_BIN_RTYPES = 8     /* runtime type descriptors readable (moduledata types base) */
};

/* Layout kinds of a type (hs_bintype.kind): how a value of the type holds
** pointers, which is all the typing walk needs. */
enum {
  HS_BT_SCALAR = 0,  /* no pointers (ints, floats, bool, uintptr) */
  HS_BT_PTR,         /* *elem (also unsafe.Pointer with elem -1, map and chan
                        values: a pointer to their header type) */
  HS_BT_STRUCT,      /* fields */
  HS_BT_ARRAY,       /* nCount x elem */
  HS_BT_SLICE,       /* {*elem, len, cap} */
  HS_BT_STRING,      /* {*uint8, len} */
  HS_BT_IFACE,       /* {*itab, data} */
  HS_BT_EFACE,       /* {*_type, data} */
  HS_BT_FUNC         /* a func value: *funcval, not followed */
};

typedef struct hs_binfield {
  uint32_t idName;   /* field name (binary's pool) */
  int32_t iType;     /* index into aType */
  uint64_t iOff;     /* byte offset in the struct */
} hs_binfield;

typedef struct hs_bintype {
  uint32_t idName;   /* the name Go's reflect prints ("main.Entry", "[]uint8",
                        "map.bucket[int]*main.Entry"), binary's pool */
  uint8_t kind;      /* HS_BT_* */
  uint64_t nSize;    /* bytes */
  int32_t iElem;     /* PTR target, ARRAY/SLICE element; -1 if none/unknown */
  uint64_t nCount;   /* ARRAY length */
  uint32_t iField;   /* STRUCT: first field in aField */
  uint32_t nField;   /* STRUCT: field count */
  uint64_t iRtype;   /* address of its runtime type descriptor, 0 if none */
} hs_bintype;

typedef struct hs_binglobal {
  uint32_t idName;   /* "main.registry" */
  uint64_t iAddr;    /* address in .data/.bss/.noptr* */
  uint64_t nSize;    /* bytes (DWARF type size, or symbol size) */
  int32_t iType;     /* index into aType, -1 without DWARF */
} hs_binglobal;

typedef struct hs_binary {
  const char *zFile;        /* display name, for messages (not owned) */
  const uint8_t *p;         /* the ELF image (not owned) */
  uint64_t n;
  uint32_t flags;           /* HS_BIN_* */
  char *zGoVersion;         /* "go1.19.8"; NULL without build info */
  char *zModPath;           /* main module path ("heapscope/samples/leaky" path line), or NULL */
  uint32_t nPtrSize;        /* 4 or 8 */
  int bBigEndian;
  uint64_t iDataAddr, nData;   /* .data section (what the dump's data record covers) */
  uint64_t iBssAddr, nBss;     /* .bss section */
  uint64_t iTypesBase;         /* moduledata.types: base of nameOff/typeOff */
  uint64_t iTypesEnd;

  hs_strpool *pStr;         /* names below */
  uint32_t nType;
  hs_bintype *aType;
  uint32_t nField;
  hs_binfield *aField;
  uint32_t nGlobal;         /* sorted by iAddr */
  hs_binglobal *aGlobal;
  int32_t iUint8;           /* the uint8 type, -1 if absent */

  /* What hs_binary_name_case proved about the case's heap objects, kept
  ** for field names in paths (hs_binary_object_field); NULL before. */
  uint64_t nObj;
  int32_t *aObjType;        /* per object: DWARF type of its (first) element, -1 */
  uint8_t *aObjForm;        /* per object: one value, or an array of them */

  void *pDwarf;             /* libdw handle (Dwarf *), NULL without DWARF */
  void *pElf;               /* libelf handle (Elf *) */
  struct binint *pInt;      /* reader state private to core/binary */
} hs_binary;

/* Open an ELF image p[0..n).  Returns HS_OK with *ppOut set, or an error
** status with *pzErr (malloc'd) naming what was wrong ("section header
** table at offset N runs past the end", "no Go build info: not a Go
** program").  Damaged DWARF is not fatal: the binary opens without
** HS_BIN_DWARF and *pzErr... stays NULL; pzWarn (may be NULL) gets a
** malloc'd note saying what was skipped. */
int hs_binary_open(const char *zFile, const uint8_t *p, uint64_t n, hs_binary **ppOut,
                   char **pzErr, char **pzWarn);
void hs_binary_free(hs_binary *);

/* Whether p[0..n) looks like an ELF file (its magic). */
int hs_binary_is_elf(const uint8_t *p, uint64_t n);
/* Whether it holds Go build info (the "\xff Go buildinf:" magic, as Go's
** debug/buildinfo finds it).  O(n), one memmem. */
int hs_binary_is_go(const uint8_t *p, uint64_t n);

/* Read nBytes at virtual address iAddr from the file's loadable sections;
** NULL when the range is not in a PROGBITS section. */
const uint8_t *hs_binary_at(const hs_binary *, uint64_t iAddr, uint64_t nBytes);

/* The name of the runtime type descriptor at iAddr, as reflect prints it
** (tflagExtraStar honoured), into zOut; returns its length or -1 if iAddr
** is not a readable type descriptor.  O(1). */
int hs_binary_rtype_name(const hs_binary *, uint64_t iAddr, char *zOut, size_t nOut);
/* The DWARF type whose runtime descriptor is at iAddr, or -1.  O(log n). */
int32_t hs_binary_rtype_dwarf(const hs_binary *, uint64_t iAddr);
/* Size in bytes of the runtime type at iAddr, 0 if unreadable. */
uint64_t hs_binary_rtype_size(const hs_binary *, uint64_t iAddr);

/* The global containing address a, or NULL.  O(log n). */
const hs_binglobal *hs_binary_global(const hs_binary *, uint64_t a);

/* Name the place at byte offset iOff inside a value of type iType, as a Go
** expression suffix: ".servers[3].name"; appends to zOut (NUL-terminated,
** truncated at nOut).  Stops at the innermost field containing iOff. */
void hs_binary_field_path(const hs_binary *, int32_t iType, uint64_t iOff, char *zOut,
                          size_t nOut);

/* The inline chain at pc, innermost first: calls xFrame(pArg, zFunc) once
** per inlined function, then once for the function they were inlined into.
** Returns the number of frames reported (0 without DWARF or when pc is in
** no function). */
int hs_binary_inline_chain(const hs_binary *, uint64_t pc,
                           void (*xFrame)(void *pArg, const char *zFunc), void *pArg);

/* The inline chain of the code at zFile:iLine inside function zFunc (what
** a heap dump's memprof frame records: the outer function, the innermost
** position), innermost first, as for hs_binary_inline_chain.  Returns the
** number of frames (0 when not found, 1 when nothing was inlined there).
** Cost: one pass over the line table of zFunc's compile unit. */
int hs_binary_inline_at(hs_binary *, const char *zFunc, const char *zFile, uint64_t iLine,
                        void (*xFrame)(void *pArg, const char *zFunc), void *pArg);

/* A piece of a frame variable's value that is in the frame at some pc. */
typedef struct hs_binpiece {
  uint64_t iVarOff;   /* its offset in the variable's value */
  uint64_t nSize;     /* bytes */
  int64_t iCfaOff;    /* where: CFA + iCfaOff */
} hs_binpiece;

/* The variables in scope at pc of the function holding iEntry whose
** value, or pieces of it, DWARF places in the frame there: xVar(pArg, type,
** pieces, n) for each; variables that share bytes with another are left
** out (no way to tell whose value is there).  HS_OK (also without DWARF or
** when no function holds iEntry) or HS_ENOMEM.  Cost: one walk of the
** function's DIEs and a location list lookup per variable. */
int hs_binary_frame_vars(const hs_binary *, uint64_t iEntry, uint64_t pc,
                         void (*xVar)(void *pArg, int32_t iType, const hs_binpiece *, uint32_t),
                         void *pArg);

/* Attach names to a case: check the binary against its heap dump (Go
** version, data and bss segments), and when it matches, name roots by
** global and field path, type objects (malloc headers, interface words,
** propagation from typed globals), and expand memprof sites to inline
** chains.  Fills heap.objects.type_name, heap.roots.desc, heap.binary.
** Called once per case after every input loaded, before sealing. */
int hs_binary_name_case(hs_case *, hs_binary *);

/* The field at byte offset iOff of heap object iObj, as a Go expression
** suffix relative to the object (".buf", "[3].next", "[4096]"), into zOut;
** returns 1, or 0 when the object's type is not known (zOut is then "").
** Offsets count from the slot's start (a Go 1.22+ type header included). */
struct hs_heap;
int hs_binary_object_field(const hs_binary *, const struct hs_heap *, uint64_t iObj,
                           uint64_t iOff, char *zOut, size_t nOut);

/* Counts from the typing pass (hs_binary_name_case), for `info` and tests. */
typedef struct hs_typing_stats {
  uint64_t nObjAll, nObjBytes;   /* objects in the dump (reachable or not) */
  uint64_t nTyped, nTypedBytes;   /* of those, with a type name */
  uint64_t nHeader;               /* typed by a malloc header */
  uint64_t nIface;                /* typed by an interface word */
  uint64_t nConflict;             /* a less specific type was offered later and refused */
} hs_typing_stats;

#endif /* HEAPSCOPE_BINARY_H */
