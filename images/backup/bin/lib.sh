#!/usr/bin/env bash
# Shared by the backup scripts: logging, atomic publication with a checksum, metrics, pruning.
# Metrics are written in Prometheus text format to $METRICS_FILE (a textfile) and, when
# $PUSHGATEWAY_URL is set, pushed to the Pushgateway that Prometheus scrapes.
set -euo pipefail

BACKUP_NAME=${BACKUP_NAME:?BACKUP_NAME must name this backup (e.g. the data store)}
# Scripts that write to an object store (pgBackRest, restic) have no backup directory; their
# metrics file is scratch and the Pushgateway keeps the series.
BACKUP_DIR=${BACKUP_DIR:-}
METRICS_FILE=${METRICS_FILE:-${BACKUP_DIR:-${TMPDIR:-/tmp}}/.metrics/$BACKUP_NAME.prom}
MAX_AGE_SECONDS=${MAX_AGE_SECONDS:-93600}
KEEP_LAST=${KEEP_LAST:-7}
KEEP_DAILY=${KEEP_DAILY:-0}
KEEP_WEEKLY=${KEEP_WEEKLY:-0}
KEEP_MONTHLY=${KEEP_MONTHLY:-0}

log() { printf '%s [%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BACKUP_NAME" "$*" >&2; }

timestamp() { date -u +%Y%m%dT%H%M%SZ; }

# Writes this run's metrics; keeps the last success time of earlier runs when this one failed.
write_metrics() {
  local ok=$1 started=$2 bytes=${3:-0} kind=${4:-backup}
  local now last_success=0
  now=$(date -u +%s)
  mkdir -p "$(dirname "$METRICS_FILE")"
  if [ "$ok" = 1 ]; then
    last_success=$now
  elif [ -f "$METRICS_FILE" ]; then
    last_success=$(awk -v k="${kind}_last_success_timestamp_seconds" '$1 ~ "^"k"[{]" {print $2}' "$METRICS_FILE" | head -n1)
    last_success=${last_success:-0}
  fi
  local labels="backup=\"$BACKUP_NAME\""
  local tmp="$METRICS_FILE.tmp.$$"
  {
    # A failed run that knows no earlier success sends no last-success line: the Pushgateway
    # (POST replaces only the metrics sent) keeps the one an earlier run pushed.
    if [ "$last_success" != 0 ]; then
      echo "# HELP ${kind}_last_success_timestamp_seconds When the last successful run finished."
      echo "# TYPE ${kind}_last_success_timestamp_seconds gauge"
      echo "${kind}_last_success_timestamp_seconds{$labels} $last_success"
    fi
    echo "# HELP ${kind}_last_attempt_success Whether the last run succeeded (1) or failed (0)."
    echo "# TYPE ${kind}_last_attempt_success gauge"
    echo "${kind}_last_attempt_success{$labels} $ok"
    echo "# HELP ${kind}_last_attempt_timestamp_seconds When the last run finished."
    echo "# TYPE ${kind}_last_attempt_timestamp_seconds gauge"
    echo "${kind}_last_attempt_timestamp_seconds{$labels} $now"
    echo "# HELP ${kind}_duration_seconds How long the last run took."
    echo "# TYPE ${kind}_duration_seconds gauge"
    echo "${kind}_duration_seconds{$labels} $((now - started))"
    echo "# HELP ${kind}_max_age_seconds Age after which the last success counts as stale."
    echo "# TYPE ${kind}_max_age_seconds gauge"
    echo "${kind}_max_age_seconds{$labels} $MAX_AGE_SECONDS"
    if [ "$kind" = backup ]; then
      echo "# HELP backup_size_bytes Size of the last successful backup."
      echo "# TYPE backup_size_bytes gauge"
      echo "backup_size_bytes{$labels} $bytes"
    fi
  } >"$tmp"
  mv "$tmp" "$METRICS_FILE"
  if [ -n "${PUSHGATEWAY_URL:-}" ]; then
    curl -fsS --max-time 10 --data-binary @"$METRICS_FILE" "$PUSHGATEWAY_URL/metrics/job/$kind/backup/$BACKUP_NAME" >/dev/null ||
      log "could not push metrics to $PUSHGATEWAY_URL (the textfile is written)"
  fi
}

# Moves a finished temporary file to its final name, with its checksum beside it. The checksum
# file is published last, so a file without one is never taken for a complete backup.
publish() {
  local tmp=$1 final=$2
  (cd "$(dirname "$tmp")" && sha256sum "$(basename "$tmp")") | sed "s| .*| $(basename "$final")|" >"$final.sha256.tmp"
  mv "$tmp" "$final"
  mv "$final.sha256.tmp" "$final.sha256"
}

verify_checksum() {
  local file=$1
  [ -f "$file.sha256" ] || { log "no checksum beside $file"; return 1; }
  (cd "$(dirname "$file")" && sha256sum --check --status "$(basename "$file").sha256")
}

# Complete backups of this name, newest first (a backup counts once its checksum exists).
list_backups() {
  local f
  for f in "$BACKUP_DIR/$BACKUP_NAME"-*.sha256; do
    [ -e "$f" ] || continue
    echo "${f%.sha256}"
  done | sort -r
}

# Retention: the newest KEEP_LAST, plus the newest of each of the last KEEP_DAILY days,
# KEEP_WEEKLY ISO weeks and KEEP_MONTHLY months that have a backup. The newest is always kept.
# Runs only after a successful backup. The tests check it against an independent oracle
# (test/support/retention-oracle.ts) on a synthetic history.
prune() {
  local -A keep=() seen_day=() seen_week=() seen_month=()
  local n=0 days=0 weeks=0 months=0 file ts when day week month
  while read -r file; do
    [ -n "$file" ] || continue
    ts=$(basename "$file" | sed -E 's/.*-([0-9]{8}T[0-9]{6}Z)\..*/\1/')
    when="${ts:0:4}-${ts:4:2}-${ts:6:2} ${ts:9:2}:${ts:11:2}:${ts:13:2}"
    day=$(date -u -d "$when" +%F)
    week=$(date -u -d "$when" +%G-W%V)
    month=$(date -u -d "$when" +%Y-%m)
    n=$((n + 1))
    [ "$n" -le "$KEEP_LAST" ] && keep[$file]=1
    if [ -z "${seen_day[$day]:-}" ]; then
      seen_day[$day]=1
      days=$((days + 1))
      [ "$days" -le "$KEEP_DAILY" ] && keep[$file]=1
    fi
    if [ -z "${seen_week[$week]:-}" ]; then
      seen_week[$week]=1
      weeks=$((weeks + 1))
      [ "$weeks" -le "$KEEP_WEEKLY" ] && keep[$file]=1
    fi
    if [ -z "${seen_month[$month]:-}" ]; then
      seen_month[$month]=1
      months=$((months + 1))
      [ "$months" -le "$KEEP_MONTHLY" ] && keep[$file]=1
    fi
  done < <(list_backups)
  while read -r file; do
    [ -n "$file" ] || continue
    if [ -z "${keep[$file]:-}" ]; then
      log "pruning $(basename "$file")"
      rm -rf "$file" "$file.sha256"
    fi
  done < <(list_backups)
}

file_size() { du -sb "$1" | cut -f1; }
