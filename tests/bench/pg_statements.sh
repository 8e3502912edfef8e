#!/usr/bin/env bash
# pg_statements.sh BUILD_DIR - what one booking and one week listing cost
# on PostgreSQL in statements (each one round trip): one hubd on
# PostgreSQL+Redis (started through tests/scale/servers.sh), warmed up,
# then PostgreSQL logs every statement (log_statement = all) while
# bench_book makes the bookings of one day from one thread and two
# uncached week listings are fetched. Prints the statements per booking
# and per listing and each statement text with its count. Skips when
# PostgreSQL or Redis are not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z ${HUB_PG_DSN:-} ]]; then
  rc=0
  "$here/../scale/servers.sh" "$0" "$@" || rc=$?
  [[ $rc -eq 77 ]] && { echo "pg statements: skipped (no PostgreSQL/Redis)"; exit 0; }
  exit $rc
fi
. "$here/lib.sh"
build=$(cd "${1:?usage: pg_statements.sh BUILD_DIR}" && pwd)
work=$(mktemp -d /tmp/hub-pg-statements-XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port)
cat >"$work/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$port
data_dir = $work/data
module_dir = $build/modules
threads = 4
log_file = $work/hubd.log
bootstrap_admin = false
[storage]
backend = postgresql
dsn = $HUB_PG_DSN
[redis]
url = $HUB_REDIS_URL
[calendar]
backend = local
[ratelimit]
login = 1000/min
booking = 1000000/s
api = 1000000/s
admin = 1000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna:c0,Ben:c1,Cora:c2,Dirk:c3,Eva:c4,Frank:c5,Gesa:c6,Hanna:c7,Ilja:c8
slots_cache_s = 0
outcome_sync_interval_s = 86400
CONF
printf 'pw-bench-Secret1\n' | "$build/core/hubctl" -c "$work/hub.conf" \
  user add bench --role staff >/dev/null
"$build/core/hubd" -c "$work/hub.conf" >"$work/out" 2>&1 &
pid=$!
wait_http "http://127.0.0.1:$port/health/live" "$work/out"
body=$(curl -fsS -D "$work/h" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"pw-bench-Secret1"}' \
  "http://127.0.0.1:$port/api/v1/auth/login")
ck=$(awk 'tolower($1)=="set-cookie:" {print $2}' "$work/h" | tr -d ';\r')
xs=$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$body")
mon=$(date -d "$(date +%F) +7 days -$(( $(date -d "$(date +%F) +7 days" +%u) - 1 )) days" +%F)
sun=$(date -d "$mon +6 days" +%F)
day=$(date -d "$mon +8 days" +%F) # a Tuesday
url="http://127.0.0.1:$port/api/v1/slots?from=$mon&to=$sun"
# warm-up: the connection prepares its statements, copies are read
"$build/tests/bench/bench_book" "http://127.0.0.1:$port" "$ck" "$xs" 1 "$mon" 1 1 >/dev/null
curl -fsS -o /dev/null -H "Cookie: $ck" "$url"
log=$HUB_SCALE_TMP/pg.log
psql -X -q -d "$HUB_PG_ADMIN_DSN" -c "ALTER SYSTEM SET log_statement = 'all'" \
  -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
l0=$(wc -l <"$log")
out=$("$build/tests/bench/bench_book" "http://127.0.0.1:$port" "$ck" "$xs" 1 "$day" 1 1)
n=$(sed -n 's/.*(201: \([0-9]*\),.*/\1/p' <<<"$out")
sleep 0.5
l1=$(wc -l <"$log")
curl -fsS -o /dev/null -H "Cookie: $ck" "$url"
curl -fsS -o /dev/null -H "Cookie: $ck" "$url"
sleep 0.5
l2=$(wc -l <"$log")
stmts() { sed -n "$1,$2p" "$log" | grep -E 'LOG:  (statement|execute)' | sed 's/.*LOG:  //; s/^execute [^:]*: //; s/^statement: //'; }
nb=$(stmts $((l0 + 1)) "$l1" | wc -l)
nl=$(stmts $((l1 + 1)) "$l2" | wc -l)
echo "pg statements: $n bookings: $nb statements ($(awk -v a="$nb" -v b="$n" 'BEGIN { printf "%.1f", a / b }') per booking)"
stmts $((l0 + 1)) "$l1" | cut -c1-110 | sort | uniq -c | sort -rn | sed 's/^/pg statements:   /'
echo "pg statements: 2 uncached week listings: $nl statements"
stmts $((l1 + 1)) "$l2" | cut -c1-110 | sort | uniq -c | sort -rn | sed 's/^/pg statements:   /'
