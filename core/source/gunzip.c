/*
 * gzip decoding with zlib (see gunzip.h), and hs_source_gunzip on top of it.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "source/gunzip.h"
#include "base/base.h"

int hs_gz_init(hs_gz *r, const uint8_t *p, size_t n) {
  memset(r, 0, sizeof *r);
  r->pLeft = p;
  r->nLeft = n;
  return inflateInit2(&r->z, 16 + MAX_WBITS) == Z_OK ? HS_OK : HS_ENOMEM;
}

void hs_gz_end(hs_gz *r) { inflateEnd(&r->z); }

ptrdiff_t hs_gz_read(hs_gz *r, uint8_t *p, size_t n) {
  if (r->bEnd) return 0;
  if (r->bCut) return -1;
  r->z.next_out = p;
  r->z.avail_out = (uInt)(n > (1u << 30) ? 1u << 30 : n);
  uInt nWant = r->z.avail_out;
  while (r->z.avail_out > 0) {
    if (r->z.avail_in == 0 && r->nLeft > 0) {
      r->z.next_in = (Bytef *)r->pLeft;
      r->z.avail_in = (uInt)(r->nLeft > (1u << 30) ? 1u << 30 : r->nLeft);
      r->pLeft += r->z.avail_in;
      r->nLeft -= r->z.avail_in;
    }
    int rc = inflate(&r->z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {                 /* another member may follow */
      while (r->z.avail_in > 0 && r->z.next_in[0] == 0) r->z.next_in++, r->z.avail_in--;
      if (r->nLeft == 0 && (r->z.avail_in < 2 || r->z.next_in[0] != 0x1f ||
                            r->z.next_in[1] != 0x8b)) {
        r->bEnd = 1;
        break;
      }
      inflateReset(&r->z);
    } else if (rc == Z_BUF_ERROR || (rc == Z_OK && r->z.avail_in == 0 && r->nLeft == 0)) {
      r->bCut = 1;
      r->zErr = "the gzip stream ends before its end marker and checksum";
      break;
    } else if (rc != Z_OK) {
      r->bCut = 1;
      r->zErr = r->z.msg ? r->z.msg : "corrupt deflate data";
      break;
    }
  }
  ptrdiff_t nGot = (ptrdiff_t)(nWant - r->z.avail_out);
  return nGot > 0 || !r->bCut ? nGot : -1;
}

int hs_source_gunzip(const uint8_t *pIn, uint64_t nIn, uint64_t nMax, int bPrefix,
                     uint8_t **ppOut, uint64_t *pnOut, int *pbCut) {
  hs_gz gz;
  uint8_t *p = NULL;
  uint64_t n = 0, nCap = 0;
  int rc = HS_OK;
  *ppOut = NULL;
  *pnOut = 0;
  *pbCut = 0;
  if (hs_gz_init(&gz, pIn, (size_t)nIn) != HS_OK) return HS_ENOMEM;
  for (;;) {
    if (nCap - n < 65536 && HS_GROW(p, nCap, 1 << 20)) {
      rc = HS_ENOMEM;
      goto done;
    }
    ptrdiff_t k = hs_gz_read(&gz, p + n, 65536);  /* a cut stream keeps what came before */
    if (k == 0) break;
    if (k < 0) {
      *pbCut = 1;
      break;
    }
    n += (uint64_t)k;
    if (n > nMax) {
      if (!bPrefix) {
        rc = HS_ELIMIT;
        goto done;
      }
      n = nMax;
      break;
    }
  }
  if (n == 0) rc = HS_EFORMAT;
done:
  hs_gz_end(&gz);
  if (rc != HS_OK) {
    free(p);
    return rc;
  }
  *ppOut = p;
  *pnOut = n;
  return HS_OK;
}
