#!/bin/sh
# The detectors against the graph build they need: on a 10M-object heap
# dump from tests/bench/gendump.c, the whole process that loads the dump and
# builds the graph (the floor), then the whole process that also runs every
# detector (`heapscope check --pack default` when the engine has it, else
# tests/bench/heap-detectors.lua, which also prints each detector's CPU
# time).  The target: detectors add at most 50% to the floor.  No index file
# is read or written (--no-cache), so each run builds the graph.
# Not a test: run by hand; figures in tests/bench/RESULTS.md.
#   sh tests/bench/heap-detectors.sh [N]
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build/release}
HS=${HEAPSCOPE:-$B/heapscope}
N=${1:-10000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -Itests -o "$tmp/gendump" tests/bench/gendump.c tests/lib/dumpwriter.c
"$tmp/gendump" "$tmp/heap.dump" "$N" go1.23.5
cat "$tmp/heap.dump" > /dev/null
SIZE=$(stat -c %s "$tmp/heap.dump")
echo "--- $N objects, $((SIZE / 1048576)) MiB dump; best of 3 runs each"

# best wall time of 3 runs of a command; prints "wall rss_kib"
best() {
  b=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || true
    sed -i "/status/d" "$tmp/time"
    t=$(cut -d' ' -f1 "$tmp/time")
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; r=$(cut -d' ' -f2 "$tmp/time"); fi
  done
  echo "$b $r"
}

set -- $(best "$HS" --no-cache -e 'return case.heap.stats.edges' "$tmp/heap.dump")
floor=$1
printf '%-34s %6.2f s wall, peak RSS %d MiB\n' "load + graph (floor):" "$1" $(($2 / 1024))
if "$HS" --help 2>&1 | grep -q "heapscope check"; then
  set -- $(best "$HS" check --no-cache --pack default --fail-on never "$tmp/heap.dump")
  printf '%-34s %6.2f s wall, peak RSS %d MiB\n' "check --pack default:" "$1" $(($2 / 1024))
else
  set -- $(best "$HS" --no-cache run tests/bench/heap-detectors.lua "$tmp/heap.dump")
  printf '%-34s %6.2f s wall, peak RSS %d MiB\n' "load + graph + every detector:" "$1" $(($2 / 1024))
  sed 's/^/    /' "$tmp/out"
fi
printf 'detectors cost %.2fx the floor (target <= 1.50x)\n' "$(echo "$1 / $floor" | bc -l)"
