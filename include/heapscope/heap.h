/*
 * A loaded Go heap dump (runtime/debug.WriteHeapDump, "go1.7 heap dump"
 * format): the in-memory form the object graph (core/graph/) and the Lua
 * API build on.  Filled by core/formats/heapdump.c, whose format essay
 * describes the records.
 *
 * Layout: struct-of-arrays, one element per object, objects sorted by
 * address so that a pointer (interior ones too) resolves by binary search.
 * Most arrays ARE the columns of the case's "heap.*" tables (aliases, not
 * copies: a 10 M object dump must fit in about its own size of memory), so
 * they live exactly as long as the case.  Object contents and pointer-field
 * lists are not copied either: they are read from the dump buffer (pBuf),
 * which the case keeps alive.
 *
 * Stability: fields are only ever added at the end of hs_heap.
 */
#ifndef HEAPSCOPE_HEAP_H
#define HEAPSCOPE_HEAP_H
#include "heapscope/heapscope.h"
#include <string.h>

/* Root kinds (hs_heap.aRootKind); the "kind" column of heap.roots holds the
** names in parentheses. */
enum {
  HS_ROOT_DATA = 1,       /* ("data") a pointer slot in the data segment */
  HS_ROOT_BSS = 2,        /* ("bss") a pointer slot in the bss segment */
  HS_ROOT_FRAME = 3,      /* ("frame") a pointer slot in a goroutine stack frame */
  HS_ROOT_FINALIZER = 4,  /* ("finalizer") an object with a finalizer set */
  HS_ROOT_QUEUED = 5,     /* ("queued_finalizer") an object whose finalizer is queued to run */
  HS_ROOT_OTHER = 6,      /* ("other") a runtime root the dump describes in words */
  HS_ROOT_GOROUTINE = 7,  /* ("goroutine") a goroutine's closure context (sched.ctxt) */
  HS_ROOT_DEFER = 8,      /* ("defer") the function value of a pending defer */
  HS_ROOT_PANIC = 9       /* ("panic") the argument of an active panic */
};

typedef struct hs_heap hs_heap;
struct hs_graph;

/* Where a data/bss segment's or a stack frame's record keeps its contents
** and pointer field list in the dump, so the words around a root's slot can
** be read (a slice header's len and cap beside its pointer). */
typedef struct hs_heap_seg {
  uint64_t iAddr;           /* address of the first content byte (frames: sp) */
  uint64_t iOff;            /* contents at pBuf + iOff, n bytes */
  uint64_t n;
  uint64_t iFieldOff;       /* its field list at pBuf + iFieldOff (framed by the
                            ** loader; offsets still need checking against n) */
  uint8_t kind;             /* HS_ROOT_DATA, HS_ROOT_BSS or HS_ROOT_FRAME */
} hs_heap_seg;

struct hs_heap {
  /* The dump.  pBuf is the input's bytes; offsets below are into it. */
  const uint8_t *pBuf;      /* whole dump, kept alive by the case */
  uint64_t nBuf;            /* its length */
  const char *zFile;        /* input display name, for messages (owned by the case's input) */

  /* Params record. */
  int bBigEndian;           /* pointers in contents are big-endian */
  uint32_t nPtrSize;        /* 4 or 8 */
  uint64_t iHeapStart;      /* lowest heap arena address */
  uint64_t iHeapEnd;        /* end of the highest heap arena */
  char *zArch;              /* GOARCH ("amd64"), malloc'd */
  char *zGoVersion;         /* runtime.Version() as dumped ("go1.19.8"), malloc'd */
  uint32_t nCpu;            /* ncpu */
  int iGoMinor;             /* 19 for "go1.19.8"; 0 if the version did not parse */
  int bTypeHeader;          /* Go >= 1.22: small objects over 512 bytes with pointers
                            ** start with an 8-byte *_type header (see heapdump.c) */

