/*
 * Slice and string headers pointing into large objects: the scan behind the
 * slice-retention detector (see include/heapscope/scan.h for the contract).
 *
 * Candidates are the reachable objects of at least nMinSize bytes.  One pass
 * over the graph's forward edges finds the objects that point at one; only
 * their field lists and contents are read from the dump, so the dump's
 * pages are touched for those few objects, not for the whole heap.  Roots
 * into a candidate are read in their segment or frame (hs_heap.aSeg).
 *
 * Every reference into a candidate is judged a header or not:
 *
 *   p       the pointer word, in [start, end) of the candidate (start skips
 *           a Go 1.22+ type header)
 *   len     the next word: not a pointer slot, len <= end - p
 *   cap     the word after: not a pointer slot, len <= cap <= end - p, cap > 0
 *           (otherwise the header is a string's, and len counts bytes)
 *
 * A slice's len counts elements whose size the dump does not say; since
 * cap elements fit in end - p bytes, an element is at most (end - p) / cap
 * bytes, and a header is taken to use len times that, so the waste is not
 * overstated -- unless that bound is over 64 bytes, which means the cap was
 * cut short (s[a:b:c]) and says nothing: then elements are taken to be
 * bytes, as they nearly always are in arrays without pointers (buffers
 * read from files and connections).  A pointer at the start
 * followed by anything else (a *[N]byte and a count) is no header: the
 * object counts as wholly used, as it does when a slice at its start has a
 * cap covering it (a buffer kept with len 0 for reuse, as bytes.Buffer
 * does after Reset).
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/scan.h"
#include "base/base.h"

typedef struct cand {
  uint64_t iLo, iHi;     /* hull of the bytes headers use (iLo > iHi: none yet) */
  uint32_t nHeader;
  uint8_t bOpaque;       /* a reference that is no header, or a full-capacity slice */
  uint8_t bString, bRoot;
  uint32_t iHolder;
  uint64_t iHolderOff, iPtr, nLen, nCap;
} cand;

typedef struct scan {
  const hs_heap *h;
  const hs_graph *g;
  uint32_t nCand;
  uint32_t *aCandId;     /* candidate ids, ascending */
  cand *aCand;
  uint64_t *aBit;        /* nObj bits: is a candidate */
  uint64_t *aSlot;       /* scratch: pointer slot offsets of one object */
  uint64_t nSlotCap;
} scan;

static inline int is_cand(const scan *s, uint32_t j) {
  return (s->aBit[j >> 6] >> (j & 63)) & 1;
}

static cand *cand_of(const scan *s, uint32_t j) {
  uint32_t lo = 0, hi = s->nCand;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->aCandId[mid] < j)
      lo = mid + 1;
    else
      hi = mid;
  }
  return &s->aCand[lo];
}

/* First byte a Go pointer to object j may address (past a type header). */
static uint64_t obj_start(const hs_heap *h, uint32_t j) {
  return h->aAddr[j] + (h->bTypeHeader && h->aType[j] ? 8 : 0);
}

/* Does object j have pointer fields?  (Its field list is not empty.) */
static int has_pointers(const hs_heap *h, uint32_t j) {
  return h->pBuf[h->aContentOff[j] + h->aSize[j]] != 0;
}

