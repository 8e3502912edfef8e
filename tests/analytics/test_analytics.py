#!/usr/bin/env python3
"""test_analytics.py BUILD_DIR - the analytics API against a real hubd.

A generated history in the old system's format (tests/bench/gen_history.py,
Dec 2025 - Apr 2027: both DST changes of 2026 and ISO week 2026-W53) is
imported with `hubctl import-json`; a third of it is then assigned to
consultants with plain SQL on the SQLite file (so the rollup triggers see
updates too). Every figure the API gives is compared with one computed
here, in Python, from the generated records with zoneinfo -- not by
running the module's SQL again. Also: previous-period boundaries, empty
periods, access per role, bad query values (422 naming the field), CSV,
figures right after a booking, cancellation and outcome change over the
API, and the no-show gauge on /metrics.
"""
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import gen_history  # noqa: E402

ZONE = ZoneInfo("Europe/Berlin")
PASSED = 0
FAILED = 0


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print("FAIL: " + what, file=sys.stderr)


def close(a, b, eps=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= eps


# ================================================================ server

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Hub:
    def __init__(self, build):
        self.build = build
        self.work = tempfile.mkdtemp(prefix="hub-analytics-")
        self.port = free_port()
        self.conf = os.path.join(self.work, "hub.conf")
        self.proc = None
        with open(self.conf, "w") as f:
            f.write(f"""[server]
listen = 127.0.0.1:{self.port}
data_dir = {self.work}/data
module_dir = {build}/modules
threads = 8
bootstrap_admin = false
log_file = {self.work}/hubd.log
[calendar]
backend = local
[ratelimit]
login = 1000/min
booking = 10000/min
api = 100000/min
admin = 10000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna:anna@example.com,Ben:ben@example.com,Cora:cora@example.com
[module.analytics]
path = analytics.so
""")

    def ctl(self, *args, stdin=None):
        r = subprocess.run([os.path.join(self.build, "core", "hubctl"), "-c",
                            self.conf] + list(args), input=stdin,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("hubctl %s: %s" % (args, r.stderr))
        return r.stdout

    def start(self):
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "core", "hubd"), "-c", self.conf],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.req("GET", "/health/live")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("hubd did not come up")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def req(self, method, path, body=None, session=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        if session:
            h["Cookie"] = session["cookie"]
            if method != "GET":
                h["X-CSRF-Token"] = session["csrf"]
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        ctype = r.getheader("Content-Type") or ""
        if ctype.startswith("application/json"):
            return r.status, json.loads(data), r
        return r.status, data.decode(), r

    def login(self, user, pw):
        st, body, r = self.req("POST", "/api/v1/auth/login",
                               {"username": user, "password": pw})
        if st != 200:
            raise RuntimeError("login %s: %s %s" % (user, st, body))
        cookie = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
        return {"cookie": cookie[0].split(";")[0], "csrf": body["csrf_token"]}


# ============================================================ expectation

def local_date(utc):
    return dt.datetime.fromtimestamp(utc, ZONE).date()


def kind(r):
    return r["outcome"]  # appeared, no_show, cancelled, pending


def figures(recs):
    n = len(recs)
    ap = sum(1 for r in recs if kind(r) == "appeared")
    ns = sum(1 for r in recs if kind(r) == "no_show")
    ca = sum(1 for r in recs if kind(r) == "cancelled")
    lead = sum(r["slot_utc"] - r["created_utc"] for r in recs)
    return {"bookings": n, "appeared": ap, "no_show": ns, "cancelled": ca,
            "pending": n - ap - ns - ca,
            "appearance_rate": ap / (ap + ns) if ap + ns else None,
            "no_show_rate": ns / (ap + ns) if ap + ns else None,
            "lead_time_days_avg": lead / n / 86400 if n else None}


def in_period(hist, a, b, pred=None):
    return [r for r in hist if a <= r["day"] <= b and (not pred or pred(r))]


def same_figures(got, want, what):
    for k in ("bookings", "appeared", "no_show", "cancelled", "pending"):
        check(got.get(k) == want[k], "%s: %s %s != %s" % (
            what, k, got.get(k), want[k]))
    for k in ("appearance_rate", "no_show_rate"):
        check(close(got.get(k), want[k]), "%s: %s %s != %s" % (
            what, k, got.get(k), want[k]))
    # naive old timestamps in the repeated autumn hour are read as the
    # first occurrence: allow an hour over the whole period
    lead = want["lead_time_days_avg"]
    eps = 1 / 24 / max(1, want["bookings"]) * 3 + 1e-9
    check(close(got.get("lead_time_days_avg"), lead, eps),
          "%s: lead %s != %s" % (what, got.get("lead_time_days_avg"), lead))


# ================================================================ checks

def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


def check_summaries(hub, admin, hist):
    periods = [("2026-03-23", "2026-04-05"), ("2026-10-19", "2026-11-01"),
               ("2026-12-21", "2027-01-10"), ("2025-12-01", "2027-04-15"),
               ("2026-01-01", "2026-12-31"), ("2026-06-15", "2026-06-15")]
    for a, b in periods:
        da, db = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
            "from": a, "to": b}), session=admin)
        check(st == 200, "summary %s..%s: %s" % (a, b, st))
        if st != 200:
            continue
        check(s["from"] == a and s["to"] == b, "summary echoes the period")
        same_figures(s, figures(in_period(hist, da, db)), "summary %s" % a)
        length = (db - da).days + 1
        pa, pb = da - dt.timedelta(days=length), da - dt.timedelta(days=1)
        p = s["previous"]
        check(p["from"] == pa.isoformat() and p["to"] == pb.isoformat(),
              "previous period %s..%s for %s..%s" % (p["from"], p["to"], a, b))
        same_figures(p, figures(in_period(hist, pa, pb)), "previous of %s" % a)
        for cat in ("top", "callback"):
            st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
                "from": a, "to": b, "category": cat}), session=admin)
            same_figures(s, figures(in_period(
                hist, da, db, lambda r: r["category"] == cat)),
                "summary %s category %s" % (a, cat))
    # booker filter, and booker with consultant (read from the bookings)
    a, b = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
        "from": a, "to": b, "booker": "jürgen.k"}), session=admin)
    same_figures(s, figures(in_period(
        hist, a, b, lambda r: r["user"] == "jürgen.k")), "booker filter")
    st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
        "from": a, "to": b, "booker": "agent02", "consultant": 2,
        "category": "normal"}), session=admin)
    same_figures(s, figures(in_period(
        hist, a, b, lambda r: r["user"] == "agent02" and r["cons"] == 2
        and r["category"] == "normal")), "booker+consultant+category")
    # an empty period
    st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
        "from": "2020-01-01", "to": "2020-01-31"}), session=admin)
    check(st == 200 and s["bookings"] == 0 and s["appearance_rate"] is None
          and s["no_show_rate"] is None and s["lead_time_days_avg"] is None
          and s["previous"]["bookings"] == 0, "empty period: zeros, nulls")
    # the default period: the 30 days up to today
    today = dt.datetime.now(ZONE).date()
    st, s, _ = hub.req("GET", "/api/v1/analytics/summary", session=admin)
    check(s["to"] == today.isoformat() and s["from"] ==
          (today - dt.timedelta(days=29)).isoformat(), "default period")
    same_figures(s, figures(in_period(
        hist, today - dt.timedelta(days=29), today)), "default period")
    week = in_period(hist, today - dt.timedelta(days=6), today)
    f = figures(week)
    check(close(s["alert"]["no_show_rate"
                           "_7d"], f["no_show_rate"]) and
          s["alert"]["threshold"] == 0.2 and
          s["alert"]["active"] == (f["no_show_rate"] is not None and
                                   f["no_show_rate"] > 0.2),
          "alert: %s vs %s" % (s["alert"], f["no_show_rate"]))
    return f["no_show_rate"]


