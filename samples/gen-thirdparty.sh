#!/usr/bin/env bash
# gen-thirdparty.sh — capture real-world evidence from a third-party Go server
# (Debian's `prometheus` package) into samples/thirdparty/prometheus/.
#
# What it does (see samples/thirdparty/README.md for the full description):
#   1. starts /usr/bin/prometheus on 127.0.0.1 only, with
#      GODEBUG=gctrace=1,scavtrace=1, stderr -> gctrace.log, scraping itself
#      every second, TSDB in a temporary directory;
#   2. loads it for LOAD_SECS seconds with bounded curl loops (query API,
#      range queries, series/labels/federate, /metrics) on loopback;
#   3. captures the /debug/pprof/ profiles, the debug=1/2 text dumps,
#      three /metrics scrapes, /proc/PID/{smaps_rollup,status};
#   4. sends SIGQUIT so the Go runtime appends a full goroutine dump to
#      gctrace.log (a copy of the tail from "SIGQUIT:" goes to sigquit.log);
#   5. records ground truth with `go tool pprof` (-top per sample index,
#      -raw of heap) and the versions;
#   6. gzips big text files and replaces samples/thirdparty/prometheus/.
#
# Requirements: apt-get install -y prometheus golang-go curl
# (the package's service must not be running: we use our own port 19090).
# Usage: samples/gen-thirdparty.sh            (from anywhere; ~50 s)
#   env: PORT=19090 LOAD_SECS=45 PROM=/usr/bin/prometheus GO=go
set -euo pipefail

PORT=${PORT:-19090}
LOAD_SECS=${LOAD_SECS:-45}
PROM=${PROM:-/usr/bin/prometheus}
GO=${GO:-go}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
GZ_LIMIT=${GZ_LIMIT:-204800}   # gzip text files larger than this (bytes)

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/thirdparty/prometheus"

for t in "$PROM" curl gzip "$GO"; do
    command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }
done
if curl -fsS -m 2 "$BASE/-/ready" >/dev/null 2>&1; then
    echo "something already listens on $BASE; set PORT=..." >&2; exit 1
fi

work=$(mktemp -d /tmp/heapscope-thirdparty.XXXXXX)
out="$work/out"
mkdir -p "$out" "$work/tsdb"
pid=""
loadpids=()

cleanup() {
    for p in "${loadpids[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        sleep 2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

log() { printf '[gen-thirdparty %s] %s\n' "$(date +%T)" "$*" >&2; }

# ---- 1. start prometheus -------------------------------------------------
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$HOST:$PORT']
EOF

log "starting $PROM on $BASE (GODEBUG=gctrace=1,scavtrace=1)"
GODEBUG=gctrace=1,scavtrace=1 "$PROM" \
    --config.file="$work/prometheus.yml" \
    --web.listen-address="$HOST:$PORT" \
    --storage.tsdb.path="$work/tsdb" \
    --storage.tsdb.retention.time=1h \
    --web.console.templates=/etc/prometheus/consoles \
    --web.console.libraries=/etc/prometheus/console_libraries \
    >"$work/stdout.log" 2>"$out/gctrace.log" &
pid=$!

for _ in $(seq 1 60); do
    curl -fsS -m 2 "$BASE/-/ready" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "prometheus died:" >&2; cat "$out/gctrace.log" >&2; exit 1; }
    sleep 0.5
done
curl -fsS -m 2 "$BASE/-/ready" >/dev/null || { echo "prometheus not ready" >&2; exit 1; }
log "ready, pid $pid"
sleep 5   # a few self-scrapes so there is data to query

scrape_metrics() {   # append one /metrics scrape with a marker comment
    printf '# heapscope-capture: scrape %s at %s\n' "$1" "$(date -u +%FT%TZ)" >>"$out/metrics.prom"
    curl -fsS -m 10 "$BASE/metrics" >>"$out/metrics.prom"
}
: >"$out/metrics.prom"
scrape_metrics 1

# ---- 2. load --------------------------------------------------------------
urlenc() { python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$1" 2>/dev/null \
           || printf '%s' "$1" | sed 's/{/%7B/g;s/}/%7D/g;s/\[/%5B/g;s/\]/%5D/g;s/"/%22/g;s/=/%3D/g;s/~/%7E/g;s/ /%20/g;s/+/%2B/g;s/(/%28/g;s/)/%29/g;s/,/%2C/g'; }
Q_UP=$(urlenc 'up')
Q_ALL=$(urlenc '{__name__=~".+"}')
Q_RATE=$(urlenc 'sum by (handler) (rate(prometheus_http_requests_total[10s]))')
Q_HIST=$(urlenc 'histogram_quantile(0.9, sum by (le, handler) (rate(prometheus_http_request_duration_seconds_bucket[15s])))')
Q_GO=$(urlenc 'go_memstats_heap_inuse_bytes / go_memstats_heap_sys_bytes')
M_ALL=$(urlenc '{__name__=~".+"}')

load_worker() {   # $1 = worker number; stops by itself at $deadline
    local n=$1 i=0 now start end
    while :; do
        now=$(date +%s)
        [ "$now" -ge "$deadline" ] && break
        start=$((now - 300)); end=$now
        case $(( (i + n) % 8 )) in
            0) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query?query=$Q_UP" ;;
            1) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query?query=$Q_ALL" ;;
            2) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query_range?query=$Q_RATE&start=$start&end=$end&step=1" ;;
            3) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query_range?query=$Q_HIST&start=$start&end=$end&step=1" ;;
            4) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query_range?query=$Q_ALL&start=$start&end=$end&step=2" ;;
            5) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/series?match%5B%5D=$M_ALL&start=$start&end=$end" ;;
            6) curl -fsS -m 10 -o /dev/null "$BASE/federate?match%5B%5D=$M_ALL" ;;
            7) curl -fsS -m 10 -o /dev/null "$BASE/api/v1/labels"
               curl -fsS -m 10 -o /dev/null "$BASE/api/v1/query?query=$Q_GO"
               curl -fsS -m 10 -o /dev/null "$BASE/metrics" ;;
        esac || true
        i=$((i + 1))
    done
}

