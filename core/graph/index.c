/*
 * Index files: a built heap graph saved so that reopening a large dump does
 * not recompute it.
 *
 * An index lives next to the dump as <dump>.hsidx when the dump is a file
 * in a writable directory; otherwise (archive members, read-only inputs) in
 * the cache directory, $XDG_CACHE_HOME/heapscope/<content hash>.hsidx
 * (~/.cache/heapscope without XDG_CACHE_HOME), keyed by the dump's content
 * so that the same dump found again under any path or archive reuses it.
 *
 * Trust.  An index is believed only for the exact dump that made it, read by
 * this exact heapscope: the key is an XXH3 hash of every byte of the
 * (decompressed) dump, its length, its object count and heapscope's version
 * (a warm 700 MB dump hashes in about 0.15 s of CPU, shared by two threads
 * when reopening: see hash_pieces; mtime, size and path are not
 * part of the key, since cp -p, rsync -a and tar keep them while the bytes
 * change).  Checksums catch damage; they do not stop a forger who
 * recomputes them, so the reader also checks what is cheap to check and
 * would be wrong in a forged file: every id in range, the dominator tree a
 * tree (depth[v] = depth[idom v] + 1), shallow sizes equal to the dump's
 * objects, every retained size equal to its own size plus its dominator
 * children's and every count 1 plus theirs, and the reverse edges the
 * transpose of the forward ones by count.  An index failing any check is
 * rebuilt, never believed.
 *
 * Writing goes to <index>.tmp<pid>, renamed into place when complete; a run
 * interrupted meanwhile unlinks it (hs_index_abort_tmp, async-signal-safe),
 * and a temporary left by a killed run (its pid gone) is removed by the next
 * run that writes an index there.
 *
 * Layout (all integers in the writer's byte order, recorded in "endian"):
 *
 *   offset        size  field
 *   0             8     magic "HSIDX01\n"
 *   8             4     H: length of the header, little-endian u32
 *   12            H     header: a msgpack map, keys below
 *   12+H          8     checksum of bytes 0 .. 12+H, little-endian u64
 *   D = align64(20+H)   sections, each at D + its "off" (a multiple of 64)
 *
 *   header key    type    meaning
 *   version       uint    5
 *   endian        uint    0x01020304 as the writer stored it in a u32
 *   heapscope     str     HS_VERSION of the writer
 *   bytes         uint    decompressed length of the dump
 *   hash          uint    of the whole dump (hs_index_hash: XXH3-64 of the
 *                         XXH3-64s of its 16 MiB pieces, big-endian)
 *   nobj, nroot, nedge    uint    counts (see graph.h)
 *   unreachable, unreachable_bytes, dropped, root_dropped   uint
 *   sections      array   of [name str, off uint, len uint, sum uint]
 *
 *   section    element  count    graph.h field
 *   fwd_start  u32      nobj+2   aFwdStart
 *   fwd_dst    u32      nedge    aFwdDst
 *   fwd_off    u32      nedge    aFwdOff
 *   rev_start  u32      nobj+2   aRevStart
 *   rev_src    u32      nedge    aRevSrc
 *   idom       u32      nobj+1   aIdom
 *   parent     u32      nobj+1   aParent
 *   depth      u32      nobj+1   aDepth
 *   retained   u64      nobj+1   aRetained
 *   count      u32      nobj+1   aCount
 *   size       u64      nobj+1   aSize
 *
 * Reading maps the file once (read-only) and points the graph's arrays into
 * the mapping.  Nothing in the file is trusted: every offset and length is
 * checked against the file size and the counts, every section against its
 * checksum, every id against the object count (so even a file with a forged
 * checksum cannot make the graph code read out of bounds), and the
 * consistency checks above.  Reopening a dump (hs_index_reopen) checks the
 * object columns and sizes at once, with the dump's hash, since the loader
 * uses them right away; the graph's sections are checked when the graph is
 * first used (hs_index_check from hs_case_graph): nothing reads them before,
 * and a session that never asks for the graph never pays for them.  A graph
 * failing then is rebuilt from the dump and the index rewritten.  The checks
 * cost one pass over the file (each section's ids are checked while its
 * checksum is taken, a piece at a time), a random-access pass over the trees
 * and one over the forward edges, plus 16 bytes per object of scratch; with
 * two threads the checks are split in two halves that run beside each other
 * (check_part), the dump's hash shared between them.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#define XXH_STATIC_LINKING_ONLY             /* XXH3_state_t on the stack */
#include <xxhash.h>
#include <xxh_x86dispatch.h> /* XXH3 with the widest vectors the CPU has, chosen at run time */

#include "heapscope/graph.h"
#include "heapscope/heap.h"

#define IDX_MAGIC "HSIDX01\n"
#define IDX_VERSION 5
#define IDX_ENDIAN 0x01020304u
#define IDX_ALIGN 64

/* ---------------------------------------------------------------- hashing */

/* Checksums of the header and sections: XXH3 (about 10 GB/s; the
** multiply-add lanes used before ran at a third of that, and the checksums
** are most of what reopening a large index costs). */
static uint64_t checksum(const uint8_t *p, uint64_t n) { return XXH3_64bits(p, (size_t)n); }

/* The dump's hash is an XXH3 of the XXH3s of its 16 MiB pieces (each as 8
** big-endian bytes), so that two threads can share the work (hash_pieces).
** A mapped file's pages are handed back behind the hash (they stay in the
** page cache), so hashing adds nothing to the resident set: otherwise
** reopening would hold the whole dump. */
#define PIECE ((uint64_t)16 << 20)

typedef struct hash_work {
  const uint8_t *p;
  uint64_t n;
  int bMapped;
  uint64_t nPiece;
  XXH64_canonical_t *aPiece;  /* each piece's hash, filled by hash_pieces */
  uint64_t iNext;             /* the next piece to take (atomic) */
} hash_work;

static XXH64_canonical_t piece_hash(const hash_work *w, uint64_t i) {
  uint64_t nOff = i * PIECE, nLen = w->n - nOff < PIECE ? w->n - nOff : PIECE;
  XXH64_canonical_t c;
  XXH64_canonicalFromHash(&c, XXH3_64bits(w->p + nOff, (size_t)nLen));
  if (w->bMapped && nLen == PIECE) madvise((void *)(w->p + nOff), (size_t)nLen, MADV_DONTNEED);
  return c;
}

