#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket: starts dockerd (from Debian's
# docker.io) in the background when none runs, and waits until it answers. Used by `npm run up`
# and the Docker tests; harmless where an engine already runs.
set -euo pipefail
log() { printf '[docker-engine] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then exit 0; fi
command -v dockerd >/dev/null || { log "dockerd is missing: apt-get install docker.io"; exit 1; }
if [ "$(id -u)" != 0 ]; then log "no Docker engine answers and starting one needs root"; exit 1; fi

logfile="${OPS_BASELINE_CACHE:-$HOME/.cache/ops-baseline}/dockerd.log"
mkdir -p "$(dirname "$logfile")"
log "starting dockerd (log: $logfile)"
nohup dockerd >"$logfile" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine is up"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; last lines of its log:"
tail -n 20 "$logfile" >&2
exit 1
