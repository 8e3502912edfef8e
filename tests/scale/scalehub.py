"""scalehub.py - what the scale-out tests (test_cluster.py, test_pg_ops.py)
share: counted checks, a free loopback port, the environment a hubd of
theirs runs with, and a Hub: one real hubd process with its own folder,
port and configuration, started and stopped by pid, spoken to over HTTP.

A test makes its Hub subclass with a config() that returns the text of
hub.conf (self.port and self.data are set by then)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

_counts = {"passed": 0, "failed": 0}


def check(cond, what):
    """Prints one line for the check and counts it."""
    _counts["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + what)
    sys.stdout.flush()


def failed():
    return _counts["failed"]


def report(name):
    """Prints the totals; returns the exit code (0: something passed and
    nothing failed)."""
    print(f"{name}: {_counts['passed']} passed, {_counts['failed']} failed")
    return 0 if _counts["failed"] == 0 and _counts["passed"] > 0 else 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def clean_env(keep_redis=False):
    """This environment without what would override a hub.conf's storage
    (and Redis, unless keep_redis)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("HUB_STORAGE") and k != "HUB_DATABASE_URL"
            and (keep_redis or k != "HUB_REDIS_URL")}


class Hub:
    """One hubd with the folder root/name (data in data/), a free port and
    the configuration self.config() returns."""
    KEEP_REDIS_ENV = False
    TIMEOUT = 30

    def __init__(self, hubd, hubctl, root, name):
        self.hubd, self.hubctl, self.name = hubd, hubctl, name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "hub.conf")
        self.log = os.path.join(self.dir, "hubd.log")
        with open(self.conf, "w") as f:
            f.write(self.config())
        self.proc = None

    def config(self):
        raise NotImplementedError

    def env(self):
        return clean_env(self.KEEP_REDIS_ENV)

    def start(self):
        """Starts hubd; True once /health/live answers 200 (30 s at most),
        False when it exits or never answers."""
        with open(self.log, "a") as logf:
            self.proc = subprocess.Popen([self.hubd, "-c", self.conf],
                                         stdout=logf,
                                         stderr=subprocess.STDOUT,
                                         env=self.env())
        for _ in range(300):
            try:
                if self.req("GET", "/health/live")[0] == 200:
                    return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def stop(self):
        """SIGTERM, then SIGKILL after 20 s; nothing when not running."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def req(self, method, path, body=None, sess=None, client=None,
            timeout=None):
        """One request on a new connection: (status, body bytes, headers).
        body is sent as JSON; sess = {"cookie", "csrf"}; client is sent as
        X-Forwarded-For. Raises OSError when the server does not answer."""
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=timeout or self.TIMEOUT)
        h = {"X-Forwarded-For": client} if client else {}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        if sess:
            h["Cookie"] = sess["cookie"]
            h["X-CSRF-Token"] = sess["csrf"]
        try:
            c.request(method, path, body, h)
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def ctl(self, *args, stdin=None):
        """hubctl -c hub.conf ARGS: (exit code, stdout + stderr)."""
        p = subprocess.run([self.hubctl, "-c", self.conf] + list(args),
                           input=stdin, capture_output=True, text=True,
                           env=self.env())
        return p.returncode, p.stdout + p.stderr

    def logtext(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def login_status(hub, name, pw=None):
    """Signs `name` in (password pw-NAME-Secret1 unless pw): (status,
    session or None)."""
    st, data, hdrs = hub.req("POST", "/api/v1/auth/login",
                             {"username": name,
                              "password": pw or f"pw-{name}-Secret1"})
    if st != 200:
        return st, None
    return st, {"cookie": hdrs.get("Set-Cookie", "").split(";")[0],
                "csrf": json.loads(data)["csrf_token"]}
