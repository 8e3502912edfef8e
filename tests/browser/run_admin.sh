#!/usr/bin/env bash
# run_admin.sh BUILD_DIR - starts hubd (booking and admin modules,
# temporary data) on a free loopback port, adds an admin and a staff user
# with hubctl and runs the admin console's browser flow (admin_flow.js)
# against it. Exit 77 (skipped) when chromium or playwright-core is not
# installed (run `npm ci` here), or 1 when HUB_REQUIRE_BROWSER is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_admin.sh BUILD_DIR}" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium || ! -d $here/node_modules/playwright-core ]]; then
  echo "browser test cannot run: needs $chromium and 'npm ci' in $here" >&2
  [[ -n ${HUB_REQUIRE_BROWSER:-} ]] && exit 1
  exit 77
fi
work=$(mktemp -d /tmp/hub-admin-browser-XXXXXX)
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
"$build/core/hubd" -c "$work/hub.conf" >"$work/hubd.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && break
  sleep 0.1
done
rc=0
BASE="http://127.0.0.1:$port" ADMIN_USER=root ADMIN_PASS=pw-root-Secret12 \
  STAFF_USER=sam STAFF_PASS=pw-staff-Secret12 \
  CHROMIUM="$chromium" node "$here/admin_flow.js" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "---- hubd log ----" >&2
  grep -v '"msg":"access"' "$work/hubd.log" | tail -40 >&2 || true
fi
exit $rc