def check_trend(hub, admin, hist):
    a, b = dt.date(2026, 12, 21), dt.date(2027, 1, 10)
    st, t, _ = hub.req("GET", q("/api/v1/analytics/trend", **{
        "from": a, "to": b}), session=admin)
    weeks = [w["week"] for w in t["items"]]
    check(weeks == ["2026-W52", "2026-W53", "2027-W01"],
          "trend weeks across the year end: %s" % weeks)
    for w in t["items"]:
        want = figures([r for r in in_period(hist, a, b)
                        if "%d-W%02d" % r["day"].isocalendar()[:2] ==
                        w["week"]])
        for k in ("bookings", "appeared", "no_show"):
            check(w[k] == want[k], "trend %s %s %s != %s" % (
                w["week"], k, w[k], want[k]))
        check(close(w["appearance_rate"], want["appearance_rate"]),
              "trend %s rate" % w["week"])
    w53 = [w for w in t["items"] if w["week"] == "2026-W53"]
    check(w53 and w53[0]["start"] == "2026-12-28" and w53[0]["bookings"] ==
          len(in_period(hist, dt.date(2026, 12, 28), dt.date(2027, 1, 3))),
          "2026-W53 is 28 Dec 2026 - 3 Jan 2027")
    # the DST weeks: the week's bookings counted once, on local days
    for a, b in (("2026-03-23", "2026-03-29"), ("2026-10-19", "2026-10-25"),
                 ("2026-10-26", "2026-11-01"), ("2026-03-30", "2026-04-05")):
        st, t, _ = hub.req("GET", q("/api/v1/analytics/trend", **{
            "from": a, "to": b}), session=admin)
        want = in_period(hist, dt.date.fromisoformat(a),
                         dt.date.fromisoformat(b))
        check(len(t["items"]) == 1 and t["items"][0]["bookings"] ==
              len(want), "DST week %s: %s vs %d" % (a, t["items"], len(want)))


