#!/usr/bin/env bash
# Builds the dev image's NATS exporter: a stand-in for prometheus-nats-exporter's varz collector
# (toolchain/nats-exporter/main.go, Go standard library only), because the Go module proxy refuses
# github.com/nats-io/prometheus-nats-exporter and Debian does not package it. Prod runs the upstream
# image. Cached under ~/.cache/ops-baseline/nats-varz-exporter-<version>/ and staged as the image's
# build context (images/go-binary/stage/nats-varz-exporter-<version>); a warm run takes about a
# second. Built in a temporary directory and moved into place only when complete.
#
#   bash toolchain/nats-exporter.sh            build or reuse
#   bash toolchain/nats-exporter.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
VERSION=0.1.0
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache_root="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
# The version names the source too: a change to main.go without a new VERSION would reuse the cache.
sum=$(sha256sum "$here/nats-exporter/main.go" | cut -c1-12)
dir="$cache_root/nats-varz-exporter-$VERSION-$sum"
bin="$dir/nats-varz-exporter"
stage="$repo/images/go-binary/stage/nats-varz-exporter-$VERSION"
log() { printf '[nats-exporter] %s\n' "$*" >&2; }

if [ "${1:-}" = "--print" ]; then
  [ -x "$bin" ] || exit 1
  echo "$bin"
  exit 0
fi
stage_it() {
  mkdir -p "$stage"
  cmp -s "$bin" "$stage/nats-varz-exporter" 2>/dev/null || cp "$bin" "$stage/nats-varz-exporter"
}
if [ -x "$bin" ]; then
  stage_it
  log "v$VERSION: cached ($bin)"
  exit 0
fi
command -v go >/dev/null || { log "go is missing: the exporter is built with the Go toolchain"; exit 1; }
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/build-nats-exporter.XXXXXX")
ticker=
cleanup() {
  [ -n "$ticker" ] && kill "$ticker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
( while sleep 30; do log "  still building ($(($(date +%s) - started)) s)"; done ) &
ticker=$!
cp "$here/nats-exporter/main.go" "$here/nats-exporter/go.mod" "$work/"
(cd "$work" && CGO_ENABLED=0 GOFLAGS=-trimpath go build -ldflags "-s -w" -o "$work/out/nats-varz-exporter" .)
rm -rf "$dir.partial" && mkdir -p "$dir.partial"
mv "$work/out/nats-varz-exporter" "$dir.partial/"
rm -rf "$dir" && mv "$dir.partial" "$dir"
stage_it
log "v$VERSION: built in $(($(date +%s) - started)) s ($bin)"
