/*
 * Columnar tables.  Each column is a growable C array of its type; rows are
 * appended zeroed and then filled, so every column always has nRow elements
 * and a loader that stops halfway leaves a consistent table.  Growth is by
 * doubling: appending N rows costs O(N) amortised, at most 2x the final
 * memory while growing.  hs_table_seal() trims nothing (Lua may already hold
 * pointers only after sealing, and trimming would move them).
 */
#include <stdlib.h>
#include <string.h>
#include "heapscope/heapscope.h"
#include "table/internal.h"
#include "base/base.h"

hs_table *hs_case_table(const hs_case *c, const char *zName) {
  for (int i = 0; i < c->nTable; i++)
    if (strcmp(c->apTable[i]->zName, zName) == 0) return c->apTable[i];
  return NULL;
}

/* A second loader writing the same table name (two gctrace logs in one case)
** gets a new table with a numbered name? No: evidence of one kind from one
** process is appended to the same table, so hs_table_new returns the existing
** unsealed table when there is one. */
hs_table *hs_table_new(hs_case *c, const char *zName) {
  hs_table *t = hs_case_table(c, zName);
  if (t && !t->bSealed) return t;
  if (t) return NULL; /* sealed: the case is finished */
  if (c->nTable == c->nTableCap && HS_GROW(c->apTable, c->nTableCap, 16)) return NULL;
  t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->zName = hs_strdup(zName);
  t->pStr = c->pStr;
  if (!t->zName) {
    free(t);
    return NULL;
  }
  c->apTable[c->nTable++] = t;
  return t;
}

hs_table *hs_table_open(hs_case *c, const char *zName, const char *zNote,
                        const hs_colspec *a, int nCol, int *aiCol) {
  hs_table *t = hs_table_new(c, zName);
  if (!t) return NULL;
  for (int i = 0; i < nCol; i++) {
    int iCol = hs_table_colidx(t, a[i].zName);
    if (iCol < 0 && t->nRow == 0 && (iCol = hs_table_col(t, a[i].zName, a[i].type, a[i].flags)) < 0)
      return NULL;
    if (aiCol)
      aiCol[i] = iCol;
    else if (iCol != i)
      return NULL;
  }
  if (!t->zNote) t->zNote = hs_strdup(zNote); /* a note is optional: OOM leaves none */
  return t;
}

static size_t type_size(int type) {
  switch (type) {
    case HS_U32: case HS_STR: return 4;
    default: return 8;
  }
}

int hs_table_col(hs_table *t, const char *zName, hs_type type, uint32_t flags) {
  if (t->bSealed || t->nRow > 0) return -1;
  if (hs_table_colidx(t, zName) >= 0) return -1;
  if (t->nCol == t->nColCap && HS_GROW(t->aCol, t->nColCap, 8)) return -1;
  hs_column *c = &t->aCol[t->nCol];
  memset(c, 0, sizeof *c);
  c->zName = hs_strdup(zName);
  if (!c->zName) return -1;
  c->type = type;
  c->flags = flags;
  return t->nCol++;
}

int hs_table_colidx(const hs_table *t, const char *zName) {
  for (int i = 0; i < t->nCol; i++)
    if (strcmp(t->aCol[i].zName, zName) == 0) return i;
  return -1;
}

int hs_table_reserve(hs_table *t, uint64_t nRow) {
  for (int i = 0; i < t->nCol; i++) {
    hs_column *c = &t->aCol[i];
    if (c->nCap >= nRow) continue;
    void *aNew = realloc(c->aData, nRow * type_size(c->type));
    if (!aNew) return HS_ENOMEM;
    c->aData = aNew;
    c->nCap = nRow;
  }
  return HS_OK;
}

/* Hot in every text loader (one call per gc line): a typed store per column
** instead of a variable-size memset, and growth only when a column is full. */
uint64_t hs_table_add_row(hs_table *t) {
  if (t->bSealed) return UINT64_MAX;
  uint64_t iRow = t->nRow;
  for (int i = 0; i < t->nCol; i++) {
    hs_column *c = &t->aCol[i];
    size_t nSize = type_size(c->type);
    if (iRow >= c->nCap) {
      uint64_t nCap = c->nCap ? c->nCap * 2 : 64;
      void *aNew = realloc(c->aData, nCap * nSize);
      if (!aNew) return UINT64_MAX;
      c->aData = aNew;
      c->nCap = nCap;
    }
    if (nSize == 4)
      ((uint32_t *)c->aData)[iRow] = 0;
    else
      ((uint64_t *)c->aData)[iRow] = 0;
  }
  t->nRow++;
  return iRow;
}

