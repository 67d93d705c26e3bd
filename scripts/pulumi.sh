#!/usr/bin/env bash
# Runs the Pulumi engine on a stack with this project's defaults:
#   npm run preview -- <stack> [pulumi args]     npm run up -- <stack> [pulumi args]
#   npm run destroy -- <stack> [pulumi args]     npm run pulumi -- <stack> <any pulumi command>
# - engine and plugins from toolchain/install.sh (pinned, cached; no download at run time);
# - state in a local file backend (.pulumi-state/, not in git) unless PULUMI_BACKEND_URL is set;
# - secrets passphrase: PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when set;
#   otherwise the stack's documented default (README, "Secrets"): the dev passphrase, or for
#   prod the example passphrase that only opens the placeholder secrets shipped in the repo;
# - the program is compiled first (npm run build), so the engine loads plain JavaScript.
# - any stack name: `ops-baseline:profile` (dev or prod; defaults to the stack name for dev and
#   prod) picks the defaults, `ops-baseline:target.kind` the target (scripts/stack-facts.mjs).
# - destroy never passes --yes: the engine shows what it would delete and asks (add --yes
#   yourself to skip the question). A stack whose profile is not dev is refused unless the command says
#   --confirm-destroy=<stack>; claims and the namespace of a Kubernetes stack are also protected
#   in the state (target.protectData), so even a confirmed destroy leaves the data alone.
# - in CI (CI set) there is no default passphrase for a stack other than dev: a missing secret
#   is an error, never the published example passphrase.
# OPS_BASELINE_DRY_RUN=1 prints the pulumi command instead of running it (the wrapper's tests).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

usage() { echo "usage: scripts/pulumi.sh preview|up|destroy|refresh|run <stack> [pulumi args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1
stack=$2
shift 2
# `npm run preview -- prod -- --expect-no-changes` and `npm run preview -- prod --expect-no-changes`
# mean the same.
[ "${1:-}" = "--" ] && shift
[ -f "Pulumi.$stack.yaml" ] || { echo "no stack file Pulumi.$stack.yaml; stacks here: $(ls Pulumi.*.yaml | sed -E 's/Pulumi\.(.*)\.yaml/\1/' | grep -v '^Pulumi' | tr '\n' ' ')" >&2; exit 2; }
read -r profile target_kind <<<"$(node scripts/stack-facts.mjs "Pulumi.$stack.yaml")"

if [ "$command" = destroy ]; then
  confirmed=0
  rest=()
  for arg in "$@"; do
    if [ "$arg" = "--confirm-destroy=$stack" ]; then confirmed=1; else rest+=("$arg"); fi
  done
  set -- "${rest[@]+"${rest[@]}"}"
  if [ "$profile" != dev ] && [ "$confirmed" != 1 ]; then
    echo "refusing to destroy stack $stack (profile $profile): it holds data. Add --confirm-destroy=$stack if you mean it (protected namespace and claims stay; see README, \"Destroy\")" >&2
    exit 3
  fi
fi

if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  case "$stack" in
    dev) export PULUMI_CONFIG_PASSPHRASE="ops-baseline-dev" ;;
    prod)
      if [ -n "${CI:-}" ]; then
        echo "CI: PULUMI_CONFIG_PASSPHRASE (or _FILE) is not set for stack prod; refusing to fall back to the published example passphrase" >&2
        exit 1
      fi
      export PULUMI_CONFIG_PASSPHRASE="ops-baseline-example"
      echo "[pulumi.sh] prod: using the example passphrase; its secrets are placeholders (README, \"Secrets\")" >&2
      ;;
    *) echo "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE for stack $stack" >&2; exit 1 ;;
  esac
fi

case "$command" in
  preview) cmd=(pulumi preview --stack "$stack" --non-interactive "$@") ;;
  up) cmd=(pulumi up --stack "$stack" --yes --non-interactive "$@") ;;
  # No --yes and no --non-interactive: the engine lists what it deletes and asks.
  destroy) cmd=(pulumi destroy --stack "$stack" "$@") ;;
  refresh) cmd=(pulumi refresh --stack "$stack" --yes --non-interactive "$@") ;;
  run) cmd=(pulumi "$@" --stack "$stack") ;;
  *) usage ;;
esac
if [ -n "${OPS_BASELINE_DRY_RUN:-}" ]; then
  echo "${cmd[*]}"
  exit 0
fi

bin_dir=$(bash toolchain/install.sh --print-bin-dir 2>/dev/null || true)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/pulumi" ]; then
  echo "the Pulumi engine is not installed yet; run: npm run toolchain" >&2
  exit 1
fi
export PATH="$bin_dir:$PATH"
# preview/up/destroy/refresh run the program and its providers; fail early and plainly when the
# toolchain could not provide them (toolchain/README.md says why, and how to add them).
# A Docker stack needs the Docker provider, a Kubernetes stack the Kubernetes provider.
provider=docker
[ "$target_kind" = kubernetes ] && provider=kubernetes
if [ "$command" != run ] && ! bash toolchain/install.sh --check --require "$provider" 2>/dev/null; then
  bash toolchain/install.sh --check 2>&1 | grep 'missing:' >&2 || true
  echo "the Pulumi engine here lacks the plugins above, which '$command' of $stack needs; see toolchain/README.md" >&2
  exit 1
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
# Plugins are on PATH beside the CLI; the engine must never try to download one.
export PULUMI_IGNORE_AMBIENT_PLUGINS=false
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$repo/.pulumi-state"
  export PULUMI_BACKEND_URL="file://$repo/.pulumi-state"
fi
# OPS_BASELINE_SKIP_BUILD=1: dist/ is already current (the engine tests, run after the build in
# npm test, must not rewrite dist/ under the tests running beside them).
[ "${OPS_BASELINE_SKIP_BUILD:-}" = 1 ] || npm run -s build
pulumi stack select "$stack" --create --non-interactive >/dev/null

if [ "$command" = up ] && [ "$target_kind" != kubernetes ]; then
  bash scripts/docker-engine.sh
  bash images/base/build.sh
fi
exec "${cmd[@]}"