def check_heatmap(hub, admin, hist):
    for a, b in (("2026-01-01", "2026-12-31"), ("2026-03-23", "2026-04-05"),
                 ("2026-10-19", "2026-11-01")):
        da, db = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        st, h, _ = hub.req("GET", q("/api/v1/analytics/heatmap", **{
            "from": a, "to": b}), session=admin)
        want = {}
        for r in in_period(hist, da, db):
            loc = dt.datetime.fromtimestamp(r["slot_utc"], ZONE)
            want.setdefault((loc.isoweekday(), loc.strftime("%H:%M")),
                            []).append(r)
        got = {(c["weekday"], c["time"]): c for c in h["cells"]}
        check(set(got) == set(want), "heatmap %s cells: %s vs %s" % (
            a, sorted(set(got) ^ set(want))[:5], len(want)))
        for key, recs in want.items():
            f = figures(recs)
            c = got.get(key, {})
            check(c.get("bookings") == f["bookings"] and
                  c.get("no_show") == f["no_show"] and
                  close(c.get("appearance_rate"), f["appearance_rate"]),
                  "heatmap %s cell %s" % (a, key))


def check_lists(hub, admin, hist):
    a, b = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    st, bl, _ = hub.req("GET", q("/api/v1/analytics/bookers", **{
        "from": a, "to": b}), session=admin)
    recs = in_period(hist, a, b)
    names = sorted({r["user"] for r in recs})
    got = {i["booker"]: i for i in bl["items"]}
    check(sorted(got) == names, "bookers listed")
    for n in names:
        f = figures([r for r in recs if r["user"] == n])
        g = got.get(n, {})
        check(g.get("bookings") == f["bookings"] and
              g.get("appeared") == f["appeared"] and
              g.get("no_show") == f["no_show"] and
              close(g.get("appearance_rate"), f["appearance_rate"]),
              "booker %s" % n)
    st, csv, r = hub.req("GET", q("/api/v1/analytics/bookers", **{
        "from": a, "to": b, "format": "csv"}), session=admin)
    lines = csv.strip().split("\r\n")
    check(st == 200 and r.getheader("Content-Type").startswith("text/csv")
          and lines[0].startswith("booker,bookings") and
          len(lines) == len(names) + 1, "bookers CSV")
    st, cl, _ = hub.req("GET", q("/api/v1/analytics/consultants", **{
        "from": a, "to": b}), session=admin)
    got = {i["id"]: i for i in cl["items"]}
    for cid in (1, 2, 3, None):
        f = figures([r for r in recs if r["cons"] == (cid or 0)])
        check(got.get(cid, {}).get("bookings") == f["bookings"],
              "consultants list %s" % cid)
    for cid in (1, 2, 3):
        st, c, _ = hub.req("GET", q("/api/v1/analytics/consultants/%d" % cid,
                                    **{"from": a, "to": b}), session=admin)
        same_figures(c, figures([r for r in recs if r["cons"] == cid]),
                     "consultant %d" % cid)
        pa, pb = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
        same_figures(c["previous"], figures(in_period(
            hist, pa, pb, lambda r: r["cons"] == cid)),
            "consultant %d previous" % cid)


