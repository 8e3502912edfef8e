#!/usr/bin/env bash
# callgrind_slots.sh BUILD_DIR KEPT_DIR [N] - instructions per uncached
# GET /api/v1/slots, the figure to steer the listing's speed by (it is
# repeatable on a loaded machine; wall-clock rates are not).
#
# KEPT_DIR is a working directory kept by `BENCH_KEEP=1 bench_slots.sh`
# (its data, configuration and session cookie); it is copied, not changed.
# hubd runs under valgrind --tool=callgrind with the listing cache off and
# instrumentation off until it is up; then one request warms the worker,
# N requests (default 200) go over one keep-alive connection, and the
# script prints the instructions per request and the profile's path
# (read it with callgrind_annotate --inclusive=yes). The JSON of the
# first request is kept beside the profile for byte comparisons.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
build=$(cd "${1:?usage: callgrind_slots.sh BUILD_DIR KEPT_DIR [N]}" && pwd)
src=$(cd "${2:?usage: callgrind_slots.sh BUILD_DIR KEPT_DIR [N]}" && pwd)
n=${3:-200}
command -v valgrind >/dev/null || { echo "callgrind: valgrind missing" >&2; exit 1; }
work=$(mktemp -d /tmp/hub-callgrind-slots-XXXXXX)
cp -a "$src/." "$work/"
port=$(free_port)
sed -i -e "s#$src#$work#g" -e "s#^listen = .*#listen = 127.0.0.1:$port#" \
  -e "s#^module_dir = .*#module_dir = $build/modules#" \
  -e 's/^slots_cache_s = .*/slots_cache_s = 0/' \
  -e 's/^threads = .*/threads = 4/' "$work/hub.conf"
cookie=$(awk 'tolower($1)=="set-cookie:" {print $2}' "$work/login.h" | tr -d ';\r')
out="$work/callgrind.out"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$build/core/hubd" -c "$work/hub.conf" >"$work/valgrind.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && break
  sleep 0.2
done
# the week the bench wrote: the Monday of its mirror's first event
mon=$(sqlite3 "$work/data/hub.db" "SELECT date(MIN(start_utc), 'unixepoch', 'localtime') FROM cal_events")
sun=$(date -d "$mon +6 days" +%F)
url="http://127.0.0.1:$port/api/v1/slots?from=$mon&to=$sun"
curl -fsS -H "Cookie: $cookie" "$url" >"$work/slots.json"
args=()
for _ in $(seq "$n"); do args+=("$url"); done
callgrind_control -i on "$pid" >/dev/null 2>&1
curl -fsS -H "Cookie: $cookie" "${args[@]}" >/dev/null
callgrind_control -i off "$pid" >/dev/null 2>&1
kill "$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
printf 'callgrind slots: week %s..%s, %d requests, %d instructions per request (hubd, all threads)\n' \
  "$mon" "$sun" "$n" $(( total / n ))
printf 'callgrind slots: profile %s, first response %s\n' "$out" "$work/slots.json"
