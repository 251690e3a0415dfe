#!/bin/sh
# Benchmark: how fast the MemStats JSON-lines, Prometheus text and proc
# loaders read big inputs.
#
#   tests/bench/memstats-prom.sh [build/release/heapscope]   (SIZE_MB=100 by default)
#
# Generates ~SIZE_MB MB inputs by repeating real sample content:
#   memstats.jsonl  the go1.23/leaky memstats.jsonl lines over and over (each
#                   line a full MemStats with its 256-entry pause rings and
#                   BySize: ~4.7 KB a line)
#   metrics.prom    the prometheus metrics.prom scrapes over and over (the
#                   loader splits scrapes at every marker / repeated series)
# and times `heapscope info FILE` (best of 3, minus `info` on a tiny file,
# i.e. process start-up), printing MB/s and rows.  Files go to
# ${TMPDIR:-/tmp}/heapscope-bench and are removed afterwards.
set -eu
B=${1:-${HEAPSCOPE:-build/release/heapscope}}
SIZE_MB=${SIZE_MB:-100}
D=${TMPDIR:-/tmp}/heapscope-bench
mkdir -p "$D"
target=$((SIZE_MB * 1024 * 1024))
J=samples/go1.23/leaky/memstats.jsonl
[ -f "$J" ] || J=samples/go1.19/leaky/memstats.jsonl
P=samples/thirdparty/prometheus/metrics.prom

repeat() {  # repeat file $1 into $2 until it holds $target bytes
  : > "$2"
  while [ "$(wc -c < "$2")" -lt "$target" ]; do
    for i in 1 2 3 4 5 6 7 8 9 10; do cat "$1"; done >> "$2"
  done
}

best() {  # best wall and CPU (user+sys) seconds of 3 runs of: $B info $1
  bw=999999; bc_=999999
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$D/time.txt" "$B" info "$1" > /dev/null 2>&1 || true
    read w u s < "$D/time.txt"
    bw=$(awk -v a="$w" -v b="$bw" 'BEGIN { print (a < b) ? a : b }')
    bc_=$(awk -v a="$u" -v c="$s" -v b="$bc_" 'BEGIN { print (a + c < b) ? a + c : b }')
  done
  echo "$bw $bc_"
}

printf '{"HeapAlloc":1}\n' > "$D/tiny.json"
set -- $(best "$D/tiny.json")
w0=$1 c0=$2
echo "(wall clock suffers when other jobs share the machine; CPU = user + sys)"
for kind in memstats prom; do
  if [ $kind = memstats ]; then f=$D/memstats.jsonl; src=$J; else f=$D/metrics.prom; src=$P; fi
  repeat "$src" "$f"
  set -- $(best "$f")
  mb=$(awk -v n="$(wc -c < "$f")" 'BEGIN { print n / 1048576 }')
  rows=$("$B" info "$f" 2>/dev/null | awk '$1 == "table" { printf "%s=%s ", $2, $3 }')
  awk -v k=$kind -v mb="$mb" -v w="$1" -v c="$2" -v w0="$w0" -v c0="$c0" -v rows="$rows" 'BEGIN {
    printf "%-9s %6.1f MB  wall %6.2f s (%6.1f MB/s)  cpu %6.2f s (%6.1f MB/s)  %s\n",
      k, mb, w - w0, mb / (w - w0), c - c0, mb / (c - c0 > 0 ? c - c0 : 0.01), rows }'
  rm -f "$f"
done
rm -f "$D/tiny.json" "$D/time.txt"