  /* Objects, ascending by address, non-overlapping.  Object i occupies
  ** [aAddr[i], aAddr[i] + aSize[i]); aSize is the size-class slot size, so
  ** it includes the type header when there is one. */
  uint64_t nObj;
  uint64_t *aAddr;          /* heap.objects.addr */
  uint64_t *aSize;          /* heap.objects.size */
  uint64_t *aType;          /* heap.objects.type: the header word (a *_type) or 0 */
  uint32_t *aTypeName;      /* heap.objects.type_name: string id, 0 ("") if unknown */
  uint32_t *aBucket;        /* heap.objects.bucket: 1-based row of heap.memprof (the
                            ** allocation site, when sampled), 0 if none */
  uint64_t *aContentOff;    /* contents start at pBuf + aContentOff[i], aSize[i] bytes;
                            ** the object's field list follows them (hs_heap_fields) */
  uint64_t nField;          /* pointer fields over all objects */
  uint64_t nFieldMax;       /* pointer fields of the object that has most */

  /* Roots, in dump order.  A root is a slot outside the heap (or a runtime
  ** reference) holding aRootTarget, a nonzero address inside
  ** [iHeapStart, iHeapEnd) that may or may not resolve to an object. */
  uint64_t nRoot;
  uint8_t *aRootKind;       /* HS_ROOT_*; owned by hs_heap */
  uint64_t *aRootTarget;    /* heap.roots.target */
  uint64_t *aRootFrom;      /* heap.roots.from: address of the slot, 0 if none */
  uint32_t *aRootDesc;      /* heap.roots.desc: string id ("data+0x40",
                            ** "goroutine 17 frame main.worker", "finalizer for 0x...") */
  uint64_t *aRootGoid;      /* heap.roots.goroutine: goroutine id, 0 if none */

  /* The case's tables (sealed with the case). */
  hs_strpool *pStr;         /* the case's string pool (string ids above) */
  hs_table *pObjects;       /* heap.objects */
  hs_table *pRoots;         /* heap.roots */
  hs_table *pGoroutines;    /* heap.goroutines */
  hs_table *pFrames;        /* heap.frames */
  hs_table *pFinalizers;    /* heap.finalizers */
  hs_table *pTypes;         /* heap.types */
  hs_table *pItabs;         /* heap.itabs */
  hs_table *pThreads;       /* heap.threads */
  hs_table *pDefers;        /* heap.defers */
  hs_table *pPanics;        /* heap.panics */
  hs_table *pMemprof;       /* heap.memprof */
  hs_table *pMemprofFrames; /* heap.memprof_frames */
  hs_table *pAllocSamples;  /* heap.alloc_samples */
  hs_table *pMemstats;      /* heap.memstats */
  hs_table *pParams;        /* heap.params */

  /* The object graph hangs here once built (core/graph/); freed with the
  ** heap through xGraphFree. */
  struct hs_graph *pGraph;
  void (*xGraphFree)(struct hs_graph *);

  /* Data and bss segments and stack frames that hold roots, in dump order. */
  uint64_t nSeg;
  hs_heap_seg *aSeg;        /* owned by hs_heap */
  uint64_t nSegCap;

  /* Where the object records are, for the index file (hs_heap_reopen). */
  uint64_t iObjRecFirst;    /* offset of the first object record */
  uint64_t iObjRecEnd;      /* offset just past the last one */
  int bObjContig;           /* 1: no other record lies between them */
  uint64_t nPhantom;        /* phantom slots dropped (see heapdump.c) */
  uint64_t nObjAhead;       /* object records a second thread parsed (dumpahead.c) */
  int bObjFromIndex;        /* 1: aAddr, aSize, aType, aContentOff point into
                            ** an index file's mapping (owned by pGraph): the
                            ** object records were not parsed */
};