/* Hash pieces not yet taken by another thread. */
static void hash_pieces(hash_work *w) {
  uint64_t i;
  while ((i = __atomic_fetch_add(&w->iNext, 1, __ATOMIC_RELAXED)) < w->nPiece)
    w->aPiece[i] = piece_hash(w, i);
}

static uint64_t pieces_digest(const hash_work *w) {
  return XXH3_64bits(w->aPiece, (size_t)w->nPiece * sizeof *w->aPiece);
}

/* The hash of p[0..n) on one thread, allocating nothing. */
static uint64_t pieces_hash(const uint8_t *p, uint64_t n, int bMapped) {
  hash_work w = {p, n, bMapped, (n + PIECE - 1) / PIECE, NULL, 0};
  XXH3_state_t st;
  XXH3_INITSTATE(&st);
  XXH3_64bits_reset(&st);
  for (uint64_t i = 0; i < w.nPiece; i++) {
    XXH64_canonical_t c = piece_hash(&w, i);
    XXH3_64bits_update(&st, &c, sizeof c);
  }
  return XXH3_64bits_digest(&st);
}

uint64_t hs_index_hash(const uint8_t *p, uint64_t n) { return pieces_hash(p, n, 0); }

static uint64_t dump_hash(const hs_input *pIn) {
  return pieces_hash(pIn->p, pIn->n, pIn->bMapped);
}

/* hs_index_key_init; bHash 0 leaves iHash 0 for the caller to fill. */
static void key_fill(hs_index_key *k, const hs_input *pIn, uint32_t nObj,
                     const uint64_t *aObjSize, int bHash) {
  memset(k, 0, sizeof *k);
  k->zPath = pIn->zPath;
  k->zName = pIn->zName;
  k->bMember = pIn->zName && pIn->zPath && strcmp(pIn->zName, pIn->zPath) != 0;
  k->nBytes = pIn->n;
  k->iHash = bHash && pIn->p ? dump_hash(pIn) : 0;
  k->nObj = nObj;
  k->aObjSize = aObjSize;
  k->pDump = pIn->p;
}

void hs_index_key_init(hs_index_key *k, const hs_input *pIn, uint32_t nObj,
                       const uint64_t *aObjSize) {
  key_fill(k, pIn, nObj, aObjSize, 1);
}

/* ---------------------------------------------------------------- location */

static int is_dir_writable(const char *zFile) {
  char *z = hs_strdup(zFile);
  if (!z) return 0;
  char *zSlash = strrchr(z, '/');
  int ok;
  if (zSlash == z)
    ok = access("/", W_OK) == 0;
  else if (zSlash) {
    *zSlash = 0;
    ok = access(z, W_OK) == 0;
  } else
    ok = access(".", W_OK) == 0;
  free(z);
  return ok;
}

/* <dump>.hsidx, for a dump that is a file of its own (not a member). */
static char *path_beside(const hs_index_key *k) {
  if (k->bMember) return NULL;
  return hs_mprintf("%s.hsidx", k->zPath);
}

/* $XDG_CACHE_HOME/heapscope/<hash>-<bytes>.hsidx; mkdir -p when bMake. */
static char *path_in_cache(const hs_index_key *k, int bMake) {
  const char *zXdg = getenv("XDG_CACHE_HOME");
  const char *zHome = getenv("HOME");
  char *zDir;
  if (zXdg && zXdg[0] == '/')
    zDir = hs_mprintf("%s/heapscope", zXdg);
  else if (zHome && zHome[0])
    zDir = hs_mprintf("%s/.cache/heapscope", zHome);
  else
    return NULL;
  if (!zDir) return NULL;
  if (bMake) {
    for (char *p = zDir + 1; *p; p++) {       /* mkdir -p, one level at a time */
      if (*p != '/') continue;
      *p = 0;
      mkdir(zDir, 0755);
      *p = '/';
    }
    mkdir(zDir, 0755);
  }
  char *z = hs_mprintf("%s/%016llx-%llu.hsidx", zDir, (unsigned long long)k->iHash,
                       (unsigned long long)k->nBytes);
  free(zDir);
  return z;
}

char *hs_index_path(const hs_index_key *k, int bWrite) {
  if (!k->zPath || !k->zPath[0]) return NULL;
  if (bWrite) {
    if (!k->bMember && is_dir_writable(k->zPath)) return path_beside(k);
    return path_in_cache(k, 1);
  }
  char *z = path_beside(k);
  if (z && access(z, R_OK) == 0) return z;
  free(z);
  return path_in_cache(k, 0);
}

/* ------------------------------------------------------------- temporaries */

/* The temporary being written, for hs_index_abort_tmp (a signal handler may
** call it: it only reads this buffer and calls unlink). */
static char gzTmp[PATH_MAX];
static volatile sig_atomic_t gbTmp;

void hs_index_abort_tmp(void) {
  if (gbTmp) unlink(gzTmp);
  gbTmp = 0;
}

/* SIGTERM or SIGHUP while a temporary is being written: remove it, then
** die of the signal as if we had not caught it. */
static void on_fatal_signal(int iSig) {
  hs_index_abort_tmp();
  signal(iSig, SIG_DFL);
  raise(iSig);
}

/* Remove <zIdx>.tmp<pid> files whose writer is gone (killed mid-write).
** Costs one directory listing, only when an index is about to be written. */
static void remove_stale_tmp(const char *zIdx) {
  const char *zSlash = strrchr(zIdx, '/');
  char *zDir = zSlash ? hs_mprintf("%.*s", (int)(zSlash - zIdx), zIdx) : hs_strdup(".");
  const char *zBase = zSlash ? zSlash + 1 : zIdx;
  size_t nBase = strlen(zBase);
  DIR *d = zDir ? opendir(zDir[0] ? zDir : "/") : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, zBase, nBase) != 0 || strncmp(e->d_name + nBase, ".tmp", 4) != 0)
      continue;
    char *zEnd;
    long iPid = strtol(e->d_name + nBase + 4, &zEnd, 10);
    if (*zEnd || iPid <= 0 || iPid == (long)getpid()) continue;
    if (kill((pid_t)iPid, 0) == 0 || errno != ESRCH) continue;   /* still running */
    char *zStale = hs_mprintf("%s/%s", zDir, e->d_name);
    if (zStale) unlink(zStale);
    free(zStale);
  }
  if (d) closedir(d);
  free(zDir);
}

/* ---------------------------------------------------------------- sections */

