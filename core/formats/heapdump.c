/*
** The Go heap dump loader: what runtime/debug.WriteHeapDump writes.
**
** FORMAT (specified only by Go's runtime/heapdump.go; unchanged from Go 1.7
** through 1.23 except where noted).  The file starts with the 16 bytes
** "go1.7 heap dump\n", then a sequence of records.  Every number is an
** unsigned varint (encoding/binary.Uvarint: 7 bits a byte, low first, at
** most 10 bytes); a bool is a varint 0/1; a "string" or "bytes" is a varint
** length followed by that many bytes.  A record is a varint kind followed by
** its fields:
**
**   kind  record            fields
**   ----  ----------------  ---------------------------------------------------
**    0    EOF               (none; the last record)
**    1    object            addr, contents bytes, field list
**    2    other root        description string, target addr
**    3    type              addr, size, name string, indirect bool
**    4    goroutine         g addr, sp, goid, gopc, status, is_system bool,
**                           is_background bool (always 0), waitsince, wait
**                           reason string, sched.ctxt, m addr, _defer addr,
**                           _panic addr
**    5    stack frame       sp, depth, child sp, contents bytes, entry pc, pc,
**                           continuation pc, function name string, field list
**    6    params            big_endian bool, ptr size, heap start, heap end,
**                           GOARCH string, runtime.Version() string, ncpu
**    7    finalizer         object, funcval, funcval.fn pc, fint type, ot type
**    8    itab              itab addr, type addr
**    9    OS thread         m addr, m id, procid
**   10    memstats          24 MemStats fields (Alloc .. PauseTotalNs, in
**                           Go's struct order), PauseNs[256], NumGC
**   11    queued finalizer  as 7
**   12    data segment      addr, contents bytes, field list
**   13    bss segment       addr, contents bytes, field list
**   14    defer             _defer addr, g addr, sp, pc, funcval, funcval.fn
**                           pc, link
**   15    panic             _panic addr, g addr, arg type, arg data, 0, link
**   16    memprof bucket    bucket addr, size, nstk, nstk x (function string,
**                           file string, line), allocs, frees
**   17    alloc sample      addr, bucket addr
**
** A field list is pairs (field kind, byte offset) ended by kind 0: kind 1 is
** a pointer at that offset; 2 (iface) and 3 (eface) are two words whose
** second is the data pointer (not written since Go 1.5, accepted).  Offsets
** are relative to the start of the record's contents.
**
** ORDER.  mdump writes: header, params, itabs (each preceded by its type
** record: types are written only for itabs), objects (span by span in
** mheap_.allspans order -- ascending inside a span, spans in allocation
** order, so objects are NOT in address order overall), goroutines (each
** followed by its stack frames, innermost first, then its defers and
** panics), OS threads, data, bss, finalizers, queued finalizers, memstats,
** memprof buckets, alloc samples, EOF.  A stack frame record does not name
** its goroutine: it belongs to the goroutine record before it.
**
** OBJECTS.  dumpobjs walks every slot of every in-use span and dumps the
** allocated ones with dumpobj(base, span.elemsize, ...): the address is the
** slot base, the size is the size-class size (not the requested size), and
** the contents are the whole slot.
**
** THE GO 1.22+ TYPE HEADER (checked against go1.23 malloc.go, mbitmap.go
** and heapdump.go).  Since Go 1.22, an object with pointers whose size is
** over 512 bytes (ptr size x 64: 128 on 32-bit) and that goes in a small
** size class (at most 32 KiB) starts with an 8-byte malloc header holding
** its *_type; mallocgc returns base+8 to the program.  Larger objects keep
** their type in the span (span.largeType) and have no header.  What the
** dump shows for a headered object:
**   - the object record's address is the slot BASE (the header's address),
**     and its size is the slot size INCLUDING the 8 header bytes;
**   - its contents start with the header word (a *_type, which points to
**     read-only data, never into the heap);
**   - its field offsets are relative to the base, so they are all >= 8
**     (makeheapobjbv converts typePointers addresses, which start after the
**     header, to (addr - base) / ptrsize);
**   - pointers to it from other objects, roots and finalizers hold base+8,
**     and so does its alloc sample (mallocgc calls profilealloc with the
**     returned pointer): all interior addresses, which resolve to the object.
** The dump has no span class, so a header is recognised as: Go >= 1.22,
** 512 < size <= 32768, at least one pointer field and none below offset 8,
** and a nonzero first word outside the heap.  (A large object of exactly
** 32768 bytes whose first word is non-pointer, nonzero data would be
** mistaken for one; nothing in the dump can tell them apart.)  That word
** is the object's type identity (heap.objects.type); it has a name only if
** the same type was dumped for an itab (heap.types).
**
** PHANTOM SLOTS (Go 1.22+).  Small pointerful spans keep their heap bitmap
** in their last bytes and hold fewer objects (nelems), but dumpobjs walks
** every slot of the span and dumps those past nelems as allocated.  They
** are not objects (MemStats leaves them out) and are dropped: see
** close_group.
**
** ROOTS (heap.roots) are derived: every pointer field of the data and bss
** segments and of every stack frame, each finalizer's object and function
** value, each queued finalizer's object, each "other root", and each
** goroutine's closure context, pending defer's function value and active
** panic's argument -- kept only when the target is nonzero and inside the
** heap arenas [heap start, heap end) of the params record.
**
** BAD INPUT.  Reads are bounds-checked through one sticky reader (rd).  A
** record cut by the end of the buffer ends the load with a warning naming
** its offset, everything before it kept; a varint over 10 bytes, a length
** beyond the end or an unknown record kind ends it the same way (nothing
** after can be framed).  A record that frames correctly but is inconsistent
** (a field offset outside its object) is skipped with a warning.
**
** COST.  One pass over the records, then a sort that moves each run of
** ascending objects (a span, usually) as one block: O(objects + runs log
** runs).  With two threads a dump of 64 MiB or more is read from both ends
** of its object records at once (the read-ahead, dumpahead.c: the second
** half parsed by another thread, its records taken here in order) and the
** runs are moved by both.  Memory: 24 bytes per object (addr, size,
** contents offset) plus one 8-byte scratch column while sorting, plus 16
** bytes of type, type name and bucket columns that stay untouched zero
** pages where a dump has no headers or samples, plus the read-ahead's 32
** bytes per record until they are taken.  Object contents and field lists
** are never copied.  For an mmapped dump the parsed pages are handed back
** to the kernel behind the reader (MADV_DONTNEED; they stay in the page
** cache), so a dump loads in about half its size of resident memory
** (tests/bench/RESULTS.md).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapscope/heap.h"
#include "base/base.h"
#include "formats/memstats.h"
#include "formats/dumpahead.h"
#include "formats/dumpscan.h"

static const char *const azTag[] = {
    "EOF", "object", "other root", "type", "goroutine", "stack frame", "params",
    "finalizer", "itab", "OS thread", "memstats", "queued finalizer", "data segment",
    "bss segment", "defer", "panic", "memprof bucket", "alloc sample"};

/* ------------------------------------------------------------------ */
/* Tables.  Each is declared as a column list whose order matches an enum,
** so rows are filled by position. */

#define HEX HS_COL_HEX
#define BYTES HS_COL_BYTES

enum { O_ADDR, O_SIZE, O_TYPE, O_TYPENAME, O_BUCKET };
static const hs_colspec aObjCol[] = {
    {"addr", HS_U64, HEX}, {"size", HS_U64, BYTES}, {"type", HS_U64, HEX},
    {"type_name", HS_STR, 0}, {"bucket", HS_U32, 0}};

enum { R_KIND, R_TARGET, R_FROM, R_DESC, R_GOROUTINE, R_DEPTH, R_OFFSET };
static const hs_colspec aRootCol[] = {
    {"kind", HS_STR, 0}, {"target", HS_U64, HEX}, {"from", HS_U64, HEX},
    {"desc", HS_STR, 0}, {"goroutine", HS_U64, 0}, {"depth", HS_U32, 0},
    {"offset", HS_U64, 0}};

enum { G_ID, G_GP, G_STATE, G_STATUS, G_WAIT_REASON, G_WAITSINCE, G_SYSTEM, G_SP,
       G_GOPC, G_CREATED_BY, G_TOP, G_NFRAMES, G_CTXT, G_M, G_DEFER, G_PANIC, G_FUNC };
static const hs_colspec aGCol[] = {
    {"id", HS_U64, 0}, {"gp", HS_U64, HEX}, {"state", HS_STR, 0}, {"status", HS_U32, 0},
    {"wait_reason", HS_STR, 0}, {"waitsince", HS_I64, 0}, {"system", HS_U32, 0},
    {"sp", HS_U64, HEX}, {"gopc", HS_U64, HEX}, {"created_by", HS_STR, 0},
    {"top", HS_STR, 0}, {"frames", HS_U32, 0}, {"ctxt", HS_U64, HEX}, {"m", HS_U64, HEX},
    {"defer", HS_U64, HEX}, {"panic", HS_U64, HEX}, {"func", HS_STR, 0}};

enum { F_GOROUTINE, F_DEPTH, F_FUNC, F_ENTRY, F_PC, F_CONTINPC, F_SP, F_CHILDSP, F_SIZE,
       F_NPTR };
static const hs_colspec aFrameCol[] = {
    {"goroutine", HS_U64, 0}, {"depth", HS_U32, 0}, {"func", HS_STR, 0},
    {"entry", HS_U64, HEX}, {"pc", HS_U64, HEX}, {"continpc", HS_U64, HEX},
    {"sp", HS_U64, HEX}, {"childsp", HS_U64, HEX}, {"size", HS_U64, BYTES},
    {"nptr", HS_U32, 0}};

enum { FI_OBJECT, FI_KIND, FI_FN, FI_FN_PC, FI_FINT, FI_OT, FI_OT_NAME };
static const hs_colspec aFinCol[] = {
    {"object", HS_U64, HEX}, {"kind", HS_STR, 0}, {"fn", HS_U64, HEX},
    {"fn_pc", HS_U64, HEX}, {"fint", HS_U64, HEX}, {"ot", HS_U64, HEX},
    {"ot_name", HS_STR, 0}};

enum { T_ADDR, T_SIZE, T_NAME, T_INDIRECT };
static const hs_colspec aTypeCol[] = {
    {"addr", HS_U64, HEX}, {"size", HS_U64, BYTES}, {"name", HS_STR, 0},
    {"indirect", HS_U32, 0}};

enum { I_ADDR, I_TYPE, I_TYPE_NAME };
static const hs_colspec aItabCol[] = {
    {"addr", HS_U64, HEX}, {"type", HS_U64, HEX}, {"type_name", HS_STR, 0}};

enum { TH_M, TH_ID, TH_PROCID };
static const hs_colspec aThreadCol[] = {
    {"m", HS_U64, HEX}, {"id", HS_U64, 0}, {"procid", HS_U64, 0}};

