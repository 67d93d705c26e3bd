#!/usr/bin/env bash
# Provides the Pulumi engine at the versions pinned in toolchain/versions.env (which match
# package.json), without the Pulumi download site where it cannot be reached:
#   pulumi                       the CLI: a `pulumi` of that version on PATH, or built from the
#                                Go module proxy through a small wrapper module (toolchain/pulumi)
#   pulumi-language-nodejs       the Node.js language host: next to that `pulumi` or on PATH, else
#                                built from the proxy (toolchain/language-nodejs)
#   pulumi-resource-kubernetes   the Kubernetes provider: on PATH, in the CLI's plugin directory,
#                                downloaded (--allow-download), else built from the proxy
#                                (toolchain/kubernetes)
#   pulumi-resource-docker       the Docker provider: on PATH, in the CLI's plugin directory or
#                                downloaded (--allow-download); the proxy does not serve it
# Binaries are cached under ~/.cache/ops-baseline/toolchain/<name>-<version>/ and linked into
# one bin directory; a warm run takes about a second. Safe to re-run and to interrupt: builds go
# to a temporary directory and are moved into the cache when complete.
#
#   bash toolchain/install.sh                 build or reuse; report what is missing
#   bash toolchain/install.sh --print-bin-dir print the bin directory (exit 1 if no CLI)
#   bash toolchain/install.sh --require-all   exit 1 unless every binary is there
#   bash toolchain/install.sh --require kubernetes   exit 1 unless CLI, language host and the
#                                             named provider (kubernetes or docker) are there
#   bash toolchain/install.sh --check ...     build nothing (with --require: only report)
#   bash toolchain/install.sh --force         rebuild the CLI
#   bash toolchain/install.sh --allow-download fetch missing plugins with `pulumi plugin install`
#                                             (also done without it when get.pulumi.com answers)
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
allow_download=0
check_only=0
require=""
prev=""
for arg in "$@"; do
  [ "$arg" = "--allow-download" ] && allow_download=1
  [ "$arg" = "--require-all" ] && require="kubernetes docker"
  [ "$arg" = "--check" ] && check_only=1
  [ "$prev" = "--require" ] && require="$require $arg"
  prev=$arg
done

