/*
 * Small utilities every layer uses: string copies and printf into fresh
 * memory, human byte counts, the Ctrl-C flag long loops poll, and the
 * memory the machine (or its cgroup) allows, declared in
 * heapscope/heapscope.h (part of the public C API); and the growable-array
 * helper of base.h.  They depend on nothing else in heapscope, so any
 * folder may call them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapscope/heapscope.h"
#include "base/base.h"

volatile int hs_interrupted;

char *hs_strdup(const char *z) { return z ? strdup(z) : NULL; }
char *hs_strndup(const char *z, size_t n) { return z ? strndup(z, n) : NULL; }

void *hs_realloc_array(void *p, uint64_t n, size_t nSize) {
  if (nSize && n > SIZE_MAX / nSize) return NULL;
  return realloc(p, (size_t)n * nSize);
}

char *hs_vmprintf(const char *zFmt, va_list ap) {
  char *z = NULL;
  if (vasprintf(&z, zFmt, ap) < 0) return NULL;
  return z;
}

char *hs_mprintf(const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = hs_vmprintf(zFmt, ap);
  va_end(ap);
  return z;
}

void hs_fmt_bytes(uint64_t n, char *zOut, size_t nOut) {
  static const char *azUnit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) {
    snprintf(zOut, nOut, "%llu B", (unsigned long long)n);
    return;
  }
  double v = (double)n;
  int i = 0;
  while (v >= 1024 && i < 6) {
    v /= 1024;
    i++;
  }
  snprintf(zOut, nOut, "%.1f %s", v, azUnit[i]);
}

uint64_t hs_machine_memory(void) {
  long nPage = sysconf(_SC_PHYS_PAGES), nSize = sysconf(_SC_PAGESIZE);
  uint64_t n = nPage > 0 && nSize > 0 ? (uint64_t)nPage * (uint64_t)nSize : (uint64_t)4 << 30;
  FILE *f = fopen("/sys/fs/cgroup/memory.max", "r"); /* cgroup v2; "max" if none */
  if (f) {
    unsigned long long nMax;
    if (fscanf(f, "%llu", &nMax) == 1 && nMax > 0 && nMax < n) n = nMax;
    fclose(f);
  }
  return n;
}

int hs_nthreads(void) {
  const char *z = getenv("HEAPSCOPE_THREADS");
  int n = z && *z ? atoi(z) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 2 ? 2 : 1;
}

int hs_two_threads(uint64_t n) { return n > 65536 && hs_nthreads() > 1; }

void hs_run_two(void *(*x)(void *), void *a, void *b, int bTwo) {
  pthread_t th;
  int bThread = bTwo && pthread_create(&th, NULL, x, b) == 0;
  x(a);
  if (bThread)
    pthread_join(th, NULL);
  else
    x(b);
}

void hs_drop_behind(const uint8_t *pBase, uint64_t *piDropped, uint64_t iAt) {
  if (iAt <= *piDropped || iAt - *piDropped <= (64u << 20)) return;
  uint64_t iTo = iAt & ~(uint64_t)0xfffff;
  madvise((void *)(pBase + *piDropped), iTo - *piDropped, MADV_DONTNEED);
  *piDropped = iTo;
}

void hs_spare_put(hs_spare *s, void *p, size_t n) {
  for (int i = 0; p && i < HS_SPARE_MAX; i++)
    if (!s->ap[i]) {
      s->ap[i] = p;
      s->an[i] = n;
      return;
    }
  free(p);
}

void *hs_spare_take(hs_spare *s, size_t n) {
  int iBest = -1;
  for (int i = 0; s && i < HS_SPARE_MAX; i++)
    if (s->ap[i] && s->an[i] >= n && (iBest < 0 || s->an[i] < s->an[iBest])) iBest = i;
  if (iBest < 0) return malloc(n ? n : 1);
  void *p = s->ap[iBest], *pShrunk = n ? realloc(p, n) : NULL;
  s->ap[iBest] = NULL;
  return pShrunk ? pShrunk : p;
}

void hs_spare_free(hs_spare *s) {
  for (int i = 0; i < HS_SPARE_MAX; i++) {
    free(s->ap[i]);
    s->ap[i] = NULL;
  }
}