enum { D_ADDR, D_GOROUTINE, D_GP, D_SP, D_PC, D_FN, D_FN_PC, D_LINK };
static const hs_colspec aDeferCol[] = {
    {"addr", HS_U64, HEX}, {"goroutine", HS_U64, 0}, {"gp", HS_U64, HEX},
    {"sp", HS_U64, HEX}, {"pc", HS_U64, HEX}, {"fn", HS_U64, HEX},
    {"fn_pc", HS_U64, HEX}, {"link", HS_U64, HEX}};

enum { P_ADDR, P_GOROUTINE, P_GP, P_ARG_TYPE, P_ARG_DATA, P_LINK };
static const hs_colspec aPanicCol[] = {
    {"addr", HS_U64, HEX}, {"goroutine", HS_U64, 0}, {"gp", HS_U64, HEX},
    {"arg_type", HS_U64, HEX}, {"arg_data", HS_U64, HEX}, {"link", HS_U64, HEX}};

enum { M_BUCKET, M_SIZE, M_ALLOCS, M_FREES, M_INUSE_OBJECTS, M_INUSE_BYTES, M_NSTK,
       M_FUNC };
static const hs_colspec aMemprofCol[] = {
    {"bucket", HS_U64, HEX}, {"size", HS_U64, BYTES}, {"allocs", HS_U64, 0},
    {"frees", HS_U64, 0}, {"inuse_objects", HS_U64, 0}, {"inuse_bytes", HS_U64, BYTES},
    {"nstk", HS_U32, 0}, {"func", HS_STR, 0}};

enum { MF_BUCKET, MF_ROW, MF_DEPTH, MF_FUNC, MF_FILE, MF_LINE };
static const hs_colspec aMemprofFrameCol[] = {
    {"bucket", HS_U64, HEX}, {"memprof", HS_U32, 0}, {"depth", HS_U32, 0},
    {"func", HS_STR, 0}, {"file", HS_STR, 0}, {"line", HS_U64, 0}};

enum { A_ADDR, A_BUCKET, A_MEMPROF };
static const hs_colspec aSampleCol[] = {
    {"addr", HS_U64, HEX}, {"bucket", HS_U64, HEX}, {"memprof", HS_U32, 0}};

enum { PA_GO_VERSION, PA_ARCH, PA_PTR_SIZE, PA_NCPU, PA_HEAP_START, PA_HEAP_END,
       PA_BIG_ENDIAN, PA_TYPE_HEADER, PA_OBJECTS, PA_FILE };
static const hs_colspec aParamCol[] = {
    {"go_version", HS_STR, 0}, {"arch", HS_STR, 0}, {"ptr_size", HS_U32, 0},
    {"ncpu", HS_U32, 0}, {"heap_start", HS_U64, HEX}, {"heap_end", HS_U64, HEX},
    {"big_endian", HS_U32, 0}, {"type_header", HS_U32, 0}, {"objects", HS_U64, 0},
    {"file", HS_STR, 0}};


enum { GP_INDEX, GP_PAUSE_NS };
static const hs_colspec aPauseCol[] = {{"index", HS_U32, 0}, {"pause_ns", HS_U64, 0}};

/* Open table zName with columns a[] at the positions of their enum. */
#define mktable(c, zName, zNote, a) hs_table_open(c, zName, zNote, a, HS_NCOL(a), NULL)

/* ------------------------------------------------------------------ */
/* Load state. */
typedef struct run {
  uint64_t iStart;          /* first object of the run, in dump order */
  uint64_t nObj;            /* objects in it */
  uint64_t iFirst;          /* address of its first object */
  uint64_t iEnd;            /* end of its last object */
  uint64_t iDest;           /* where it goes once sorted */
} run;

typedef struct typed {
  uint64_t iObj;            /* dump-order index of a headered object */
  uint64_t iType;           /* its header word */
} typed;

typedef struct fnrange {
  uint64_t iEntry;          /* function entry pc (from a stack frame) */
  uint64_t iMaxPc;          /* highest pc seen inside it */
  uint32_t idName;          /* its name */
} fnrange;

typedef struct loader {
  hs_case *c;
  hs_input *in;
  const char *zFile;
  hs_heap *h;
  rd r;

  /* Objects in dump order (become the sorted columns). */
  uint64_t nObj, nObjCap;
  uint64_t *aAddr, *aSize, *aContentOff;
  run *aRun;
  uint64_t nRun, nRunCap;
  typed *aTyped;
  uint64_t nTyped, nTypedCap;

  hs_u64map mTypes;         /* type addr -> name string id (0 is never a key) */
  hs_u64map mBuckets;       /* bucket addr -> heap.memprof row + 1 */
  hs_u64map mGoid;          /* g addr -> goid */
  fnrange *aFn;
  uint64_t nFn, nFnCap;

  hs_table *pObjects, *pRoots, *pG, *pFrames, *pFin, *pTypes, *pItabs, *pThreads,
      *pDefers, *pPanics, *pMemprof, *pMemprofFrames, *pSamples, *pMemstats, *pPauses,
      *pParams;
  uint8_t *aRootKind;
  uint64_t nRootKindCap;

  /* The page group being read: consecutive objects of one size in one
  ** 8 KiB page (one span), for dropping phantom slots (close_group). */
  uint64_t iGroupPage;      /* addr >> 13 */
  uint64_t nGroupSize;      /* object size, 0: not a small-object group */
  int bGroupScan;           /* an object of the group has pointer fields */
  uint64_t nGroupCand;      /* trailing objects that look like phantoms */
  uint64_t nPhantom;        /* phantoms dropped */

  int bParams;              /* params record seen */
  uint64_t iGoid;           /* goroutine of the frames being read */
  uint64_t iGoRow;          /* its heap.goroutines row */
  uint64_t nSkipped;        /* inconsistent records skipped */

  /* Object records: where they are (for the index file), and the columns
  ** an index file gave instead of parsing them (hs_heap_reopen). */
  int bObjSeen, bAfterObj;  /* an object record seen; another record after one */
  int bPre;                 /* pre holds a current index's objects and graph */
  int bObjSkipped;          /* their records were skipped */
  hs_heap_prebuilt pre;
  hs_dumpfmt fmt;           /* the params, as object records are parsed with them */
  hs_ahead *pAhead;         /* the read-ahead of the later object records */
  uint64_t iAheadAt;        /* meet it at the first record at or past this */
  uint64_t nBadFrameField;  /* frame fields outside their frame */
  char zBuf[256];
} loader;

/* Report an inconsistent record that was skipped (the first few in full). */
static void skipped(loader *l, uint64_t iOff, int tag, const char *zWhat) {
  l->nSkipped++;
  if (l->nSkipped <= 5)
    hs_case_diag(l->c, HS_WARNING, l->zFile, iOff, 0,
                 "%s record at offset %llu %s; skipped it (the rest of the dump is loaded). "
                 "The dump may be corrupt: compare its size with what the process wrote",
                 azTag[tag], (unsigned long long)iOff, zWhat);
}

static int in_heap(const loader *l, uint64_t a) {
  return a != 0 && a >= l->h->iHeapStart && a < l->h->iHeapEnd;
}

static int add_root(loader *l, int kind, uint64_t iTarget, uint64_t iFrom, const char *zDesc,
                    uint64_t iGoid, uint32_t iDepth, uint64_t iOffset) {
  static const char *const azKind[] = {"",      "data",  "bss",       "frame", "finalizer",
                                       "queued_finalizer", "other", "goroutine", "defer",
                                       "panic"};
  if (!in_heap(l, iTarget)) return HS_OK;
  hs_table *t = l->pRoots;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  if (i >= l->nRootKindCap && HS_GROW(l->aRootKind, l->nRootKindCap, 1024)) return HS_ENOMEM;
  l->aRootKind[i] = (uint8_t)kind;
  hs_table_set_strz(t, R_KIND, i, azKind[kind]);
  hs_table_set_u64(t, R_TARGET, i, iTarget);
  hs_table_set_u64(t, R_FROM, i, iFrom);
  hs_table_set_strz(t, R_DESC, i, zDesc);
  hs_table_set_u64(t, R_GOROUTINE, i, iGoid);
  hs_table_set_u32(t, R_DEPTH, i, iDepth);
  hs_table_set_u64(t, R_OFFSET, i, iOffset);
  return HS_OK;
}

/* Remember where a segment's or frame's contents are (hs_heap.aSeg). */
static int add_seg(loader *l, int kind, const uint8_t *pContent, uint64_t nContent,
                   const uint8_t *pFields, uint64_t iBase) {
  hs_heap *h = l->h;
  if (h->nSeg == h->nSegCap && HS_GROW(h->aSeg, h->nSegCap, 64)) return HS_ENOMEM;
  h->aSeg[h->nSeg++] = (hs_heap_seg){iBase, (uint64_t)(pContent - l->r.pBase), nContent,
                                     (uint64_t)(pFields - l->r.pBase), (uint8_t)kind};
  return HS_OK;
}

/* Roots for every in-range pointer field of a frame or segment whose
** (validated) field list starts at pFields. */
static int field_roots(loader *l, int kind, const uint8_t *pContent, uint64_t nContent,
                       const uint8_t *pFields, uint64_t iBase, const char *zDescFmt,
                       const char *zName, uint64_t iGoid, uint32_t iDepth) {
  hs_heap *h = l->h;
  if (nContent > 0 && *pFields != 0 && add_seg(l, kind, pContent, nContent, pFields, iBase))
    return HS_ENOMEM;
  rd r = {pFields, pFields, l->r.pEnd, 0, 0, 0};
  for (;;) {
    uint64_t k = rd_uv(&r);
    if (k == 0) break;
    uint64_t off = rd_uv(&r);
    if (k != 1) off += h->nPtrSize;
    if (off > nContent || nContent - off < h->nPtrSize) {
      l->nBadFrameField++;
      continue;
    }
    uint64_t v = rd_word(pContent + off, h->nPtrSize, h->bBigEndian);
    if (!in_heap(l, v)) continue;
    char zDesc[300];
    if (kind == HS_ROOT_FRAME)
      snprintf(zDesc, sizeof zDesc, zDescFmt, (unsigned long long)iGoid, zName);
    else
      snprintf(zDesc, sizeof zDesc, zDescFmt, zName, (unsigned long long)off);
    int rc = add_root(l, kind, v, iBase + off, zDesc, iGoid, iDepth, off);
    if (rc) return rc;
  }
  return HS_OK;
}

