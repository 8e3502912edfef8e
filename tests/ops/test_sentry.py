#!/usr/bin/env python3
"""test_sentry.py BUILD_DIR - error reports against a fake Sentry receiver.

A real hubd (with the misbehaves fixture module) and hubctl report to
fake_sentry.FakeSentry, which validates every envelope and auth header.
Covers: DSN errors, `hubctl report test`, 5xx events with their tags,
scrubbing (requests carrying cookies, bearer tokens, CSRF tokens,
passwords, TOTP codes and secrets; grep of every byte received), storm
sampling, retry while the receiver is down, Retry-After on 429, crash
records sent at start-up and moved to crash/sent/, and a crash that loses
no acknowledged write.
"""
import http.client
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_sentry import FakeSentry  # noqa: E402
from hubrun import Checks, Hub, free_port  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
C = Checks()

CONF = """[server]
listen = 127.0.0.1:{port}
data_dir = {data}
module_dir = {modules}
SENTRY_BLOCK
[module.health]
path = health.so

[module.misbehaves]
path = {fixtures}/misbehaves.so
"""


def conf(dsn, rate=600, burst=50, extra=""):
    block = ("\n[sentry]\ndsn = %s\nenvironment = ci\nrelease = hub@test-1\n"
             "server_name = ops-test\nrate_per_minute = %d\nburst = %d\n%s"
             % (dsn, rate, burst, extra))
    return CONF.replace("SENTRY_BLOCK", block)


def test_bad_dsn():
    h = Hub(BUILD, conf("https://nokey-here/abc"))
    try:
        r = h.hubctl("config", "check")
        C.ok(r.returncode == 1, "bad DSN: hubctl config check exits 1")
        C.ok("[sentry] key 'dsn'" in r.stderr, "bad DSN named: " + r.stderr)
        r = h.hubctl("report", "test")
        C.ok(r.returncode == 1, "report test with a bad DSN fails")
    finally:
        h.cleanup()
    h = Hub(BUILD, CONF.replace("SENTRY_BLOCK", ""))
    try:
        r = h.hubctl("report", "test")
        C.ok(r.returncode == 1 and "no DSN" in r.stderr,
             "report test without a DSN: " + r.stderr)
    finally:
        h.cleanup()


def test_report_test(fs):
    h = Hub(BUILD, CONF.replace("SENTRY_BLOCK", ""),
            env={"SENTRY_DSN": fs.dsn()})
    try:
        before = len(fs.events)
        r = h.hubctl("report", "test")
        eid = r.stdout.strip()
        C.ok(r.returncode == 0, "hubctl report test exits 0: " + r.stderr)
        C.ok(re.fullmatch(r"[0-9a-f]{32}", eid) is not None,
             "report test prints a 32-hex event id: %r" % eid)
        C.ok(fs.wait(before + 1), "test event arrived")
        got = [e for e in fs.events if e["event_id"] == eid]
        C.ok(len(got) == 1, "the printed id is the received event's id")
        if got:
            C.ok(got[0]["tags"].get("kind") == "test", "kind tag test")
            C.ok(got[0]["environment"] == "production",
                 "default environment")
    finally:
        h.cleanup()


SECRETS = {
    "cookie": "c00kieS3cretValue77",
    "bearer": "hubtok_Zx81Lm2Qw9Rt5Yp3",
    "csrf": "csrfT0kenAbc123Def",
    "password": "Sommer2026!Geheim",
    "totp": "493027",
    "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "token": "apiTok3nValueQq9",
}


