#!/usr/bin/env bash
# Builds the parts of the one-node test cluster (scripts/cluster.sh) that the control plane of
# toolchain/kube/install.sh lacks, from the Go module proxy (versions in versions.env):
#   kubelet, kube-controller-manager, kube-scheduler, kube-proxy, kubectl
#                       k8s.io/kubernetes/cmd/* at $KUBERNETES_VERSION through one wrapper module
#                       (as kube/install.sh does for kube-apiserver), one `go build` of the five
#   bridge, host-local, loopback, portmap
#                       github.com/containernetworking/plugins at $CNI_PLUGINS_VERSION
#   kube-network-policies
#                       sigs.k8s.io/kube-network-policies/cmd (upstream calls the binary netpol)
#   coredns             github.com/coredns/coredns (its main package is the module root)
#   local-path-provisioner
#                       github.com/rancher/local-path-provisioner (main package at the root)
#   pause               toolchain/cluster/pause.c, gcc -static
# containerd and runc are Debian's (apt-get install containerd runc), checked here, not built.
#
# Cold build times measured on this project's machine (2 cores, the Go build cache warm from
# toolchain/kube/install.sh's kube-apiserver, the module cache cold, nothing else building):
#   kubelet, kube-controller-manager, kube-scheduler, kube-proxy, kubectl   382 s (one go build)
#   CNI plugins 14 s, kube-network-policies 112 s, coredns 124 s, local-path-provisioner 72 s,
#   pause <1 s; 706 s in all. Warm: under a second.
# Each binary is cached at ~/.cache/ops-baseline/<tool>-<version>/<tool>; a warm run takes about a
# second. Builds happen in a temporary directory and are moved into place when complete.
#
#   bash toolchain/cluster/install.sh              build or reuse everything
#   bash toolchain/cluster/install.sh --print TOOL print the cached path of one tool (exit 1 if absent)
#   bash toolchain/cluster/install.sh --cni-dir    print the directory holding the CNI plugins
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
log() { printf '[cluster-toolchain] %s\n' "$*" >&2; }

KUBE_TOOLS="kubelet kube-controller-manager kube-scheduler kube-proxy kubectl"
CNI_TOOLS="bridge host-local loopback portmap"

path_of() {
  case "$1" in
    kubelet | kube-controller-manager | kube-scheduler | kube-proxy | kubectl)
      echo "$cache/$1-$KUBERNETES_VERSION/$1" ;;
    # The CNI plugins share one directory: it is the runtime's CNI bin dir.
    bridge | host-local | loopback | portmap) echo "$cache/cni-plugins-$CNI_PLUGINS_VERSION/$1" ;;
    kube-network-policies) echo "$cache/kube-network-policies-$KUBE_NETWORK_POLICIES_VERSION/kube-network-policies" ;;
    coredns) echo "$cache/coredns-$COREDNS_VERSION/coredns" ;;
    local-path-provisioner) echo "$cache/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION/local-path-provisioner" ;;
    pause) echo "$cache/pause-$PAUSE_VERSION-$(sha256sum "$here/pause.c" | cut -c1-12)/pause" ;;
    containerd | containerd-shim-runc-v2 | ctr | runc) command -v "$1" || echo "/usr/bin/$1" ;;
    *)
      log "unknown tool $1 ($KUBE_TOOLS $CNI_TOOLS kube-network-policies coredns local-path-provisioner pause containerd runc)"
      return 1
      ;;
  esac
}

case "${1:-}" in
  --print)
    p=$(path_of "$2")
    [ -x "$p" ] || exit 1
    echo "$p"
    exit 0
    ;;
  --cni-dir)
    p=$(path_of bridge)
    [ -x "$p" ] || exit 1
    dirname "$p"
    exit 0
    ;;
esac

export GOFLAGS=-mod=mod GOTOOLCHAIN=local
# The Kubernetes components are built with cgo as kube-apiserver is (toolchain/kube/install.sh),
# so they reuse its Go build cache: CGO_ENABLED changes the build of net and everything above it.
# The rest are built static (CGO_ENABLED=0) for their images.
ticker=
work=$(mktemp -d "${TMPDIR:-/tmp}/ops-baseline-cluster.XXXXXX")
trap '[ -z "$ticker" ] || kill "$ticker" 2>/dev/null; rm -rf "$work"' EXIT
total=$(date +%s)