/* Close the current page group: if it is a pointerful span, pop its
** trailing phantom slots (PHANTOM SLOTS in the essay).  In Go 1.22+ a small
** pointerful span (elemsize <= ptrsize*64: one 8 KiB page) keeps its heap
** bitmap in its last 8192/ptrsize/8 bytes, so mspan.init gives it nelems =
** (8192 - 128) / elemsize objects; dumpobjs still walks 8192 / elemsize
** slots and marks as free only those below nelems, so the 0..16 slots past
** nelems -- over the bitmap -- are dumped as objects, with heap bits for
** contents and no pointer fields.  The runtime's counters leave them out:
** without them, objects and bytes equal MemStats.HeapObjects and HeapAlloc
** of the same dump exactly (tests/unit/test_heapdump.c checks it).  A span
** is pointerful if any of its objects has a pointer field; one whose only
** objects are phantoms cannot be told from a pointer-free span, and its
** tail slots are kept.  A span's objects are dumped together, ascending,
** so phantoms are the last objects pushed: O(1) each, done in dump order
** so that no page of the dump is read twice. */
static void close_group(loader *l) {
  if (!l->bGroupScan) l->nGroupCand = 0;
  for (; l->nGroupCand > 0 && l->nObj > 0 && l->nRun > 0; l->nGroupCand--) {
    run *pr = &l->aRun[l->nRun - 1];
    l->nObj--;
    l->nPhantom++;
    if (--pr->nObj == 0) {
      l->nRun--;
    } else {
      pr->iEnd = l->aAddr[l->nObj - 1] + l->aSize[l->nObj - 1];
    }
  }
  l->nGroupCand = 0;
}

static int push_object(loader *l, uint64_t iAddr, uint64_t nSize, uint64_t iContentOff,
                       uint64_t nField) {
  hs_heap *h = l->h;
  if (h->bTypeHeader) {
    uint64_t iPage = iAddr >> 13, nMax = (uint64_t)h->nPtrSize * h->nPtrSize * 8;
    if (nSize != l->nGroupSize || iPage != l->iGroupPage) {
      close_group(l);
      l->nGroupSize = nSize <= nMax ? nSize : 0;
      l->iGroupPage = iPage;
      l->bGroupScan = 0;
    }
    if (l->nGroupSize) {
      uint64_t nLive = (8192 - 8192 / h->nPtrSize / 8) / nSize;
      if (nField) {
        l->bGroupScan = 1;
        l->nGroupCand = 0;
      } else if ((iAddr & 8191) / nSize >= nLive) {
        l->nGroupCand++;
      } else {
        l->nGroupCand = 0;
      }
    }
  }
  if (l->nObj == l->nObjCap) {
    /* First guess from the dump size (Go dumps run 60+ bytes an object), so
    ** big dumps rarely regrow; glibc regrows large blocks with mremap. */
    uint64_t nCap = l->nObjCap ? l->nObjCap * 2 : 4096 + l->h->nBuf / 64;
    uint64_t *a1 = realloc(l->aAddr, nCap * 8);
    if (a1) l->aAddr = a1;
    uint64_t *a2 = realloc(l->aSize, nCap * 8);
    if (a2) l->aSize = a2;
    uint64_t *a3 = realloc(l->aContentOff, nCap * 8);
    if (a3) l->aContentOff = a3;
    if (!a1 || !a2 || !a3) {
      if (l->nObjCap || nCap == 4096) return HS_ENOMEM;
      /* The guess was refused (strict overcommit?): start small instead;
      ** the arrays hold no objects yet, so nothing is lost. */
      l->h->nBuf = 0;
      int rc = push_object(l, iAddr, nSize, iContentOff, nField);
      l->h->nBuf = l->r.pEnd - l->r.pBase;
      return rc;
    }
    l->nObjCap = nCap;
  }
  uint64_t i = l->nObj++;
  l->aAddr[i] = iAddr;
  l->aSize[i] = nSize;
  l->aContentOff[i] = iContentOff;
  /* Runs: objects that follow the previous one either directly or across a
  ** gap inside the same 8 KiB page.  Go spans are whole 8 KiB pages and a
  ** span's objects are dumped together in ascending order, so such a gap
  ** holds only free slots of that span: no other object can fall inside a
  ** run's range, and the runs sort as blocks (sort_objects).  Splitting
  ** more often than necessary only makes more, shorter runs. */
  run *pr = l->nRun ? &l->aRun[l->nRun - 1] : NULL;
  if (pr && iAddr + nSize >= iAddr &&
      (iAddr == pr->iEnd || (iAddr > pr->iEnd && (iAddr >> 13) == ((pr->iEnd - 1) >> 13)))) {
    pr->nObj++;
    pr->iEnd = iAddr + nSize;
    return HS_OK;
  }
  if (l->nRun == l->nRunCap && HS_GROW(l->aRun, l->nRunCap, 1024)) return HS_ENOMEM;
  run *p = &l->aRun[l->nRun++];
  p->iStart = i;
  p->nObj = 1;
  p->iFirst = iAddr;
  p->iEnd = iAddr + nSize < iAddr ? UINT64_MAX : iAddr + nSize;
  p->iDest = 0;
  return HS_OK;
}

static int push_typed(loader *l, uint64_t iObj, uint64_t iType) {
  if (l->nTyped == l->nTypedCap && HS_GROW(l->aTyped, l->nTypedCap, 1024)) return HS_ENOMEM;
  l->aTyped[l->nTyped].iObj = iObj;
  l->aTyped[l->nTyped].iType = iType;
  l->nTyped++;
  return HS_OK;
}

static int note_fn(loader *l, uint64_t iEntry, uint64_t iPc, uint32_t idName) {
  if (iEntry == 0 || iPc < iEntry) return HS_OK;
  if (l->nFn == l->nFnCap && HS_GROW(l->aFn, l->nFnCap, 256)) return HS_ENOMEM;
  l->aFn[l->nFn].iEntry = iEntry;
  l->aFn[l->nFn].iMaxPc = iPc;
  l->aFn[l->nFn].idName = idName;
  l->nFn++;
  return HS_OK;
}

/* Go minor version from "go1.23.5", "go1.22rc1", "devel go1.24-abcdef ...";
** 0 if there is none. */
static int go_minor(const char *z) {
  const char *p = strstr(z, "go1.");
  if (!p) return 0;
  p += 4;
  int v = 0;
  while (*p >= '0' && *p <= '9' && v < 10000) v = v * 10 + (*p++ - '0');
  return v;
}

static uint32_t intern(loader *l, const uint8_t *p, uint64_t n) {
  uint32_t id = hs_str_intern(l->c->pStr, (const char *)p, (size_t)n);
  return id == UINT32_MAX ? 0 : id;
}

static const char *g_state(uint64_t status) {
  switch (status & ~(uint64_t)0x1000) { /* _Gscan bit */
    case 0: return "idle";
    case 1: return "runnable";
    case 2: return "running";
    case 3: return "syscall";
    case 4: return "waiting";
    case 6: return "dead";
    case 8: return "copystack";
    case 9: return "preempted";
    default: return "unknown";
  }
}

/* ------------------------------------------------------------------ */
/* Record parsers.  Each reads its whole record, returns early if r->err is
** set (the caller reports it), and only then adds rows, so tables hold
** complete records only.  iRec is the record's offset (for messages). */

/* What parsing an object record needs of the params (fixed once read). */
static void set_fmt(loader *l) {
  const hs_heap *h = l->h;
  l->fmt = (hs_dumpfmt){h->nPtrSize, h->bBigEndian, h->bTypeHeader, h->iHeapStart,
                        h->iHeapEnd};
}

static int rec_params(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  hs_heap *h = l->h;
  uint64_t bBig = rd_uv(r), nPtr = rd_uv(r), iStart = rd_uv(r), iEnd = rd_uv(r);
  uint64_t nArch, nVer;
  const uint8_t *pArch = rd_bytes(r, &nArch);
  const uint8_t *pVer = rd_bytes(r, &nVer);
  uint64_t nCpu = rd_uv(r);
  if (r->err) return HS_OK;
  if (l->bParams) {
    skipped(l, iRec, TAG_PARAMS, "repeats the params record");
    return HS_OK;
  }
  if (nPtr != 4 && nPtr != 8) {
    hs_case_diag(l->c, HS_ERROR, l->zFile, iRec, 0,
                 "params record at offset %llu gives a pointer size of %llu; expected 4 or "
                 "8. This is not a heap dump heapscope can read (or it is corrupt)",
                 (unsigned long long)iRec, (unsigned long long)nPtr);
    return HS_EFORMAT;
  }
  l->bParams = 1;
  h->bBigEndian = bBig != 0;
  h->nPtrSize = (uint32_t)nPtr;
  h->iHeapStart = iStart;
  h->iHeapEnd = iEnd;
  free(h->zArch);
  free(h->zGoVersion);
  h->zArch = hs_strndup((const char *)pArch, (size_t)nArch);
  h->zGoVersion = hs_strndup((const char *)pVer, (size_t)nVer);
  if (!h->zArch || !h->zGoVersion) return HS_ENOMEM;
  h->nCpu = nCpu > UINT32_MAX ? UINT32_MAX : (uint32_t)nCpu;
  h->iGoMinor = go_minor(h->zGoVersion);
  h->bTypeHeader = h->iGoMinor >= 22;
  set_fmt(l);
  return HS_OK;
}

/* An object record, parsed (by rec_object, or ahead by dumpahead.c), into
** the columns. */
static int take_object(void *pArg, const hs_objrec *o) {
  loader *l = pArg;
  hs_heap *h = l->h;
  if (l->nObj >= UINT32_MAX - 1) {
    skipped(l, o->iRec, TAG_OBJECT, "is past the 4 G objects heapscope can index");
    return HS_OK;
  }
  h->nField += o->nField;
  if (o->nField > h->nFieldMax) h->nFieldMax = o->nField;
  /* Pushing may first drop the previous span's phantom slots, so the
  ** object's index is only known after it. */
  int rc = push_object(l, o->iAddr, o->nSize, o->iContent, o->nField);
  if (rc) return rc;
  if (o->iHeader != 0 && !(o->iHeader >= h->iHeapStart && o->iHeader < h->iHeapEnd))
    return push_typed(l, l->nObj - 1, o->iHeader);
  return HS_OK;
}

/* Ctrl-C while reading: the records before iAt are kept. */
static int interrupted(loader *l, uint64_t iAt) {
  hs_case_diag(l->c, HS_WARNING, l->zFile, iAt, 0,
               "interrupted at offset %llu; the records before it are loaded",
               (unsigned long long)iAt);
  return HS_ETRUNC;
}

/* take_object for the read-ahead's records, drawing progress and asking
** for Ctrl-C every 64 K records as the reading loop does. */
typedef struct taking {
  loader *l;
  uint64_t n;
} taking;

static int take_ahead(void *pArg, const hs_objrec *o) {
  taking *t = pArg;
  if ((++t->n & 0xffff) == 0) {
    hs_progress("reading heap dump", "B", o->iRec, t->l->in->n);
    if (hs_checkpoint()) return HS_ETRUNC;
  }
  return take_object(t->l, o);
}

