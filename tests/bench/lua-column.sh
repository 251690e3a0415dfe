#!/bin/sh
# Lua over a 10M-row u64 column vs. the same loop in C.  Not a test: run by
# hand (or via tests/bench/run.sh) and write the figures in RESULTS.md.
set -eu
HS=${HEAPSCOPE:-build/release/heapscope}
N=${1:-10000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/sum.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  uint64_t *a = malloc(n * sizeof *a);
  for (long i = 0; i < n; i++) a[i] = (uint64_t)i * 3;
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  volatile uint64_t s = 0;
  uint64_t acc = 0;
  for (long i = 0; i < n; i++) acc += a[i];
  s = acc;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%-34s %8.3f s  %6.2f ns/row\n", "sum: C loop (gcc -O2)", secs, secs * 1e9 / n);
  return s == 0;
}
C
cc -O2 -o "$tmp/sum" "$tmp/sum.c"
echo "rows: $N"
"$tmp/sum" "$N"
"$HS" run tests/bench/lua-column.lua -- "$N"
