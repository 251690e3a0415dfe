#!/bin/sh
# Regenerate the detector samples: one Go program per planted problem (and a
# healthy control), each built with Go 1.19 and Go 1.23, each run once to
# write its evidence and facts.json into samples/go1.NN/<case>/ (the growth
# series: samples/series/go1.NN/growth/).
#
# Needs: Go 1.19 (Debian golang-go) and Go 1.23 (golang-1.23-go from
# bookworm-backports: a deb822 source with Suites: bookworm-backports), xz,
# gzip, python3 for the cross-check. No network. About 2 minutes, most of it
# the goroutines case holding its goroutines for HOLD (default 65s) so waits
# read in minutes.
#
#   samples/gen-problems.sh                 # every case, both toolchains
#   samples/gen-problems.sh slice pool      # only these cases
#   GO119=/path/go GO123=/path/go HOLD=65s samples/gen-problems.sh
#
# See samples/README.md for each program, its planted facts and the files.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
GO119=${GO119:-/usr/bin/go}
GO123=${GO123:-/usr/lib/go-1.23/bin/go}
HOLD=${HOLD:-65s}

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='-trimpath -buildvcs=false' GO111MODULE=on
unset GOTRACEBACK GODEBUG GOGC GOMEMLIMIT GOMAXPROCS 2>/dev/null || true

# case: program, its arguments, extra environment
CASES="slice retain finalizer pool goroutines http-body http-transport control growth gcthrash gcpause rssgap allochot"
[ $# -eq 0 ] || CASES="$*"

# The growth series (three dumps of one process) lives in series/go1.NN/:
# until heapscope loads a series as one case, a directory with three dumps
# would make `heapscope info samples/go1.23/` refuse that case.
dir_of() {
	case $2 in
	growth) echo "$HERE/series/go$1/$2" ;;
	*) echo "$HERE/go$1/$2" ;;
	esac
}
prog_of() {
	case $1 in
	http-*) echo httpleak ;;
	*) echo "$1" ;;
	esac
}
args_of() {
	case $1 in
	http-body) echo "-variant body" ;;
	http-transport) echo "-variant transport" ;;
	goroutines) echo "-hold $HOLD" ;;
	allochot) echo "-memprofilerate 65536" ;;
	esac
}
env_of() {
	case $1 in
	gcthrash) echo "GOMEMLIMIT=56MiB GODEBUG=gctrace=1" ;;
	gcpause) echo "GODEBUG=gctrace=1,asyncpreemptoff=1" ;;
	*) echo "GODEBUG=gctrace=1" ;;
	esac
}

BUILD=$(mktemp -d "${TMPDIR:-/tmp}/heapscope-problems.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
say() { echo "gen-problems.sh: $*" >&2; }
fact() { sed -n "s/^  \"$1\": \([0-9]*\),*\$/\1/p" "$2"; } # fact KEY facts.json

progs=$(for c in $CASES; do prog_of "$c"; done | sort -u)
for v in 1.19 1.23; do
	case $v in 1.19) GO=$GO119 ;; *) GO=$GO123 ;; esac
	"$GO" version | grep -q "go$v" || { say "$GO is not Go $v"; exit 1; }
	mkdir -p "$BUILD/go$v"
	# shellcheck disable=SC2086
	(cd "$HERE/src" && for p in $progs; do "$GO" build -o "$BUILD/go$v/" "./$p"; done)
done

