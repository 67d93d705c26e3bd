#!/bin/sh
# First start: initialise PGDATA from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, then run
# the server in the foreground. The password never appears on a command line.
set -eu
: "${PGDATA:?PGDATA must be set}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "POSTGRES_PASSWORD is empty; refusing to create a database without a password" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != "postgres" ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "initialised $PGDATA for database $POSTGRES_DB"
fi
# Least-privilege roles and password rotation (ensure-roles), on every start, before any client
# can connect: only when the workload names at least one of them.
if [ -n "${APP_ROLE:-}${MONITOR_ROLE:-}${BACKUP_ROLE:-}" ]; then
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c archive_mode=off" -w start >/dev/null
  PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" PGHOST=/var/run/postgresql /usr/local/bin/ensure-roles
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
