#!/usr/bin/env bash
# scripts/deps.sh GROUP... - makes sure the Debian packages of each group
# are installed. As root it installs what is missing with apt-get; as
# anyone else it prints the exact command to run and fails.
#
# Groups: build (compile and run hubd), test (the test suite), browser
# (the page tests: chromium), scale (PostgreSQL, Redis, nginx).
set -euo pipefail

pkgs_build="build-essential cmake pkg-config ca-certificates tzdata
  libcivetweb-dev libmbedtls-dev libcjson-dev libsqlite3-dev
  libcurl4-openssl-dev liboath-dev libinih-dev libcrypt-dev libqrencode-dev
  libjs-chart.js libxml2-dev libical-dev libsystemd-dev"
pkgs_test="clang libclang-rt-14-dev oathtool wrk openssl sqlite3 curl
  clang-format python3 python3-icalendar radicale"
# operations tests: unit analysis, promtool, nginx + slowloris, the package
pkgs_ops="systemd prometheus nginx slowhttptest debhelper dpkg-dev fakeroot
  lintian debootstrap"
pkgs_browser="chromium nodejs npm"
pkgs_scale="postgresql redis-server nginx libpq-dev libhiredis-dev"

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
[[ ${#missing[@]} -eq 0 ]] && exit 0

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
