#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent and cached (a warm machine takes seconds):
#   1. Debian packages: the real tools the tests drive (promtool, amtool, logrotate, PostgreSQL,
#      Redis, shellcheck for actionlint), the Docker engine and debootstrap (installed only when
#      missing, as root; a non-root user or another OS gets the list, as `npm run up -- dev` does
#      not need them);
#   2. npm dependencies (npm ci, pinned by package-lock.json);
#   3. the Pulumi engine and provider plugins at the pinned versions (toolchain/install.sh);
#   4. a running Docker engine and the local base image debian:bookworm-slim;
#   5. the one-node test cluster's binaries and images (toolchain/cluster).
# Steps can be skipped: SETUP_SKIP="npm docker toolchain" bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
skip=" ${SETUP_SKIP:-} "
step() { printf '\n[setup] %s\n' "$*" >&2; }
started=$(date +%s)

# `npm run up -- dev` needs only Node.js, a Docker engine and the Pulumi engine (step 3). The
# Debian packages are what the tests drive (and debootstrap for the base image where no registry
# answers); without root or without Debian they are reported, not required.
DEBIAN_PACKAGES=(prometheus prometheus-alertmanager logrotate postgresql redis-server redis-tools docker.io debootstrap zstd pgbackrest restic prometheus-pushgateway conntrack nftables shellcheck)
missing=()
if command -v dpkg-query >/dev/null; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if ! command -v dpkg-query >/dev/null; then
  step "not a Debian system: skipping the Debian packages (npm run up -- dev does not need them; npm test does)"
elif [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" != 0 ]; then
  step "Debian packages missing: ${missing[*]}"
  echo "[setup] npm run up -- dev does not need them; npm test does: sudo apt-get install ${missing[*]}" >&2
elif [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # The packages' own services are not needed: the tests start what they use themselves.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
else
  step "Debian packages present"
fi

if [[ "$skip" == *" npm "* ]]; then
  step "npm: skipped"
elif [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  step "npm dependencies present"
else
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [[ "$skip" != *" toolchain "* ]]; then
  step "Pulumi engine and plugins (toolchain/install.sh)"
  bash toolchain/install.sh
fi

[[ "$skip" == *" observability "* || "$skip" == *" toolchain "* ]] || { step "Prometheus, Alertmanager, node_exporter, VictoriaLogs (toolchain/observability.sh)"; bash toolchain/observability.sh; }
[[ "$skip" == *" otelcol "* || "$skip" == *" toolchain "* ]] || { step "the OpenTelemetry Collector distribution (toolchain/otelcol.sh)"; bash toolchain/otelcol.sh; }
[[ "$skip" == *" versitygw "* || "$skip" == *" toolchain "* ]] || { step "versitygw S3 server (toolchain/versitygw.sh)"; bash toolchain/versitygw.sh; }
[[ "$skip" == *" nats-exporter "* || "$skip" == *" toolchain "* ]] || { step "NATS exporter for the dev image (toolchain/nats-exporter.sh)"; bash toolchain/nats-exporter.sh; }
[[ "$skip" == *" supercronic "* || "$skip" == *" toolchain "* ]] || { step "supercronic, the Docker jobs' scheduler (toolchain/supercronic.sh)"; bash toolchain/supercronic.sh; }
[[ "$skip" == *" actionlint "* || "$skip" == *" toolchain "* ]] || { step "actionlint, the workflow linter (toolchain/actionlint.sh)"; bash toolchain/actionlint.sh; }
[[ "$skip" == *" kube "* || "$skip" == *" toolchain "* ]] || { step "kube-apiserver, etcd, cyclonus (toolchain/kube/install.sh)"; bash toolchain/kube/install.sh; }

if [[ "$skip" != *" docker "* ]]; then
  step "Docker engine and base image"
  bash scripts/docker-engine.sh
  bash images/base/build.sh
fi
# The one-node test cluster (test/cluster/): its binaries from the Go module proxy, its images
# built on the local base image; both need the Docker step above.
if [[ "$skip" != *" cluster "* && "$skip" != *" toolchain "* && "$skip" != *" docker "* ]]; then
  step "test cluster binaries and images (toolchain/cluster)"
  bash toolchain/cluster/install.sh
  bash toolchain/cluster/images.sh
fi
# The real tests run the checkout's scripts as other users (runuser -u postgres, setpriv as
# nobody), so every directory above the checkout must be traversable by them. A fresh clone in a
# mktemp directory (mode 0700) is not: as root, add search permission only (o+x, no listing).
if [ "$(id -u)" = 0 ]; then
  dir=$(pwd -P)
  while [ "$dir" != / ]; do
    if [ -d "$dir" ] && ! [ "$(stat -c %A "$dir" | cut -c10)" = x ] && ! [ "$(stat -c %A "$dir" | cut -c10)" = t ]; then
      step "making $dir traversable by the users the tests run as (chmod o+x)"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
fi
step "done in $(($(date +%s) - started)) s"
