#!/bin/sh
# The heap graph: dominators + retained sizes, index write and reopen, peak
# RSS.  Part 1 runs the algorithms on a synthetic heap-shaped graph of N
# objects (default 10M) through the C API; part 2, if a heap dump is given
# (or tests/bench/gen-heapdump.* made one), runs heapscope on it twice:
# first building the graph, then reopening with the index file.
# Not a test: run by hand (or via tests/bench/run.sh); figures in RESULTS.md.
#   sh tests/bench/heap-graph.sh [N] [DUMP]
set -eu
B=${B:-build/release}
HS=${HEAPSCOPE:-$B/heapscope}
N=${1:-10000000}
DUMP=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gcc -O2 -std=gnu11 -Iinclude -o "$tmp/graph-bench" tests/bench/graph-bench.c \
  "$B/core/libheapscope.a" -lmsgpackc -lm -pthread
echo "--- synthetic graph, $N objects"
"$tmp/graph-bench" "$N" "$tmp"

[ -n "$DUMP" ] || exit 0
echo "--- heapscope on $DUMP ($(stat -c %s "$DUMP") bytes)"
cp "$DUMP" "$tmp/heap.dump"
Q='local t0 = os.clock(); local s = case.heap.stats; return ("graph %.2f s cpu, from_index=%s, %d objects, %d edges"):format(os.clock() - t0, tostring(s.from_index), s.objects, s.edges)'
for run in build reopen; do
  /usr/bin/time -f "$run: %e s wall, peak RSS %M KiB" "$HS" -e "$Q" "$tmp/heap.dump"
done
/usr/bin/time -f "load only (no graph): %e s wall, peak RSS %M KiB" "$HS" -e 'return #case.heap.objects' "$tmp/heap.dump"
