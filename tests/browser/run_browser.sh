#!/usr/bin/env bash
# run_browser.sh BUILD_DIR [SCRIPT] - starts hubd (booking module,
# temporary data) on a free loopback port, adds users with hubctl (staff
# "browser" and "colleague", admin "boss", consultant "cons") and runs
# the browser script (default booking_flow.js) against it. Extra
# environment: HUB_RATE_API (the api class, default 10000/min),
# HUB_CONF_EXTRA (lines appended to [ratelimit]). Exit 77
# (skipped) when
# chromium or playwright-core is not installed (run `npm ci` here), or 1
# when HUB_REQUIRE_BROWSER is set.
set -euo pipefail
build=$(cd "${1:?usage: run_browser.sh BUILD_DIR [SCRIPT]}" && pwd)
script=${2:-booking_flow.js}
. "$(dirname "$0")/hub_env.sh"
hub_browser_ready
hub_workdir hub-browser
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
login_account = 100/min
booking = 1000/min
api = ${HUB_RATE_API:-10000/min}
admin = 1000/min
${HUB_CONF_EXTRA:-}
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna Becker:anna@example.com,Jonas Weber:jonas@example.com
CONF
# history from the old system: a customer with three no-shows (high risk)
"$build/core/hubctl" -c "$work/hub.conf" import-json "$here/fixtures/old" >/dev/null
for u in browser:staff colleague:staff boss:admin cons:consultant; do
  printf 'pw-browser-Secret1\n' | "$build/core/hubctl" -c "$work/hub.conf" \
    user add "${u%%:*}" --role "${u##*:}" >/dev/null 2>&1
done
hub_start
hub_flow env BASE="http://127.0.0.1:$port" HUB_USER=browser HUB_PASS=pw-browser-Secret1 \
  CHROMIUM="$chromium" node "$here/$script"
