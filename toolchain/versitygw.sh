#!/usr/bin/env bash
# Builds versitygw, a real S3 server (its posix backend serves buckets from a directory), from the
# Go module proxy. The backup tests and the backup benchmark use it as the off-site object store.
# Cached under ~/.cache/ops-baseline/versitygw-<version>/versitygw; a warm run takes about a
# second (toolchain/go-tool.sh).
#
#   bash toolchain/versitygw.sh            build or reuse
#   bash toolchain/versitygw.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
tool=versitygw
version=1.8.0
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/toolchain/go-tool.sh"
dir="$cache_root/versitygw-$version"
bin="$dir/versitygw"

build_into() {
  # The module has no replace directives, so `go install` builds it directly (about 3 min cold).
  GOBIN="$1/out" GOFLAGS=-trimpath go install -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@v$version"
}
check() { "$1" --version >/dev/null 2>&1 || "$1" --help >/dev/null; }
stage() { :; }
go_tool_main "$@"
