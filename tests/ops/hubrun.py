"""hubrun.py - start a real hubd for the operations tests: a free loopback
port, a throw-away data directory, a configuration text; stop it by pid."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Hub:
    """One hubd process. conf may use {port}, {data}, {modules}, {fixtures}."""

    def __init__(self, build, conf, env=None, data=None, port=None):
        self.build = build
        self.tmp = tempfile.mkdtemp(prefix="hubops-")
        self.data = data or os.path.join(self.tmp, "data")
        self.port = port or free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.tmp, "hub.conf")
        self.log = os.path.join(self.tmp, "hubd.log")
        with open(self.conf, "w") as f:
            f.write(conf.format(port=self.port, data=self.data,
                                modules=os.path.join(build, "modules"),
                                fixtures=os.path.join(
                                    build, "tests/modules/fixtures")))
        self.env = dict(os.environ)
        self.env.pop("SENTRY_DSN", None)
        self.env.update(env or {})
        self.proc = None

    def hubd(self):
        return os.path.join(self.build, "core/hubd")

    def hubctl(self, *args, stdin=None):
        return subprocess.run(
            [os.path.join(self.build, "core/hubctl"), "-c", self.conf] +
            list(args), input=stdin, capture_output=True, text=True,
            env=self.env, timeout=60)

    def start(self):
        logf = open(self.log, "a")
        self.proc = subprocess.Popen([self.hubd(), "-c", self.conf],
                                     stdout=logf, stderr=logf, env=self.env)
        logf.close()
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("hubd exited: " + self.read_log())
            try:
                if self.get("/health/live")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("hubd did not come up: " + self.read_log())

    def request(self, method, path, headers=None, body=None):
        req = urllib.request.Request(self.base + path, data=body,
                                     method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Checks:
    """Counts checks; prints failures; exit code from the tally."""

    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)
        return cond

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