def check_access(hub, admin, staff, cons, hist):
    a, b = "2026-01-01", "2026-12-31"
    for path in ("summary", "bookers", "heatmap", "trend", "consultants",
                 "consultants/1"):
        st, body, _ = hub.req("GET", q("/api/v1/analytics/" + path, **{
            "from": a, "to": b}), session=staff)
        check(st == 403, "staff gets 403 on %s (%s)" % (path, st))
        st, body, _ = hub.req("GET", "/api/v1/analytics/" + path)
        check(st == 401, "anonymous gets 401 on %s (%s)" % (path, st))
    # the consultant user is linked to consultant 2 (Ben)
    da, db = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    own = in_period(hist, da, db, lambda r: r["cons"] == 2)
    st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
        "from": a, "to": b}), session=cons)
    check(st == 200, "consultant reads the summary")
    same_figures(s, figures(own), "consultant's summary narrowed")
    st, s, _ = hub.req("GET", q("/api/v1/analytics/consultants/2", **{
        "from": a, "to": b}), session=cons)
    check(st == 200, "consultant reads their own figures")
    st, s, _ = hub.req("GET", q("/api/v1/analytics/consultants/1", **{
        "from": a, "to": b}), session=cons)
    check(st == 403, "consultant gets 403 for another's (%s)" % st)
    st, s, _ = hub.req("GET", q("/api/v1/analytics/summary", **{
        "from": a, "to": b, "consultant": 3}), session=cons)
    check(st == 403, "consultant's summary of another: 403 (%s)" % st)
    st, bl, _ = hub.req("GET", q("/api/v1/analytics/bookers", **{
        "from": a, "to": b}), session=cons)
    check(sum(i["bookings"] for i in bl["items"]) == len(own),
          "consultant's bookers narrowed")
    st, cl, _ = hub.req("GET", q("/api/v1/analytics/consultants", **{
        "from": a, "to": b}), session=cons)
    check([i["id"] for i in cl["items"]] == [2], "consultant's list: self")
    st, h, _ = hub.req("GET", q("/api/v1/analytics/heatmap", **{
        "from": a, "to": b}), session=cons)
    check(sum(c["bookings"] for c in h["cells"]) == len(own),
          "consultant's heatmap narrowed")
    st, t, _ = hub.req("GET", q("/api/v1/analytics/trend", **{
        "from": a, "to": b}), session=cons)
    check(sum(w["bookings"] for w in t["items"]) == len(own),
          "consultant's trend narrowed")


