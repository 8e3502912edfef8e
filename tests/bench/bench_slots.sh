#!/usr/bin/env bash
# bench_slots.sh BUILD_DIR [SECONDS] - the booking module under load:
#
#  1. GET /api/v1/slots for one week with 9 consultants (7 with calendars:
#     marker events, appointments, non-blocking events in the calendar
#     mirror; 2 with weekly plans) and realistic bookings (up to 12 per
#     slot), at 50 keep-alive connections (wrk), as a ratio to the bare
#     civetweb handler (bench_bare) measured in the same run; p50/p99.
#     Once with the slot-listing cache off (every request computes the
#     week from storage and the mirror) and once with it on (5 s).
#  2. Booking throughput: 8 threads POSTing bookings on distinct slots
#     (bench_book), each booking one transaction with its history, audit
#     entry and calendar outbox row.
#
# BENCH_KEEP=1 keeps the working directory (data, logs) for inspection.
# The google backend is configured with an unreachable API and a sync
# interval of a day, so the mirror holds exactly the events this script
# writes into it (sqlite3); nothing leaves the machine.
# Targets (issue "The booking module"): >= 1/2 of the bare handler's rate,
# p99 < 5 ms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=$(cd "${1:?usage: bench_slots.sh BUILD_DIR [SECONDS]}" && pwd)
secs=${2:-10}
threads=32
work=$(mktemp -d /tmp/hub-bench-slots-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
for tool in wrk sqlite3 openssl curl; do
  command -v $tool >/dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done

# ---- a service-account key for the (never contacted) google backend
openssl genrsa -out "$work/key.pem" 2048 2>/dev/null
pem=$(awk '{printf "%s\\n", $0}' "$work/key.pem")
cat >"$work/creds.json" <<JSON
{"type": "service_account", "project_id": "bench",
 "private_key_id": "0123456789abcdef", "private_key": "$pem",
 "client_email": "bench@bench.iam.gserviceaccount.com",
 "token_uri": "http://127.0.0.1:9/token"}
JSON
chmod 600 "$work/creds.json"

names=(Anna Ben Cora Dirk Eva Frank Gesa Hanna Ilja)
consultants=""
for i in "${!names[@]}"; do
  consultants+="${consultants:+,}${names[$i]}:c$i@bench.example"
done

hub_port=$(free_port)
write_conf() { # $1 = slots_cache_s
  cat >"$work/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$hub_port
data_dir = $work/data
module_dir = $build/modules
threads = $threads
log_file = $work/hubd.log
bootstrap_admin = false
[calendar]
backend = google
api_base = http://127.0.0.1:9/calendar/v3
credentials_file = $work/creds.json
central_calendar_id = central@bench.example
sync_interval_s = 86400
quota_per_minute = 100000
[ratelimit]
login = 1000/min
login_account = 1000/min
booking = 1000000/s
api = 1000000/s
admin = 1000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = $consultants
plan.Hanna = mon-thu 09:00-18:00, fri 09:00-16:00
plan.Ilja = mon-fri 11:00-22:00
slots_cache_s = $1
outcome_sync_interval_s = 86400
CONF
}
start_hubd() {
  "$build/core/hubd" -c "$work/hub.conf" >>"$work/hubd.out" 2>&1 &
  hub_pid=$!
  pids+=($hub_pid)
  wait_http "http://127.0.0.1:$hub_port/health/live" "$work/hubd.out" "$work/hubd.log"
}
stop_hubd() { kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; }

write_conf 0
printf 'pw-bench-Secret1\n' | "$build/core/hubctl" -c "$work/hub.conf" \
  user add bench --role staff >"$work/hubctl.out" 2>&1 || { cat -n "$work/hub.conf" "$work/hubctl.out" >&2; exit 1; }
bare_port=$(free_port)
"$build/tests/bench/bench_bare" "$bare_port" "$threads" & pids+=($!)
start_hubd
wait_http "http://127.0.0.1:$bare_port/"

login=$(curl -fsS -D "$work/login.h" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"pw-bench-Secret1"}' \
  "http://127.0.0.1:$hub_port/api/v1/auth/login")
cookie=$(awk 'tolower($1)=="set-cookie:" {print $2}' "$work/login.h" | tr -d ';\r')
csrf=$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$login")

# ---- the benchmark week: the Monday at least a week ahead
mon=$(date -d "$(date +%F) +7 days -$(( $(date -d "$(date +%F) +7 days" +%u) - 1 )) days" +%F)
sun=$(date -d "$mon +6 days" +%F)

# ---- the calendar mirror: 7 consultants with calendars
at() { TZ=Europe/Berlin date -d "$1 $2" +%s; }
{
  echo "BEGIN;"
  for i in 0 1 2 3 4 5 6; do
    for d in 0 1 2 3 4; do
      day=$(date -d "$mon +$d days" +%F)
      end=$(( i % 3 == 0 ? 22 : 20 ))
      echo "INSERT INTO cal_events (calendar_id, event_id, summary, color_id, start_utc, end_utc) VALUES ('c$i@bench.example', 'm$i$d', 'T1 bereit', '', $(at "$day" 08:00), $(at "$day" $end:00));"
      h=$(( 9 + (i + d) % 10 ))
      echo "INSERT INTO cal_events (calendar_id, event_id, summary, color_id, start_utc, end_utc) VALUES ('c$i@bench.example', 'b$i$d', 'Termin extern', '9', $(at "$day" $h:00), $(at "$day" $h:45));"
      echo "INSERT INTO cal_events (calendar_id, event_id, summary, color_id, start_utc, end_utc) VALUES ('c$i@bench.example', 'n$i$d', 'Mittagspause', '4', $(at "$day" 12:30), $(at "$day" 13:30));"
    done
  done
  echo "COMMIT;"
} | sqlite3 "$work/data/hub.db"

# ---- realistic bookings in the week (measured: 8 threads, distinct slots)
fill=$("$build/tests/bench/bench_book" "http://127.0.0.1:$hub_port" \
  "$cookie" "$csrf" 8 "$mon" 7 12)
booked=$(sed -n 's/.*(201: \([0-9]*\),.*/\1/p' <<<"$fill")
url="http://127.0.0.1:$hub_port/api/v1/slots?from=$mon&to=$sun"
size=$(curl -fsS -H "Cookie: $cookie" "$url" | wc -c)

# ---- GET /slots: bare, then hubd without and with the listing cache
run_wrk warm "http://127.0.0.1:$bare_port/" 2 50 >/dev/null
run_wrk warm "$url" 2 50 -H "Cookie: $cookie" >/dev/null
read -r _ bare_rps bare_p50 bare_p99 < <(run_wrk bare "http://127.0.0.1:$bare_port/" "$secs" 50)
read -r _ nc_rps nc_p50 nc_p99 < <(run_wrk slots "$url" "$secs" 50 -H "Cookie: $cookie")
# the host's floor for any signed-in request (no module work): context
read -r _ me_rps me_p50 me_p99 < <(run_wrk me "http://127.0.0.1:$hub_port/api/v1/auth/me" "$secs" 50 -H "Cookie: $cookie")
stop_hubd
write_conf 5
start_hubd
run_wrk warm "$url" 2 50 -H "Cookie: $cookie" >/dev/null
read -r _ c_rps c_p50 c_p99 < <(run_wrk slots-cached "$url" "$secs" 50 -H "Cookie: $cookie")

# ---- booking throughput on later weeks (empty slots, cache on)
later=$(date -d "$mon +7 days" +%F)
book=$("$build/tests/bench/bench_book" "http://127.0.0.1:$hub_port" \
  "$cookie" "$csrf" 8 "$later" 21 4)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf 'bench slots: week %s..%s, 9 consultants, %s bookings, response %s bytes, %d connections, %ss each, %s cores\n' \
  "$mon" "$sun" "$booked" "$size" 50 "$secs" "$(nproc)"
printf 'bench slots: bare civetweb        %10s req/s  p50 %s ms  p99 %s ms\n' "$bare_rps" "$bare_p50" "$bare_p99"
printf 'bench slots: hubd, cache off      %10s req/s  p50 %s ms  p99 %s ms  ratio %s\n' "$nc_rps" "$nc_p50" "$nc_p99" "$(ratio "$nc_rps" "$bare_rps")"
printf 'bench slots: hubd, cache 5 s      %10s req/s  p50 %s ms  p99 %s ms  ratio %s\n' "$c_rps" "$c_p50" "$c_p99" "$(ratio "$c_rps" "$bare_rps")"
printf 'bench slots: hubd GET /api/v1/auth/me %s req/s  p50 %s ms  p99 %s ms  ratio %s (a signed-in request doing no module work)\n' "$me_rps" "$me_p50" "$me_p99" "$(ratio "$me_rps" "$bare_rps")"
printf 'bench slots: (targets: ratio >= 0.5, p99 < 5 ms)\n'
printf '%s\n' "${fill/bench book:/bench book (filling the week):}"
printf '%s\n' "$book"