/* Setters ignore a bad column or row: a loader bug must not corrupt memory. */
#define CELL(t, iCol, iRow, T) \
  if (iCol < 0 || iCol >= t->nCol || iRow >= t->nRow) return; \
  T *a = (T *)t->aCol[iCol].aData

#define SETTER(NAME, T)                                                  \
  void hs_table_set_##NAME(hs_table *t, int iCol, uint64_t iRow, T v) {  \
    CELL(t, iCol, iRow, T);                                              \
    a[iRow] = v;                                                         \
  }
SETTER(u32, uint32_t)
SETTER(u64, uint64_t)
SETTER(i64, int64_t)
SETTER(f64, double)
void hs_table_set_str(hs_table *t, int iCol, uint64_t iRow, const char *z, size_t n) {
  CELL(t, iCol, iRow, uint32_t);
  uint32_t id = hs_str_intern(t->pStr, z, n);
  a[iRow] = id == UINT32_MAX ? 0 : id;
}
void hs_table_set_strz(hs_table *t, int iCol, uint64_t iRow, const char *z) {
  hs_table_set_str(t, iCol, iRow, z ? z : "", z ? strlen(z) : 0);
}

uint64_t hs_table_u64(const hs_table *t, int iCol, uint64_t iRow) {
  if (iCol < 0 || iCol >= t->nCol || iRow >= t->nRow) return 0;
  const hs_column *c = &t->aCol[iCol];
  switch (c->type) {
    case HS_U32: case HS_STR: return ((uint32_t *)c->aData)[iRow];
    case HS_U64: return ((uint64_t *)c->aData)[iRow];
    case HS_I64: return (uint64_t)((int64_t *)c->aData)[iRow];
    case HS_F64: return (uint64_t)((double *)c->aData)[iRow];
  }
  return 0;
}

double hs_table_f64(const hs_table *t, int iCol, uint64_t iRow) {
  if (iCol < 0 || iCol >= t->nCol || iRow >= t->nRow) return 0;
  const hs_column *c = &t->aCol[iCol];
  switch (c->type) {
    case HS_F64: return ((double *)c->aData)[iRow];
    case HS_I64: return (double)((int64_t *)c->aData)[iRow];
    default: return (double)hs_table_u64(t, iCol, iRow);
  }
}

const char *hs_table_str(const hs_table *t, int iCol, uint64_t iRow) {
  if (iCol < 0 || iCol >= t->nCol || iRow >= t->nRow) return "";
  if (t->aCol[iCol].type != HS_STR) return "";
  return hs_str(t->pStr, ((uint32_t *)t->aCol[iCol].aData)[iRow]);
}

void hs_table_seal(hs_table *t) { t->bSealed = 1; }

void hs_table_free_(hs_table *t) {
  if (!t) return;
  for (int i = 0; i < t->nCol; i++) {
    free((void *)t->aCol[i].zName);
    if (t->aCol[i].nCap) free(t->aCol[i].aData); /* nCap 0: borrowed, or never grown */
  }
  free(t->aCol);
  free((void *)t->zName);
  free((void *)t->zNote);
  free(t);
}

hs_table *hs_table_borrow(const char *zName, const char *zNote, const hs_colspec *a, int nCol,
                          void *const *apData, uint64_t nRow, hs_strpool *pStr) {
  hs_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->aCol = calloc((size_t)nCol, sizeof *t->aCol);
  t->zName = hs_strdup(zName);
  t->zNote = hs_strdup(zNote);
  if (!t->aCol || !t->zName) goto fail;
  t->nColCap = nCol;
  for (; t->nCol < nCol; t->nCol++) {
    hs_column *c = &t->aCol[t->nCol];
    if (!(c->zName = hs_strdup(a[t->nCol].zName))) goto fail;
    c->type = a[t->nCol].type;
    c->flags = a[t->nCol].flags;
    c->aData = apData[t->nCol];      /* nCap stays 0: borrowed */
  }
  t->nRow = nRow;
  t->pStr = pStr;
  t->bSealed = 1;
  return t;
fail:
  hs_table_free_(t);
  return NULL;
}
