#!/bin/sh
# First start: initialise PGDATA from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB. Every start:
# a maintenance start of the server on its local socket only, with archiving off, that sets the
# owner's password from the current POSTGRES_PASSWORD and the least-privilege roles from theirs
# (ensure-roles: a rotated secret + a restart rotates the password) and creates the pgBackRest
# stanza when the server archives to a repository (so the first archive-push after a deploy
# finds it); then the server runs in the foreground. The password never appears on a command line.
set -eu
: "${PGDATA:?PGDATA must be set}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "POSTGRES_PASSWORD is empty; refusing to run a database without an owner password" >&2
  exit 1
fi
# pg_ctl gives up after 60 s by default (PGCTLTIMEOUT), and under set -e that ends the container:
# crash recovery (WAL replay) or a shutdown checkpoint can take longer. Wait as long as it takes;
# the orchestrator's startup budget (the startup probe, Docker's start period) is the bound.
WAIT_SECONDS=${POSTGRES_START_TIMEOUT:-86400}
ctl() { pg_ctl -D "$PGDATA" -t "$WAIT_SECONDS" "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
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
    ctl -o "-c listen_addresses='' -c archive_mode=off" -w start >/dev/null
    createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
    ctl -m fast -w stop >/dev/null
  fi
  echo "initialised $PGDATA for database $POSTGRES_DB"
fi
# The maintenance start, before any client can connect (no TCP listener) and before archiving;
# its log (crash recovery's progress among it) goes to the container's output.
ctl -o "-c listen_addresses='' -c archive_mode=off" -w start >&2
PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" PGHOST=/var/run/postgresql PGPORT=5432 \
  OWNER_ROLE="$POSTGRES_USER" OWNER_PASSWORD="$POSTGRES_PASSWORD" /usr/local/bin/ensure-roles
if [ -n "${PGBACKREST_STANZA:-}" ]; then
  # Idempotent: creates the stanza on the first start, afterwards only confirms it matches this
  # cluster. A repository that does not answer must not keep the database down: the server
  # starts, archive-push fails (PostgresWalArchivingFailing), and the backup sidecar runs
  # stanza-create again before each backup.
  if PGBACKREST_PG1_PATH="$PGDATA" PGBACKREST_PG1_SOCKET_PATH=/var/run/postgresql PGBACKREST_PG1_PORT=5432 \
    PGBACKREST_PG1_USER="$POSTGRES_USER" PGBACKREST_PG1_DATABASE="$POSTGRES_DB" \
    timeout "${PGBACKREST_STANZA_TIMEOUT:-180}" pgbackrest --log-level-console=warn stanza-create; then
    echo "pgBackRest stanza $PGBACKREST_STANZA is ready"
  else
    echo "WARNING: pgBackRest stanza-create for $PGBACKREST_STANZA failed; WAL archiving fails until the repository answers" >&2
  fi
fi
ctl -m fast -w stop >/dev/null
exec "$@"
