#!/usr/bin/env bash
# gen-thirdparty.sh — capture real-world evidence from a third-party Go server
# taken from Debian's packages (`prometheus` or `caddy`) into
# samples/thirdparty/<server>/.
#
# What it does (see samples/thirdparty/README.md for the full description):
#   1. starts the server on 127.0.0.1 only, with GODEBUG=gctrace=1,scavtrace=1,
#      stderr -> gctrace.log, state in a temporary directory (prometheus
#      scrapes itself every second; caddy serves static files, a
#      reverse proxy and a templated page);
#   2. loads it for LOAD_SECS seconds with bounded curl loops on loopback;
#   3. captures the /debug/pprof/ profiles, the debug=1/2 text dumps,
#      three /metrics scrapes, /proc/PID/{smaps_rollup,status};
#   4. makes the Go runtime append a full goroutine dump to gctrace.log:
#      SIGQUIT for prometheus; SIGABRT for caddy, which exits at once on
#      SIGQUIT without a dump (the tail from "SIGQUIT:"/"SIGABRT:" goes to
#      sigquit.log);
#   5. records ground truth with `go tool pprof` (-top per sample index,
#      -raw of heap) and the versions;
#   6. gzips big text files and replaces samples/thirdparty/<server>/.
#
# Requirements: apt-get install -y prometheus caddy golang-go curl
# (the packages' services must not be running: we use our own ports).
# Usage: samples/gen-thirdparty.sh [prometheus|caddy]   (default prometheus;
#   from anywhere; ~50 s each)
#   env: PORT=19090 (prometheus) / 12019 (caddy's admin API, the site on
#   PORT+1, the proxied backend on PORT+2) LOAD_SECS=45
#   PROM=/usr/bin/prometheus CADDY=/usr/bin/caddy GO=go
set -euo pipefail

SERVER=${1:-prometheus}
case $SERVER in
    prometheus) PORT=${PORT:-19090}; BIN=${PROM:-/usr/bin/prometheus} ;;
    caddy) PORT=${PORT:-12019}; BIN=${CADDY:-/usr/bin/caddy} ;;
    *) echo "usage: $0 [prometheus|caddy]" >&2; exit 2 ;;
esac
LOAD_SECS=${LOAD_SECS:-45}
GO=${GO:-go}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"          # where /debug/pprof/ and /metrics answer
SITE="http://$HOST:$((PORT + 1))"  # caddy: the site under load
GZ_LIMIT=${GZ_LIMIT:-204800}   # gzip text files larger than this (bytes)

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/thirdparty/$SERVER"

for t in "$BIN" curl gzip "$GO"; do
    command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }
done
for u in "$BASE" "$SITE"; do
    if curl -sS -m 2 -o /dev/null "$u/" 2>/dev/null; then
        echo "something already listens on $u; set PORT=..." >&2; exit 1
    fi
done

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

# ---- 1. start the server ----------------------------------------------------
prometheus_start() {
    cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$HOST:$PORT']
EOF
    GODEBUG=gctrace=1,scavtrace=1 "$BIN" \
        --config.file="$work/prometheus.yml" \
        --web.listen-address="$HOST:$PORT" \
        --storage.tsdb.path="$work/tsdb" \
        --storage.tsdb.retention.time=1h \
        --web.console.templates=/etc/prometheus/consoles \
        --web.console.libraries=/etc/prometheus/console_libraries \
        >"$work/stdout.log" 2>"$out/gctrace.log" &
    pid=$!
    READY="$BASE/-/ready"
}