/* What a section's values must be before the graph code may index with
** them (checked in the same pass as its checksum, while each piece of it is
** in the cache). */
enum { CK_NONE, CK_CSR, CK_ID, CK_ID_NONE, CK_DEPTH };

typedef struct section {
  const char *zName;
  size_t nElem;       /* element size */
  uint64_t nCount;
  void **ppData;      /* the graph field */
  int check;          /* CK_*: what its values must be (section_ok) */
  int iPart;          /* which of the two validation jobs checks it (check_part) */
  int bObj;           /* 1: the objects' (checked on reopen, the rest on first use) */
} section;

/* The heap dump's object columns, saved beside the graph so that reopening
** the dump skips its object records (hs_index_reopen): the arrays point
** into the mapping; sizes are the graph's "size" section. */
typedef struct idx_objs {
  int bHave;
  uint64_t *aAddr, *aContent, *aType;   /* nObj each */
  uint64_t iFirst, iEnd;                /* byte range of the object records */
  uint64_t nField, nFieldMax, nPhantom;
} idx_objs;

/* The section table for g (counts from g's nObj and nEdge), and with o the
** object columns after it. */
static int sections(hs_graph *g, idx_objs *o, section *a) {
  uint64_t nN = (uint64_t)g->nObj + 1, m = g->nEdge;
  section s[] = {
      {"fwd_start", 4, nN + 1, (void **)&g->aFwdStart, CK_CSR, 1, 0},
      {"fwd_dst", 4, m, (void **)&g->aFwdDst, CK_ID, 0, 0},
      {"fwd_off", 4, m, (void **)&g->aFwdOff, CK_NONE, 1, 0},
      {"rev_start", 4, nN + 1, (void **)&g->aRevStart, CK_CSR, 1, 0},
      {"rev_src", 4, m, (void **)&g->aRevSrc, CK_ID, 1, 0},
      {"idom", 4, nN, (void **)&g->aIdom, CK_ID_NONE, 1, 0},
      {"parent", 4, nN, (void **)&g->aParent, CK_ID_NONE, 1, 0},
      {"depth", 4, nN, (void **)&g->aDepth, CK_DEPTH, 1, 0},
      {"retained", 8, nN, (void **)&g->aRetained, CK_NONE, 1, 0},
      {"count", 4, nN, (void **)&g->aCount, CK_NONE, 0, 0},
      {"size", 8, nN, (void **)&g->aSize, CK_NONE, 1, 1},
  };
  memcpy(a, s, sizeof s);
  int n = (int)(sizeof s / sizeof s[0]);
  if (o) {
    uint64_t nObj = g->nObj;
    a[n++] = (section){"obj_addr", 8, nObj, (void **)&o->aAddr, CK_NONE, 0, 1};
    a[n++] = (section){"obj_content", 8, nObj, (void **)&o->aContent, CK_NONE, 0, 1};
    a[n++] = (section){"obj_type", 8, nObj, (void **)&o->aType, CK_NONE, 0, 1};
  }
  return n;
}
#define NSECTION 14

static uint64_t align_up(uint64_t n) { return (n + IDX_ALIGN - 1) & ~(uint64_t)(IDX_ALIGN - 1); }

static void pack_str(msgpack_packer *pk, const char *z) {
  size_t n = strlen(z);
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, z, n);
}

static void pack_kv(msgpack_packer *pk, const char *zKey, uint64_t v) {
  pack_str(pk, zKey);
  msgpack_pack_uint64(pk, v);
}

int hs_index_write(const char *zIdx, const hs_index_key *k, const hs_graph *gIn) {
  int rc = HS_ERR;
  FILE *f = NULL;
  char *zTmp = NULL;
  int bSig = 0;
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  if (!zIdx || !gIn) goto done;
  hs_graph g = *gIn;                          /* sections() wants non-const */
  /* The object columns too, when the loader saw all the object records in
  ** one stretch of the dump (as Go writes them) and they are this graph's. */
  const hs_heap *h = k->pHeap;
  idx_objs o = {0};
  if (h && h->bObjContig && h->nObj == g.nObj) {
    o = (idx_objs){1, h->aAddr, h->aContentOff, h->aType, h->iObjRecFirst, h->iObjRecEnd,
                   h->nField, h->nFieldMax, h->nPhantom};
  }
  section aSec[NSECTION];
  int nSec = sections(&g, o.bHave ? &o : NULL, aSec);
  uint64_t aOff[NSECTION], nOff = 0;
  for (int i = 0; i < nSec; i++) {
    aOff[i] = nOff;
    nOff = align_up(nOff + aSec[i].nCount * aSec[i].nElem);
  }

  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, o.bHave ? 14 : 13);
  pack_kv(&pk, "version", IDX_VERSION);
  pack_kv(&pk, "endian", IDX_ENDIAN);
  pack_str(&pk, "heapscope");
  pack_str(&pk, HS_VERSION);
  pack_kv(&pk, "bytes", k->nBytes);
  pack_kv(&pk, "hash", k->iHash);
  pack_kv(&pk, "nobj", g.nObj);
  pack_kv(&pk, "nroot", g.nRoot);
  pack_kv(&pk, "nedge", g.nEdge);
  pack_kv(&pk, "unreachable", g.nUnreachable);
  pack_kv(&pk, "unreachable_bytes", g.nUnreachableBytes);
  pack_kv(&pk, "dropped", g.nDropped);
  pack_kv(&pk, "root_dropped", g.nRootDropped);
  if (o.bHave) {
    pack_str(&pk, "objects");                 /* first, end, nfield, nfield_max, nphantom */
    msgpack_pack_array(&pk, 5);
    msgpack_pack_uint64(&pk, o.iFirst);
    msgpack_pack_uint64(&pk, o.iEnd);
    msgpack_pack_uint64(&pk, o.nField);
    msgpack_pack_uint64(&pk, o.nFieldMax);
    msgpack_pack_uint64(&pk, o.nPhantom);
  }
  pack_str(&pk, "sections");
  msgpack_pack_array(&pk, nSec);
  for (int i = 0; i < nSec; i++) {
    uint64_t nLen = aSec[i].nCount * aSec[i].nElem;
    msgpack_pack_array(&pk, 4);
    pack_str(&pk, aSec[i].zName);
    msgpack_pack_uint64(&pk, aOff[i]);
    msgpack_pack_uint64(&pk, nLen);
    msgpack_pack_uint64(&pk, checksum(*aSec[i].ppData, nLen));
  }

  remove_stale_tmp(zIdx);
  struct sigaction saTerm, saHup, sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &saTerm);
  sigaction(SIGHUP, &sa, &saHup);
  bSig = 1;
  zTmp = hs_mprintf("%s.tmp%ld", zIdx, (long)getpid());
  if (!zTmp || strlen(zTmp) >= sizeof gzTmp) goto done;
  memcpy(gzTmp, zTmp, strlen(zTmp) + 1);
  gbTmp = 1;
  if (!(f = fopen(zTmp, "wb"))) goto done;
  uint8_t aHead[12];
  memcpy(aHead, IDX_MAGIC, 8);
  uint32_t nH = (uint32_t)sb.size;
  for (int i = 0; i < 4; i++) aHead[8 + i] = (uint8_t)(nH >> (8 * i));
  static const uint8_t aZero[IDX_ALIGN];
  uint8_t *pAll = malloc(12 + sb.size);
  if (!pAll) goto done;
  memcpy(pAll, aHead, 12);
  memcpy(pAll + 12, sb.data, sb.size);
  uint64_t iSum = checksum(pAll, 12 + sb.size);
  free(pAll);
  uint8_t aSum[8];
  for (int i = 0; i < 8; i++) aSum[i] = (uint8_t)(iSum >> (8 * i));
  uint64_t nPos = 20 + sb.size, nData = align_up(nPos);
  if (fwrite(aHead, 1, 12, f) != 12 || fwrite(sb.data, 1, sb.size, f) != sb.size ||
      fwrite(aSum, 1, 8, f) != 8 || fwrite(aZero, 1, nData - nPos, f) != nData - nPos)
    goto done;
  nPos = 0;
  for (int i = 0; i < nSec; i++) {
    uint64_t nLen = aSec[i].nCount * aSec[i].nElem;
    if (fwrite(aZero, 1, aOff[i] - nPos, f) != aOff[i] - nPos) goto done;
    if (nLen && fwrite(*aSec[i].ppData, 1, nLen, f) != nLen) goto done;
    nPos = aOff[i] + nLen;
  }
  if (fclose(f) != 0) {
    f = NULL;
    goto done;
  }
  f = NULL;
  if (rename(zTmp, zIdx) != 0) goto done;
  rc = HS_OK;

