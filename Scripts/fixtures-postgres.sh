#!/usr/bin/env bash
# Throw-away PostgreSQL for the results-catalog tests (sourced by Scripts/test.sh).
#   OIB_POSTGRES_URL  postgres://oib@127.0.0.1:<port>/oibtest, a fresh cluster on loopback with trust auth
# initdb refuses root, so the cluster runs as the `postgres` user in a private directory. Tests whose variable
# is unset are reported as skipped with the reason printed here.

_oib_pg_dir=""
_oib_pg_bin=""

fixtures_postgres_log() { printf '[fixtures] %s\n' "$*"; }

fixtures_postgres_setup() {
  if [ -n "${OIB_POSTGRES_URL:-}" ]; then
    fixtures_postgres_log "postgres: using OIB_POSTGRES_URL from the environment"
    return 0
  fi
  _oib_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$_oib_pg_bin" ] || [ ! -x "$_oib_pg_bin/initdb" ]; then
    fixtures_postgres_log "postgres: no server installed (apt-get install postgresql); PostgreSQL tests will be skipped"
    return 0
  fi
  local runas=()
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      fixtures_postgres_log "postgres: no 'postgres' user to run the server as; PostgreSQL tests will be skipped"
      return 0
    fi
    runas=(runuser -u postgres --)
  fi
  _oib_pg_dir=$(mktemp -d /tmp/oib-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres "$_oib_pg_dir"
  local port=$((20000 + RANDOM % 20000))
  if "${runas[@]}" "$_oib_pg_bin/initdb" -D "$_oib_pg_dir/data" -U oib --auth=trust -E UTF8 >"$_oib_pg_dir/initdb.log" 2>&1 \
    && "${runas[@]}" "$_oib_pg_bin/pg_ctl" -D "$_oib_pg_dir/data" -l "$_oib_pg_dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$_oib_pg_dir -c fsync=off" start >/dev/null \
    && "${runas[@]}" "$_oib_pg_bin/createdb" -h 127.0.0.1 -p "$port" -U oib oibtest; then
    export OIB_POSTGRES_URL="postgres://oib@127.0.0.1:$port/oibtest"
    fixtures_postgres_log "postgres: throw-away server on 127.0.0.1:$port"
  else
    fixtures_postgres_log "postgres: could not start a server (see $_oib_pg_dir/*.log); PostgreSQL tests will be skipped"
    cat "$_oib_pg_dir"/*.log 2>/dev/null | tail -n 20
    fixtures_postgres_teardown
  fi
}

fixtures_postgres_teardown() {
  if [ -n "$_oib_pg_dir" ] && [ -d "$_oib_pg_dir/data" ]; then
    local runas=()
    [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
    "${runas[@]}" "$_oib_pg_bin/pg_ctl" -D "$_oib_pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "$_oib_pg_dir" ] && rm -rf "$_oib_pg_dir"
  _oib_pg_dir=""
}
