#!/usr/bin/env python3
"""test_cluster.py HUBD HUBCTL MODULE_DIR - two real hubd on one PostgreSQL
and one Redis (started by servers.sh, which exports HUB_PG_DSN,
HUB_REDIS_URL and how to restart both). Checks, over real HTTP:

  1. a login rate limit counts on both servers together (Redis);
  2. a session made on one server works on the other (PostgreSQL);
  3. a listing cached on B is dropped when a booking on A changes it,
     and shows a block an admin made on A at once;
  4. a booking storm split across both gives exactly the free places;
  5. SIGKILL of one server during a storm loses no acknowledged booking
     and the other keeps serving (no 5xx);
  6. PostgreSQL restarted under load: 503s while it is away, never a 500,
     no crash, and service again without restarting hubd;
  7. Redis stopped: no 500s, /health degraded with a "redis" check, a
     block made on A still shows in B's cached listing at once (without
     invalidations B reads the stored generation per request); Redis
     started again: healthy, shared limits again.
Prints one line per check and "cluster: N passed, N failed".
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import scalehub
from scalehub import check, login_status

HUBD, HUBCTL, MODULES = sys.argv[1:4]
LOGIN_LIMIT = 12


class Hub(scalehub.Hub):
    """A hubd on the shared PostgreSQL and Redis."""
    KEEP_REDIS_ENV = True
    TIMEOUT = 15

    def __init__(self, name, root):
        super().__init__(HUBD, HUBCTL, root, name)

    def config(self):
        return f"""[server]
