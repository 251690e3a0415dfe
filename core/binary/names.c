/*
 * Names for a case's heap from its binary: the match check, global names
 * for roots, and types for objects.
 *
 * Typing follows viewcore (golang.org/x/debug internal/gocore typeHeap):
 *
 *   1. Seeds.  A Go 1.22+ malloc header names its object's type exactly
 *      (the runtime wrote it); so does an interface word (the runtime
 *      allocated the value it points at with that type).  Globals are
 *      typed by DWARF, and so are stack frames: the variables DWARF places
 *      in a frame at its pc, pointers read only from the slots the dump's
 *      frame record lists as live (type_frames).
 *   2. Propagation.  Every typed value is walked field by field: a pointer
 *      *E types the object it points at as E, a slice []E types its
 *      backing array as []E (from the element the slice starts at, which
 *      must fall on an element boundary counted from the object's start),
 *      a string types its bytes, an interface types its data by the
 *      dynamic type, maps reach their buckets through the header's typed
 *      fields, a sync.Pool's per-P arrays through its unsafe.Pointers
 *      (what sync/pool.go stores there).  A newly typed object is queued
 *      and walked in turn.
 *   3. Conflicts.  A seed beats a propagated type; between two propagated
 *      types the larger wins (a pointer to a struct's first field offers
 *      the field's type, a pointer to the struct the struct's: the struct
 *      is more specific); between two of one size, a struct beats the
 *      type of its first field, and the program's chan T or map[K]V the
 *      runtime's runtime.hchan or runtime.hmap (more_specific).  A type
 *      never replaces an equal or more specific one, so each object is
 *      walked at most once per strictly larger type -- at most a handful
 *      of times.  Anything we cannot prove stays
 *      untyped (and is counted), never guessed.
 *
 * Cost: one walk of each typed object's pointer words, each pointer found
 * through the graph's page directory: O(n + m) for n objects and m
 * pointers, the graph build's order; both are cache misses per pointer,
 * which typing overlaps by resolving pointers 64 at a time with prefetches
 * (flush_offers): 0.7 times the graph build's CPU time on a 10 M-object
 * dump (tests/bench/typing.sh, RESULTS.md).
 * Memory: 6 bytes per object while typing, 5 kept for field names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binint.h"
#include "heapscope/graph.h"
#include "heapscope/heap.h"
#include "base/base.h"

/* How an object holds its type: one value (named T), a slice's backing
** array (named []T), a string's bytes (named string), or consecutive values
** the runtime allocated together (a map's bucket array: named T). */
enum { FORM_ONE = 0, FORM_ARRAY = 1, FORM_STRING = 2, FORM_REPEAT = 3, NFORM = 4 };
enum { PRIO_NONE = 0, PRIO_FIELD = 1, PRIO_EXACT = 2, PRIO_RTYPE = 3 };
enum { KIND_DIRECT_IFACE = 1 << 5 };
/* Type flags (typer.aFlag).  TF_REPEAT: a pointer to it may address an
** array of them (map buckets: hmap.buckets).  TF_GENERIC: the runtime's
** own view of a channel or map header (runtime.hchan, runtime.hmap, what
** the runtime's code points at them with), which the program's chan T or
** map[K]V types of the same layout name more specifically.  TF_POOL:
** sync.Pool, whose local and victim fields are unsafe.Pointers that
** sync/pool.go's pinSlow sets to &make([]poolLocal, P)[0] and nothing else. */
enum { TF_REPEAT = 1, TF_GENERIC = 2, TF_POOL = 4 };

typedef struct mem {  /* a readable range of the process's memory */
  uint64_t iAddr;
  const uint8_t *p;
  uint64_t n;
  const uint8_t *aLive; /* NULL, or one bit per word: a pointer is read only
                           from a live word (a stack slot the GC's stack map
                           does not call live may hold anything: viewcore's
                           frameReader does the same) */
} mem;

typedef struct typer {
  hs_case *c;
  hs_heap *h;
  hs_binary *b;
  int32_t *aObjType;   /* per object: DWARF type of its (first) element, -1 */
  uint8_t *aForm;      /* FORM_* */
  uint8_t *aPrio;      /* PRIO_* */
  uint64_t *aQueue;    /* objects to walk (a stack) */
  uint64_t nQueue, nQueueCap;
  uint8_t *aHasPtr;    /* per DWARF type: 0 unknown, 1 no pointers, 2 pointers */
  uint8_t *aFlag;      /* per DWARF type: TF_* */
  int32_t iPoolLocal;  /* the DWARF type sync.poolLocal, -1 if none */
  mem aGlobMem[2];     /* the dump's data and bss segments */
  struct pend {        /* field offers waiting to be resolved (flush_offers) */
    uint64_t a, i;       /* i: a's page in the directory until found */
    int32_t iType;
    uint8_t form;
  } aPend[64];
  uint32_t nPend;
  hs_u64map mStatic;   /* static values walked: (type, segment, offset) keys */
  hs_typing_stats st;
  int rc;
  hs_pagedir dir;      /* address lookups (graph.h); aPage NULL: binary search */
} typer;

/* hs_heap_find through the page directory when there is one. */
static uint64_t find(const typer *t, uint64_t a) {
  if (!t->dir.aPage) return hs_heap_find(t->h, a);
  uint32_t i = hs_pagedir_find(&t->dir, t->h->aAddr, t->h->aSize, a);
  return i == HS_NONE ? UINT64_MAX : i;
}

/* Bytes of object i's header (the Go 1.22+ type word), before its value. */
static uint64_t obj_hdr(const typer *t, uint64_t i) { return t->h->aType[i] ? t->h->nPtrSize : 0; }

