#!/usr/bin/env bash
# Drift check of one stack, printing the engine's --json output on stdout; exit 0 only when
# nothing drifted.
#   bash scripts/drift.sh <stack>
# A stack deployed to a live target (Docker, a Kubernetes cluster) is refreshed without writing
# state (`refresh --preview-only --expect-no-changes`): what runs is compared with the state. A
# stack that renders manifests (`renderYamlToDirectory`) has no cluster to read back, and a
# refresh there fails ("unreachable cluster"); its check is that the program, the rendered files
# and the state agree: a preview with --expect-no-changes.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:?usage: scripts/drift.sh <stack>}
shift
if grep -q '^\s*renderYamlToDirectory:' "Pulumi.$stack.yaml" 2>/dev/null; then
  echo "[drift] $stack renders manifests (renderYamlToDirectory): previewing with --expect-no-changes" >&2
  exec bash scripts/pulumi.sh preview "$stack" --expect-no-changes --json "$@"
fi
exec bash scripts/pulumi.sh refresh "$stack" --preview-only --expect-no-changes --json "$@"
