# Sourced by scripts/test.sh. `start_postgres` runs a throwaway PostgreSQL cluster for this test run:
# initdb into a temporary folder, trust auth on 127.0.0.1, a free port, a `test` database; exports
# PGHOST, PGPORT, PGUSER, PGDATABASE and DATABASE_URL for the tests. `stop_postgres` removes it.
# As root the server runs as the `postgres` user (initdb refuses root), which the Debian package creates.

PG_DATA=""
PG_BIN=""
PG_AS=()

start_postgres() {
  PG_BIN=$(pg_bindir) || { echo "error: no PostgreSQL server found under /usr/lib/postgresql" >&2; return 1; }
  PG_DATA=$(mktemp -d "${TMPDIR:-/tmp}/si-test-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "error: running as root, but there is no 'postgres' user to run PostgreSQL as" >&2; return 1; }
    chown postgres "$PG_DATA"
    PG_AS=(runuser -u postgres --)
  fi
  local port
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA/data" -U postgres -A trust --no-sync -E UTF8 >"$PG_DATA/initdb.log" 2>&1 \
    || { echo "error: initdb failed:" >&2; cat "$PG_DATA/initdb.log" >&2; return 1; }
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/data/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DATA/data -c fsync=off -c max_connections=100" start >/dev/null \
    || { echo "error: PostgreSQL did not start:" >&2; cat "$PG_DATA/data/server.log" >&2; return 1; }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=test
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/test"
}

stop_postgres() {
  [ -n "$PG_DATA" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DATA"
  PG_DATA=""
}
