/*
 * gendump: write a synthetic but valid "go1.7 heap dump" for benchmarks.
 *
 *   gendump OUT [NOBJECTS [GOVERSION]]     (default 10000000, go1.23.5)
 *
 * The heap is laid out as Go's allocator would: objects in size-class spans
 * of 8 KiB (large objects in their own page-rounded spans), spans written in
 * a shuffled order (as mheap_.allspans is not in address order), objects
 * ascending inside a span.  Shapes, in the proportions of a service heap:
 *   - singly linked lists of 1000 nodes (48 B: next, payload), each node
 *     with a payload buffer (16..256 B, no pointers); every 8th payload
 *     pointer is an interior pointer (payload + 8);
 *   - complete binary trees of 4095 nodes (48 B: left, right, payload);
 *   - 640-byte objects with pointers chained in lists (for go >= 1.22 they
 *     carry the 8-byte malloc header word, a fake *_type);
 *   - a few big fan-outs: one large pointer array (up to 1 MiB) pointing
 *     at up to 131072 small 32-byte objects.
 * For go >= 1.22 pointerful spans of small objects end in their heap
 * bitmap and the dump carries the phantom slots over it, as Go writes them.
 * Roots: one data-segment pointer per structure head, 64 goroutines whose
 * frames hold pointers to some heads, a finalizer, a memprof bucket per
 * shape with alloc samples for 1 in 8192 objects, memstats, EOF.
 * Output is about 70 bytes per object (700 MB for 10 M objects).
 * Deterministic: the same arguments give the same bytes.  Records are
 * written with tests/lib/dumpwriter.c, the unit tests' writer:
 *   cc -O2 -Itests -o gendump tests/bench/gendump.c tests/lib/dumpwriter.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/dumpwriter.h"

#define HEAP_START 0xc000000000ull
#define NONE UINT32_MAX

enum { K_NODE, K_PAYLOAD, K_TREE, K_BIG, K_FAN, K_FANLEAF };

typedef struct obj {
  uint64_t addr;
  uint32_t size;
  uint8_t kind;
  uint32_t a[3];            /* targets (object indices); K_FAN: a[0] first, a[1] count */
  uint8_t bInterior;        /* a[1] points 8 bytes into its target */
} obj;

typedef struct span {
  uint64_t base;
  uint32_t size;            /* its objects' size */
  int bScan;                /* holds objects with pointers */
  uint32_t first, n;        /* first object allocated in it, objects in it */
} span;

static obj *aObj;
static uint32_t nObj, nObjCap;
static span *aSpan;
static uint32_t nSpan, nSpanCap;
static uint64_t iNextPage = HEAP_START;
static int bHeader;        /* Go >= 1.22: malloc headers and in-span heap bits */

/* Per size class: the span being filled. */
typedef struct cls {
  uint32_t size;
  int bScan;                /* objects with pointers: a span class of its own */
  uint64_t base, used;
  int32_t iSpan;
} cls;
static cls aCls[64];
static int nCls;