# Builds one binary from the Go module proxy through the wrapper module in toolchain/<dir>:
# go.mod.in with @VARS@ replaced, its .go files, and any extra files the caller copies in
# (hook: a function run in the work directory after `go mod tidy`). Prints progress every
# 30 s, builds in a temporary directory and moves the binary to $cache/<name>-<version>/.
go_build() {
  local name=$1 version=$2 dir=$3 package=$4 ldflags=$5 hook=${6:-}
  local dest="$cache/$name-$version" t0 work ticker
  t0=$(date +%s)
  command -v go >/dev/null || { log "go is missing: $name is built with the Go toolchain"; return 1; }
  work=$(mktemp -d "$cache/build-$name.XXXXXX")
  # shellcheck disable=SC2064 # expand now: each build has its own directory
  trap "rm -rf '$work'" EXIT
  sed -e "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" \
    -e "s/@LANGUAGE_HOST_VERSION@/$LANGUAGE_HOST_VERSION/g" \
    -e "s/@KUBERNETES_PROVIDER_VERSION@/$KUBERNETES_PROVIDER_VERSION/g" \
    -e "s/@KUBERNETES_PROVIDER_MODULE_VERSION@/$KUBERNETES_PROVIDER_MODULE_VERSION/g" \
    "$here/$dir/go.mod.in" >"$work/go.mod"
  cp "$here/$dir"/*.go "$work/"
  (
    cd "$work"
    export GOFLAGS=-mod=mod
    go mod tidy 2>&1 | grep -v 'go: downloading' | sed -u 's/^/[toolchain]   /' >&2 || true
    [ -z "$hook" ] || "$hook"
    ( while sleep 30; do log "  $name: still compiling ($(($(date +%s) - t0)) s)"; done ) &
    ticker=$!
    trap 'kill $ticker 2>/dev/null || true' EXIT
    go build -trimpath -ldflags "-s -w $ldflags" -o "$work/out/$name" "$package"
  ) || { log "$name v$version: the build failed (output above)"; rm -rf "$work"; trap - EXIT; return 1; }
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  mv "$work/out/$name" "$dest.partial/$name"
  rm -rf "$dest" && mv "$dest.partial" "$dest"
  rm -rf "$work"
  trap - EXIT
  log "$name v$version: built from the Go module proxy in $(($(date +%s) - t0)) s"
}

# ---- the CLI ------------------------------------------------------------------------------
cli_dir="$cache/pulumi-$PULUMI_VERSION"
on_path=$(command -v pulumi 2>/dev/null || true)
[ "$on_path" = "$bin_dir/pulumi" ] && on_path=""
if [ "$mode" != "--force" ] && [ -x "$cli_dir/pulumi" ]; then
  log "pulumi v$PULUMI_VERSION: cached"
elif [ "$mode" != "--force" ] && [ -n "$on_path" ] && [ "$("$on_path" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  log "pulumi v$PULUMI_VERSION: using $on_path"
  mkdir -p "$cli_dir"
  ln -sf "$on_path" "$cli_dir/pulumi"
else
  log "pulumi v$PULUMI_VERSION: building from the Go module proxy (about 6 min on 2 cores; progress below)"
  go_build pulumi "$PULUMI_VERSION" pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
fi
ln -sf "$cli_dir/pulumi" "$bin_dir/pulumi"
version=$("$bin_dir/pulumi" version)
[ "$version" = "v$PULUMI_VERSION" ] || { log "built CLI reports $version, expected v$PULUMI_VERSION"; exit 1; }

# ---- language host and providers ------------------------------------------------------------
plugin_kind() { case "$1" in pulumi-language-*) echo language ;; *) echo resource ;; esac; }
plugin_name() { echo "$1" | sed -E 's/^pulumi-(language|resource)-//'; }

# A plugin the CLI already has in its own plugin directory (~/.pulumi/plugins).
installed_plugin() {
  "$bin_dir/pulumi" plugin ls --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s||"[]");process.exit(l.some(p=>p.kind===process.argv[1]&&p.name===process.argv[2]&&p.version===process.argv[3])?0:1)})' \
      "$(plugin_kind "$1")" "$(plugin_name "$1")" "$2"
}

# Where the Pulumi download site is reachable (a laptop, GitHub's runners), fetch the released
# plugin. Reachability is probed once, only when a plugin is missing (a refused connection fails
# in well under a second); OPS_BASELINE_NO_DOWNLOAD=1 turns the probe off.
download_site_reachable() {
  if [ -z "${download_probe:-}" ]; then
    download_probe=no
    if [ "${OPS_BASELINE_NO_DOWNLOAD:-}" != 1 ] && command -v curl >/dev/null &&
      curl -sfI --max-time 5 -o /dev/null https://get.pulumi.com/; then
      download_probe=yes
    fi
  fi
  [ "$download_probe" = yes ]
}
download_plugin() {
  "$bin_dir/pulumi" plugin install "$(plugin_kind "$1")" "$(plugin_name "$1")" "v$2" >&2
}

# The Kubernetes provider's wrapper embeds the schema and Terraform mapping from the module zip.
copy_kubernetes_schema() {
  local src
  src=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes
  cp "$src/schema.json" "$src/terraform-mapping.json" . && chmod u+w schema.json terraform-mapping.json
}

build_plugin() {
  case "$1" in
    pulumi-language-nodejs)
      go_build "$1" "$2" language-nodejs github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
        "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$2"
      ;;
    pulumi-resource-kubernetes)
      go_build "$1" "$2" kubernetes . \
        "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$2" copy_kubernetes_schema
      ;;
    *) return 1 ;;
  esac
}

# Order: the cache; a binary on PATH (for the language host also the one shipped next to the
# CLI); the CLI's plugin directory; a download where allowed; a build from the Go module proxy
# where it serves the module. The Docker provider's module is refused by the proxy (403).
missing=()
for spec in "pulumi-language-nodejs:$LANGUAGE_HOST_VERSION:$LANGUAGE_HOST_MODULE" \
  "pulumi-resource-kubernetes:$KUBERNETES_PROVIDER_VERSION:$KUBERNETES_PROVIDER_MODULE" \
  "pulumi-resource-docker:$DOCKER_PROVIDER_VERSION:$DOCKER_PROVIDER_MODULE"; do
  IFS=: read -r name want module <<<"$spec"
  cached="$cache/$name-$want/$name"
  beside_cli=""
  [ -n "$on_path" ] && [ -x "$(dirname "$on_path")/$name" ] && beside_cli="$(dirname "$on_path")/$name"
  if [ -x "$cached" ]; then
    ln -sf "$cached" "$bin_dir/$name"
    log "$name v$want: cached"
  elif found=$(command -v "$name" 2>/dev/null || echo "$beside_cli") && [ -n "$found" ] && [ "$found" != "$bin_dir/$name" ]; then
    ln -sf "$found" "$bin_dir/$name"
    log "$name: using $found"
  elif installed_plugin "$name" "$want"; then
    rm -f "$bin_dir/$name"
    log "$name v$want: installed in the CLI's plugin directory"
  elif { [ "$allow_download" = 1 ] || download_site_reachable; } && download_plugin "$name" "$want"; then
    rm -f "$bin_dir/$name"
    log "$name v$want: downloaded by pulumi plugin install"
  elif [ "$check_only" = 0 ] && [ "$name" != pulumi-resource-docker ] && build_plugin "$name" "$want"; then
    ln -sf "$cached" "$bin_dir/$name"
  else
    rm -f "$bin_dir/$name"
    case "$name" in
      pulumi-resource-docker) why="$module is not served by the Go module proxy (403) and the Pulumi download site (get.pulumi.com) is not reachable; install the Pulumi CLI with its plugins, or run this where get.pulumi.com answers" ;;
      *) why="not built yet: run bash toolchain/install.sh (builds $module from the Go module proxy)" ;;
    esac
    missing+=("$name v$want ($why)")
  fi
done

log "bin directory: $bin_dir (add it to PATH; scripts/pulumi.sh does)"
status=0
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do log "missing: $m"; done
  log "or place the binary at $cache/<name>-<version>/<name>; see toolchain/README.md"
  for m in "${missing[@]}"; do
    case "$m" in
      pulumi-language-nodejs*) [ -z "$require" ] || status=1 ;;
      pulumi-resource-kubernetes*) [[ " $require " != *" kubernetes "* ]] || status=1 ;;
      pulumi-resource-docker*) [[ " $require " != *" docker "* ]] || status=1 ;;
    esac
  done
fi
log "done in $(($(date +%s) - started)) s"
exit $status
