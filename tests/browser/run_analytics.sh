#!/usr/bin/env bash
# run_analytics.sh BUILD_DIR - starts hubd (booking and analytics modules,
# temporary data) on a free loopback port with a small history imported
# in the old format (tests/bench/gen_history.py), an admin and a
# consultant user linked to a consultant record, and runs
# analytics_flow.js against it. Exit 77 (skipped) when chromium or
# playwright-core is missing (`npm ci` here), or 1 when
# HUB_REQUIRE_BROWSER is set.
set -euo pipefail
build=$(cd "${1:?usage: run_analytics.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/hub_env.sh"
hub_browser_ready
hub_workdir hub-browser-analytics
hub_free_port
cat >"$work/hub.conf" <<CONF
[server]
listen = 127.0.0.1:$port
data_dir = $work/data
module_dir = $build/modules
threads = 16
bootstrap_admin = false
log_file = $work/hubd.log
[calendar]
backend = local
[ratelimit]
login = 100/min
booking = 1000/min
api = 10000/min
admin = 1000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna Becker:anna@example.com,Jonas Weber:jonas@example.com
[module.analytics]
path = analytics.so
CONF
pw=pw-browser-Secret1
for u in boss:admin jonas:consultant; do
  printf '%s\n' "$pw" | "$build/core/hubctl" -c "$work/hub.conf" user add "${u%%:*}" --role "${u#*:}" >/dev/null 2>&1
done
python3 "$here/../bench/gen_history.py" "$work/old" --bookings 3000 --days 200 --bookers 8 2>/dev/null
"$build/core/hubctl" -c "$work/hub.conf" import-json "$work/old" >/dev/null
hub_start
# link jonas to consultant 2 and give the consultants part of the history
curl -fsS -D "$work/h" -o "$work/login.json" -H 'Content-Type: application/json' \
  -d "{\"username\":\"boss\",\"password\":\"$pw\"}" "http://127.0.0.1:$port/api/v1/auth/login"
cookie=$(awk 'tolower($1)=="set-cookie:" {print $2}' "$work/h" | tr -d ';\r')
csrf=$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' "$work/login.json")
curl -fsS -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/consultants"
curl -fsS -o /dev/null -X PATCH -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
  -H 'Content-Type: application/json' -d '{"consultant_id": 2}' \
  "http://127.0.0.1:$port/api/v1/admin/users/jonas"
sqlite3 "$work/data/hub.db" "PRAGMA busy_timeout = 5000;
  UPDATE booking_bookings SET consultant_id = 1 + (id % 3) WHERE id % 3 <> 2;" >/dev/null
hub_flow env BASE="http://127.0.0.1:$port" HUB_PASS=$pw CHROMIUM="$chromium" \
  node "$here/analytics_flow.js"