/* The loader at record *piRec, at or past iAheadAt: takes the read-ahead's
** records if they begin exactly here (dumpahead.c; *pbTaken set, r moved
** past them, or on an error to the record that failed, in *piRec too), or
** keeps reading to where they begin, or drops them when it has passed
** that place. */
static int meet_ahead(loader *l, uint64_t *piRec, uint64_t *pnRec, int *pbTaken) {
  uint64_t iAt = hs_ahead_at(l->pAhead);
  *pbTaken = 0;
  if (iAt == 0) return HS_OK;                 /* still looking: ask at the next record */
  if (iAt != UINT64_MAX && iAt > *piRec) {
    l->iAheadAt = iAt;
    return HS_OK;
  }
  int rc = HS_OK;
  if (iAt == *piRec) {
    uint64_t iStop, nTaken;
    taking t = {l, 0};
    hs_ahead_cols cols = {{l->aAddr, l->aSize, l->aContentOff}, l->nObjCap, l->nObj};
    rc = hs_ahead_take(l->pAhead, take_ahead, &t, &cols, &iStop, &nTaken);
    l->r.p = l->r.pBase + iStop;
    *pnRec += nTaken;
    *pbTaken = 1;
    if (nTaken && l->bAfterObj) l->h->bObjContig = 0;
    if (nTaken) l->h->iObjRecEnd = iStop;
    l->h->nObjAhead = nTaken;
    if (rc != HS_OK) *piRec = iStop;
    if (rc == HS_ETRUNC) rc = interrupted(l, iStop);
  }
  hs_ahead_free(l->pAhead);
  l->pAhead = NULL;
  l->iAheadAt = UINT64_MAX;
  return rc;
}

static int rec_object(loader *l, uint64_t iRec) {
  hs_objrec o;
  int st = hs_objrec_read(&l->r, &l->fmt, iRec, &o);
  if (l->r.err) return HS_OK;
  if (st == OBJREC_BADFIELD) {
    skipped(l, iRec, TAG_OBJECT, "has a pointer field outside the object or of unknown kind");
    return HS_OK;
  }
  if (st == OBJREC_WRAPS) {
    skipped(l, iRec, TAG_OBJECT, "extends past the end of the address space");
    return HS_OK;
  }
  return take_object(l, &o);
}

static int rec_otherroot(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t n;
  const uint8_t *p = rd_bytes(r, &n);
  uint64_t iTo = rd_uv(r);
  if (r->err) return HS_OK;
  char z[200];
  snprintf(z, sizeof z, "%.*s", (int)(n > 190 ? 190 : n), (const char *)p);
  return add_root(l, HS_ROOT_OTHER, iTo, 0, z, 0, 0, 0);
}

static int rec_type(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t iAddr = rd_uv(r), nSize = rd_uv(r), n;
  const uint8_t *p = rd_bytes(r, &n);
  uint64_t bIndirect = rd_uv(r);
  if (r->err) return HS_OK;
  if (hs_u64map_get(&l->mTypes, iAddr, NULL)) return HS_OK; /* written twice: the runtime's
                                                             ** type cache overflowed, as it may */
  uint32_t id = intern(l, p, n);
  int rc = iAddr ? hs_u64map_put(&l->mTypes, iAddr, id) : HS_OK; /* 0 is no address */
  if (rc) return rc;
  hs_table *t = l->pTypes;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, T_ADDR, i, iAddr);
  hs_table_set_u64(t, T_SIZE, i, nSize);
  ((uint32_t *)t->aCol[T_NAME].aData)[i] = id;
  hs_table_set_u32(t, T_INDIRECT, i, bIndirect != 0);
  return HS_OK;
}

static uint32_t type_name(loader *l, uint64_t iType) {
  uint64_t v = 0;
  return hs_u64map_get(&l->mTypes, iType, &v) ? (uint32_t)v : 0;
}

static int rec_goroutine(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t gp = rd_uv(r), sp = rd_uv(r), goid = rd_uv(r), gopc = rd_uv(r),
           status = rd_uv(r), bSystem = rd_uv(r);
  (void)rd_uv(r); /* isbackground: always false */
  uint64_t waitsince = rd_uv(r), nWait;
  const uint8_t *pWait = rd_bytes(r, &nWait);
  uint64_t ctxt = rd_uv(r), m = rd_uv(r), pDefer = rd_uv(r), pPanic = rd_uv(r);
  if (r->err) return HS_OK;
  hs_table *t = l->pG;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, G_ID, i, goid);
  hs_table_set_u64(t, G_GP, i, gp);
  hs_table_set_strz(t, G_STATE, i, g_state(status));
  hs_table_set_u32(t, G_STATUS, i, (uint32_t)status);
  hs_table_set_str(t, G_WAIT_REASON, i, (const char *)pWait, (size_t)nWait);
  hs_table_set_i64(t, G_WAITSINCE, i, (int64_t)waitsince);
  hs_table_set_u32(t, G_SYSTEM, i, bSystem != 0);
  hs_table_set_u64(t, G_SP, i, sp);
  hs_table_set_u64(t, G_GOPC, i, gopc);
  hs_table_set_u64(t, G_CTXT, i, ctxt);
  hs_table_set_u64(t, G_M, i, m);
  hs_table_set_u64(t, G_DEFER, i, pDefer);
  hs_table_set_u64(t, G_PANIC, i, pPanic);
  l->iGoid = goid;
  l->iGoRow = i;
  int rc = gp ? hs_u64map_put(&l->mGoid, gp, goid) : HS_OK;
  if (rc) return rc;
  snprintf(l->zBuf, sizeof l->zBuf, "goroutine %llu context", (unsigned long long)goid);
  return add_root(l, HS_ROOT_GOROUTINE, ctxt, 0, l->zBuf, goid, 0, 0);
}

/* Is function name z (n bytes) in the standard library?  Go's own rule:
** a standard package's import path has no dot in its first element, and
** "main" is not standard.  ("github.com/a/b.F" and "main.F" are not;
** "sync.(*Mutex).Lock" and "net/http.(*conn).serve" are.  A module path
** without any dot, which Go allows, is taken for standard.) */
static int is_std_func(const uint8_t *z, uint64_t n) {
  if (n >= 5 && memcmp(z, "main.", 5) == 0) return 0;
  uint64_t i = 0;
  while (i < n && z[i] != '/' && z[i] != '.') i++;
  if (i < n && z[i] == '.') {
    /* no slash before the first dot: "pkg.Func", or a dotted host
    ** ("gopkg.in/x.F") when a slash follows later */
    for (uint64_t j = i; j < n && z[j] != '(' && z[j] != '['; j++)
      if (z[j] == '/') return 0;
    return 1;
  }
  return 1; /* "net/http.F": the first element has no dot */
}

static int rec_frame(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  hs_heap *h = l->h;
  uint64_t sp = rd_uv(r), depth = rd_uv(r), childsp = rd_uv(r), n, nName, iMin;
  const uint8_t *p = rd_bytes(r, &n);
  uint64_t entry = rd_uv(r), pc = rd_uv(r), continpc = rd_uv(r);
  const uint8_t *pName = rd_bytes(r, &nName);
  const uint8_t *pFields = r->p;
  int bBad = 0;
  uint64_t nField = rd_fields(r, n, h->nPtrSize, &iMin, &bBad);
  if (r->err) return HS_OK;
  hs_table *t = l->pFrames;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  uint32_t idName = intern(l, pName, nName);
  hs_table_set_u64(t, F_GOROUTINE, i, l->iGoid);
  hs_table_set_u32(t, F_DEPTH, i, (uint32_t)depth);
  ((uint32_t *)t->aCol[F_FUNC].aData)[i] = idName;
  hs_table_set_u64(t, F_ENTRY, i, entry);
  hs_table_set_u64(t, F_PC, i, pc);
  hs_table_set_u64(t, F_CONTINPC, i, continpc);
  hs_table_set_u64(t, F_SP, i, sp);
  hs_table_set_u64(t, F_CHILDSP, i, childsp);
  hs_table_set_u64(t, F_SIZE, i, n);
  hs_table_set_u32(t, F_NPTR, i, (uint32_t)nField);
  if (l->pG->nRow > 0) {
    hs_table *g = l->pG;
    hs_table_set_u32(g, G_NFRAMES, l->iGoRow, (uint32_t)hs_table_u64(g, G_NFRAMES, l->iGoRow) + 1);
    if (depth == 0) ((uint32_t *)g->aCol[G_TOP].aData)[l->iGoRow] = idName;
    /* func: where a person would say the goroutine is (top is nearly
    ** always runtime.gopark): its innermost frame outside the standard
    ** library. */
    uint32_t *aFunc = g->aCol[G_FUNC].aData;
    if (aFunc[l->iGoRow] == 0 && !is_std_func(pName, nName)) aFunc[l->iGoRow] = idName;
  }
  int rc = note_fn(l, entry, pc, idName);
  if (rc) return rc;
  char zName[200];
  snprintf(zName, sizeof zName, "%.*s", (int)(nName > 190 ? 190 : nName), (const char *)pName);
  return field_roots(l, HS_ROOT_FRAME, p, n, pFields, sp, "goroutine %llu frame %s", zName,
                     l->iGoid, (uint32_t)depth);
}

/* Append a row to t whose first n columns (u64, in the table's order) are
** a[0..n).  Returns the row, or UINT64_MAX when memory ran out. */
static uint64_t add_u64_row(hs_table *t, const uint64_t *a, int n) {
  uint64_t i = hs_table_add_row(t);
  for (int k = 0; k < n && i != UINT64_MAX; k++) hs_table_set_u64(t, k, i, a[k]);
  return i;
}

static int rec_finalizer(loader *l, uint64_t iRec, int tag) {
  rd *r = &l->r;
  uint64_t obj = rd_uv(r), fn = rd_uv(r), fnpc = rd_uv(r), fint = rd_uv(r), ot = rd_uv(r);
  if (r->err) return HS_OK;
  hs_table *t = l->pFin;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  int bQueued = tag == TAG_QFINALIZER;
  hs_table_set_u64(t, FI_OBJECT, i, obj);
  hs_table_set_strz(t, FI_KIND, i, bQueued ? "queued" : "finalizer");
  hs_table_set_u64(t, FI_FN, i, fn);
  hs_table_set_u64(t, FI_FN_PC, i, fnpc);
  hs_table_set_u64(t, FI_FINT, i, fint);
  hs_table_set_u64(t, FI_OT, i, ot);
  ((uint32_t *)t->aCol[FI_OT_NAME].aData)[i] = type_name(l, ot);
  int kind = bQueued ? HS_ROOT_QUEUED : HS_ROOT_FINALIZER;
  snprintf(l->zBuf, sizeof l->zBuf, "%s for 0x%llx", bQueued ? "queued finalizer" : "finalizer",
           (unsigned long long)obj);
  int rc = add_root(l, kind, obj, 0, l->zBuf, 0, 0, 0);
  if (rc) return rc;
  snprintf(l->zBuf, sizeof l->zBuf, "%s function for 0x%llx",
           bQueued ? "queued finalizer" : "finalizer", (unsigned long long)obj);
  return add_root(l, kind, fn, 0, l->zBuf, 0, 0, 0);
}

