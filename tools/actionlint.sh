#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint, built from the Go module proxy at a pinned
# version and cached under ~/.cache/ops-baseline/tools/ (a warm run starts at once).
set -euo pipefail
VERSION=1.7.7
repo=$(cd "$(dirname "$0")/.." && pwd)
cache="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}/tools/actionlint-$VERSION"
if [ ! -x "$cache/actionlint" ]; then
  echo "[actionlint] building v$VERSION from the Go module proxy (about a minute)" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION"
  mkdir -p "$cache"
  mv "$tmp/actionlint" "$cache/actionlint.partial" && mv "$cache/actionlint.partial" "$cache/actionlint"
fi
cd "$repo"
"$cache/actionlint" -no-color -shellcheck= -pyflakes= .github/workflows/*.yml
echo "[actionlint] $(ls .github/workflows/*.yml | wc -l) workflows clean"