/* Judge the reference p (into candidate j) found at offset off of a
** container whose contents are pC[0..nC); bPtr1 / bPtr2: whether the next
** word / the one after is a pointer slot.  Records it on j's candidate. */
static void judge(scan *s, uint32_t j, uint64_t p, const uint8_t *pC, uint64_t nC,
                  uint64_t off, int bPtr1, int bPtr2, int bRoot, uint32_t iHolder) {
  const hs_heap *h = s->h;
  cand *c = cand_of(s, j);
  if (c->bOpaque) return;
  uint32_t ps = h->nPtrSize;
  uint64_t iStart = obj_start(h, j), iEnd = h->aAddr[j] + h->aSize[j];
  if (p < iStart || off + 2 * (uint64_t)ps > nC || bPtr1) {
    c->bOpaque = 1;
    return;
  }
  uint64_t nRem = iEnd - p;
  uint64_t nLen = hs_heap_word_at(h, pC + off + ps);
  if (nLen > nRem) {
    c->bOpaque = 1;
    return;
  }
  uint64_t nCap = 0;
  if (off + 3 * (uint64_t)ps <= nC && !bPtr2) {
    uint64_t w = hs_heap_word_at(h, pC + off + 2 * ps);
    if (w > 0 && w >= nLen && w <= nRem) nCap = w;
  }
  /* element size: cap elements fit in nRem bytes; past 64 bytes an element
  ** is implausible and the cap was cut (s[a:b:c]): take bytes */
  uint64_t nElem = nCap ? nRem / nCap : 1;
  if (nElem > 64) nElem = 1;
  if (p == iStart && !has_pointers(h, j)) {
    /* a pointer and a count, or a slice holding the whole capacity (for
    ** reuse); a pointer array's slots past len keep objects alive either
    ** way, so there any header counts */
    if (nLen == 0 || (nCap && nCap * nElem >= nRem - nRem / 8)) {
      c->bOpaque = 1;
      return;
    }
  }
  uint64_t nUsed = nLen * nElem;
  if (nUsed > nRem) nUsed = nRem;
  if (c->nHeader == 0) {
    c->iLo = p;
    c->iHi = p + nUsed;
    c->bString = nCap == 0;
    c->bRoot = (uint8_t)bRoot;
    c->iHolder = iHolder;
    c->iHolderOff = off;
    c->iPtr = p;
    c->nLen = nLen;
    c->nCap = nCap;
  } else {
    if (p < c->iLo) c->iLo = p;
    if (p + nUsed > c->iHi) c->iHi = p + nUsed;
  }
  c->nHeader++;
}

/* Pointer slot offsets of a field list into s->aSlot; returns their number.
** Offsets at or past nContent are dropped (a frame's list may have them). */
static int read_slots(scan *s, const uint8_t *pFields, uint64_t nContent, uint64_t *pn) {
  const hs_heap *h = s->h;
  hs_heap_fielditer it = {pFields, h->nPtrSize};
  uint64_t off, n = 0;
  while (hs_heap_field_next(&it, &off)) {
    if (off >= nContent || nContent - off < h->nPtrSize) continue;
    if (n == s->nSlotCap && HS_GROW(s->aSlot, s->nSlotCap, 256)) return HS_ENOMEM;
    s->aSlot[n++] = off;
  }
  *pn = n;
  return HS_OK;
}

/* Is off among aSlot[k+1], aSlot[k+2] (the slots after slot k, ascending)? */
static int slot_follows(const uint64_t *aSlot, uint64_t n, uint64_t k, uint64_t off) {
  return (k + 1 < n && aSlot[k + 1] == off) || (k + 2 < n && aSlot[k + 2] == off);
}

/* The references of object u into candidates. */
static int scan_object(scan *s, uint32_t u) {
  const hs_heap *h = s->h;
  const hs_graph *g = s->g;
  uint64_t n;
  hs_heap_fielditer it;
  hs_heap_fields(h, u, &it);
  int rc = read_slots(s, it.p, h->aSize[u], &n);
  if (rc) return rc;
  const uint8_t *pC = h->pBuf + h->aContentOff[u];
  uint64_t e = g->aFwdStart[u], eEnd = g->aFwdStart[u + 1];
  uint32_t ps = h->nPtrSize;
  for (uint64_t k = 0; k < n && e < eEnd; k++) {
    uint64_t off = s->aSlot[k];
    if (g->aFwdOff[e] != off) continue; /* a nil or dangling slot: no edge */
    uint32_t j = g->aFwdDst[e++];
    if (!is_cand(s, j)) continue;
    judge(s, j, hs_heap_word_at(h, pC + off), pC, h->aSize[u], off,
          slot_follows(s->aSlot, n, k, off + ps), slot_follows(s->aSlot, n, k, off + 2 * ps), 0,
          u);
  }
  return HS_OK;
}

static int seg_cmp(const void *a, const void *b) {
  const hs_heap_seg *x = a, *y = b;
  return x->iAddr < y->iAddr ? -1 : x->iAddr > y->iAddr;
}

