#!/bin/sh
# Peak RSS of heapscope on decompression bombs at the default limits
# (issue 11), beside `zstd -dc` (the floor: a decoder that keeps nothing)
# and, if OLD names another heapscope binary, that one.  Not a test: run by
# hand and write the figures in RESULTS.md.  Needs ~6 GB free: the default
# --max-bytes is a quarter of the machine's memory and the gctrace bomb
# fills it.
set -eu
HS=${HEAPSCOPE:-build/release/heapscope}
OLD=${OLD:-}
GIB=${GIB:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c "${GIB}G" /dev/zero | zstd -1 -q -o "$tmp/zeros.zst"
head -c 2G /dev/zero | zstd -1 -q -o "$tmp/zeros2g.zst"
yes 'gc 1 @0.011s 2%: 0.010+0.20+0.003 ms clock, 0.080+0.10/0.30/0.50+0.024 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P' |
  head -c "${GIB}G" | zstd -1 -q -o "$tmp/gctrace.zst"
peak() { # label, command...
  label=$1; shift
  /usr/bin/time -f "%M %e %x" -o "$tmp/t" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$tmp/t" > "$tmp/t1"
  read -r kb secs rc < "$tmp/t1"
  printf '%-44s %9.1f MB %7.2f s  exit %s\n' "$label" "$(awk -v kb="$kb" 'BEGIN { print kb / 1000 }')" "$secs" "$rc"
}
echo "machine memory: $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1e6}' /proc/meminfo)"
peak "zstd -dc, ${GIB} GiB of zeros (floor)" zstd -dc "$tmp/zeros.zst"
peak "heapscope info, ${GIB} GiB of zeros" "$HS" info "$tmp/zeros.zst"
peak "heapscope info, 2 GiB of zeros" "$HS" info "$tmp/zeros2g.zst"
[ -z "$OLD" ] || peak "old heapscope info, 2 GiB of zeros" "$OLD" info "$tmp/zeros2g.zst"
peak "heapscope info, ${GIB} GiB of gctrace lines" "$HS" info "$tmp/gctrace.zst"
