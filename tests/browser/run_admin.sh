#!/usr/bin/env bash
# run_admin.sh BUILD_DIR - starts hubd (booking and admin modules,
# temporary data) on a free loopback port, adds an admin and a staff user
# with hubctl and runs the admin console's browser flow (admin_flow.js)
# against it. Exit 77 (skipped) when chromium or playwright-core is not
# installed (run `npm ci` here), or 1 when HUB_REQUIRE_BROWSER is set.
set -euo pipefail
build=$(cd "${1:?usage: run_admin.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/hub_env.sh"
hub_browser_ready
hub_workdir hub-admin-browser
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
[webhooks]
allow_private = true
[ratelimit]
login = 100/min
booking = 1000/min
api = 10000/min
admin = 10000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna Becker:anna@example.com,Jonas Weber:jonas@example.com
[module.admin]
path = admin.so
[module.analytics]
path = analytics.so
CONF
printf 'pw-root-Secret12\n' | "$build/core/hubctl" -c "$work/hub.conf" user add root --role admin >/dev/null 2>&1
printf 'pw-staff-Secret12\n' | "$build/core/hubctl" -c "$work/hub.conf" user add sam --role staff >/dev/null 2>&1
hub_start
hub_flow env BASE="http://127.0.0.1:$port" ADMIN_USER=root ADMIN_PASS=pw-root-Secret12 \
  STAFF_USER=sam STAFF_PASS=pw-staff-Secret12 \
  CHROMIUM="$chromium" node "$here/admin_flow.js"