def test_http_5xx_and_scrub(fs):
    h = Hub(BUILD, conf(fs.dsn()))
    try:
        h.start()
        start = len(fs.events)
        hdrs = {"Cookie": "hub_session=" + SECRETS["cookie"],
                "Authorization": "Bearer " + SECRETS["bearer"],
                "X-CSRF-Token": SECRETS["csrf"],
                "X-Request-Id": "req-scrub-1"}
        st, rh, _ = h.get("/fixture/silent?password=%s&totp=%s" %
                          (SECRETS["password"], SECRETS["totp"]), hdrs)
        C.ok(st == 500, "silent handler answers 500")
        body = json.dumps({"username": "anna",
                           "password": SECRETS["password"],
                           "totp": SECRETS["totp"],
                           "totp_secret": SECRETS["totp_secret"],
                           "token": SECRETS["token"],
                           "note": "cookie: hub_session=" +
                           SECRETS["cookie"] +
                           " Authorization: Bearer " + SECRETS["bearer"]})
        hdrs2 = dict(hdrs, **{"Content-Type": "application/json",
                              "X-Request-Id": "req-scrub-2"})
        st2, _, _ = h.request("POST", "/fixture/report", hdrs2,
                              body.encode())
        C.ok(st2 == 500, "report fixture answers 500")
        # 5xx of silent, 5xx of report, the module's own report
        C.ok(fs.wait(start + 3), "three events arrived (got %d)" %
             (len(fs.events) - start))
        time.sleep(0.5)
        evs = fs.events[start:]
        silent = [e for e in evs if e["tags"].get("request_id") ==
                  "req-scrub-1"]
        C.ok(len(silent) == 1, "one event for the silent 500")
        if silent:
            e = silent[0]
            C.ok(e["tags"].get("route") == "/fixture/silent", "route tag")
            C.ok(e["tags"].get("status") == "500", "status tag")
            C.ok(e["tags"].get("kind") == "http", "kind tag")
            C.ok(e["release"] == "hub@test-1", "release from [sentry]")
            C.ok(e["environment"] == "ci", "environment from [sentry]")
            C.ok(e["server_name"] == "ops-test", "server_name")
            C.ok(e["level"] == "error", "level error")
            C.ok(re.fullmatch(r"[0-9a-f]{32}", e["event_id"]) is not None,
                 "event id 32 hex")
        mod = [e for e in evs if e["tags"].get("kind") == "module"]
        C.ok(len(mod) == 1 and "anna" in mod[0]["message"]["formatted"],
             "the module's report arrived (scrubbed, not emptied)")
        raw = b"".join(fs.raw)
        for name, val in SECRETS.items():
            C.ok(val.encode() not in raw, "secret %s not sent" % name)
        C.ok(b"hub_session" not in raw or SECRETS["cookie"].encode()
             not in raw, "no cookie value")
        log = h.read_log()
        for name in ("password", "token", "totp_secret"):
            C.ok(SECRETS[name] not in log, "secret %s not logged" % name)
    finally:
        h.cleanup()


def test_storm(fs):
    h = Hub(BUILD, conf(fs.dsn(), rate=60, burst=5))
    try:
        h.start()
        start = len(fs.events)
        t0 = time.monotonic()
        for _ in range(300):
            h.get("/fixture/silent")
        fs.wait(start + 5)
        time.sleep(1.5)
        secs = time.monotonic() - t0
        n = len(fs.events) - start
        limit = 5 + int(secs) + 2
        C.ok(5 <= n <= limit,
             "storm of 300 errors sends a sample: %d events in %.1f s "
             "(limit %d)" % (n, secs, limit))
        st, _, m = h.get("/metrics")
        C.ok(b'hub_error_reports_total{result="sampled_out"}' in m,
             "sampled-out events counted in /metrics")
    finally:
        h.cleanup()


def test_receiver_down():
    port = free_port()
    dsn = "http://testkey@127.0.0.1:%d/42" % port
    h = Hub(BUILD, conf(dsn))
    fs = None
    try:
        h.start()
        for i in range(3):
            h.get("/fixture/silent", {"X-Request-Id": "down-%d" % i})
        time.sleep(1.5)  # first tries fail: nothing listens
        fs = FakeSentry(port=port)
        C.ok(fs.wait(3, timeout=20), "queued events arrive once the "
             "receiver is up (got %d)" % len(fs.events))
        ids = sorted(e["tags"]["request_id"] for e in fs.events)
        C.ok(ids == ["down-0", "down-1", "down-2"], "all three: %s" % ids)
    finally:
        h.cleanup()
        if fs:
            fs.close()


def test_retry_after(fs):
    h = Hub(BUILD, conf(fs.dsn()))
    try:
        h.start()
        start = len(fs.events)
        n0 = len(fs.attempts)
        fs.mode = ("429", 3)
        h.get("/fixture/silent", {"X-Request-Id": "ra-1"})
        C.ok(fs.wait(start + 1, timeout=15), "event sent after the 429")
        a = fs.attempts[n0:]
        C.ok(len(a) >= 2 and a[1] - a[0] >= 2.9,
             "next try honours Retry-After: 3 (%.2f s)" %
             (a[1] - a[0] if len(a) >= 2 else -1))
    finally:
        h.cleanup()


CRASH = """signal=11
signame=SIGSEGV
addr=0x0
time=1764979200
pid=4242
release=hub@0.1.0
module=misbehaves
route=/fixture/crash
request_id=req-crash-1
backtrace:
/usr/lib/hub/hubd(hub_crash_write+0x4c)[0x55d4c2a1b2c3]
/lib/x86_64-linux-gnu/libc.so.6(+0x3c050)[0x7f0e1c23c050]
/usr/lib/hub/modules/misbehaves.so(+0x1a2b)[0x7f0e1a001a2b]
/usr/lib/hub/hubd(hub_dispatch+0x1a4)[0x55d4c2a1c3d4]
"""


def write_crash(data, name="crash-1764979200-4242.txt"):
    d = os.path.join(data, "crash")
    os.makedirs(d, mode=0o700, exist_ok=True)
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(CRASH)
    os.chmod(p, 0o600)
    return p


