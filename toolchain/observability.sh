#!/usr/bin/env bash
# Builds the monitoring and logging servers at the versions in toolchain/observability/versions.env
# from the Go module proxy (no registry, no GitHub downloads), one cache directory per tool:
#   ~/.cache/ops-baseline/prometheus-<v>/     prometheus, promtool
#   ~/.cache/ops-baseline/alertmanager-<v>/   alertmanager, amtool
#   ~/.cache/ops-baseline/node_exporter-<v>/  node_exporter
#   ~/.cache/ops-baseline/victorialogs-<v>/   victoria-logs (the log store; its web UI is in the module)
# Each build runs in a temporary wrapper module (copying the module's own replace directives,
# which `go install` refuses) and is moved into place when complete; a warm run takes ~1 s.
# Prometheus is built without its web UI: the compiled UI assets are produced by npm in
# Prometheus' release process and are not part of the Go module (the API and /metrics work).
#
#   bash toolchain/observability.sh [tool ...]       build or reuse (default: all four), then
#                                                    stage the dev images' build contexts
#   bash toolchain/observability.sh --print-dir tool print the cache directory (exit 1 if absent)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=observability/versions.env
. "$here/observability/versions.env"
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
log() { printf '[observability] %s\n' "$*" >&2; }

# Directories that a module embeds (go:embed) but does not ship: its web UI, compiled by npm in
# the project's release process. The build uses a copy of the module with a placeholder page
# there, so the API works and the UI says where it is missing.
ui_stub() {
  case "$1" in
    alertmanager) echo "ui/app/dist" ;;
    *) echo "" ;;
  esac
}

# Build tags. Prometheus: only the service discovery the stacks use (DNS, Kubernetes, Docker,
# plus file and HTTP, always in) instead of every cloud SDK, which halves the cold build.
tags_of() {
  case "$1" in
    prometheus) echo "netgo,remove_all_sd,enable_dns_sd,enable_kubernetes_sd,enable_moby_sd" ;;
    *) echo "netgo" ;;
  esac
}

# tool -> "version module binaries version-variable"
spec() {
  case "$1" in
    prometheus) echo "$PROMETHEUS_VERSION $PROMETHEUS_MODULE prometheus,promtool github.com/prometheus/common/version.Version" ;;
    alertmanager) echo "$ALERTMANAGER_VERSION $ALERTMANAGER_MODULE alertmanager,amtool github.com/prometheus/common/version.Version" ;;
    node_exporter) echo "$NODE_EXPORTER_VERSION $NODE_EXPORTER_MODULE node_exporter github.com/prometheus/common/version.Version" ;;
    victorialogs) echo "$VICTORIALOGS_VERSION $VICTORIALOGS_MODULE victoria-logs github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version" ;;
    *) log "unknown tool '$1' (prometheus, alertmanager, node_exporter, victorialogs)"; exit 2 ;;
  esac
}

# Package path of one binary inside the module.
package_of() {
  local module=$1 bin=$2
  case "$bin" in
    node_exporter) echo "$module" ;;
    victoria-logs) echo "$module/app/victoria-logs" ;;
    *) echo "$module/cmd/$bin" ;;
  esac
}

if [ "${1:-}" = "--print-dir" ]; then
  read -r version _ bins _ <<<"$(spec "${2:?tool}")"
  dir="$cache/$2-$version"
  [ -x "$dir/${bins%%,*}" ] || exit 1
  echo "$dir"
  exit 0
fi

