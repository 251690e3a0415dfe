/*
 * A case as bytes on a file descriptor: how `check` hands a case the
 * source layer grouped (HS_CASE_DEFER: its inputs read, none loaded) to a
 * long-lived worker process (check.c), which loads and checks it there.
 *
 *   u64 nHead | head (nHead bytes) | each input's bytes, in input order
 *
 *   head   str name, u32 flags, u64 nMaxBytes, u32 nError,
 *          u32 nDiag, nDiag diags, u32 nInput, nInput inputs
 *   diag   u32 level, str file, u64 offset, u64 line, str message
 *   input  str name, u64 mtime, u64 file size, str path,
 *          str error, u32 found, str note, u32 note level, u32 skip,
 *          u32 has bytes, u64 n
 *          (an input without bytes keeps its size n: the report shows it)
 *
 * What the worker sets itself is not sent: an input's kind (the loader that
 * takes it, found when the worker loads the case: the parent loads
 * nothing), its place in a series (hs_case_mark_series, then too) and its
 * case key (hs_input.zCase, which only hs_open's grouping reads).
 *   str    u32 length (0xffffffff: absent) and that many bytes
 *
 * The integers are the host's: both ends are the same program on the same
 * machine.  A plain layout, not msgpack: a count read here allocates
 * nothing before the bytes it counts have arrived (msgpack-c's unpacker
 * sizes an array from its header), so a worker reading a broken head
 * fails cleanly (tests/fuzz/fuzz_wire.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/wire.h"

#define NO_STR 0xffffffffu
#define MAX_HEAD (64u << 20)                  /* a head past this is not ours */

int hs_wire_write(int fd, const void *pv, size_t n) {
  const char *p = pv;
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == ENOTSOCK) k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k, n -= (size_t)k;
  }
  return 0;
}

int hs_wire_read(int fd, void *pv, size_t n) {
  char *p = pv;
  size_t nGot = 0;
  while (nGot < n) {
    ssize_t k = read(fd, p + nGot, n - nGot);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0 && nGot == 0) return 1;
    if (k <= 0) return -1;
    nGot += (size_t)k;
  }
  return 0;
}

/* The head being written: a growing buffer; bOom once it could not grow. */
typedef struct wbuf {
  char *p;
  size_t n, nCap;
  int bOom;
} wbuf;

