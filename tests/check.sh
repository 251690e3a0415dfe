#!/bin/sh
# Run every test against one build: tests/check.sh build/release
# (scons mode=release check calls it).  Exits nonzero if anything failed.
# `tests/check.sh build/ubsan fuzz` replays only the fuzz corpora.
set -u
B=${1:-build/release}
ONLY=${2:-}
export HEAPSCOPE="$PWD/$B/heapscope"
fail=0

echo "== unit tests ($B)"
[ "$ONLY" = fuzz ] || for t in "$B"/tests/unit/test_*; do
  [ -x "$t" ] || continue
  "$t" || { echo "FAILED: $t"; fail=1; }
done

echo "== fuzz targets replayed over their corpus, fixtures and the samples ($B)"
for f in "$B"/tests/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  fix=tests/fixtures/"${name#fuzz_}"   # named fixtures are seeds too (one copy each)
  [ -d "$fix" ] || fix=
  "$f" tests/fuzz/corpus/"${name#fuzz_}" $fix samples || { echo "FAILED: $f"; fail=1; }
done

[ "$ONLY" = fuzz ] && exit $fail
echo "== Lua and end-to-end tests ($B)"
prove --ext .lua --ext .py --ext .sh -e tests/run-test -r tests/lua tests/e2e || fail=1
exit $fail
