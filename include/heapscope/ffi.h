/*
 * The structures Lua reads zero-copy through the LuaJIT FFI.  This file is
 * both included by C and handed verbatim to ffi.cdef (it is embedded in the
 * binary), so it must stay plain: no macros, no #include, no attributes,
 * no enum values Lua cannot parse.  The include guard lines are stripped by
 * the build before embedding.
 */
#ifndef HEAPSCOPE_FFI_H
#define HEAPSCOPE_FFI_H

/* String pool: strings are stored NUL-terminated back to back in aData;
** aOff[id] is where string id starts.  Id 0 is "". */
typedef struct hs_strpool {
  char *aData;          /* string bytes */
  uint64_t nData;       /* bytes used */
  uint64_t nDataCap;    /* bytes allocated */
  uint64_t *aOff;       /* nStr offsets into aData */
  uint32_t nStr;        /* number of strings */
  uint32_t nStrCap;     /* allocated offsets */
  uint32_t *aHash;      /* open-addressing table of ids+1 (0: empty) */
  uint32_t nHashCap;    /* power of two */
  uint32_t iPad;
} hs_strpool;

/* Column types. */
typedef enum hs_type {
  HS_U32 = 1,
  HS_U64 = 2,
  HS_I64 = 3,
  HS_F64 = 4,
  HS_STR = 5          /* u32 string id into the table's pool */
} hs_type;

/* Column display hints (the REPL printer and writers use them). */
enum hs_col_flag {
  HS_COL_BYTES = 1,   /* a size in bytes: print as 41.9 MiB */
  HS_COL_HEX = 2,     /* an address: print as 0xc000123000 */
  HS_COL_SECONDS = 4, /* seconds (relative unless HS_COL_EPOCH) */
  HS_COL_EPOCH = 8,   /* seconds since the Unix epoch */
  HS_COL_PCT = 16,    /* a percentage */
  HS_COL_MB = 32      /* megabytes as printed by the Go runtime (gctrace) */
};

typedef struct hs_column {
  const char *zName;    /* column name, owned by the table */
  int32_t type;         /* hs_type */
  uint32_t flags;       /* HS_COL_* display hints */
  void *aData;          /* nRow elements of the column's C type */
  uint64_t nCap;        /* allocated elements */
} hs_column;

typedef struct hs_table {
  const char *zName;    /* e.g. "gc", "heap.objects", "profiles.heap.samples" */
  uint64_t nRow;        /* rows in every column */
  int32_t nCol;         /* number of columns */
  int32_t bSealed;      /* 1 once loading finished: immutable from then on */
  hs_column *aCol;      /* nCol columns */
  hs_strpool *pStr;     /* string pool of the owning case */
  const char *zNote;    /* what a row is, units; shown by help */
  int32_t nColCap;
  int32_t iPad;
} hs_table;

/* Payload of the Lua full userdata "hs.table".  hs.table (core/lua/table.lua) casts the
** userdata to this type and reads the columns in place; the wrapper keeps
** the userdata (and through its environment the case) alive while it holds
** cdata pointers.  A view (where/sort/top) carries nIdx 0-based row numbers
** of pTab in aIdx, allocated with the userdata. */
typedef struct hs_table_ud {
  hs_table *pTab;       /* the table */
  uint32_t bOwned;      /* 1: pTab freed with the userdata; 2: pTab and its pool */
  uint32_t bView;       /* 1: rows are aIdx[0..nIdx) */
  uint64_t nIdx;        /* rows in a view */
  uint32_t aIdx[1];     /* view rows (nIdx of them, allocated past the struct) */
} hs_table_ud;

/* p:top's pass over a profile's samples (core/lua/ffiprof.c): flat and cum
** per node (aFlat, aCum: nNode+1 doubles, zeroed by the caller), and with
** bLabels the inline marks (aHasIn, aHasNoin: nNode+1 bytes, zeroed).
** Returns 0 (HS_OK), or nonzero on out-of-memory or Ctrl-C. */
int hs_profile_aggregate(uint64_t nSample, const int64_t *aVal, const uint32_t *aStack,
                         const uint32_t *aDepth, uint64_t nStackRow, const uint32_t *aStLoc,
                         uint32_t nLoc, const int32_t *aStart, const int32_t *aSeq,
                         const uint8_t *aTarget, uint32_t nNode, int bLabels, double *aFlat,
                         double *aCum, uint8_t *aHasIn, uint8_t *aHasNoin);

#endif
