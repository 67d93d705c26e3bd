#!/usr/bin/env bash
# Provides the Pulumi engine at the versions pinned in toolchain/versions.env (which match
# package.json), without the Pulumi download site:
#   pulumi                       the CLI: a `pulumi` of that version on PATH, or built from the
#                                Go module proxy through a small wrapper module (toolchain/pulumi)
#   pulumi-language-nodejs       the Node.js language host  } looked up on PATH and in the cache;
#   pulumi-resource-kubernetes   the Kubernetes provider    } the Go module proxy does not serve
#   pulumi-resource-docker       the Docker provider        } their modules (see toolchain/README.md)
# Binaries are cached under ~/.cache/ops-baseline/toolchain/<name>-<version>/ and linked into
# one bin directory; a warm run takes about a second. Safe to re-run and to interrupt: builds go
# to a temporary directory and are moved into the cache when complete.
#
#   bash toolchain/install.sh                 build or reuse; report what is missing
#   bash toolchain/install.sh --print-bin-dir print the bin directory (exit 1 if no CLI)
#   bash toolchain/install.sh --require-all   exit 1 unless every binary is there
#   bash toolchain/install.sh --force         rebuild the CLI
#   bash toolchain/install.sh --allow-download where the Pulumi download site is reachable, fetch
#                                             missing plugins with `pulumi plugin install`
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=versions.env
. "$here/versions.env"
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}/toolchain"
bin_dir="$cache/bin-$PULUMI_VERSION-k$KUBERNETES_PROVIDER_VERSION-d$DOCKER_PROVIDER_VERSION"
mode=${1:-}

log() { printf '[toolchain] %s\n' "$*" >&2; }

if [ "$mode" = "--print-bin-dir" ]; then
  [ -x "$bin_dir/pulumi" ] || exit 1
  echo "$bin_dir"
  exit 0
fi

# The pins must agree with the SDK packages, or the engine would ask for other plugin versions.
pkg_version() { node -e "process.stdout.write(require('$repo/package.json').dependencies['$1'] || '')"; }
for pair in "@pulumi/pulumi:$PULUMI_VERSION" "@pulumi/kubernetes:$KUBERNETES_PROVIDER_VERSION" "@pulumi/docker:$DOCKER_PROVIDER_VERSION"; do
  name=${pair%%:*}
  want=${pair##*:}
  have=$(pkg_version "$name")
  if [ "$have" != "$want" ]; then
    log "package.json pins $name $have but toolchain/versions.env says $want; make them equal"
    exit 1
  fi
done

mkdir -p "$bin_dir"
started=$(date +%s)

# ---- the CLI ------------------------------------------------------------------------------
cli_dir="$cache/pulumi-$PULUMI_VERSION"
on_path=$(command -v pulumi 2>/dev/null || true)
if [ "$mode" != "--force" ] && [ -x "$cli_dir/pulumi" ]; then
  log "pulumi v$PULUMI_VERSION: cached"
elif [ "$mode" != "--force" ] && [ -n "$on_path" ] && [ "$("$on_path" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  log "pulumi v$PULUMI_VERSION: using $on_path"
  mkdir -p "$cli_dir"
  ln -sf "$on_path" "$cli_dir/pulumi"
else
  command -v go >/dev/null || { log "go is missing: the CLI is built with the Go toolchain"; exit 1; }
  work=$(mktemp -d "$cache/build-pulumi.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  sed "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" "$here/pulumi/go.mod.in" >"$work/go.mod"
  cp "$here/pulumi/tools.go" "$work/"
  log "pulumi v$PULUMI_VERSION: building from the Go module proxy (about 4 min on 2 cores; progress below)"
  (
    cd "$work"
    export GOFLAGS=-mod=mod
    go mod tidy 2>&1 | sed -u 's/^/[toolchain]   /' | grep -v '^\[toolchain\]   go: downloading' >&2 || true
    ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
    ( while sleep 30; do log "  still compiling ($(($(date +%s) - started)) s)"; done ) &
    ticker=$!
    go build -trimpath -ldflags "$ldflags" -o "$work/out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    kill "$ticker" 2>/dev/null || true
  )
  mkdir -p "$cache"
  rm -rf "$cli_dir.partial" && mkdir -p "$cli_dir.partial"
  mv "$work/out/pulumi" "$cli_dir.partial/pulumi"
  rm -rf "$cli_dir" && mv "$cli_dir.partial" "$cli_dir"
  log "pulumi v$PULUMI_VERSION: built in $(($(date +%s) - started)) s"
fi
ln -sf "$cli_dir/pulumi" "$bin_dir/pulumi"
version=$("$bin_dir/pulumi" version)
[ "$version" = "v$PULUMI_VERSION" ] || { log "built CLI reports $version, expected v$PULUMI_VERSION"; exit 1; }

# ---- language host and providers ------------------------------------------------------------
allow_download=0
for arg in "$@"; do [ "$arg" = "--allow-download" ] && allow_download=1; done

plugin_kind() { case "$1" in pulumi-language-*) echo language ;; *) echo resource ;; esac; }
plugin_name() { echo "$1" | sed -E 's/^pulumi-(language|resource)-//'; }

# A plugin the CLI already has in its own plugin directory (~/.pulumi/plugins).
installed_plugin() {
  "$bin_dir/pulumi" plugin ls --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s||"[]");process.exit(l.some(p=>p.kind===process.argv[1]&&p.name===process.argv[2]&&p.version===process.argv[3])?0:1)})' \
      "$(plugin_kind "$1")" "$(plugin_name "$1")" "$2"
}

# Where the Pulumi download site is reachable (e.g. GitHub's runners), fetch the released plugin.
download_plugin() {
  "$bin_dir/pulumi" plugin install "$(plugin_kind "$1")" "$(plugin_name "$1")" "v$2" >&2
}

# Found on PATH or in the cache (put there by hand, e.g. from a machine that can reach the Pulumi
# download site); the Go module proxy answers 403 for their modules, so they are not built here.
missing=()
for spec in "pulumi-language-nodejs:$PULUMI_VERSION:$LANGUAGE_HOST_MODULE" \
  "pulumi-resource-kubernetes:$KUBERNETES_PROVIDER_VERSION:$KUBERNETES_PROVIDER_MODULE" \
  "pulumi-resource-docker:$DOCKER_PROVIDER_VERSION:$DOCKER_PROVIDER_MODULE"; do
  IFS=: read -r name want module <<<"$spec"
  cached="$cache/$name-$want/$name"
  if [ -x "$cached" ]; then
    ln -sf "$cached" "$bin_dir/$name"
    log "$name v$want: cached"
  elif found=$(command -v "$name" 2>/dev/null) && [ -n "$found" ] && [ "$found" != "$bin_dir/$name" ]; then
    ln -sf "$found" "$bin_dir/$name"
    log "$name: using $found"
  elif installed_plugin "$name" "$want"; then
    log "$name v$want: installed in the CLI's plugin directory"
  elif [ "$allow_download" = 1 ] && download_plugin "$name" "$want"; then
    log "$name v$want: downloaded by pulumi plugin install"
  else
    rm -f "$bin_dir/$name"
    missing+=("$name v$want ($module: not served by the Go module proxy)")
  fi
done

log "bin directory: $bin_dir (add it to PATH; scripts/pulumi.sh does)"
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do log "missing: $m"; done
  log "place the binary at $cache/<name>-<version>/<name> to use it; see toolchain/README.md"
  for arg in "$@"; do [ "$arg" = "--require-all" ] && exit 1; done
fi
log "done in $(($(date +%s) - started)) s"
