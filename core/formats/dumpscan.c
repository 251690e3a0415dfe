/* The decode-only heap dump scan; see dumpscan.h. */
#include <string.h>
#include "heapscope/heapscope.h"
#include "formats/dumpread.h"
#include "formats/dumpscan.h"

static uint64_t scan_fields(rd *r) {
  uint64_t n = 0;
  while (rd_uv(r) != 0) {
    rd_uv(r);
    n++;
  }
  return n;
}

int hs_heapdump_scan(const uint8_t *p, uint64_t n, hs_heapdump_counts *pCounts,
                     uint64_t *piEnd) {
  hs_heapdump_counts cnt;
  memset(&cnt, 0, sizeof cnt);
  int rc = HS_OK;
  rd r = {p, p, p + n, 0, 0, 0};
  uint64_t m;
  if (n < HEAPDUMP_MAGIC_LEN || memcmp(p, HEAPDUMP_MAGIC, HEAPDUMP_MAGIC_LEN) != 0) {
    rc = HS_EFORMAT;
    goto done;
  }
  r.p += HEAPDUMP_MAGIC_LEN;
  for (;;) {
    if (r.p >= r.pEnd) {
      rc = HS_ETRUNC;
      break;
    }
    uint64_t tag = rd_uv(&r);
    if (tag <= TAG_MAX) cnt.aRecord[tag]++;
    switch (tag) {
      case TAG_EOF: goto done;
      case TAG_OBJECT: rd_uv(&r); rd_bytes(&r, &m); cnt.nObjBytes += m;
        cnt.nField += scan_fields(&r); break;
      case TAG_OTHERROOT: rd_bytes(&r, &m); rd_uv(&r); break;
      case TAG_TYPE: rd_uv(&r); rd_uv(&r); rd_bytes(&r, &m); rd_uv(&r); break;
      case TAG_GOROUTINE:
        for (int k = 0; k < 8; k++) rd_uv(&r);
        rd_bytes(&r, &m);
        for (int k = 0; k < 4; k++) rd_uv(&r);
        break;
      case TAG_FRAME:
        for (int k = 0; k < 3; k++) rd_uv(&r);
        rd_bytes(&r, &m);
        for (int k = 0; k < 3; k++) rd_uv(&r);
        rd_bytes(&r, &m);
        cnt.nField += scan_fields(&r);
        break;
      case TAG_PARAMS:
        for (int k = 0; k < 4; k++) rd_uv(&r);
        rd_bytes(&r, &m); rd_bytes(&r, &m); rd_uv(&r); break;
      case TAG_FINALIZER: case TAG_QFINALIZER: for (int k = 0; k < 5; k++) rd_uv(&r); break;
      case TAG_ITAB: rd_uv(&r); rd_uv(&r); break;
      case TAG_THREAD: for (int k = 0; k < 3; k++) rd_uv(&r); break;
      case TAG_MEMSTATS:
        for (int k = 0; k < N_MEMSTAT + 256; k++) rd_uv(&r);
        cnt.nNumGC = rd_uv(&r);
        break;
      case TAG_DATA: case TAG_BSS: rd_uv(&r); rd_bytes(&r, &m); cnt.nField += scan_fields(&r);
        break;
      case TAG_DEFER: for (int k = 0; k < 7; k++) rd_uv(&r); break;
      case TAG_PANIC: for (int k = 0; k < 6; k++) rd_uv(&r); break;
      case TAG_MEMPROF: {
        rd_uv(&r); rd_uv(&r);
        uint64_t nstk = rd_uv(&r);
        for (uint64_t k = 0; k < nstk && !r.err; k++) { rd_bytes(&r, &m); rd_bytes(&r, &m); rd_uv(&r); }
        rd_uv(&r); rd_uv(&r);
        break;
      }
      case TAG_ALLOCSAMPLE: rd_uv(&r); rd_uv(&r); break;
      default: rc = HS_EFORMAT; goto done;
    }
    if (r.err) {
      rc = r.err == RD_VARINT ? HS_EFORMAT : HS_ETRUNC;
      break;
    }
  }
done:
  if (pCounts) *pCounts = cnt;
  if (piEnd) *piEnd = (uint64_t)(r.p - r.pBase);
  return rc;
}
