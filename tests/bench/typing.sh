#!/bin/sh
# Typing a big heap from its binary (core/binary) against the graph build,
# on the dump tests/bench/realheap writes (~12 objects per record: strings,
# byte slices, small maps, trees with parent and owner pointers, all reached
# from a global map; 850 k records ~ 10 M objects).  Not a test: run by hand;
# figures in RESULTS.md.  Needs Go 1.23 to build the generator (and so the
# binary the names come from).  Each figure is its own process under
# /usr/bin/time with the dump warm in the page cache:
#   load         heapscope loads the dump, no graph, no binary
#   load+types   the same with --binary: the match check, root names,
#                typing (headers, interfaces, DWARF propagation), the
#                typed-share count and inline chains
#   load+graph   the same without the binary, building the graph (pointer
#                resolution, dominators, retained sizes, BFS)
# typing = (load+types) - load; graph = (load+graph) - load.
#
#   sh tests/bench/typing.sh [RECORDS]
set -eu
cd "$(dirname "$0")/../.."
REC=${1:-850000}
. tests/bench/libs.sh
realheap_dump "$REC"
BIN="$DIR/realheap"      # the program that wrote the dump (realheap_dump built it)

# fig LABEL CMD...: wall seconds, CPU seconds, peak RSS; CPU seconds in $cpu
fig() {
  label=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$DIR/time" "$@" > "$DIR/out" 2>&1 || { cat "$DIR/out"; exit 1; }
  set -- $(cat "$DIR/time")
  cpu=$(echo "$2 + $3" | bc -l)
  printf '%-12s %6s s wall %6.2f s CPU  peak RSS %5d MiB\n' "$label" "$1" "$cpu" $(($4 / 1024))
}
printf 'dump: %d MiB\n' $((SIZE / 1048576))
fig load "$HS" --no-cache -e 'return #case.heap.objects' "$DUMP"
load=$cpu
fig load+types "$HS" --no-cache --binary "$BIN" -e 'return #case.heap.objects' "$DUMP"
types=$cpu
fig load+graph "$HS" --no-cache -e 'return case.heap.stats.edges' "$DUMP"
graph=$cpu
"$HS" --no-cache --binary "$BIN" run tests/bench/typed-share.lua "$DUMP"
printf 'typing %.2f s CPU, graph %.2f s CPU: typing/graph = %.2f\n' \
  "$(echo "$types - $load" | bc -l)" "$(echo "$graph - $load" | bc -l)" \
  "$(echo "($types - $load) / ($graph - $load)" | bc -l)"
