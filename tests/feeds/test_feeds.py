#!/usr/bin/python3
"""Calendar feeds end to end: a real hubd with the booking module, users
made with hubctl, bookings made over HTTP, and the feed parsed by an
independent iCalendar parser (Debian's python3-icalendar) and checked
against the bookings: one VEVENT per booking of the user from 30 days back,
stable UIDs, start and end equal to the bookings' (time zone data
included), STATUS:CANCELLED for cancelled ones, ETag/304, rotation, 404s.

Usage: test_feeds.py HUBD HUBCTL MODULE_DIR
"""
import datetime
import json
import os
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

import icalendar

HUBD, HUBCTL, MODULES = sys.argv[1:4]
BERLIN = ZoneInfo("Europe/Berlin")
PUBLIC = "https://hub.example.test:8443/"
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


class Hub:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hub-feeds-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "hub.conf")
        with open(self.conf, "w") as f:
            f.write(f"""[server]
listen = 127.0.0.1:{self.port}
data_dir = {self.dir}/data
module_dir = {MODULES}
timezone = Europe/Berlin
bootstrap_admin = false
public_url = {PUBLIC}
[calendar]
backend = local
[ratelimit]
login = 1000/min
booking = 100000/min
api = 100000/min
admin = 100000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna:anna@example.com,Ben:ben@example.com
grid = mon-fri 09:00 11:00 14:00 16:00 18:00
""")
        self.log = open(os.path.join(self.dir, "hubd.log"), "w")
        self.proc = subprocess.Popen([HUBD, "-c", self.conf],
                                     stdout=self.log, stderr=self.log)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/health/live", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("hubd did not start")

    def user(self, name, role):
        subprocess.run([HUBCTL, "-c", self.conf, "user", "add", name,
                        "--role", role], input=f"pw-{name}-Secret1\n",
                       text=True, check=True, capture_output=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(20)
        self.log.close()
        return rc


class Session:
    def __init__(self, hub, name):
        self.hub = hub
        self.cookie = ""
        self.csrf = ""
        st, body, hdr = self.req("POST", "/api/v1/auth/login",
                                 {"username": name,
                                  "password": f"pw-{name}-Secret1"})
        assert st == 200, (st, body)
        self.cookie = hdr["Set-Cookie"].split(";")[0]
        self.csrf = json.loads(body)["csrf_token"]

    def req(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
            if method != "GET":
                h["X-CSRF-Token"] = self.csrf
        url = path if path.startswith("http") else self.hub.base + path
        r = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(r, timeout=10) as res:
                return res.status, res.read().decode(), res.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def json(self, method, path, body=None):
        st, text, _ = self.req(method, path, body)
        return st, (json.loads(text) if text else None)


def anon(hub, path, headers=None):
    r = urllib.request.Request(hub.base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=10) as res:
            return res.status, res.read(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def workdays(n):
    """The next n Monday-to-Thursday dates from 3 days ahead."""
    d = datetime.date.today() + datetime.timedelta(days=3)
    out = []
    while len(out) < n:
        if d.weekday() < 4 and not (d.month == 12 and d.day in (24, 25, 26, 31)) \
                and not (d.month == 1 and d.day == 1):
            out.append(d)
        d += datetime.timedelta(days=1)
    return out


def slot(d, hh):
    return datetime.datetime(d.year, d.month, d.day, hh, 0,
                             tzinfo=BERLIN).isoformat()


def feed_events(hub, url):
    """Fetches a feed URL (public_url replaced by the test's base)."""
    check(url.startswith(PUBLIC.rstrip("/") + "/feeds/"), "url uses public_url")
    path = url[len(PUBLIC.rstrip("/")):]
    st, body, hdr = anon(hub, path)
    check(st == 200, f"feed status {st}")
    check(hdr.get("Content-Type", "").startswith("text/calendar"),
          "feed content type")
    cal = icalendar.Calendar.from_ical(body)
    return cal, body, hdr, path


def main():
    hub = Hub()
    try:
        run(hub)
    finally:
        rc = hub.stop()
        check(rc == 0, "hubd exit code")
        shutil.rmtree(hub.dir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run(hub):
    for name, role in (("alice", "staff"), ("bob", "staff"),
                       ("root", "admin"), ("carol", "consultant")):
        hub.user(name, role)
    alice, bob, root = (Session(hub, n) for n in ("alice", "bob", "root"))
    st, cons = root.json("GET", "/api/v1/consultants")
    anna = [c["id"] for c in cons["items"] if c["name"] == "Anna"][0]
    st, _ = root.json("PATCH", "/api/v1/admin/users/carol",
                      {"consultant_id": anna})
    check(st == 200, f"link carol to Anna: {st}")
    carol = Session(hub, "carol")

    days = workdays(4)
    made = {}
    for i, (d, hh, who, cons_name) in enumerate([
            (days[0], 9, alice, "Anna"), (days[1], 11, alice, "Ben"),
            (days[2], 14, alice, None), (days[3], 16, bob, "Anna")]):
        body = {"start": slot(d, hh), "first_name": "Jürgen",
                "last_name": f"Müller, {i}; \\x", "description": "line1\nline2"}
        if cons_name:
            body["consultant"] = cons_name
        st, b = who.json("POST", "/api/v1/bookings", body)
        check(st == 201, f"booking {i}: {st} {b}")
        made[b["id"]] = b
    ids = list(made)
    st, b = alice.json("POST", f"/api/v1/bookings/{ids[1]}/cancel",
                       {"reason": "sick"})
    check(st == 200, "cancel")
    made[ids[1]] = b
    st, b = alice.json("POST", f"/api/v1/bookings/{ids[2]}/reschedule",
                       {"start": slot(days[2], 16)})
    check(st == 200, "reschedule")
    made[ids[2]] = b

    # unauthenticated and bogus
    check(anon(hub, "/api/v1/auth/me/feed")[0] == 401, "feed url needs login")
    check(anon(hub, "/feeds/" + "0" * 64 + ".ics")[0] == 404, "unknown token")
    check(anon(hub, "/feeds/nonsense.ics")[0] == 404, "malformed token")

    st, j = alice.json("GET", "/api/v1/auth/me/feed")
    check(st == 200, "GET me/feed")
    url = j["url"]
    st, j2 = alice.json("GET", "/api/v1/auth/me/feed")
    check(j2["url"] == url, "the URL is stable")

    cal, body, hdr, path = feed_events(hub, url)
    tz = [c for c in cal.walk("VTIMEZONE")]
    check(len(tz) == 1 and str(tz[0]["TZID"]) == "Europe/Berlin",
          "VTIMEZONE Europe/Berlin")
    rules = {c.name: c for c in tz[0].subcomponents}
    check("DAYLIGHT" in rules and "STANDARD" in rules, "DST rules")
    check(rules["DAYLIGHT"]["RRULE"]["BYMONTH"] == [3] and
          rules["STANDARD"]["RRULE"]["BYMONTH"] == [10], "DST months")
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    mine = [i for i in ids if made[i]["booked_by"] == "alice"]
    check(len(events) == len(mine), f"alice sees her {len(mine)} bookings")
    for i in mine:
        uid = f"booking-{i}@hub.example.test"
        e = events.get(uid)
        check(e is not None, f"UID {uid}")
        if e is None:
            continue
        b = made[i]
        start = datetime.datetime.fromisoformat(b["start"])
        end = datetime.datetime.fromisoformat(b["end"])
        ds, de = e["DTSTART"].dt, e["DTEND"].dt
        check(ds == start and de == end, f"times of {i}: {ds} {de} vs {start} {end}")
        check(e["DTSTART"].params.get("TZID") == "Europe/Berlin", "TZID param")
        check(str(e["STATUS"]) == ("CANCELLED" if b["status"] == "cancelled"
                                   else "CONFIRMED"), f"status of {i}")
        check(str(e["SUMMARY"]) == f"{b['last_name']}, {b['first_name']}",
              f"summary of {i}: {e['SUMMARY']}")
        check("line1\nline2" in str(e["DESCRIPTION"]), "description")
    check(all(len(l) <= 75 for l in body.split(b"\r\n")), "folded lines")

    # ETag and 304
    etag = hdr["ETag"]
    st, _, _ = anon(hub, path, {"If-None-Match": etag})
    check(st == 304, f"304 with the ETag: {st}")
    st, b = alice.json("POST", f"/api/v1/bookings/{ids[0]}/cancel",
                       {"reason": "moved"})
    made[ids[0]] = b
    st, body2, hdr2 = anon(hub, path, {"If-None-Match": etag})
    check(st == 200 and hdr2["ETag"] != etag, "a change changes the ETag")
    e = {str(x["UID"]): x for x in
         icalendar.Calendar.from_ical(body2).walk("VEVENT")}
    check(str(e[f"booking-{ids[0]}@hub.example.test"]["STATUS"]) ==
          "CANCELLED", "cancelled one marked")

    # consultants: their appointments, whoever booked them
    st, j = carol.json("GET", "/api/v1/auth/me/feed")
    ccal, _, _, carol_path = feed_events(hub, j["url"])
    uids = sorted(str(x["UID"]) for x in ccal.walk("VEVENT"))
    want = sorted(f"booking-{i}@hub.example.test" for i in ids
                  if made[i].get("consultant") == "Anna")
    check(uids == want and len(want) == 2, f"carol's feed {uids} vs {want}")

    # rotation: old URL gone, new one works, audited
    st, j = alice.json("POST", "/api/v1/auth/me/feed/rotate")
    check(st == 200 and j["url"] != url, "rotate gives a new URL")
    check(anon(hub, path)[0] == 404, "old URL is gone")
    feed_events(hub, j["url"])
    st, a = root.json("GET", "/api/v1/admin/audit?action=feed.rotate")
    check(st == 200 and len(a["items"]) == 1, "rotation audited")

    # a disabled user's feed stops
    st, _ = root.json("PATCH", "/api/v1/admin/users/carol", {"disabled": True})
    check(st == 200, "disable carol")
    check(anon(hub, carol_path)[0] == 404, "disabled user's feed is gone")
    check(anon(hub, j["url"][len(PUBLIC.rstrip("/")):])[0] == 200,
          "alice still served")
    st, j = bob.json("GET", "/api/v1/auth/me/feed")
    bcal, _, _, _ = feed_events(hub, j["url"])
    check(len(list(bcal.walk("VEVENT"))) == 1, "bob sees only his booking")


if __name__ == "__main__":
    sys.exit(main())
