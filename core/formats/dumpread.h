/*
** The heap dump's record kinds and the bounds-checked varint reader the
** loader (heapdump.c) uses; private to the heap dump code and the tests'
** decode-only scan (dumpscan.c).  The format essay is at the top
** of heapdump.c.
*/
#ifndef HS_FORMATS_DUMPREAD_H
#define HS_FORMATS_DUMPREAD_H

#include <stdint.h>
#include "formats/memstats.h"

#define HEAPDUMP_MAGIC "go1.7 heap dump\n"
#define HEAPDUMP_MAGIC_LEN 16

enum {
  TAG_EOF = 0, TAG_OBJECT = 1, TAG_OTHERROOT = 2, TAG_TYPE = 3, TAG_GOROUTINE = 4,
  TAG_FRAME = 5, TAG_PARAMS = 6, TAG_FINALIZER = 7, TAG_ITAB = 8, TAG_THREAD = 9,
  TAG_MEMSTATS = 10, TAG_QFINALIZER = 11, TAG_DATA = 12, TAG_BSS = 13,
  TAG_DEFER = 14, TAG_PANIC = 15, TAG_MEMPROF = 16, TAG_ALLOCSAMPLE = 17,
  TAG_MAX = 17
};

/* dumpmemstats writes the MemStats fields Alloc..PauseTotalNs in Go's
** struct order, then PauseNs[256] (to heap.gc_pauses), then NumGC: so
** heap.memstats is the memstats table's first columns (formats/memstats.h),
** Alloc..NumGC, under the same names and hints. */
#define N_MEMSTAT (HS_MS_PauseTotalNs + 1)

/* The reader: every read is bounds-checked; the first failure is sticky
** (later reads return 0 and do not move), so a record parser reads all its
** fields and checks r->err once at the end. */
enum { RD_OK = 0, RD_SHORT = 1, RD_VARINT = 2, RD_LENGTH = 3 };

typedef struct rd {
  const uint8_t *pBase;     /* start of the dump */
  const uint8_t *p;         /* next byte */
  const uint8_t *pEnd;      /* one past the last byte */
  int err;                  /* RD_*: why reading stopped */
  uint64_t iErrOff;         /* where it stopped */
  uint64_t nWant;           /* RD_LENGTH: the length that did not fit */
} rd;

static inline void rd_fail(rd *r, int err, const uint8_t *pAt) {
  if (!r->err) {
    r->err = err;
    r->iErrOff = (uint64_t)(pAt - r->pBase);
  }
  r->p = r->pEnd;
}

static inline uint64_t rd_uv_slow(rd *r) {
  const uint8_t *pStart = r->p;
  uint64_t v = 0;
  for (int s = 0;; s += 7) {
    if (r->p >= r->pEnd) {
      rd_fail(r, RD_SHORT, pStart);
      return 0;
    }
    uint8_t b = *r->p++;
    if (s == 63 && b > 1) {
      rd_fail(r, RD_VARINT, pStart);
      return 0;
    }
    v |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) return v;
  }
}

static inline uint64_t rd_uv(rd *r) {
  if (r->p < r->pEnd && *r->p < 0x80) return *r->p++;
  return rd_uv_slow(r);
}

/* A varint length then that many bytes: returns the bytes (in the dump) or
** NULL with r->err set; *pn gets the length. */
static inline const uint8_t *rd_bytes(rd *r, uint64_t *pn) {
  const uint8_t *pLen = r->p;
  uint64_t n = rd_uv(r);
  *pn = 0;
  if (r->err) return NULL;
  if (n > (uint64_t)(r->pEnd - r->p)) {
    rd_fail(r, RD_LENGTH, pLen);
    r->nWant = n;
    return NULL;
  }
  const uint8_t *p = r->p;
  r->p += n;
  *pn = n;
  return p;
}

/* Walks a field list (kind, offset pairs to a 0 kind): the number of
** pointer fields (an iface or eface counts once, for its data word);
** *pMinOff gets the smallest offset; *pBad is set when a field lies outside
** nContent bytes or has an unknown kind (the list is still walked to its
** end so framing survives). */
static inline uint64_t rd_fields(rd *r, uint64_t nContent, uint32_t nPtr, uint64_t *pMinOff,
                                 int *pBad) {
  uint64_t nField = 0, iMin = UINT64_MAX;
  for (;;) {
    uint64_t kind = rd_uv(r);
    if (kind == 0) break; /* also on a read error: r->err is then set */
    uint64_t off = rd_uv(r);
    uint64_t nWords = kind == 1 ? 1 : 2;
    if (kind > 3 || off > nContent || nContent - off < nWords * nPtr) *pBad = 1;
    if (off < iMin) iMin = off;
    nField++;
  }
  *pMinOff = iMin;
  return nField;
}

/* The word at p in the dump's byte order (nPtr bytes). */
static inline uint64_t rd_word(const uint8_t *p, uint32_t nPtr, int bBig) {
  uint64_t v = 0;
  if (bBig)
    for (uint32_t k = 0; k < nPtr; k++) v = (v << 8) | p[k];
  else
    for (int k = (int)nPtr - 1; k >= 0; k--) v = (v << 8) | p[k];
  return v;
}

#endif /* HS_FORMATS_DUMPREAD_H */
