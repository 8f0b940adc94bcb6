#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the hub's tests (Debian's postgresql, 13+).
#   eval "$(bash test/support/hub/pg-cluster.sh start)"   prints export lines: WARDEN_TEST_PG (URL), WARDEN_TEST_PG_DIR
#   bash test/support/hub/pg-cluster.sh stop DIR
# initdb runs as the postgres user when started as root (PostgreSQL refuses to run as root),
# in a fresh temporary folder, listening only on 127.0.0.1 at a free port; trust auth on loopback.
set -euo pipefail

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "pg-cluster: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin=$(bindir)
    dir=$(mktemp -d /tmp/warden-pg.XXXXXX)
    chmod 0700 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    as_owner "$bin/initdb" -D "$dir/data" -U warden -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "export WARDEN_TEST_PG=postgres://warden@127.0.0.1:$port/postgres"
    echo "export WARDEN_TEST_PG_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: pg-cluster.sh stop DIR}
    [[ -d "$dir/data" ]] || exit 0
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-cluster.sh start | stop DIR" >&2
    exit 2
    ;;
esac