done:;
  int iErr = errno;
  if (f) fclose(f);
  gbTmp = 0;
  if (bSig) {
    sigaction(SIGTERM, &saTerm, NULL);
    sigaction(SIGHUP, &saHup, NULL);
  }
  if (rc != HS_OK && zTmp) unlink(zTmp);
  free(zTmp);
  msgpack_sbuffer_destroy(&sb);
  errno = iErr;
  return rc;
}

/* ---------------------------------------------------------------- reading */

static int obj_key_eq(const msgpack_object *o, const char *z) {
  size_t n = strlen(z);
  return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
         memcmp(o->via.str.ptr, z, n) == 0;
}

static int get_uint(const msgpack_object *pMap, const char *zKey, uint64_t *pv) {
  for (uint32_t i = 0; i < pMap->via.map.size; i++) {
    const msgpack_object_kv *kv = &pMap->via.map.ptr[i];
    if (obj_key_eq(&kv->key, zKey)) {
      if (kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER) return 0;
      *pv = kv->val.via.u64;
      return 1;
    }
  }
  return 0;
}

static const msgpack_object *get_val(const msgpack_object *pMap, const char *zKey) {
  for (uint32_t i = 0; i < pMap->via.map.size; i++)
    if (obj_key_eq(&pMap->via.map.ptr[i].key, zKey)) return &pMap->via.map.ptr[i].val;
  return NULL;
}

