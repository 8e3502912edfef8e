# hub_env.sh - sourced by the run_*.sh browser runners: what each of them
# needs around its own configuration and flow script. After sourcing,
# with `build` set to the build folder:
#   hub_browser_ready       exits 77 (skip) when chromium or playwright-core
#                           is missing, 1 instead when HUB_REQUIRE_BROWSER
#   hub_workdir PREFIX      makes $work, removed (and hubd stopped) on exit
#   hub_free_port           sets $port to a free loopback port
#   hub_start               starts hubd on $work/hub.conf, waits for
#                           /health/live (60 s on a loaded machine)
#   hub_flow CMD...         runs the flow; on failure prints hubd's log;
#                           exits with the flow's status
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
work=
pid=

hub_browser_ready() {
  if [[ ! -x $chromium || ! -d $here/node_modules/playwright-core ]]; then
    echo "browser test cannot run: needs $chromium and 'npm ci' in $here" >&2
    # HUB_REQUIRE_BROWSER (set by test.sh in CI): missing is a failure
    [[ -n ${HUB_REQUIRE_BROWSER:-} ]] && exit 1
    exit 77
  fi
}

hub_cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  [[ -n $work ]] && rm -rf "$work"
}

hub_workdir() {
  work=$(mktemp -d "/tmp/$1-XXXXXX")
  trap hub_cleanup EXIT
}

hub_free_port() {
  port=
  for _ in $(seq 1 50); do
    local p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; return 0; fi
  done
  echo "no free loopback port found" >&2
  exit 1
}

hub_start() {
  "$build/core/hubd" -c "$work/hub.conf" >"$work/hubd.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "hubd did not start on port $port" >&2
  cat "$work/hubd.out" >&2 || true
  exit 1
}

hub_flow() {
  local rc=0
  "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "---- hubd log ----" >&2
    grep -v '"msg":"access"' "$work/hubd.log" | tail -40 >&2 || true
  fi
  exit $rc
}
