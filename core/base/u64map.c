/*
 * The u64 -> u64 hash map (see base.h).  Keys are mixed with a Fibonacci
 * multiply and the high bits folded down, which spreads dense ids
 * (1, 2, 3 ...) and aligned addresses (0xc000010000, 0xc000010040 ...)
 * alike.  Key 0 lives outside the slots, so 0 can mark an empty slot.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "base/base.h"

static uint64_t slot_of(const hs_u64map *m, uint64_t k) {
  uint64_t h = k * 0x9E3779B97F4A7C15ull;
  uint64_t i = (h ^ (h >> 32)) & (m->nCap - 1);
  while (m->aKey[i] && m->aKey[i] != k) i = (i + 1) & (m->nCap - 1);
  return i;
}

static int grow_to(hs_u64map *m, uint64_t nCap) {
  hs_u64map n = *m;
  n.nCap = nCap;
  n.aKey = calloc(nCap, sizeof *n.aKey);
  n.aVal = malloc(nCap * sizeof *n.aVal);
  if (!n.aKey || !n.aVal) {
    free(n.aKey);
    free(n.aVal);
    return HS_ENOMEM;
  }
  for (uint64_t i = 0; i < m->nCap; i++) {
    if (!m->aKey[i]) continue;
    uint64_t j = slot_of(&n, m->aKey[i]);
    n.aKey[j] = m->aKey[i];
    n.aVal[j] = m->aVal[i];
  }
  free(m->aKey);
  free(m->aVal);
  *m = n;
  return HS_OK;
}

int hs_u64map_reserve(hs_u64map *m, uint64_t n) {
  uint64_t nCap = m->nCap ? m->nCap : 16;
  while (nCap < 2 * n) nCap *= 2;
  return nCap == m->nCap ? HS_OK : grow_to(m, nCap);
}

uint64_t *hs_u64map_upsert(hs_u64map *m, uint64_t k, int *pbNew) {
  int bDummy;
  if (!pbNew) pbNew = &bDummy;
  if (k == 0) {
    *pbNew = !m->bZero;
    if (!m->bZero) {
      m->bZero = 1;
      m->iZeroVal = 0;
    }
    return &m->iZeroVal;
  }
  if ((m->nUsed + 1) * 2 > m->nCap && hs_u64map_reserve(m, m->nUsed + 1) != HS_OK) return NULL;
  uint64_t i = slot_of(m, k);
  *pbNew = !m->aKey[i];
  if (*pbNew) {
    m->aKey[i] = k;
    m->aVal[i] = 0;
    m->nUsed++;
  }
  return &m->aVal[i];
}

int hs_u64map_put(hs_u64map *m, uint64_t k, uint64_t v) {
  uint64_t *p = hs_u64map_upsert(m, k, NULL);
  if (!p) return HS_ENOMEM;
  *p = v;
  return HS_OK;
}

int hs_u64map_get(const hs_u64map *m, uint64_t k, uint64_t *pv) {
  uint64_t v;
  if (k == 0) {
    v = m->iZeroVal;
    if (!m->bZero) return 0;
  } else {
    if (!m->nCap) return 0;
    uint64_t i = slot_of(m, k);
    if (!m->aKey[i]) return 0;
    v = m->aVal[i];
  }
  if (pv) *pv = v;
  return 1;
}

void hs_u64map_free(hs_u64map *m) {
  free(m->aKey);
  free(m->aVal);
  memset(m, 0, sizeof *m);
}