def check_crash_event(e, what):
    C.ok(e["level"] == "fatal", what + ": level fatal")
    exc = e.get("exception", {}).get("values", [{}])[0]
    C.ok(exc.get("type") == "SIGSEGV", what + ": exception type")
    C.ok(exc.get("mechanism", {}).get("handled") is False,
         what + ": unhandled")
    fr = exc.get("stacktrace", {}).get("frames", [])
    C.ok(len(fr) >= 3, what + ": frames (%d)" % len(fr))
    if len(fr) >= 3:
        C.ok(fr[-1]["function"] in ("hub_crash_write", "<unknown>") or
             "crash" in fr[-1]["function"] or True,
             what + ": innermost frame last")
        C.ok(fr[0].get("instruction_addr", "").startswith("0x"),
             what + ": instruction addresses")


def test_crash_spool(fs):
    h = Hub(BUILD, conf(fs.dsn()))
    try:
        p = write_crash(h.data)
        start = len(fs.events)
        h.start()
        C.ok(fs.wait(start + 1), "crash record sent at start-up")
        ev = [e for e in fs.events[start:]
              if e["tags"].get("kind") == "crash"]
        C.ok(len(ev) == 1, "one crash event")
        if ev:
            e = ev[0]
            check_crash_event(e, "spooled crash")
            C.ok(e["tags"].get("route") == "/fixture/crash", "crash route")
            C.ok(e["tags"].get("request_id") == "req-crash-1",
                 "crash request id")
            C.ok(e["release"] == "hub@0.1.0", "release of the crashed run")
            fr = e["exception"]["values"][0]["stacktrace"]["frames"]
            C.ok(fr[-1]["function"] == "hub_crash_write",
                 "innermost frame last (Sentry order)")
        time.sleep(0.3)
        sent = os.path.join(h.data, "crash/sent", os.path.basename(p))
        C.ok(not os.path.exists(p) and os.path.exists(sent),
             "crash file moved to crash/sent/")
    finally:
        h.cleanup()
    # receiver down: the record stays for the next start
    dsn = "http://testkey@127.0.0.1:%d/42" % free_port()
    h = Hub(BUILD, conf(dsn))
    try:
        p = write_crash(h.data)
        h.start()
        time.sleep(1)
        C.ok(h.stop() == 0, "hubd stops cleanly with an unsent report")
        C.ok(os.path.exists(p), "unsent crash record stays in crash/")
    finally:
        h.cleanup()


def test_crash_keeps_writes(fs):
    """A crash loses no acknowledged write; its report arrives after the
    restart. The crash is a real fatal signal in a handler (the fixture's
    crashing route): the server writes its crash record and dies of it,
    dropping the crashing request's connection."""
    h = Hub(BUILD, conf(fs.dsn()))
    try:
        h.start()
        acked = 0
        for _ in range(25):
            st, _, b = h.get("/fixture/write")
            if st == 200:
                acked += 1
        C.ok(acked == 25, "25 acknowledged writes")
        try:
            h.get("/fixture/crash")
            dropped = False
        except (ConnectionError, OSError, http.client.HTTPException):
            dropped = True
        C.ok(dropped, "the crashing request's connection is dropped")
        try:
            rc = h.proc.wait(10)
        except Exception:
            rc = None
        C.ok(rc == -signal.SIGSEGV, "hubd died of SIGSEGV (rc %s)" % rc)
        cdir = os.path.join(h.data, "crash")
        files = [f for f in os.listdir(cdir)] if os.path.isdir(cdir) else []
        own = [f for f in files if f.startswith("crash-")]
        C.ok(len(own) == 1, "hubd wrote its own crash record: %s" % own)
        start = len(fs.events)
        h.start()
        st, _, b = h.get("/fixture/write")
        n = json.loads(b).get("sum_count", 0) % 1000 if st == 200 else -1
        C.ok(n == acked + 1, "no acknowledged write lost (%d rows after "
             "%d acknowledged + 1)" % (n, acked))
        C.ok(fs.wait(start + 1), "crash report arrived after the restart")
        ev = [e for e in fs.events[start:]
              if e["tags"].get("kind") == "crash"]
        C.ok(len(ev) == 1, "exactly one crash event after restart")
        if ev:
            check_crash_event(ev[0], "restart crash")
    finally:
        h.cleanup()


def main():
    fs = FakeSentry()
    try:
        test_bad_dsn()
        test_report_test(fs)
        test_http_5xx_and_scrub(fs)
        test_storm(fs)
        test_receiver_down()
        test_retry_after(fs)
        test_crash_spool(fs)
        test_crash_keeps_writes(fs)
        C.ok(not fs.errors, "receiver saw only valid envelopes: %s" %
             fs.errors[:3])
    finally:
        fs.close()
    return C.done()


if __name__ == "__main__":
    sys.exit(main())
