/*
 * core/base: utilities shared by every folder of core/ that are not part of
 * the public C API (those, hs_strdup and friends, are in heapscope.h).  Base
 * depends on nothing else in heapscope.
 */
#ifndef HS_BASE_H
#define HS_BASE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Growable arrays.  When the array a (an lvalue) of nCap elements (an
** lvalue of any integer type) is full, HS_GROW(a, nCap, nFirst) doubles it
** (nFirst elements the first time).  It evaluates to 0, or to -1 when
** memory ran out or the size overflows (a and nCap unchanged).  Doubling
** costs O(1) amortised per element and at most twice the memory the
** elements need.  The one idiom for appending:
**   if (n == nCap && HS_GROW(a, nCap, 64)) return HS_ENOMEM;
**   a[n++] = x; */
#define HS_GROW(a, nCap, nFirst)                                                  \
  __extension__({                                                                 \
    __typeof__(nCap) nNew_ = (nCap) ? (nCap) * 2 : (nFirst);                      \
    void *pNew_ = hs_realloc_array((void *)(a), (uint64_t)nNew_, sizeof *(a));    \
    if (pNew_) {                                                                  \
      (a) = pNew_;                                                                \
      (nCap) = nNew_;                                                             \
    }                                                                             \
    pNew_ ? 0 : -1;                                                               \
  })
/* realloc(p, n * nSize), NULL when the product overflows. */
void *hs_realloc_array(void *p, uint64_t n, size_t nSize);

/* ------------------------------------------------------------------ */
/* Time.  The one RFC 3339 parser of the project ("2026-11-21T22:05:41.6239Z",
** "...+02:00"; a space may replace the T).
**
** HS_TIME_STRICT (JSON documents, Prometheus comments): z[0..n) must be
** exactly one timestamp with a zone ("Z", "z" or "+hh:mm"), the date and
** clock in range, and a '.' fraction with at least one digit.
**
** HS_TIME_PREFIX (container log framing, where the timestamp was written by a
** machine and only its start matters): a missing or malformed zone counts as
** UTC, ',' may introduce the fraction, and text after it is ignored.
**
** Returns 1 and *pT = seconds since the Unix epoch, or 0 (*pT untouched). */
enum { HS_TIME_STRICT = 0, HS_TIME_PREFIX = 1 };
int hs_parse_rfc3339(const char *z, size_t n, int flags, double *pT);

/* ------------------------------------------------------------------ */
/* The one u64 -> u64 hash map of the project (open addressing, linear
** probing, load factor <= 1/2, so a lookup visits about two slots).  Any u64
** is a key, 0 included.  Zero-initialise it ({0}) before use; it owns its
** arrays until hs_u64map_free.  Growth doubles and rehashes: inserting N
** keys costs O(N) amortised and at most 32 * 2N bytes. */
typedef struct hs_u64map {
  uint64_t *aKey;       /* key per slot; 0 marks an empty slot */
  uint64_t *aVal;       /* value per slot */
  uint64_t nCap;        /* slots, a power of two (0 before the first insert) */
  uint64_t nUsed;       /* keys stored in the slots */
  int bZero;            /* key 0 is present (it cannot live in a slot) */
  uint64_t iZeroVal;    /* its value */
} hs_u64map;

/* The value of key k, inserted with value 0 if absent (*pbNew = 1; 0 when k
** was present; pbNew may be NULL).  The pointer is valid until the next
** insertion.  NULL when memory ran out (the map is unchanged). */
uint64_t *hs_u64map_upsert(hs_u64map *, uint64_t k, int *pbNew);
/* Set k to v.  HS_OK or HS_ENOMEM. */
int hs_u64map_put(hs_u64map *, uint64_t k, uint64_t v);
/* 1 and *pv = the value if k is present (pv may be NULL), else 0. */
int hs_u64map_get(const hs_u64map *, uint64_t k, uint64_t *pv);
/* Make room for n keys without growing again.  HS_OK or HS_ENOMEM. */
int hs_u64map_reserve(hs_u64map *, uint64_t n);
void hs_u64map_free(hs_u64map *);

/* ------------------------------------------------------------------ */
/* The progress line on stderr (progress.c): off until the front end turns
** it on (a terminal and no -q).  hs_progress(stage, unit, done, total) is
** cheap enough for every 64 K items; a stage shows only after it has run
** for a second; zStage and zUnit must outlive the stage (literals).  total
** 0: unknown (no percentage).  hs_progress_done() ends the stage and
** clears the line.  Main thread only. */
void hs_progress_enable(int bOn);
void hs_progress(const char *zStage, const char *zUnit, uint64_t nDone, uint64_t nTotal);
void hs_progress_done(void);

/* Threads heapscope's long work may use: 2 or 1 (HEAPSCOPE_THREADS, else
** the cores online; more than two are not used). */
int hs_nthreads(void);

/* Whether work over n items (objects) is split in two: two threads to be
** had and more than 64 K items, below which a thread costs more than it
** saves. */
int hs_two_threads(uint64_t n);

/* Runs x(b) on a second thread and x(a) on this one when bTwo, one after
** the other when not (or when no thread can be had): for work split in two
** halves that touch nothing of each other's. */
void hs_run_two(void *(*x)(void *), void *a, void *b, int bTwo);

/* A reader walking an mmapped file front to back (at iAt) hands the pages
** behind it back to the kernel (MADV_DONTNEED from *piDropped, in 1 MiB
** steps once 64 MiB lie behind): they stay in the page cache and fault back
** in if read again, and the reader's resident set stays a window instead of
** the file.  Only for a file's read-only mapping: on anonymous memory it
** would zero the data. */
void hs_drop_behind(const uint8_t *pBase, uint64_t *piDropped, uint64_t iAt);

/* Spare memory: large blocks one stage of a job is done with, kept for a
** later stage to take instead of malloc'ing new ones.  A new page costs a
** fault and its zeroing the first time it is written (measured at about
** 3 us per 4 KiB page on the benchmark machine: more than a pass over the
** array itself); a taken block is in memory already.  Not thread-safe: one
** thread at a time.  hs_spare_put keeps p, a malloc'd block of n bytes (or
** frees it when all HS_SPARE_MAX places are taken); hs_spare_take gives the
** smallest kept block of at least n bytes, shrunk to n (realloc: the tail
** pages go back), or malloc(n) when none is large enough; hs_spare_free
** frees what is left. */
#define HS_SPARE_MAX 4
typedef struct hs_spare {
  void *ap[HS_SPARE_MAX];
  size_t an[HS_SPARE_MAX];
} hs_spare;
void hs_spare_put(hs_spare *s, void *p, size_t n);
void *hs_spare_take(hs_spare *s, size_t n);
void hs_spare_free(hs_spare *s);

#endif