/* Check that a msgpack value in p[0..n) frames within n bytes and that no
** container declares more elements than bytes remain, before
** msgpack_unpack_next allocates for the declared counts (a forged header
** asking for 2^32 elements would otherwise be a 2 GB allocation).  One pass,
** no recursion: `nNeed` counts the values still to read. */
static int mp_sane(const uint8_t *p, size_t n) {
  size_t i = 0;
  uint64_t nNeed = 1;
  while (nNeed) {
    if (i >= n) return 0;
    uint8_t t = p[i++];
    uint64_t nLen = 0, nItems = 0;
    nNeed--;
    if (t <= 0x7f || t >= 0xe0 || (t >= 0xc0 && t <= 0xc3)) continue; /* fixint, nil, bool */
    if ((t & 0xe0) == 0xa0) nLen = t & 0x1f;                            /* fixstr */
    else if ((t & 0xf0) == 0x90) nItems = t & 0x0f;                     /* fixarray */
    else if ((t & 0xf0) == 0x80) nItems = 2 * (uint64_t)(t & 0x0f);     /* fixmap */
    else {
      static const uint8_t aFixed[] = {/* 0xca..0xd3 */ 4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
      if (t >= 0xca && t <= 0xd3) {
        nLen = aFixed[t - 0xca];
      } else if (t >= 0xd4 && t <= 0xd8) {                             /* fixext */
        nLen = 1 + (1u << (t - 0xd4));
      } else {
        int nW;                                                         /* width of the count */
        switch (t) {
          case 0xc4: case 0xc7: case 0xd9: nW = 1; break;
          case 0xc5: case 0xc8: case 0xda: case 0xdc: case 0xde: nW = 2; break;
          case 0xc6: case 0xc9: case 0xdb: case 0xdd: case 0xdf: nW = 4; break;
          default: return 0;                                            /* 0xc1: never used */
        }
        if (n - i < (size_t)nW) return 0;
        uint64_t c = 0;
        for (int k = 0; k < nW; k++) c = c << 8 | p[i++];
        if (t == 0xdc || t == 0xdd) nItems = c;
        else if (t == 0xde || t == 0xdf) nItems = 2 * c;
        else nLen = c + (t >= 0xc7 && t <= 0xc9);                      /* ext: + type byte */
      }
    }
    if (nLen > n - i || nItems > n - i) return 0;
    i += nLen;
    nNeed += nItems;
  }
  return 1;
}

/* The checks a forger who recomputes checksums must still pass (see the
** essay): the trees are trees, sizes are the dump's, retained sizes and
** counts add up (transposed() checks the reverse edges).  g's ids are
** already known to be in range.  consistent_nodes checks nodes [v0, v1)
** (the two check threads take a part each) and consistent_sums what they
** added up: each idom's retained sizes and counts of the nodes it
** dominates directly (aAcc and aAccN, shared by the two parts, added to
** atomically when bShared), and the unreachable nodes and bytes.  O(n + m)
** time, 12 bytes per object of scratch. */
typedef struct tree_sums {
  uint64_t *aAcc;
  uint32_t *aAccN;
  int bShared;
  uint64_t nUnreach, nUnreachBytes;
} tree_sums;

static int consistent_nodes(const hs_graph *g, const hs_index_key *k, uint32_t v0, uint32_t v1,
                            tree_sums *t) {
  uint32_t nN = g->nObj + 1;
  uint64_t *aAcc = t->aAcc;
  uint32_t *aAccN = t->aAccN;
  /* The loop reads and writes at random ids; prefetching a few nodes ahead
  ** lets the misses overlap (3-4x faster on large heaps). */
  for (uint32_t v = v0; v < v1; v++) {
    if (v + 16 < v1) {
      uint32_t d16 = g->aIdom[v + 16], p16 = g->aParent[v + 16];
      if (d16 < nN) {
        __builtin_prefetch(&g->aDepth[d16]);
        __builtin_prefetch(&aAcc[d16], 1);
        __builtin_prefetch(&aAccN[d16], 1);
      }
      if (p16 < nN) __builtin_prefetch(&g->aDepth[p16]);
    }
    if (k->aObjSize && g->aSize[v] != k->aObjSize[v]) return 0;
    uint32_t d = g->aIdom[v], p = g->aParent[v];
    if (d == HS_NONE) {                       /* unreachable */
      if (p != HS_NONE || g->aDepth[v] != 0 || g->aRetained[v] != 0 || g->aCount[v] != 0)
        return 0;
      t->nUnreach++;
      t->nUnreachBytes += g->aSize[v];
      continue;
    }
    /* A dominator lies on every root path, the shortest included, so it is
    ** strictly nearer the root: this also proves the idom links acyclic. */
    if (p == HS_NONE || g->aDepth[v] == 0 || g->aDepth[v] != g->aDepth[p] + 1 ||
        g->aDepth[d] >= g->aDepth[v])
      return 0;
    int bEdge = 0;                            /* the BFS parent refers to v */
    for (uint64_t e = g->aRevStart[v]; e < g->aRevStart[v + 1] && !bEdge; e++)
      bEdge = g->aRevSrc[e] == p;
    if (!bEdge) return 0;
    uint64_t r = g->aRetained[v];
    uint64_t old = t->bShared ? __atomic_fetch_add(&aAcc[d], r, __ATOMIC_RELAXED) : aAcc[d];
    if (old + r < old) return 0;              /* overflow */
    if (!t->bShared) aAcc[d] = old + r;
    uint32_t c = g->aCount[v];
    uint32_t oldN = t->bShared ? __atomic_fetch_add(&aAccN[d], c, __ATOMIC_RELAXED) : aAccN[d];
    if (c == 0 || oldN + c < oldN) return 0;
    if (!t->bShared) aAccN[d] = oldN + c;
  }
  return 1;
}

/* The root's row and the sums, once every node was added up. */
static int consistent_sums(const hs_graph *g, const tree_sums *t) {
  uint32_t r = g->nObj, nN = g->nObj + 1;
  if (g->aIdom[r] != HS_NONE || g->aParent[r] != HS_NONE || g->aDepth[r] != 0 ||
      g->aSize[r] != 0)
    return 0;
  if (t->nUnreach != g->nUnreachable || t->nUnreachBytes != g->nUnreachableBytes) return 0;
  for (uint32_t v = 0; v < nN; v++)
    if (v == r || g->aIdom[v] != HS_NONE)
      if (g->aRetained[v] != g->aSize[v] + t->aAcc[v] || g->aCount[v] != 1 + t->aAccN[v])
        return 0;
  return 1;
}

/* The reverse edges are the transpose of the forward ones by count: as many
** edges into each node as its reverse row holds.  The forward targets are
** already known to be in range; 4 bytes per node of scratch. */
static int transposed(const hs_graph *g) {
  uint32_t nN = g->nObj + 1;
  uint32_t *aCount = calloc(nN, sizeof *aCount);
  if (!aCount) return 0;
  for (uint64_t e = 0; e < g->nEdge; e++) {
    if (e + 32 < g->nEdge) __builtin_prefetch(&aCount[g->aFwdDst[e + 32]], 1);
    aCount[g->aFwdDst[e]]++;
  }
  int ok = 1;
  for (uint32_t v = 0; v < nN; v++)
    ok &= aCount[v] == g->aRevStart[v + 1] - g->aRevStart[v];
  free(aCount);
  return ok;
}

/* The checksum of p[0..nLen) equals iSum, and its u32 values pass check
** (nMax: the largest id; for CK_CSR, rows ascend from 0 to nEdge). */
/* Nonzero if a value of a[0..n) fails check (prev: the value before a[0]).
** Sixteen at a time, which gcc -O2 vectorizes (a loop of unknown length it
** does not). */
static uint32_t piece_bad(const uint32_t *a, uint64_t n, int check, uint32_t nMax,
                          uint32_t prev) {
  uint32_t bad = 0;
  uint64_t j = 0;
  switch (check) {
    case CK_CSR:
      bad = n && a[0] < prev;
      for (j = 1; j + 16 <= n; j += 16)
        for (int q = 0; q < 16; q++) bad |= a[j + q] < a[j + q - 1];
      for (; j < n; j++) bad |= a[j] < a[j - 1];
      break;
    case CK_ID: case CK_DEPTH:
      for (; j + 16 <= n; j += 16)
        for (int q = 0; q < 16; q++) bad |= a[j + q] > nMax;
      for (; j < n; j++) bad |= a[j] > nMax;
      break;
    case CK_ID_NONE:
      for (; j + 16 <= n; j += 16)
        for (int q = 0; q < 16; q++) bad |= (a[j + q] > nMax) & (a[j + q] != HS_NONE);
      for (; j < n; j++) bad |= (a[j] > nMax) & (a[j] != HS_NONE);
      break;
  }
  return bad;
}

static int section_ok(const uint8_t *p, uint64_t nLen, uint64_t iSum, int check,
                      uint32_t nMax, uint64_t nEdge) {
  if (check == CK_NONE) return checksum(p, nLen) == iSum;
  XXH3_state_t st;
  XXH3_INITSTATE(&st);
  XXH3_64bits_reset(&st);
  const uint32_t *a = (const uint32_t *)p;
  uint64_t n = nLen / 4, nStep = 16384;       /* 64 KiB at a time */
  uint32_t bad = check == CK_CSR && n && a[0] != 0;
  for (uint64_t i = 0; i < n && !bad; i += nStep) {
    uint64_t iEnd = n - i < nStep ? n : i + nStep;
    XXH3_64bits_update(&st, a + i, (size_t)(iEnd - i) * 4);
    bad |= piece_bad(a + i, iEnd - i, check, nMax, i ? a[i - 1] : 0);
  }
  return !bad && XXH3_64bits_digest(&st) == iSum && (check != CK_CSR || (n && a[n - 1] == nEdge));
}

static hs_graph *parse(const uint8_t *p, size_t n, const hs_index_key *k, idx_objs *pO,
                       const hs_input *pHashIn, int bLazy);

/* Map zIdx and parse it (with the object columns when pO; hashing pHashIn
** for k when not NULL; bLazy: see parse). */
static hs_graph *read_index(const char *zIdx, const hs_index_key *k, idx_objs *pO,
                            const hs_input *pHashIn, int bLazy) {
  hs_graph *g = NULL;
  int fd = -1;
  uint8_t *p = MAP_FAILED;
  size_t n = 0;
  if (!zIdx) goto done;
  fd = open(zIdx, O_RDONLY | O_CLOEXEC);
  if (fd < 0) goto done;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 20) goto done;
  n = (size_t)st.st_size;
  p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) goto done;
  g = parse(p, n, k, pO, pHashIn, bLazy);
  if (g) {
    /* Validation read every page; hand them back (they stay in the page
    ** cache and fault in again when a query reads them), so resident memory
    ** holds what queries use, not the whole index. */
    madvise(p, n, MADV_DONTNEED);
    g->pMap = p;
    g->nMap = n;
    p = MAP_FAILED;                           /* the graph owns the mapping */
  }