listen = 127.0.0.1:{self.port}
data_dir = {self.data}
module_dir = {MODULES}
threads = 32
timezone = Europe/Berlin
bootstrap_admin = false
[storage]
backend = postgresql
dsn = {os.environ['HUB_PG_DSN']}
[redis]
url = {os.environ['HUB_REDIS_URL']}
[calendar]
backend = local
[ratelimit]
login = {LOGIN_LIMIT}/min
login_account = 100000/min
booking = 100000/min
api = 100000/min
admin = 100000/min
[module.health]
path = health.so
[module.booking]
path = booking.so
consultants = Anna:anna,Ben:ben
"""


def slots(hub, sess, day):
    st, data, _ = hub.req("GET", f"/api/v1/slots?from={day}&to={day}",
                          sess=sess)
    if st != 200:
        return {}
    out = {}
    for d in json.loads(data)["days"]:
        for s in d["slots"]:
            out[s["start"]] = s
    return out


def bookable_slots(hub, sess, want):
    """(day, [starts with free == 6]) for the first day with `want` such."""
    st, data, _ = hub.req("GET", "/api/v1/slots", sess=sess)
    days = json.loads(data)["days"] if st == 200 else []
    found = []
    for d in days:
        for s in d["slots"]:
            if s.get("free") == 6 and not s.get("blocked"):
                found.append(s["start"])
        if len(found) >= want:
            break
    return found


def book(hub, sess, start, last):
    try:
        st, data, _ = hub.req("POST", "/api/v1/bookings",
                              {"start": start, "first_name": "Hans",
                               "last_name": last}, sess=sess)
    except OSError:
        return -1, None
    bid = json.loads(data).get("id") if st == 201 else None
    if st >= 500:
        print(f"     {st} from port {hub.port}: {data[:200]}")
    return st, bid


def block(hub, sess, start):
    """Blocks the slot at `start` (an admin's session); the status."""
    st, data, _ = hub.req("POST", "/api/v1/admin/blocked-dates",
                          {"date": start[:10], "time": start[11:16],
                           "reason": "Cluster test"}, sess=sess)
    if st != 201:
        print(f"     block {start}: {st} {data[:200]}")
    return st


def storm(hubs, sess, starts, per_slot, tag):
    """Concurrent bookings of every start, per_slot each, split across
    hubs. Returns a list of (status, id, start, session)."""
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(starts) * per_slot)

    def one(i, start):
        hub = hubs[i % len(hubs)]
        barrier.wait()
        who = sess[i % len(sess)]
        st, bid = book(hub, who, start, f"{tag}{i}")
        with lock:
            results.append((st, bid, start, who))

    th = [threading.Thread(target=one, args=(i * per_slot + k, s))
          for i, s in enumerate(starts) for k in range(per_slot)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return results


def test_rate_and_session(a, b):
    # erin (admin) and alice sign in on A, bob on B: three of the budget
    st, erin = login_status(a, "erin")
    check(st == 200, "admin login on A")
    st, alice = login_status(a, "alice")
    check(st == 200, "login on A")
    st, bob = login_status(b, "bob")
    check(st == 200, "login on B")
    st, data, _ = b.req("GET", "/api/v1/auth/me", sess=alice)
    check(st == 200 and b'"alice"' in data,
          "a session made on A works on B")
    st, data, _ = a.req("GET", "/api/v1/auth/me", sess=bob)
    check(st == 200 and b'"bob"' in data, "a session made on B works on A")
    codes = [login_status((a, b)[i % 2], "carol")[0]
             for i in range(LOGIN_LIMIT + 4)]
    ok = codes.count(200)
    print(f"     logins alternating A/B: {codes}")
    check(ok == LOGIN_LIMIT - 3 and codes.count(429) == 7,
          f"login limit {LOGIN_LIMIT}/min counted on both servers "
          f"({ok} allowed after 3)")
    return alice, bob, erin


def test_invalidation_and_storm(a, b, alice, bob, erin):
    starts = bookable_slots(b, bob, 2)
    check(len(starts) >= 2, "two free slots found")
    if len(starts) < 2:
        return
    day = starts[0][:10]
    check(slots(b, bob, day)[starts[0]]["free"] == 6, "B lists 6 free")
    st, _ = book(a, alice, starts[0], "Erste")
    check(st == 201, "booking on A")
    check(slots(b, bob, day)[starts[0]]["free"] == 5,
          "B's cached listing dropped at once (Redis invalidation)")
    check(not slots(b, bob, day)[starts[1]].get("blocked"),
          "B lists the second slot open (and caches it)")
    check(block(a, erin, starts[1]) == 201, "an admin blocks it on A")
    check(slots(b, bob, day)[starts[1]].get("blocked") is True,
          "B's cached listing shows the block at once")
    res = storm([a, b], [alice, bob], [starts[0]], 60, "Storm")
    codes = [r[0] for r in res]
    print(f"     storm of 60 on 5 free: {codes.count(201)} x 201, "
          f"{codes.count(409)} x 409, others {sorted(set(codes) - {201, 409})}")
    check(codes.count(201) == 5 and codes.count(409) == 55,
          "storm across A and B: exactly the 5 free places")
    check(slots(a, alice, day)[starts[0]]["booked"] == 6
          and slots(b, bob, day)[starts[0]]["free"] == 0,
          "both servers list the slot full")


def test_sigkill(a, b, alice, bob):
    starts = bookable_slots(b, bob, 10)[2:10]
    results = []
    done = threading.Event()

    def killer():
        time.sleep(0.6)
        a.proc.send_signal(signal.SIGKILL)
        done.set()

    k = threading.Thread(target=killer)
    k.start()
    res = storm([a, b], [alice, bob], starts, 8, "Kill")
    k.join()
    a.proc.wait()
    acked = [r for r in res if r[0] == 201]
    print(f"     storm with A killed: {len(acked)} acknowledged, "
          f"statuses {sorted(set(r[0] for r in res))}")
    missing = 0
    for st, bid, _, who in acked:
        s2, _, _ = b.req("GET", f"/api/v1/bookings/{bid}", sess=who)
        if s2 != 200:
            missing += 1
    check(len(acked) > 0 and missing == 0,
          f"SIGKILL during a storm: 0 of {len(acked)} acknowledged "
          "bookings missing")
    # A's connections break (-1) when it dies; nothing answers 5xx
    b5 = [r for r in res if r[0] >= 500]
    check(not b5, "no 5xx answers during the kill")
    per_slot = {}
    for st, _, s, _ in acked:
        per_slot[s] = per_slot.get(s, 0) + 1
    check(all(n <= 6 for n in per_slot.values()),
          "no slot over capacity after the kill")
    st, _ = book(b, bob, bookable_slots(b, bob, 11)[-1], "Danach")
    check(st == 201, "B keeps serving after A was killed")
    del results


def pg_ctl(*args):
    run = os.environ.get("HUB_PG_RUN", "").split()
    return subprocess.run(run + [os.path.join(os.environ["HUB_PG_BIN"],
                                              "pg_ctl"),
                                 "-D", os.environ["HUB_PG_DIR"]] +
                          list(args), capture_output=True).returncode


def load(hub, sess, stop, codes):
    while not stop.is_set():
        try:
            st, _, _ = hub.req("GET", "/api/v1/bookings?limit=5", sess=sess,
                               timeout=10)
        except OSError:
            st = -1
        codes.append(st)
        time.sleep(0.01)


def test_pg_restart(b, bob):
    stop = threading.Event()
    codes = []
    th = [threading.Thread(target=load, args=(b, bob, stop, codes))
          for _ in range(4)]
    for t in th:
        t.start()
    time.sleep(0.5)
    check(pg_ctl("-m", "fast", "-w", "stop") == 0, "PostgreSQL stopped")
    time.sleep(2)
    during = len(codes)
    st_ready = b.req("GET", "/health/ready")[0]
    check(pg_ctl("-w", "-l", os.path.join(os.environ["HUB_SCALE_TMP"],
                                           "pg.log"), "start") == 0,
          "PostgreSQL started again")
    time.sleep(2)
    stop.set()
    for t in th:
        t.join()
    seen = sorted(set(codes))
    print(f"     statuses during the restart: {seen}, "
          f"{codes.count(503)} x 503 of {len(codes)}")
    check(503 in codes[:during] and st_ready == 503,
          "503 (and /health/ready 503) while PostgreSQL is away")
    check(500 not in codes and -1 not in codes, "no 500, no dropped request")
    check(b.proc.poll() is None, "hubd still running")
    check(codes[-1] == 200 and b.req("GET", "/api/v1/bookings?limit=1",
                                     sess=bob)[0] == 200,
          "served again without restarting hubd")


def redis_stop():
    with open(os.environ["HUB_REDIS_PIDFILE"]) as f:
        pid = int(f.read().strip())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def health(hub):
    st, data, _ = hub.req("GET", "/health")
    try:
        doc = json.loads(data)
    except ValueError:
        doc = {}
    return st, doc


def test_redis_restart(a, b, bob, erin):
    check(a.start(), "hubd A started again (after its SIGKILL)")
    st, doc = health(b)
    check(doc.get("checks", {}).get("redis", {}).get("status") == "ok",
          "/health has an ok redis check")
    check(redis_stop(), "Redis stopped")
    codes = [b.req("GET", "/api/v1/bookings?limit=1", sess=bob)[0]
             for _ in range(20)]
    codes += [login_status(b, "dave")[0] for _ in range(3)]
    check(all(c in (200, 429) for c in codes) and 500 not in codes,
          f"no 500 while Redis is down ({sorted(set(codes))})")
    st, doc = health(b)
    rs = doc.get("checks", {}).get("redis", {})
    print(f"     /health while Redis is down: {st} {doc.get('status')} "
          f"redis={rs}")
    check(doc.get("status") == "degraded" and rs.get("status") == "degraded",
          "/health degraded with the redis check")
    free = bookable_slots(b, bob, 12)
    if free:
        day = free[-1][:10]
        listed = slots(b, bob, day).get(free[-1], {})
        check(listed and not listed.get("blocked"),
              "Redis down: B lists a slot open (and caches it)")
        check(block(a, erin, free[-1]) == 201, "an admin blocks it on A")
        check(slots(b, bob, day)[free[-1]].get("blocked") is True,
              "Redis down: B's cached listing shows the block at once")
    else:
        check(False, "a free slot to block while Redis is down")
    subprocess.run(["redis-server", os.environ["HUB_REDIS_CONF"]],
                   check=False)
    ok = False
    for _ in range(50):
        time.sleep(0.2)
        st, doc = health(b)
        if doc.get("checks", {}).get("redis", {}).get("status") == "ok":
            ok = True
            break
    check(ok, "Redis back: the redis check is ok again without a restart")


def main():
    root = tempfile.mkdtemp(prefix="hub-cluster-")
    a, b = Hub("a", root), Hub("b", root)
    try:
        check(a.start(), "hubd A started on PostgreSQL + Redis")
        check(b.start(), "hubd B started on the same database")
        for name in ("alice", "bob", "carol", "dave", "erin"):
            role = "admin" if name == "erin" else "staff"
            rc, out = a.ctl("user", "add", name, "--role", role,
                             stdin=f"pw-{name}-Secret1\n")
            check(rc == 0, f"hubctl user add {name} ({out.strip()})")
        alice, bob, erin = test_rate_and_session(a, b)
        if alice and bob and erin:
            test_invalidation_and_storm(a, b, alice, bob, erin)
            test_sigkill(a, b, alice, bob)
            test_pg_restart(b, bob)
            test_redis_restart(a, b, bob, erin)
    finally:
        a.stop()
        b.stop()
        if scalehub.failed():
            for h in (a, b):
                print(f"---- {h.name} log tail")
                os.system(f"tail -15 {h.log}")
        subprocess.run(["rm", "-rf", root])
    return scalehub.report("cluster")


if __name__ == "__main__":
    sys.exit(main())
