#!/bin/sh
# What the HTML report's charts cost (issue 13): `check --format html`
# against `check --format json` on the same input with the same detectors,
# so the difference is hs.charts (dominator tree top levels, heap profile by
# stack, GC and MemStats series, goroutine groups) and the page.  Not a
# test: run by hand; figures in RESULTS.md.
#
# Inputs: the realheap program's dump (tests/bench/realheap; needs Go 1.23
# to build, made in $BENCH_DIR and removed after unless KEEP=1) with the
# index written first, so both runs reopen it, and the leaky sample (every
# kind of evidence).  Each figure is its own process under /usr/bin/time,
# three of each, json and html alternated.
#
#   sh tests/bench/report.sh [RECORDS]
set -eu
cd "$(dirname "$0")/../.."
REC=${1:-200000}
HS=${HEAPSCOPE:-${B:-build/release}/heapscope}
. tests/bench/libs.sh
realheap_dump "$REC"
"$HS" -e "return case.heap:dominated(1).total" "$DUMP" > /dev/null  # index with the graph

# fig LABEL FORMAT INPUT: wall, CPU (user + sys), peak RSS, output size
fig() {
  /usr/bin/time -f '%e %U %S %M' -o "$DIR/report.time" "$HS" check --fail-on never --format "$2" \
    -o "$DIR/report.out" "$3" > /dev/null 2>&1 || { cat "$DIR/report.time"; exit 1; }
  set -- "$1" $(cat "$DIR/report.time")
  printf '%-22s %6s s wall %6.2f s CPU  peak RSS %5d MiB  output %6d KiB\n' "$1" "$2" \
    "$(echo "$3 + $4" | bc -l)" $(($5 / 1024)) $(($(stat -c %s "$DIR/report.out") / 1024))
}
printf 'realheap dump: %d MiB, %s objects\n' $((SIZE / 1048576)) \
  "$("$HS" -e 'return #case.heap.objects' "$DUMP")"
for run in 1 2 3; do                  # alternated: the machine's load drifts
  fig "realheap json #$run" json "$DUMP"
  fig "realheap html #$run" html "$DUMP"
done
for run in 1 2 3; do
  fig "leaky json #$run" json samples/go1.23/leaky
  fig "leaky html #$run" html samples/go1.23/leaky
done