static int rec_itab(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t iAddr = rd_uv(r), iType = rd_uv(r);
  if (r->err) return HS_OK;
  hs_table *t = l->pItabs;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, I_ADDR, i, iAddr);
  hs_table_set_u64(t, I_TYPE, i, iType);
  ((uint32_t *)t->aCol[I_TYPE_NAME].aData)[i] = type_name(l, iType);
  return HS_OK;
}

static int rec_thread(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t m = rd_uv(r), id = rd_uv(r), procid = rd_uv(r);
  if (r->err) return HS_OK;
  uint64_t a[] = {m, id, procid};   /* TH_M, TH_ID, TH_PROCID */
  return add_u64_row(l->pThreads, a, HS_NCOL(a)) == UINT64_MAX ? HS_ENOMEM : HS_OK;
}

static int rec_memstats(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t a[N_MEMSTAT], aPause[256];
  for (int k = 0; k < N_MEMSTAT; k++) a[k] = rd_uv(r);
  for (int k = 0; k < 256; k++) aPause[k] = rd_uv(r);
  uint64_t nGC = rd_uv(r);
  if (r->err) return HS_OK;
  hs_table *t = l->pMemstats;
  uint64_t i = add_u64_row(t, a, N_MEMSTAT);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, HS_MS_NumGC, i, nGC);
  for (int k = 0; k < 256; k++) {
    uint64_t j = hs_table_add_row(l->pPauses);
    if (j == UINT64_MAX) return HS_ENOMEM;
    hs_table_set_u32(l->pPauses, GP_INDEX, j, (uint32_t)k);
    hs_table_set_u64(l->pPauses, GP_PAUSE_NS, j, aPause[k]);
  }
  return HS_OK;
}

static int rec_segment(loader *l, uint64_t iRec, int tag) {
  rd *r = &l->r;
  hs_heap *h = l->h;
  uint64_t iAddr = rd_uv(r), n, iMin;
  const uint8_t *p = rd_bytes(r, &n);
  const uint8_t *pFields = r->p;
  int bBad = 0;
  rd_fields(r, n, h->nPtrSize, &iMin, &bBad);
  if (r->err) return HS_OK;
  if (bBad) {
    skipped(l, iRec, tag, "has a pointer field outside the segment or of unknown kind");
    return HS_OK;
  }
  int bData = tag == TAG_DATA;
  return field_roots(l, bData ? HS_ROOT_DATA : HS_ROOT_BSS, p, n, pFields, iAddr, "%s+0x%llx",
                     bData ? "data" : "bss", 0, 0);
}

static int rec_defer(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t d = rd_uv(r), gp = rd_uv(r), sp = rd_uv(r), pc = rd_uv(r), fn = rd_uv(r),
           fnpc = rd_uv(r), link = rd_uv(r);
  if (r->err) return HS_OK;
  uint64_t goid = 0;
  hs_u64map_get(&l->mGoid, gp, &goid);
  uint64_t a[] = {d, goid, gp, sp, pc, fn, fnpc, link};   /* D_ADDR .. D_LINK */
  if (add_u64_row(l->pDefers, a, HS_NCOL(a)) == UINT64_MAX) return HS_ENOMEM;
  snprintf(l->zBuf, sizeof l->zBuf, "goroutine %llu defer", (unsigned long long)goid);
  return add_root(l, HS_ROOT_DEFER, fn, 0, l->zBuf, goid, 0, 0);
}

static int rec_panic(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t pp = rd_uv(r), gp = rd_uv(r), typ = rd_uv(r), data = rd_uv(r);
  (void)rd_uv(r); /* was p->defer */
  uint64_t link = rd_uv(r);
  if (r->err) return HS_OK;
  uint64_t goid = 0;
  hs_u64map_get(&l->mGoid, gp, &goid);
  uint64_t a[] = {pp, goid, gp, typ, data, link};   /* P_ADDR .. P_LINK */
  if (add_u64_row(l->pPanics, a, HS_NCOL(a)) == UINT64_MAX) return HS_ENOMEM;
  snprintf(l->zBuf, sizeof l->zBuf, "goroutine %llu panic argument", (unsigned long long)goid);
  return add_root(l, HS_ROOT_PANIC, data, 0, l->zBuf, goid, 0, 0);
}

/* A memprof record: its frames are read twice, once to frame the record
** (so a truncated one adds nothing) and once to add the rows. */
static int rec_memprof(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t b = rd_uv(r), size = rd_uv(r), nstk = rd_uv(r), n;
  const uint8_t *pStk = r->p;
  for (uint64_t k = 0; k < nstk && !r->err; k++) {
    rd_bytes(r, &n);
    rd_bytes(r, &n);
    rd_uv(r);
  }
  uint64_t allocs = rd_uv(r), frees = rd_uv(r);
  if (r->err) return HS_OK;
  hs_table *t = l->pMemprof;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  int rc = b ? hs_u64map_put(&l->mBuckets, b, i + 1) : HS_OK;
  if (rc) return rc;
  hs_table_set_u64(t, M_BUCKET, i, b);
  hs_table_set_u64(t, M_SIZE, i, size);
  hs_table_set_u64(t, M_ALLOCS, i, allocs);
  hs_table_set_u64(t, M_FREES, i, frees);
  uint64_t nInuse = allocs > frees ? allocs - frees : 0;
  hs_table_set_u64(t, M_INUSE_OBJECTS, i, nInuse);
  hs_table_set_u64(t, M_INUSE_BYTES, i, nInuse * size);
  hs_table_set_u32(t, M_NSTK, i, nstk > UINT32_MAX ? UINT32_MAX : (uint32_t)nstk);
  rd s = {r->pBase, pStk, r->pEnd, 0, 0, 0};
  for (uint64_t k = 0; k < nstk; k++) {
    uint64_t nFunc, nFile;
    const uint8_t *pFunc = rd_bytes(&s, &nFunc);
    const uint8_t *pFile = rd_bytes(&s, &nFile);
    uint64_t line = rd_uv(&s);
    uint64_t j = hs_table_add_row(l->pMemprofFrames);
    if (j == UINT64_MAX) return HS_ENOMEM;
    hs_table *f = l->pMemprofFrames;
    uint32_t idFunc = intern(l, pFunc, nFunc);
    hs_table_set_u64(f, MF_BUCKET, j, b);
    hs_table_set_u32(f, MF_ROW, j, (uint32_t)(i + 1));
    hs_table_set_u32(f, MF_DEPTH, j, (uint32_t)k);
    ((uint32_t *)f->aCol[MF_FUNC].aData)[j] = idFunc;
    hs_table_set_str(f, MF_FILE, j, (const char *)pFile, (size_t)nFile);
    hs_table_set_u64(f, MF_LINE, j, line);
    if (k == 0) ((uint32_t *)t->aCol[M_FUNC].aData)[i] = idFunc;
  }
  return HS_OK;
}

static int rec_allocsample(loader *l, uint64_t iRec) {
  rd *r = &l->r;
  uint64_t a = rd_uv(r), b = rd_uv(r);
  if (r->err) return HS_OK;
  uint64_t row = 0;
  hs_u64map_get(&l->mBuckets, b, &row);
  hs_table *t = l->pSamples;
  uint64_t i = hs_table_add_row(t);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_u64(t, A_ADDR, i, a);
  hs_table_set_u64(t, A_BUCKET, i, b);
  hs_table_set_u32(t, A_MEMPROF, i, (uint32_t)row);
  return HS_OK;
}

/* ------------------------------------------------------------------ */
/* Finishing: sort the objects by address and build the columns. */

static int cmp_run(const void *a, const void *b) {
  const run *x = a, *y = b;
  return x->iFirst < y->iFirst ? -1 : x->iFirst > y->iFirst;
}

static int cmp_perm(const void *a, const void *b, void *pKey) {
  const uint64_t *aKey = pKey;
  uint64_t x = aKey[*(const uint32_t *)a], y = aKey[*(const uint32_t *)b];
  return x < y ? -1 : x > y;
}

/* Copies runs [k0, k1) of aOld to their places in aNew. */
typedef struct moves {
  uint64_t *aNew;
  const uint64_t *aOld;
  const run *aRun;
  uint64_t k0, k1;
} moves;

static void *move_runs(void *pArg) {
  const moves *m = pArg;
  for (uint64_t k = m->k0; k < m->k1; k++)
    memcpy(m->aNew + m->aRun[k].iDest, m->aOld + m->aRun[k].iStart, m->aRun[k].nObj * 8);
  return NULL;
}

/* Reorder *pa (n elements, dump order) into *pTmp by runs (each run a block
** that moves whole to iDest; two threads take half the runs each when
** bTwo) or by aPerm, then swap the two: the old array becomes the scratch
** for the next column, so sorting three columns costs one extra array of
** fresh pages, not three.  O(n). */
static void reorder(uint64_t **pa, uint64_t **pTmp, uint64_t n, const run *aRun, uint64_t nRun,
                    const uint32_t *aPerm, int bTwo) {
  uint64_t *aOld = *pa, *aNew = *pTmp;
  if (aPerm) {
    for (uint64_t i = 0; i < n; i++) aNew[i] = aOld[aPerm[i]];
  } else {
    moves a = {aNew, aOld, aRun, 0, nRun / 2}, b = {aNew, aOld, aRun, nRun / 2, nRun};
    hs_run_two(move_runs, &a, &b, bTwo);
  }
  *pa = aNew;
  *pTmp = aOld;
}