deadline=$(( $(date +%s) + LOAD_SECS ))
log "load: 6 curl workers for ${LOAD_SECS}s"
for w in 1 2 3 4 5 6; do
    load_worker "$w" &
    loadpids+=($!)
done

pp() {   # pp <path+query> <outfile>
    curl -fsS -m 30 -o "$out/$2" "$BASE/debug/pprof/$1" || { log "WARN: could not fetch /debug/pprof/$1"; rm -f "$out/$2"; }
}

sleep $((LOAD_SECS / 3))
log "CPU profile (5 s) under load"
pp 'profile?seconds=5' cpu.pb.gz
scrape_metrics 2
sleep $(( LOAD_SECS - LOAD_SECS / 3 - 5 - 8 > 0 ? LOAD_SECS - LOAD_SECS / 3 - 5 - 8 : 1 ))

# ---- 3. capture, still under load -------------------------------------------
log "capturing profiles"
pp heap             heap.pb.gz
pp allocs           allocs.pb.gz
pp goroutine        goroutine.pb.gz
pp threadcreate     threadcreate.pb.gz
pp mutex            mutex.pb.gz
pp block            block.pb.gz
pp 'heap?debug=1'      heap-debug1.txt
pp 'goroutine?debug=1' goroutines-debug1.txt
pp 'goroutine?debug=2' goroutines-debug2.txt
cat "/proc/$pid/smaps_rollup" >"$out/smaps_rollup"
cat "/proc/$pid/status"       >"$out/status"
sleep 3
scrape_metrics 3

log "waiting for load workers to stop"
for p in "${loadpids[@]}"; do wait "$p" 2>/dev/null || true; done
loadpids=()

# ---- 4. SIGQUIT -------------------------------------------------------------
log "SIGQUIT -> $pid"
kill -QUIT "$pid"
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
rc=0; wait "$pid" || rc=$?
pid=""
log "prometheus exited with status $rc"
if grep -q '^SIGQUIT:' "$out/gctrace.log"; then
    sed -n '/^SIGQUIT:/,$p' "$out/gctrace.log" >"$out/sigquit.log"
else
    log "WARN: no SIGQUIT traceback in gctrace.log"
fi

# ---- 5. ground truth with go tool pprof ---------------------------------------
log "go tool pprof ground truth"
mkdir -p "$out/pprof-top" "$out/pprof-raw"
sample_types() {  # names of the sample types of a profile, from -raw's header
    "$GO" tool pprof -raw -symbolize=none "$1" 2>/dev/null \
        | awk '/^Samples:/{getline; for(i=1;i<=NF;i++){split($i,a,"/"); print a[1]}; exit}' || true
}
for f in "$out"/*.pb.gz; do
    name=$(basename "$f" .pb.gz)
    types=$(sample_types "$f")
    [ -n "$types" ] || { log "WARN: no sample types in $name"; continue; }
    for si in $types; do
        "$GO" tool pprof -top -nodecount=1000000 -nodefraction=0 -edgefraction=0 -symbolize=none -sample_index="$si" "$f" \
            >"$out/pprof-top/$name.$si.txt" 2>&1 || true
    done
done
"$GO" tool pprof -raw -symbolize=none "$out/heap.pb.gz" >"$out/pprof-raw/heap.txt"

{
    echo "# captured $(date -u +%FT%TZ) by samples/gen-thirdparty.sh"
    echo "## $PROM --version"
    "$PROM" --version 2>&1
    echo
    echo "## dpkg -s prometheus (Version)"
    dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' prometheus 2>/dev/null || echo "(not a dpkg install)"
    echo
    echo "## $GO version -m $PROM"
    "$GO" version -m "$PROM" 2>&1
    echo
    echo "## $GO version (used for pprof-top/ and pprof-raw/)"
    "$GO" version
    echo
    echo "## host"
    uname -srm
    echo
    echo "## GODEBUG"
    echo "gctrace=1,scavtrace=1"
    echo
    echo "## load"
    echo "6 curl workers on $BASE for ${LOAD_SECS}s; prometheus exit status after SIGQUIT: $rc"
} >"$out/VERSION.txt"

# ---- 6. compress big text files, install -------------------------------------
find "$out" -type f ! -name '*.gz' -size +"${GZ_LIMIT}c" -print0 | while IFS= read -r -d '' f; do
    gzip -9 -n "$f"
done

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$out" "$dest"
log "done: $dest ($(du -sh "$dest" | cut -f1))"