done:
  if (fd >= 0) close(fd);
  if (p != MAP_FAILED) munmap(p, n);
  return g;
}

hs_graph *hs_index_read(const char *zIdx, const hs_index_key *k) {
  return read_index(zIdx, k, NULL, NULL, 0);
}

hs_graph *hs_index_parse(const uint8_t *p, size_t n, const hs_index_key *k) {
  return parse(p, n, k, NULL, NULL, 0);
}

/* The uvarint encoding of v into b (at most 10 bytes); its length. */
static int uv_put(uint64_t v, uint8_t *b) {
  int n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
    v >>= 7;
    n++;
  } while (v);
  return n;
}

/* Do the saved object columns describe the dump (k->pDump)?  Addresses
** ascend without overlap, contents lie inside the object records' range,
** and a random sample of 4096 objects is checked against the dump's own
** bytes: each one's record must read 1 (object), its address and its
** size right before its contents.  A forger cannot tell which objects will
** be checked.  Costs one pass over the columns and 4096 reads of the dump. */
static int objs_ok(const idx_objs *o, const hs_graph *g, const hs_index_key *k) {
  uint64_t n = g->nObj;
  const uint64_t *aSize = g->aSize;
  const uint8_t *pD = k->pDump;
  if (!pD || o->iFirst >= o->iEnd || o->iEnd > k->nBytes || pD[o->iFirst] != 1) return 0;
  for (uint64_t i = 0; i < n; i++) {
    if (i && (o->aAddr[i - 1] + aSize[i - 1] < o->aAddr[i - 1] ||
              o->aAddr[i] < o->aAddr[i - 1] + aSize[i - 1]))
      return 0;
    if (o->aContent[i] < o->iFirst || o->aContent[i] > o->iEnd ||
        aSize[i] > o->iEnd - o->aContent[i])
      return 0;
  }
  uint64_t x = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL) ^ k->iHash;
  uint64_t nCheck = n < 4096 ? n : 4096;
  for (uint64_t s = 0; s < nCheck; s++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t i = n <= 4096 ? s : x % n;
    uint8_t aRec[21];
    int nA = uv_put(o->aAddr[i], aRec + 1), nS = uv_put(aSize[i], aRec + 1 + nA);
    aRec[0] = 1;
    uint64_t nRec = 1 + (uint64_t)nA + (uint64_t)nS;
    if (o->aContent[i] < o->iFirst + nRec ||
        memcmp(pD + o->aContent[i] - nRec, aRec, nRec) != 0)
      return 0;
  }
  return 1;
}

/* Half of an index's validation: first each part checks its sections
** (part 0 the forward targets and the object columns, part 1 the others);
** once both have, part 0 checks the object columns against the dump and
** that the reverse edges are the transpose, and both check the tree links
** of their share of the nodes (consistent_nodes), which read ids of either
** part's sections; then each hashes pieces of the dump until none is left.
** The index is believed when both pass, the sums add up (consistent_sums)
** and the dump's hash is the header's. */
/* What a validation covers: everything, the object columns and sizes
** only (a reopen: the loader needs them now), or the rest (the graph's
** first use, hs_index_check). */
enum { PH_ALL, PH_OBJECTS, PH_GRAPH };

typedef struct check_job {
  const hs_graph *g;
  const idx_objs *o;
  const hs_index_key *k;
  hash_work *pHash;         /* the dump's pieces to hash (shared; NULL: none) */
  const section *aSec;
  const uint64_t *aSum;     /* each section's checksum from the header */
  int nSec, iPart, iPhase;
  uint32_t v0, v1;          /* the nodes whose tree links it checks */
  tree_sums sums;           /* what they add up (aAcc shared) */
  int okSec;                /* its sections passed (read by the other after both) */
  int ok;                   /* out */
} check_job;

/* A part's sections: checksums and id ranges. */
static void check_sections(check_job *j) {
  const hs_graph *g = j->g;
  int ok = 1, bObjs = j->iPhase != PH_GRAPH;
  for (int i = 0; i < j->nSec && ok; i++) {
    const section *s = &j->aSec[i];
    if (s->iPart == j->iPart && (j->iPhase == PH_ALL || bObjs == s->bObj))
      ok = section_ok(*s->ppData, s->nCount * s->nElem, j->aSum[i], s->check,
                      s->check == CK_DEPTH ? g->nObj + 1 : g->nObj, g->nEdge);
  }
  j->okSec = ok;
}

