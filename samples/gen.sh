#!/bin/sh
# Regenerate every sample case under samples/ from scratch.
#
# Needs: Go 1.19 (Debian golang-go) and Go 1.23 (Debian golang-1.23-go from
# bookworm-backports), xz, gzip. No network: the programs use only the
# standard library. Takes about 2 minutes, most of it waiting for the
# SIGQUIT runs (HOLD, default 65s, so blocked goroutines show "1 minutes").
#
#   samples/gen.sh                      # both toolchains
#   GO119=/path/go GO123=/path/go HOLD=65s samples/gen.sh
#
# Output: samples/go1.19/{leaky,leaky-rate1,healthy}/ and the same under
# samples/go1.23/; see samples/README.md for every file.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
GO119=${GO119:-/usr/bin/go}
GO123=${GO123:-/usr/lib/go-1.23/bin/go}
GO122=${GO122:-/usr/lib/go-1.22/bin/go} # only for the "binary of another build" sample
HOLD=${HOLD:-65s}
TRACE=gctrace=1,scavtrace=1,gcpacertrace=1

# -trimpath and no VCS stamp: the same sources and toolchain give the same binary.
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='-trimpath -buildvcs=false' GO111MODULE=on
unset GOTRACEBACK GODEBUG GOGC GOMEMLIMIT GOMAXPROCS 2>/dev/null || true

BUILD=$(mktemp -d "${TMPDIR:-/tmp}/heapscope-samples.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT

say() { echo "gen.sh: $*" >&2; }
fact() { sed -n "s/^  \"$1\": \([0-9]*\),*\$/\1/p" "$2"; } # fact KEY facts.json

# --- build ------------------------------------------------------------------
for v in 1.19 1.23; do
	case $v in 1.19) GO=$GO119 ;; *) GO=$GO123 ;; esac
	"$GO" version | grep -q "go$v" || { say "$GO is not Go $v"; exit 1; }
	mkdir -p "$BUILD/go$v"
	(cd "$HERE/src" && "$GO" build -o "$BUILD/go$v/" ./leaky ./healthy)
done
(cd "$HERE/src" && "$GO123" build -o "$BUILD/" ./containerlog)
"$GO122" version | grep -q "go1.22" || { say "$GO122 is not Go 1.22"; exit 1; }
mkdir -p "$BUILD/go1.22"
(cd "$HERE/src" && "$GO122" build -o "$BUILD/go1.22/" ./leaky)

# only our cases: gen-problems.sh makes the others under go1.NN/
for v in 1.19 1.23; do rm -rf "$HERE/go$v/leaky" "$HERE/go$v/leaky-rate1" "$HERE/go$v/healthy"; done
rm -rf "$HERE/mismatch"

# --- binaries: the executables that wrote each case's evidence ----------------
for v in 1.19 1.23; do
	for prog in leaky healthy; do
		mkdir -p "$HERE/go$v/$prog"
		xz -9 -T1 -c "$BUILD/go$v/$prog" >"$HERE/go$v/$prog/$prog.bin.xz"
	done
done
mkdir -p "$HERE/mismatch"
xz -9 -T1 -c "$BUILD/go1.22/leaky" >"$HERE/mismatch/leaky-go1.22.bin.xz"

# --- SIGQUIT runs, in the background while the evidence runs go -------------
# Each plants its data, waits HOLD, writes a ready file and sleeps; we then
# send SIGQUIT and keep its stderr (log lines + the goroutine traceback).
PIDS=""
for v in 1.19 1.23; do
	for prog in leaky healthy; do
		mkdir -p "$HERE/go$v/$prog"
		GOTRACEBACK=all "$BUILD/go$v/$prog" -mode=sigquit -hold "$HOLD" \
			-ready "$BUILD/ready-$v-$prog" 2>"$BUILD/sigquit-$v-$prog.log" &
		PIDS="$PIDS $v:$prog:$!"
	done
done

# --- evidence runs, one process per case ------------------------------------
for v in 1.19 1.23; do
	for c in leaky leaky-rate1 healthy; do
		dir="$HERE/go$v/$c"
		mkdir -p "$dir"
		# Run from the case directory by bare name, so the command line that
		# vars.json and /proc record is short: ["leaky","-out","."].
		case $c in
		leaky) set -- leaky ;;
		leaky-rate1) set -- leaky -memprofilerate 1 ;;
		healthy) set -- healthy ;;
		esac
		# The runtime prints a gctrace line in several writes, so a log line
		# can land in the middle of one. Rerun (up to 10 times) until every
		# cycle has one whole "gc N @" line, so facts.json num_gc is exact.
		try=1
		while :; do
			say "go$v/$c (run $try)"
			find "$dir" -mindepth 1 -maxdepth 1 ! -name '*.bin.xz' -exec rm -rf {} +
			(cd "$dir" && PATH="$BUILD/go$v:$PATH" GODEBUG=$TRACE "$@" -out . 2>gctrace.log)
			whole=$(grep -c -E '^gc [0-9]+ @[0-9.]+s [0-9]+%: .* P( \(forced\))?$' "$dir/gctrace.log" || true)
			# runtime.GC() racing a background cycle can get that cycle
			# printed "(forced)" too: rerun so the count matches num_forced_gc.
			forced=$(grep -c -E '^gc [0-9]+ @.* P \(forced\)$' "$dir/gctrace.log" || true)
			[ "$whole" -ne "$(fact num_gc "$dir/facts.json")" ] ||
				[ "$forced" -ne "$(fact num_forced_gc "$dir/facts.json")" ] || break
			[ $try -lt 10 ] || { say "WARNING: go$v/$c: torn gctrace lines or extra (forced) after 10 runs"; break; }
			try=$((try + 1))
		done
	done
	# A panic in a goroutine, after a few log lines (exit status 2).
	say "go$v/leaky panic"
	if "$BUILD/go$v/leaky" -mode=panic 2>"$HERE/go$v/leaky/panic.log"; then
		say "panic run did not panic"; exit 1
	fi
