/*
 * gzip streams decoded with zlib, for the source layer (.gz files) and for
 * loaders handed gzip bytes in memory (pprof).  Not libarchive: it gives up
 * on a gzip stream without its 8-byte trailer before returning a byte of
 * it, where `gzip -dc` recovers everything, and a profile cut by a dropped
 * connection is exactly that.  Concatenated members are read as one stream.
 */
#ifndef HS_SOURCE_GUNZIP_H
#define HS_SOURCE_GUNZIP_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

typedef struct hs_gz {
  z_stream z;
  int bEnd;             /* the last member ended */
  int bCut;             /* the input ended inside a member, or was corrupt */
  const uint8_t *pLeft; /* input not yet given to z (inputs past 4 GiB) */
  size_t nLeft;
  const char *zErr;     /* why it stopped, once bCut */
} hs_gz;

/* Start decoding p[0..n) (which must outlive the stream).  HS_OK or HS_ENOMEM. */
int hs_gz_init(hs_gz *, const uint8_t *p, size_t n);
/* Up to n decoded bytes into p: > 0 bytes, 0 at the end, -1 on an error
** (zErr says which; the bytes before it were returned). */
ptrdiff_t hs_gz_read(hs_gz *, uint8_t *p, size_t n);
void hs_gz_end(hs_gz *);

#endif