/* A copy of h->aSeg sorted by address (*paSeg, malloc'd; NULL if none). */
static int sorted_segs(const hs_heap *h, hs_heap_seg **paSeg) {
  *paSeg = NULL;
  if (!h->nSeg) return HS_OK;
  hs_heap_seg *a = malloc(h->nSeg * sizeof *a);
  if (!a) return HS_ENOMEM;
  memcpy(a, h->aSeg, h->nSeg * sizeof *a);
  qsort(a, h->nSeg, sizeof *a, seg_cmp);
  *paSeg = a;
  return HS_OK;
}

/* The segment or frame (of aSeg, sorted) holding address a, whose bytes lie
** inside the dump; NULL if none. */
static const hs_heap_seg *seg_of(const hs_heap *h, const hs_heap_seg *aSeg, uint64_t a) {
  uint64_t lo = 0, hi = h->nSeg;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (aSeg[mid].iAddr <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  const hs_heap_seg *sg = lo ? &aSeg[lo - 1] : NULL;
  if (!sg || a - sg->iAddr >= sg->n || sg->iOff > h->nBuf || sg->n > h->nBuf - sg->iOff ||
      sg->iFieldOff >= h->nBuf)
    return NULL;
  return sg;
}

/* The roots into candidates: headers in globals and frames. */
static int scan_roots(scan *s) {
  const hs_heap *h = s->h;
  const hs_graph *g = s->g;
  hs_heap_seg *aSeg;
  int rc = sorted_segs(h, &aSeg);
  if (rc) return rc;
  uint32_t ps = h->nPtrSize;
  for (uint64_t e = g->aFwdStart[g->nObj]; e < g->aFwdStart[g->nObj + 1]; e++) {
    uint32_t j = g->aFwdDst[e], r = g->aFwdOff[e];
    if (!is_cand(s, j)) continue;
    int kind = r < h->nRoot ? h->aRootKind[r] : 0;
    uint64_t from = r < h->nRoot ? h->aRootFrom[r] : 0;
    const hs_heap_seg *sg =
        kind == HS_ROOT_DATA || kind == HS_ROOT_BSS || kind == HS_ROOT_FRAME ? seg_of(h, aSeg, from)
                                                                             : NULL;
    if (!sg) {
      cand_of(s, j)->bOpaque = 1; /* a finalizer, a runtime root: no header to read */
      continue;
    }
    uint64_t n, off = from - sg->iAddr, k;
    rc = read_slots(s, h->pBuf + sg->iFieldOff, sg->n, &n);
    if (rc) goto done;
    for (k = 0; k < n && s->aSlot[k] != off; k++) {
    }
    const uint8_t *pC = h->pBuf + sg->iOff;
    judge(s, j, hs_heap_word_at(h, pC + off), pC, sg->n, off,
          slot_follows(s->aSlot, n, k, off + ps), slot_follows(s->aSlot, n, k, off + 2 * ps), 1,
          r);
  }
done:
  free(aSeg);
  return rc;
}

/* Bytes candidate j (a pointer array) retains only through slots outside
** [iLo, iHi): objects it alone dominates whose slot is unused. */
static uint64_t slot_waste(const scan *s, uint32_t j, const cand *c, uint32_t *pnObj) {
  const hs_graph *g = s->g;
  uint64_t nBytes = 0, iBase = s->h->aAddr[j];
  uint32_t nObj = 0;
  for (uint64_t e = g->aFwdStart[j]; e < g->aFwdStart[j + 1]; e++) {
    uint64_t a = iBase + g->aFwdOff[e];
    uint32_t d = g->aFwdDst[e];
    if (a >= c->iLo && a < c->iHi) continue;
    if (g->aIdom[d] != j) continue;
    nBytes += g->aRetained[d];
    nObj++;
  }
  *pnObj = nObj;
  return nBytes;
}

int hs_scan_slices(const hs_heap *h, const hs_graph *g, uint64_t nMinSize,
                   hs_slice_hit **paOut, uint64_t *pnOut) {
  scan s;
  memset(&s, 0, sizeof s);
  s.h = h;
  s.g = g;
  hs_slice_hit *aOut = NULL;
  uint64_t nOut = 0;
  int rc = HS_OK;
  uint32_t nObj = g->nObj;
  *paOut = NULL;
  *pnOut = 0;
  if (nObj != h->nObj) return HS_OK; /* a graph of another dump */
  s.aBit = calloc((size_t)nObj / 64 + 1, sizeof *s.aBit);
  if (!s.aBit) return HS_ENOMEM;
  for (uint32_t j = 0; j < nObj; j++)
    if (h->aSize[j] >= nMinSize && g->aIdom[j] != HS_NONE) {
      s.aBit[j >> 6] |= 1ull << (j & 63);
      s.nCand++;
    }
  s.aCandId = malloc(((size_t)s.nCand + 1) * sizeof *s.aCandId);
  s.aCand = calloc((size_t)s.nCand + 1, sizeof *s.aCand);
  if (!s.aCandId || !s.aCand) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t j = 0, k = 0; j < nObj; j++)
    if (is_cand(&s, j)) s.aCandId[k++] = j;

  /* objects pointing at a candidate: read their headers */
  for (uint32_t u = 0; u < nObj && s.nCand; u++) {
    if ((u & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
    if (g->aIdom[u] == HS_NONE) continue; /* garbage keeps nothing alive */
    for (uint64_t e = g->aFwdStart[u]; e < g->aFwdStart[u + 1]; e++)
      if (is_cand(&s, g->aFwdDst[e])) {
        rc = scan_object(&s, u);
        if (rc) goto done;
        break;
      }
  }
  if (s.nCand) rc = scan_roots(&s);
  if (rc) goto done;

  aOut = malloc(((size_t)s.nCand + 1) * sizeof *aOut);
  if (!aOut) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint32_t k = 0; k < s.nCand; k++) {
    const cand *c = &s.aCand[k];
    uint32_t j = s.aCandId[k];
    if (c->bOpaque || c->nHeader == 0) continue;
    hs_slice_hit x;
    memset(&x, 0, sizeof x);
    x.bPtrs = (uint8_t)has_pointers(h, j);
    if (x.bPtrs) {
      x.nWasted = slot_waste(&s, j, c, &x.nSlotObj);
      if (x.nSlotObj == 0) continue;
    } else {
      uint64_t nUsed = c->iHi - c->iLo;
      if (nUsed >= h->aSize[j]) continue;
      x.nWasted = h->aSize[j] - nUsed;
    }
    x.iObj = j;
    x.nHeader = c->nHeader;
    x.iLo = c->iLo;
    x.iHi = c->iHi;
    x.bString = c->bString;
    x.bRoot = c->bRoot;
    x.iHolder = c->iHolder;
    x.iHolderOff = c->iHolderOff;
    x.iPtr = c->iPtr;
    x.nLen = c->nLen;
    x.nCap = c->nCap;
    aOut[nOut++] = x;
  }
  *paOut = aOut;
  *pnOut = nOut;
  aOut = NULL;
done:
  free(aOut);
  free(s.aBit);
  free(s.aCandId);
  free(s.aCand);
  free(s.aSlot);
  return rc;
}

/* ------------------------------------------------------------------ */
/* sync.Pool values.  Since Go 1.13 a Pool is
**
**   off  field       what
**   ---  ----------  -----------------------------------------------
**    0   local       pointer to [localSize]poolLocal (per-P caches)
**    1w  localSize   number of Ps when local was made
**    2w  victim      the previous local, kept for one more GC cycle
**    3w  victimSize
**    4w  New         func() any (a funcval pointer)
**
** and a poolLocal is padded to 128 bytes.  The dump says which words are
** pointers, so a Pool is recognised by shape: pointer slots at 0, 2w and
** 4w, none at 1w and 3w, sizes at most 1024, and every non-nil array
** pointer at the start of an object with pointers of about size x 128
** bytes.  Pools live in globals (the usual `var pool = sync.Pool{...}`) or
** inside heap objects; both are found from the arrays, through their
** referrers. */
enum { POOL_LOCAL = 128, POOL_MAXP = 1024 };

static int has_slot(const uint64_t *aSlot, uint64_t n, uint64_t off) {
  uint64_t lo = 0, hi = n;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (aSlot[mid] < off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && aSlot[lo] == off;
}

/* Does an array pointer p with count nP look like a pool's per-P array?
** *pId gets the array (HS_NONE for nil). */
static int pool_array(const scan *s, uint64_t p, uint64_t nP, uint32_t *pId) {
  const hs_heap *h = s->h;
  *pId = HS_NONE;
  if (p == 0) return nP == 0 || nP <= POOL_MAXP;
  if (nP == 0 || nP > POOL_MAXP) return 0;
  uint32_t j = hs_graph_find(h->aAddr, h->aSize, s->g->nObj, p);
  if (j == HS_NONE || p != obj_start(h, j)) return 0;
  uint64_t nWant = nP * POOL_LOCAL, nHave = h->aSize[j] - (p - h->aAddr[j]);
  if (nHave < nWant || nHave > nWant + nWant / 4 + POOL_LOCAL) return 0;
  if (!has_pointers(h, j)) return 0;
  *pId = j;
  return 1;
}

/* A Pool at offset b of a container (contents pC[0..nC), pointer slots
** s->aSlot[0..nSlot))?  Fills *pHit on success. */
static int pool_at(scan *s, const uint8_t *pC, uint64_t nC, uint64_t nSlot, uint64_t b,
                   hs_pool_hit *pHit) {
  const hs_heap *h = s->h;
  uint64_t w = h->nPtrSize;
  if (b + 5 * w > nC) return 0;
  if (!has_slot(s->aSlot, nSlot, b) || !has_slot(s->aSlot, nSlot, b + 2 * w) ||
      !has_slot(s->aSlot, nSlot, b + 4 * w) || has_slot(s->aSlot, nSlot, b + w) ||
      has_slot(s->aSlot, nSlot, b + 3 * w))
    return 0;
  uint64_t pLocal = hs_heap_word_at(h, pC + b), nLocal = hs_heap_word_at(h, pC + b + w);
  uint64_t pVictim = hs_heap_word_at(h, pC + b + 2 * w), nVictim = hs_heap_word_at(h, pC + b + 3 * w);
  if (!pool_array(s, pLocal, nLocal, &pHit->iLocal) ||
      !pool_array(s, pVictim, nVictim, &pHit->iVictim))
    return 0;
  if (pHit->iLocal == HS_NONE && pHit->iVictim == HS_NONE) return 0;
  pHit->nLocalSize = nLocal;
  pHit->nVictimSize = nVictim;
  pHit->iOff = b;
  return 1;
}

static int add_pool(hs_pool_hit **pa, uint64_t *pn, uint64_t *pnCap, const hs_pool_hit *x) {
  /* A pool is found once from each of its arrays, and an array between
  ** nil words may fit a pool at two offsets (as local, or as victim): keep
  ** one pool per array. */
  for (uint64_t k = 0; k < *pn; k++) {
    const hs_pool_hit *y = &(*pa)[k];
    if ((x->iLocal != HS_NONE && (x->iLocal == y->iLocal || x->iLocal == y->iVictim)) ||
        (x->iVictim != HS_NONE && (x->iVictim == y->iLocal || x->iVictim == y->iVictim)))
      return HS_OK;
  }
  if (*pn == *pnCap && HS_GROW(*pa, *pnCap, 16)) return HS_ENOMEM;
  (*pa)[(*pn)++] = *x;
  return HS_OK;
}

/* The first poolLocal's padding (past private and shared: 4 words) is zero. */
static int pool_pad_zero(const hs_heap *h, uint32_t j) {
  uint64_t iIn = obj_start(h, j) - h->aAddr[j];
  if (h->aSize[j] - iIn < POOL_LOCAL) return 0;
  const uint8_t *p = h->pBuf + h->aContentOff[j] + iIn;
  for (uint64_t k = 4 * (uint64_t)h->nPtrSize; k < POOL_LOCAL; k++)
    if (p[k]) return 0;
  return 1;
}

/* Could object j be a pool's per-P array?  Graph facts first, so that the
** dump's pages are read only for the few objects that pass: its size, few
** referrers, and pointers only where a poolLocal has them (private's data
** word and shared's head and tail: words 1 to 3 of each 128 bytes); an
** array whose every pointer is nil holds nothing and is left out.  Then
** its padding. */
static int pool_cand(const hs_heap *h, const hs_graph *g, uint32_t j) {
  uint64_t nSize = h->aSize[j], w = h->nPtrSize;
  if (nSize < POOL_LOCAL || nSize > 2 * (uint64_t)POOL_MAXP * POOL_LOCAL) return 0;
  if (g->aIdom[j] == HS_NONE || g->aRevStart[j + 1] - g->aRevStart[j] > 4) return 0;
  uint64_t e = g->aFwdStart[j], eEnd = g->aFwdStart[j + 1], iIn = obj_start(h, j) - h->aAddr[j];
  if (e == eEnd) return 0;
  for (; e < eEnd; e++) {
    uint64_t off = g->aFwdOff[e];
    if (off < iIn) return 0;
    uint64_t k = (off - iIn) % POOL_LOCAL;
    if (k < w || k > 3 * w) return 0;
  }
  return pool_pad_zero(h, j);
}

int hs_scan_pools(const hs_heap *h, const hs_graph *g, hs_pool_hit **paOut, uint64_t *pnOut) {
  scan s;
  memset(&s, 0, sizeof s);
  s.h = h;
  s.g = g;
  hs_pool_hit *aOut = NULL;
  uint64_t nOut = 0, nCap = 0;
  hs_heap_seg *aSeg = NULL;
  int rc = HS_OK;
  uint32_t nObj = g->nObj;
  uint64_t w = h->nPtrSize;
  *paOut = NULL;
  *pnOut = 0;
  if (nObj != h->nObj) return HS_OK;
  rc = sorted_segs(h, &aSeg);
  if (rc) goto done;
  /* Pools inside heap objects: from each candidate array to its referrers */
  for (uint32_t j = 0; j < nObj; j++) {
    if ((j & 0xffff) == 0 && hs_checkpoint()) {
      rc = HS_ERR;
      goto done;
    }
    if (!pool_cand(h, g, j)) continue;
    uint64_t p = obj_start(h, j);
    for (uint64_t e = g->aRevStart[j]; e < g->aRevStart[j + 1]; e++) {
      uint32_t u = g->aRevSrc[e];
      if (u >= nObj || h->aSize[u] > (1u << 20)) continue;
      uint64_t nSlot;
      hs_heap_fielditer it;
      hs_heap_fields(h, u, &it);
      rc = read_slots(&s, it.p, h->aSize[u], &nSlot);
      if (rc) goto done;
      const uint8_t *pC = h->pBuf + h->aContentOff[u];
      for (uint64_t f = g->aFwdStart[u]; f < g->aFwdStart[u + 1]; f++) {
        if (g->aFwdDst[f] != j || hs_heap_word_at(h, pC + g->aFwdOff[f]) != p) continue;
        for (uint64_t b0 = 0; b0 <= 2 * w; b0 += 2 * w) {
          hs_pool_hit x = {0};
          if (g->aFwdOff[f] < b0 || !pool_at(&s, pC, h->aSize[u], nSlot, g->aFwdOff[f] - b0, &x))
            continue;
          x.iContainer = u;
          rc = add_pool(&aOut, &nOut, &nCap, &x);
          if (rc) goto done;
        }
      }
    }
  }
  /* Pools in globals (the usual `var pool = sync.Pool{...}`) and frames */
  for (uint64_t f = g->aFwdStart[nObj]; f < g->aFwdStart[nObj + 1]; f++) {
    uint32_t j = g->aFwdDst[f], r = g->aFwdOff[f];
    if (r >= h->nRoot || !pool_cand(h, g, j)) continue;
    const hs_heap_seg *sg = seg_of(h, aSeg, h->aRootFrom[r]);
    if (!sg) continue;
    uint64_t off = h->aRootFrom[r] - sg->iAddr, nSlot;
    const uint8_t *pC = h->pBuf + sg->iOff;
    if (off + w > sg->n || hs_heap_word_at(h, pC + off) != obj_start(h, j)) continue;
    rc = read_slots(&s, h->pBuf + sg->iFieldOff, sg->n, &nSlot);
    if (rc) goto done;
    for (uint64_t b0 = 0; b0 <= 2 * w; b0 += 2 * w) {
      hs_pool_hit x = {0};
      if (off < b0 || !pool_at(&s, pC, sg->n, nSlot, off - b0, &x)) continue;
      x.bRoot = 1;
      x.iContainer = r;
      rc = add_pool(&aOut, &nOut, &nCap, &x);
      if (rc) goto done;
    }
  }
  *paOut = aOut;
  *pnOut = nOut;
  aOut = NULL;
done:
  free(aOut);
  free(aSeg);
  free(s.aSlot);
  return rc;
}
