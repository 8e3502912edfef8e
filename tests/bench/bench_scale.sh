#!/usr/bin/env bash
# bench_scale.sh BUILD_DIR [SECONDS] - two hubd on one PostgreSQL (fsync
# on, synchronous_commit on) and one Redis, all on this machine:
#
#  1. durable bookings per second from both servers at once: bench_book
#     with 8 threads against each server, on different weeks, after a
#     warm-up that has every worker thread of both servers open its
#     database connection (one booking per slot of two other weeks from
#     32 threads: a fresh PostgreSQL backend reads its catalog on first
#     use, which made the measured second mostly start-up) (each
#     booking one transaction serialised by its slot lock row -- READ
#     COMMITTED on PostgreSQL -- with history, audit and outbox rows),
#     and the transactions retried meanwhile (hub_store_tx_retries_total
#     of both servers, PostgreSQL's xact_rollback);
#  2. GET /api/v1/slots for one filled week (9 consultants, 4 bookings per
#     slot) on server B, as a ratio to the bare civetweb handler in the
#     same run, and the same listing from a hubd on SQLite in the same
#     run for comparison. The listing cache is off (slots_cache_s = 0)
#     unless HUB_BENCH_SLOTS_CACHE_S sets its seconds, on both engines.
# Starts its own servers through tests/scale/servers.sh (skips when
# PostgreSQL or Redis are not installed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z ${HUB_PG_DSN:-} ]]; then
  rc=0
  "$here/../scale/servers.sh" "$0" "$@" || rc=$?
  [[ $rc -eq 77 ]] && { echo "bench scale: skipped (no PostgreSQL/Redis)"; exit 0; }
  exit $rc
fi
. "$here/lib.sh"
build=$(cd "${1:?usage: bench_scale.sh BUILD_DIR [SECONDS]}" && pwd)
secs=${2:-10}
threads=32
cache_s=${HUB_BENCH_SLOTS_CACHE_S:-0}
work=$(mktemp -d /tmp/hub-bench-scale-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

names=(Anna Ben Cora Dirk Eva Frank Gesa Hanna Ilja)
consultants=""
for i in "${!names[@]}"; do
  consultants+="${consultants:+,}${names[$i]}:c$i"
done

write_conf() { # $1 name, $2 port, $3 storage section
  mkdir -p "$work/$1"
  cat >"$work/$1/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$2
data_dir = $work/$1/data
module_dir = $build/modules
threads = $threads
log_file = $work/$1/hubd.log
bootstrap_admin = false
$3
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
consultants = $consultants
slots_cache_s = $cache_s
outcome_sync_interval_s = 86400
CONF
}
pg="[storage]
backend = postgresql
dsn = $HUB_PG_DSN
[redis]
url = $HUB_REDIS_URL"
pa=$(free_port); pb=$(free_port); ps=$(free_port); bare_port=$(free_port)
write_conf a "$pa" "$pg"
write_conf b "$pb" "$pg"
write_conf s "$ps" ""
for n in a s; do
  printf 'pw-bench-Secret1\n' | "$build/core/hubctl" -c "$work/$n/hub.conf" \
    user add bench --role staff >/dev/null
done
for n in a b s; do
  "$build/core/hubd" -c "$work/$n/hub.conf" >>"$work/$n/out" 2>&1 &
  pids+=($!)
done
"$build/tests/bench/bench_bare" "$bare_port" "$threads" & pids+=($!)
for p in $pa $pb $ps $bare_port; do wait_http "http://127.0.0.1:$p/health/live" 2>/dev/null || wait_http "http://127.0.0.1:$p/"; done

login() { # $1 port -> "cookie csrf"
  local h=$work/login.$1 body
  body=$(curl -fsS -D "$h" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"pw-bench-Secret1"}' \
    "http://127.0.0.1:$1/api/v1/auth/login")
  echo "$(awk 'tolower($1)=="set-cookie:" {print $2}' "$h" | tr -d ';\r') \
$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$body")"
}
read -r ca xa < <(login "$pa")
read -r cb xb < <(login "$pb")
read -r cs xs < <(login "$ps")

mon=$(date -d "$(date +%F) +7 days -$(( $(date -d "$(date +%F) +7 days" +%u) - 1 )) days" +%F)
sun=$(date -d "$mon +6 days" +%F)
w2=$(date -d "$mon +7 days" +%F)
w3=$(date -d "$mon +14 days" +%F)
w4=$(date -d "$mon +21 days" +%F)

