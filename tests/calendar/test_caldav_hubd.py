#!/usr/bin/python3
"""The caldav backend inside a real hubd with the booking module, against a
real Radicale started here (free loopback port, throwaway folder, plain
htpasswd auth): consultants' collections give availability by the marker
rule ("T1 bereit" events; a COLOR:red event does not block, a COLOR:blue
one does), and a booking is written to the central collection as one
calendar object carrying the booking's key, updated in place on cancel.

Usage: test_caldav_hubd.py HUBD HUBCTL MODULE_DIR
"""
import base64
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

HUBD, HUBCTL, MODULES = sys.argv[1:4]
BERLIN = ZoneInfo("Europe/Berlin")
AUTH = "Basic " + base64.b64encode(b"hub:hub-secret").decode()
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what, file=sys.stderr)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http(method, url, body=None, headers=None):
    data = body.encode() if isinstance(body, str) else body
    r = urllib.request.Request(url, data=data, method=method,
                               headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=10) as res:
            return res.status, res.read().decode(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def workday():
    d = datetime.date.today() + datetime.timedelta(days=3)
    while d.weekday() >= 4 or (d.month == 12 and d.day in (24, 25, 26, 31)) \
            or (d.month == 1 and d.day == 1):
        d += datetime.timedelta(days=1)
    return d


def local(d, hh):
    return datetime.datetime(d.year, d.month, d.day, hh, 0, tzinfo=BERLIN)


def ics(uid, summary, start, end, extra=""):
    f = "%Y%m%dT%H%M%SZ"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"SUMMARY:{summary}\r\n"
            f"DTSTART:{start.astimezone(datetime.timezone.utc).strftime(f)}\r\n"
            f"DTEND:{end.astimezone(datetime.timezone.utc).strftime(f)}\r\n"
            f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def main():
    tmp = tempfile.mkdtemp(prefix="hub-caldav-")
    dav_port, hub_port = free_port(), free_port()
    dav = f"http://127.0.0.1:{dav_port}"
    base = f"http://127.0.0.1:{hub_port}"
    with open(f"{tmp}/users", "w") as f:
        f.write("hub:hub-secret\n")
    with open(f"{tmp}/pw", "w") as f:
        f.write("hub-secret\n")
    with open(f"{tmp}/radicale.conf", "w") as f:
        f.write(f"[server]\nhosts = 127.0.0.1:{dav_port}\n[auth]\n"
                f"type = htpasswd\nhtpasswd_filename = {tmp}/users\n"
                "htpasswd_encryption = plain\n[storage]\n"
                f"filesystem_folder = {tmp}/collections\n"
                "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n")
    rad = subprocess.Popen(["radicale", "--config", f"{tmp}/radicale.conf"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hub = None
    try:
        ok = False
        for _ in range(100):
            try:
                if http("PROPFIND", dav + "/hub/", None,
                        {"Authorization": AUTH, "Depth": "0"})[0] == 207:
                    ok = True
                    break
            except Exception:
                pass
            time.sleep(0.1)
        if not ok:
            raise SystemExit("radicale did not start")
        A = {"Authorization": AUTH}
        for c in ("anna", "ben", "central"):
            check(http("MKCALENDAR", f"{dav}/hub/{c}/", None, A)[0] == 201,
                  f"MKCALENDAR {c}")
        d = workday()
        put = lambda c, uid, text: http(
            "PUT", f"{dav}/hub/{c}/{uid}.ics", text,
            dict(A, **{"Content-Type": "text/calendar"}))[0]
        check(put("anna", "m1", ics("m1", "T1 bereit", local(d, 8),
                                    local(d, 13))) == 201, "marker anna")
        check(put("anna", "r1", ics("r1", "Zahnarzt", local(d, 9),
                                    local(d, 10), "COLOR:red\r\n")) == 201,
              "red event")
        check(put("anna", "b1", ics("b1", "Termin extern", local(d, 11),
                                    local(d, 12), "COLOR:blue\r\n")) == 201,
              "blue event")
        check(put("ben", "m2", ics("m2", "T1 bereit", local(d, 14),
                                   local(d, 16))) == 201, "marker ben")

        conf = f"{tmp}/hub.conf"
        with open(conf, "w") as f:
            f.write(f"""[server]
listen = 127.0.0.1:{hub_port}
data_dir = {tmp}/data
module_dir = {MODULES}
timezone = Europe/Berlin
bootstrap_admin = false
[calendar]
backend = caldav
caldav_url = {dav}/
caldav_username = hub
caldav_password_file = {tmp}/pw
central_calendar_id = hub/central
sync_interval_s = 10
[ratelimit]
login = 1000/min
booking = 100000/min
api = 100000/min
admin = 100000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna:hub/anna,Ben:hub/ben
grid = mon-fri 09:00 11:00 14:00
""")
        log = open(f"{tmp}/hubd.log", "w")
        hub = subprocess.Popen([HUBD, "-c", conf], stdout=log, stderr=log)
        for _ in range(200):
            try:
                if http("GET", base + "/health/live")[0] == 200:
                    break
            except Exception:
                time.sleep(0.1)
        subprocess.run([HUBCTL, "-c", conf, "user", "add", "alice", "--role",
                        "staff"], input="pw-alice-Secret1\n", text=True,
                       check=True, capture_output=True)
        st, body, hdr = http("POST", base + "/api/v1/auth/login",
                             json.dumps({"username": "alice",
                                         "password": "pw-alice-Secret1"}),
                             {"Content-Type": "application/json"})
        check(st == 200, "login")
        S = {"Cookie": hdr["Set-Cookie"].split(";")[0],
             "X-CSRF-Token": json.loads(body)["csrf_token"],
             "Content-Type": "application/json"}

        # availability from the mirrored collections (first sync takes up
        # to the ids and sync job periods)
        ds = d.isoformat()
        want = {"09:00": ["Anna"], "11:00": [], "14:00": ["Ben"]}
        got = None
        for _ in range(90):
            st, body, _ = http("GET", f"{base}/api/v1/slots?from={ds}&to={ds}",
                               None, S)
            slots = json.loads(body)["days"][0]["slots"]
            got = {s["start"][11:16]: sorted(s["consultants"]) for s in slots}
            if got == want:
                break
            time.sleep(1)
        check(got == want, f"availability {got} vs {want}")

        # a booking reaches the central collection, once
        st, body, _ = http("POST", base + "/api/v1/bookings", json.dumps(
            {"start": local(d, 9).isoformat(), "first_name": "Eva",
             "last_name": "Müller", "consultant": "Anna"}), S)
        check(st == 201, f"booking {st} {body}")
        bid = json.loads(body)["id"]

        def central():
            st, body, _ = http("PROPFIND", f"{dav}/hub/central/", None,
                               dict(A, Depth="1"))
            return re.findall(r"/hub/central/([^<]+\.ics)", body)

        items = []
        for _ in range(60):
            items = central()
            if items:
                break
            time.sleep(0.5)
        check(len(items) == 1, f"one central event: {items}")
        if items:
            st, text, _ = http("GET", f"{dav}/hub/central/{items[0]}", None, A)
            start = local(d, 9).astimezone(datetime.timezone.utc)
            check(f"X-HUB-KEY:booking-{bid}" in text, "event carries the key")
            check("SUMMARY:Müller\\, Eva" in text, "summary")
            check("DTSTART:" + start.strftime("%Y%m%dT%H%M%SZ") in text,
                  "start time")
            st, body, _ = http("POST", f"{base}/api/v1/bookings/{bid}/cancel",
                               json.dumps({"reason": "krank"}), S)
            check(st == 200, "cancel")
            changed = False
            for _ in range(60):
                st, text2, _ = http("GET", f"{dav}/hub/central/{items[0]}",
                                    None, A)
                if text2 != text:
                    changed = True
                    break
                time.sleep(0.5)
            check(changed and len(central()) == 1,
                  "cancel updates the same object")
        st, body, _ = http("GET", base + "/health")
        calendar = json.loads(body)["checks"]["calendar"]
        check(calendar["status"] == "ok" and "caldav" in calendar["detail"],
              f"health {calendar}")
    finally:
        if hub:
            hub.send_signal(signal.SIGTERM)
            check(hub.wait(20) == 0, "hubd exit code")
        rad.send_signal(signal.SIGTERM)
        rad.wait(20)
        if failed:
            try:
                print(open(f"{tmp}/hubd.log").read()[-3000:], file=sys.stderr)
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"calendar.caldav_hubd: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