def check_bad_values(hub, admin):
    cases = [({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
             ({"from": "2026-13-01"}, "from"), ({"from": "2026-02-30"}, "from"),
             ({"to": "2026-2-3"}, "to"), ({"to": "yesterday"}, "to"),
             ({"from": "2000-01-01", "to": "2026-01-01"}, "to"),
             ({"consultant": "99"}, "consultant"),
             ({"consultant": "abc"}, "consultant"),
             ({"category": "Top Kunde"}, "category"),
             ({"format": "xml"}, "format")]
    for path in ("summary", "heatmap", "trend", "bookers"):
        for params, field in cases:
            st, body, _ = hub.req("GET", q("/api/v1/analytics/" + path,
                                           **params), session=admin)
            msg = body.get("error", {}).get("message", "") \
                if isinstance(body, dict) else ""
            check(st == 422 and "'%s'" % field in msg,
                  "%s %s: 422 naming %s (%s %s)" % (path, params, field, st,
                                                    msg))
    st, body, _ = hub.req("GET", "/api/v1/analytics/consultants/99",
                          session=admin)
    check(st == 404, "unknown consultant id: 404 (%s)" % st)


def check_live(hub, admin, staff, hist):
    """Figures right after a booking, a cancellation, an outcome change."""
    day = dt.datetime.now(ZONE).date() + dt.timedelta(days=14)
    day += dt.timedelta(days=(7 - day.weekday()) % 7)  # a Monday
    path = q("/api/v1/analytics/summary", **{"from": day, "to": day})
    before = hub.req("GET", path, session=admin)[1]
    start = None
    for hh in (9, 11, 14, 16, 18, 20):
        loc = dt.datetime(day.year, day.month, day.day, hh, tzinfo=ZONE)
        st, b, _ = hub.req("POST", "/api/v1/bookings", {
            "start": loc.isoformat(), "first_name": "Ödön",
            "last_name": "Live"}, session=staff)
        if st == 201:
            start = b
            break
    check(start is not None, "a booking made over the API")
    if not start:
        return
    after = hub.req("GET", path, session=admin)[1]
    check(after["bookings"] == before["bookings"] + 1 and
          after["pending"] == before["pending"] + 1, "booking counted at once")
    # an outcome change: a past imported booking that appeared
    past = [r for r in hist if r["outcome"] == "appeared"][-1]
    pday = past["day"]
    ppath = q("/api/v1/analytics/summary", **{"from": pday, "to": pday})
    pbefore = hub.req("GET", ppath, session=admin)[1]
    st, lst, _ = hub.req("GET", q("/api/v1/bookings", **{
        "from": pday, "to": pday, "limit": 1000}), session=admin)
    ids = [b["id"] for b in lst["items"] if b["start"].startswith(
        pday.isoformat()) and b["outcome"] == "appeared"]
    st, _, _ = hub.req("POST", "/api/v1/bookings/%d/outcome" % ids[0],
                       {"outcome": "no_show"}, session=admin)
    now = hub.req("GET", ppath, session=admin)[1]
    check(st == 200 and now["no_show"] == pbefore["no_show"] + 1 and
          now["appeared"] == pbefore["appeared"] - 1 and
          now["bookings"] == pbefore["bookings"],
          "outcome counted at once (%s)" % st)
    st, _, _ = hub.req("POST", "/api/v1/bookings/%d/cancel" % start["id"],
                       {"reason": "test"}, session=staff)
    now = hub.req("GET", path, session=admin)[1]
    check(st == 200 and now["cancelled"] == before["cancelled"] + 1 and
          now["no_show"] == before["no_show"] and
          now["bookings"] == before["bookings"] + 1,
          "cancellation counted at once (%s)" % st)


def check_metrics(hub, rate):
    st, text, _ = hub.req("GET", "/metrics")
    lines = [ln for ln in text.split("\n")
             if ln.startswith("hub_noshow_rate_7d ")]
    check(len(lines) == 1 and close(float(lines[0].split()[1]), rate or 0.0,
                                    1e-9),
          "gauge hub_noshow_rate_7d: %s vs %s" % (lines, rate))
    check("# TYPE hub_noshow_rate_7d gauge" in text, "gauge typed")
    active = [ln for ln in text.split("\n")
              if ln.startswith("hub_noshow_alert_active")]
    want = 1 if rate is not None and rate > 0.2 else 0
    check(len(active) == 0 and want == 0 or
          (len(active) == 1 and float(active[0].split()[1]) == want),
          "alert gauge %s (want %d)" % (active, want))


# ================================================================== main

def assign_consultants(hub, hist):
    """Gives two thirds of the history to consultants 1..3 (by SQL, as a
    data fix would); the rest stays with none."""
    db = sqlite3.connect(os.path.join(hub.work, "data", "hub.db"))
    rows = []
    for i, r in enumerate(hist):
        r["cons"] = i % 4 if i % 4 else 0
        if r["cons"]:
            rows.append((r["cons"], r["id"]))
    db.executemany("UPDATE booking_bookings SET consultant_id = ? "
                   "WHERE legacy_id = ?", rows)
    db.commit()
    db.close()


def main():
    build = os.path.abspath(sys.argv[1])
    hub = Hub(build)
    ok = False
    try:
        today = dt.datetime.now(ZONE).date()
        hist = gen_history.generate(dt.date(2025, 12, 1), 500, 4000, 12, 7,
                                    today)
        for r in hist:
            r["day"] = local_date(r["slot_utc"])
        gen_history.write(os.path.join(hub.work, "old"), hist, 7)
        pw = "pw-analytics-Secret1\n"
        hub.ctl("user", "add", "boss", "--role", "admin", stdin=pw)
        hub.ctl("user", "add", "desk", "--role", "staff", stdin=pw)
        hub.ctl("user", "add", "ben", "--role", "consultant", stdin=pw)
        hub.ctl("import-json", os.path.join(hub.work, "old"))
        hub.start()
        admin = hub.login("boss", pw.strip())
        # the consultants exist once booking has run; assign history
        hub.req("GET", "/api/v1/consultants", session=admin)
        assign_consultants(hub, hist)
        st, _, _ = hub.req("PATCH", "/api/v1/admin/users/ben",
                           {"consultant_id": 2}, session=admin)
        check(st == 200, "consultant user linked (%s)" % st)
        staff = hub.login("desk", pw.strip())
        cons = hub.login("ben", pw.strip())
        rate = check_summaries(hub, admin, hist)
        check_trend(hub, admin, hist)
        check_heatmap(hub, admin, hist)
        check_lists(hub, admin, hist)
        check_access(hub, admin, staff, cons, hist)
        check_bad_values(hub, admin)
        check_metrics(hub, rate)
        check_live(hub, admin, staff, hist)
        ok = FAILED == 0
    finally:
        hub.stop()
        if ok:
            shutil.rmtree(hub.work, ignore_errors=True)
        else:
            print("kept " + hub.work, file=sys.stderr)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 0 if FAILED == 0 and PASSED > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
