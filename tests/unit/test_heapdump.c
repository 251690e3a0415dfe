/*
 * The heap dump loader against the truth.  Every samples/go1.NN/NAME/ holds a
 * heap dump written by runtime/debug.WriteHeapDump in a real Go program and
 * the facts.json that program wrote about itself (addresses, counts and
 * sizes of what it planted); the tests check the loader finds exactly that.
 * Hand-built dumps (written here, record by record, from the format in
 * Go's runtime/heapdump.go) cover the cases real dumps never show: objects
 * out of order, headers, truncation at every offset, corrupt varints and
 * lengths, unknown record kinds.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "heapscope/heap.h"
#include "lib/dumpwriter.h"
#include "formats/dumpahead.h"
#include "formats/dumpscan.h"

/* ------------------------------------------------------------------ */
/* Samples. */

typedef struct sample {
  char *zDir;        /* samples/go1.23/leaky */
  char *zDump;       /* its heap dump (.xz or plain) */
  json_object *pFacts;
} sample;

static sample aSample[64];
static int nSample;

static int file_exists(const char *z) {
  FILE *f = fopen(z, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static void find_samples(void) {
  static const char *azGroup[] = {"samples/go1.19", "samples/go1.23"};
  if (nSample) return;
  for (int g = 0; g < 2; g++) {
    struct dirent **aEnt;
    int n = scandir(azGroup[g], &aEnt, NULL, alphasort);
    for (int i = 0; i < n; i++) {
      if (aEnt[i]->d_name[0] != '.' && nSample < 64) {
        char *zDir = hs_mprintf("%s/%s", azGroup[g], aEnt[i]->d_name);
        char *zFacts = hs_mprintf("%s/facts.json", zDir);
        char *zXz = hs_mprintf("%s/heap.dump.xz", zDir);
        char *zPlain = hs_mprintf("%s/heap.dump", zDir);
        char *zDump = file_exists(zXz) ? zXz : file_exists(zPlain) ? zPlain : NULL;
        json_object *pFacts = file_exists(zFacts) ? json_object_from_file(zFacts) : NULL;
        if (zDump && pFacts) {
          aSample[nSample].zDir = zDir;
          aSample[nSample].zDump = hs_strdup(zDump);
          aSample[nSample].pFacts = pFacts;
          nSample++;
          zDir = NULL;
        } else if (pFacts) {
          json_object_put(pFacts);
        }
        free(zDir);
        free(zFacts);
        free(zXz);
        free(zPlain);
      }
      free(aEnt[i]);
    }
    if (n >= 0) free(aEnt);
  }
}

static hs_caselist open_one(const char *zPath) {
  hs_open_opts o;
  hs_open_opts_init(&o);
  o.caseFlags |= HS_CASE_NOCACHE;
  hs_caselist cl = {0};
  const char *az[1] = {zPath};
  assert_int_equal(hs_open(az, 1, &o, &cl), HS_OK);
  assert_int_equal(cl.nCase, 1);
  return cl;
}

static json_object *jget(json_object *o, const char *zKey) {
  json_object *v = NULL;
  return o && json_object_object_get_ex(o, zKey, &v) ? v : NULL;
}
static const char *jstr(json_object *o, const char *zKey) {
  json_object *v = jget(o, zKey);
  return v ? json_object_get_string(v) : NULL;
}
static uint64_t jaddr(json_object *v) {
  return v ? strtoull(json_object_get_string(v), NULL, 16) : 0;
}

static uint64_t count_size(const hs_heap *h, uint64_t lo, uint64_t hi) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < h->nObj; i++)
    if (h->aSize[i] >= lo && h->aSize[i] <= hi) n++;
  return n;
}

/* Row numbers (0-based) of table t whose string column zCol equals z. */
static uint64_t count_str(const hs_table *t, const char *zCol, const char *z) {
  int iCol = hs_table_colidx(t, zCol);
  assert_true(iCol >= 0);
  uint64_t n = 0;
  for (uint64_t i = 0; i < t->nRow; i++)
    if (strcmp(hs_table_str(t, iCol, i), z) == 0) n++;
  return n;
}

/* Does bucket row (1-based) of heap.memprof have function zFunc on its stack? */
static int bucket_has_func(const hs_heap *h, uint32_t iRow, const char *zFunc) {
  const hs_table *f = h->pMemprofFrames;
  int iM = hs_table_colidx(f, "memprof"), iF = hs_table_colidx(f, "func");
  for (uint64_t i = 0; i < f->nRow; i++)
    if (hs_table_u64(f, iM, i) == iRow && strstr(hs_table_str(f, iF, i), zFunc)) return 1;
  return 0;
}

/* Check every planted group of facts.json: each listed address is inside a
** dumped object of the group's size class, which holds the whole value. */
static void check_planted(const sample *s, const hs_heap *h) {
  json_object_object_foreach(s->pFacts, zKey, pVal) {
    if (!json_object_is_type(pVal, json_type_object)) continue;
    json_object *pCount = jget(pVal, "count"), *pAlloc = jget(pVal, "alloc_size");
    json_object *pSize = jget(pVal, "size");
    if (!pCount || !pAlloc || !pSize) continue;
    uint64_t nAlloc = json_object_get_int64(pAlloc), nSize = json_object_get_int64(pSize);
    json_object *pAddrs = jget(pVal, "addrs");
    int n = pAddrs ? (int)json_object_array_length(pAddrs) : 0;
    uint64_t aOne[1] = {jaddr(jget(pVal, "first_addr"))};
    for (int k = 0; k < (n ? n : 1); k++) {
      uint64_t a = n ? jaddr(json_object_array_get_idx(pAddrs, k)) : aOne[0];
      if (!a) continue;
      uint64_t i = hs_heap_find(h, a);
      if (i == UINT64_MAX) fail_msg("%s: %s address 0x%llx is in no dumped object", s->zDir, zKey,
                                    (unsigned long long)a);
      if (h->aSize[i] != nAlloc)
        fail_msg("%s: %s 0x%llx: object size %llu, facts say class %llu", s->zDir, zKey,
                 (unsigned long long)a, (unsigned long long)h->aSize[i],
                 (unsigned long long)nAlloc);
      assert_true(a + nSize <= h->aAddr[i] + h->aSize[i]);
    }
  }
}

