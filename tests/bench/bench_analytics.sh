#!/usr/bin/env bash
# bench_analytics.sh BUILD_DIR [SECONDS] - analytics over years of history:
#
#  1. gen_history.py writes two years of a large team's bookings in the
#     old system's JSON format (BENCH_BOOKINGS, default 300,000; 40
#     bookers), and `hubctl import-json` imports them: wall time and the
#     process's CPU time (user + sys).
#  2. The history is spread over 20 consultants with one SQL UPDATE (the
#     rollup triggers run for every row): wall time.
#  3. A year's GET /api/v1/analytics/{summary, heatmap, trend, bookers,
#     consultants, consultants/{id}} against the running hubd, one at a
#     time: the first (cold) request timed by curl, then wrk at 2
#     connections for SECONDS each: p50/p99 and req/s, with the bare
#     civetweb handler (bench_bare) measured in the same run as a ratio,
#     and hubd's CPU time per request (utime + stime from /proc over the
#     wrk run, divided by the requests): on a machine shared with other
#     work the latencies include waiting for a core, the CPU time not.
#
# Target (issue "The analytics module"): each answers a year in < 50 ms;
# the import takes < 30 s. BENCH_KEEP=1 keeps the working directory;
# BENCH_REUSE=DIR (a kept one) skips steps 1 and 2 and reuses its data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=$(cd "${1:?usage: bench_analytics.sh BUILD_DIR [SECONDS]}" && pwd)
secs=${2:-10}
n=${BENCH_BOOKINGS:-300000}
work=${BENCH_REUSE:-$(mktemp -d /tmp/hub-bench-analytics-XXXXXX)}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${BENCH_KEEP:-}${BENCH_REUSE:-} ]]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
for tool in wrk sqlite3 curl python3; do
  command -v $tool >/dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done

consultants=""
for i in $(seq 1 20); do consultants+="${consultants:+,}Berater $i:c$i@bench.example"; done
port=$(free_port)
cat >"$work/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$port
data_dir = $work/data
module_dir = $build/modules
threads = 8
log_file = $work/hubd.log
bootstrap_admin = false
[calendar]
backend = local
[ratelimit]
login = 1000/min
booking = 1000000/s
api = 1000000/s
admin = 1000000/s
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = $consultants
[module.analytics]
path = analytics.so
CONF

# ---- 1. history and import
imp_wall=- cpu=- assign_wall=-
if [[ -z ${BENCH_REUSE:-} ]]; then
python3 "$here/gen_history.py" "$work/old" --bookings "$n" --days 730 --bookers 40
printf 'pw-bench-Secret1\n' | "$build/core/hubctl" -c "$work/hub.conf" user add boss --role admin >/dev/null 2>&1
# `times` in the subshell gives its children's (hubctl's) CPU time
t0=$(date +%s.%N)
cpu=$( ( "$build/core/hubctl" -c "$work/hub.conf" import-json "$work/old" >/dev/null; times ) | tail -1 | awk '{
  split($1, u, "m"); split($2, s, "m");
  printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
t1=$(date +%s.%N)
imp_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
fi

# ---- 2. consultants for the history (triggers move every row)
"$build/core/hubd" -c "$work/hub.conf" >>"$work/hubd.out" 2>&1 &
hub_pid=$!; pids+=($hub_pid)
wait_http "http://127.0.0.1:$port/health/live" "$work/hubd.out" "$work/hubd.log"
login=$(curl -fsS -D "$work/login.h" -H 'Content-Type: application/json' \
  -d '{"username":"boss","password":"pw-bench-Secret1"}' \
  "http://127.0.0.1:$port/api/v1/auth/login")
cookie=$(awk 'tolower($1)=="set-cookie:" {print $2}' "$work/login.h" | tr -d ';\r')
curl -fsS -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/consultants"
if [[ -z ${BENCH_REUSE:-} ]]; then
  t0=$(date +%s.%N)
  sqlite3 "$work/data/hub.db" "PRAGMA busy_timeout = 10000; PRAGMA cache_size = -262144;
    UPDATE booking_bookings SET consultant_id = 1 + (id % 20);" >/dev/null
  t1=$(date +%s.%N)
  assign_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
fi
# hubd's CPU time so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hub_pid/stat"; }
hz=$(getconf CLK_TCK)

# ---- 3. a year's figures over HTTP
bare_port=$(free_port)
"$build/tests/bench/bench_bare" "$bare_port" 8 & pids+=($!)
wait_http "http://127.0.0.1:$bare_port/"
to=$(TZ=Europe/Berlin date +%F)
from=$(TZ=Europe/Berlin date -d "$to -364 days" +%F)
base="http://127.0.0.1:$port/api/v1/analytics"
read -r _ bare_rps bare_p50 bare_p99 < <(run_wrk bare "http://127.0.0.1:$bare_port/" "$secs" 2)
printf 'bench analytics: %s bookings (2 years, 40 bookers, 20 consultants), year %s..%s, %s cores\n' \
  "$n" "$from" "$to" "$(nproc)"
printf 'bench analytics: import-json %s s wall, %s s CPU (user+sys); assigning consultants (UPDATE of every row) %s s\n' \
  "$imp_wall" "$cpu" "$assign_wall"
printf 'bench analytics: bare civetweb %s req/s p50 %s ms p99 %s ms (2 connections)\n' "$bare_rps" "$bare_p50" "$bare_p99"
for ep in summary heatmap trend bookers consultants consultants/7 "summary&booker=agent05"; do
  path=${ep%%&*}; extra=""
  [[ $ep == *"&"* ]] && extra="&${ep#*&}"
  url="$base/$path?from=$from&to=$to$extra"
  code=$(curl -sS -o "$work/answer.json" -w '%{http_code} %{time_total}' -H "Cookie: $cookie" "$url")
  [[ ${code%% *} == 200 ]] || { echo "bench: $url answered ${code%% *}" >&2; cat "$work/answer.json" >&2; exit 1; }
  cold=$(awk -v t="${code#* }" 'BEGIN { printf "%.1f", t * 1000 }')
  c0=$(cpu_ticks)
  read -r _ rps p50 p99 < <(run_wrk "$ep" "$url" "$secs" 2 -H "Cookie: $cookie")
  c1=$(cpu_ticks)
  cpu_req=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v r="$rps" -v s="$secs" \
    'BEGIN { printf "%.1f", (b - a) * 1000 / hz / (r * s) }')
  printf 'bench analytics: %-24s first %6s ms  p50 %s ms  p99 %s ms  %s req/s  ratio %s  CPU %s ms/request  (%s bytes)\n' \
    "$ep" "$cold" "$p50" "$p99" "$rps" "$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.3f", a / b }')" \
    "$cpu_req" "$(wc -c <"$work/answer.json")"
done
printf 'bench analytics: load average while running: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'bench analytics: (targets: each year query < 50 ms; import < 30 s)\n'
