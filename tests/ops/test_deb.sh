#!/usr/bin/env bash
# tests/ops/test_deb.sh [DEB] - the Debian package on a clean Debian root:
# builds it (scripts/package-deb.sh, lintian without errors) unless DEB is
# given, installs it with apt into a minbase bookworm chroot (debootstrap,
# cached under /var/cache/hub-test-root; needs root and Debian's archive),
# checks the files, the user, the conffile and the unit, starts hubd from
# the installed files as user hub and expects /health/ready 200 and the
# pages (/auth/, /ui/ui.js, /booking/) served from the installed folders.
# Slow (package build ~3-5 min, first debootstrap a few minutes): ctest
# label "package".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "test_deb: needs root (chroot)"; exit 77; }
for t in debootstrap chroot curl; do command -v $t >/dev/null || { echo "test_deb: $t missing"; exit 1; }; done
work=$(mktemp -d /tmp/hub-debtest-XXXXXX)
root=$work/root
pid=""
fails=0; passes=0
ok() { if eval "$2"; then passes=$((passes+1)); else echo "FAIL: $1"; fails=$((fails+1)); fi; }
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && sleep 1
  for m in proc dev/pts dev; do mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

deb=${1:-}
if [[ -z $deb ]]; then
  deb=$("$src/scripts/package-deb.sh" "$work/out" 2>"$work/pkg.log" | tail -1) ||
    { cat "$work/pkg.log"; exit 1; }
fi
ok "package built: $deb" '[[ -f $deb ]]'
ok "lintian: no errors" '! grep -q "^E: " "$work/pkg.log" 2>/dev/null'

cache=/var/cache/hub-test-root/bookworm
if [[ ! -x $cache/usr/bin/apt-get ]]; then
  mkdir -p "$(dirname "$cache")"
  debootstrap --variant=minbase bookworm "$cache.new" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  mv "$cache.new" "$cache"
fi
cp -a "$cache" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/hub.deb"
chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/hub.deb' >"$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log"; exit 1; }

ok "hubd installed" '[[ -x $root/usr/bin/hubd && -x $root/usr/bin/hubctl ]]'
ok "modules installed" '[[ -f $root/usr/lib/hub/modules/booking.so && -f $root/usr/lib/hub/modules/health.so ]]'
ok "module pages reachable from the module folder" '[[ -f $root/usr/lib/hub/modules/booking/web/index.html ]]'
ok "core pages" '[[ -d $root/usr/share/hub/web/auth && -f $root/usr/share/hub/web/ui/ui.js ]]'
ok "unit installed" 'grep -q "^Type=notify" "$root/lib/systemd/system/hub.service"'
ok "conffile" 'chroot "$root" dpkg-query --showformat="\${Conffiles}" -W hub | grep -q /etc/hub/plugins.conf'
ok "hub system user" 'chroot "$root" getent passwd hub | grep -q "/var/lib/hub"'
ok "/var/lib/hub 0700 hub" '[[ $(chroot "$root" stat -c "%a %U" /var/lib/hub) == "700 hub" ]]'
ok "plugins.conf 0640 root:hub" '[[ $(chroot "$root" stat -c "%a %U %G" /etc/hub/plugins.conf) == "640 root hub" ]]'
ok "guides" '[[ -f $root/usr/share/doc/hub/OPERATIONS.md.gz || -f $root/usr/share/doc/hub/OPERATIONS.md ]]'
ok "samples" '[[ -f $root/usr/share/doc/hub/examples/nginx-hub.conf && -f $root/etc/logrotate.d/hub ]]'

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ok "configuration check" 'chroot "$root" runuser -u hub -- /usr/bin/hubd -c /etc/hub/plugins.conf --check >"$work/check.log" 2>&1'
chroot "$root" env HUB_LISTEN=127.0.0.1:$port runuser -u hub -- /usr/bin/hubd -c /etc/hub/plugins.conf >"$work/hubd.log" 2>&1 &
pid=$!
code=000
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)
  [[ $code == 200 ]] && break
  sleep 0.2
done
ok "/health/ready 200 from the installed files (got $code)" '[[ $code == 200 ]]'
for p in /auth/ /ui/ui.js /booking/; do
  c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$p" || true)
  ok "$p served (got $c)" '[[ $c == 200 ]]'
done
ok "database in /var/lib/hub, owned by hub" '[[ $(chroot "$root" stat -c %U /var/lib/hub/hub.db) == hub ]]'
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
[[ $fails -eq 0 ]] || { echo "--- hubd log"; tail -20 "$work/hubd.log"; }
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]