# run_case V CASE: run until the gctrace log has one whole "gc N @" line per
# cycle and as many "(forced)" as NumForcedGC (a log line written into the
# middle of a gctrace line, or a runtime.GC() racing a background cycle,
# spoils that; rerun up to 10 times).
run_case() {
	v=$1 c=$2 dir=$(dir_of "$1" "$2") try=1
	while :; do
		say "go$v/$c (run $try)"
		rm -rf "$dir"
		mkdir -p "$dir"
		# shellcheck disable=SC2046
		(cd "$dir" && env $(env_of "$c") PATH="$BUILD/go$v:$PATH" $(prog_of "$c") $(args_of "$c") -out . 2>gctrace.log)
		whole=$(grep -c -E '^gc [0-9]+ @[0-9.]+s [0-9]+%: .* P( \(forced\))?$' "$dir/gctrace.log" || true)
		forced=$(grep -c -E '^gc [0-9]+ @.* P \(forced\)$' "$dir/gctrace.log" || true)
		[ "$whole" -ne "$(fact num_gc "$dir/facts.json")" ] ||
			[ "$forced" -ne "$(fact num_forced_gc "$dir/facts.json")" ] || return 0
		[ $try -lt 10 ] || { say "WARNING: go$v/$c: gctrace disagrees with facts.json after 10 runs"; return 0; }
		try=$((try + 1))
	done
}

# The goroutines case holds for HOLD: run it in the background meanwhile.
PIDS=""
for v in 1.19 1.23; do
	for c in $CASES; do
		[ "$c" = goroutines ] || continue
		run_case $v $c &
		PIDS="$PIDS $!"
	done
done
for v in 1.19 1.23; do
	for c in $CASES; do
		[ "$c" != goroutines ] || continue
		run_case $v $c
	done
done
for p in $PIDS; do wait "$p"; done

# --- derived files and self-checks --------------------------------------------
for v in 1.19 1.23; do
	case $v in 1.19) GO=$GO119 ;; *) GO=$GO123 ;; esac
	for c in $CASES; do
		dir=$(dir_of $v $c)
		n=$(grep -c -E '^goroutine [0-9]+ \[' "$dir/goroutines-debug2.txt")
		[ "$n" -eq "$(fact goroutines_total "$dir/facts.json")" ] ||
			say "WARNING: go$v/$c: $n goroutines in goroutines-debug2.txt, facts.json says $(fact goroutines_total "$dir/facts.json")"
		mkdir -p "$dir/pprof-top"
		for p in heap allocs goroutine; do
			"$GO" tool pprof -raw "$dir/$p.pb.gz" >"$dir/pprof-top/$p.raw.txt" 2>/dev/null
			types=$(sed -n '/^Samples:/{n;p;q;}' "$dir/pprof-top/$p.raw.txt")
			for t in $types; do
				idx=${t%/*}
				"$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index="$idx" \
					"$dir/$p.pb.gz" >"$dir/pprof-top/$p.$idx.txt" 2>/dev/null
				case $t in *bytes*)
					"$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index="$idx" -unit=B \
						"$dir/$p.pb.gz" >"$dir/pprof-top/$p.$idx.exact.txt" 2>/dev/null ;;
				esac
			done
		done
		if [ "$c" = growth ]; then
			# pprof's own diffs of consecutive heap profiles, for the diff tests
			mkdir -p "$dir/pprof-diff"
			for pair in 2:1 3:2; do
				t=${pair%:*} b=${pair#*:}
				for idx in inuse_space inuse_objects alloc_space alloc_objects; do
					u=; case $idx in *space) u=-unit=B ;; esac
					# shellcheck disable=SC2086
					"$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index=$idx $u \
						-diff_base "$dir/heap$b.pb.gz" "$dir/heap$t.pb.gz" \
						>"$dir/pprof-diff/heap$t-vs-heap$b.$idx.txt" 2>/dev/null
				done
			done
		fi
		for d in "$dir"/*.dump; do xz -9 -T1 -f "$d"; done
		find "$dir" -type f \( -name '*.log' -o -name '*.txt' -o -name '*.jsonl' \) -size +200k \
			-exec gzip -9 -n -f {} \;
	done
done

if command -v python3 >/dev/null; then
	set --
	for c in $CASES; do set -- "$@" "$(dir_of 1.19 "$c")" "$(dir_of 1.23 "$c")"; done
	"$HERE/verify-dumps.py" "$@" >&2 || say "WARNING: verify-dumps.py found mismatches"
else
	say "python3 not found: heap dumps not cross-checked"
fi
du -sh "$HERE/go1.19" "$HERE/go1.23" "$HERE/series" >&2
say "done"
