#!/usr/bin/env bash
# Builds versitygw, a real S3 server (its posix backend serves buckets from a directory), from the
# Go module proxy. The backup tests and the backup benchmark use it as the off-site object store.
# Cached under ~/.cache/ops-baseline/versitygw-<version>/versitygw; a warm run takes about a
# second. Built in a temporary directory and moved into place only when complete.
#
#   bash toolchain/versitygw.sh            build or reuse
#   bash toolchain/versitygw.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
VERSITYGW_VERSION=1.8.0
cache_root="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
dir="$cache_root/versitygw-$VERSITYGW_VERSION"
bin="$dir/versitygw"
log() { printf '[versitygw] %s\n' "$*" >&2; }

if [ "${1:-}" = "--print" ]; then
  [ -x "$bin" ] || exit 1
  echo "$bin"
  exit 0
fi
if [ -x "$bin" ]; then
  log "v$VERSITYGW_VERSION: cached ($bin)"
  exit 0
fi
command -v go >/dev/null || { log "go is missing: versitygw is built with the Go toolchain"; exit 1; }
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/build-versitygw.XXXXXX")
ticker=
cleanup() {
  [ -n "$ticker" ] && kill "$ticker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
log "v$VERSITYGW_VERSION: building from the Go module proxy (about 3 min on 2 cores)"
( while sleep 30; do log "  still building ($(($(date +%s) - started)) s)"; done ) &
ticker=$!
# The module has no replace directives, so `go install` builds it directly into the work dir.
GOBIN="$work/out" GOFLAGS=-trimpath go install -ldflags "-s -w" \
  "github.com/versity/versitygw/cmd/versitygw@v$VERSITYGW_VERSION"
"$work/out/versitygw" --version >/dev/null 2>&1 || "$work/out/versitygw" --help >/dev/null
rm -rf "$dir.partial" && mkdir -p "$dir.partial"
mv "$work/out/versitygw" "$dir.partial/versitygw"
rm -rf "$dir" && mv "$dir.partial" "$dir"
log "v$VERSITYGW_VERSION: built in $(($(date +%s) - started)) s ($bin)"
