#!/bin/sh
# Batch (issue 12): `heapscope check` over archives of cases.
#
#   sh tests/bench/batch.sh        (NCASE=200 BIG_MB=2048 CASE_MB=20)
#
# 1. Throughput: an archive (.tar.gz) of NCASE small cases, each a directory
#    holding a gctrace log, a goroutine dump and a /proc file copied from the
#    test fixtures -- what a nightly sweep of small captures does per case:
#    group, load, run the default pack, write jsonl.  -j 1 and -j 2, best of
#    3 (whole-process wall clock from /usr/bin/time), as cases per minute and
#    the ratio -j2 / -j1 (goal: >= 1.8 on two cores; the machine's other load
#    shows in it), against its peer: two -j 1 runs side by side, the most two
#    processes get from the cores free at the time.  The two outputs must be
#    identical.
# 2. Memory: an uncompressed .tar of about BIG_MB MB -- cases of CASE_MB MB
#    of gctrace log each, the first twice as big -- checked with -j 1; its
#    peak RSS against the peak RSS of checking the largest case alone (the
#    floor: streaming holds one case at a time) and against the archive's
#    size.
# 3. The header pass (a top-level directory's members apart in an archive
#    are still one case: core/source/source.c scan_later reads the headers
#    first): the memory run's archive gzipped, checked with -j 1, against
#    its floor, `gzip -dc` of the same file (the decompression the pass
#    repeats), and, when OLD names a build without the pass, against that
#    build over the same archives, alternated, best of 3.
# Files go to ${TMPDIR:-/tmp} and are removed afterwards.
set -eu
cd "$(dirname "$0")/../.."
HS=${HEAPSCOPE:-$PWD/build/release/heapscope}
NCASE=${NCASE:-200}
BIG_MB=${BIG_MB:-2048}
CASE_MB=${CASE_MB:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/hs-batch-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

best() {  # best() J OUT INPUT: best-of-$REPS wall seconds, its CPU seconds (user + sys,
          # workers included) and the max RSS (KiB; with workers, of the largest
          # process) of check -j J
  b=; rss=0
  for rep in $(seq "$REPS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$HS" check -q -j "$1" --fail-on never \
      --format jsonl -o "$2" "$3" || true
    read -r wall u sy m < "$T/time"
    if [ -z "$b" ] || awk "BEGIN { exit !($wall < $b) }"; then b=$wall; cpu=$(awk "BEGIN { print $u + $sy }"); fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$b $cpu $rss"
}

REPS=3
i=0
while [ "$i" -lt "$NCASE" ]; do
  d=$(printf '%s/cases/case-%03d' "$T" "$i")
  mkdir -p "$d"
  cp tests/fuzz/corpus/gctrace/go1.21.log "$d/gctrace.log"
  cp tests/fuzz/corpus/goroutines/go1.23-system.txt "$d/goroutines.txt"
  cp tests/fixtures/proc/smaps "$d/smaps_rollup"
  i=$((i + 1))
done
tar -C "$T/cases" -czf "$T/cases.tar.gz" .
set -- $(best 1 "$T/out-1.jsonl" "$T/cases.tar.gz"); w1=$1; c1=$2
set -- $(best 2 "$T/out-2.jsonl" "$T/cases.tar.gz"); w2=$1; c2=$2
# The peer for -j 2: two -j 1 runs side by side over the same archive, best
# of $REPS -- twice the cases in that wall time is what the cores free right
# now give two processes that share nothing (on two idle cores: 2x).
bp=
for rep in $(seq "$REPS"); do
  s0=$(date +%s.%N)
  "$HS" check -q -j 1 --fail-on never --format jsonl -o "$T/pair-a.jsonl" "$T/cases.tar.gz" &
  "$HS" check -q -j 1 --fail-on never --format jsonl -o "$T/pair-b.jsonl" "$T/cases.tar.gz" || true
  wait || true
  s1=$(date +%s.%N)
  wp=$(awk "BEGIN { print $s1 - $s0 }")
  if [ -z "$bp" ] || awk "BEGIN { exit !($wp < $bp) }"; then bp=$wp; fi
done
n=$(wc -l < "$T/out-1.jsonl")
echo "throughput, $NCASE small cases in one .tar.gz ($n case maps written; load average $(cut -d' ' -f1 /proc/loadavg)):"
awk -v n="$NCASE" -v a="$w1" -v b="$w2" -v p="$bp" -v ca="$c1" -v cb="$c2" 'BEGIN {
  printf "  -j 1: %.2f s wall, %.2f s CPU, %.0f cases/min\n", a, ca, n * 60 / a
  printf "  -j 2: %.2f s wall, %.2f s CPU, %.0f cases/min\n", b, cb, n * 60 / b
  printf "  -j 2 / -j 1: %.2fx cases/min; CPU per case %.2fx\n", a / b, cb / ca
  printf "  two -j 1 runs side by side: %.2f s wall for both, %.2fx one -j 1 run'"'"'s cases/min\n", p, 2 * a / p
  printf "  -j 2 against that ceiling: %.2f\n", (a / b) / (2 * a / p) }'
cmp -s "$T/out-1.jsonl" "$T/out-2.jsonl" && echo "  -j 1 and -j 2 outputs are identical" \
  || echo "  -j 1 and -j 2 outputs DIFFER"
rm -rf "$T/cases" "$T/cases.tar.gz" "$T"/out-* "$T"/pair-*

# 2. a big archive, streamed
log=tests/fuzz/corpus/gctrace/go1.21.log
one=$T/one.log
: > "$T/mb.log"
while [ "$(wc -c < "$T/mb.log")" -lt 1048576 ]; do cat "$log" >> "$T/mb.log"; done
: > "$one"
i=0
while [ "$i" -lt "$CASE_MB" ]; do cat "$T/mb.log" >> "$one"; i=$((i + 1)); done
ncase=$((BIG_MB / CASE_MB - 1))
mkdir -p "$T/big/case-000"
cat "$one" "$one" > "$T/big/case-000/gctrace.log"   # the largest case: twice the others
i=1
while [ "$i" -lt "$ncase" ]; do
  d=$(printf '%s/big/case-%03d' "$T" "$i")
  mkdir -p "$d"
  ln "$one" "$d/gctrace.log" 2>/dev/null || cp "$one" "$d/gctrace.log"  # tar: --hard-dereference
  i=$((i + 1))
done
tar -C "$T/big" --hard-dereference -cf "$T/big.tar" .
size=$(( $(wc -c < "$T/big.tar") / 1024 ))
REPS=1
set -- $(best 1 "$T/big.jsonl" "$T/big.tar"); wb=$1; rb=$3
set -- $(best 2 "$T/big2.jsonl" "$T/big.tar"); wb2=$1; rb2=$3
set -- $(best 1 "$T/one.jsonl" "$T/big/case-000"); wo=$1; ro=$3
echo "memory, one .tar of $((size / 1024)) MiB ($ncase cases, the largest $((2 * CASE_MB)) MB):"
awk -v rb="$rb" -v rb2="$rb2" -v ro="$ro" -v sz="$size" -v wb="$wb" -v wb2="$wb2" -v wo="$wo" 'BEGIN {
  printf "  archive -j 1: %.1f s, peak RSS %.0f MiB\n", wb, rb / 1024
  printf "  archive -j 2: %.1f s, peak RSS %.0f MiB (the largest process)\n", wb2, rb2 / 1024
  printf "  largest case alone (a directory, -j 1): %.1f s, peak RSS %.0f MiB\n", wo, ro / 1024
  printf "  peak RSS / largest case: -j 1 %.2fx, -j 2 %.2fx; archive size / peak RSS (-j 1): %.1fx\n",
    rb / ro, rb2 / ro, sz / rb }'