static int has_ptr(typer *t, int32_t iType, int depth) {
  const hs_binary *b = t->b;
  if (iType < 0 || (uint32_t)iType >= b->nType || depth > 32) return 0;
  if (t->aHasPtr[iType]) return t->aHasPtr[iType] == 2;
  const hs_bintype *y = &b->aType[iType];
  int r = 0;
  switch (y->kind) {
    case HS_BT_PTR: case HS_BT_SLICE: case HS_BT_STRING: case HS_BT_IFACE: case HS_BT_EFACE:
      r = 1;
      break;
    case HS_BT_ARRAY:
      r = y->nCount && has_ptr(t, y->iElem, depth + 1);
      break;
    case HS_BT_STRUCT:
      for (uint32_t k = 0; k < y->nField && !r; k++)
        r = has_ptr(t, b->aField[y->iField + k].iType, depth + 1);
      break;
  }
  t->aHasPtr[iType] = r ? 2 : 1;
  return r;
}

static void push(typer *t, uint64_t i) {
  if (t->nQueue == t->nQueueCap && HS_GROW(t->aQueue, t->nQueueCap, 4096)) {
    t->rc = HS_ENOMEM;
    return;
  }
  t->aQueue[t->nQueue++] = i;
}

/* Offer type iType (form, prio) for the value at address a. */
static void offer_at(typer *t, uint64_t i, uint64_t a, int32_t iType, int form, int prio);

/* Whether type iNew names a value of type iOld's size more specifically:
** it holds iOld at offset 0 (a struct embedding it first: net.TCPConn and
** its net.conn), or is the program's chan T / map[K]V where iOld is the
** runtime's generic header. */
static int more_specific(const typer *t, int32_t iNew, int32_t iOld) {
  const hs_binary *b = t->b;
  if ((t->aFlag[iOld] & TF_GENERIC) && !(t->aFlag[iNew] & TF_GENERIC)) return 1;
  int32_t k = iNew;
  for (int depth = 0; depth < 16 && k >= 0; depth++) {
    const hs_bintype *y = &b->aType[k];
    if (y->kind == HS_BT_STRUCT && y->nField && b->aField[y->iField].iOff == 0)
      k = b->aField[y->iField].iType;
    else if (y->kind == HS_BT_ARRAY && y->nCount)
      k = y->iElem;
    else
      return 0;
    if (k == iOld) return 1;
  }
  return 0;
}

static void offer(typer *t, uint64_t a, int32_t iType, int form, int prio) {
  if (iType < 0 || (uint32_t)iType >= t->b->nType || t->b->aType[iType].nSize == 0) return;
  uint64_t i = find(t, a);
  if (i != UINT64_MAX) offer_at(t, i, a, iType, form, prio);
}

/* offer() for object i, which holds a. */
static void offer_at(typer *t, uint64_t i, uint64_t a, int32_t iType, int form, int prio) {
  const hs_binary *b = t->b;
  hs_heap *h = t->h;
  uint64_t nElem = b->aType[iType].nSize;
  uint64_t hdr = obj_hdr(t, i), off = a - h->aAddr[i];
  if (off < hdr) return;
  off -= hdr;
  uint64_t nVal = h->aSize[i] - hdr;
  if (off != 0) {
    /* Only a slice or string may start inside its backing array, and only
    ** on an element boundary counted from the object's start. */
    if (form == FORM_ONE || off % nElem != 0) return;
  }
  if (nElem > nVal) return; /* does not fit: not this object's type */
  int cur = t->aPrio[i];
  if (cur > prio) {
    if (t->aObjType[i] != iType) t->st.nConflict++;
    return;
  }
  if (cur == prio) {
    int32_t old = t->aObjType[i];
    if (old == iType) {
      /* The same element type seen through a slice: the object is the
      ** whole array, not one value (walk the rest of it too). */
      if (t->aForm[i] == FORM_ONE && form != FORM_ONE) {
        t->aForm[i] = (uint8_t)form;
        push(t, i);
      }
      return;
    }
    if (old >= 0 && b->aType[old].nSize >= nElem &&
        !(b->aType[old].nSize == nElem && more_specific(t, iType, old))) {
      t->st.nConflict++;
      return;
    }
  }
  t->aObjType[i] = iType;
  t->aForm[i] = (uint8_t)form;
  t->aPrio[i] = (uint8_t)prio;
  push(t, i);
}

/* Resolve the pending field offers in stages, each prefetching what the
** next needs (page directory slot, object address, per-object state), so
** the cache misses of 64 pointers overlap instead of queueing one after
** another: pointer chasing is what typing costs (tests/bench/typing.sh). */
static void flush_offers(typer *t) {
  const hs_heap *h = t->h;
  const hs_pagedir *d = &t->dir;
  uint32_t n = t->nPend;
  t->nPend = 0;
  if (d->aPage) {
    for (uint32_t k = 0; k < n; k++) {
      uint64_t pg = t->aPend[k].i = hs_pagedir_page(d, t->aPend[k].a);
      if (pg < d->nPage) __builtin_prefetch(&d->aPage[pg]);
    }
    for (uint32_t k = 0; k < n; k++) {
      uint64_t pg = t->aPend[k].i;
      if (pg < d->nPage) __builtin_prefetch(&h->aAddr[d->aPage[pg]]);
    }
  }
  for (uint32_t k = 0; k < n; k++) {
    struct pend *p = &t->aPend[k];
    p->i = find(t, p->a);
    if (p->i == UINT64_MAX) continue;
    __builtin_prefetch(&h->aSize[p->i]);
    __builtin_prefetch(&h->aType[p->i]);
    __builtin_prefetch(&t->aPrio[p->i]);
    __builtin_prefetch(&t->aObjType[p->i]);
  }
  for (uint32_t k = 0; k < n; k++) {
    const struct pend *p = &t->aPend[k];
    if (p->i != UINT64_MAX) offer_at(t, p->i, p->a, p->iType, p->form, PRIO_FIELD);
  }
}

/* offer(a, iType, form, PRIO_FIELD), resolved later with others
** (flush_offers; the drain loops flush before they finish). */
static void offer_field(typer *t, uint64_t a, int32_t iType, int form) {
  if (!a || iType < 0 || (uint32_t)iType >= t->b->nType || t->b->aType[iType].nSize == 0) return;
  if (t->nPend == sizeof t->aPend / sizeof t->aPend[0]) flush_offers(t);
  t->aPend[t->nPend++] = (struct pend){a, 0, iType, (uint8_t)form};
}