all_built() {
  local t
  for t in "$@"; do [ -x "$(path_of "$t")" ] || return 1; done
}

# build_set <label> <tools...> : runs `go build` of $pkgs (set by the caller) into ./out in the
# current directory (a prepared wrapper module), then moves each tool into its cache directory.
build_set() {
  local label=$1 started t out
  shift
  started=$(date +%s)
  (while sleep 30; do log "  $label: still building ($(($(date +%s) - started)) s)"; done) &
  ticker=$!
  mkdir -p out
  # shellcheck disable=SC2086
  nice -n 10 go build -trimpath -ldflags "-s -w ${ldflags:-}" -o "$PWD/out/" $pkgs
  kill "$ticker" 2>/dev/null || true
  ticker=
  for t in "$@"; do
    out=$(path_of "$t")
    [ -x "out/${rename[$t]:-$t}" ] || { log "$label: go build made no $t"; exit 1; }
  done
  for t in "$@"; do
    out=$(path_of "$t")
    mkdir -p "$(dirname "$out").partial"
    mv "out/${rename[$t]:-$t}" "$(dirname "$out").partial/$t"
  done
  # One directory may hold several tools (the CNI plugins): move each directory once.
  for d in $(for t in "$@"; do dirname "$(path_of "$t")"; done | sort -u); do
    rm -rf "$d"
    mv "$d.partial" "$d"
  done
  log "$label: built in $(($(date +%s) - started)) s"
}
declare -A rename=()

# wrapper <dir> <module path> <require lines...> : a module that only requires what it builds.
wrapper() {
  local dir=$1 name=$2
  shift 2
  mkdir -p "$work/$dir" && cd "$work/$dir"
  {
    echo "module ops-baseline/toolchain/$name"
    echo
    echo "go 1.26"
    echo
    for r in "$@"; do echo "require $r"; done
  } >go.mod
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for p in $pkgs; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n'
  } >tools.go
}

# ---- kubelet, kube-controller-manager, kube-scheduler, kube-proxy, kubectl ----------------------
# shellcheck disable=SC2086
if all_built $KUBE_TOOLS; then
  log "kubernetes node components v$KUBERNETES_VERSION: cached"
