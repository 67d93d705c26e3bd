# Shared by the single-binary Go builds (toolchain/supercronic.sh, versitygw.sh, nats-exporter.sh,
# actionlint.sh): one binary cached under ~/.cache/ops-baseline/<tool>-<version>/, built in a
# temporary directory and moved into place only when complete, with progress every 30 s; a warm
# run takes about a second. Sourced, not run. The caller sets `tool`, `version`, `dir` and `bin`,
# and defines
#   build_into <work>   builds the binary as <work>/out/<basename of bin>
#   check <binary>      a smoke run of the fresh build (fails the build when it does not run)
#   stage               copies the cached binary where an image build context needs it (or nothing)
# then calls `go_tool_main "$@"`; `--print` prints the binary's path (exit 1 if not built).
cache_root="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
log() { printf '[%s] %s\n' "$tool" "$*" >&2; }

go_tool_main() {
  if [ "${1:-}" = "--print" ]; then
    [ -x "$bin" ] || exit 1
    echo "$bin"
    exit 0
  fi
  if [ -x "$bin" ]; then
    log "v$version: cached ($bin)"
    stage
    exit 0
  fi
  command -v go >/dev/null || { log "go is missing: $tool is built with the Go toolchain"; exit 1; }
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/build-$tool.XXXXXX")
  ticker=
  trap '[ -n "$ticker" ] && kill "$ticker" 2>/dev/null; rm -rf "$work"' EXIT
  started=$(date +%s)
  log "v$version: building from the Go module proxy"
  (while sleep 30; do log "  still building ($(($(date +%s) - started)) s)"; done) &
  ticker=$!
  local name
  name=$(basename "$bin")
  build_into "$work"
  check "$work/out/$name"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  mv "$work/out/$name" "$dir.partial/$name"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
  log "v$version: built in $(($(date +%s) - started)) s ($bin)"
  stage
}