/* The rest of a part, once both parts' sections passed (bBoth): the tree
** links read ids of the other part's sections. */
static void check_rest(check_job *j, int bBoth) {
  const hs_graph *g = j->g;
  int ok = bBoth, bObjs = j->iPhase != PH_GRAPH, bGraph = j->iPhase != PH_OBJECTS;
  if (j->iPart == 0)
    ok = ok && (!bGraph || transposed(g)) && (!bObjs || !j->o->bHave || objs_ok(j->o, g, j->k));
  ok = ok && (!bGraph || consistent_nodes(g, j->k, j->v0, j->v1, &j->sums));
  j->ok = ok;
  if (j->pHash) hash_pieces(j->pHash);        /* whoever is done first takes more */
}

typedef struct check_pair {
  check_job aJob[2];
  pthread_barrier_t bar;
} check_pair;

static void *check_thread(void *p) {
  check_pair *c = p;
  check_sections(&c->aJob[0]);
  pthread_barrier_wait(&c->bar);
  check_rest(&c->aJob[0], c->aJob[0].okSec && c->aJob[1].okSec);
  return NULL;
}

/* Run the two jobs of iPhase, side by side when there are two threads,
** hashing pHashIn (*piHash) when not NULL.  1 if both pass. */
static int run_checks(const hs_graph *g, const idx_objs *o, const hs_index_key *k,
                      const section *aSec, const uint64_t *aSum, int nSec, int iPhase,
                      const hs_input *pHashIn, uint64_t *piHash) {
  hash_work w = {0};
  if (pHashIn) {
    w = (hash_work){pHashIn->p, pHashIn->n, pHashIn->bMapped, 0, NULL, 0};
    w.nPiece = (w.n + PIECE - 1) / PIECE;
    if (!(w.aPiece = malloc((w.nPiece ? w.nPiece : 1) * sizeof *w.aPiece))) return 0;
  }
  /* The tree links: part 0 also counts the reverse edges, so it takes a
  ** third of the nodes (the halves then end together on the realheap
  ** benchmark's index). */
  int bTwo = hs_graph_two_threads(g->nObj), bGraph = iPhase != PH_OBJECTS;
  tree_sums t = {NULL, NULL, bTwo, 0, 0};
  if (bGraph && (!(t.aAcc = calloc((size_t)g->nObj + 1, sizeof *t.aAcc)) ||
                 !(t.aAccN = calloc((size_t)g->nObj + 1, sizeof *t.aAccN)))) {
    free(t.aAcc);
    free(w.aPiece);
    return 0;
  }
  uint32_t vSplit = g->nObj / 3;
  check_pair c;
  check_job *aJob = c.aJob;
  for (int i = 0; i < 2; i++)
    aJob[i] = (check_job){g, o, k, pHashIn ? &w : NULL, aSec, aSum, nSec, i, iPhase,
                          i ? vSplit : 0, i ? g->nObj : vSplit, t, 0, 0};
  pthread_t th;
  int bBar = bTwo && pthread_barrier_init(&c.bar, NULL, 2) == 0;
  int bThread = bBar && pthread_create(&th, NULL, check_thread, &c) == 0;
  if (bThread) {                              /* sections, then the rest, on each */
    check_sections(&aJob[1]);
    pthread_barrier_wait(&c.bar);
    check_rest(&aJob[1], aJob[0].okSec && aJob[1].okSec);
    pthread_join(th, NULL);
  } else {
    check_sections(&aJob[0]);
    check_sections(&aJob[1]);
    int bBoth = aJob[0].okSec && aJob[1].okSec;
    check_rest(&aJob[0], bBoth);
    check_rest(&aJob[1], bBoth);
  }
  if (bBar) pthread_barrier_destroy(&c.bar);
  if (pHashIn) *piHash = pieces_digest(&w);
  free(w.aPiece);
  int ok = aJob[0].ok && aJob[1].ok;
  if (ok && bGraph) {
    t.nUnreach = aJob[0].sums.nUnreach + aJob[1].sums.nUnreach;
    t.nUnreachBytes = aJob[0].sums.nUnreachBytes + aJob[1].sums.nUnreachBytes;
    ok = consistent_sums(g, &t);
  }
  free(t.aAcc);
  free(t.aAccN);
  return ok;
}

/* The graph sections of a reopened index, checked on the graph's first use
** (hs_index_check): until then nothing reads them. */
typedef struct graph_check {
  section aSec[NSECTION];
  uint64_t aSum[NSECTION];
  int nSec;
  int bFailed;
} graph_check;

int hs_index_check(hs_graph *g) {
  graph_check *gc = g ? g->pCheck : NULL;
  if (!gc) return HS_OK;
  if (!gc->bFailed) {
    idx_objs o = {0};
    hs_index_key k = {0};
    k.nObj = UINT32_MAX;
    gc->bFailed = !run_checks(g, &o, &k, gc->aSec, gc->aSum, gc->nSec, PH_GRAPH, NULL, NULL);
    if (!gc->bFailed) {
      free(gc);
      g->pCheck = NULL;
      return HS_OK;
    }
  }
  return HS_ERR;
}