static uint64_t rng = 88172645463325252ull;
static uint64_t xr(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static span *new_span(uint64_t nBytes) {
  if (nSpan == nSpanCap) {
    nSpanCap = nSpanCap ? nSpanCap * 2 : 65536;
    aSpan = realloc(aSpan, nSpanCap * sizeof *aSpan);
    if (!aSpan) abort();
  }
  span *s = &aSpan[nSpan++];
  s->base = iNextPage;
  s->first = nObj;
  s->n = 0;
  iNextPage += (nBytes + 8191) & ~8191ull;
  return s;
}

/* Allocate an object of exactly `size` (a size class) and return its index. */
static uint32_t alloc(uint32_t size, int kind) {
  if (nObj == nObjCap) {
    nObjCap = nObjCap ? nObjCap * 2 : 1 << 20;
    aObj = realloc(aObj, (size_t)nObjCap * sizeof *aObj);
    if (!aObj) abort();
  }
  uint64_t addr;
  int bScan = kind == K_NODE || kind == K_TREE || kind == K_BIG || kind == K_FAN;
  if (size >= 8192) { /* own span (Go: large objects, and classes of a whole span) */
    span *s = new_span(size);
    s->size = size;
    s->bScan = bScan;
    addr = s->base;
    s->n = 1;
  } else {
    cls *c = NULL;
    for (int i = 0; i < nCls; i++)
      if (aCls[i].size == size && aCls[i].bScan == bScan) c = &aCls[i];
    if (!c) {
      c = &aCls[nCls++];
      c->size = size;
      c->bScan = bScan;
      c->iSpan = -1;
    }
    /* A new span when this class has none or it is full.  Since Go 1.22 a
    ** pointerful span of objects <= 512 B ends with its 128-byte heap
    ** bitmap, so it holds (8192 - 128) / size objects. */
    uint64_t nUsable = bHeader && bScan && size <= 512 ? 8192 - 128 : 8192;
    if (c->iSpan < 0 || c->used + size > nUsable) {
      span *s = new_span(8192);
      s->size = size;
      s->bScan = bScan;
      c->base = s->base;
      c->used = 0;
      c->iSpan = (int32_t)(s - aSpan);
    }
    addr = c->base + c->used;
    c->used += size;
    aSpan[c->iSpan].n++;
  }
  obj *o = &aObj[nObj];
  o->addr = addr;
  o->size = size;
  o->kind = (uint8_t)kind;
  o->a[0] = o->a[1] = o->a[2] = NONE;
  o->bInterior = 0;
  return nObj++;
}

static const uint32_t aPayload[] = {16, 32, 48, 64, 96, 112, 128, 256};

/* Heads of structures (become data-segment roots). */
static uint32_t *aHead;
static uint32_t nHead, nHeadCap;
static void add_head(uint32_t i) {
  if (nHead == nHeadCap) {
    nHeadCap = nHeadCap ? nHeadCap * 2 : 4096;
    aHead = realloc(aHead, nHeadCap * sizeof *aHead);
  }
  aHead[nHead++] = i;
}

/* Lists interleave node and payload allocations, so spans of the two
** classes alternate: realistic, and it keeps spans small. */
static void make_list(uint32_t n) {
  uint32_t prev = NONE;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t node = alloc(48, K_NODE);
    uint32_t pay = alloc(aPayload[xr() % 8], K_PAYLOAD);
    aObj[node].a[0] = prev;
    aObj[node].a[1] = pay;
    aObj[node].bInterior = (k % 8) == 0 && aObj[pay].size >= 16;
    prev = node;
  }
  add_head(prev);
}

static void make_tree(uint32_t n) {
  uint32_t first = nObj;
  for (uint32_t k = 0; k < n; k++) alloc(48, K_TREE);
  for (uint32_t k = 0; k < n; k++) {
    obj *o = &aObj[first + k];
    if (2 * k + 1 < n) o->a[0] = first + 2 * k + 1;
    if (2 * k + 2 < n) o->a[1] = first + 2 * k + 2;
  }
  /* payloads of the leaves' parents, allocated after the nodes */
  for (uint32_t k = n / 2; k < n; k += 2) aObj[first + k].a[2] = alloc(aPayload[xr() % 8], K_PAYLOAD);
  add_head(first);
}

static void make_bigs(uint32_t n) {
  uint32_t prev = NONE;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t b = alloc(640, K_BIG);
    aObj[b].a[0] = prev;
    prev = b;
  }
  add_head(prev);
}

static void make_fan(uint32_t n) {
  uint32_t nBytes = n * 8;
  uint32_t arr = alloc(nBytes <= 32768 ? 32768 : ((nBytes + 8191) & ~8191u), K_FAN);
  uint32_t first = nObj;
  for (uint32_t k = 0; k < n; k++) alloc(32, K_FANLEAF);
  aObj[arr].a[0] = first;
  aObj[arr].a[1] = n;
  add_head(arr);
}

/* ------------------------------------------------------------------ */
static tl_dump w;          /* the dump being written (to the output file) */

static uint8_t *pContent;
static size_t nContent;

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint64_t *aFanOff;   /* a fan-out array's field offsets */
static uint32_t nFanOff;

