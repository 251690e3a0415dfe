/*
 * A main() for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput over every file named (directories recursively),
 * plus truncated and bit-flipped variants of each, so that the plain and
 * asan test builds exercise every loader on hostile input too.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static unsigned gnRun;

static void run_file(const char *zPath) {
  FILE *f = fopen(zPath, "rb");
  if (!f) return;
  uint8_t *p = NULL;
  size_t n = 0, nCap = 0;
  for (;;) {
    if (n == nCap) {
      nCap = nCap ? nCap * 2 : 65536;
      if (nCap > (64u << 20)) break; /* bounded: the samples are small */
      p = realloc(p, nCap);
      if (!p) break;
    }
    size_t r = fread(p + n, 1, nCap - n, f);
    if (r == 0) break;
    n += r;
  }
  fclose(f);
  if (!p) return;
  LLVMFuzzerTestOneInput(p, n);
  gnRun++;
  /* Truncations at a few places, and a few deterministic bit flips. */
  size_t aCut[] = {n / 2, n / 3, n > 17 ? 17 : 0, n > 1 ? n - 1 : 0};
  for (size_t i = 0; i < sizeof aCut / sizeof aCut[0]; i++) {
    uint8_t *q = malloc(aCut[i] ? aCut[i] : 1);
    if (!q) continue;
    memcpy(q, p, aCut[i]);
    LLVMFuzzerTestOneInput(q, aCut[i]);
    free(q);
    gnRun++;
  }
  uint32_t x = 2463534242u;
  for (int k = 0; k < 8 && n > 0; k++) {
    uint8_t *q = malloc(n);
    if (!q) break;
    memcpy(q, p, n);
    for (int j = 0; j < 4; j++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      q[x % n] ^= (uint8_t)(1u << (x % 8));
    }
    LLVMFuzzerTestOneInput(q, n);
    free(q);
    gnRun++;
  }
  free(p);
}

static void run_path(const char *zPath, int nDepth) {
  struct stat st;
  if (stat(zPath, &st) != 0 || nDepth > 16) return;
  if (!S_ISDIR(st.st_mode)) {
    run_file(zPath);
    return;
  }
  struct dirent **aEnt;
  int n = scandir(zPath, &aEnt, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    if (aEnt[i]->d_name[0] != '.') {
      char z[4096];
      snprintf(z, sizeof z, "%s/%s", zPath, aEnt[i]->d_name);
      run_path(z, nDepth + 1);
    }
    free(aEnt[i]);
  }
  if (n >= 0) free(aEnt);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) run_path(argv[i], 0);
  printf("%s: %u inputs run without a crash\n", argv[0], gnRun);
  return 0;
}
