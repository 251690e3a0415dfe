#!/bin/sh
# What the whole-dump hash adds to reopening a heap dump with its index
# (issue 11: the index is keyed on an XXH3 of every byte of the dump).
# Not a test: run by hand (or via tests/bench/run.sh) and write the figures
# in tests/bench/RESULTS.md.
#
#   sh tests/bench/index-hash.sh [NOBJECTS]     (default 10000000, ~700 MB)
#
# On one gendump heap, page cache warm, each figure the best of 3 runs:
#   read floor   a fresh mmap of the dump, every 64-bit word summed (the
#                page faults and memory traffic any whole-dump pass pays)
#   hash         the same mapping hashed with hs_index_hash (XXH3-64), the
#                function the index key uses
#   reopen       heapscope -e over the dump with its index present: load,
#                key (the hash included), index checks, one query
set -eu
. tests/bench/libs.sh     # B, HS, LIBS
N=${1:-10000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/hashtime.c" <<'C'
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "heapscope/graph.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds for one pass over a fresh mapping: bHash 0 sums words, 1 hashes. */
static double pass(const char *zPath, int bHash, uint64_t *pOut) {
  int fd = open(zPath, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return -1;
  const uint8_t *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return -1;
  double t0 = now();
  uint64_t v = 0;
  if (bHash) {
    v = hs_index_hash(p, st.st_size);
  } else {
    uint64_t w;
    for (off_t i = 0; i + 8 <= st.st_size; i += 8) {
      memcpy(&w, p + i, 8);
      v += w;
    }
  }
  double t = now() - t0;
  munmap((void *)p, st.st_size);
  *pOut ^= v;
  return t;
}

int main(int argc, char **argv) {
  uint64_t x = 0;
  for (int bHash = 0; bHash <= 1; bHash++) {
    double best = 1e9;
    for (int k = 0; k < 3; k++) {
      double t = pass(argv[1], bHash, &x);
      if (t >= 0 && t < best) best = t;
    }
    printf("%s %.3f\n", bHash ? "hash" : "floor", best);
  }
  return x == 42;   /* keep the sums alive */
}
C
cc -O2 -D_GNU_SOURCE -Iinclude -o "$tmp/hashtime" "$tmp/hashtime.c" "$B/core/libheapscope.a" $LIBS
cc -O2 -Itests -o "$tmp/gendump" tests/bench/gendump.c tests/lib/dumpwriter.c
"$tmp/gendump" "$tmp/heap.dump" "$N" go1.23.5 2>/dev/null
SIZE=$(stat -c %s "$tmp/heap.dump")
export XDG_CACHE_HOME="$tmp/cache"
"$HS" -q -e 'return #case.heap:top_retainers(1)' "$tmp/heap.dump" > /dev/null   # writes the index
cat "$tmp/heap.dump" > /dev/null                                                  # warm
"$tmp/hashtime" "$tmp/heap.dump" > "$tmp/h"
floor=$(sed -n 's/^floor //p' "$tmp/h")
hash=$(sed -n 's/^hash //p' "$tmp/h")
best=999
bestcpu=999
for k in 1 2 3; do
  /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$HS" -q -e 'return #case.heap:top_retainers(1)' "$tmp/heap.dump" > /dev/null
  read -r wall u s < "$tmp/t"
  cpu=$(echo "$u + $s" | bc -l)
  best=$(echo "if ($wall < $best) $wall else $best" | bc -l)
  bestcpu=$(echo "if ($cpu < $bestcpu) $cpu else $bestcpu" | bc -l)
done
printf 'dump: gendump, %d objects, %d MiB; load average %s\n' "$N" $((SIZE / 1048576)) "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-44s %7.3f s  (%.2f GB/s)\n' "read floor (fresh mmap, words summed)" "$floor" "$(echo "$SIZE / $floor / 1000000000" | bc -l)"
printf '%-44s %7.3f s  (%.2f GB/s, %.2fx the floor)\n' "hash (hs_index_hash, XXH3-64)" "$hash" \
  "$(echo "$SIZE / $hash / 1000000000" | bc -l)" "$(echo "$hash / $floor" | bc -l)"
printf '%-44s %7.3f s wall, %.3f s CPU\n' "reopen with the index (one query)" "$best" "$bestcpu"
printf '%-44s %5.1f%% of the reopen wall time\n' "the hash's share" "$(echo "100 * $hash / $best" | bc -l)"
printf '%-44s %5.1f%% of the reopen CPU time\n' "" "$(echo "100 * $hash / $bestcpu" | bc -l)"
