#!/usr/bin/env bash
# Builds the project's OpenTelemetry Collector distribution (toolchain/otelcol: main.go, the
# components it lists, go.mod/go.sum pinning every module at the v0.165 release) and stages it into
# the dev image's build context (images/go-binary/stage/otelcol-<version>, not in git). Cached
# under ~/.cache/ops-baseline/otelcol-<version>/ with the hash of the sources it was built from:
# a change to the component list or a module version rebuilds it (about 4 min cold on 2 cores,
# ~1 s warm; toolchain/go-tool.sh).
#
#   bash toolchain/otelcol.sh            build or reuse, and stage
#   bash toolchain/otelcol.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
tool=otelcol
version=0.165.1
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/toolchain/go-tool.sh"
src="$repo/toolchain/otelcol"
hash=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
dir="$cache_root/otelcol-$version"
bin="$dir/otelcol"
# A binary built from other sources is rebuilt.
if [ -x "$bin" ] && [ "$(cat "$dir/.source-hash" 2>/dev/null)" != "$hash" ] && [ "${1:-}" != "--print" ]; then
  log "sources changed since the cached build: rebuilding"
  rm -rf "$dir"
fi

build_into() {
  # The module's own go.sum pins every dependency; -mod=mod lets the proxy fill the module cache.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w -X main.version=$version" \
    -o "$1/out/otelcol" .)
}
check() {
  "$1" --version | grep -q "$version"
  printf 'receivers:\n  file_log:\n    include: [/nonexistent/*.log]\nexporters:\n  otlp_http:\n    endpoint: http://127.0.0.1:1\nservice:\n  pipelines:\n    logs:\n      receivers: [file_log]\n      exporters: [otlp_http]\n' >"$work/config.yaml"
  "$1" validate --config="$work/config.yaml"
}
stage() {
  echo "$hash" >"$dir/.source-hash"
  local target="$repo/images/go-binary/stage/otelcol-$version"
  mkdir -p "$target"
  cmp -s "$bin" "$target/otelcol" 2>/dev/null || cp -f "$bin" "$target/otelcol"
  log "staged into images/go-binary/stage/otelcol-$version"
}
go_tool_main "$@"