/* Sort the objects by address.  Normally the runs (spans) are disjoint and
** each moves as a block: O(n) copying plus O(runs log runs); the sparse
** typed list is remapped through a copy of the runs in dump order. */
static int sort_objects(loader *l) {
  uint64_t n = l->nObj;
  if (l->nRun <= 1) return HS_OK;
  /* aRun is in dump order (iStart ascending); keep a copy for mapping. */
  run *aByStart = malloc(l->nRun * sizeof *aByStart);
  if (!aByStart) return HS_ENOMEM;
  memcpy(aByStart, l->aRun, l->nRun * sizeof *aByStart);
  qsort(l->aRun, l->nRun, sizeof *l->aRun, cmp_run);
  int bDisjoint = 1;
  uint64_t iDest = 0;
  for (uint64_t k = 0; k < l->nRun; k++) {
    if (k > 0 && l->aRun[k].iFirst < l->aRun[k - 1].iEnd) bDisjoint = 0;
    l->aRun[k].iDest = iDest;
    iDest += l->aRun[k].nObj;
  }
  int rc = HS_OK;
  uint32_t *aPerm = NULL;
  uint64_t *aTmp = malloc(n * 8);
  if (!aTmp) {
    rc = HS_ENOMEM;
    goto done;
  }
  if (bDisjoint) {
    int bTwo = hs_two_threads(n);
    reorder(&l->aAddr, &aTmp, n, l->aRun, l->nRun, NULL, bTwo);
    reorder(&l->aSize, &aTmp, n, l->aRun, l->nRun, NULL, bTwo);
    reorder(&l->aContentOff, &aTmp, n, l->aRun, l->nRun, NULL, bTwo);
    /* Destination of each run in dump order, for the sparse lists. */
    for (uint64_t k = 0; k < l->nRun; k++) {
      run *p = &l->aRun[k];
      uint64_t lo = 0, hi = l->nRun;
      while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (aByStart[mid].iStart <= p->iStart) lo = mid; else hi = mid;
      }
      aByStart[lo].iDest = p->iDest;
    }
    for (uint64_t t = 0; t < l->nTyped; t++) {
      uint64_t iObj = l->aTyped[t].iObj, lo = 0, hi = l->nRun;
      while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (aByStart[mid].iStart <= iObj) lo = mid; else hi = mid;
      }
      l->aTyped[t].iObj = aByStart[lo].iDest + (iObj - aByStart[lo].iStart);
    }
  } else {
    /* Overlapping runs: not something the Go runtime writes, so a general
    ** (slower) sort; overlapping objects are dropped afterwards. */
    aPerm = malloc(n * sizeof *aPerm);
    uint32_t *aInv = malloc(n * sizeof *aInv);
    if (!aPerm || !aInv) {
      free(aInv);
      rc = HS_ENOMEM;
      goto done;
    }
    for (uint64_t i = 0; i < n; i++) aPerm[i] = (uint32_t)i;
    qsort_r(aPerm, n, sizeof *aPerm, cmp_perm, l->aAddr);
    for (uint64_t i = 0; i < n; i++) aInv[aPerm[i]] = (uint32_t)i;
    reorder(&l->aAddr, &aTmp, n, NULL, 0, aPerm, 0);
    reorder(&l->aSize, &aTmp, n, NULL, 0, aPerm, 0);
    reorder(&l->aContentOff, &aTmp, n, NULL, 0, aPerm, 0);
    for (uint64_t t = 0; t < l->nTyped; t++) l->aTyped[t].iObj = aInv[l->aTyped[t].iObj];
    free(aInv);
    /* Drop objects overlapping their predecessor; remap typed entries. */
    uint64_t j = 0, nDrop = 0;
    uint32_t *aMap = aPerm; /* reuse: old sorted index -> new index or UINT32_MAX */
    for (uint64_t i = 0; i < n; i++) {
      if (j > 0 && l->aAddr[i] < l->aAddr[j - 1] + l->aSize[j - 1]) {
        aMap[i] = UINT32_MAX;
        nDrop++;
        continue;
      }
      l->aAddr[j] = l->aAddr[i];
      l->aSize[j] = l->aSize[i];
      l->aContentOff[j] = l->aContentOff[i];
      aMap[i] = (uint32_t)j++;
    }
    uint64_t u = 0;
    for (uint64_t t = 0; t < l->nTyped; t++) {
      uint32_t m = aMap[l->aTyped[t].iObj];
      if (m == UINT32_MAX) continue;
      l->aTyped[u].iObj = m;
      l->aTyped[u++].iType = l->aTyped[t].iType;
    }
    l->nTyped = u;
    if (nDrop)
      hs_case_diag(l->c, HS_WARNING, l->zFile, UINT64_MAX, 0,
                   "%llu object records overlap others (same or overlapping addresses); kept "
                   "the lowest-addressed of each overlapping group. A Go runtime never writes "
                   "this: the dump is corrupt or was not written by WriteHeapDump",
                   (unsigned long long)nDrop);
    l->nObj = j;
  }
done:
  free(aTmp);
  free(aPerm);
  free(aByStart);
  return rc;
}

/* Give a malloc'd array of n elements to a table column (the table frees
** it; an empty one is freed here, as a column with nCap 0 owns nothing). */
static void adopt(hs_table *t, int iCol, void *a, uint64_t n) {
  if (n == 0) {
    free(a);
    a = NULL;
  }
  free(t->aCol[iCol].aData);
  t->aCol[iCol].aData = a;
  t->aCol[iCol].nCap = n;
}

static int cmp_fn(const void *a, const void *b) {
  const fnrange *x = a, *y = b;
  return x->iEntry < y->iEntry ? -1 : x->iEntry > y->iEntry;
}

/* created_by: the function containing gopc, but only when that is certain:
** gopc lies between a known entry and the highest pc seen in that function
** (a function's code is contiguous).  A nearest-entry guess would name the
** wrong function whenever the creator is on no stack, which is common. */
static void resolve_created_by(loader *l) {
  if (!l->nFn) return;
  qsort(l->aFn, l->nFn, sizeof *l->aFn, cmp_fn);
  uint64_t j = 0;
  for (uint64_t i = 0; i < l->nFn; i++) {
    if (j > 0 && l->aFn[j - 1].iEntry == l->aFn[i].iEntry) {
      if (l->aFn[i].iMaxPc > l->aFn[j - 1].iMaxPc) l->aFn[j - 1].iMaxPc = l->aFn[i].iMaxPc;
      continue;
    }
    l->aFn[j++] = l->aFn[i];
  }
  l->nFn = j;
  hs_table *t = l->pG;
  for (uint64_t i = 0; i < t->nRow; i++) {
    uint64_t pc = hs_table_u64(t, G_GOPC, i);
    uint64_t lo = 0, hi = l->nFn;
    if (pc < l->aFn[0].iEntry) continue;
    while (hi - lo > 1) {
      uint64_t mid = (lo + hi) / 2;
      if (l->aFn[mid].iEntry <= pc) lo = mid; else hi = mid;
    }
    /* gopc is a return address: it may equal the last pc seen + call size,
    ** so accept it up to the highest pc seen (inclusive). */
    if (pc <= l->aFn[lo].iMaxPc) ((uint32_t *)t->aCol[G_CREATED_BY].aData)[i] = l->aFn[lo].idName;
  }
}

uint64_t hs_heap_find(const hs_heap *h, uint64_t a) {
  uint64_t lo = 0, hi = h->nObj;
  if (!hi || a < h->aAddr[0]) return UINT64_MAX;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (h->aAddr[mid] <= a) lo = mid; else hi = mid;
  }
  return a - h->aAddr[lo] < h->aSize[lo] ? lo : UINT64_MAX;
}

/* The object columns from an index file (l->pre): borrowed, not adopted;
** type names are the case's, so they are looked up again. */
hs_heap_reopen_fn hs_heap_reopen = NULL;

static int finish_prebuilt(loader *l) {
  hs_heap *h = l->h;
  const hs_heap_prebuilt *pre = &l->pre;
  uint64_t n = pre->nObj;
  uint32_t *aTypeName = calloc(n ? n : 1, 4);
  uint32_t *aBucket = calloc(n ? n : 1, 4);
  if (!aTypeName || !aBucket) {
    free(aTypeName);
    free(aBucket);
    return HS_ENOMEM;
  }
  for (uint64_t i = 0; i < n; i++)
    if (pre->aType[i]) aTypeName[i] = type_name(l, pre->aType[i]);
  hs_table *o = l->pObjects;
  void *aBorrow[] = {(void *)pre->aAddr, (void *)pre->aSize, (void *)pre->aType};
  int aiCol[] = {O_ADDR, O_SIZE, O_TYPE};
  for (int k = 0; k < 3; k++) {
    free(o->aCol[aiCol[k]].aData);
    o->aCol[aiCol[k]].aData = aBorrow[k];
    o->aCol[aiCol[k]].nCap = 0;               /* borrowed: the table does not free it */
  }
  adopt(o, O_TYPENAME, aTypeName, n);
  adopt(o, O_BUCKET, aBucket, n);
  o->nRow = n;
  h->nObj = n;
  h->aAddr = (uint64_t *)pre->aAddr;
  h->aSize = (uint64_t *)pre->aSize;
  h->aType = (uint64_t *)pre->aType;
  h->aTypeName = aTypeName;
  h->aBucket = aBucket;
  h->aContentOff = (uint64_t *)pre->aContentOff;
  h->nField = pre->nField;
  h->nFieldMax = pre->nFieldMax;
  h->nPhantom = pre->nPhantom;
  h->iObjRecFirst = pre->iObjRecFirst;
  h->iObjRecEnd = pre->iObjRecEnd;
  h->bObjContig = 1;
  h->bObjFromIndex = 1;
  h->pGraph = pre->pGraph;
  h->xGraphFree = pre->xGraphFree;
  l->bPre = 0;                                /* the heap owns them now */
  return HS_OK;
}

/* The object columns from the parsed records: sorted by address, phantom
** slots dropped, adopted by heap.objects. */
static int finish_parsed(loader *l) {
  hs_heap *h = l->h;
  close_group(l);
  int rc = sort_objects(l);
  if (rc) return rc;
  h->nPhantom = l->nPhantom;
  uint64_t n = l->nObj;
  /* Columns that are mostly zero are calloc'd, so untouched pages cost no
  ** memory on dumps without type headers or samples. */
  uint64_t *aType = calloc(n ? n : 1, 8);
  uint32_t *aTypeName = calloc(n ? n : 1, 4);
  uint32_t *aBucket = calloc(n ? n : 1, 4);
  if (!aType || !aTypeName || !aBucket) {
    free(aType);
    free(aTypeName);
    free(aBucket);
    return HS_ENOMEM;
  }
  for (uint64_t t = 0; t < l->nTyped; t++) {
    aType[l->aTyped[t].iObj] = l->aTyped[t].iType;
    aTypeName[l->aTyped[t].iObj] = type_name(l, l->aTyped[t].iType);
  }
  hs_table *o = l->pObjects;
  adopt(o, O_ADDR, l->aAddr, n);
  adopt(o, O_SIZE, l->aSize, n);
  adopt(o, O_TYPE, aType, n);
  adopt(o, O_TYPENAME, aTypeName, n);
  adopt(o, O_BUCKET, aBucket, n);
  o->nRow = n;
  h->nObj = n;
  h->aAddr = l->aAddr;
  h->aSize = l->aSize;
  h->aType = aType;
  h->aTypeName = aTypeName;
  h->aBucket = aBucket;
  h->aContentOff = l->aContentOff;
  l->aAddr = l->aSize = l->aContentOff = NULL;
  return HS_OK;
}

