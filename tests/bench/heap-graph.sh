#!/bin/sh
# The heap graph: dominators + retained sizes, index write and reopen, peak
# RSS.  Part 1 runs the algorithms on a synthetic graph of N objects (default
# 10M) through the C API; part 2 runs the real pipeline on a 10M-object heap
# dump from tests/bench/gendump.c (stage by stage in tests/bench/graph-bench.c,
# then heapscope itself twice: building the graph, then with the index file).
# Not a test: run by hand (or via tests/bench/run.sh); figures in RESULTS.md.
#   sh tests/bench/heap-graph.sh [N]
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build/release}
HS=${HEAPSCOPE:-$B/heapscope}
N=${1:-10000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. tests/bench/libs.sh
cc -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Icore -Itests -o "$tmp/graph-bench" tests/bench/graph-bench.c tests/lib/domiter.c \
  "$B/core/libheapscope.a" $LIBS
echo "--- synthetic graph (random: 2.5 pointers per object, 20% of them far), $N objects"
"$tmp/graph-bench" "$N" "$tmp"

echo "--- heap dump from gendump, $N objects"
cc -O2 -Itests -o "$tmp/gendump" tests/bench/gendump.c tests/lib/dumpwriter.c
"$tmp/gendump" "$tmp/heap.dump" "$N" go1.23.5
SIZE=$(stat -c %s "$tmp/heap.dump")
cat "$tmp/heap.dump" > /dev/null
"$tmp/graph-bench" "$tmp/heap.dump" "$tmp"
Q='local t0 = os.clock(); local s = case.heap.stats; return ("graph %.2f s cpu, from_index=%s"):format(os.clock() - t0, tostring(s.from_index))'
for run in "build + write index" "reopen with index"; do
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$HS" -e "$Q" "$tmp/heap.dump" > "$tmp/out"
  set -- $(cat "$tmp/time")
  printf '%-20s %s; %s s wall in all, peak RSS %d MiB (%.2fx the dump)\n' "$run:" \
    "$(cat "$tmp/out")" "$1" $(($2 / 1024)) "$(echo "$2 * 1024 / $SIZE" | bc -l)"
done
/usr/bin/time -f "%e %M" -o "$tmp/time" "$HS" -e 'return #case.heap.objects' "$tmp/heap.dump" > /dev/null
set -- $(cat "$tmp/time")
printf '%-20s %s s wall, peak RSS %d MiB (%.2fx the dump of %d MiB)\n' "load only:" "$1" \
  $(($2 / 1024)) "$(echo "$2 * 1024 / $SIZE" | bc -l)" $((SIZE / 1048576))
