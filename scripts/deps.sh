#!/usr/bin/env bash
# scripts/deps.sh GROUP... - makes sure the Debian packages of each group
# are installed. As root it installs what is missing with apt-get; as
# anyone else it prints the exact command to run and fails.
#
# Groups: build (compile and run hubd), test (the test suite), browser
# (the page tests: chromium), scale (PostgreSQL, Redis, nginx).
#
# Then it checks the versions of the tools that matter, not only that a
# package is there: cmake (the top-level minimum), clang (libFuzzer and
# the sanitizers), and node: at least 18 and whatever the locked
# playwright-core declares in its "engines" (tests/browser/package-lock
# .json). A version too old fails with the tool, both versions and a hint.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs_build="build-essential cmake pkg-config ca-certificates tzdata
  libcivetweb-dev libmbedtls-dev libcjson-dev libsqlite3-dev
  libcurl4-openssl-dev liboath-dev libinih-dev libcrypt-dev libqrencode-dev
  libjs-chart.js libxml2-dev libical-dev libpq-dev libhiredis-dev
  libsystemd-dev"
pkgs_test="clang libclang-rt-14-dev oathtool wrk openssl sqlite3 curl
  clang-format python3 python3-icalendar radicale git"
# operations tests: unit analysis, promtool, nginx + slowloris, the package
pkgs_ops="systemd prometheus nginx slowhttptest debhelper dpkg-dev fakeroot
  lintian debootstrap"
pkgs_browser="chromium nodejs npm"
pkgs_scale="postgresql postgresql-client redis-server redis-tools nginx
  util-linux"

want=()
for group in "$@"; do
  case "$group" in
    build) want+=($pkgs_build) ;;
    test) want+=($pkgs_test $pkgs_ops) ;;
    browser) want+=($pkgs_browser) ;;
    scale) want+=($pkgs_scale) ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  # node and npm may come from the machine image rather than Debian
  if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done

install_missing() {
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt-cache needs a fresh list on a new machine
  if [[ ! -d /var/lib/apt/lists ]] || [[ -z $(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock) ]] ||
     ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hub-apt.log 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hub-apt.log 2>&1 || {
      tail -20 /tmp/hub-apt.log >&2; exit 1; }
  fi
}

# version_ge HAVE MIN: true when dotted version HAVE >= MIN
version_ge() {
  [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1) == "$2" ]]
}

bad=0
# need TOOL HAVE MIN HINT: complains when HAVE < MIN
need() {
  if [[ -z $2 ]]; then
    echo "deps.sh: $1 not found (need >= $3). $4" >&2; bad=1
  elif ! version_ge "$2" "$3"; then
    echo "deps.sh: $1 $2 is too old (need >= $3). $4" >&2; bad=1
  fi
}

# The lowest Node version the locked playwright-core accepts (its
# "engines" field, a ">=N" range), or empty when not locked.
playwright_node_min() {
  local lock=$here/tests/browser/package-lock.json
  [[ -f $lock ]] || return 0
  python3 - "$lock" <<'PY' 2>/dev/null || true
import json, re, sys
pkgs = json.load(open(sys.argv[1])).get("packages", {})
eng = pkgs.get("node_modules/playwright-core", {}).get("engines", {})
m = re.match(r"\s*>=\s*v?([0-9][0-9.]*)\s*$", eng.get("node", ""))
print(m.group(1) if m else "")
PY
}

check_versions() {
  local group v
  for group in "$@"; do
    case "$group" in
      build)
        v=$(cmake --version 2>/dev/null | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
        need cmake "$v" 3.18 "Debian 12's cmake (3.25) is enough." ;;
      test)
        v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -1)
        need clang "$v" 14 "Debian 12's clang (14) is enough."
        v=$(git --version 2>/dev/null | sed -n 's/^git version \([0-9.]*\).*/\1/p')
        need git "$v" 2.0 "test.sh lists the sources with git ls-files." ;;
      browser)
        v=$(node --version 2>/dev/null | sed 's/^v//')
        need node "$v" 18 "Debian 12 ships Node 18."
        local pmin
        pmin=$(playwright_node_min)
        if [[ -n $pmin && -n $v ]]; then
          need node "$v" "$pmin" "tests/browser/package-lock.json pins a playwright-core that needs Node >= $pmin; pin one that supports this Node."
        fi ;;
    esac
  done
}

install_missing
check_versions "$@"
exit $bad