done

# --- collect the SIGQUIT runs ------------------------------------------------
for entry in $PIDS; do
	v=${entry%%:*}; rest=${entry#*:}; prog=${rest%%:*}; pid=${rest#*:}
	n=0
	while [ ! -e "$BUILD/ready-$v-$prog" ]; do
		n=$((n + 1))
		[ $n -lt 600 ] || { say "go$v/$prog sigquit run never got ready"; exit 1; }
		sleep 1
	done
	kill -QUIT "$pid"
	wait "$pid" || true
	cp "$BUILD/sigquit-$v-$prog.log" "$HERE/go$v/$prog/sigquit.log"
	say "go$v/$prog sigquit.log"
done

# --- self-checks: the evidence agrees with facts.json -------------------------
for v in 1.19 1.23; do
	for c in leaky leaky-rate1 healthy; do
		dir="$HERE/go$v/$c"
		n=$(grep -o -E 'gc [0-9]+ @[0-9.]+s' "$dir/gctrace.log" | wc -l)
		[ "$n" -eq "$(fact num_gc "$dir/facts.json")" ] ||
			say "WARNING: go$v/$c: $n gctrace lines, facts.json num_gc $(fact num_gc "$dir/facts.json")"
		n=$(grep -c -E '^goroutine [0-9]+ \[' "$dir/goroutines-debug2.txt")
		[ "$n" -eq "$(fact goroutines_total "$dir/facts.json")" ] ||
			say "WARNING: go$v/$c: $n goroutines in goroutines-debug2.txt, facts.json says $(fact goroutines_total "$dir/facts.json")"
	done
	n=$(grep -c '^main.leakyWorker(' "$HERE/go$v/leaky/goroutines-debug2.txt")
	[ "$n" -eq 50 ] || say "WARNING: go$v/leaky: $n main.leakyWorker goroutines, expected 50"
done

# --- derived files: container logs, pprof truth, compression -----------------
for v in 1.19 1.23; do
	case $v in 1.19) GO=$GO119 ;; *) GO=$GO123 ;; esac
	for c in leaky leaky-rate1 healthy; do
		dir="$HERE/go$v/$c"
		"$BUILD/containerlog" -cri "$dir/gctrace-cri.log" -docker "$dir/gctrace-docker.log" "$dir/gctrace.log"
		gzip -dc "$dir/heap.pb.gz" >"$dir/heap.pb"
		mkdir -p "$dir/pprof-top"
		for p in heap allocs goroutine mutex block threadcreate cpu; do
			prof="$dir/$p.pb.gz"
			"$GO" tool pprof -raw "$prof" >"$dir/pprof-top/$p.raw.txt" 2>/dev/null
			# Sample types, e.g. "alloc_objects/count alloc_space/bytes ...".
			types=$(sed -n '/^Samples:/{n;p;q;}' "$dir/pprof-top/$p.raw.txt")
			for t in $types; do
				idx=${t%/*}; unit=${t#*/}; unit=${unit%%\[*} # "bytes[dflt]" marks the default
				"$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index="$idx" \
					"$prof" >"$dir/pprof-top/$p.$idx.txt" 2>/dev/null
				case $unit in
				bytes) u=B ;; nanoseconds) u=ns ;; *) u= ;;
				esac
				if [ -n "$u" ]; then
					"$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index="$idx" \
						-unit="$u" "$prof" >"$dir/pprof-top/$p.$idx.exact.txt" 2>/dev/null
				fi
			done
		done
		xz -9 -T1 -f "$dir/heap.dump"
		# Large text files are kept gzipped (-n: no name or time, reproducible).
		find "$dir" -type f \( -name '*.log' -o -name '*.txt' -o -name '*.jsonl' \) -size +200k \
			-exec gzip -9 -n -f {} \;
	done
done

# Every address in facts.json must be an object of the stated size in the dump.
if command -v python3 >/dev/null; then
	"$HERE/verify-dumps.py" "$HERE"/go1.19/leaky* "$HERE"/go1.19/healthy "$HERE"/go1.23/leaky* "$HERE"/go1.23/healthy >&2 || say "WARNING: verify-dumps.py found mismatches"
else
	say "python3 not found: heap dumps not cross-checked"
fi

du -sh "$HERE/go1.19" "$HERE/go1.23" >&2
say "done"
