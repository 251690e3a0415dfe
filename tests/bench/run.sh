#!/bin/sh
# Run every benchmark (not tests: no pass/fail, figures go in RESULTS.md).
# Usage: sh tests/bench/run.sh   (after `scons -j2`; some generate large
# inputs under ${TMPDIR:-/tmp} and remove them afterwards)
set -u
cd "$(dirname "$0")/../.."
export HEAPSCOPE=${HEAPSCOPE:-$PWD/build/release/heapscope}
for b in tests/bench/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "=== $b"
  sh "$b" || echo "(benchmark $b failed: $?)"
done
