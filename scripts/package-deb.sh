#!/usr/bin/env bash
# scripts/package-deb.sh OUTDIR - builds the Debian package
# hub_VERSION-1_ARCH.deb into OUTDIR with debhelper (dh, compat 13) from a
# generated debian/ folder, then runs lintian on it (errors fail the build).
#
# Contents: /usr/bin/hubd and hubctl; modules in /usr/lib/hub/modules
# (their web/ folders from /usr/share/hub/modules); the core pages in
# /usr/share/hub/web; /etc/hub/plugins.conf (conffile); the hardened
# systemd unit hub.service; the `hub` system user and /var/lib/hub (0700);
# /etc/logrotate.d/hub; nginx, Prometheus and unit samples and the guides
# in /usr/share/doc/hub.
# Env: HUB_DEB_JOBS (build jobs, default 2), HUB_DEB_KEEP=1 keeps the
# staging folder.
set -euo pipefail
out=${1:?usage: package-deb.sh OUTDIR}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
for tool in dpkg-buildpackage dh lintian cmake fakeroot; do
  command -v $tool >/dev/null || { echo "package-deb: $tool missing (scripts/deps.sh test)" >&2; exit 1; }
done
version=$(sed -n 's/^project(business_hub VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d /tmp/hub-deb-XXXXXX)
cleanup() { if [[ -z ${HUB_DEB_KEEP:-} ]]; then rm -rf "$stage"; else echo "package-deb: kept $stage" >&2; fi; }
trap cleanup EXIT
pkg=$stage/hub-$version
mkdir -p "$pkg/debian/source"

# ---- the build (outside dh, so the package build is just an install)
cmake -S "$src" -B "$stage/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHUB_TEST_AREAS=none -DHUB_WERROR=OFF >"$stage/cmake.log" 2>&1 ||
  { tail -20 "$stage/cmake.log" >&2; exit 1; }
cmake --build "$stage/build" -j"${HUB_DEB_JOBS:-2}" --target hubd hubctl \
  health booking admin analytics >>"$stage/cmake.log" 2>&1 ||
  { tail -30 "$stage/cmake.log" >&2; exit 1; }

# ---- the files, in their installed places (dh_install copies them)
root=$pkg/root
install -d "$root/usr/bin" "$root/usr/lib/hub/modules" "$root/usr/share/hub/web" \
  "$root/usr/share/hub/modules" "$root/etc/hub" "$root/etc/logrotate.d" \
  "$root/usr/share/doc/hub/examples"
install -m 0755 "$stage/build/core/hubd" "$stage/build/core/hubctl" "$root/usr/bin/"
for m in health booking admin analytics; do
  install -m 0644 "$stage/build/modules/$m.so" "$root/usr/lib/hub/modules/"
  if [[ -d $src/modules/$m/web ]]; then
    install -d "$root/usr/share/hub/modules/$m" "$root/usr/lib/hub/modules/$m"
    cp -r "$src/modules/$m/web" "$root/usr/share/hub/modules/$m/web"
    ln -s "../../../../share/hub/modules/$m/web" "$root/usr/lib/hub/modules/$m/web"
  fi
done
cp -r "$src/core/web/." "$root/usr/share/hub/web/"
install -m 0640 "$src/deploy/hub.conf" "$root/etc/hub/plugins.conf"
install -m 0644 "$src/deploy/logrotate/hub" "$root/etc/logrotate.d/hub"
install -m 0644 "$src/deploy/nginx/hub.conf" "$root/usr/share/doc/hub/examples/nginx-hub.conf"
install -m 0644 "$src/deploy/prometheus/alerts.yml" "$root/usr/share/doc/hub/examples/prometheus-alerts.yml"
for d in ADMIN_GUIDE.md OPERATIONS.md SECURITY.md MODULES.md; do
  [[ -f $src/docs/$d ]] && install -m 0644 "$src/docs/$d" "$root/usr/share/doc/hub/"
done
find "$root/usr/share" -type f -exec chmod 0644 {} + 
find "$root/usr/share" -type d -exec chmod 0755 {} +

# ---- debian/
cp "$src/deploy/systemd/hub.service" "$pkg/debian/hub.service"
cat >"$pkg/debian/control" <<CTRL
Source: hub
Section: web
Priority: optional
Maintainer: Business Hub operations <ops@hub.invalid>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: hub
Architecture: any
Depends: \${shlibs:Depends}, \${misc:Depends}, adduser
Recommends: nginx
Suggests: postgresql-client
Description: Business Hub booking server
 The booking server of the office: consultants' appointment slots, bookings,
 customers and their history, Google Calendar synchronisation, user
 accounts with two-factor sign-in, and the pages staff use every day.
 .
 This package installs hubd and hubctl, the feature modules and their
 pages, a hardened systemd unit, and samples for nginx and Prometheus.
CTRL
cat >"$pkg/debian/changelog" <<LOG
hub ($version-1) bookworm; urgency=medium

  * Package built from the project's source tree.

 -- Business Hub operations <ops@hub.invalid>  $(date -R)
LOG
cat >"$pkg/debian/copyright" <<'COPY'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hub

Files: *
Copyright: Business Hub project
License: proprietary
 All rights reserved. Internal use by the operating office only.
COPY
echo "3.0 (native)" >"$pkg/debian/source/format"
cat >"$pkg/debian/rules" <<'RULES'
#!/usr/bin/make -f
# The programs are built by package-deb.sh before dh runs; dh installs the
# staged tree (root/) and does the rest (shlibs, unit, maintainer scripts).
%:
	dh $@

override_dh_auto_configure override_dh_auto_build override_dh_auto_test:

override_dh_auto_install:
	cp -a root/. debian/hub/

override_dh_installsystemd:
	dh_installsystemd --name=hub

override_dh_dwz:

override_dh_strip:
	dh_strip --no-automatic-dbgsym
RULES
chmod 0755 "$pkg/debian/rules"
cat >"$pkg/debian/hub.postinst" <<'POST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if ! getent passwd hub >/dev/null; then
        adduser --system --group --home /var/lib/hub --no-create-home \
            --gecos "Business Hub" hub
    fi
    install -d -o hub -g hub -m 0700 /var/lib/hub
    install -d -o hub -g adm -m 0750 /var/log/hub
    chown root:hub /etc/hub/plugins.conf
    chmod 0640 /etc/hub/plugins.conf
fi
#DEBHELPER#
exit 0
POST
cat >"$pkg/debian/hub.postrm" <<'RM'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
    # the data (database, backups, secret key) stays unless asked for
    echo "hub: /var/lib/hub (database, backups, secret.key) was kept; remove it by hand if wanted" >&2
    rm -rf /var/log/hub
    if getent passwd hub >/dev/null && command -v deluser >/dev/null; then
        deluser --system hub >/dev/null 2>&1 || true
    fi
fi
#DEBHELPER#
exit 0
RM
cat >"$pkg/debian/hub.lintian-overrides" <<'OVR'
# hubd and hubctl document themselves with --help and the guides
hub: no-manual-page [usr/bin/hubctl]
hub: no-manual-page [usr/bin/hubd]
# the modules' pages sit beside the modules (symlinked from /usr/share)
hub: package-contains-documentation-outside-usr-share-doc *
OVR

(cd "$pkg" && dpkg-buildpackage -b -us -uc --no-sign -d >"$stage/dpkg.log" 2>&1) ||
  { tail -40 "$stage/dpkg.log" >&2; exit 1; }
deb=$(ls "$stage"/hub_"$version"-1_"$arch".deb)
cp "$deb" "$out/"
final=$out/$(basename "$deb")
set +e
lintian --tag-display-limit 0 "$final" >"$stage/lintian.log" 2>&1
set -e
cat "$stage/lintian.log" >&2
if grep -q '^E: ' "$stage/lintian.log"; then
  echo "package-deb: lintian reported errors" >&2
  exit 1
fi
echo "$final"
