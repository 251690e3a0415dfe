#!/usr/bin/env bash
# gen-thirdparty-dns.sh — a heap dump of a real third-party Go server library
# with its own binary, for the typed-share figure of issue 10: builds
# samples/dnsserver/dnsserver.go (github.com/miekg/dns from Debian's
# golang-github-miekg-dns-dev, in GOPATH mode against /usr/share/gocode) with
# Go 1.19 and Go 1.23, runs each under light load (its own DNS clients, a few
# seconds), and replaces samples/dnsserver/go1.NN/ with
#   heap.dump.xz       what runtime/debug.WriteHeapDump wrote
#   dnsserver.bin.xz   the binary that wrote it (-trimpath -buildvcs=false)
#   facts.json         what the program did (records by type, queries, ...)
#
# Requirements (about 20 s):
#   apt-get install -y golang-github-miekg-dns-dev golang-1.19-go xz-utils
#   Go 1.23: bookworm-backports golang-1.23-go (see samples/README.md)
# Usage: samples/gen-thirdparty-dns.sh     env: GO119=... GO123=...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
GO119=${GO119:-/usr/lib/go-1.19/bin/go}
GO123=${GO123:-/usr/lib/go-1.23/bin/go}
[ -d /usr/share/gocode/src/github.com/miekg/dns ] || {
    echo "missing: apt-get install -y golang-github-miekg-dns-dev" >&2; exit 1; }

work=$(mktemp -d /tmp/heapscope-dns.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/gopath/src/dnsserver"
cp "$here/dnsserver/dnsserver.go" "$work/gopath/src/dnsserver/main.go"

for go in "$GO119" "$GO123"; do
    [ -x "$go" ] || { echo "missing: $go" >&2; exit 1; }
    v=$("$go" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/go\1/')
    out="$work/$v"
    mkdir -p "$out"
    (cd "$work/gopath/src/dnsserver" &&
        GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOFLAGS=-trimpath \
        GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -buildvcs=false -o "$out/dnsserver" .)
    "$out/dnsserver" -out "$out"
    xz -9 -T1 "$out/heap.dump"
    xz -9 -T1 "$out/dnsserver"
    dest="$here/dnsserver/$v"
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$out/heap.dump.xz" "$out/dnsserver.xz" "$out/facts.json" "$dest/"
    mv "$dest/dnsserver.xz" "$dest/dnsserver.bin.xz"
    echo "wrote $dest" >&2
done
