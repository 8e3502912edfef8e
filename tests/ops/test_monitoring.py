#!/usr/bin/env python3
"""test_monitoring.py BUILD_DIR - /metrics of a live hubd passes
`promtool check metrics` with every family carrying HELP and TYPE; the
upkeep job sweeps the cache and publishes disk and memory gauges; the
alert rules pass `promtool check rules` and their unit tests; a backup
carries the secret key (0600) beside the database."""
import os
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubrun import Checks, Hub  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
C = Checks()

CONF = """[server]
listen = 127.0.0.1:{port}
data_dir = {data}
module_dir = {modules}

[cache]
sweep_interval_s = 1

[module.health]
path = health.so

[module.booking]
path = booking.so
consultants = Anna:anna@example.org

[module.misbehaves]
path = {fixtures}/misbehaves.so
"""


def families(text):
    """name -> set of seen comment kinds, and the sample names."""
    meta, samples = {}, set()
    for line in text.splitlines():
        m = re.match(r"# (HELP|TYPE) (\S+)", line)
        if m:
            meta.setdefault(m.group(2), set()).add(m.group(1))
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return meta, samples


def base_name(sample, meta):
    for suf in ("_bucket", "_sum", "_count"):
        if sample.endswith(suf) and sample[:-len(suf)] in meta:
            return sample[:-len(suf)]
    return sample


def test_metrics():
    promtool = shutil.which("promtool")
    if not C.ok(promtool is not None, "promtool installed"):
        return
    h = Hub(BUILD, CONF)
    try:
        h.start()
        for p in ("/health", "/nope", "/fixture/silent",
                  "/api/v1/openapi.json", "/health/ready"):
            h.get(p)
        h.request("POST", "/api/v1/auth/login",
                  {"Content-Type": "application/json"},
                  b'{"username":"x","password":"y"}')
        time.sleep(2.5)
        st, _, body = h.get("/metrics")
        C.ok(st == 200, "/metrics 200")
        text = body.decode()
        r = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=30)
        C.ok(r.returncode == 0 and not r.stdout.strip() and
             not r.stderr.strip(),
             "promtool check metrics clean: %s %s" % (r.stdout, r.stderr))
        meta, samples = families(text)
        for s in sorted(samples):
            b = base_name(s, meta)
            C.ok(meta.get(b) == {"HELP", "TYPE"},
                 "%s has HELP and TYPE (%s)" % (b, meta.get(b)))
        m = re.search(r"^hub_cache_sweeps_total (\S+)$", text, re.M)
        C.ok(m is not None and float(m.group(1)) >= 1,
             "the cache sweep job ran")
        m = re.search(r"^hub_disk_free_bytes (\S+)$", text, re.M)
        C.ok(m is not None and float(m.group(1)) > 0, "disk free gauge")
        m = re.search(r"^hub_process_resident_memory_bytes (\S+)$", text,
                      re.M)
        C.ok(m is not None and float(m.group(1)) > 1e6, "RSS gauge")
        C.ok('status="500"' in text, "5xx counted per route")
    finally:
        h.cleanup()


def test_rules():
    promtool = shutil.which("promtool")
    if not promtool:
        return
    rules = os.path.join(SRC, "deploy/prometheus/alerts.yml")
    r = subprocess.run([promtool, "check", "rules", rules],
                       capture_output=True, text=True, timeout=30)
    C.ok(r.returncode == 0, "promtool check rules: " + r.stdout + r.stderr)
    with open(rules) as f:
        text = f.read()
    for want in ("up{job=\"hub\"}", "status=~\"5..\"",
                 "hub_calendar_credentials_broken",
                 "hub_calendar_quota_in_use", "hub_calendar_outbox_backlog",
                 "hub_noshow_rate_7d", "hub_disk_free_bytes"):
        C.ok(want in text, "rules watch " + want)
    r = subprocess.run([promtool, "test", "rules",
                        os.path.join(HERE, "alerts_test.yml")],
                       capture_output=True, text=True, timeout=60, cwd=HERE)
    C.ok(r.returncode == 0, "promtool test rules: " + r.stdout + r.stderr)


def test_backup_key():
    h = Hub(BUILD, CONF)
    try:
        h.start()
        h.stop()
        r = h.hubctl("backup", "create")
        C.ok(r.returncode == 0, "backup create: " + r.stderr)
        key = os.path.join(h.data, "secret.key")
        copy = os.path.join(h.data, "backups", "secret.key")
        C.ok(os.path.exists(copy), "backups/secret.key exists")
        if os.path.exists(copy):
            with open(key, "rb") as a, open(copy, "rb") as b:
                C.ok(a.read() == b.read(), "key copy is identical")
            C.ok(stat.S_IMODE(os.stat(copy).st_mode) == 0o600,
                 "key copy is 0600")
        r = h.hubctl("backup", "list")
        C.ok(r.returncode == 0 and "secret.key" not in r.stdout,
             "backup list shows databases only")
    finally:
        h.cleanup()


if __name__ == "__main__":
    test_metrics()
    test_rules()
    test_backup_key()
    sys.exit(C.done())
