#!/bin/sh
# The heap graph on a heap written by a real Go program (tests/bench/realheap:
# records with strings, byte slices, small maps, 7-node trees with parent
# and owner pointers, a pointer to a random earlier record, all indexed by a
# global map): ~8.4 M objects, ~18 M pointers, ~750 MB, far pointers as real
# services have.  Not a test: run by hand; figures in RESULTS.md.
#
# Needs Go 1.23 (apt-get install -t bookworm-backports golang-1.23-go) to
# build the generator; the dump is made in $BENCH_DIR and removed after
# unless KEEP=1.  Each figure is its own process under /usr/bin/time, the
# dump warm in the page cache:
#   floor      decode-only pass over the records (tests/bench/heapload.c scan)
#   load       heapscope's loader (heapload load)
#   graph T=1  load + graph + dominators + retained + BFS, one thread
#   graph T=2  the same with two threads (HEAPSCOPE_THREADS=2)
#   top_retainers   the same and the first top_retainers(10) (the tree's
#              top level from the idom column, the rows' accumulation points,
#              like counts and root paths: the issue's own measure of the
#              graph)
#   reopen     heapscope with the index file written by the run before
#              (the graph's sections are checked on its first use)
#   reopen objects   the same with a query that reads only the objects
#
#   sh tests/bench/realheap.sh [RECORDS]
set -eu
cd "$(dirname "$0")/../.."
REC=${1:-700000}
. tests/bench/libs.sh
realheap_dump "$REC"
cc -O2 -D_GNU_SOURCE -Iinclude -Icore -Itests -o "$DIR/heapload" tests/bench/heapload.c core/formats/dumpscan.c \
  "$B/core/libheapscope.a" $LIBS

# fig LABEL CMD...: wall seconds, CPU seconds (user + sys), peak RSS
fig() {
  label=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$DIR/time" "$@" > "$DIR/out" 2>&1 || { cat "$DIR/out"; exit 1; }
  set -- $(cat "$DIR/time")
  printf '%-16s %6s s wall %6.2f s CPU  peak RSS %5d MiB (%.2fx dump)\n' "$label" "$1" \
    "$(echo "$2 + $3" | bc -l)" $(($4 / 1024)) "$(echo "$4 * 1024 / $SIZE" | bc -l)"
}
printf 'dump: %d MiB\n' $((SIZE / 1048576))
Q='return case.heap.stats.edges'
fig floor "$DIR/heapload" scan "$DUMP"
fig load "$DIR/heapload" load "$DUMP"
fig "graph T=1" env HEAPSCOPE_THREADS=1 "$HS" --no-cache -e "$Q" "$DUMP"
fig "graph T=2" env HEAPSCOPE_THREADS=2 "$HS" --no-cache -e "$Q" "$DUMP"
fig "top_retainers" env HEAPSCOPE_THREADS=2 "$HS" --no-cache -e 'return case.heap:top_retainers(10)' "$DUMP"
rm -f "$DUMP.hsidx"
fig "first open" "$HS" -e "$Q" "$DUMP"
fig reopen "$HS" -e "$Q" "$DUMP"
fig "reopen objects" "$HS" -e 'return #case.heap.objects' "$DUMP"