else
  command -v go >/dev/null || { log "go is missing: these tools are built with the Go toolchain"; exit 1; }
  log "kubernetes node components v$KUBERNETES_VERSION: building from the Go module proxy (about 10 min cold on 2 cores)"
  staging_version="v0.${KUBERNETES_VERSION#1.}"
  gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  pkgs=""
  for t in $KUBE_TOOLS; do pkgs="$pkgs k8s.io/kubernetes/cmd/$t"; done
  # Every staging module upstream requires as `k8s.io/x v0.0.0` (replaced by ./staging/src/k8s.io/x
  # there) becomes a require at the version published for this release.
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9.-]*\) v0.0.0$#\1 '"$staging_version"'#p' "$gomod")
  wrapper kube kube-node "k8s.io/kubernetes v$KUBERNETES_VERSION" "${staging[@]}"
  go mod download 2>&1 | grep -v '^go: downloading' >&2 || true
  v="k8s.io/component-base/version"
  minor=${KUBERNETES_VERSION#1.}
  minor=${minor%%.*}
  ldflags="-X $v.gitVersion=v$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  # shellcheck disable=SC2086
  build_set "kubernetes node components" $KUBE_TOOLS
  ldflags=
fi

# ---- CNI plugins ------------------------------------------------------------------------------------
# shellcheck disable=SC2086
if all_built $CNI_TOOLS; then
  log "CNI plugins v$CNI_PLUGINS_VERSION: cached"
else
  log "CNI plugins v$CNI_PLUGINS_VERSION: building (about 1 min cold)"
  export CGO_ENABLED=0
  m=github.com/containernetworking/plugins
  pkgs="$m/plugins/main/bridge $m/plugins/ipam/host-local $m/plugins/main/loopback $m/plugins/meta/portmap"
  wrapper cni cni-plugins "$m v$CNI_PLUGINS_VERSION"
  ldflags="-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v$CNI_PLUGINS_VERSION"
  # shellcheck disable=SC2086
  build_set "CNI plugins" $CNI_TOOLS
  ldflags=
fi

# ---- kube-network-policies, coredns, local-path-provisioner --------------------------------------
# single <tool> <module> <version> <package> <binary name go build gives it>
single() {
  local tool=$1 module=$2 version=$3 pkg=$4 made=$5
  if all_built "$tool"; then
    log "$tool v$version: cached"
    return
  fi
  log "$tool v$version: building from the Go module proxy"
  pkgs=$pkg
  wrapper "$tool" "$tool" "$module v$version"
  rename[$tool]=$made
  build_set "$tool" "$tool"
}
# kube-network-policies is built from its module zip with one change (xt_nfqueue.go says why):
# its nftables `queue` expressions become the xtables NFQUEUE target, which this kernel has.
# The cmd package is its directory cmd/, so go build names it `cmd`.
if all_built kube-network-policies; then
  log "kube-network-policies v$KUBE_NETWORK_POLICIES_VERSION: cached"
else
  log "kube-network-policies v$KUBE_NETWORK_POLICIES_VERSION: building from the Go module proxy, queue through xt NFQUEUE"
  src=$(go mod download -json "sigs.k8s.io/kube-network-policies@v$KUBE_NETWORK_POLICIES_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  pkgs=sigs.k8s.io/kube-network-policies/cmd
  wrapper kube-network-policies kube-network-policies "sigs.k8s.io/kube-network-policies v$KUBE_NETWORK_POLICIES_VERSION"
  cp -r "$src" src && chmod -R u+w src
  echo "replace sigs.k8s.io/kube-network-policies => ./src" >>go.mod
  cp "$here/xt_nfqueue.go" src/pkg/networkpolicy/xt_nfqueue.go
  python3 - src/pkg/networkpolicy <<'PY'
import re, sys
d = sys.argv[1]
c = open(f"{d}/controller.go").read()
old = "queue := &expr.Queue{Num: uint16(c.config.QueueID)}\n\tif c.config.FailOpen {\n\t\tqueue.Flag = expr.QueueFlagBypass\n\t}"
assert c.count(old) == 2, "controller.go: expected two queue expressions"
open(f"{d}/controller.go", "w").write(c.replace(old, "queue := xtNFQueue(c.config.QueueID, c.config.FailOpen)"))
a = open(f"{d}/dnsagent.go").read()
old = "&expr.Queue{Num: uint16(n.nfQueueID), Flag: expr.QueueFlagBypass}"
assert a.count(old) == 1, "dnsagent.go: expected one queue expression"
open(f"{d}/dnsagent.go", "w").write(a.replace(old, "xtNFQueue(n.nfQueueID, true)"))
PY
  rename[kube-network-policies]=cmd
  build_set kube-network-policies kube-network-policies
fi
single coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns coredns
single local-path-provisioner github.com/rancher/local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" \
  github.com/rancher/local-path-provisioner local-path-provisioner

# ---- pause ----------------------------------------------------------------------------------------------
if all_built pause; then
  log "pause $PAUSE_VERSION: cached"
else
  out=$(path_of pause)
  command -v gcc >/dev/null || { log "gcc is missing: pause is built with gcc -static"; exit 1; }
  rm -rf "$(dirname "$out").partial" && mkdir -p "$(dirname "$out").partial"
  gcc -static -O2 -s -o "$(dirname "$out").partial/pause" "$here/pause.c"
  rm -rf "$(dirname "$out")" && mv "$(dirname "$out").partial" "$(dirname "$out")"
  log "pause $PAUSE_VERSION: built"
fi

# ---- containerd and runc (Debian) ---------------------------------------------------------------------
for t in containerd containerd-shim-runc-v2 ctr runc; do
  if ! command -v "$t" >/dev/null; then
    log "$t is missing: apt-get install containerd runc (Debian bookworm's containerd $CONTAINERD_DEBIAN_VERSION)"
    exit 1
  fi
done
log "containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'): from Debian"
log "done in $(($(date +%s) - total)) s"