static int finish(loader *l) {
  hs_heap *h = l->h;
  int rc = l->bObjSkipped ? finish_prebuilt(l) : finish_parsed(l);
  if (rc) return rc;
  uint64_t n = h->nObj;
  if (h->nPhantom)
    hs_case_diag(l->c, HS_INFO, l->zFile, UINT64_MAX, 0,
                 "left out %llu phantom objects: %s writes the slots past the end of small "
                 "pointerful spans, which hold the span's heap bitmap, as if they were "
                 "allocated (a runtime bug since Go 1.22); without them the objects match "
                 "MemStats.HeapObjects",
                 (unsigned long long)h->nPhantom, h->zGoVersion);

  /* Alloc samples give objects their allocation site. */
  hs_table *s = l->pSamples;
  for (uint64_t i = 0; i < s->nRow; i++) {
    uint64_t iObj = hs_heap_find(h, hs_table_u64(s, A_ADDR, i));
    uint32_t row = (uint32_t)hs_table_u64(s, A_MEMPROF, i);
    if (iObj != UINT64_MAX && row) h->aBucket[iObj] = row;
  }
  resolve_created_by(l);

  h->nRoot = l->pRoots->nRow;
  h->aRootKind = l->aRootKind;
  l->aRootKind = NULL;
  h->aRootTarget = l->pRoots->aCol[R_TARGET].aData;
  h->aRootFrom = l->pRoots->aCol[R_FROM].aData;
  h->aRootDesc = l->pRoots->aCol[R_DESC].aData;
  h->aRootGoid = l->pRoots->aCol[R_GOROUTINE].aData;

  hs_table *p = l->pParams;
  uint64_t i = hs_table_add_row(p);
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(p, PA_GO_VERSION, i, h->zGoVersion);
  hs_table_set_strz(p, PA_ARCH, i, h->zArch);
  hs_table_set_u32(p, PA_PTR_SIZE, i, h->nPtrSize);
  hs_table_set_u32(p, PA_NCPU, i, h->nCpu);
  hs_table_set_u64(p, PA_HEAP_START, i, h->iHeapStart);
  hs_table_set_u64(p, PA_HEAP_END, i, h->iHeapEnd);
  hs_table_set_u32(p, PA_BIG_ENDIAN, i, (uint32_t)h->bBigEndian);
  hs_table_set_u32(p, PA_TYPE_HEADER, i, (uint32_t)h->bTypeHeader);
  hs_table_set_u64(p, PA_OBJECTS, i, n);
  hs_table_set_strz(p, PA_FILE, i, l->zFile);
  if (l->nBadFrameField)
    hs_case_diag(l->c, HS_INFO, l->zFile, UINT64_MAX, 0,
                 "%llu stack-frame pointer fields lie outside their frame's contents and were "
                 "not used as roots",
                 (unsigned long long)l->nBadFrameField);
  if (l->nSkipped > 5)
    hs_case_diag(l->c, HS_WARNING, l->zFile, UINT64_MAX, 0,
                 "%llu inconsistent records were skipped in all (the first 5 are listed)",
                 (unsigned long long)l->nSkipped);
  return HS_OK;
}

static void heap_free(hs_heap *h) {
  if (!h) return;
  if (!h->bObjFromIndex) free(h->aContentOff);  /* else it is in the graph's mapping */
  if (h->pGraph && h->xGraphFree) h->xGraphFree(h->pGraph);
  free(h->zArch);
  free(h->zGoVersion);
  free(h->aRootKind);
  free(h->aSeg);
  free(h);
}

/* ------------------------------------------------------------------ */

static int sniff(const uint8_t *p, size_t n) {
  /* "go1.N heap dump\n": only go1.7 is readable, but an older header is
  ** claimed too so that load() can say what it is. */
  if (n >= HEAPDUMP_MAGIC_LEN && memcmp(p, HEAPDUMP_MAGIC, HEAPDUMP_MAGIC_LEN) == 0) return 100;
  if (n >= 15 && memcmp(p, "go1.", 4) == 0) {
    size_t i = 4;
    while (i < n && i < 7 && p[i] >= '0' && p[i] <= '9') i++;
    if (i > 4 && n - i >= 11 && memcmp(p + i, " heap dump\n", 11) == 0) return 90;
  }
  return 0;
}

static const char *rd_why(const rd *r) {
  switch (r->err) {
    case RD_SHORT: return "the file ends inside it";
    case RD_VARINT: return "a varint there is longer than 10 bytes (corrupt)";
    default: return "a length there runs past the end of the file (cut short, or the length is corrupt)";
  }
}

/* heap.series: one row per dump of a series (hs_case_mark_series), in load
** order; Lua orders them by num_gc and file name and builds case.heaps. */
static const hs_colspec aSeriesCol[] = {
    {"input", HS_STR, 0}, {"num_gc", HS_U64, 0}, {"latest", HS_U32, 0}};
enum { SE_INPUT, SE_NUM_GC, SE_LATEST };

static int series_row(hs_case *c, const hs_input *in) {
  hs_table *t = hs_table_open(c, "heap.series", "the heap dumps of this case's series, one row "
                              "each: num_gc orders them (latest 1: the one case.heap holds; "
                              "the others load when case.heaps is used)",
                              aSeriesCol, HS_NCOL(aSeriesCol), NULL);
  uint64_t i = t ? hs_table_add_row(t) : UINT64_MAX;
  if (i == UINT64_MAX) return HS_ENOMEM;
  hs_table_set_strz(t, SE_INPUT, i, in->zName);
  hs_table_set_u64(t, SE_NUM_GC, i, in->iSeriesKey);
  hs_table_set_u32(t, SE_LATEST, i, in->iSeries == 1);
  return HS_OK;
}

/* An earlier dump of a series: listed, not loaded (unless it is a copy of
** one listed already). */
static int series_member(hs_case *c, hs_input *in) {
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *o = c->apInput[i];
    if (o != in && o->iSeries == 2 && o->n == in->n && memcmp(o->p, in->p, in->n) == 0) {
      hs_case_diag(c, HS_INFO, in->zName, UINT64_MAX, 0,
                   "the same heap dump as %s (e.g. a compressed copy beside it); listed once",
                   o->zName);
      in->iSeries = 0;
      return HS_OK;
    }
  }
  return series_row(c, in);
}