static void put(wbuf *b, const void *p, size_t n) {
  if (b->bOom) return;
  if (b->n + n > b->nCap) {
    size_t nCap = b->nCap ? 2 * b->nCap : 4096;
    while (nCap < b->n + n) nCap *= 2;
    char *pNew = realloc(b->p, nCap);
    if (!pNew) {
      b->bOom = 1;
      return;
    }
    b->p = pNew;
    b->nCap = nCap;
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void put32(wbuf *b, uint32_t v) { put(b, &v, sizeof v); }
static void put64(wbuf *b, uint64_t v) { put(b, &v, sizeof v); }

static void put_str(wbuf *b, const char *z) {
  size_t n = z ? strlen(z) : 0;
  put32(b, z && n < NO_STR ? (uint32_t)n : NO_STR);
  if (z && n < NO_STR) put(b, z, n);
}

int hs_wire_send_case(int fd, const hs_case *c) {
  wbuf b = {0};
  put_str(&b, c->zName);
  put32(&b, c->flags);
  put64(&b, c->nMaxBytes);
  put32(&b, (uint32_t)c->nError);
  put32(&b, (uint32_t)c->nDiag);
  for (int i = 0; i < c->nDiag; i++) {
    const hs_diag *d = &c->aDiag[i];
    put32(&b, (uint32_t)d->level);
    put_str(&b, d->zFile);
    put64(&b, d->iOffset);
    put64(&b, d->iLine);
    put_str(&b, d->zMsg);
  }
  put32(&b, (uint32_t)c->nInput);
  for (int i = 0; i < c->nInput; i++) {
    const hs_input *in = c->apInput[i];
    put_str(&b, in->zName);
    put64(&b, in->iMtime);
    put64(&b, in->iFileSize);
    put_str(&b, in->zPath);
    put_str(&b, in->zError);
    put32(&b, (uint32_t)in->bFound);
    put_str(&b, in->zNote);
    put32(&b, (uint32_t)in->iNoteLevel);
    put32(&b, (uint32_t)in->bSkip);
    put32(&b, in->p != NULL);                 /* none: unreadable, skipped, released */
    put64(&b, in->n);                         /* its size all the same (the report names it) */
  }
  uint64_t nHead = b.n;
  int rc = b.bOom || hs_wire_write(fd, &nHead, sizeof nHead) || hs_wire_write(fd, b.p, b.n) ? -1 : 0;
  free(b.p);
  for (int i = 0; rc == 0 && i < c->nInput; i++)
    if (c->apInput[i]->p && hs_wire_write(fd, c->apInput[i]->p, c->apInput[i]->n) != 0) rc = -1;
  return rc;
}

/* The head being read: a cursor; bBad once a read went past its end. */
typedef struct rbuf {
  const char *p;
  size_t n, i;
  int bBad;
} rbuf;

static void get(rbuf *b, void *p, size_t n) {
  if (b->bBad || n > b->n - b->i) {
    b->bBad = 1;
    memset(p, 0, n);
    return;
  }
  memcpy(p, b->p + b->i, n);
  b->i += n;
}

static uint32_t get32(rbuf *b) {
  uint32_t v;
  get(b, &v, sizeof v);
  return v;
}

static uint64_t get64(rbuf *b) {
  uint64_t v;
  get(b, &v, sizeof v);
  return v;
}

/* A malloc'd copy of the next string, or NULL (absent, or past the end:
** bBad set; out of memory: bBad set too). */
static char *get_str(rbuf *b) {
  uint32_t n = get32(b);
  if (b->bBad || n == NO_STR) return NULL;
  if (n > b->n - b->i) {
    b->bBad = 1;
    return NULL;
  }
  char *z = malloc((size_t)n + 1);
  if (!z) {
    b->bBad = 1;
    return NULL;
  }
  memcpy(z, b->p + b->i, n);
  z[n] = 0;
  b->i += n;
  return z;
}

/* Read input in's n bytes from fd into memory of its own, grown as they
** come (a size that lies ends at the end of fd, not in one huge
** allocation; realloc of a large block remaps, it does not copy).  0 or -1. */
static int read_bytes(int fd, hs_input *in) {
  uint64_t nGot = 0, nCap = 0;
  uint8_t *p = NULL;
  do {
    if (nGot == nCap) {
      nCap = nCap ? 2 * nCap : 1 << 20;
      if (nCap > in->n) nCap = in->n ? in->n : 1;
      uint8_t *pNew = realloc(p, nCap);
      if (!pNew) break;
      p = pNew;
    }
    uint64_t nWant = (in->n < nCap ? in->n : nCap) - nGot;
    if (nWant && hs_wire_read(fd, p + nGot, nWant) != 0) break;
    nGot += nWant;
  } while (nGot < in->n);
  if (nGot < in->n) {
    free(p);
    return -1;
  }
  in->p = p;
  return 0;
}

/* Read the next case sent (hs_wire_send_case) from fd and rebuild it,
** its inputs' bytes in memory of their own.  Returns the case, or NULL at
** the end of fd (*pbEnd set) or on an error. */
hs_case *hs_wire_recv_case(int fd, int *pbEnd) {
  uint64_t nHead;
  hs_case *c = NULL;
  char *pHead = NULL;
  int rc = hs_wire_read(fd, &nHead, sizeof nHead);
  *pbEnd = rc == 1;
  if (rc != 0 || nHead > MAX_HEAD || !(pHead = malloc(nHead ? nHead : 1)) ||
      hs_wire_read(fd, pHead, nHead) != 0)
    goto done;
  rbuf b = {pHead, nHead, 0, 0};
  char *zName = get_str(&b);
  c = zName ? hs_case_new(zName) : NULL;
  free(zName);
  if (!c) goto done;
  c->flags = get32(&b);
  c->nMaxBytes = get64(&b);
  c->nError = (int)get32(&b);
  for (uint32_t i = 0, nDiag = get32(&b); i < nDiag && !b.bBad; i++) {
    int iLevel = (int)get32(&b);
    char *zFile = get_str(&b);
    uint64_t iOffset = get64(&b), iLine = get64(&b);
    char *zMsg = get_str(&b);
    if (!b.bBad) hs_case_diag(c, iLevel, zFile, iOffset, iLine, "%s", zMsg ? zMsg : "");
    free(zFile);
    free(zMsg);
  }
  uint32_t nInput = get32(&b);
  /* Each input takes more than a byte of the head: a count past that lies. */
  int *abBytes = calloc((nInput < b.n ? nInput : b.n) + 1, sizeof *abBytes);
  if (!abBytes) goto fail;
  for (uint32_t i = 0; i < nInput && !b.bBad; i++) {
    hs_input *in = calloc(1, sizeof *in);
    if (!in || hs_case_add_input(c, in) != HS_OK) {
      free(in);
      b.bBad = 1;
      break;
    }
    in->zName = get_str(&b);
    in->iMtime = get64(&b);
    in->iFileSize = get64(&b);
    in->zPath = get_str(&b);
    in->zError = get_str(&b);
    in->bFound = (int)get32(&b);
    in->zNote = get_str(&b);
    in->iNoteLevel = (int)get32(&b);
    in->bSkip = (int)get32(&b);
    abBytes[i] = get32(&b) != 0;
    in->n = get64(&b);
    if (!in->zName) b.bBad = 1;
  }
  for (int i = 0; i < c->nInput && !b.bBad; i++) /* the bytes follow the head, in order */
    if (abBytes[i] && read_bytes(fd, c->apInput[i]) != 0) b.bBad = 1;
  free(abBytes);
  if (!b.bBad && b.i == b.n) goto done;
fail:
  hs_case_free(c);
  c = NULL;
done:
  free(pHead);
  return c;
}
