#!/usr/bin/env bash
# bench_host.sh BUILD_DIR [SECONDS] - the routing layer's cost: wrk at 50
# keep-alive connections against GET /health/live of hubd and against the
# bare civetweb handler, in the same run; prints both and the ratio.
# Target (issue "The host"): hubd >= 80 % of the bare handler.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=$(cd "${1:?usage: bench_host.sh BUILD_DIR [SECONDS]}" && pwd)
secs=${2:-10}
threads=32
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bare_port=$(free_port)
"$build/tests/bench/bench_bare" "$bare_port" "$threads" & pids+=($!)
hub_port=$(free_port)
cat >"$work/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$hub_port
data_dir = $work/data
module_dir = $build/modules
threads = $threads
log_file = $work/hubd.log
bootstrap_admin = false
[module.health]
path = health.so
CONF
"$build/core/hubd" -c "$work/hub.conf" >"$work/hubd.out" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$bare_port/"
wait_http "http://127.0.0.1:$hub_port/health/live" "$work/hubd.out" "$work/hubd.log"

# warm-up, then alternate to share any machine noise fairly
run_wrk warm "http://127.0.0.1:$bare_port/" 2 50 >/dev/null
run_wrk warm "http://127.0.0.1:$hub_port/health/live" 2 50 >/dev/null
read -r _ bare_rps bare_p50 bare_p99 < <(run_wrk bare "http://127.0.0.1:$bare_port/" "$secs" 50)
read -r _ hub_rps hub_p50 hub_p99 < <(run_wrk hubd "http://127.0.0.1:$hub_port/health/live" "$secs" 50)
ratio=$(awk -v a="$hub_rps" -v b="$bare_rps" 'BEGIN { printf "%.3f", a / b }')
printf 'bench host: bare civetweb %s req/s (p50 %s ms, p99 %s ms)\n' "$bare_rps" "$bare_p50" "$bare_p99"
printf 'bench host: hubd /health/live %s req/s (p50 %s ms, p99 %s ms)\n' "$hub_rps" "$hub_p50" "$hub_p99"
printf 'bench host: ratio hubd/bare = %s (target >= 0.80), %d connections, %ss each, %s\n' \
  "$ratio" 50 "$secs" "$(nproc) cores"
