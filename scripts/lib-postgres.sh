# Sourced by scripts/test: finds a PostgreSQL for the tests, or starts a throwaway one.
#   use_postgres   sets SEV_TEST_POSTGRES to an admin URL. It uses SEV_TEST_POSTGRES if set, else a server on
#                  127.0.0.1:5432 if one answers, else starts a private server on a free port in a temporary folder
#                  (stopped and deleted by stop_postgres).

# Runs a PostgreSQL server command: as the `postgres` user when we are root (PostgreSQL refuses to run as root;
# Debian's package creates that user), else as ourselves.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_answers() { psql -q -w -d "$1" -c 'SELECT 1' >/dev/null 2>&1; }

use_postgres() {
  if [ -n "${SEV_TEST_POSTGRES:-}" ]; then
    pg_answers "$SEV_TEST_POSTGRES" || { echo "SEV_TEST_POSTGRES does not answer" >&2; return 1; }
    return 0
  fi
  if pg_answers "postgres://postgres@127.0.0.1:5432/postgres"; then
    export SEV_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/postgres"
    return 0
  fi
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries found (scripts/setup --test installs them)" >&2; return 1; }
  local port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  PG_THROWAWAY_DIR="$(mktemp -d)"
  PG_THROWAWAY_BIN="$bin"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_THROWAWAY_DIR"
  as_pg_owner "$bin/initdb" -D "$PG_THROWAWAY_DIR/data" -A trust -U postgres --no-sync >/dev/null
  as_pg_owner "$bin/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/log" -w \
    -o "-p $port -k $PG_THROWAWAY_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  export SEV_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  echo "started a throwaway PostgreSQL on port $port"
}

stop_postgres() {
  [ -n "${PG_THROWAWAY_DIR:-}" ] || return 0
  if [ -n "${PG_THROWAWAY_BIN:-}" ] && [ -d "$PG_THROWAWAY_DIR/data" ]; then
    as_pg_owner "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=""
}

# The URL without its password, for messages.
pg_shown() { sed -E 's#://([^:/@]+):[^@]*@#://\1:***@#' <<<"$1"; }