static void test_samples(void **state) {
  find_samples();
  if (!nSample) skip(); /* samples/ not generated yet: see samples/gen.sh */
  fprintf(stderr, "heap dumps of %d sample runs\n", nSample);
  for (int k = 0; k < nSample; k++) {
    const sample *s = &aSample[k];
    hs_caselist cl = open_one(s->zDump);
    hs_case *c = cl.apCase[0];
    for (int d = 0; d < c->nDiag; d++)
      if (c->aDiag[d].level >= HS_WARNING)
        fail_msg("%s: unexpected diagnostic: %s", s->zDump, c->aDiag[d].zMsg);
    hs_heap *h = c->pHeap;
    assert_non_null(h);

    /* Params match the toolchain that made it. */
    assert_string_equal(h->zGoVersion, jstr(s->pFacts, "go_version"));
    assert_string_equal(h->zArch, jstr(s->pFacts, "goarch"));
    assert_int_equal(h->nPtrSize, json_object_get_int(jget(s->pFacts, "ptr_size")));
    assert_int_equal(h->nCpu, json_object_get_int(jget(s->pFacts, "ncpu")));
    assert_int_equal(h->bBigEndian, 0);
    assert_true(h->iHeapStart < h->iHeapEnd);
    assert_int_equal(h->pParams->nRow, 1);
    assert_string_equal(hs_table_str(h->pParams, hs_table_colidx(h->pParams, "go_version"), 0),
                        h->zGoVersion);
    int bHeader = json_object_get_boolean(jget(s->pFacts, "malloc_header"));
    if (strstr(s->zDir, "go1.23")) assert_int_equal(h->bTypeHeader, 1);
    if (strstr(s->zDir, "go1.19")) assert_int_equal(h->bTypeHeader, 0);

    /* Sorted, disjoint, inside the heap. */
    assert_true(h->nObj > 1000);
    for (uint64_t i = 1; i < h->nObj; i++) assert_true(h->aAddr[i - 1] + h->aSize[i - 1] <= h->aAddr[i]);
    assert_true(h->aAddr[0] >= h->iHeapStart);
    assert_true(h->aAddr[h->nObj - 1] + h->aSize[h->nObj - 1] <= h->iHeapEnd);
    assert_int_equal(h->pObjects->nRow, h->nObj);

    /* The runtime's own counters, read in the same stopped world as the
    ** dump: every allocated object, tiny blocks counted once, and its
    ** size-class bytes (Go 1.22+ also dumps phantom slots; see
    ** close_group in heapdump.c). */
    hs_table *ms = h->pMemstats;
    uint64_t nBytes = 0;
    for (uint64_t i = 0; i < h->nObj; i++) nBytes += h->aSize[i];
    assert_int_equal(h->nObj, hs_table_u64(ms, hs_table_colidx(ms, "HeapObjects"), 0));
    assert_int_equal(nBytes, hs_table_u64(ms, hs_table_colidx(ms, "HeapAlloc"), 0));

    check_planted(s, h);
    assert_int_equal(h->pMemstats->nRow, 1);
    assert_true(h->pThreads->nRow >= 1);

    const char *zProgram = jstr(s->pFacts, "program");
    if (zProgram && strcmp(zProgram, "leaky") == 0) {
      /* 40 pinned 1 MiB buffers: each its own 1 MiB object. */
      json_object *pPinned = jget(s->pFacts, "pinned_buffers");
      assert_true(count_size(h, 1 << 20, UINT64_MAX) >= 40);
      json_object *pAddrs = jget(pPinned, "addrs");
      assert_int_equal(json_object_array_length(pAddrs), 40);
      for (int j = 0; j < 40; j++) {
        uint64_t a = jaddr(json_object_array_get_idx(pAddrs, j));
        uint64_t i = hs_heap_find(h, a);
        assert_int_equal(h->aAddr[i], a);
        assert_int_equal(h->aSize[i], 1 << 20);
      }
      /* The interior pointer kept in main.pinned resolves to the first buffer. */
      uint64_t iKept = hs_heap_find(h, jaddr(jget(s->pFacts, "pinned_first_kept_addr")));
      assert_int_equal(h->aAddr[iKept], jaddr(jget(pPinned, "first_addr")));
      /* 1000 ring sessions in class 48, 1000 buffers in the 1 KiB class. */
      assert_true(count_size(h, 48, 48) >= 1000);
      assert_true(count_size(h, 1024, 1024) >= 1000);

      /* main.Big: 616 bytes with pointers, class 640. */
      json_object *pBigs = jget(s->pFacts, "bigs");
      json_object *pBigAddrs = jget(pBigs, "addrs");
      uint64_t iType = 0;
      for (int j = 0; j < (int)json_object_array_length(pBigAddrs); j++) {
        uint64_t a = jaddr(json_object_array_get_idx(pBigAddrs, j));
        uint64_t i = hs_heap_find(h, a);
        assert_int_equal(h->aSize[i], 640);
        if (bHeader) {
          /* The dumped address is the slot base; the Go pointer is base+8. */
          assert_int_equal(h->aAddr[i] + 8, a);
          assert_true(h->aType[i] != 0);
          if (j == 0) iType = h->aType[i];
          assert_int_equal(h->aType[i], iType);
        } else {
          assert_int_equal(h->aAddr[i], a);
          assert_int_equal(h->aType[i], 0);
        }
      }
      if (bHeader) {
        uint64_t nSame = 0;
        for (uint64_t i = 0; i < h->nObj; i++) nSame += h->aType[i] == iType;
        assert_int_equal(nSame, json_object_get_int(jget(pBigs, "count")));
      } else {
        for (uint64_t i = 0; i < h->nObj; i++) assert_int_equal(h->aType[i], 0);
      }

      /* Planted goroutines: parked in the planted function, with its wait
      ** reason (the 1.19 spelling in 1.19). */
      json_object *pGs = jget(s->pFacts, "goroutines");
      uint64_t nPlanted = 0;
      int iFunc = hs_table_colidx(h->pFrames, "func");
      int iGid = hs_table_colidx(h->pFrames, "goroutine");
      int iId = hs_table_colidx(h->pGoroutines, "id");
      int iWait = hs_table_colidx(h->pGoroutines, "wait_reason");
      for (int j = 0; j < (int)json_object_array_length(pGs); j++) {
        json_object *g = json_object_array_get_idx(pGs, j);
        const char *zFn = jstr(g, "function");
        const char *zState = strstr(s->zDir, "go1.19") ? jstr(g, "state_go1_19") : jstr(g, "state");
        int nWant = json_object_get_int(jget(g, "count"));
        nPlanted += nWant;
        uint64_t nFound = 0, nWaitOk = 0;
        for (uint64_t gi = 0; gi < h->pGoroutines->nRow; gi++) {
          uint64_t id = hs_table_u64(h->pGoroutines, iId, gi);
          int bHas = 0;
          for (uint64_t f = 0; f < h->pFrames->nRow && !bHas; f++)
            bHas = hs_table_u64(h->pFrames, iGid, f) == id &&
                   strcmp(hs_table_str(h->pFrames, iFunc, f), zFn) == 0;
          if (!bHas) continue;
          nFound++;
          if (zState && strcmp(hs_table_str(h->pGoroutines, iWait, gi), zState) == 0) nWaitOk++;
        }
        /* func names the planted function: the innermost frame outside
        ** the standard library. */
        assert_true(count_str(h->pGoroutines, "func", zFn) >= (uint64_t)nWant);
        if (nFound < (uint64_t)nWant)
          fail_msg("%s: %d goroutines in %s planted, %llu in the dump", s->zDir, nWant, zFn,
                   (unsigned long long)nFound);
        if (zState && nWaitOk < (uint64_t)nWant)
          fail_msg("%s: %s: %llu of %d goroutines wait on \"%s\"", s->zDir, zFn,
                   (unsigned long long)nWaitOk, nWant, zState);
      }
      assert_true(h->pGoroutines->nRow >= nPlanted);
      assert_true(h->pGoroutines->nRow >= (uint64_t)json_object_get_int(jget(s->pFacts, "goroutines_total")));

      /* Scratch buffers referenced only from leakyWorker stacks: frame roots. */
      json_object *pScratch = jget(jget(s->pFacts, "leaky_worker_scratch"), "addrs");
      for (int j = 0; pScratch && j < (int)json_object_array_length(pScratch); j++) {
        uint64_t i = hs_heap_find(h, jaddr(json_object_array_get_idx(pScratch, j)));
        int bRoot = 0;
        for (uint64_t r = 0; r < h->nRoot && !bRoot; r++)
          bRoot = h->aRootKind[r] == HS_ROOT_FRAME && hs_heap_find(h, h->aRootTarget[r]) == i;
        if (!bRoot) fail_msg("%s: scratch buffer %d has no stack root", s->zDir, j);
      }

      /* Globals holding pointers are data/bss roots at their own address. */
      static const char *azGlobal[] = {"main.pinned", "main.ring", "main.registry", "main.bigs",
                                       "main.resources", "main.configName", "main.leakCh"};
      json_object *pGlobals = jget(s->pFacts, "globals");
      for (int j = 0; j < 7; j++) {
        uint64_t a = jaddr(jget(pGlobals, azGlobal[j]));
        if (!a) continue;
        int bRoot = 0;
        for (uint64_t r = 0; r < h->nRoot && !bRoot; r++)
          bRoot = (h->aRootKind[r] == HS_ROOT_DATA || h->aRootKind[r] == HS_ROOT_BSS) &&
                  h->aRootFrom[r] == a && hs_heap_find(h, h->aRootTarget[r]) != UINT64_MAX;
        if (!bRoot) fail_msg("%s: global %s (0x%llx) is not a root", s->zDir, azGlobal[j],
                             (unsigned long long)a);
      }
      /* The string global points into the middle of its 256 KiB backing. */
      uint64_t iStr = hs_heap_find(h, jaddr(jget(s->pFacts, "config_name_addr")));
      assert_int_equal(h->aAddr[iStr], jaddr(jget(jget(s->pFacts, "pinned_string"), "first_addr")));

      /* Finalizers: every one registered is in the dump, on the planted objects. */
      int nReg = json_object_get_int(jget(s->pFacts, "finalizers_registered"));
      assert_true(count_str(h->pFinalizers, "kind", "finalizer") >= (uint64_t)nReg);
      json_object *pFin = jget(jget(s->pFacts, "finalized_resources"), "addrs");
      int iObj = hs_table_colidx(h->pFinalizers, "object");
      for (int j = 0; j < (int)json_object_array_length(pFin); j++) {
        uint64_t a = jaddr(json_object_array_get_idx(pFin, j));
        int bFound = 0;
        for (uint64_t r = 0; r < h->pFinalizers->nRow; r++)
          bFound |= hs_table_u64(h->pFinalizers, iObj, r) == a;
        assert_true(bFound);
      }

      /* Memory profile: with rate 1 every planted allocation is sampled, at
      ** the Go pointer (base+8 for headered objects), from its site. */
      if (json_object_get_int(jget(s->pFacts, "memprofilerate")) == 1) {
        assert_true(h->pMemprof->nRow > 0);
        assert_true(h->pAllocSamples->nRow > 0);
        static const char *azGroup[] = {"pinned_buffers", "bigs", "finalized_resources"};
        int iAddr = hs_table_colidx(h->pAllocSamples, "addr");
        for (int g = 0; g < 3; g++) {
          json_object *pG = jget(s->pFacts, azGroup[g]);
          const char *zSite = jstr(pG, "site");
          json_object *pA = jget(pG, "addrs");
          for (int j = 0; j < (int)json_object_array_length(pA); j++) {
            uint64_t a = jaddr(json_object_array_get_idx(pA, j));
            int bSample = 0;
            for (uint64_t r = 0; r < h->pAllocSamples->nRow; r++)
              bSample |= hs_table_u64(h->pAllocSamples, iAddr, r) == a;
            if (!bSample) fail_msg("%s: no alloc sample at %s 0x%llx", s->zDir, azGroup[g],
                                   (unsigned long long)a);
            uint64_t i = hs_heap_find(h, a);
            assert_true(h->aBucket[i] > 0);
            if (!bucket_has_func(h, h->aBucket[i], zSite))
              fail_msg("%s: %s 0x%llx: bucket %u does not name %s", s->zDir, azGroup[g],
                       (unsigned long long)a, h->aBucket[i], zSite);
          }
        }
      }
    }
    hs_caselist_free(&cl);
  }
}

