#!/usr/bin/env bash
# Builds supercronic, a cron scheduler made for containers (runs as any user, reads a crontab,
# logs each run, handles SIGTERM), from the Go module proxy, and stages it into the backup image's
# build context (images/backup/supercronic, not in git), which runs the backup jobs and the
# stack's own jobs on Docker. Cached under ~/.cache/ops-baseline/supercronic-<version>/ (about
# 1 min cold on 2 cores; toolchain/go-tool.sh).
#
#   bash toolchain/supercronic.sh            build or reuse, and stage
#   bash toolchain/supercronic.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
tool=supercronic
version=0.2.48
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/toolchain/go-tool.sh"
dir="$cache_root/supercronic-$version"
bin="$dir/supercronic"

build_into() {
  # Static, so it runs on the Debian base without a matching libc.
  CGO_ENABLED=0 GOBIN="$1/out" GOFLAGS=-trimpath go install -ldflags "-s -w" "github.com/aptible/supercronic@v$version"
}
check() {
  printf '*/5 * * * * true\n' >"$work/crontab"
  "$1" -test "$work/crontab" >/dev/null 2>&1
}
stage() {
  local target="$repo/images/backup/supercronic"
  cmp -s "$bin" "$target" 2>/dev/null || { cp "$bin" "$target.tmp" && mv "$target.tmp" "$target"; }
  log "staged into images/backup/supercronic"
}
go_tool_main "$@"
