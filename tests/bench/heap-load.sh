#!/bin/sh
# Heap dump loading: decode-only floor, load time and peak RSS on a synthetic
# dump of N objects (default 10 M, ~700 MB) made by tests/bench/gendump.c.
# Not a test: run by hand (or via tests/bench/run.sh); figures go in
# tests/bench/RESULTS.md.  Each stage runs in its own process under
# /usr/bin/time -v, with the dump already in the page cache (a warm-up read
# first), so the figures are CPU + page-mapping cost, not disk.
#
#   sh tests/bench/heap-load.sh [N] [GOVERSION]
#   KEEP=1 keeps the generated dump in $BENCH_DIR (default ${TMPDIR:-/tmp}/heapscope-bench)
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000000}
GOVER=${2:-go1.23.5}
B=${B:-build/release}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/heapscope-bench}
mkdir -p "$DIR"
DUMP="$DIR/heap-$N-$GOVER.dump"
[ -n "${KEEP:-}" ] || trap 'rm -f "$DUMP"' EXIT

. tests/bench/libs.sh
cc -O2 -Itests -o "$DIR/gendump" tests/bench/gendump.c tests/lib/dumpwriter.c
cc -O2 -D_GNU_SOURCE -Iinclude -Icore -Itests -o "$DIR/heapload" tests/bench/heapload.c core/formats/dumpscan.c \
  "$B/core/libheapscope.a" $LIBS

[ -f "$DUMP" ] || "$DIR/gendump" "$DUMP" "$N" "$GOVER"
SIZE=$(stat -c %s "$DUMP")
cat "$DUMP" > /dev/null   # warm the page cache

# run STAGE: the stage's CPU seconds (user + system, steadier than wall time
# on a shared machine), wall time of the whole process, peak RSS.
run() {
  /usr/bin/time -v "$DIR/heapload" "$1" "$DUMP" > "$DIR/$1.out" 2> "$DIR/$1.time" || {
    cat "$DIR/$1.out" "$DIR/$1.time"; exit 1; }
  secs=$(sed -n 's/^[a-z]* \([0-9.]*\) s.*/\1/p' "$DIR/$1.out")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/$1.time")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/$1.time")
  printf '%-6s %7s s CPU  %8s wall  peak RSS %6d MiB (%.2fx dump)   %s\n' "$1" "$secs" "$wall" \
    $((rss / 1024)) "$(echo "$rss * 1024 / $SIZE" | bc -l)" "$(cut -d' ' -f4- "$DIR/$1.out")"
}
printf 'dump: %s, %d objects, %d MiB\n' "$GOVER" "$N" $((SIZE / 1048576))
run scan
run load
