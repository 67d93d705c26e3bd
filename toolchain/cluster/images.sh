#!/usr/bin/env bash
# The images the one-node test cluster runs, built locally with Docker (no registry is reachable)
# from the binaries of toolchain/cluster/install.sh, each FROM scratch (the binaries are static)
# except the local-path helper, which needs a shell:
#   ops-baseline.local/pause:$PAUSE_VERSION                          containerd's sandbox image
#   ops-baseline.local/coredns:$COREDNS_VERSION
#   ops-baseline.local/kube-network-policies:$KUBE_NETWORK_POLICIES_VERSION
#   ops-baseline.local/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION
#   ops-baseline.local/local-path-helper:bookworm-slim               the local debian:bookworm-slim
#                                                                    (mkdir/rm of volume dirs)
#   ops-baseline.local/netprobe:<hash of images/netprobe>            the tests' workload
#   ops-baseline.local/otelcol:<version>-<hash of the binary>        the project's collector
#                                                                    (toolchain/otelcol.sh)
#   ops-baseline.local/victoria-logs:$VICTORIALOGS_VERSION            the log store
#                                                                    (toolchain/observability.sh)
# Each is saved once to ~/.cache/ops-baseline/cluster-images/<name>-<tag>.tar (the key is the
# version, or the source hash); a warm run only checks the files.
#
#   bash toolchain/cluster/images.sh                  build the missing tarballs
#   bash toolchain/cluster/images.sh --import SOCKET  also import them all into the containerd
#                                                     at SOCKET (namespace k8s.io)
#   bash toolchain/cluster/images.sh --ref NAME       print the full reference of one image
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}/cluster-images"
log() { printf '[cluster-images] %s\n' "$*" >&2; }
install="$here/install.sh"

# shellcheck source=../observability/versions.env
. "$repo/toolchain/observability/versions.env"
otelcol_bin=$(bash "$repo/toolchain/otelcol.sh" --print 2>/dev/null) || otelcol_bin=""
victorialogs_bin="$(bash "$repo/toolchain/observability.sh" --print-dir victorialogs 2>/dev/null)/victoria-logs" || victorialogs_bin=""
otelcol_tag="$(sed -n 's/^version=//p' "$repo/toolchain/otelcol.sh")-$({ [ -n "$otelcol_bin" ] && sha256sum <"$otelcol_bin" || echo unbuilt; } | cut -c1-12)"
netprobe_tag=$(cat "$repo/images/netprobe/main.go" "$repo/images/netprobe/Dockerfile" | sha256sum | cut -c1-12)
declare -A tag=(
  [pause]=$PAUSE_VERSION
  [coredns]=$COREDNS_VERSION
  [kube-network-policies]=$KUBE_NETWORK_POLICIES_VERSION
  [local-path-provisioner]=$LOCAL_PATH_PROVISIONER_VERSION
  [local-path-helper]=bookworm-slim
  [netprobe]=$netprobe_tag
  [otelcol]=$otelcol_tag
  [victoria-logs]=$VICTORIALOGS_VERSION
)
names="pause coredns kube-network-policies local-path-provisioner local-path-helper netprobe otelcol victoria-logs"
ref() { echo "ops-baseline.local/$1:${tag[$1]}"; }

if [ "${1:-}" = "--ref" ]; then
  [ -n "${tag[$2]:-}" ] || { log "unknown image $2 ($names)"; exit 1; }
  ref "$2"
  exit 0
fi

started=$(date +%s)
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/ops-baseline-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# context <name> : fills $work/<name> with the Dockerfile and the binary
context() {
  local name=$1 ctx="$work/$1" bin
  mkdir -p "$ctx"
  case "$name" in
    local-path-helper)
      printf 'FROM debian:bookworm-slim\n' >"$ctx/Dockerfile"
      ;;
    netprobe)
      cp "$repo/images/netprobe/Dockerfile" "$ctx/"
      (cd "$repo/images/netprobe" && CGO_ENABLED=0 GOTOOLCHAIN=local nice -n 10 \
        go build -trimpath -ldflags '-s -w' -o "$ctx/netprobe" .)
      ;;
    *)
      case "$name" in
        otelcol) bin=$otelcol_bin from=toolchain/otelcol.sh ;;
        victoria-logs) bin=$victorialogs_bin from=toolchain/observability.sh ;;
        *) from=toolchain/cluster/install.sh; bin=$(bash "$install" --print "$name") || bin="" ;;
      esac
      [ -n "$bin" ] && [ -x "$bin" ] || { log "$name is not built: bash $from"; exit 1; }
      cp "$bin" "$ctx/$name"
      printf 'FROM scratch\nCOPY %s /%s\nENTRYPOINT ["/%s"]\n' "$name" "$name" "$name" >"$ctx/Dockerfile"
      ;;
  esac
}

for name in $names; do
  tarball="$cache/$name-${tag[$name]}.tar"
  if [ -s "$tarball" ]; then
    continue
  fi
  docker info >/dev/null 2>&1 || bash "$repo/scripts/docker-engine.sh"
  if [ "$name" = local-path-helper ] && ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    log "debian:bookworm-slim is missing: bash images/base/build.sh"
    exit 1
  fi
  t=$(date +%s)
  context "$name"
  # (stderr kept for failures only: the legacy builder prints a deprecation notice each time)
  docker build -q -t "$(ref "$name")" "$work/$name" >/dev/null 2>"$work/build.err" || { cat "$work/build.err" >&2; exit 1; }
  docker save -o "$tarball.partial" "$(ref "$name")"
  mv "$tarball.partial" "$tarball"
  log "$(ref "$name"): built and saved in $(($(date +%s) - t)) s"
done

if [ "${1:-}" = "--import" ]; then
  socket=$2
  ctr=$(bash "$install" --print ctr)
  for name in $names; do
    # Already there with the same reference: skip (an import costs about a second each).
    if "$ctr" --address "$socket" -n k8s.io images ls -q | grep -qxF "$(ref "$name")"; then continue; fi
    "$ctr" --address "$socket" -n k8s.io images import "$cache/$name-${tag[$name]}.tar" >/dev/null
  done
  log "images imported into $socket"
fi
log "done in $(($(date +%s) - started)) s"
