/* The heap dump writer shared by the tests and the benchmarks; see
** dumpwriter.h. */
#include <stdlib.h>
#include <string.h>
#include "dumpwriter.h"

void tl_dump_bytes(tl_dump *w, const void *p, size_t n) {
  if (!n) return;
  w->nOut += n;
  if (w->pOut) {
    if (fwrite(p, 1, n, w->pOut) != n) {
      perror("heap dump writer");
      exit(1);
    }
    return;
  }
  if (w->n + n > w->nCap) {
    w->nCap = (w->n + n) * 2 + 64;
    w->p = realloc(w->p, w->nCap);
    if (!w->p) abort();
  }
  memcpy(w->p + w->n, p, n);
  w->n += n;
}

void tl_dump_uv(tl_dump *w, uint64_t v) {
  uint8_t b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  tl_dump_bytes(w, b, n);
}

void tl_dump_str(tl_dump *w, const char *z) {
  tl_dump_uv(w, strlen(z));
  tl_dump_bytes(w, z, strlen(z));
}

void tl_dump_params(tl_dump *w, uint64_t iHeapStart, uint64_t iHeapEnd, const char *zArch,
                    const char *zVersion, uint64_t nCpu) {
  tl_dump_bytes(w, "go1.7 heap dump\n", 16);
  tl_dump_uv(w, 6);
  tl_dump_uv(w, 0);   /* little-endian */
  tl_dump_uv(w, 8);   /* pointer size */
  tl_dump_uv(w, iHeapStart);
  tl_dump_uv(w, iHeapEnd);
  tl_dump_str(w, zArch);
  tl_dump_str(w, zVersion);
  tl_dump_uv(w, nCpu);
}

void tl_dump_object(tl_dump *w, uint64_t iAddr, const void *pContent, uint64_t n,
                    const uint64_t *aOff, uint64_t nOff) {
  tl_dump_uv(w, 1);
  tl_dump_uv(w, iAddr);
  tl_dump_uv(w, n);
  tl_dump_bytes(w, pContent, n);
  for (uint64_t i = 0; i < nOff; i++) {
    tl_dump_uv(w, 1);
    tl_dump_uv(w, aOff[i]);
  }
  tl_dump_uv(w, 0);
}
