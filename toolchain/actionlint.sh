#!/usr/bin/env bash
# Builds actionlint, the GitHub workflow linter (syntax, expressions and their types, events,
# runner labels, action inputs; the `run:` scripts through shellcheck when it is on PATH), from
# the Go module proxy. `npm run lint:workflows` (tools/actionlint.sh) and
# test/workflows/actionlint.real.test.ts run it. Cached under
# ~/.cache/ops-baseline/actionlint-<version>/actionlint; a warm run takes about 0.1 s
# (toolchain/go-tool.sh).
#
#   bash toolchain/actionlint.sh            build or reuse
#   bash toolchain/actionlint.sh --print    print the binary's path (exit 1 if not built)
set -euo pipefail
tool=actionlint
version=1.7.12
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/toolchain/go-tool.sh"
dir="$cache_root/actionlint-$version"
bin="$dir/actionlint"

build_into() {
  # Pure Go with no replace directives: `go install` builds it directly.
  CGO_ENABLED=0 GOBIN="$1/out" GOFLAGS=-trimpath go install -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@v$version"
}
check() {
  # The fresh build must report a problem in a broken workflow (exit 1), not only start.
  mkdir -p "$work/smoke/.github/workflows"
  printf 'on: pushh\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: "true"\n' >"$work/smoke/.github/workflows/smoke.yml"
  local status=0
  (cd "$work/smoke" && "$1" -no-color -shellcheck= -pyflakes= .github/workflows/smoke.yml >/dev/null 2>&1) || status=$?
  [ "$status" = 1 ] || { log "the fresh build did not report an unknown event (exit $status)"; return 1; }
}
stage() { :; }
go_tool_main "$@"