static uint64_t word(const typer *t, const mem *m, uint64_t a) {
  if (a < m->iAddr || a - m->iAddr > m->n || m->n - (a - m->iAddr) < t->h->nPtrSize) return 0;
  return hs_heap_word_at(t->h, m->p + (a - m->iAddr));
}

/* A pointer word: as word(), but 0 from a word that is not live. */
static uint64_t ptr(const typer *t, const mem *m, uint64_t a) {
  if (m->aLive) {
    uint64_t k = (a - m->iAddr) / t->h->nPtrSize;
    if (a < m->iAddr || (a - m->iAddr) % t->h->nPtrSize || k >= (m->n + t->h->nPtrSize - 1) / t->h->nPtrSize ||
        !(m->aLive[k / 8] & (1u << (k % 8))))
      return 0;
  }
  return word(t, m, a);
}

static void walk(typer *t, int32_t iType, uint64_t a, const mem *m, int depth);

/* 1 the first time the value at offset off of segment s is seen as iType,
** 0 after (or out of memory, or past the 4 GiB a key can say). */
static int static_first(typer *t, int s, uint64_t off, int32_t iType) {
  int bNew = 0;
  if (off >> 32) return 0;
  uint64_t key = (uint64_t)(uint32_t)iType << 33 | (uint64_t)s << 32 | off;
  if (!hs_u64map_upsert(&t->mStatic, key, &bNew)) t->rc = HS_ENOMEM;
  return bNew;
}

/* A typed pointer into the data or bss segment rather than the heap: the
** compiler allocates a composite literal that initialises a package
** variable statically (`var p = &T{...}`: an anonymous symbol no DWARF
** variable describes), so the value there is walked as the pointer's
** element type, nCount of them (a slice's static backing array), each
** (address, type) once. */
static void walk_static(typer *t, uint64_t a, int32_t iElem, uint64_t nCount, int depth) {
  if (iElem < 0 || !a || a - t->h->iHeapStart < t->h->iHeapEnd - t->h->iHeapStart) return;
  uint64_t nElem = t->b->aType[iElem].nSize;
  for (int s = 0; s < 2; s++) {
    const mem *m = &t->aGlobMem[s];
    if (!m->n || a < m->iAddr || a - m->iAddr >= m->n || !nElem) continue;
    if (!has_ptr(t, iElem, 0) || !static_first(t, s, a - m->iAddr, iElem)) return;
    for (uint64_t k = 0; k < nCount && a + k * nElem - m->iAddr < m->n; k++)
      walk(t, iElem, a + k * nElem, m, depth + 1);
  }
}

/* The value of an interface: dynamic type rt (a descriptor address), data d. */
static void offer_iface(typer *t, uint64_t rt, uint64_t d) {
  if (!rt || !d) return;
  int kind = hs_binary_rtype_kind(t->b, rt);
  if (kind < 0) return;
  int32_t iType = hs_binary_rtype_dwarf(t->b, rt);
  if (kind & KIND_DIRECT_IFACE) {
    /* The data word is the value itself: a pointer-shaped type. */
    if (iType >= 0 && t->b->aType[iType].kind == HS_BT_PTR)
      offer(t, d, t->b->aType[iType].iElem, FORM_ONE, PRIO_FIELD);
    return;
  }
  /* The runtime allocated a T for the value (convT): exact, at offset 0. */
  uint64_t i = find(t, d);
  if (i == UINT64_MAX || d != t->h->aAddr[i] + obj_hdr(t, i)) return;
  if (iType >= 0) {
    if (t->aPrio[i] < PRIO_EXACT) t->st.nIface++;
    offer(t, d, iType, FORM_ONE, PRIO_EXACT);
  }
}

static void walk(typer *t, int32_t iType, uint64_t a, const mem *m, int depth) {
  const hs_binary *b = t->b;
  if (iType < 0 || (uint32_t)iType >= b->nType || depth > 32 || !has_ptr(t, iType, 0)) return;
  const hs_bintype *y = &b->aType[iType];
  uint32_t P = t->h->nPtrSize;
  switch (y->kind) {
    case HS_BT_PTR: {
      uint64_t p = ptr(t, m, a);                /* each word read once */
      offer_field(t, p, y->iElem,
                  y->iElem >= 0 && (t->aFlag[y->iElem] & TF_REPEAT) ? FORM_REPEAT : FORM_ONE);
      walk_static(t, p, y->iElem, 1, depth);
      break;
    }
    case HS_BT_SLICE: {
      uint64_t p = ptr(t, m, a), nCap = word(t, m, a + 2 * P);
      if (nCap) offer_field(t, p, y->iElem, FORM_ARRAY);
      walk_static(t, p, y->iElem, nCap, depth);
      break;
    }
    case HS_BT_STRING:
      if (word(t, m, a + P)) offer_field(t, ptr(t, m, a), y->iElem, FORM_STRING);
      break;
    case HS_BT_EFACE:
      offer_iface(t, word(t, m, a), ptr(t, m, a + P));
      break;
    case HS_BT_IFACE: {
      uint64_t tab = word(t, m, a);
      const uint8_t *p = tab ? hs_binary_at(b, tab + P, P) : NULL; /* itab._type */
      if (p) {
        mem it = {tab + P, p, P, NULL};
        offer_iface(t, word(t, &it, tab + P), ptr(t, m, a + P));
      }
      break;
    }
    case HS_BT_STRUCT:
      for (uint32_t k = 0; k < y->nField; k++) {
        const hs_binfield *f = &b->aField[y->iField + k];
        walk(t, f->iType, a + f->iOff, m, depth + 1);
        if ((t->aFlag[iType] & TF_POOL) && f->iType >= 0 && b->aType[f->iType].kind == HS_BT_PTR &&
            b->aType[f->iType].iElem < 0 && (strcmp(hs_str(b->pStr, f->idName), "local") == 0 ||
                                             strcmp(hs_str(b->pStr, f->idName), "victim") == 0))
          offer(t, ptr(t, m, a + f->iOff), t->iPoolLocal, FORM_ARRAY, PRIO_FIELD);
      }
      break;
    case HS_BT_ARRAY: {
      uint64_t nElem = y->iElem >= 0 ? b->aType[y->iElem].nSize : 0;
      if (!nElem) break;
      /* Bounded by the memory range: a damaged count cannot run away. */
      for (uint64_t k = 0; k < y->nCount && a + k * nElem - m->iAddr < m->n; k++)
        walk(t, y->iElem, a + k * nElem, m, depth + 1);
      break;
    }
  }
}

