# What a benchmark program linked against build/<mode>/core/libheapscope.a
# needs: the build (B, default build/release), the binary (HS, $HEAPSCOPE
# when set), the libraries (the SConstruct's Configure list) and the
# realheap dump (realheap_dump).  Sourced by the bench scripts; a value a
# script set before sourcing it is kept.
B=${B:-build/release}
HS=${HS:-${HEAPSCOPE:-$B/heapscope}}
LIBS="-lluajit-5.1 -larchive -ljson-c -lmsgpackc -lreadline -lxxhash -lz -ldw -lelf -lm -lpthread -ldl"

# realheap_dump RECORDS: sets DUMP (and SIZE) to the realheap program's dump
# of RECORDS records in $BENCH_DIR (default ${TMPDIR:-/tmp}/heapscope-bench),
# building the program ($DIR/realheap, the binary typing.sh names things
# with) with Go 1.23 ($GO123) and writing the dump if either is not there
# yet; the dump is removed at exit (with its index) unless KEEP=1.  The dump
# is read once so figures see it warm.
realheap_dump() {
  DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/heapscope-bench}
  mkdir -p "$DIR"
  DUMP="$DIR/realheap-$1.dump"
  [ -n "${KEEP:-}" ] || trap 'rm -f "$DUMP" "$DUMP.hsidx"' EXIT
  if [ ! -f "$DUMP" ] || [ ! -x "$DIR/realheap" ]; then
    (cd tests/bench/realheap &&
       GOTOOLCHAIN=local GOFLAGS=-trimpath "${GO123:-/usr/lib/go-1.23/bin/go}" build -o "$DIR/realheap" .)
  fi
  [ -f "$DUMP" ] || "$DIR/realheap" -records "$1" -out "$DUMP"
  SIZE=$(stat -c %s "$DUMP")
  cat "$DUMP" > /dev/null
}
