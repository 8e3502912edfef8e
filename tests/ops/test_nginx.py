#!/usr/bin/env python3
"""test_nginx.py BUILD_DIR - the shipped nginx sample in front of a real
hubd: TLS, X-Forwarded-For as hubd trusts it, and a slowloris attack
(slowhttptest -H, 400 connections) during which /health/live through nginx
keeps answering in under 100 ms (95th percentile; none fails).

nginx runs from a temporary prefix on free loopback ports with a
self-signed certificate; deploy/nginx/hub.conf is used as shipped, with
only ports, certificate paths and the upstream address substituted.
"""
import http.client
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubrun import Checks, Hub, free_port  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
C = Checks()

HUB_CONF = """[server]
listen = 127.0.0.1:{port}
data_dir = {data}
module_dir = {modules}
trusted_proxies = 127.0.0.1
access_log = false

[module.health]
path = health.so

[module.misbehaves]
path = {fixtures}/misbehaves.so
"""


def render_site(hub_port, tls_port, http_port, cert, key):
    with open(os.path.join(SRC, "deploy/nginx/hub.conf")) as f:
        text = f.read()
    subs = [("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % hub_port),
            ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" %
             tls_port),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
            ("listen [::]:80;", ""),
            ("/etc/ssl/hub/fullchain.pem", cert),
            ("/etc/ssl/hub/privkey.pem", key)]
    for old, new in subs:
        C.ok(old in text, "sample has %r" % old)
        text = text.replace(old, new)
    return text


def main_conf(tmp):
    user = "user root root;\n" if os.getuid() == 0 else ""
    t = lambda n: os.path.join(tmp, n)  # noqa: E731
    return ("%sworker_processes 1;\nworker_rlimit_nofile 8192;\n"
            "pid %s;\nerror_log %s warn;\ndaemon off;\n"
            "events { worker_connections 4096; }\n"
            "http {\n access_log off;\n client_body_temp_path %s;\n"
            " proxy_temp_path %s;\n fastcgi_temp_path %s;\n"
            " uwsgi_temp_path %s;\n scgi_temp_path %s;\n include %s;\n}\n"
            % (user, t("nginx.pid"), t("error.log"), t("body"), t("proxy"),
               t("fcgi"), t("uwsgi"), t("scgi"), t("site.conf")))


def wait_port(port, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def probe(port, path="/health/live", headers=None, source=None):
    """One request on a new TLS connection: (status, seconds, body)."""
    t0 = time.monotonic()
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                    context=CTX,
                                    source_address=(source, 0)
                                    if source else None)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, time.monotonic() - t0, body
    except OSError:
        return 0, time.monotonic() - t0, b""
    finally:
        c.close()


def established(port):
    r = subprocess.run(["ss", "-Htn", "state", "established",
                        "( sport = :%d )" % port], capture_output=True,
                       text=True)
    return len([x for x in r.stdout.splitlines() if x.strip()])


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run():
    for tool in ("nginx", "slowhttptest", "openssl", "ss"):
        if not C.ok(shutil.which(tool) is not None, tool + " installed"):
            return
    tmp = tempfile.mkdtemp(prefix="hubnginx-")
    hub = Hub(BUILD, HUB_CONF)
    nginx = attack = None
    try:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp,
                                                                "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True)
        for d in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
            os.mkdir(os.path.join(tmp, d))
        hub.start()
        tls_port, http_port = free_port(), free_port()
        with open(os.path.join(tmp, "site.conf"), "w") as f:
            f.write(render_site(hub.port, tls_port, http_port, cert, key))
        mconf = os.path.join(tmp, "nginx.conf")
        with open(mconf, "w") as f:
            f.write(main_conf(tmp))
        r = subprocess.run(["nginx", "-t", "-p", tmp, "-c", mconf],
                           capture_output=True, text=True)
        if not C.ok(r.returncode == 0, "nginx -t: " + r.stderr):
            return
        nginx = subprocess.Popen(["nginx", "-p", tmp, "-c", mconf],
                                 stderr=subprocess.DEVNULL)
        C.ok(wait_port(tls_port), "nginx listens")
        st, _, body = probe(tls_port, "/fixture/whoami",
                            {"X-Forwarded-For": "6.6.6.6"}, "127.0.0.5")
        C.ok(st == 200 and b'"client":"127.0.0.5"' in body,
             "hubd sees the client nginx saw, not a spoofed XFF: %r" % body)
        base = [probe(tls_port)[1] for _ in range(10)]
        attack = subprocess.Popen(
            ["slowhttptest", "-H", "-c", "400", "-r", "200", "-i", "5",
             "-l", "22", "-x", "24", "-p", "3",
             "-u", "https://127.0.0.1:%d/" % tls_port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        lat, fails, held = [], 0, []
        end = time.monotonic() + 12
        while time.monotonic() < end:
            st, secs, _ = probe(tls_port)
            if st == 200:
                lat.append(secs)
            else:
                fails += 1
            held.append(established(tls_port))
            time.sleep(0.1)
        peak = max(held) if held else 0
        C.ok(peak >= 200, "the attack held %d connections open" % peak)
        C.ok(fails == 0, "no /health/live probe failed (%d)" % fails)
        if lat:
            p50, p95, mx = (statistics.median(lat) * 1000, pct(lat, 95) *
                            1000, max(lat) * 1000)
            print("baseline median %.1f ms; under slowloris (%d conns): "
                  "%d probes, median %.1f ms, p95 %.1f ms, max %.1f ms" %
                  (statistics.median(base) * 1000, peak, len(lat), p50,
                   p95, mx), flush=True)
            C.ok(p95 < 100, "p95 latency %.1f ms < 100 ms" % p95)
            C.ok(mx < 1000, "max latency %.1f ms < 1 s" % mx)
        C.ok(hub.get("/health/live")[0] == 200, "hubd itself unharmed")
    finally:
        for p in (attack, nginx):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        hub.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run()
    sys.exit(C.done())
