#!/bin/sh
# Benchmark: how fast the gctrace and goroutine-dump loaders read big logs.
#
#   tests/bench/textlogs.sh [build/release/heapscope]      (SIZE_MB=100 by default)
#
# Generates ~SIZE_MB MB logs by repeating real sample content with varied
# numbers (gc cycle numbers and times, goroutine ids), then times
# `heapscope info FILE` (best of 3, minus the time of `info` on a tiny file,
# i.e. process start-up) and prints MB/s per form:
#   gctrace        plain log: the prometheus gctrace.log lines (gc, scav, log lines)
#   gctrace-cri    the same log as Kubernetes CRI lines
#   gctrace-docker the same log as Docker json-file lines
#   goroutines     a goroutine dump (debug=2 samples and the prometheus SIGQUIT dump)
# Files go to ${TMPDIR:-/tmp}/heapscope-bench-textlogs and are reused when present.
set -eu
B=${1:-${HEAPSCOPE:-build/release/heapscope}}
SIZE_MB=${SIZE_MB:-100}
D=${TMPDIR:-/tmp}/heapscope-bench-textlogs
mkdir -p "$D"
target=$((SIZE_MB * 1024 * 1024))
P=samples/thirdparty/prometheus

gen_gctrace() {  # plain gctrace log with other log lines, numbers varied
  awk -v target="$target" '
    /^(goroutine |SIGQUIT|PC=|\t|created by|r[a-z0-9]+ +0x)/ || /^[a-zA-Z0-9_.\/*()]+\(.*\)$/ || $0 == "" { next }
    /^gc [0-9]+ @[0-9.]+s / { i = index($0, "s "); tail[n] = substr($0, i + 2); gc[n++] = 1; next }
    { tail[n] = $0; gc[n++] = 0 }
    END {
      size = 0; num = 0; t = 0
      while (size < target) {
        for (i = 0; i < n; i++) {
          if (gc[i]) { num++; t += 0.037; l = sprintf("gc %d @%.3fs %s", num, t, tail[i]) }
          else l = tail[i]
          print l; size += length(l) + 1
        }
      }
    }' "$P/gctrace.log"
}

gen_goroutines() {  # one big SIGQUIT-style dump: the samples blocks, ids varied
  cat samples/go1.*/*/goroutines-debug2.txt "$P/goroutines-debug2.txt" 2>/dev/null |
  awk -v target="$target" '
    /^goroutine [0-9]+ / { i = index(substr($0, 11), " "); tail[n] = substr($0, 10 + i); hd[n++] = 1; next }
    { tail[n] = $0; hd[n++] = 0 }
    END {
      print "SIGQUIT: quit"; print ""
      size = 0; id = 0
      while (size < target) {
        for (i = 0; i < n; i++) {
          if (hd[i]) { id++; l = "goroutine " id tail[i] } else l = tail[i]
          print l; size += length(l) + 1
        }
      }
    }'
}

to_cri() {
  awk '{ printf "2026-11-21T22:%02d:%02d.%09dZ stderr F %s\n", (NR / 3600) % 60, (NR / 60) % 60, NR % 1000000000, $0 }'
}

to_docker() {
  awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t");
         printf "{\"log\":\"%s\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-21T22:%02d:%02d.%09dZ\"}\n", $0, (NR / 3600) % 60, (NR / 60) % 60, NR % 1000000000 }'
}

[ -s "$D/gctrace.log" ] || gen_gctrace > "$D/gctrace.log"
[ -s "$D/gctrace-cri.log" ] || to_cri < "$D/gctrace.log" > "$D/gctrace-cri.log"
[ -s "$D/gctrace-docker.log" ] || to_docker < "$D/gctrace.log" > "$D/gctrace-docker.log"
[ -s "$D/goroutines.log" ] || gen_goroutines > "$D/goroutines.log"
printf 'gc 1 @0.001s 0%%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 1->1->0 MB, 4 MB goal, 1 P\n' > "$D/tiny.log"

# Best of 3 runs of `heapscope info FILE`: "wall cpu" seconds (cpu = user +
# sys, which a loaded machine distorts less than wall time).
best() {
  bw=; bc_=
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$D/time.out" "$B" info "$1" > /dev/null
    read -r w u s < "$D/time.out"
    c=$(echo "$u + $s" | bc -l)
    if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc -l)" = 1 ]; then bw=$w; fi
    if [ -z "$bc_" ] || [ "$(echo "$c < $bc_" | bc -l)" = 1 ]; then bc_=$c; fi
  done
  echo "$bw $bc_"
}

set -- $(best "$D/tiny.log")
bw0=$1; bc0=$2
printf '%-16s %8s %8s %8s %9s %9s  %s\n' form MB wall_s cpu_s wall_MB/s cpu_MB/s rows
for f in gctrace gctrace-cri gctrace-docker goroutines; do
  file="$D/$f.log"
  mb=$(echo "$(wc -c < "$file") / 1048576" | bc -l)
  set -- $(best "$file")
  w=$(echo "$1 - $bw0" | bc -l); c=$(echo "$2 - $bc0" | bc -l)
  rows=$("$B" info "$file" | awk '/table/ { printf "%s=%s ", $2, $3 }')
  printf '%-16s %8.1f %8.3f %8.3f %9.0f %9.0f  %s\n' "$f" "$mb" "$w" "$c" \
    "$(echo "$mb / $w" | bc -l)" "$(echo "$mb / $c" | bc -l)" "$rows"
done
