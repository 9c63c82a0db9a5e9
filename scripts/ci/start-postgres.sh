#!/usr/bin/env bash
# Makes sure a PostgreSQL server for Conveyor's tests answers on 127.0.0.1, and prints its URL.
# Uses the PostgreSQL binaries already on the machine (/usr/lib/postgresql/<version>/bin, or
# pg_ctl on PATH); installs Debian's `postgresql` package with apt-get only when they are
# missing. Initialises a cluster owned by the `postgres` user (runuser) in
# $CONVEYOR_PG_DIR/data, listening on 127.0.0.1 only, with a role `conveyor` (password
# `conveyor`, CREATEDB) that owns a database `conveyor`. The server is for tests: it does not
# fsync (see the settings below). A second run finds the server running
# and only prints the URL. Progress goes to stderr; stdout gets the single line
#   postgres://conveyor:conveyor@127.0.0.1:54329/conveyor
# Usage: CONVEYOR_TEST_DATABASE_URL=$(scripts/ci/start-postgres.sh)   (as root)
# Env: CONVEYOR_PG_DIR (default /tmp/conveyor-pg), CONVEYOR_PG_PORT (default 54329),
#      CONVEYOR_PG_WAIT (seconds, default 60).
# Stop it: runuser -u postgres -- pg_ctl -D /tmp/conveyor-pg/data stop
set -euo pipefail

pg_dir="${CONVEYOR_PG_DIR:-/tmp/conveyor-pg}"
port="${CONVEYOR_PG_PORT:-54329}"
wait_seconds="${CONVEYOR_PG_WAIT:-60}"
data_dir="$pg_dir/data"
socket_dir="$pg_dir/run"
log_file="$pg_dir/postgres.log"
url="postgres://conveyor:conveyor@127.0.0.1:$port/conveyor"

say() { echo "start-postgres: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "run as root (the cluster is owned by the postgres user, started with runuser)"
  exit 1
fi

# The newest server binaries on the machine: Debian keeps them out of PATH.
find_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  fi
  return 1
}

if ! bin_dir="$(find_bin_dir)"; then
  say "installing postgresql (apt-get)"
  # Package scripts must not start services on a machine without an init system.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
  bin_dir="$(find_bin_dir)" || {
    say "no pg_ctl/initdb/postgres after installing postgresql"
    exit 1
  }
fi

as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() {
  as_postgres "$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" \
    -U postgres -d postgres "$@"
}
accepts() {
  "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U postgres >/dev/null 2>&1
}
fail_with_log() {
  say "$1; the server's log:"
  tail -n 60 "$log_file" >&2 || true
  exit 1
}

mkdir -p "$pg_dir"
chown postgres: "$pg_dir"
as_postgres mkdir -p "$socket_dir"

if [ ! -f "$data_dir/PG_VERSION" ]; then
  say "initialising a cluster in $data_dir ($bin_dir)"
  as_postgres "$bin_dir/initdb" -D "$data_dir" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  # Settings for this test server; postgresql.conf's last value wins.
  cat >>"$data_dir/postgresql.conf" <<EOF

# conveyor (scripts/ci/start-postgres.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir'
max_connections = 200
# A throwaway server for tests: commits skip fsync, which makes each test's schema set-up and
# drop several times faster. Committed data still survives a crash of any client (a SIGKILLed
# server process); only a crash of this machine could lose it.
# https://www.postgresql.org/docs/15/non-durability.html
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
fi

if ! as_postgres "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
  say "starting PostgreSQL (log: $log_file)"
  as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -l "$log_file" -s start >/dev/null 2>&1 ||
    fail_with_log "pg_ctl start failed"
fi

for _ in $(seq "$wait_seconds"); do
  accepts && break
  sleep 1
done
accepts || fail_with_log "PostgreSQL did not accept connections within ${wait_seconds}s"

psql_admin <<'SQL'
SELECT 'CREATE ROLE conveyor LOGIN CREATEDB PASSWORD ''conveyor'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'conveyor')
\gexec
SELECT 'CREATE DATABASE conveyor OWNER conveyor'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'conveyor')
\gexec
SQL

echo "$url"