/* Validate an index image.  bLazy, with the object columns present: only
** they and the sizes now (with the dump's hash), the rest when the graph is
** first used (g->pCheck, hs_index_check). */
static hs_graph *parse(const uint8_t *p, size_t n, const hs_index_key *k, idx_objs *pO,
                       const hs_input *pHashIn, int bLazy) {
  hs_graph *g = NULL;
  int ok = 0;
  msgpack_unpacked up;
  msgpack_unpacked_init(&up);
  if (n < 20 || ((uintptr_t)p & 7) || memcmp(p, IDX_MAGIC, 8) != 0) goto done;
  uint64_t nH = p[8] | (uint64_t)p[9] << 8 | (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
  if (nH > n - 20) goto done;
  uint64_t iSum = 0;
  for (int i = 7; i >= 0; i--) iSum = iSum << 8 | p[12 + nH + i];
  if (checksum(p, 12 + nH) != iSum) goto done;
  size_t iUsed = 0;
  if (!mp_sane(p + 12, nH)) goto done;
  if (msgpack_unpack_next(&up, (const char *)p + 12, nH, &iUsed) != MSGPACK_UNPACK_SUCCESS)
    goto done;
  const msgpack_object *h = &up.data;
  if (h->type != MSGPACK_OBJECT_MAP) goto done;

  /* Is it the index of this dump? */
  uint64_t v, nObj, nRoot, nEdge;
  if (!get_uint(h, "version", &v) || v != IDX_VERSION) goto done;
  if (!get_uint(h, "endian", &v) || v != IDX_ENDIAN) goto done;
  if (!get_uint(h, "bytes", &v) || v != k->nBytes) goto done;
  uint64_t iHashWant;                         /* compared once pHashIn is hashed */
  if (!get_uint(h, "hash", &iHashWant) || (!pHashIn && iHashWant != k->iHash)) goto done;
  if (!get_uint(h, "nobj", &nObj) || (k->nObj != UINT32_MAX && nObj != k->nObj) ||
      nObj >= UINT32_MAX - 2)
    goto done;
  if (!get_uint(h, "nroot", &nRoot) || nRoot > UINT32_MAX) goto done;
  if (!get_uint(h, "nedge", &nEdge) || nEdge >= UINT32_MAX) goto done;
  const msgpack_object *pWriter = get_val(h, "heapscope");
  if (!pWriter || !obj_key_eq(pWriter, HS_VERSION)) goto done;

  g = calloc(1, sizeof *g);
  if (!g) goto done;
  g->nObj = (uint32_t)nObj;
  g->nRoot = (uint32_t)nRoot;
  g->nEdge = nEdge;
  if (!get_uint(h, "unreachable", &g->nUnreachable) ||
      !get_uint(h, "unreachable_bytes", &g->nUnreachableBytes) ||
      !get_uint(h, "dropped", &g->nDropped) || !get_uint(h, "root_dropped", &g->nRootDropped))
    goto done;

  /* The object columns, when asked for and saved. */
  idx_objs o = {0};
  const msgpack_object *pObjs = pO ? get_val(h, "objects") : NULL;
  if (pObjs) {
    if (pObjs->type != MSGPACK_OBJECT_ARRAY || pObjs->via.array.size != 5) goto done;
    uint64_t *av[] = {&o.iFirst, &o.iEnd, &o.nField, &o.nFieldMax, &o.nPhantom};
    for (int i = 0; i < 5; i++) {
      if (pObjs->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER) goto done;
      *av[i] = pObjs->via.array.ptr[i].via.u64;
    }
    o.bHave = 1;
  }

  /* Sections: every one present once, in bounds, of the right length (the
  ** object columns are the last three, read only when asked for). */
  section aSec[NSECTION];
  int nSec = sections(g, o.bHave ? &o : NULL, aSec);
  const msgpack_object *pSecs = get_val(h, "sections");
  if (!pSecs || pSecs->type != MSGPACK_OBJECT_ARRAY ||
      (pSecs->via.array.size != (uint32_t)nSec &&
       !(!o.bHave && pSecs->via.array.size == (uint32_t)nSec + 3)))
    goto done;
  uint64_t iData = align_up(20 + nH);
  if (iData > n) goto done;
  uint64_t aSum[NSECTION];
  for (int i = 0; i < nSec; i++) {
    const msgpack_object *s = &pSecs->via.array.ptr[i];
    if (s->type != MSGPACK_OBJECT_ARRAY || s->via.array.size != 4) goto done;
    const msgpack_object *a = s->via.array.ptr;
    if (!obj_key_eq(&a[0], aSec[i].zName)) goto done;
    for (int j = 1; j < 4; j++)
      if (a[j].type != MSGPACK_OBJECT_POSITIVE_INTEGER) goto done;
    uint64_t iOff = a[1].via.u64, nLen = a[2].via.u64;
    if (nLen != aSec[i].nCount * aSec[i].nElem) goto done;
    if (iOff % IDX_ALIGN || iOff > n - iData || nLen > n - iData - iOff) goto done;
    *aSec[i].ppData = (void *)(p + iData + iOff);
    aSum[i] = a[3].via.u64;
  }

  /* Checksums, ids in range, CSR rows monotonic (the graph code may index
  ** with them), then the consistency checks: in two jobs, the dump's hash
  ** in the first, run side by side when there are two threads. */
  int iPhase = bLazy && o.bHave ? PH_OBJECTS : PH_ALL;
  graph_check *gc = NULL;
  if (iPhase == PH_OBJECTS) {
    if ((gc = malloc(sizeof *gc)) != NULL) {
      *gc = (graph_check){.nSec = nSec};
      memcpy(gc->aSec, aSec, sizeof aSec);
      memcpy(gc->aSum, aSum, sizeof aSum);
    } else
      iPhase = PH_ALL;
  }
  uint64_t iHashSeen = iHashWant;
  if (!run_checks(g, &o, k, aSec, aSum, nSec, iPhase, pHashIn, &iHashSeen) ||
      iHashSeen != iHashWant) {
    free(gc);
    goto done;
  }
  g->pCheck = gc;
  if (pO) *pO = o;
  g->bBorrowed = 1;
  g->bFromIndex = 1;
  ok = 1;

done:
  msgpack_unpacked_destroy(&up);
  if (!ok) {
    free(g);
    g = NULL;
  }
  return g;
}

int hs_index_reopen(const hs_input *in, hs_heap_prebuilt *pre) {
  if (!in->zPath || !in->p) return HS_ERR;
  /* An index beside the dump is validated while the dump is hashed; one in
  ** the cache is found by the hash, so that comes first. */
  hs_index_key k;
  key_fill(&k, in, UINT32_MAX, NULL, 0);
  char *zIdx = path_beside(&k);
  const hs_input *pHashIn = in;
  if (!zIdx || access(zIdx, R_OK) != 0) {
    free(zIdx);
    k.iHash = dump_hash(in);
    zIdx = path_in_cache(&k, 0);
    pHashIn = NULL;
  }
  idx_objs o = {0};
  hs_graph *g = zIdx ? read_index(zIdx, &k, &o, pHashIn, 1) : NULL;
  free(zIdx);
  if (!g) return HS_ERR;
  if (!o.bHave) {
    hs_graph_free(g);
    return HS_ERR;
  }
  memset(pre, 0, sizeof *pre);
  pre->nObj = g->nObj;
  pre->aAddr = o.aAddr;
  pre->aSize = g->aSize;
  pre->aContentOff = o.aContent;
  pre->aType = o.aType;
  pre->nField = o.nField;
  pre->nFieldMax = o.nFieldMax;
  pre->nPhantom = o.nPhantom;
  pre->iObjRecFirst = o.iFirst;
  pre->iObjRecEnd = o.iEnd;
  pre->pGraph = g;
  pre->xGraphFree = hs_graph_free;
  return HS_OK;
}
