#!/usr/bin/env bash
# tests/scale/servers.sh CMD [ARGS...] - runs CMD with a throwaway
# PostgreSQL 15 and redis-server, then stops both by PID.
#
# PostgreSQL: initdb in a temporary folder (as the `postgres` user through
# runuser when run as root), fsync on, modest memory (shared_buffers 64MB,
# max_connections 100), listening on a free 127.0.0.1 port with its unix
# socket in the same folder. Redis: no persistence, a free port.
#
# Exported to CMD:
#   HUB_PG_DSN          postgresql://hub@127.0.0.1:PORT/hub (the database)
#   HUB_PG_ADMIN_DSN    the same as the superuser (for createdb, restarts)
#   HUB_PG_PORT, HUB_PG_DIR (data folder), HUB_PG_BIN, HUB_PG_RUN (a prefix
#                       running a command as the server's owner)
#   HUB_REDIS_URL       redis://127.0.0.1:PORT/0
#   HUB_REDIS_PORT, HUB_REDIS_PIDFILE, HUB_REDIS_CONF
#   HUB_SCALE_CTL       this script's folder's ctl.sh (restart helpers)
# With --engine-env also HUB_STORAGE_BACKEND=postgresql, HUB_DATABASE_URL
# and HUB_STORAGE_SCHEMA=per-data-dir, so unchanged test binaries run on
# PostgreSQL with one schema per data folder they open.
# Exit status: CMD's, or 77 (skip) when the servers are not installed and
# HUB_REQUIRE_SCALE is unset, 1 when they cannot start.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
engine_env=0
if [[ ${1:-} == --engine-env ]]; then
  engine_env=1
  shift
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z $pgbin || ! -x $pgbin/initdb ]] || ! command -v redis-server >/dev/null; then
  echo "servers.sh: PostgreSQL or redis-server not installed (scripts/deps.sh scale)" >&2
  [[ -n ${HUB_REQUIRE_SCALE:-} ]] && exit 1
  exit 77
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

tmp=$(mktemp -d /tmp/hub-scale.XXXXXX)
chmod 755 "$tmp"
pgdata=$tmp/pg
run=()
if [[ $(id -u) -eq 0 ]]; then
  run=(runuser -u postgres --)
  mkdir -p "$pgdata" && chown postgres: "$pgdata"
  chown postgres: "$tmp"
fi
pgport=$(free_port)
rport=$(free_port)
pg_pid=
redis_pid=

cleanup() {
  if [[ -n $pg_pid ]] && kill -0 "$pg_pid" 2>/dev/null; then
    "${run[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 ||
      kill "$pg_pid" 2>/dev/null
  fi
  if [[ -f $tmp/redis.pid ]]; then
    kill "$(cat "$tmp/redis.pid")" 2>/dev/null
  fi
  [[ -n ${HUB_KEEP_SCALE_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

if ! "${run[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 \
     --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$tmp'
shared_buffers = 64MB
max_connections = 100
fsync = on
synchronous_commit = on
logging_collector = off
log_min_messages = warning
EOF
if ! "${run[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$tmp/pg.log" -w -t 60 start >/dev/null; then
  cat "$tmp/pg.log" >&2
  exit 1
fi
pg_pid=$(head -1 "$pgdata/postmaster.pid")
psql_admin=("$pgbin/psql" -X -q -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1)
"${psql_admin[@]}" -c "CREATE ROLE hub LOGIN" -c "CREATE DATABASE hub OWNER hub" >/dev/null || exit 1

cat >"$tmp/redis.conf" <<EOF
bind 127.0.0.1
port $rport
save ""
appendonly no
daemonize yes
pidfile $tmp/redis.pid
logfile $tmp/redis.log
dir $tmp
EOF
chmod 644 "$tmp/redis.conf"
redis-server "$tmp/redis.conf" || exit 1
for _ in $(seq 50); do
  [[ -s $tmp/redis.pid ]] && redis-cli -p "$rport" ping >/dev/null 2>&1 && break
  sleep 0.1
done

export HUB_PG_DSN="postgresql://hub@127.0.0.1:$pgport/hub"
export HUB_PG_ADMIN_DSN="postgresql://postgres@127.0.0.1:$pgport/hub"
export HUB_PG_PORT=$pgport HUB_PG_DIR=$pgdata HUB_PG_BIN=$pgbin
export HUB_PG_RUN="${run[*]}"
export HUB_REDIS_URL="redis://127.0.0.1:$rport/0"
export HUB_REDIS_PORT=$rport HUB_REDIS_PIDFILE=$tmp/redis.pid
export HUB_REDIS_CONF=$tmp/redis.conf
export HUB_SCALE_TMP=$tmp
export PATH="$pgbin:$PATH"
if [[ $engine_env -eq 1 ]]; then
  export HUB_STORAGE_BACKEND=postgresql HUB_DATABASE_URL=$HUB_PG_DSN
  export HUB_STORAGE_SCHEMA=per-data-dir
fi
"$@"
rc=$?
exit $rc
