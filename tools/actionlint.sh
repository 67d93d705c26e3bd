#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint at the pinned version (toolchain/actionlint.sh builds
# it from the Go module proxy, cached; scripts/setup.sh runs that), the `run:` scripts included,
# through shellcheck (Debian's package, in scripts/setup.sh's list). The workflow `ops-baseline
# init` writes is linted by test/workflows/actionlint.real.test.ts.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/toolchain/actionlint.sh"
actionlint=$(bash "$repo/toolchain/actionlint.sh" --print)
shellcheck=$(command -v shellcheck) || {
  echo "[actionlint] shellcheck is missing, so the run: scripts would go unchecked; run: bash scripts/setup.sh (or apt-get install shellcheck)" >&2
  exit 1
}
cd "$repo"
workflows=(.github/workflows/*.yml)
"$actionlint" -no-color -shellcheck="$shellcheck" -pyflakes= "${workflows[@]}"
echo "[actionlint] ${#workflows[@]} workflows clean"
