#!/usr/bin/env bash
# Builds the dev image's NATS exporter: a stand-in for prometheus-nats-exporter's varz collector
# (toolchain/nats-exporter/main.go, Go standard library only), because the Go module proxy refuses
# github.com/nats-io/prometheus-nats-exporter and Debian does not package it. Prod runs the upstream
# image. Cached under ~/.cache/ops-baseline/nats-varz-exporter-<version>/ and staged as the image's
# build context (images/go-binary/stage/nats-varz-exporter-<version>); a warm run takes about a
# second (toolchain/go-tool.sh).
#
#   bash toolchain/nats-exporter.sh            build or reuse
#   bash toolchain/nats-exporter.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
tool=nats-exporter
version=0.1.0
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
source "$repo/toolchain/go-tool.sh"
# The version names the source too: a change to main.go without a new VERSION would reuse the cache.
sum=$(sha256sum "$here/nats-exporter/main.go" | cut -c1-12)
dir="$cache_root/nats-varz-exporter-$version-$sum"
bin="$dir/nats-varz-exporter"

build_into() {
  cp "$here/nats-exporter/main.go" "$here/nats-exporter/go.mod" "$1/"
  (cd "$1" && CGO_ENABLED=0 GOFLAGS=-trimpath go build -ldflags "-s -w" -o "$1/out/nats-varz-exporter" .)
}
check() { "$1" --help >/dev/null 2>&1 || true; }
stage() {
  local target="$repo/images/go-binary/stage/nats-varz-exporter-$version"
  mkdir -p "$target"
  cmp -s "$bin" "$target/nats-varz-exporter" 2>/dev/null || cp "$bin" "$target/nats-varz-exporter"
}
go_tool_main "$@"