static void write_object(uint32_t i) {
  obj *o = &aObj[i];
  if (o->size > nContent) {
    nContent = o->size;
    pContent = realloc(pContent, nContent);
  }
  memset(pContent, 0, o->size);
  uint64_t aOff[4];
  int nOff = 0;
  uint64_t iBase = 0; /* where the typed part starts */
  switch (o->kind) {
    case K_BIG:
      if (bHeader) {
        put64(pContent, 0x5e3f60);
        iBase = 8;
      }
      /* fallthrough */
    case K_NODE: case K_TREE:
      for (int k = 0; k < 3; k++) {
        uint64_t off = iBase + 8 * k;
        if (o->kind == K_NODE && k == 2) break;
        if (o->kind == K_BIG && k > 0) break;
        aOff[nOff++] = off;
        if (o->a[k] != NONE) {
          uint64_t t = aObj[o->a[k]].addr;
          if (aObj[o->a[k]].kind == K_BIG && bHeader) t += 8;
          if (k == 1 && o->bInterior) t += 8;
          put64(pContent + off, t);
        }
      }
      /* some payload-looking data after the pointers */
      put64(pContent + o->size - 8, i * 2654435761u);
      break;
    case K_PAYLOAD: case K_FANLEAF:
      for (uint32_t k = 0; k + 8 <= o->size; k += 16) put64(pContent + k, (uint64_t)i * 31 + k);
      break;
    case K_FAN:
      break;
  }
  if (o->kind == K_FAN) {
    if (o->a[1] > nFanOff) {
      nFanOff = o->a[1];
      aFanOff = realloc(aFanOff, nFanOff * sizeof *aFanOff);
    }
    for (uint32_t k = 0; k < o->a[1]; k++) {
      put64(pContent + 8 * k, aObj[o->a[0] + k].addr);
      aFanOff[k] = 8 * k;
    }
    tl_dump_object(&w, o->addr, pContent, o->size, aFanOff, o->a[1]);
  } else
    tl_dump_object(&w, o->addr, pContent, o->size, aOff, nOff);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gendump OUT [NOBJECTS [GOVERSION]]\n");
    return 2;
  }
  uint64_t nWant = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
  const char *zVersion = argc > 3 ? argv[3] : "go1.23.5";
  bHeader = strstr(zVersion, "go1.2") && atoi(strstr(zVersion, "go1.") + 4) >= 22;
  FILE *out = fopen(argv[1], "wb");
  w.pOut = out;
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  static char aBuf[1 << 20];
  setvbuf(out, aBuf, _IOFBF, sizeof aBuf);

  /* Build the heap: 45% lists, 40% trees, 5% bigs, 10% fan-outs. */
  while (nObj < nWant) {
    uint64_t r = xr() % 100;
    uint64_t nLeft = nWant - nObj;
    if (r < 45) make_list(nLeft / 2 < 1000 ? (uint32_t)(nLeft / 2 + 1) : 1000);
    else if (r < 85) make_tree(nLeft < 4095 ? (uint32_t)nLeft + 1 : 4095);
    else if (r < 90) make_bigs(nLeft < 100 ? (uint32_t)nLeft + 1 : 100);
    else {
      uint32_t n = r == 99 ? 131072 : 1024 + (uint32_t)(xr() % 4096);
      if (n > nLeft) n = (uint32_t)nLeft + 1;
      make_fan(n);
    }
  }
  uint64_t iHeapEnd = (iNextPage + (64ull << 20) - 1) & ~((64ull << 20) - 1);

  /* Header and params. */
  tl_dump_params(&w, HEAP_START, iHeapEnd, "amd64", zVersion, 8);
  /* A type for the Big header word, via an itab. */
  tl_dump_uv(&w, 3); tl_dump_uv(&w, 0x5e3f60); tl_dump_uv(&w, 632); tl_dump_str(&w, "main.Big"); tl_dump_uv(&w, 1);
  tl_dump_uv(&w, 8); tl_dump_uv(&w, 0x5f0000); tl_dump_uv(&w, 0x5e3f60);

  /* Objects: spans in a shuffled order. */
  uint32_t *aOrder = malloc((size_t)nSpan * sizeof *aOrder);
  for (uint32_t k = 0; k < nSpan; k++) aOrder[k] = k;
  for (uint32_t k = nSpan; k > 1; k--) {
    uint32_t j = (uint32_t)(xr() % k);
    uint32_t t = aOrder[k - 1];
    aOrder[k - 1] = aOrder[j];
    aOrder[j] = t;
  }
  /* Spans hold objects [first, first+n) of one class, but classes
  ** interleave in aObj: collect each span's objects by address. */
  uint32_t *aSpanObj = malloc((size_t)nObj * sizeof *aSpanObj);
  uint32_t *aSpanAt = calloc((size_t)nSpan + 1, sizeof *aSpanAt);
  /* objects were appended in address order within each span */
  {
    /* span of each object: spans are created in order, so a running map */
    uint32_t *aFill = calloc(nSpan, sizeof *aFill);
    uint32_t *aObjSpan = malloc((size_t)nObj * sizeof *aObjSpan);
    /* recompute: each object's span is the one whose [base, base+8K) or
    ** large extent contains it; spans are ascending by base */
    for (uint32_t i = 0; i < nObj; i++) {
      uint32_t lo = 0, hi = nSpan;
      while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (aSpan[mid].base <= aObj[i].addr) lo = mid; else hi = mid;
      }
      aObjSpan[i] = lo;
      aSpanAt[lo + 1]++;
    }
    for (uint32_t k = 0; k < nSpan; k++) aSpanAt[k + 1] += aSpanAt[k];
    for (uint32_t i = 0; i < nObj; i++) {
      uint32_t s = aObjSpan[i];
      aSpanObj[aSpanAt[s] + aFill[s]++] = i;
    }
    free(aFill);
    free(aObjSpan);
  }
  uint64_t nPhantom = 0;
  for (uint32_t k = 0; k < nSpan; k++) {
    uint32_t s = aOrder[k];
    for (uint32_t j = aSpanAt[s]; j < aSpanAt[s + 1]; j++) write_object(aSpanObj[j]);
    /* What Go 1.22+ WriteHeapDump also writes: the slots past nelems of a
    ** small pointerful span (over its heap bitmap), as if allocated, with
    ** the bitmap bytes as contents and no pointer fields. */
    span *p = &aSpan[s];
    if (bHeader && p->bScan && p->size <= 512) {
      static uint8_t aZero[512];
      for (uint32_t j = (8192 - 128) / p->size; j < 8192 / p->size; j++) {
        tl_dump_object(&w, p->base + (uint64_t)j * p->size, aZero, p->size, NULL, 0);
        nPhantom++;
      }
    }
  }

  /* 64 goroutines, 3 frames each; the innermost holds a pointer to a head. */
  for (uint32_t g = 0; g < 64; g++) {
    uint64_t gp = 0xc000000000ull - 0x100000 + g * 0x400, sp = 0x7f0000000000ull + g * 0x10000;
    tl_dump_uv(&w, 4); tl_dump_uv(&w, gp); tl_dump_uv(&w, sp); tl_dump_uv(&w, 100 + g); tl_dump_uv(&w, 0x401010); tl_dump_uv(&w, 4); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
    tl_dump_uv(&w, 1000 + g); tl_dump_str(&w, "chan receive"); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
    for (uint32_t d = 0; d < 3; d++) {
      uint64_t fr[4] = {0, 0, 0, 0};
      if (d == 0 && nHead) fr[1] = aObj[aHead[(g * 7919) % nHead]].addr;
      tl_dump_uv(&w, 5); tl_dump_uv(&w, sp + d * 32); tl_dump_uv(&w, d); tl_dump_uv(&w, d ? sp + (d - 1) * 32 : 0);
      tl_dump_uv(&w, 32); tl_dump_bytes(&w, fr, 32);
      tl_dump_uv(&w, 0x401000 + d * 0x100); tl_dump_uv(&w, 0x401020 + d * 0x100); tl_dump_uv(&w, 0x401020 + d * 0x100);
      tl_dump_str(&w, d == 0 ? "main.worker" : d == 1 ? "main.serve" : "runtime.goexit");
      tl_dump_uv(&w, 1); tl_dump_uv(&w, 8); tl_dump_uv(&w, 0);
    }
  }
  tl_dump_uv(&w, 9); tl_dump_uv(&w, 0x7000); tl_dump_uv(&w, 0); tl_dump_uv(&w, 4242);
  /* Data segment: one pointer per structure head. */
  {
    uint64_t n = (uint64_t)nHead * 8;
    uint8_t *p = calloc(1, n ? n : 1);
    for (uint32_t k = 0; k < nHead; k++) {
      uint64_t a = aObj[aHead[k]].addr + (aObj[aHead[k]].kind == K_BIG && bHeader ? 8 : 0);
      put64(p + 8 * k, a);
    }
    tl_dump_uv(&w, 12); tl_dump_uv(&w, 0x700000); tl_dump_uv(&w, n); tl_dump_bytes(&w, p, n);
    for (uint32_t k = 0; k < nHead; k++) {
      tl_dump_uv(&w, 1);
      tl_dump_uv(&w, 8 * k);
    }
    tl_dump_uv(&w, 0);
    free(p);
    tl_dump_uv(&w, 13); tl_dump_uv(&w, 0x800000); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  }
  if (nHead) {
    tl_dump_uv(&w, 7); tl_dump_uv(&w, aObj[aHead[0]].addr); tl_dump_uv(&w, 0x5a0000); tl_dump_uv(&w, 0x403000); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  }
  /* MemStats: Alloc, HeapAlloc and HeapObjects true to the objects written
  ** (as the runtime's are, phantoms excluded); the rest placeholders. */
  uint64_t nBytes = 0;
  for (uint32_t i = 0; i < nObj; i++) nBytes += aObj[i].size;
  tl_dump_uv(&w, 10);
  for (int k = 0; k < 24 + 256; k++)
    tl_dump_uv(&w, k == 0 || k == 6 ? nBytes : k == 11 ? nObj : (uint64_t)k * 1000);
  tl_dump_uv(&w, 42);
  /* One bucket per kind, samples for 1 in 8192 objects. */
  static const char *azSite[] = {"main.newNode", "main.newPayload", "main.newTree",
                                 "main.newBig", "main.newFan", "main.newLeaf"};
  for (int k = 0; k < 6; k++) {
    tl_dump_uv(&w, 16); tl_dump_uv(&w, 0x7f0000 + k * 64); tl_dump_uv(&w, 64); tl_dump_uv(&w, 2);
    tl_dump_str(&w, azSite[k]); tl_dump_str(&w, "/src/main.go"); tl_dump_uv(&w, 10 + k);
    tl_dump_str(&w, "main.main"); tl_dump_str(&w, "/src/main.go"); tl_dump_uv(&w, 5);
    tl_dump_uv(&w, nObj / 6); tl_dump_uv(&w, 0);
  }
  for (uint32_t i = 0; i < nObj; i += 8192) { /* MemProfileRate 512 KiB: 1 in ~8K */
    tl_dump_uv(&w, 17);
    tl_dump_uv(&w, aObj[i].addr + (aObj[i].kind == K_BIG && bHeader ? 8 : 0));
    tl_dump_uv(&w, 0x7f0000 + aObj[i].kind * 64);
  }
  tl_dump_uv(&w, 0);
  if (fclose(out) != 0) {
    perror("gendump: close");
    return 1;
  }
  fprintf(stderr, "gendump: %u objects (+%llu phantom slots) in %u spans, %u roots, %llu bytes "
          "(%.1f per object)\n", nObj, (unsigned long long)nPhantom, nSpan, nHead,
          (unsigned long long)w.nOut, (double)w.nOut / nObj);
  free(aOrder);
  free(aSpanObj);
  free(aSpanAt);
  free(aObj);
  free(aSpan);
  free(aHead);
  free(pContent);
  free(aFanOff);
  return 0;
}