/* Walk object i as its assigned type (every element of an array form). */
static void walk_object(typer *t, uint64_t i) {
  hs_heap *h = t->h;
  int32_t iType = t->aObjType[i];
  uint64_t hdr = obj_hdr(t, i);
  mem m = {h->aAddr[i], h->pBuf + h->aContentOff[i], h->aSize[i], NULL};
  uint64_t nElem = t->b->aType[iType].nSize;
  uint64_t nVal = h->aSize[i] - hdr;
  uint64_t nRep = t->aForm[i] == FORM_ONE ? 1 : nVal / nElem;
  if (!has_ptr(t, iType, 0)) return;
  for (uint64_t k = 0; k < nRep; k++) walk(t, iType, h->aAddr[i] + hdr + k * nElem, &m, 0);
}

/* Walk the queued objects (and what they type in turn) until none is
** left, a few at a time with their first bytes prefetched. */
static void drain(typer *t) {
  const hs_heap *h = t->h;
  while ((t->nQueue || t->nPend) && t->rc == HS_OK) {
    if (!t->nQueue) {
      flush_offers(t);
      continue;
    }
    uint64_t aBatch[8], n = 0;
    while (n < 8 && t->nQueue) aBatch[n++] = t->aQueue[--t->nQueue];
    for (uint64_t k = 0; k < n; k++) __builtin_prefetch(h->pBuf + h->aContentOff[aBatch[k]]);
    for (uint64_t k = 0; k < n && t->rc == HS_OK; k++) walk_object(t, aBatch[k]);
  }
}

/* The reflect name for (iType, form): runtime descriptor's name when it has
** one, else DWARF's. */
static uint32_t type_name_id(typer *t, int32_t iType, int form, uint32_t *aCache) {
  uint32_t *pSlot = &aCache[(uint64_t)iType * NFORM + form];
  if (*pSlot) return *pSlot;
  const hs_bintype *y = &t->b->aType[iType];
  char zName[512];
  if (form == FORM_STRING) {
    snprintf(zName, sizeof zName, "string");
  } else {
    char zBase[480];
    if (!y->iRtype || hs_binary_rtype_name(t->b, y->iRtype, zBase, sizeof zBase) < 0)
      snprintf(zBase, sizeof zBase, "%s", hs_str(t->b->pStr, y->idName));
    snprintf(zName, sizeof zName, "%s%s", form == FORM_ARRAY ? "[]" : "", zBase);
  }
  *pSlot = hs_str_internz(t->c->pStr, zName);
  return *pSlot == UINT32_MAX ? 0 : *pSlot;
}

/* The dump's data or bss segment record (kind HS_ROOT_DATA/BSS), or NULL. */
static const hs_heap_seg *segment(const hs_heap *h, int kind) {
  for (uint64_t i = 0; i < h->nSeg; i++)
    if (h->aSeg[i].kind == kind) return &h->aSeg[i];
  return NULL;
}

/* 1 if the binary matches the dump; else 0 and why in zWhy. */
static int check_match(const hs_heap *h, const hs_binary *b, char *zWhy, size_t nWhy) {
  const hs_heap_seg *pData = segment(h, HS_ROOT_DATA), *pBss = segment(h, HS_ROOT_BSS);
  if (b->zGoVersion && h->zGoVersion && strcmp(b->zGoVersion, h->zGoVersion) != 0) {
    snprintf(zWhy, nWhy, "it was built with %s but the dump was written by %s",
             b->zGoVersion, h->zGoVersion);
    return 0;
  }
  if (b->nPtrSize != h->nPtrSize) {
    snprintf(zWhy, nWhy, "its pointers are %u bytes, the dump's %u", b->nPtrSize, h->nPtrSize);
    return 0;
  }
  if (pData && (pData->iAddr != b->iDataAddr || pData->n != b->nData)) {
    snprintf(zWhy, nWhy, "its .data section is %llu bytes at 0x%llx, the dump's data segment "
             "%llu bytes at 0x%llx", (unsigned long long)b->nData, (unsigned long long)b->iDataAddr,
             (unsigned long long)pData->n, (unsigned long long)pData->iAddr);
    return 0;
  }
  if (pBss && (pBss->iAddr != b->iBssAddr || pBss->n != b->nBss)) {
    snprintf(zWhy, nWhy, "its .bss section is %llu bytes at 0x%llx, the dump's bss segment "
             "%llu bytes at 0x%llx", (unsigned long long)b->nBss, (unsigned long long)b->iBssAddr,
             (unsigned long long)pBss->n, (unsigned long long)pBss->iAddr);
    return 0;
  }
  if (!pData && !pBss) {
    snprintf(zWhy, nWhy, "the dump has no data or bss segment record to check it against");
    return 0;
  }
  return 1;
}

/* Data and bss roots get the global's name and the field path inside it. */
static void name_roots(typer *t) {
  hs_heap *h = t->h;
  for (uint64_t r = 0; r < h->nRoot; r++) {
    if (h->aRootKind[r] != HS_ROOT_DATA && h->aRootKind[r] != HS_ROOT_BSS) continue;
    const hs_binglobal *g = hs_binary_global(t->b, h->aRootFrom[r]);
    if (!g) continue;
    char z[300];
    snprintf(z, sizeof z, "%s", hs_str(t->b->pStr, g->idName));
    hs_binary_field_path(t->b, g->iType, h->aRootFrom[r] - g->iAddr, z, sizeof z);
    uint32_t id = hs_str_internz(t->c->pStr, z);
    if (id != UINT32_MAX) h->aRootDesc[r] = id;
  }
}

