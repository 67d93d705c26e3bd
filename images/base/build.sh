#!/usr/bin/env bash
# Provides the local base image `debian:bookworm-slim` that every Dockerfile here starts FROM,
# without a container registry: debootstrap (minbase) from Debian's packages, then
# `docker import`; where debootstrap cannot run (no root or not Debian), `docker pull`. The root filesystem tarball is cached outside the repository, keyed by suite
# and recipe version, so a warm machine only re-imports it (about a second).
set -euo pipefail

SUITE=bookworm
RECIPE=1 # bump when the recipe below changes
TAG="debian:${SUITE}-slim"
CACHE_DIR="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}/images"
TARBALL="$CACHE_DIR/debian-${SUITE}-minbase-r${RECIPE}.tar"
MIRROR="${DEBIAN_MIRROR:-$(awk '/^deb(\s|$)/ && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}"
if [ -z "$MIRROR" ]; then
  MIRROR=$(awk '/^URIs:/ && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

log() { printf '[base-image] %s\n' "$*" >&2; }

if docker image inspect "$TAG" >/dev/null 2>&1 && [ "${1:-}" != "--force" ]; then
  log "$TAG is present"
  exit 0
fi

mkdir -p "$CACHE_DIR"
# Where debootstrap cannot run (no root, not Debian: a laptop, a hosted CI runner) but a registry
# answers, the official image is the same base.
if [ ! -s "$TARBALL" ] && { [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; }; then
  log "debootstrap needs root and Debian; pulling $TAG from the registry instead"
  if timeout 300 docker pull -q "$TAG" >&2; then
    log "pulled $TAG"
    exit 0
  fi
  log "no registry answered and debootstrap cannot run here: as root on Debian, apt-get install debootstrap"
  exit 1
fi
if [ ! -s "$TARBALL" ] || [ "${1:-}" = "--force" ]; then
  command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "debootstrap --variant=minbase $SUITE from $MIRROR (about 30 s)"
  start=$(date +%s)
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2
    exit 1
  }
  # Same shape as the official slim image: no apt caches, no docs, a sources list to install from.
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  echo "deb $MIRROR $SUITE main" >"$work/rootfs/etc/apt/sources.list"
  tar -C "$work/rootfs" --numeric-owner -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
  log "root filesystem cached at $TARBALL ($(( $(date +%s) - start )) s)"
fi
docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$TARBALL" "$TAG" >/dev/null
log "imported $TAG"