static int load(hs_case *c, hs_input *in) {
  const char *zFile = in->zName;
  loader L;
  memset(&L, 0, sizeof L);
  L.c = c;
  L.in = in;
  L.zFile = zFile;
  int rc = HS_OK;

  if (in->n < HEAPDUMP_MAGIC_LEN || memcmp(in->p, HEAPDUMP_MAGIC, HEAPDUMP_MAGIC_LEN) != 0) {
    hs_case_diag(c, HS_ERROR, zFile, 0, 0,
                 "this heap dump starts with \"%.*s\"; heapscope reads the \"go1.7 heap "
                 "dump\" format written by Go 1.7 and later. Write the dump again with a "
                 "newer Go (debug.WriteHeapDump)",
                 (int)(in->n < 15 ? in->n : 15), (const char *)in->p);
    return HS_EFORMAT;
  }
  if (c->pHeap && c->pHeap->nBuf == in->n && memcmp(c->pHeap->pBuf, in->p, in->n) == 0) {
    hs_case_diag(c, HS_INFO, zFile, UINT64_MAX, 0,
                 "the same heap dump as %s (e.g. a compressed copy beside it); loaded once",
                 c->pHeap->zFile ? c->pHeap->zFile : "?");
    return HS_OK;
  }
  if (in->iSeries == 2) return series_member(c, in);
  if (c->pHeap) {
    hs_case_diag(c, HS_ERROR, zFile, UINT64_MAX, 0,
                 "this case already has a heap dump (%s) and was loaded before this one "
                 "came; dumps loaded together (one directory or archive, or files named "
                 "together on the command line) are a series (case.heaps), or load this "
                 "one as a case of its own (hs.load)",
                 c->pHeap->zFile ? c->pHeap->zFile : "?");
    return HS_EFORMAT;
  }
  hs_heap *h = calloc(1, sizeof *h);
  if (!h) return HS_ENOMEM;
  L.h = h;
  h->pBuf = in->p;
  h->nBuf = in->n;
  h->zFile = in->zName;
  h->nPtrSize = 8; /* until the params record says otherwise */
  h->pStr = c->pStr;

  L.pObjects = mktable(c, "heap.objects", "one row per heap object, by address; size is the "
                       "size-class slot; type is the Go 1.22+ malloc header word; bucket is "
                       "the 1-based heap.memprof row of its allocation site (0: not sampled)",
                       aObjCol);
  L.pRoots = mktable(c, "heap.roots", "one row per GC root slot pointing into the heap",
                     aRootCol);
  L.pG = mktable(c, "heap.goroutines", "one row per goroutine in the heap dump", aGCol);
  L.pFrames = mktable(c, "heap.frames", "one row per stack frame, innermost first (depth 0)",
                      aFrameCol);
  L.pFin = mktable(c, "heap.finalizers", "one row per finalizer set (kind finalizer) or queued "
                   "to run (kind queued)", aFinCol);
  L.pTypes = mktable(c, "heap.types", "types the dump describes (only those used in itabs)",
                     aTypeCol);
  L.pItabs = mktable(c, "heap.itabs", "one row per itab", aItabCol);
  L.pThreads = mktable(c, "heap.threads", "one row per OS thread (M)", aThreadCol);
  L.pDefers = mktable(c, "heap.defers", "one row per pending defer", aDeferCol);
  L.pPanics = mktable(c, "heap.panics", "one row per active panic", aPanicCol);
  L.pMemprof = mktable(c, "heap.memprof", "one row per memory-profile bucket (allocation site)",
                       aMemprofCol);
  L.pMemprofFrames = mktable(c, "heap.memprof_frames", "stack frames of the memprof buckets, "
                             "leaf first (depth 0); memprof is the 1-based heap.memprof row",
                             aMemprofFrameCol);
  L.pSamples = mktable(c, "heap.alloc_samples", "one row per sampled live allocation; memprof "
                       "is the 1-based heap.memprof row (0: bucket not in the dump)",
                       aSampleCol);
  L.pPauses = mktable(c, "heap.gc_pauses", "MemStats.PauseNs as dumped (a circular buffer "
                      "indexed by GC number % 256)", aPauseCol);
  L.pParams = mktable(c, "heap.params", "the dump's params record", aParamCol);
  L.pMemstats = hs_table_open(c, "heap.memstats", "the MemStats the dump was written with, "
                              "Go's field names (PauseNs is in heap.gc_pauses)",
                              hs_memstats_cols, HS_MS_NumGC + 1, NULL);
  if (!L.pObjects || !L.pRoots || !L.pG || !L.pFrames || !L.pFin || !L.pTypes || !L.pItabs ||
      !L.pThreads || !L.pDefers || !L.pPanics || !L.pMemprof || !L.pMemprofFrames ||
      !L.pSamples || !L.pPauses || !L.pParams || !L.pMemstats) {
    hs_case_diag(c, HS_ERROR, zFile, UINT64_MAX, 0,
                 "could not create the heap.* tables (out of memory, or the case was already "
                 "sealed)");
    rc = HS_ENOMEM;
    goto done;
  }

  /* A current index file holds the object columns and the graph: then the
  ** object records (most of the dump) are skipped, not parsed. */
  if (hs_heap_reopen && !(c->flags & HS_CASE_NOCACHE) && !getenv("HEAPSCOPE_NO_INDEX") &&
      hs_heap_reopen(in, &L.pre) == HS_OK)
    L.bPre = 1;

  rd *r = &L.r;
  r->pBase = in->p;
  r->p = in->p + HEAPDUMP_MAGIC_LEN;
  r->pEnd = in->p + in->n;
  int bEof = 0, bStop = 0;
  uint64_t nRec = 0, iRec = HEAPDUMP_MAGIC_LEN;
  uint64_t iDropped = 0; /* file pages before this offset were handed back */
  L.iAheadAt = UINT64_MAX;
  while (!bStop) {
    if (r->p >= r->pEnd) break;
    if ((uint64_t)(r->p - r->pBase) >= L.iAheadAt) {
      int bTaken;
      iRec = (uint64_t)(r->p - r->pBase);
      if ((rc = meet_ahead(&L, &iRec, &nRec, &bTaken)) != HS_OK) break;
      if (bTaken) continue;
    }
    /* The records behind us are parsed and nothing re-reads them during
    ** the load (object contents are read later, from the page cache). */
    if ((++nRec & 0xffff) == 0 && in->bMapped)
      hs_drop_behind(r->pBase, &iDropped, (uint64_t)(r->p - r->pBase));
    if ((nRec & 0xffff) == 1)
      hs_progress("reading heap dump", "B", (uint64_t)(r->p - r->pBase), in->n);
    if ((nRec & 0xffff) == 0 && hs_checkpoint()) {
      rc = interrupted(&L, (uint64_t)(r->p - r->pBase));
      break;
    }
    iRec = (uint64_t)(r->p - r->pBase);
    uint64_t tag = rd_uv(r);
    if (r->err) break;
    if (tag != TAG_PARAMS && tag != TAG_EOF && !L.bParams) {
      L.bParams = 1;
      hs_case_diag(c, HS_WARNING, zFile, iRec, 0,
                   "the first record (at offset %llu) is not params; assuming a little-endian "
                   "64-bit dump with an unknown Go version",
                   (unsigned long long)iRec);
      h->iHeapStart = 0;
      h->iHeapEnd = UINT64_MAX;
      h->zArch = hs_strdup("");
      h->zGoVersion = hs_strdup("");
      if (!h->zArch || !h->zGoVersion) { rc = HS_ENOMEM; break; }
      set_fmt(&L);
    }
    switch (tag) {
      case TAG_EOF: bEof = bStop = 1; break;
      case TAG_OBJECT:
        if (L.bPre && !L.bObjSkipped && iRec == L.pre.iObjRecFirst) {
          r->p = r->pBase + L.pre.iObjRecEnd;    /* the index has them */
          L.bObjSkipped = 1;
          break;
        }
        if (L.bObjSkipped) {                      /* the index said they ended */
          hs_case_diag(c, HS_ERROR, zFile, iRec, 0,
                       "an object record at offset %llu lies after the ones its index file "
                       "describes; the index does not belong to this dump: delete it, or "
                       "run with --no-cache", (unsigned long long)iRec);
          rc = HS_EFORMAT;
          break;
        }
        if (L.bPre) {                             /* not where the index said: parse */
          if (L.pre.xGraphFree) L.pre.xGraphFree(L.pre.pGraph);
          L.bPre = 0;
        }
        if (!L.bObjSeen) {
          h->iObjRecFirst = iRec;
          h->bObjContig = 1;
          L.pAhead = hs_ahead_start(in->p, in->n, iRec, &L.fmt, in->bMapped);
          if (L.pAhead) L.iAheadAt = hs_ahead_from(L.pAhead);
        }
        L.bObjSeen = 1;
        if (L.bAfterObj) h->bObjContig = 0;
        rc = rec_object(&L, iRec);
        h->iObjRecEnd = (uint64_t)(r->p - r->pBase);
        break;
      case TAG_OTHERROOT: rc = rec_otherroot(&L, iRec); break;
      case TAG_TYPE: rc = rec_type(&L, iRec); break;
      case TAG_GOROUTINE: rc = rec_goroutine(&L, iRec); break;
      case TAG_FRAME: rc = rec_frame(&L, iRec); break;
      case TAG_PARAMS: rc = rec_params(&L, iRec); break;
      case TAG_FINALIZER: case TAG_QFINALIZER: rc = rec_finalizer(&L, iRec, (int)tag); break;
      case TAG_ITAB: rc = rec_itab(&L, iRec); break;
      case TAG_THREAD: rc = rec_thread(&L, iRec); break;
      case TAG_MEMSTATS: rc = rec_memstats(&L, iRec); break;
      case TAG_DATA: case TAG_BSS: rc = rec_segment(&L, iRec, (int)tag); break;
      case TAG_DEFER: rc = rec_defer(&L, iRec); break;
      case TAG_PANIC: rc = rec_panic(&L, iRec); break;
      case TAG_MEMPROF: rc = rec_memprof(&L, iRec); break;
      case TAG_ALLOCSAMPLE: rc = rec_allocsample(&L, iRec); break;
      default:
        hs_case_diag(c, HS_ERROR, zFile, iRec, 0,
                     "unknown record kind %llu at offset %llu (kinds 0..17 exist); the records "
                     "after it cannot be framed, so loading stopped there with what came "
                     "before. The dump is corrupt, or from a Go newer than heapscope knows",
                     (unsigned long long)tag, (unsigned long long)iRec);
        bStop = 1;
        rc = HS_ETRUNC;
        break;
    }
    if (tag != TAG_OBJECT && L.bObjSeen) L.bAfterObj = 1;
    if (rc != HS_OK) break;
  }
  hs_ahead_free(L.pAhead);                    /* not met: the load ended before */
  L.pAhead = NULL;
  if (!L.bObjSkipped && L.bObjSeen && !L.bAfterObj) h->bObjContig = 0;  /* cut short */
  if (rc == HS_ENOMEM || rc == HS_EFORMAT) {
    if (rc == HS_ENOMEM)
      hs_case_diag(c, HS_ERROR, zFile, iRec, 0,
                   "out of memory at offset %llu while loading the heap dump",
                   (unsigned long long)iRec);
    goto done;
  }
  /* records read whole; none means nothing of the dump was read (the params
  ** a missing params record makes us assume are no evidence either) */
  uint64_t nDone = r->err && nRec ? nRec - 1 : nRec;
  if (r->err) {
    rd t = {in->p, in->p + iRec, in->p + in->n, 0, 0, 0};
    uint64_t tag = rd_uv(&t);
    char zWant[64] = "";
    if (r->err == RD_LENGTH)
      snprintf(zWant, sizeof zWant, ", which says %llu bytes follow",
               (unsigned long long)r->nWant);
    char zLoaded[64];
    snprintf(zLoaded, sizeof zLoaded, nDone ? "Loaded the %llu records before it"
                                            : "No record before it, so nothing to load",
             (unsigned long long)nDone);
    hs_case_diag(c, nDone ? HS_WARNING : HS_ERROR, zFile, iRec, 0,
                 "incomplete %s record at offset %llu: %s (at offset %llu%s). %s; the dump "
                 "was probably cut short (disk full, or the process died while writing it)",
                 tag <= TAG_MAX ? azTag[tag] : "unknown", (unsigned long long)iRec, rd_why(r),
                 (unsigned long long)r->iErrOff, zWant, zLoaded);
    rc = HS_ETRUNC;
    if (!nDone) {
      rc = HS_EFORMAT;
      goto done;
    }
  } else if (!bEof && rc == HS_OK) {
    hs_case_diag(c, HS_WARNING, zFile, in->n, 0,
                 "the dump ends at offset %llu without its EOF record; it was cut short "
                 "between records (everything in it was loaded)",
                 (unsigned long long)in->n);
    rc = HS_ETRUNC;
  } else if (bEof && r->p < r->pEnd) {
    hs_case_diag(c, HS_WARNING, zFile, (uint64_t)(r->p - r->pBase), 0,
                 "%llu bytes after the EOF record at offset %llu were ignored",
                 (unsigned long long)(r->pEnd - r->p), (unsigned long long)(r->p - r->pBase - 1));
  }
  if (!L.bParams) {
    hs_case_diag(c, HS_ERROR, zFile, HEAPDUMP_MAGIC_LEN, 0,
                 "no complete record after the heap dump header; nothing to load");
    rc = HS_EFORMAT;
    goto done;
  }
  int rc2 = finish(&L);
  if (rc2) {
    hs_case_diag(c, HS_ERROR, zFile, UINT64_MAX, 0, "out of memory while indexing %llu objects",
                 (unsigned long long)L.nObj);
    rc = rc2;
    goto done;
  }
  c->pHeap = h;
  c->xHeapFree = heap_free;
  h->pObjects = L.pObjects;
  h->pRoots = L.pRoots;
  h->pGoroutines = L.pG;
  h->pFrames = L.pFrames;
  h->pFinalizers = L.pFin;
  h->pTypes = L.pTypes;
  h->pItabs = L.pItabs;
  h->pThreads = L.pThreads;
  h->pDefers = L.pDefers;
  h->pPanics = L.pPanics;
  h->pMemprof = L.pMemprof;
  h->pMemprofFrames = L.pMemprofFrames;
  h->pAllocSamples = L.pSamples;
  h->pMemstats = L.pMemstats;
  h->pParams = L.pParams;
  h = NULL;
  if (in->iSeries == 1 && series_row(c, in) != HS_OK) rc = HS_ENOMEM;

done:
  if (h) {
    /* Not attached: the tables stay (consistent, possibly partial) but the
    ** object columns were never adopted, so nothing points at freed memory. */
    heap_free(h);
  }
  if (L.bPre && L.pre.xGraphFree) L.pre.xGraphFree(L.pre.pGraph);  /* not used */
  hs_ahead_free(L.pAhead);
  free(L.aAddr);
  free(L.aSize);
  free(L.aContentOff);
  free(L.aRun);
  free(L.aTyped);
  free(L.aFn);
  free(L.aRootKind);
  hs_u64map_free(&L.mTypes);
  hs_u64map_free(&L.mBuckets);
  hs_u64map_free(&L.mGoid);
  return rc;
}

/* A dump's place in a series: the GC count its memstats record was written
** with.  One walk over the records (hs_heapdump_scan), nothing stored. */
static int series_key(const uint8_t *p, size_t n, uint64_t *pKey) {
  hs_heapdump_counts cnt;
  hs_heapdump_scan(p, n, &cnt, NULL);
  *pKey = cnt.nNumGC;
  return cnt.aRecord[TAG_MEMSTATS] ? HS_OK : HS_EFORMAT;
}

const hs_loader hs_loader_heapdump = {
    "heapdump", "heap dump of a Go program (runtime/debug.WriteHeapDump, go1.7 format)",
    sniff, load, "heap.*", series_key, 1};