build() {
  local tool=$1 version module_at bins version_var module module_version dir work started ticker
  read -r version module_at bins version_var <<<"$(spec "$tool")"
  module=${module_at%@*}
  module_version=${module_at#*@}
  dir="$cache/$tool-$version"
  local have=1
  for bin in ${bins//,/ }; do [ -x "$dir/$bin" ] || have=0; done
  if [ -f "$dir/.complete" ] && [ "$have" = 1 ]; then
    log "$tool $version: cached in $dir"
    return 0
  fi
  command -v go >/dev/null || { log "go is missing: $tool is built with the Go toolchain"; exit 1; }
  started=$(date +%s)
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build-$tool.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  log "$tool $version: building $module_at from the Go module proxy"
  (
    cd "$work"
    export GOFLAGS=-mod=mod
    src=$(go mod download -json "$module_at" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || { log "$module_at: the module proxy did not serve it"; exit 1; }
    {
      printf 'module ops-baseline/toolchain/%s\n\ngo 1.26\n\nrequire %s %s\n\n' "$tool" "$module" "$module_version"
      # The module's own replace directives (relative paths made absolute into its source).
      awk -v src="$src" '
        /^replace[ \t]*\(/ { inblock = 1; next }
        inblock && /^\)/ { inblock = 0; next }
        /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); line = $0 }
        inblock && NF { line = $0 }
        line != "" {
          n = split(line, parts, "=>"); target = parts[2]; gsub(/^[ \t]+|[ \t]+$/, "", target)
          src_part = parts[1]; gsub(/^[ \t]+|[ \t]+$/, "", src_part)
          keep = 1
          if (target ~ /^\.\.?\//) {
            sub(/^\.\//, "", target); target = src "/" target
            # A nested module (its own go.mod) is not in the zip: the proxy serves it instead.
            if (system("test -d \"" target "\"") != 0) keep = 0
          }
          if (keep) print "replace " src_part " => " target
          line = ""
        }' "$src/go.mod"
      stub=$(ui_stub "$tool")
      if [ -n "$stub" ]; then
        cp -r "$src" module && chmod -R u+w module
        mkdir -p "module/$stub"
        printf '<!doctype html><title>%s</title><p>%s %s was built from the Go module, which does not include the compiled web UI. The HTTP API works.</p>\n' \
          "$tool" "$tool" "$version" >"module/$stub/index.html"
        echo "replace $module => ./module"
      fi
    } >go.mod
    imports=""
    for bin in ${bins//,/ }; do
      pkg=$(package_of "$module" "$bin")
      imports="$imports"$'\n'"import _ \"$pkg\""
    done
    printf '//go:build tools\n\npackage tools\n%s\n' "$imports" >tools.go
    go mod tidy 2>&1 | grep -v 'go: downloading\|go: finding' | sed -u 's/^/[observability]   /' >&2 || true
    ( while sleep 30; do log "  $tool: still compiling ($(($(date +%s) - started)) s)"; done ) &
    ticker=$!
    trap 'kill $ticker 2>/dev/null || true' EXIT
    mkdir -p out
    for bin in ${bins//,/ }; do
      CGO_ENABLED=0 go build -trimpath -tags "$(tags_of "$tool")" -ldflags "-s -w -X $version_var=$version" \
        -o "out/$bin" "$(package_of "$module" "$bin")"
      log "  $tool: built $bin ($(($(date +%s) - started)) s)"
    done
  )
  rm -rf "$dir.partial" && mv "$work/out" "$dir.partial"
  touch "$dir.partial/.complete"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
  rm -rf "$work"
  trap - EXIT
  log "$tool $version: built in $(($(date +%s) - started)) s into $dir"
}

# The dev images' build contexts (images/go-binary/stage/<image>-<version>, not in git): each
# image's binaries, copied only when they differ so the context digest stays put.
stage() {
  local image=$1 tool=$2 bins=$3 version dir target
  read -r version _ <<<"$(spec "$tool")"
  dir="$cache/$tool-$version"
  [ -f "$dir/.complete" ] || return 0
  target="$repo/images/go-binary/stage/$image-$version"
  mkdir -p "$target"
  for bin in ${bins//,/ }; do
    cmp -s "$dir/$bin" "$target/$bin" || cp -f "$dir/$bin" "$target/$bin"
  done
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(prometheus alertmanager node_exporter victorialogs)
for tool in "${tools[@]}"; do build "$tool"; done
stage prometheus prometheus prometheus,promtool
stage alertmanager alertmanager alertmanager,amtool
stage node-exporter node_exporter node_exporter
stage victorialogs victorialogs victoria-logs
log "dev image contexts staged under images/go-binary/stage"