# caddy: the admin API (with /debug/pprof/ and /metrics) on $PORT, a site on
# PORT+1 (static files with gzip, a directory listing, a templated page, a
# reverse proxy) and the proxied backend on PORT+2
caddy_start() {
    local site="$work/site" i
    mkdir -p "$site/files" "$work/caddy-data" "$work/caddy-config"
    for i in $(seq 1 50); do
        head -c $((i * 2048)) /dev/urandom | base64 >"$site/files/f$i.txt"
    done
    head -c 1048576 /dev/urandom >"$site/files/big.bin"
    cat >"$site/index.html" <<'EOF'
<!doctype html><title>heapscope capture</title>
<p>Hello from {{.RemoteIP}} at {{now | date "15:04:05"}}, path {{.OriginalReq.URL.Path}}.
EOF
    cat >"$work/Caddyfile" <<EOF
{
	admin $HOST:$PORT
	auto_https off
	storage file_system $work/caddy-data
}
http://$HOST:$((PORT + 1)) {
	encode gzip
	handle_path /api/* {
		reverse_proxy $HOST:$((PORT + 2))
	}
	handle {
		root * $site
		templates
		file_server browse
	}
}
http://$HOST:$((PORT + 2)) {
	respond "backend {http.request.uri} {time.now.unix_ms}" 200
}
EOF
    # at a higher priority when we may (root): on a small shared machine the
    # curls and other work would otherwise stretch the stop-the-world
    # pauses with CPU starvation that a server host does not have
    local nice=""; [ "$(id -u)" = 0 ] && nice="nice -n -10"
    XDG_DATA_HOME="$work/caddy-data" XDG_CONFIG_HOME="$work/caddy-config" HOME="$work" \
    GODEBUG=gctrace=1,scavtrace=1 $nice "$BIN" run --config "$work/Caddyfile" --adapter caddyfile \
        >"$work/stdout.log" 2>"$out/gctrace.log" &
    pid=$!
    READY="$BASE/config/"
}

log "starting $BIN ($SERVER) on $BASE (GODEBUG=gctrace=1,scavtrace=1)"
"${SERVER}_start"

for _ in $(seq 1 60); do
    curl -fsS -m 2 "$READY" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "$SERVER died:" >&2; cat "$out/gctrace.log" >&2; exit 1; }
    sleep 0.5
done
curl -fsS -m 2 "$READY" >/dev/null || { echo "$SERVER not ready" >&2; exit 1; }
log "ready, pid $pid"
sleep 5   # prometheus: a few self-scrapes so there is data to query

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

prometheus_load() {   # $1 = worker number; stops by itself at $deadline
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

caddy_load() {   # $1 = worker number; stops by itself at $deadline
    local n=$1 i=0 now
    while :; do
        now=$(date +%s)
        [ "$now" -ge "$deadline" ] && break
        case $(( (i + n) % 6 )) in
            0) curl -fsS -m 10 -o /dev/null "$SITE/files/f$(( (i * 7 + n) % 50 + 1 )).txt" ;;
            1) curl -fsS -m 10 -o /dev/null --compressed "$SITE/files/f$(( (i * 3 + n) % 50 + 1 )).txt" ;;
            2) curl -fsS -m 10 -o /dev/null "$SITE/files/" ;;
            3) curl -fsS -m 10 -o /dev/null "$SITE/" ;;
            4) curl -fsS -m 10 -o /dev/null "$SITE/api/item/$i" ;;
            5) curl -fsS -m 10 -o /dev/null "$SITE/files/big.bin"
               curl -fsS -m 10 -o /dev/null "$BASE/config/" ;;
        esac || true
        sleep 0.02   # light load: the curls must not starve the server of CPU
        i=$((i + 1))
    done
}

deadline=$(( $(date +%s) + LOAD_SECS ))
WORKERS=6; [ "$SERVER" = caddy ] && WORKERS=3
log "load: $WORKERS curl workers for ${LOAD_SECS}s"
for w in $(seq 1 "$WORKERS"); do
    "${SERVER}_load" "$w" &
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

# ---- 4. goroutine dump on a signal --------------------------------------------
# caddy traps SIGQUIT and exits without a dump; it leaves SIGABRT to the Go
# runtime, which dumps every goroutine as for SIGQUIT
SIG=QUIT; [ "$SERVER" = caddy ] && SIG=ABRT
log "SIG$SIG -> $pid"
kill -"$SIG" "$pid"
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
rc=0; wait "$pid" || rc=$?
pid=""
log "$SERVER exited with status $rc"
if grep -q "^SIG$SIG:" "$out/gctrace.log"; then
    sed -n "/^SIG$SIG:/,\$p" "$out/gctrace.log" >"$out/sigquit.log"
else
    log "WARN: no SIG$SIG traceback in gctrace.log"
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
    case $SERVER in
        prometheus) echo "## $BIN --version"; "$BIN" --version 2>&1 ;;
        caddy) echo "## $BIN version"; "$BIN" version 2>&1 ;;
    esac
    echo
    echo "## dpkg -s $SERVER (Version)"
    dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' "$SERVER" 2>/dev/null || echo "(not a dpkg install)"
    echo
    echo "## $GO version -m $BIN"
    "$GO" version -m "$BIN" 2>&1
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
    echo "$WORKERS curl workers on $([ "$SERVER" = caddy ] && echo "$SITE" || echo "$BASE") for ${LOAD_SECS}s; $SERVER exit status after SIG$SIG: $rc"
} >"$out/VERSION.txt"

# ---- 6. compress big text files, install -------------------------------------
find "$out" -type f ! -name '*.gz' -size +"${GZ_LIMIT}c" -print0 | while IFS= read -r -d '' f; do
    gzip -9 -n "$f"
done

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$out" "$dest"
log "done: $dest ($(du -sh "$dest" | cut -f1))"