/* The goroutine stacks as the dump has them: the contents of the frames
** that hold pointers, and which of their words the GC's stack maps call
** live pointers (the frame roots' slots). */
typedef struct stackmem {
  const hs_heap_seg **apSeg; /* frame contents, by address (stacks do not overlap) */
  uint64_t nSeg;
  uint64_t *aLive;           /* live pointer slots, ascending */
  uint64_t nLive;
} stackmem;

typedef struct framewalk {
  typer *t;
  const stackmem *s;
  uint64_t iCfa;
  uint64_t nMaxVar;    /* bytes: larger variables are skipped */
  uint8_t *pBuf;       /* a variable's value, assembled from its pieces */
  uint8_t *aLive;      /* its live words */
  /* The variables at one (entry, pc), kept for every frame parked there
  ** (a server's thousands of goroutines wait in a few places). */
  int32_t *aVarType;
  uint32_t *aVarPiece; /* first piece of variable k in aPiece; nVar+1 of them */
  uint32_t nVar;
  uint64_t nVarTypeCap, nVarPieceCap;
  hs_binpiece *aPiece;
  uint32_t nPiece;
  uint64_t nPieceCap;
  int rc;
} framewalk;

enum { MAX_FRAME_VAR = 4096 }; /* bytes of one variable we type from (bounds pBuf) */

