#!/usr/bin/env bash
# Builds the test control plane and the NetworkPolicy analyzer from the Go module proxy:
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver at $KUBERNETES_VERSION, through a wrapper
#                   module that requires every k8s.io/* staging module at v0.<minor>.<patch>
#                   (k8s.io/kubernetes's own go.mod replaces them with local paths, which a
#                   dependency's go.mod may not do)
#   etcd            go.etcd.io/etcd/server/v3/etcdmain at $ETCD_VERSION (a three-line main)
#   cyclonus        github.com/mattfenwick/cyclonus/cmd/cyclonus at $CYCLONUS_VERSION
# Each binary is cached at ~/.cache/ops-baseline/<tool>-<version>/<tool>; a warm run takes about a
# second. Builds happen in a temporary directory and are moved into place when complete, so an
# interrupted build leaves nothing half-made.
#
#   bash toolchain/kube/install.sh              build or reuse all three
#   bash toolchain/kube/install.sh --print PATH print the cached path of one tool (exit 1 if absent)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}"
log() { printf '[kube-toolchain] %s\n' "$*" >&2; }

path_of() {
  case "$1" in
    kube-apiserver) echo "$cache/kube-apiserver-$KUBERNETES_VERSION/kube-apiserver" ;;
    etcd) echo "$cache/etcd-$ETCD_VERSION/etcd" ;;
    cyclonus) echo "$cache/cyclonus-$CYCLONUS_VERSION/cyclonus" ;;
    *) log "unknown tool $1 (kube-apiserver, etcd, cyclonus)"; return 1 ;;
  esac
}

if [ "${1:-}" = "--print" ]; then
  p=$(path_of "$2")
  [ -x "$p" ] || exit 1
  echo "$p"
  exit 0
fi

command -v go >/dev/null || { log "go is missing: these tools are built with the Go toolchain"; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

# build <tool> <package> <ldflags> : runs in the current directory (a prepared wrapper module)
build() {
  local tool=$1 pkg=$2 ldflags=$3 started out
  started=$(date +%s)
  out=$(path_of "$tool")
  ( while sleep 30; do log "  $tool: still building ($(($(date +%s) - started)) s)"; done ) &
  ticker=$!
  go build -trimpath -ldflags "-s -w $ldflags" -o "$PWD/out/$tool" "$pkg"
  kill "$ticker" 2>/dev/null || true
  ticker=
  rm -rf "$(dirname "$out").partial"
  mkdir -p "$(dirname "$out").partial"
  mv "$PWD/out/$tool" "$(dirname "$out").partial/$tool"
  rm -rf "$(dirname "$out")"
  mv "$(dirname "$out").partial" "$(dirname "$out")"
  log "$tool: built in $(($(date +%s) - started)) s"
}

ticker=
work=$(mktemp -d "${TMPDIR:-/tmp}/ops-baseline-kube.XXXXXX")
trap '[ -z "$ticker" ] || kill "$ticker" 2>/dev/null; rm -rf "$work"' EXIT
total=$(date +%s)

# ---- kube-apiserver ---------------------------------------------------------------------------
if [ -x "$(path_of kube-apiserver)" ]; then
  log "kube-apiserver v$KUBERNETES_VERSION: cached"
else
  log "kube-apiserver v$KUBERNETES_VERSION: building from the Go module proxy (about 8 min cold on 2 cores)"
  mkdir -p "$work/apiserver" && cd "$work/apiserver"
  staging_version="v0.${KUBERNETES_VERSION#1.}"
  gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module ops-baseline/toolchain/kube-apiserver"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
    # Every staging module the upstream go.mod requires as `k8s.io/x v0.0.0` (and replaces with
    # ./staging/src/k8s.io/x) becomes a require at the version published for this release.
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9.-]*\) v0.0.0$#require \1 '"$staging_version"'#p' "$gomod"
  } >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >tools.go
  log "  wrapper requires $(grep -c '^require k8s.io/' go.mod) k8s.io modules"
  go mod download 2>&1 | grep -v '^go: downloading' >&2 || true
  v="k8s.io/component-base/version"
  minor=${KUBERNETES_VERSION#1.}
  minor=${minor%%.*}
  build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
    "-X $v.gitVersion=v$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
fi

# ---- etcd ---------------------------------------------------------------------------------------
if [ -x "$(path_of etcd)" ]; then
  log "etcd v$ETCD_VERSION: cached"
else
  log "etcd v$ETCD_VERSION: building from the Go module proxy (about 1 min cold)"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  cat >go.mod <<GOMOD
module ops-baseline/toolchain/etcd

go 1.24

require (
	go.etcd.io/etcd/api/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/v3 v$ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 v$ETCD_VERSION
	go.etcd.io/etcd/server/v3 v$ETCD_VERSION
)
GOMOD
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
  build etcd ./ ""
fi

# ---- cyclonus -----------------------------------------------------------------------------------
if [ -x "$(path_of cyclonus)" ]; then
  log "cyclonus v$CYCLONUS_VERSION: cached"
else
  log "cyclonus v$CYCLONUS_VERSION: building from the Go module proxy (about 1 min cold)"
  mkdir -p "$work/cyclonus" && cd "$work/cyclonus"
  printf 'module ops-baseline/toolchain/cyclonus\n\ngo 1.24\n\nrequire github.com/mattfenwick/cyclonus v%s\n' "$CYCLONUS_VERSION" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/mattfenwick/cyclonus/cmd/cyclonus"\n' >tools.go
  build cyclonus github.com/mattfenwick/cyclonus/cmd/cyclonus ""
fi
log "done in $(($(date +%s) - total)) s"
