#!/usr/bin/env python3
"""test_systemd.py BUILD_DIR - hubd speaks systemd's notify protocol, and
the shipped unit is hardened.

A unix datagram socket stands in for systemd (NOTIFY_SOCKET, and
WATCHDOG_USEC for the watchdog). Checks: READY=1 arrives only once the
port accepts connections; WATCHDOG=1 pings come at least every half
period; SIGTERM sends STOPPING=1 and exits 0. Then `systemd-analyze
security --offline=yes` rates deploy/systemd/hub.service 2.0 or lower and
`systemd-analyze verify`-style checks of the unit's key settings hold.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubrun import Checks, Hub  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNIT = os.path.join(SRC, "deploy/systemd/hub.service")
C = Checks()

CONF = """[server]
listen = 127.0.0.1:{port}
data_dir = {data}
module_dir = {modules}

[module.health]
path = health.so
"""


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_notify():
    tmp = tempfile.mkdtemp(prefix="hubsd-")
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    h = Hub(BUILD, CONF, env={"NOTIFY_SOCKET": path,
                              "WATCHDOG_USEC": "600000"})
    msgs = []
    try:
        logf = open(h.log, "a")
        h.proc = subprocess.Popen([h.hubd(), "-c", h.conf], stdout=logf,
                                  stderr=logf, env=h.env)
        logf.close()
        ready_open = None
        end = time.monotonic() + 20
        while time.monotonic() < end and ready_open is None:
            try:
                m = sock.recv(4096).decode()
            except socket.timeout:
                continue
            msgs.append((time.monotonic(), m))
            if "READY=1" in m:
                ready_open = port_open(h.port)
        C.ok(ready_open is True, "READY=1 sent after the port listens")
        C.ok(any("STATUS=listening on port %d" % h.port in m
                 for _, m in msgs), "STATUS names the port")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.0:
            try:
                msgs.append((time.monotonic(), sock.recv(4096).decode()))
            except socket.timeout:
                pass
        pings = [t for t, m in msgs if "WATCHDOG=1" in m and t >= t0]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        C.ok(len(pings) >= 5, "watchdog pings in 2 s: %d" % len(pings))
        C.ok(gaps and max(gaps) <= 0.45,
             "pings at most half of WatchdogSec apart (max %.2f s)" %
             (max(gaps) if gaps else -1))
        h.proc.send_signal(signal.SIGTERM)
        stopping = False
        end = time.monotonic() + 10
        while time.monotonic() < end and not stopping:
            try:
                stopping = "STOPPING=1" in sock.recv(4096).decode()
            except socket.timeout:
                pass
        C.ok(stopping, "STOPPING=1 on SIGTERM")
        C.ok(h.proc.wait(20) == 0, "exit 0 after SIGTERM")
    finally:
        h.cleanup()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_no_socket():
    h = Hub(BUILD, CONF)
    try:
        h.start()
        C.ok(h.get("/health/live")[0] == 200, "runs without NOTIFY_SOCKET")
        C.ok(h.stop() == 0, "stops without NOTIFY_SOCKET")
    finally:
        h.cleanup()


def test_unit():
    with open(UNIT) as f:
        unit = f.read()
    for k in ("Type=notify", "Restart=on-failure", "WatchdogSec=",
              "User=hub", "StateDirectory=hub", "NoNewPrivileges=yes",
              "ExecReload=/bin/kill -HUP $MAINPID"):
        C.ok(k in unit, "unit has " + k)
    sa = shutil.which("systemd-analyze")
    if not C.ok(sa is not None, "systemd-analyze installed"):
        return
    r = subprocess.run([sa, "security", "--offline=yes", UNIT],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for hub.service: ([0-9.]+)",
                  r.stdout + r.stderr)
    C.ok(m is not None, "systemd-analyze gave a score")
    if m:
        score = float(m.group(1))
        print("systemd-analyze security: %.1f" % score)
        C.ok(score <= 2.0, "exposure %.1f <= 2.0" % score)


if __name__ == "__main__":
    test_notify()
    test_no_socket()
    test_unit()
    sys.exit(C.done())