/* n bytes of the stacks at address a, or NULL when no frame holds them all. */
static const uint8_t *stack_at(const typer *t, const stackmem *s, uint64_t a, uint64_t n) {
  uint64_t lo = 0, hi = s->nSeg;
  while (lo < hi) { /* the last frame starting at or below a */
    uint64_t mid = lo + (hi - lo) / 2;
    if (s->apSeg[mid]->iAddr <= a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const hs_heap_seg *g = s->apSeg[lo - 1];
  if (a - g->iAddr > g->n || g->n - (a - g->iAddr) < n) return NULL;
  return t->h->pBuf + g->iOff + (a - g->iAddr);
}

static int has_u64(const uint64_t *a, uint64_t n, uint64_t v) {
  uint64_t lo = 0, hi = n;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && a[lo] == v;
}

/* One frame variable: its value assembled from the pieces in the frame
** (the rest reads as zero: a slice whose cap is in a register is not
** followed), pointers only from live slots; then walked like a global. */
static void walk_frame_var(void *pArg, int32_t iType, const hs_binpiece *aPiece, uint32_t nPiece) {
  framewalk *w = pArg;
  typer *t = w->t;
  uint64_t nSize = t->b->aType[iType].nSize, P = t->h->nPtrSize;
  if (nSize > w->nMaxVar || nSize > MAX_FRAME_VAR || !has_ptr(t, iType, 0)) return;
  memset(w->pBuf, 0, nSize);
  memset(w->aLive, 0, MAX_FRAME_VAR / 8 / 4 + 1);
  for (uint32_t k = 0; k < nPiece; k++) {
    const hs_binpiece *q = &aPiece[k];
    uint64_t a = w->iCfa + (uint64_t)q->iCfaOff;
    const uint8_t *p = stack_at(t, w->s, a, q->nSize);
    if (!p) continue;
    memcpy(w->pBuf + q->iVarOff, p, q->nSize);
    for (uint64_t j = 0; j + P <= q->nSize; j++) {
      uint64_t iWord = (q->iVarOff + j) / P;
      if ((q->iVarOff + j) % P == 0 && has_u64(w->s->aLive, w->s->nLive, a + j))
        w->aLive[iWord / 8] |= (uint8_t)(1u << (iWord % 8));
    }
  }
  mem m = {0, w->pBuf, nSize, w->aLive};
  walk(t, iType, 0, &m, 0);
}

/* hs_binary_frame_vars' callback: keep the variable for the frames of one place. */
static void keep_frame_var(void *pArg, int32_t iType, const hs_binpiece *aPiece, uint32_t nPiece) {
  framewalk *w = pArg;
  int bNoMem = 0;
  if (w->nVar + 1 > w->nVarTypeCap) bNoMem |= HS_GROW(w->aVarType, w->nVarTypeCap, 64);
  if (w->nVar + 2 > w->nVarPieceCap) bNoMem |= HS_GROW(w->aVarPiece, w->nVarPieceCap, 64);
  while (!bNoMem && (uint64_t)w->nPiece + nPiece > w->nPieceCap) bNoMem |= HS_GROW(w->aPiece, w->nPieceCap, 64);
  if (bNoMem) {
    w->rc = HS_ENOMEM;
    return;
  }
  memcpy(w->aPiece + w->nPiece, aPiece, nPiece * sizeof *aPiece);
  w->aVarType[w->nVar] = iType;
  w->aVarPiece[w->nVar] = w->nPiece;
  w->nPiece += nPiece;
  w->aVarPiece[++w->nVar] = w->nPiece;
}

typedef struct framekey {
  uint64_t iEntry, pc;  /* pc: where the frame's variables are located */
  uint64_t iRow;        /* heap.frames row */
} framekey;

static int cmp_framekey(const void *pA, const void *pB) {
  const framekey *a = pA, *b = pB;
  if (a->iEntry != b->iEntry) return a->iEntry < b->iEntry ? -1 : 1;
  if (a->pc != b->pc) return a->pc < b->pc ? -1 : 1;
  return a->iRow < b->iRow ? -1 : a->iRow > b->iRow;
}

static int cmp_seg(const void *pA, const void *pB) {
  const hs_heap_seg *a = *(const hs_heap_seg *const *)pA, *b = *(const hs_heap_seg *const *)pB;
  return a->iAddr < b->iAddr ? -1 : a->iAddr > b->iAddr;
}

static int cmp_u64(const void *pA, const void *pB) {
  uint64_t a = *(const uint64_t *)pA, b = *(const uint64_t *)pB;
  return a < b ? -1 : a > b;
}

/* Stack frames as typed roots: the variables DWARF places in each frame at
** its pc are walked like globals, pointers read only from the slots the
** dump lists as live (viewcore's typeHeap does the same).  The CFA is the
** frame record's end (sp + contents: Go's fp, the caller's sp) on amd64
** and 386, where the return address sits just below it; other
** architectures keep their frames untyped.  A caller's pc is its return
** address; the call before it (pc - 1) is where its variables' locations
** hold.  Go 1.23 merges the stack slots of locals over 3 words whose lives
** do not overlap (cmd/compile liveness.MergeLocals) without saying so in
** DWARF, and a merged partner may have no DWARF entry at all: there only
** variables of at most 3 words, which are never merged, are used.
** Cost: per place (entry, pc) frames are parked at, one DIE walk and a
** location lookup per variable in scope; per frame, the walk of its
** variables. */
static int type_frames(typer *t) {
  hs_heap *h = t->h;
  hs_table *f = hs_case_table(t->c, "heap.frames");
  int iEntry = f ? hs_table_colidx(f, "entry") : -1, iSp = f ? hs_table_colidx(f, "sp") : -1,
      iSize = f ? hs_table_colidx(f, "size") : -1, iPc = f ? hs_table_colidx(f, "pc") : -1,
      iDepth = f ? hs_table_colidx(f, "depth") : -1;
  if (iEntry < 0 || iSp < 0 || iSize < 0 || iPc < 0 || iDepth < 0 || !h->zArch ||
      (strcmp(h->zArch, "amd64") != 0 && strcmp(h->zArch, "386") != 0))
    return HS_OK;
  stackmem s = {NULL, 0, NULL, 0};
  framewalk w = {.t = t, .s = &s, .nMaxVar = UINT64_MAX, .pBuf = malloc(MAX_FRAME_VAR),
                 .aLive = malloc(MAX_FRAME_VAR / 8 / 4 + 1)};
  uint64_t nLiveCap = 0;
  int rc = HS_OK;
  s.apSeg = malloc((h->nSeg ? h->nSeg : 1) * sizeof *s.apSeg);
  for (uint64_t r = 0; r < h->nRoot; r++) nLiveCap += h->aRootKind[r] == HS_ROOT_FRAME;
  s.aLive = malloc((nLiveCap ? nLiveCap : 1) * sizeof *s.aLive);
  framekey *aKey = malloc((f->nRow ? f->nRow : 1) * sizeof *aKey);
  if (!s.apSeg || !s.aLive || !w.pBuf || !w.aLive || !aKey) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (uint64_t i = 0; i < h->nSeg; i++)
    if (h->aSeg[i].kind == HS_ROOT_FRAME) s.apSeg[s.nSeg++] = &h->aSeg[i];
  for (uint64_t r = 0; r < h->nRoot; r++)
    if (h->aRootKind[r] == HS_ROOT_FRAME) s.aLive[s.nLive++] = h->aRootFrom[r];
  qsort(s.apSeg, s.nSeg, sizeof *s.apSeg, cmp_seg);
  qsort(s.aLive, s.nLive, sizeof *s.aLive, cmp_u64);
  if (h->iGoMinor == 0 || h->iGoMinor >= 23) w.nMaxVar = 3 * (uint64_t)h->nPtrSize;
  for (uint64_t r = 0; r < f->nRow; r++) {
    uint64_t pc = hs_table_u64(f, iPc, r);
    if (hs_table_u64(f, iDepth, r) > 0 && pc > 0) pc--;
    aKey[r] = (framekey){hs_table_u64(f, iEntry, r), pc, r};
  }
  qsort(aKey, f->nRow, sizeof *aKey, cmp_framekey);
  for (uint64_t k = 0; k < f->nRow && t->rc == HS_OK; k++) {
    if (k == 0 || aKey[k].iEntry != aKey[k - 1].iEntry || aKey[k].pc != aKey[k - 1].pc) {
      w.nVar = w.nPiece = 0;
      if (w.aVarPiece) w.aVarPiece[0] = 0;
      rc = hs_binary_frame_vars(t->b, aKey[k].iEntry, aKey[k].pc, keep_frame_var, &w);
      if (rc == HS_OK) rc = w.rc;
      if (rc != HS_OK) break;
    }
    uint64_t r = aKey[k].iRow;
    w.iCfa = hs_table_u64(f, iSp, r) + hs_table_u64(f, iSize, r);
    for (uint32_t v = 0; v < w.nVar; v++)
      walk_frame_var(&w, w.aVarType[v], w.aPiece + w.aVarPiece[v], w.aVarPiece[v + 1] - w.aVarPiece[v]);
    drain(t);
    if ((k & 1023) == 0 && hs_checkpoint()) break;
  }
done:
  free(s.apSeg);
  free(s.aLive);
  free(aKey);
  free(w.pBuf);
  free(w.aLive);
  free(w.aVarType);
  free(w.aVarPiece);
  free(w.aPiece);
  return rc != HS_OK ? rc : t->rc;
}

static int type_objects(typer *t) {
  hs_heap *h = t->h;
  hs_binary *b = t->b;
  uint64_t n = h->nObj;
  t->aObjType = malloc((n ? n : 1) * sizeof *t->aObjType);
  t->aForm = calloc(n ? n : 1, 1);
  t->aPrio = calloc(n ? n : 1, 1);
  t->aHasPtr = calloc(b->nType ? b->nType : 1, 1);
  uint32_t *aCache = calloc((uint64_t)(b->nType ? b->nType : 1) * NFORM, sizeof *aCache);
  t->aFlag = calloc(b->nType ? b->nType : 1, 1);
  if (!t->aObjType || !t->aForm || !t->aPrio || !t->aHasPtr || !aCache || !t->aFlag) {
    free(aCache);
    return HS_ENOMEM;
  }
  for (uint64_t i = 0; i < n; i++) t->aObjType[i] = -1;
  t->iPoolLocal = -1;
  for (uint32_t k = 0; k < b->nType; k++) {
    const char *z = hs_str(b->pStr, b->aType[k].idName);
    if (b->aType[k].kind == HS_BT_STRUCT && strcmp(z, "sync.poolLocal") == 0 && t->iPoolLocal < 0)
      t->iPoolLocal = (int32_t)k;
    if (b->aType[k].kind == HS_BT_STRUCT && strcmp(z, "sync.Pool") == 0) t->aFlag[k] |= TF_POOL;
    t->aFlag[k] |= (uint8_t)((strncmp(z, "map.bucket[", 11) == 0 ? TF_REPEAT : 0) |
                            (strcmp(z, "runtime.hchan") == 0 || strcmp(z, "runtime.hmap") == 0 ? TF_GENERIC : 0));
  }
  /* 1. Malloc headers. */
  for (uint64_t i = 0; i < n; i++) {
    if (!h->aType[i]) continue;
    int32_t iType = hs_binary_rtype_dwarf(b, h->aType[i]);
    if (iType >= 0) {
      offer(t, h->aAddr[i] + obj_hdr(t, i), iType, FORM_ONE, PRIO_EXACT);
      /* A header names the element type of an array too. */
      if (t->aObjType[i] == iType && h->aSize[i] - obj_hdr(t, i) >= 2 * b->aType[iType].nSize)
        t->aForm[i] = FORM_ARRAY;
    } else {
      char z[480];
      if (hs_binary_rtype_name(b, h->aType[i], z, sizeof z) >= 0) {
        uint32_t id = hs_str_internz(t->c->pStr, z);
        if (id != UINT32_MAX) h->aTypeName[i] = id;
        t->aPrio[i] = PRIO_RTYPE;
      }
    }
    if (t->aPrio[i]) t->st.nHeader++;
  }
  /* Finalizers: the record names the pointer type the finalizer takes (ot),
  ** and SetFinalizer requires the object to be the start of an allocation. */
  hs_table *pFin = hs_case_table(t->c, "heap.finalizers");
  int iObjCol = pFin ? hs_table_colidx(pFin, "object") : -1, iOtCol = pFin ? hs_table_colidx(pFin, "ot") : -1;
  for (uint64_t r = 0; iObjCol >= 0 && iOtCol >= 0 && r < pFin->nRow; r++) {
    int32_t iPtr = hs_binary_rtype_dwarf(b, hs_table_u64(pFin, iOtCol, r));
    if (iPtr >= 0 && b->aType[iPtr].kind == HS_BT_PTR)
      offer(t, hs_table_u64(pFin, iObjCol, r), b->aType[iPtr].iElem, FORM_ONE, PRIO_EXACT);
  }
  /* 2. Typed globals, read from the dump's segment copies. */
  mem *aSeg = t->aGlobMem;
  for (int s = 0; s < 2; s++) {
    const hs_heap_seg *g = segment(h, s == 0 ? HS_ROOT_DATA : HS_ROOT_BSS);
    if (g) aSeg[s] = (mem){g->iAddr, h->pBuf + g->iOff, g->n, NULL};
  }
  for (uint32_t g = 0; g < b->nGlobal && t->rc == HS_OK; g++) {
    const hs_binglobal *v = &b->aGlobal[g];
    for (int s = 0; s < 2; s++)
      if (aSeg[s].n && v->iAddr >= aSeg[s].iAddr && v->iAddr - aSeg[s].iAddr < aSeg[s].n)
        walk(t, v->iType, v->iAddr, &aSeg[s], 0);
    drain(t);
    if ((g & 1023) == 0 && hs_checkpoint()) break;
  }
  /* 3. Typed stack frames. */
  if (t->rc == HS_OK && type_frames(t) != HS_OK) t->rc = HS_ENOMEM;
  /* 4. Objects typed by their headers but reached from no typed root. */
  drain(t);
  for (uint64_t i = 0; i < n; i++)
    if (t->aObjType[i] >= 0) h->aTypeName[i] = type_name_id(t, t->aObjType[i], t->aForm[i], aCache);
  free(aCache);
  return t->rc;
}

int hs_binary_object_field(const hs_binary *b, const hs_heap *h, uint64_t iObj,
                           uint64_t iOff, char *zOut, size_t nOut) {
  if (nOut == 0) return 0;
  zOut[0] = 0;
  if (!b->aObjType || iObj >= b->nObj || iObj >= h->nObj || b->aObjType[iObj] < 0) return 0;
  int32_t iType = b->aObjType[iObj];
  uint64_t hdr = h->aType[iObj] ? h->nPtrSize : 0;
  uint64_t nElem = b->aType[iType].nSize;
  if (iOff < hdr || nElem == 0) return 0;
  iOff -= hdr;
  if (b->aObjForm[iObj] != FORM_ONE) {
    snprintf(zOut, nOut, "[%llu]", (unsigned long long)(iOff / nElem));
    iOff %= nElem;
  }
  hs_binary_field_path(b, iType, iOff, zOut, nOut);
  return 1;
}

/* The figures: objects and bytes typed, of all objects.  (The share of
** the reachable heap needs the graph, built later and only when asked:
** tests and the benchmark compute it from heap.graph's depth column.) */
static void count_typed(typer *t) {
  const hs_heap *h = t->h;
  for (uint64_t i = 0; i < h->nObj; i++) {
    t->st.nObjAll++;
    t->st.nObjBytes += h->aSize[i];
    if (h->aTypeName[i]) {
      t->st.nTyped++;
      t->st.nTypedBytes += h->aSize[i];
    }
  }
}

typedef struct chain {
  hs_table *t;
  uint32_t iMemprof, iDepth, iLevel;
  int rc;
} chain;

static void add_level(void *pArg, const char *zFunc) {
  chain *ch = pArg;
  uint64_t r = hs_table_add_row(ch->t);
  if (r == UINT64_MAX) {
    ch->rc = HS_ENOMEM;
    return;
  }
  hs_table_set_u32(ch->t, 0, r, ch->iMemprof);
  hs_table_set_u32(ch->t, 1, r, ch->iDepth);
  hs_table_set_u32(ch->t, 2, r, ch->iLevel++);
  hs_table_set_strz(ch->t, 3, r, zFunc);
}

/* heap.memprof_inline: for each memprof frame whose position is inside
** inlined code, the inline chain, innermost (level 0) to the function the
** dump named.  Frames without inlining get no rows. */
static int inline_sites(hs_case *c, hs_binary *b) {
  hs_table *f = hs_case_table(c, "heap.memprof_frames");
  if (!f || !b->pDwarf) return HS_OK;
  int iRow = hs_table_colidx(f, "memprof"), iDepth = hs_table_colidx(f, "depth"),
      iFunc = hs_table_colidx(f, "func"), iFile = hs_table_colidx(f, "file"),
      iLine = hs_table_colidx(f, "line");
  if (iRow < 0 || iDepth < 0 || iFunc < 0 || iFile < 0 || iLine < 0) return HS_OK;
  static const hs_colspec aCol[] = {   /* add_level sets them by position */
      {"memprof", HS_U32, 0}, {"depth", HS_U32, 0}, {"level", HS_U32, 0}, {"func", HS_STR, 0}};
  hs_table *t = hs_table_open(c, "heap.memprof_inline", NULL, aCol, HS_NCOL(aCol), NULL);
  if (!t) return HS_ENOMEM;
  for (uint64_t r = 0; r < f->nRow; r++) {
    chain ch = {t, (uint32_t)hs_table_u64(f, iRow, r), (uint32_t)hs_table_u64(f, iDepth, r), 0, HS_OK};
    uint64_t nBefore = t->nRow;
    int n = hs_binary_inline_at(b, hs_table_str(f, iFunc, r), hs_table_str(f, iFile, r),
                                hs_table_u64(f, iLine, r), add_level, &ch);
    if (ch.rc != HS_OK) return ch.rc;
    if (n < 2) t->nRow = nBefore; /* nothing inlined there: no rows */
    if ((r & 4095) == 0 && hs_checkpoint()) break;
  }
  return HS_OK;
}

/* heap.binary: one row saying what the binary provided and what it named. */
static int describe(hs_case *c, const hs_binary *b, const char *zMatch, const typer *t) {
  static const hs_colspec aCol[] = {   /* set by position below */
      {"file", HS_STR, 0},           {"go_version", HS_STR, 0},  {"module", HS_STR, 0},
      {"buildinfo", HS_U32, 0},      {"symtab", HS_U32, 0},      {"dwarf", HS_U32, 0},
      {"rtypes", HS_U32, 0},         {"types", HS_U64, 0},       {"globals", HS_U64, 0},
      {"matches", HS_STR, 0},        {"objects", HS_U64, 0},     {"bytes", HS_U64, HS_COL_BYTES},
      {"typed", HS_U64, 0},          {"typed_bytes", HS_U64, HS_COL_BYTES},
      {"by_header", HS_U64, 0},      {"by_iface", HS_U64, 0},    {"conflicts", HS_U64, 0}};
  hs_table *p = hs_table_open(c, "binary", NULL, aCol, HS_NCOL(aCol), NULL);
  if (!p) return HS_ENOMEM;
  uint64_t i = hs_table_add_row(p);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(p, 0, i, b->zFile);
  hs_table_set_strz(p, 1, i, b->zGoVersion ? b->zGoVersion : "");
  hs_table_set_strz(p, 2, i, b->zModPath ? b->zModPath : "");
  hs_table_set_u32(p, 3, i, !!(b->flags & HS_BIN_BUILDINFO));
  hs_table_set_u32(p, 4, i, !!(b->flags & HS_BIN_SYMTAB));
  hs_table_set_u32(p, 5, i, !!(b->flags & HS_BIN_DWARF));
  hs_table_set_u32(p, 6, i, !!(b->flags & HS_BIN_RTYPES));
  hs_table_set_u64(p, 7, i, b->nType);
  hs_table_set_u64(p, 8, i, b->nGlobal);
  hs_table_set_strz(p, 9, i, zMatch);
  if (t) {
    hs_table_set_u64(p, 10, i, t->st.nObjAll);
    hs_table_set_u64(p, 11, i, t->st.nObjBytes);
    hs_table_set_u64(p, 12, i, t->st.nTyped);
    hs_table_set_u64(p, 13, i, t->st.nTypedBytes);
    hs_table_set_u64(p, 14, i, t->st.nHeader);
    hs_table_set_u64(p, 15, i, t->st.nIface);
    hs_table_set_u64(p, 16, i, t->st.nConflict);
  }
  return HS_OK;
}

int hs_binary_name_case(hs_case *c, hs_binary *b) {
  hs_heap *h = c->pHeap;
  if (!h) return describe(c, b, "no heap dump", NULL);
  char zWhy[400];
  if (!check_match(h, b, zWhy, sizeof zWhy)) {
    hs_case_diag(c, HS_ERROR, b->zFile, UINT64_MAX, 0,
                 "not the binary that wrote %s: %s; its names were not used (pass the exact "
                 "executable the process ran, e.g. copied from its container image)", h->zFile, zWhy);
    c->nError++;
    return describe(c, b, "no", NULL);
  }
  typer t = {.c = c, .h = h, .b = b};
  if (h->nObj < HS_NONE) hs_pagedir_init(&t.dir, h->aAddr, h->aSize, (uint32_t)h->nObj);
  name_roots(&t);
  int rc = type_objects(&t);
  if (rc == HS_OK) count_typed(&t);
  if (rc == HS_OK) rc = inline_sites(c, b);
  if (rc == HS_OK) { /* kept for field names in paths */
    b->nObj = h->nObj;
    b->aObjType = t.aObjType;
    b->aObjForm = t.aForm;
    t.aObjType = NULL;
    t.aForm = NULL;
  }
  free(t.aObjType);
  free(t.aForm);
  free(t.aPrio);
  free(t.aQueue);
  free(t.dir.aPage);
  free(t.aHasPtr);
  free(t.aFlag);
  hs_u64map_free(&t.mStatic);
  if (rc != HS_OK) return rc;
  return describe(c, b, "yes", &t);
}