/* ------------------------------------------------------------------ */
/* Hand-built dumps. */

/* The params record of a 64-bit little-endian amd64 dump (4 CPUs). */
static void w_params(tl_dump *w, const char *zVersion) {
  tl_dump_params(w, 0xc000000000ull, 0xc004000000ull, "amd64", zVersion, 4);
}
/* An object of n bytes whose words are a[] (the rest zero) and whose
** pointer fields are at the byte offsets aOff[0..nOff). */
static void w_object(tl_dump *w, uint64_t iAddr, uint64_t n, const uint64_t *a, int nWord,
                     const uint64_t *aOff, int nOff) {
  uint8_t *p = calloc(1, n);
  for (int i = 0; i < nWord && (uint64_t)(i + 1) * 8 <= n; i++) memcpy(p + i * 8, &a[i], 8);
  tl_dump_object(w, iAddr, p, n, aOff, nOff);
  free(p);
}

/* A small dump exercising every record kind. */
static tl_dump make_dump(void) {
  tl_dump w = {0};
  w_params(&w, "go1.23.0");
  /* type + itab */
  tl_dump_uv(&w, 3); tl_dump_uv(&w, 0x5e0000); tl_dump_uv(&w, 616); tl_dump_str(&w, "main.Big"); tl_dump_uv(&w, 1);
  tl_dump_uv(&w, 8); tl_dump_uv(&w, 0x5f0000); tl_dump_uv(&w, 0x5e0000);
  /* Objects in two spans, the higher one first. */
  uint64_t a1[] = {0xc000001010ull, 0};      /* -> interior of the 2nd object below */
  uint64_t off1[] = {0};
  w_object(&w, 0xc000002000ull, 16, a1, 2, off1, 1);
  uint64_t a2[] = {0xc000001000ull};         /* points to the first low object */
  w_object(&w, 0xc000002010ull, 16, a2, 1, off1, 1);
  w_object(&w, 0xc000001000ull, 16, NULL, 0, NULL, 0);
  w_object(&w, 0xc000001010ull, 16, NULL, 0, NULL, 0);
  /* A headered 640-byte object (Go 1.23): header word 0x5e0000, a pointer at 8. */
  uint64_t aBig[] = {0x5e0000, 0xc000002000ull};
  uint64_t offBig[] = {8};
  w_object(&w, 0xc000003000ull, 640, aBig, 2, offBig, 1);
  /* goroutine 7 with one frame whose local points at 0xc000002008 */
  tl_dump_uv(&w, 4); tl_dump_uv(&w, 0xc000100000ull); tl_dump_uv(&w, 0xc000200000ull); tl_dump_uv(&w, 7);
  tl_dump_uv(&w, 0x401010); tl_dump_uv(&w, 4); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0); tl_dump_uv(&w, 12345);
  tl_dump_str(&w, "chan receive"); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0xc000300000ull); tl_dump_uv(&w, 0);
  tl_dump_uv(&w, 5); tl_dump_uv(&w, 0xc000200000ull); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  uint64_t fr[2] = {0, 0xc000002008ull};
  tl_dump_uv(&w, 16); tl_dump_bytes(&w, fr, 16);
  tl_dump_uv(&w, 0x401000); tl_dump_uv(&w, 0x401020); tl_dump_uv(&w, 0x401020); tl_dump_str(&w, "main.worker");
  tl_dump_uv(&w, 1); tl_dump_uv(&w, 8); tl_dump_uv(&w, 0);
  /* defer and panic of goroutine 7 */
  tl_dump_uv(&w, 14); tl_dump_uv(&w, 0xc000300000ull); tl_dump_uv(&w, 0xc000100000ull); tl_dump_uv(&w, 0xc000200000ull);
  tl_dump_uv(&w, 0x401030); tl_dump_uv(&w, 0xc000001000ull); tl_dump_uv(&w, 0x402000); tl_dump_uv(&w, 0);
  tl_dump_uv(&w, 15); tl_dump_uv(&w, 0xc000400000ull); tl_dump_uv(&w, 0xc000100000ull); tl_dump_uv(&w, 0x5e0000);
  tl_dump_uv(&w, 0xc000001010ull); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  /* OS thread */
  tl_dump_uv(&w, 9); tl_dump_uv(&w, 0x7000); tl_dump_uv(&w, 0); tl_dump_uv(&w, 4242);
  /* data segment: a pointer at +8 to the headered object's Go pointer */
  uint64_t seg[2] = {0, 0xc000003008ull};
  tl_dump_uv(&w, 12); tl_dump_uv(&w, 0x700000); tl_dump_uv(&w, 16); tl_dump_bytes(&w, seg, 16);
  tl_dump_uv(&w, 1); tl_dump_uv(&w, 8); tl_dump_uv(&w, 0);
  tl_dump_uv(&w, 13); tl_dump_uv(&w, 0x710000); tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  /* finalizer + queued finalizer + other root */
  tl_dump_uv(&w, 7); tl_dump_uv(&w, 0xc000002010ull); tl_dump_uv(&w, 0x5a0000); tl_dump_uv(&w, 0x403000);
  tl_dump_uv(&w, 0x5e0000); tl_dump_uv(&w, 0x5e0000);
  tl_dump_uv(&w, 11); tl_dump_uv(&w, 0xc000001000ull); tl_dump_uv(&w, 0x5a0000); tl_dump_uv(&w, 0x403000);
  tl_dump_uv(&w, 0); tl_dump_uv(&w, 0);
  tl_dump_uv(&w, 2); tl_dump_str(&w, "a runtime root"); tl_dump_uv(&w, 0xc000002000ull);
  /* memstats */
  tl_dump_uv(&w, 10);
  for (int i = 0; i < 24 + 256; i++) tl_dump_uv(&w, i);
  tl_dump_uv(&w, 3);
  /* memprof bucket with 2 frames, then an alloc sample at the Go pointer */
  tl_dump_uv(&w, 16); tl_dump_uv(&w, 0x7f0000); tl_dump_uv(&w, 640); tl_dump_uv(&w, 2);
  tl_dump_str(&w, "main.makeBig"); tl_dump_str(&w, "/src/main.go"); tl_dump_uv(&w, 42);
  tl_dump_str(&w, "main.main"); tl_dump_str(&w, "/src/main.go"); tl_dump_uv(&w, 10);
  tl_dump_uv(&w, 5); tl_dump_uv(&w, 1);
  tl_dump_uv(&w, 17); tl_dump_uv(&w, 0xc000003008ull); tl_dump_uv(&w, 0x7f0000);
  tl_dump_uv(&w, 0);
  return w;
}

