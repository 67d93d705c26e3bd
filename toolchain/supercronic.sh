#!/usr/bin/env bash
# Builds supercronic, a cron scheduler made for containers (runs as any user, reads a crontab,
# logs each run, handles SIGTERM), from the Go module proxy, and stages it into the backup image's
# build context (images/backup/supercronic, not in git), which runs the backup jobs and the
# stack's own jobs on Docker. Cached under ~/.cache/ops-baseline/supercronic-<version>/; a warm
# run takes about a second. Built in a temporary directory and moved into place only when complete.
#
#   bash toolchain/supercronic.sh            build or reuse, and stage
#   bash toolchain/supercronic.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
SUPERCRONIC_VERSION=0.2.48
cache_root="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
dir="$cache_root/supercronic-$SUPERCRONIC_VERSION"
bin="$dir/supercronic"
repo=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[supercronic] %s\n' "$*" >&2; }

stage() {
  local target="$repo/images/backup/supercronic"
  cmp -s "$bin" "$target" 2>/dev/null || { cp "$bin" "$target.tmp" && mv "$target.tmp" "$target"; }
  log "staged into images/backup/supercronic"
}

if [ "${1:-}" = "--print" ]; then
  [ -x "$bin" ] || exit 1
  echo "$bin"
  exit 0
fi
if [ -x "$bin" ]; then
  log "v$SUPERCRONIC_VERSION: cached ($bin)"
  stage
  exit 0
fi
command -v go >/dev/null || { log "go is missing: supercronic is built with the Go toolchain"; exit 1; }
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/build-supercronic.XXXXXX")
ticker=
cleanup() {
  [ -n "$ticker" ] && kill "$ticker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
log "v$SUPERCRONIC_VERSION: building from the Go module proxy (about 1 min on 2 cores)"
( while sleep 30; do log "  still building ($(($(date +%s) - started)) s)"; done ) &
ticker=$!
# Static, so it runs on the Debian base without a matching libc.
CGO_ENABLED=0 GOBIN="$work/out" GOFLAGS=-trimpath go install -ldflags "-s -w" \
  "github.com/aptible/supercronic@v$SUPERCRONIC_VERSION"
printf '*/5 * * * * true\n' >"$work/crontab"
"$work/out/supercronic" -test "$work/crontab" >/dev/null 2>&1
rm -rf "$dir.partial" && mkdir -p "$dir.partial"
mv "$work/out/supercronic" "$dir.partial/supercronic"
rm -rf "$dir" && mv "$dir.partial" "$dir"
log "v$SUPERCRONIC_VERSION: built in $(($(date +%s) - started)) s ($bin)"
stage
