/*
 * String pool: interning with an open-addressing hash of ids.
 *
 * Strings live back to back, NUL-terminated, in one growing buffer so that
 * Lua can read any of them zero-copy (ffi.string(aData + aOff[id])).  The
 * hash stores id+1 (0 = empty slot) and is kept at most half full, so a
 * lookup probes ~1.5 slots on average.  Cost: 8 bytes of offset + 8 bytes of
 * hash per string, plus the bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "heapscope/heapscope.h"
#include "base/base.h"

static uint32_t str_hash(const char *z, size_t n) { return (uint32_t)XXH3_64bits(z, n); }

hs_strpool *hs_strpool_new(void) {
  hs_strpool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  if (hs_str_intern(p, "", 0) != 0) {
    hs_strpool_free(p);
    return NULL;
  }
  return p;
}

void hs_strpool_free(hs_strpool *p) {
  if (!p) return;
  free(p->aData);
  free(p->aOff);
  free(p->aHash);
  free(p);
}

static int pool_rehash(hs_strpool *p, uint32_t nCap) {
  uint32_t *aNew = calloc(nCap, sizeof *aNew);
  if (!aNew) return HS_ENOMEM;
  for (uint32_t id = 0; id < p->nStr; id++) {
    const char *z = p->aData + p->aOff[id];
    uint32_t h = str_hash(z, strlen(z)) & (nCap - 1);
    while (aNew[h]) h = (h + 1) & (nCap - 1);
    aNew[h] = id + 1;
  }
  free(p->aHash);
  p->aHash = aNew;
  p->nHashCap = nCap;
  return HS_OK;
}

/* Strings may contain NUL bytes in the input; they are cut at the first one
** so that every id reads back as a C string. */
uint32_t hs_str_intern(hs_strpool *p, const char *z, size_t n) {
  const char *zNul = n ? memchr(z, 0, n) : NULL;
  if (zNul) n = (size_t)(zNul - z);
  if ((uint64_t)(p->nStr + 1) * 2 > p->nHashCap) {
    if (pool_rehash(p, p->nHashCap ? p->nHashCap * 2 : 64)) return UINT32_MAX;
  }
  uint32_t mask = p->nHashCap - 1;
  uint32_t h = str_hash(z, n) & mask;
  while (p->aHash[h]) {
    uint32_t id = p->aHash[h] - 1;
    const char *zOld = p->aData + p->aOff[id];
    if (strncmp(zOld, z, n) == 0 && zOld[n] == 0) return id;
    h = (h + 1) & mask;
  }
  if (p->nStr == UINT32_MAX - 1) return UINT32_MAX;
  if (p->nStr == p->nStrCap && HS_GROW(p->aOff, p->nStrCap, 64)) return UINT32_MAX;
  if (p->nData + n + 1 > p->nDataCap) {
    uint64_t nCap = p->nDataCap ? p->nDataCap : 1024;
    while (nCap < p->nData + n + 1) nCap *= 2;
    char *aNew = realloc(p->aData, nCap);
    if (!aNew) return UINT32_MAX;
    p->aData = aNew;
    p->nDataCap = nCap;
  }
  memcpy(p->aData + p->nData, z, n);
  p->aData[p->nData + n] = 0;
  uint32_t id = p->nStr++;
  p->aOff[id] = p->nData;
  p->nData += n + 1;
  p->aHash[h] = id + 1;
  return id;
}

uint32_t hs_str_internz(hs_strpool *p, const char *z) {
  return hs_str_intern(p, z ? z : "", z ? strlen(z) : 0);
}

const char *hs_str(const hs_strpool *p, uint32_t id) {
  if (!p || id >= p->nStr) return "";
  return p->aData + p->aOff[id];
}

size_t hs_str_len(const hs_strpool *p, uint32_t id) { return strlen(hs_str(p, id)); }

uint32_t hs_strpool_count(const hs_strpool *p) { return p ? p->nStr : 0; }