/* Reopening a dump whose index file is current (core/graph/index.c) skips
** parsing its object records: the loader asks this hook, when set and the
** case allows index files, for the object columns and the graph saved in
** the index.  The columns stay valid while pGraph lives (freed with
** xGraphFree).  Returns HS_OK and fills *p, or HS_ERR (no usable index: parse
** as usual).  The CLI sets it to hs_index_reopen; NULL: always parse. */
typedef struct hs_heap_prebuilt {
  uint64_t nObj;
  const uint64_t *aAddr, *aSize, *aContentOff, *aType;
  uint64_t nField, nFieldMax, nPhantom;
  uint64_t iObjRecFirst, iObjRecEnd;
  struct hs_graph *pGraph;
  void (*xGraphFree)(struct hs_graph *);
} hs_heap_prebuilt;
typedef int (*hs_heap_reopen_fn)(const hs_input *in, hs_heap_prebuilt *pOut);
extern hs_heap_reopen_fn hs_heap_reopen;

/* Index of the object containing address a (interior addresses included),
** or UINT64_MAX if none.  O(log nObj). */
uint64_t hs_heap_find(const hs_heap *, uint64_t a);

/* The pointer-sized word at byte offset iOff of object i's contents, in the
** dump's byte order.  The caller guarantees iOff + nPtrSize <= aSize[i]
** (true for every offset hs_heap_fields yields). */
static inline uint64_t hs_heap_word_at(const hs_heap *h, const uint8_t *p) {
  uint64_t v = 0;
  if (h->bBigEndian) {
    for (uint32_t k = 0; k < h->nPtrSize; k++) v = (v << 8) | p[k];
  } else if (h->nPtrSize == 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, 8);                          /* one load, not eight */
#else
    for (int k = 7; k >= 0; k--) v = (v << 8) | p[k];
#endif
  } else {
    for (int k = (int)h->nPtrSize - 1; k >= 0; k--) v = (v << 8) | p[k];
  }
  return v;
}
static inline uint64_t hs_heap_word(const hs_heap *h, uint64_t i, uint64_t iOff) {
  return hs_heap_word_at(h, h->pBuf + h->aContentOff[i] + iOff);
}

/* Pointer fields of object i, read straight from the dump (the loader
** validated every list, so this cannot fail or read out of bounds):
**
**   hs_heap_fielditer it;
**   uint64_t off;
**   hs_heap_fields(h, i, &it);
**   while (hs_heap_field_next(&it, &off)) target = hs_heap_word(h, i, off);
**
** Decoding costs about as much as reading a u32 array would, and saves
** 4 bytes per pointer plus 8 per object of CSR. */
typedef struct hs_heap_fielditer {
  const uint8_t *p;         /* next varint of the field list */
  uint32_t nPtrSize;
} hs_heap_fielditer;

static inline void hs_heap_fields(const hs_heap *h, uint64_t i, hs_heap_fielditer *it) {
  it->p = h->pBuf + h->aContentOff[i] + h->aSize[i];
  it->nPtrSize = h->nPtrSize;
}

static inline uint64_t hs_heap__uvarint(const uint8_t **pp) {
  const uint8_t *p = *pp;
  uint64_t v = 0;
  int s = 0;
  while (*p & 0x80) {
    v |= (uint64_t)(*p++ & 0x7f) << s;
    s += 7;
  }
  v |= (uint64_t)*p++ << s;
  *pp = p;
  return v;
}

/* Next pointer-field offset into *pOff; 0 at the end of the list.  An
** interface field (kind 2 or 3, not written by Go since 1.5 but legal)
** yields its data word only: the type/itab word never points into the heap. */
static inline int hs_heap_field_next(hs_heap_fielditer *it, uint64_t *pOff) {
  uint64_t kind = hs_heap__uvarint(&it->p);
  if (kind == 0) {
    it->p--; /* stay on the end marker: further calls keep returning 0 */
    *pOff = 0;
    return 0;
  }
  uint64_t off = hs_heap__uvarint(&it->p);
  *pOff = kind == 1 ? off : off + it->nPtrSize;
  return 1;
}

#endif /* HEAPSCOPE_HEAP_H */