static hs_case *load_bytes(const void *p, size_t n, int *pRc) {
  hs_case *c = hs_case_new("test");
  *pRc = hs_case_load_buffer(c, "test.dump", p, n, "heapdump");
  return c;
}

static int has_diag(const hs_case *c, int level, const char *zPart) {
  for (int i = 0; i < c->nDiag; i++)
    if (c->aDiag[i].level == level && strstr(c->aDiag[i].zMsg, zPart)) return 1;
  return 0;
}

static void test_handmade(void **state) {
  tl_dump w = make_dump();
  int rc;
  hs_case *c = load_bytes(w.p, w.n, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(c->nDiag, 0);
  hs_heap *h = c->pHeap;
  assert_non_null(h);
  assert_string_equal(h->zGoVersion, "go1.23.0");
  assert_int_equal(h->iGoMinor, 23);
  assert_int_equal(h->nObj, 5);
  uint64_t aWant[] = {0xc000001000ull, 0xc000001010ull, 0xc000002000ull, 0xc000002010ull,
                      0xc000003000ull};
  for (int i = 0; i < 5; i++) assert_int_equal(h->aAddr[i], aWant[i]);
  /* Contents followed the sort: object 2 (0xc000002000) points at 0xc000001010. */
  hs_heap_fielditer it;
  uint64_t off;
  hs_heap_fields(h, 2, &it);
  assert_true(hs_heap_field_next(&it, &off));
  assert_int_equal(off, 0);
  assert_int_equal(hs_heap_word(h, 2, off), 0xc000001010ull);
  assert_false(hs_heap_field_next(&it, &off));
  assert_false(hs_heap_field_next(&it, &off));
  /* Interior and outside addresses. */
  assert_int_equal(hs_heap_find(h, 0xc000002008ull), 2);
  assert_int_equal(hs_heap_find(h, 0xc00000300full), 4);
  assert_int_equal(hs_heap_find(h, 0xc000003280ull), UINT64_MAX);
  assert_int_equal(hs_heap_find(h, 0xc000000fffull), UINT64_MAX);
  assert_int_equal(hs_heap_find(h, 0xc000001020ull), UINT64_MAX);
  /* The headered object: type word and name, only there. */
  assert_int_equal(h->aType[4], 0x5e0000);
  assert_string_equal(hs_str(h->pStr, h->aTypeName[4]), "main.Big");
  for (int i = 0; i < 4; i++) assert_int_equal(h->aType[i], 0);
  /* The alloc sample at base+8 links the object to its bucket. */
  assert_int_equal(h->aBucket[4], 1);
  for (int i = 0; i < 4; i++) assert_int_equal(h->aBucket[i], 0);
  assert_int_equal(h->pMemprofFrames->nRow, 2);
  assert_string_equal(hs_table_str(h->pMemprof, hs_table_colidx(h->pMemprof, "func"), 0), "main.makeBig");
  assert_int_equal(hs_table_u64(h->pMemprof, hs_table_colidx(h->pMemprof, "inuse_objects"), 0), 4);
  /* Roots: frame, data, finalizer (object + fn outside heap: 1), queued, other,
  ** defer fn, panic arg. */
  int nKind[16] = {0};
  for (uint64_t r = 0; r < h->nRoot; r++) nKind[h->aRootKind[r]]++;
  assert_int_equal(nKind[HS_ROOT_FRAME], 1);
  assert_int_equal(nKind[HS_ROOT_DATA], 1);
  assert_int_equal(nKind[HS_ROOT_BSS], 0);
  assert_int_equal(nKind[HS_ROOT_FINALIZER], 1);
  assert_int_equal(nKind[HS_ROOT_QUEUED], 1);
  assert_int_equal(nKind[HS_ROOT_OTHER], 1);
  assert_int_equal(nKind[HS_ROOT_DEFER], 1);
  assert_int_equal(nKind[HS_ROOT_PANIC], 1);
  for (uint64_t r = 0; r < h->nRoot; r++) {
    const char *zDesc = hs_str(h->pStr, h->aRootDesc[r]);
    if (h->aRootKind[r] == HS_ROOT_FRAME) {
      assert_string_equal(zDesc, "goroutine 7 frame main.worker");
      assert_int_equal(h->aRootTarget[r], 0xc000002008ull);
      assert_int_equal(h->aRootFrom[r], 0xc000200008ull);
      assert_int_equal(h->aRootGoid[r], 7);
    }
    if (h->aRootKind[r] == HS_ROOT_DATA) {
      assert_string_equal(zDesc, "data+0x8");
      assert_int_equal(h->aRootFrom[r], 0x700008);
      assert_int_equal(h->aRootTarget[r], 0xc000003008ull);
    }
    if (h->aRootKind[r] == HS_ROOT_FINALIZER) assert_string_equal(zDesc, "finalizer for 0xc000002010");
    if (h->aRootKind[r] == HS_ROOT_OTHER) assert_string_equal(zDesc, "a runtime root");
  }
  /* Goroutine row: state, wait reason, top frame, created_by (gopc inside
  ** main.worker's known range [entry, highest pc]). */
  hs_table *g = h->pGoroutines;
  assert_int_equal(g->nRow, 1);
  assert_string_equal(hs_table_str(g, hs_table_colidx(g, "state"), 0), "waiting");
  assert_string_equal(hs_table_str(g, hs_table_colidx(g, "wait_reason"), 0), "chan receive");
  assert_string_equal(hs_table_str(g, hs_table_colidx(g, "top"), 0), "main.worker");
  assert_string_equal(hs_table_str(g, hs_table_colidx(g, "created_by"), 0), "main.worker");
  assert_string_equal(hs_table_str(g, hs_table_colidx(g, "func"), 0), "main.worker");
  assert_int_equal(hs_table_u64(h->pDefers, hs_table_colidx(h->pDefers, "goroutine"), 0), 7);
  assert_int_equal(h->pFinalizers->nRow, 2);
  assert_string_equal(hs_table_str(h->pFinalizers, hs_table_colidx(h->pFinalizers, "ot_name"), 0), "main.Big");
  assert_int_equal(h->pThreads->nRow, 1);
  assert_int_equal(h->pItabs->nRow, 1);
  assert_int_equal(h->pTypes->nRow, 1);
  hs_table *ms = h->pMemstats;
  assert_int_equal(hs_table_u64(ms, hs_table_colidx(ms, "HeapAlloc"), 0), 6);
  assert_int_equal(hs_table_u64(ms, hs_table_colidx(ms, "NumGC"), 0), 3);
  hs_case_free(c);

  /* Go 1.19: no header, even with the same bytes. */
  tl_dump w19 = {0};
  w_params(&w19, "go1.19.8");
  w_object(&w19, 0xc000003000ull, 640, aWant /* any words */, 2, (uint64_t[]){8}, 1);
  tl_dump_uv(&w19, 0);
  c = load_bytes(w19.p, w19.n, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(c->pHeap->nObj, 1);
  assert_int_equal(c->pHeap->aType[0], 0);
  hs_case_free(c);
  free(w19.p);
  free(w.p);
}

/* Go 1.22+ dumps the slots past nelems of small pointerful spans (they
** overlap the span's heap bitmap) as objects: they are dropped, but only
** there.  Page 0xc000010000: 48-byte objects with pointers, nelems =
** (8192 - 128) / 48 = 168, so slots 168 and 169 are phantoms.  Page
** 0xc000012000: 48-byte objects without pointers, all 170 slots real. */
static void test_phantoms(void **state) {
  for (int bNew = 0; bNew < 2; bNew++) {
    tl_dump w = {0};
    w_params(&w, bNew ? "go1.22.0" : "go1.21.13");
    uint64_t off0[] = {0};
    uint64_t aP[] = {0xc000012000ull};
    w_object(&w, 0xc000010000ull, 48, aP, 1, off0, 1);            /* slot 0, pointerful */
    w_object(&w, 0xc000010000ull + 167 * 48, 48, aP, 1, off0, 1); /* slot 167: real */
    w_object(&w, 0xc000010000ull + 168 * 48, 48, NULL, 0, NULL, 0);
    w_object(&w, 0xc000010000ull + 169 * 48, 48, NULL, 0, NULL, 0);
    w_object(&w, 0xc000012000ull, 48, NULL, 0, NULL, 0);
    w_object(&w, 0xc000012000ull + 168 * 48, 48, NULL, 0, NULL, 0);
    w_object(&w, 0xc000012000ull + 169 * 48, 48, NULL, 0, NULL, 0);
    /* A big header object after them: its type survives the renumbering. */
    uint64_t aBig[] = {0x5e0000, 0xc000010000ull};
    w_object(&w, 0xc000014000ull, 640, aBig, 2, (uint64_t[]){8}, 1);
    tl_dump_uv(&w, 0);
    int rc;
    hs_case *c = load_bytes(w.p, w.n, &rc);
    assert_int_equal(rc, HS_OK);
    hs_heap *h = c->pHeap;
    assert_int_equal(h->nObj, bNew ? 6 : 8);
    assert_int_equal(hs_heap_find(h, 0xc000010000ull + 168 * 48), bNew ? UINT64_MAX : 2);
    assert_true(hs_heap_find(h, 0xc000012000ull + 169 * 48) != UINT64_MAX);
    assert_int_equal(h->aAddr[h->nObj - 1], 0xc000014000ull);
    assert_int_equal(h->aType[h->nObj - 1], bNew ? 0x5e0000 : 0);
    assert_int_equal(has_diag(c, HS_INFO, "phantom"), bNew);
    hs_case_free(c);
    free(w.p);
  }
}

/* Cutting the dump anywhere keeps what was complete, says where, and never
** reads out of bounds (the asan build runs this too). */
static void test_truncated(void **state) {
  tl_dump w = make_dump();
  for (size_t n = 0; n < w.n; n++) {
    int rc;
    hs_case *c = load_bytes(w.p, n, &rc);
    if (n == 0) {
      hs_case_free(c);
      continue;
    }
    assert_true(rc == HS_ETRUNC || rc == HS_EFORMAT);
    int bOffset = 0;
    for (int i = 0; i < c->nDiag; i++)
      if (c->aDiag[i].level >= HS_WARNING && c->aDiag[i].iOffset != UINT64_MAX &&
          c->aDiag[i].iOffset <= n)
        bOffset = 1;
    if (!bOffset) fail_msg("cut at %zu: no diagnostic with an offset", n);
    if (c->pHeap) assert_true(c->pHeap->nObj <= 5);
    hs_case_free(c);
  }
  /* Cut exactly before the EOF record: everything loaded, a warning. */
  int rc;
  hs_case *c = load_bytes(w.p, w.n - 1, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  assert_non_null(c->pHeap);
  assert_int_equal(c->pHeap->nObj, 5);
  assert_true(has_diag(c, HS_WARNING, "without its EOF record"));
  hs_case_free(c);
  free(w.p);

  /* A real dump cut at several places. */
  find_samples();
  if (!nSample) return;
  hs_caselist cl = open_one(aSample[nSample - 1].zDump);
  hs_input *in = cl.apCase[0]->apInput[0];
  uint64_t nFull = cl.apCase[0]->pHeap->nObj;
  uint64_t aCut[] = {17, 100, in->n / 7, in->n / 3, in->n / 2, in->n - 2};
  for (int k = 0; k < 6; k++) {
    hs_case *t = load_bytes(in->p, aCut[k], &rc);
    assert_true(rc == HS_ETRUNC || rc == HS_EFORMAT);
    assert_true(t->nDiag > 0);
    int bOffset = 0;
    for (int i = 0; i < t->nDiag; i++)
      bOffset |= t->aDiag[i].iOffset != UINT64_MAX && t->aDiag[i].iOffset <= aCut[k];
    assert_true(bOffset);
    if (k >= 3) {
      assert_non_null(t->pHeap);
      assert_true(t->pHeap->nObj > 0 && t->pHeap->nObj <= nFull);
    }
    hs_case_free(t);
  }
  hs_caselist_free(&cl);
}

static void test_corrupt(void **state) {
  const hs_loader *l = hs_loader_find("heapdump");
  assert_non_null(l);
  /* Not heap dumps. */
  assert_int_equal(l->xSniff((const uint8_t *)"\x7f" "ELF\2\1\1", 7), 0);
  assert_int_equal(l->xSniff((const uint8_t *)"go1.7 heap dum", 14), 0);
  assert_int_equal(l->xSniff((const uint8_t *)"goroutine 1 [running]:\n", 23), 0);
  uint8_t aJunk[4096];
  uint32_t x = 12345;
  for (int i = 0; i < 4096; i++) {
    x = x * 1103515245 + 12345;
    aJunk[i] = (uint8_t)(x >> 16);
  }
  assert_int_equal(l->xSniff(aJunk, sizeof aJunk), 0);
  int s = -1;
  const hs_loader *pSniffed = hs_sniff(aJunk, sizeof aJunk, &s);
  assert_true(pSniffed != l);
  assert_int_equal(l->xSniff((const uint8_t *)"go1.7 heap dump\n", 16), 100);

  int rc;
  tl_dump w = {0};
  /* Unknown record kind after params. */
  w_params(&w, "go1.23.0");
  size_t iBad = w.n;
  tl_dump_uv(&w, 99);
  tl_dump_uv(&w, 1);
  hs_case *c = load_bytes(w.p, w.n, &rc);
  assert_non_null(c->pHeap);
  char zOff[64];
  snprintf(zOff, sizeof zOff, "offset %zu", iBad);
  assert_true(has_diag(c, HS_ERROR, "unknown record kind 99"));
  assert_true(has_diag(c, HS_ERROR, zOff));
  hs_case_free(c);

  /* A varint of 11 bytes. */
  w.n = iBad;
  uint8_t aFF[11];
  memset(aFF, 0xff, sizeof aFF);
  tl_dump_bytes(&w, "\x01", 1);
  tl_dump_bytes(&w, aFF, sizeof aFF);
  c = load_bytes(w.p, w.n, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  assert_true(has_diag(c, HS_WARNING, "longer than 10 bytes"));
  assert_true(has_diag(c, HS_WARNING, zOff));
  hs_case_free(c);

  /* A length far beyond the end. */
  w.n = iBad;
  tl_dump_uv(&w, 1);
  tl_dump_uv(&w, 0xc000001000ull);
  tl_dump_uv(&w, 1ull << 40);
  tl_dump_bytes(&w, "abcdefgh", 8);
  c = load_bytes(w.p, w.n, &rc);
  assert_int_equal(rc, HS_ETRUNC);
  assert_true(has_diag(c, HS_WARNING, "which says 1099511627776 bytes follow"));
  assert_int_equal(c->pHeap->nObj, 0);
  hs_case_free(c);

  /* A pointer field outside its object: that record is skipped, the next kept. */
  w.n = iBad;
  w_object(&w, 0xc000001000ull, 16, NULL, 0, (uint64_t[]){12}, 1);
  w_object(&w, 0xc000001010ull, 16, NULL, 0, (uint64_t[]){8}, 1);
  tl_dump_uv(&w, 0);
  c = load_bytes(w.p, w.n, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(c->pHeap->nObj, 1);
  assert_int_equal(c->pHeap->aAddr[0], 0xc000001010ull);
  assert_true(has_diag(c, HS_WARNING, "outside the object"));
  hs_case_free(c);

  /* Overlapping objects (never written by Go): the first by address is kept. */
  w.n = iBad;
  w_object(&w, 0xc000001000ull, 32, NULL, 0, NULL, 0);
  w_object(&w, 0xc000000ff0ull, 32, NULL, 0, NULL, 0);
  w_object(&w, 0xc000002000ull, 16, NULL, 0, NULL, 0);
  tl_dump_uv(&w, 0);
  c = load_bytes(w.p, w.n, &rc);
  assert_int_equal(rc, HS_OK);
  assert_int_equal(c->pHeap->nObj, 2);
  assert_int_equal(c->pHeap->aAddr[0], 0xc000000ff0ull);
  assert_int_equal(c->pHeap->aAddr[1], 0xc000002000ull);
  hs_case_free(c);

  /* An older header is recognised and refused by name. */
  c = load_bytes("go1.4 heap dump\n\x06", 17, &rc);
  assert_int_equal(rc, HS_EFORMAT);
  assert_true(has_diag(c, HS_ERROR, "go1.7 heap dump"));
  hs_case_free(c);
  free(w.p);

  /* One dump per case: the same bytes again (a compressed copy beside the
  ** plain file) load once; a different dump is refused by name. */
  w = make_dump();
  c = hs_case_new("two");
  assert_int_equal(hs_case_load_buffer(c, "a.dump", w.p, w.n, "heapdump"), HS_OK);
  assert_int_equal(hs_case_load_buffer(c, "a.dump.xz", w.p, w.n, "heapdump"), HS_OK);
  assert_true(has_diag(c, HS_INFO, "the same heap dump as a.dump"));
  w.p[w.n - 2] ^= 1;
  assert_int_equal(hs_case_load_buffer(c, "b.dump", w.p, w.n, "heapdump"), HS_EFORMAT);
  assert_true(has_diag(c, HS_ERROR, "already has a heap dump (a.dump)"));
  assert_int_equal(c->pHeap->nObj, 5);
  hs_case_free(c);
  free(w.p);

  /* The decode-only scan agrees with the loader on a whole dump. */
  w = make_dump();
  hs_heapdump_counts cnt;
  uint64_t iEnd;
  assert_int_equal(hs_heapdump_scan(w.p, w.n, &cnt, &iEnd), HS_OK);
  assert_int_equal(iEnd, w.n);
  assert_int_equal(cnt.aRecord[1], 5);
  assert_int_equal(cnt.aRecord[17], 1);
  assert_int_equal(cnt.nNumGC, 3);            /* make_dump's memstats record */
  assert_int_equal(hs_heapdump_scan(w.p, w.n - 1, &cnt, &iEnd), HS_ETRUNC);
  free(w.p);
}

static hs_input *input_of(const char *zName, const uint8_t *p, size_t n) {
  hs_input *in = calloc(1, sizeof *in);
  uint8_t *pCopy = malloc(n);
  assert_non_null(in);
  assert_non_null(pCopy);
  memcpy(pCopy, p, n);
  in->zName = strdup(zName);
  in->p = pCopy;
  in->n = n;
  return in;
}

/* Resident kilobytes of the mapping that starts at p (/proc/self/smaps), or
** UINT64_MAX when there is none. */
static uint64_t rss_kb(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char z[512];
  uint64_t nKb = UINT64_MAX;
  int bIn = 0;
  while (f && fgets(z, sizeof z, f)) {
    unsigned long lo, hi;
    if (sscanf(z, "%lx-%lx ", &lo, &hi) == 2) bIn = lo == (uintptr_t)p;
    else if (bIn && sscanf(z, "Rss: %lu kB", &lo) == 1) nKb = lo;
  }
  if (f) fclose(f);
  return nKb;
}

static int keep_input(void *pArg, hs_input *in, const char *zRel) {
  (void)zRel;
  *(hs_input **)pArg = in;
  return HS_OK;
}

/* A series of dumps too big to be read into memory (the source layer maps
** them): their keys are read, and their pages given back, before the
** latest loads -- the key's walk touched every page of each. */
static void test_series_pages(void **state) {
  (void)state;
  char zDir[] = "/tmp/hs-series-XXXXXX", zPath[2][64];
  assert_non_null(mkdtemp(zDir));
  hs_input *ap[2];
  hs_open_opts o;
  hs_open_opts_init(&o);                      /* the default limits */
  for (int k = 0; k < 2; k++) {
    tl_dump w = {0};
    w_params(&w, "go1.23.0");
    for (uint64_t i = 0; i < 40000 + (uint64_t)k; i++) /* ~1 MiB of records; sizes differ */
      w_object(&w, 0xc000001000ull + 16 * i, 16, NULL, 0, NULL, 0);
    tl_dump_uv(&w, 10);
    for (int i = 0; i < 24 + 256; i++) tl_dump_uv(&w, i);
    tl_dump_uv(&w, k ? 9 : 3);                /* NumGC */
    tl_dump_uv(&w, 0);
    snprintf(zPath[k], sizeof zPath[k], "%s/%d.dump", zDir, k);
    FILE *f = fopen(zPath[k], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(w.p, 1, w.n, f), w.n);
    fclose(f);
    free(w.p);
    char *zErr = NULL;
    ap[k] = NULL;
    assert_int_equal(hs_source_read(zPath[k], &o.limits, keep_input, &ap[k], &zErr), HS_OK);
    assert_non_null(ap[k]);
    assert_true(ap[k]->bMapped);
  }
  hs_case_mark_series(ap, 2);
  assert_int_equal(ap[0]->iSeriesKey, 3);
  assert_int_equal(ap[1]->iSeriesKey, 9);
  assert_int_equal(ap[1]->iSeries, 1);
  hs_case *c = hs_case_new("series");         /* frees the inputs */
  for (int k = 0; k < 2; k++) {
    assert_int_equal(rss_kb(ap[k]->p), 0);
    assert_int_equal(hs_case_add_input(c, ap[k]), HS_OK);
    unlink(zPath[k]);
  }
  hs_case_free(c);
  rmdir(zDir);
}

/* Dumps loaded together are a series: ordered by their GC count, not their
** names; the latest is the case's heap, the others are listed in
** heap.series (a copy of one of them once). */
static void test_series(void **state) {
  (void)state;
  tl_dump w = make_dump();
  /* make_dump's memstats: 24 fields, 256 pauses (the last is 279, varint
  ** 0x97 0x02), then NumGC 3: a second dump written at GC 9 */
  uint8_t *pGC = NULL;
  for (size_t i = 0; i + 2 < w.n; i++)
    if (w.p[i] == 0x97 && w.p[i + 1] == 0x02 && w.p[i + 2] == 3) pGC = w.p + i + 2;
  assert_non_null(pGC);
  hs_input *ap[3];
  *pGC = 9;
  ap[0] = input_of("a.dump", w.p, w.n);     /* GC 9: the latest, though named first */
  *pGC = 3;
  ap[1] = input_of("b.dump", w.p, w.n);
  ap[2] = input_of("c.dump.xz", w.p, w.n);  /* a copy of b.dump */
  hs_case_mark_series(ap, 3);
  assert_int_equal(ap[0]->iSeries, 1);
  assert_int_equal(ap[1]->iSeries, 2);
  assert_int_equal(ap[2]->iSeries, 2);
  assert_int_equal(ap[0]->iSeriesKey, 9);
  assert_int_equal(ap[1]->iSeriesKey, 3);
  hs_case *c = hs_case_new("series");
  for (int i = 1; i >= 0; i--) assert_int_equal(hs_case_load_input(c, ap[i], NULL), HS_OK);
  assert_int_equal(hs_case_load_input(c, ap[2], NULL), HS_OK);
  assert_non_null(c->pHeap);
  assert_string_equal(c->pHeap->zFile, "a.dump");
  assert_int_equal(c->nError, 0);
  assert_true(has_diag(c, HS_INFO, "the same heap dump as b.dump"));
  hs_case_seal(c);
  hs_table *t = hs_case_table(c, "heap.series");
  assert_non_null(t);
  assert_int_equal(t->nRow, 2);
  int iIn = hs_table_colidx(t, "input"), iGC = hs_table_colidx(t, "num_gc");
  int iLatest = hs_table_colidx(t, "latest");
  assert_string_equal(hs_table_str(t, iIn, 0), "b.dump");
  assert_int_equal(hs_table_u64(t, iGC, 0), 3);
  assert_int_equal(hs_table_u64(t, iLatest, 0), 0);
  assert_string_equal(hs_table_str(t, iIn, 1), "a.dump");
  assert_int_equal(hs_table_u64(t, iGC, 1), 9);
  assert_int_equal(hs_table_u64(t, iLatest, 1), 1);
  hs_case_free(c);
  /* one dump and its copy: no series */
  ap[0] = input_of("b.dump", w.p, w.n);
  ap[1] = input_of("b.dump.xz", w.p, w.n);
  hs_case_mark_series(ap, 2);
  assert_int_equal(ap[0]->iSeries, 0);
  assert_int_equal(ap[1]->iSeries, 0);
  for (int i = 0; i < 2; i++) {               /* not loaded: the test owns them */
    free((void *)ap[i]->p);
    free(ap[i]->zName);
    free(ap[i]);
  }
  free(w.p);
}

/* ------------------------------------------------------------------ */
/* The read-ahead (core/formats/dumpahead.c): a second thread parses the
** later object records; the loader takes them only where its own reading
** meets them, so the tables must be the one-thread load's byte for byte. */

static void same_heap(const char *zWhat, const hs_case *a, const hs_case *b) {
  const hs_heap *x = a->pHeap, *y = b->pHeap;
  assert_non_null(x);
  assert_non_null(y);
  if (x->nObj != y->nObj) fail_msg("%s: %llu objects, read ahead %llu", zWhat,
                                   (unsigned long long)x->nObj, (unsigned long long)y->nObj);
  size_t n = (size_t)x->nObj;
  assert_memory_equal(x->aAddr, y->aAddr, n * 8);
  assert_memory_equal(x->aSize, y->aSize, n * 8);
  assert_memory_equal(x->aContentOff, y->aContentOff, n * 8);
  assert_memory_equal(x->aType, y->aType, n * 8);
  assert_memory_equal(x->aTypeName, y->aTypeName, n * 4);
  assert_memory_equal(x->aBucket, y->aBucket, n * 4);
  assert_int_equal(x->nField, y->nField);
  assert_int_equal(x->nFieldMax, y->nFieldMax);
  assert_int_equal(x->nPhantom, y->nPhantom);
  assert_int_equal(x->nRoot, y->nRoot);
  assert_int_equal(x->iObjRecFirst, y->iObjRecFirst);
  assert_int_equal(x->iObjRecEnd, y->iObjRecEnd);
  assert_int_equal(x->bObjContig, y->bObjContig);
  assert_int_equal(a->nDiag, b->nDiag);
  for (int i = 0; i < a->nDiag; i++) assert_string_equal(a->aDiag[i].zMsg, b->aDiag[i].zMsg);
}

/* Loads p twice, on one thread and with the read-ahead on; returns the
** records the read-ahead handed over. */
static uint64_t load_both(const char *zWhat, const void *p, size_t n) {
  uint64_t nMin = hs_ahead_min_bytes;
  int rc1, rc2;
  hs_ahead_min_bytes = UINT64_MAX;
  hs_case *a = load_bytes(p, n, &rc1);
  hs_ahead_min_bytes = 0;
  hs_ahead_patient = 1;
  setenv("HEAPSCOPE_THREADS", "2", 1);               /* even on one core */
  hs_case *b = load_bytes(p, n, &rc2);
  hs_ahead_min_bytes = nMin;
  assert_int_equal(rc1, rc2);
  assert_int_equal(a->pHeap->nObjAhead, 0);
  same_heap(zWhat, a, b);
  uint64_t nAhead = b->pHeap->nObjAhead;
  hs_case_free(a);
  hs_case_free(b);
  return nAhead;
}

/* Every sample loads the same either way; the read-ahead meets the loader
** where its half of the dump has object records in a row (not where a few
** huge buffers or the goroutines fill it). */
static void test_read_ahead_samples(void **state) {
  find_samples();
  if (!nSample) skip();
  int nMet = 0;
  for (int k = 0; k < nSample; k++) {
    hs_caselist cl = open_one(aSample[k].zDump);     /* decompressed by the source layer */
    const hs_input *in = cl.apCase[0]->apInput[0];
    nMet += load_both(aSample[k].zDump, in->p, in->n) > 0;
    hs_caselist_free(&cl);
  }
  assert_true(nMet >= nSample / 2);
}

/* Many small objects: the read-ahead begins at the first record at or past
** its search point and the loader takes every object record from there. */
static void test_read_ahead_met(void **state) {
  tl_dump w = {0};
  uint64_t aOff[2] = {0, 16};
  uint8_t aZero[48] = {0};
  tl_dump_params(&w, 0xc000000000ull, 0xc004000000ull, "amd64", "go1.23.0", 4);
  for (int i = 0; i < 30000; i++)
    tl_dump_object(&w, 0xc000100000ull + 48 * (uint64_t)i, aZero, 48, aOff, i % 3);
  tl_dump_uv(&w, 0);                                  /* EOF */
  uint64_t nAhead = load_both("small objects", w.p, w.n);
  assert_true(nAhead > 30000 / 3 && nAhead < 30000 * 2 / 3);
  free(w.p);
}

/* A big object whose contents are themselves well-formed object records,
** where the read-ahead starts looking: it finds a start inside the object,
** which the loader never stops on; the guess must be thrown away. */
static void test_read_ahead_fooled(void **state) {
  tl_dump fake = {0};
  uint64_t aOff[2] = {0, 16};
  uint8_t aZero[64] = {0};
  for (int i = 0; i < 20000; i++)
    tl_dump_object(&fake, 0xc000400000ull + 64 * (uint64_t)i, aZero, 64, aOff, 2);
  tl_dump w = {0};
  tl_dump_params(&w, 0xc000000000ull, 0xc004000000ull, "amd64", "go1.23.0", 4);
  for (int i = 0; i < 100; i++)
    tl_dump_object(&w, 0xc000001000ull + 64 * (uint64_t)i, aZero, 64, aOff, 2);
  tl_dump_object(&w, 0xc001000000ull, fake.p, fake.n, NULL, 0);
  for (int i = 0; i < 100; i++)
    tl_dump_object(&w, 0xc002000000ull + 64 * (uint64_t)i, aZero, 64, aOff, 2);
  tl_dump_uv(&w, 0);                                  /* EOF */
  assert_int_equal(load_both("fooled", w.p, w.n), 0);
  free(fake.p);
  free(w.p);
}

/* Cut and damaged copies of a sample: whatever the loader reports, the
** read-ahead changes nothing. */
static void test_read_ahead_damaged(void **state) {
  find_samples();
  if (!nSample) skip();
  hs_caselist cl = open_one(aSample[0].zDump);
  const hs_input *in = cl.apCase[0]->apInput[0];
  uint8_t *p = malloc(in->n);
  assert_non_null(p);
  uint64_t nMet = 0;
  for (int k = 1; k <= 9; k++) {
    uint64_t iAt = in->n / 10 * (uint64_t)k;
    memcpy(p, in->p, in->n);
    nMet += load_both("cut", p, (size_t)iAt) > 0;     /* cut short there */
    p[iAt] = 0xff;                                    /* a varint that runs on */
    p[iAt + 1] = 0xff;
    load_both("damaged", p, in->n);
    p[iAt] = 0x2a;                                    /* an unknown record kind, maybe */
    load_both("damaged", p, in->n);
  }
  assert_true(nMet > 0);                              /* the cuts after its start */
  free(p);
  hs_caselist_free(&cl);
}

/* Where the read-ahead starts looking lies inside a long field list (a
** big []*T: bytes 01 NN ..., each 01 the start of a try) and a run of 0x01
** bytes (a []bool of trues): each try must give up at once, not walk the
** rest of the run (which made the search quadratic: minutes for this). */
static void test_read_ahead_long_runs(void **state) {
  enum { NPTR = 1 << 18, NBOOL = 1 << 20 };
  uint64_t *aOff = malloc(NPTR * sizeof *aOff);
  uint8_t *pBig = calloc(NPTR, 8), *pTrue = malloc(NBOOL);
  assert_true(aOff && pBig && pTrue);
  for (uint64_t i = 0; i < NPTR; i++) aOff[i] = 8 * i;
  memset(pTrue, 1, NBOOL);
  uint64_t aOne[1] = {0};
  uint8_t aZero[32] = {0};
  tl_dump w = {0};
  tl_dump_params(&w, 0xc000000000ull, 0xc004000000ull, "amd64", "go1.23.0", 4);
  for (int i = 0; i < 100; i++)
    tl_dump_object(&w, 0xc000001000ull + 32 * (uint64_t)i, aZero, 32, aOne, 1);
  tl_dump_object(&w, 0xc001000000ull, pBig, NPTR * 8, aOff, NPTR);
  tl_dump_object(&w, 0xc002000000ull, pTrue, NBOOL, NULL, 0);
  for (int i = 0; i < 100; i++)
    tl_dump_object(&w, 0xc003000000ull + 32 * (uint64_t)i, aZero, 32, aOne, 1);
  tl_dump_uv(&w, 0);                                  /* EOF */
  load_both("long runs", w.p, w.n);
  free(w.p);
  free(aOff);
  free(pBig);
  free(pTrue);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handmade),
      cmocka_unit_test(test_corrupt),
      cmocka_unit_test(test_phantoms),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_samples),
      cmocka_unit_test(test_series),
      cmocka_unit_test(test_series_pages),
      cmocka_unit_test(test_read_ahead_samples),
      cmocka_unit_test(test_read_ahead_met),
      cmocka_unit_test(test_read_ahead_fooled),
      cmocka_unit_test(test_read_ahead_damaged),
      cmocka_unit_test(test_read_ahead_long_runs),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  for (int i = 0; i < nSample; i++) {
    free(aSample[i].zDir);
    free(aSample[i].zDump);
    json_object_put(aSample[i].pFacts);
  }
  return rc;
}
