#!/usr/bin/env python3
"""soak.py BUILD_DIR MINUTES [CLIENTS] - mixed traffic against a real hubd
for MINUTES and its resident memory over time (not part of CI).

CLIENTS (default 8) signed-in staff clients each loop over: week views
(GET /api/v1/slots), bookings on free slots, cancellations, booking lists,
customer searches, and a fresh login every 200 requests. A sampler reads
VmRSS of hubd every 10 s. Prints one line per sample and a summary:
start, after warm-up (2 min, or a fifth of the run when shorter), peak,
end, growth after warm-up, requests, rate, 5xx.

Env: SOAK_THREADS (hubd worker threads, default 32), SOAK_KEEP=1 keeps the
working directory, SOAK_IDLE_ONLY=1 only measures idle RSS (after 10 s).
"""
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
MINUTES = float(sys.argv[2]) if len(sys.argv) > 2 else 10
CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 8
THREADS = int(os.environ.get("SOAK_THREADS", "32"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", "ops"))
from hubrun import free_port  # noqa: E402

CONF = """[server]
listen = 127.0.0.1:{port}
data_dir = {work}/data
module_dir = {build}/modules
threads = {threads}
log_file = {work}/hubd.log
bootstrap_admin = false
[calendar]
backend = local
[ratelimit]
login = 100000/min
booking = 1000000/s
api = 1000000/s
admin = 100000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna Becker:anna@example.com,Jonas Weber:jonas@example.com,\
Lea Schmidt:lea@example.com
plan.Anna Becker = mon-fri 09:00-17:00
plan.Jonas Weber = mon-fri 09:00-17:00
plan.Lea Schmidt = mon-fri 09:00-17:00
[module.admin]
path = admin.so
[module.analytics]
path = analytics.so
required = false
"""

FIRST = ["Anna", "Jörg", "Müller", "Ömer", "Lena", "Paul", "Sara", "Till"]
LAST = ["Schmidt", "Özdemir", "Weiß", "Becker", "Groß", "Klein", "Hahn"]


def rss_kb(pid, field="VmRSS:"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, port, stats, lock):
        self.port, self.stats, self.lock = port, stats, lock
        self.conn = None
        self.cookie = self.csrf = ""
        self.mine = []

    def req(self, method, path, body=None):
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=30)
                h = {"Cookie": self.cookie}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    h["Content-Type"] = "application/json"
                    h["X-CSRF-Token"] = self.csrf
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                out = r.read()
                with self.lock:
                    self.stats["requests"] += 1
                    if r.status >= 500:
                        self.stats["5xx"] += 1
                sc = r.getheader("Set-Cookie")
                if sc and sc.startswith("hub_session="):
                    self.cookie = sc.split(";")[0]
                return r.status, out
            except (OSError, http.client.HTTPException):
                self.conn = None
                with self.lock:
                    self.stats["errors"] += 1
        return 0, b""

    def login(self):
        st, out = self.req("POST", "/api/v1/auth/login",
                           {"username": "soak", "password": PW})
        if st == 200:
            self.csrf = json.loads(out).get("csrf_token", "")

    def week(self):
        d = date.today() + timedelta(days=random.randint(1, 20))
        d -= timedelta(days=d.weekday())
        st, out = self.req("GET", "/api/v1/slots?from=%s&to=%s" %
                           (d, d + timedelta(days=4)))
        if st != 200:
            return []
        days = json.loads(out).get("days", [])
        return [s["start"] for dd in days for s in dd.get("slots", [])
                if s.get("free", 0) > 0]

    def step(self, i):
        if i % 200 == 0:
            self.login()
        op = random.random()
        if op < 0.35:
            free = self.week()
            if free and random.random() < 0.5:
                st, out = self.req("POST", "/api/v1/bookings", {
                    "start": random.choice(free),
                    "first_name": random.choice(FIRST),
                    "last_name": random.choice(LAST),
                    "description": "soak", "allow_duplicate": True})
                if st == 201:
                    self.mine.append(json.loads(out)["id"])
        elif op < 0.5 and self.mine:
            bid = self.mine.pop(random.randrange(len(self.mine)))
            self.req("POST", "/api/v1/bookings/%s/cancel" % bid,
                     {"reason": "soak"})
        elif op < 0.75:
            d = date.today()
            self.req("GET", "/api/v1/bookings?from=%s&to=%s&limit=50" %
                     (d, d + timedelta(days=21)))
        elif op < 0.9:
            self.req("GET", "/api/v1/customers?q=" +
                     random.choice(["sch", "oz", "wei", "m%C3%BC", "k"]))
        else:
            self.req("GET", "/health/live")

    def run(self, until):
        i = 0
        while time.monotonic() < until:
            self.step(i)
            i += 1


PW = "Soak-Passw0rd-2026"


def main():
    work = tempfile.mkdtemp(prefix="hub-soak-")
    port = free_port()
    conf = os.path.join(work, "hub.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(port=port, work=work, build=BUILD,
                            threads=THREADS))
        # SOAK_CONF: extra "[section] key = value" lines, ';'-separated
        for line in filter(None, os.environ.get("SOAK_CONF", "").split(";")):
            f.write(line.strip().replace("] ", "]\n", 1) + "\n")
    hubctl = os.path.join(BUILD, "core/hubctl")
    subprocess.run([hubctl, "-c", conf, "user", "add", "soak", "--role",
                    "staff"], input=PW + "\n", text=True, check=True,
                   capture_output=True)
    proc = subprocess.Popen([os.path.join(BUILD, "core/hubd"), "-c", conf],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/health/live")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(10)
        idle = rss_kb(proc.pid)
        print("idle RSS after start: %.1f MB (%d worker threads)" %
              (idle / 1024, THREADS), flush=True)
        if os.environ.get("SOAK_IDLE_ONLY"):
            return 0
        stats = {"requests": 0, "5xx": 0, "errors": 0}
        lock = threading.Lock()
        t0 = time.monotonic()
        until = t0 + MINUTES * 60
        clients = [Client(port, stats, lock) for _ in range(CLIENTS)]
        ths = [threading.Thread(target=c.run, args=(until,), daemon=True)
               for c in clients]
        for t in ths:
            t.start()
        samples = []
        warm = min(120.0, MINUTES * 60 / 5)
        while time.monotonic() < until:
            time.sleep(10)
            el = time.monotonic() - t0
            r = rss_kb(proc.pid)
            samples.append((el, r))
            with lock:
                n = stats["requests"]
            print("t=%5.0fs rss=%6.1f MB (anon %.1f, file %.1f) "
                  "requests=%d" % (el, r / 1024,
                                   rss_kb(proc.pid, "RssAnon:") / 1024,
                                   rss_kb(proc.pid, "RssFile:") / 1024, n),
                  flush=True)
        for t in ths:
            t.join(35)
        secs = time.monotonic() - t0
        time.sleep(20)
        print("idle RSS 20 s after the load: %.1f MB" %
              (rss_kb(proc.pid) / 1024), flush=True)
        after = [r for t, r in samples if t >= warm] or [samples[-1][1]]
        # RSS swings by the 16 MiB of each login's yescrypt buffer, so the
        # trend compares medians: the 5 minutes after warm-up and the last
        # 5 minutes of load
        span = min(300.0, max(10.0, (MINUTES * 60 - warm) / 3))
        first = [r for t, r in samples if warm <= t < warm + span]
        last = [r for t, r in samples if t >= MINUTES * 60 - span]
        if first and last:
            print("trend: median %.1f MB in the %.0f s after warm-up, "
                  "%.1f MB in the last %.0f s (growth %.1f MB)" %
                  (statistics.median(first) / 1024, span,
                   statistics.median(last) / 1024, span,
                   (statistics.median(last) - statistics.median(first)) /
                   1024), flush=True)
        peak = max(r for _, r in samples)
        print("summary: idle %.1f MB, after warm-up (%.0f s) %.1f MB, "
              "end %.1f MB, growth after warm-up %.1f MB, peak %.1f MB; "
              "%d requests in %.0f s (%.0f/s), 5xx %d, transport errors %d"
              % (idle / 1024, warm, after[0] / 1024, samples[-1][1] / 1024,
                 (samples[-1][1] - after[0]) / 1024, peak / 1024,
                 stats["requests"], secs, stats["requests"] / secs,
                 stats["5xx"], stats["errors"]), flush=True)
        return 0
    finally:
        proc.terminate()
        proc.wait(30)
        if os.environ.get("SOAK_KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