# retried transactions: both servers' counters, PostgreSQL's rollbacks
retries() {
  local n=0 p
  for p in $pa $pb; do
    n=$((n + $(curl -fsS "http://127.0.0.1:$p/metrics" |
      awk '$1=="hub_store_tx_retries_total" {v = $2} END {print v + 0}')))
  done
  echo "$n"
}
rollbacks() {
  psql -X -qAt -d "$HUB_PG_ADMIN_DSN" -c \
    "SELECT xact_rollback FROM pg_stat_database WHERE datname = 'hub'"
}
# warm-up: every worker of A and B gets a connection and uses it
"$build/tests/bench/bench_book" "http://127.0.0.1:$pa" "$ca" "$xa" 32 "$w4" 14 1 >/dev/null &
wa=$!
"$build/tests/bench/bench_book" "http://127.0.0.1:$pb" "$cb" "$xb" 32 "$w4" 14 1 >/dev/null
wait $wa
r0=$(retries); x0=$(rollbacks)

# ---- 1. durable bookings/s from both servers at once
t0=$(date +%s.%N)
"$build/tests/bench/bench_book" "http://127.0.0.1:$pa" "$ca" "$xa" 8 "$w2" 7 4 >"$work/book.a" &
ba=$!
"$build/tests/bench/bench_book" "http://127.0.0.1:$pb" "$cb" "$xb" 8 "$w3" 7 4 >"$work/book.b" &
bb=$!
wait $ba $bb
t1=$(date +%s.%N)
oka=$(sed -n 's/.*(201: \([0-9]*\),.*/\1/p' "$work/book.a")
okb=$(sed -n 's/.*(201: \([0-9]*\),.*/\1/p' "$work/book.b")
total=$(awk -v a="$oka" -v b="$okb" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (a + b) / (t1 - t0) }')
sleep 1 # pg_stat_database lags its backends by up to a second
r1=$(retries); x1=$(rollbacks)

# ---- 2. the week listing: fill it (PostgreSQL through A, SQLite too)
"$build/tests/bench/bench_book" "http://127.0.0.1:$pa" "$ca" "$xa" 8 "$mon" 7 4 >/dev/null
"$build/tests/bench/bench_book" "http://127.0.0.1:$ps" "$cs" "$xs" 8 "$mon" 7 4 >/dev/null
url_b="http://127.0.0.1:$pb/api/v1/slots?from=$mon&to=$sun"
url_s="http://127.0.0.1:$ps/api/v1/slots?from=$mon&to=$sun"
run_wrk warm "$url_b" 2 50 -H "Cookie: $cb" >/dev/null
run_wrk warm "$url_s" 2 50 -H "Cookie: $cs" >/dev/null
read -r _ bare_rps bare_p50 bare_p99 < <(run_wrk bare "http://127.0.0.1:$bare_port/" "$secs" 50)
read -r _ pg_rps pg_p50 pg_p99 < <(run_wrk slots-pg "$url_b" "$secs" 50 -H "Cookie: $cb")
read -r _ sq_rps sq_p50 sq_p99 < <(run_wrk slots-sqlite "$url_s" "$secs" 50 -H "Cookie: $cs")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "bench scale: $(nproc) cores; PostgreSQL fsync on; everything on this machine"
sed 's/^/bench scale: A: /' "$work/book.a"
sed 's/^/bench scale: B: /' "$work/book.b"
echo "bench scale: durable bookings from A and B together: $total bookings/s (target 1000)"
echo "bench scale: transactions retried meanwhile: $((r1 - r0)) (PostgreSQL xact_rollback +$((x1 - x0)))"
echo "bench scale: listing cache: slots_cache_s = $cache_s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'bench scale: bare civetweb            %10s req/s  p50 %s ms  p99 %s ms\n' "$bare_rps" "$bare_p50" "$bare_p99"
printf 'bench scale: week of slots, PG+Redis  %10s req/s  p50 %s ms  p99 %s ms  ratio %s\n' "$pg_rps" "$pg_p50" "$pg_p99" "$(ratio "$pg_rps" "$bare_rps")"
printf 'bench scale: week of slots, SQLite    %10s req/s  p50 %s ms  p99 %s ms  ratio %s\n' "$sq_rps" "$sq_p50" "$sq_p99" "$(ratio "$sq_rps" "$bare_rps")"
