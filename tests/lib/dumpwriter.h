/*
 * Writing "go1.7 heap dump" records (the format essay is at the top of
 * core/formats/heapdump.c), for the unit tests' hand-built dumps and the
 * benchmarks' synthetic heaps (tests/bench/gendump.c): one writer for both.
 * A writer appends to a memory buffer, or to a stdio stream when pOut is
 * set.  Out of memory aborts and a failed write exits with status 1: these
 * are test tools, not heapscope.
 */
#ifndef HS_TESTLIB_DUMPWRITER_H
#define HS_TESTLIB_DUMPWRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tl_dump {
  FILE *pOut;               /* write here when set (the caller opens and closes it) */
  uint8_t *p;               /* else the bytes so far (the caller frees p) */
  size_t n, nCap;           /* bytes in p, its capacity */
  uint64_t nOut;            /* bytes written either way */
} tl_dump;

void tl_dump_bytes(tl_dump *, const void *p, size_t n);
void tl_dump_uv(tl_dump *, uint64_t v);        /* an unsigned varint */
void tl_dump_str(tl_dump *, const char *z);    /* varint length, then the bytes */

/* The 16-byte header, then a params record (kind 6) of a little-endian
** 64-bit dump of the heap [iHeapStart, iHeapEnd). */
void tl_dump_params(tl_dump *, uint64_t iHeapStart, uint64_t iHeapEnd, const char *zArch,
                    const char *zVersion, uint64_t nCpu);

/* An object record (kind 1): its address, n bytes of contents and a
** pointer field (kind 1) at each of the byte offsets aOff[0..nOff). */
void tl_dump_object(tl_dump *, uint64_t iAddr, const void *pContent, uint64_t n,
                    const uint64_t *aOff, uint64_t nOff);

#endif