cmp -s "$T/big.jsonl" "$T/big2.jsonl" && echo "  -j 1 and -j 2 outputs are identical" \
  || echo "  -j 1 and -j 2 outputs DIFFER"

# 3. the header pass
gzip -1 -c "$T/big.tar" > "$T/big.tar.gz"
REPS=3
set -- $(best 1 "$T/gz.jsonl" "$T/big.tar.gz"); wg=$1
set -- $(best 1 "$T/big.jsonl" "$T/big.tar"); wt=$1
zb=
for rep in 1 2 3; do
  /usr/bin/time -f "%e" -o "$T/time" sh -c "gzip -dc '$T/big.tar.gz' > /dev/null"
  z=$(cat "$T/time")
  if [ -z "$zb" ] || awk "BEGIN { exit !($z < $zb) }"; then zb=$z; fi
done
echo "header pass, the same cases as one .tar.gz of $(( $(wc -c < "$T/big.tar.gz") / 1048576 )) MiB:"
awk -v g="$wg" -v t="$wt" -v z="$zb" 'BEGIN {
  printf "  check -j 1: .tar.gz %.2f s, .tar %.2f s; gzip -dc alone %.2f s\n", g, t, z
  printf "  what the pass can add to the .tar.gz (gzip -dc / check): at most %.2fx\n", z / g }'
if [ -n "${OLD:-}" ]; then
  HSNEW=$HS
  for arc in big.tar big.tar.gz; do
    bn=; bo=
    for rep in 1 2 3; do
      for hs in "$HSNEW" "$OLD"; do
        /usr/bin/time -f "%e" -o "$T/time" "$hs" check -q --fail-on never --format jsonl \
          -o "$T/cmp.jsonl" "$T/$arc" || true
        w=$(cat "$T/time")
        if [ "$hs" = "$HSNEW" ]; then
          if [ -z "$bn" ] || awk "BEGIN { exit !($w < $bn) }"; then bn=$w; fi
        elif [ -z "$bo" ] || awk "BEGIN { exit !($w < $bo) }"; then bo=$w; fi
      done
    done
    awk -v a="$arc" -v n="$bn" -v o="$bo" 'BEGIN {
      printf "  %s: this build %.2f s, OLD %.2f s: %.3fx\n", a, n, o, n / o }'
  done
fi
