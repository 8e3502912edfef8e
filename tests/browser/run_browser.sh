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
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_browser.sh BUILD_DIR [SCRIPT]}" && pwd)
script=${2:-booking_flow.js}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium || ! -d $here/node_modules/playwright-core ]]; then
  echo "browser test cannot run: needs $chromium and 'npm ci' in $here" >&2
  # HUB_REQUIRE_BROWSER (set by test.sh in CI): missing is a failure
  [[ -n ${HUB_REQUIRE_BROWSER:-} ]] && exit 1
  exit 77
fi
work=$(mktemp -d /tmp/hub-browser-XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 30000))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
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
"$build/core/hubd" -c "$work/hub.conf" >"$work/hubd.out" 2>&1 &
pid=$!
up=
for _ in $(seq 1 600); do   # up to 60 s on a loaded machine
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
if [[ -z $up ]]; then
  echo "hubd did not start on port $port" >&2
  cat "$work/hubd.out" >&2 || true
  exit 1
fi
rc=0
BASE="http://127.0.0.1:$port" HUB_USER=browser HUB_PASS=pw-browser-Secret1 \
  CHROMIUM="$chromium" node "$here/$script" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "---- hubd log ----" >&2
  grep -v '"msg":"access"' "$work/hubd.log" | tail -40 >&2 || true
fi
exit $rc
