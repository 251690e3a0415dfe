/*
 * heapload: time one stage of opening a heap dump, for tests/bench/heap-load.sh
 * (which runs each stage in its own process under /usr/bin/time -v, so the
 * peak RSS it reports is that stage's).
 *
 *   heapload scan FILE    decode-only pass over the records (the floor):
 *                         mmap + hs_heapdump_scan, nothing stored
 *   heapload load FILE    hs_open: sniff + load into the heap.* tables
 *                         (HS_CASE_NOCACHE: no index file is read or written)
 *
 * Prints one line: stage, CPU seconds (user + system), and what was seen.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "heapscope/heap.h"
#include "formats/dumpscan.h"

/* CPU seconds (user + system) of this process: steadier than wall time on
** a shared machine, and what the stage costs. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: heapload scan|load FILE\n");
    return 2;
  }
  const char *zFile = argv[2];
  if (strcmp(argv[1], "scan") == 0) {
    int fd = open(zFile, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      perror(zFile);
      return 1;
    }
    double t0 = now();
    const uint8_t *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    hs_heapdump_counts cnt;
    uint64_t iEnd;
    int rc = hs_heapdump_scan(p, st.st_size, &cnt, &iEnd);
    double t1 = now();
    printf("scan %.3f s  rc=%d objects=%llu fields=%llu bytes=%llu\n", t1 - t0, rc,
           (unsigned long long)cnt.aRecord[1], (unsigned long long)cnt.nField,
           (unsigned long long)st.st_size);
    return rc == HS_OK ? 0 : 1;
  }
  if (strcmp(argv[1], "load") == 0) {
    hs_open_opts o;
    hs_open_opts_init(&o);
    o.caseFlags |= HS_CASE_NOCACHE;
    hs_caselist cl = {0};
    const char *az[1] = {zFile};
    double t0 = now();
    int rc = hs_open(az, 1, &o, &cl);
    double t1 = now();
    hs_case *c = cl.nCase ? cl.apCase[0] : NULL;
    if (rc != HS_OK || !c || !c->pHeap) {
      for (int i = 0; c && i < c->nDiag; i++) fprintf(stderr, "%s\n", c->aDiag[i].zMsg);
      fprintf(stderr, "heapload: %s did not load as a heap dump\n", zFile);
      return 1;
    }
    printf("load %.3f s  objects=%llu fields=%llu roots=%llu\n", t1 - t0,
           (unsigned long long)c->pHeap->nObj, (unsigned long long)c->pHeap->nField,
           (unsigned long long)c->pHeap->nRoot);
    hs_caselist_free(&cl);
    return 0;
  }
  fprintf(stderr, "heapload: unknown stage %s\n", argv[1]);
  return 2;
}
