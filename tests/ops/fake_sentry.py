#!/usr/bin/env python3
"""fake_sentry.py - a Sentry-compatible receiver for tests.

Accepts POST /api/<project>/envelope/ and checks what Sentry's envelope
endpoint documents: an X-Sentry-Auth header "Sentry sentry_version=7,
sentry_key=<key>, sentry_client=<name/version>" with the expected key,
Content-Type application/x-sentry-envelope, an envelope made of a JSON
header line (event_id: 32 hex digits), an item header {"type": "event",
"length": N} whose length is the payload's byte count, and an event
payload with event_id (equal to the header's), timestamp, level, platform,
release, environment and server_name. Valid events are answered 200
{"id": ...}; anything else 400 and recorded as an error.

Used as a module (FakeSentry) by test_sentry.py: .events (parsed events),
.raw (every request body, bytes), .errors, .attempts (monotonic times),
.mode: "ok", "down" (503) or ("429", seconds) for the next request only.
"""
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUTH_RE = re.compile(
    r"^Sentry sentry_version=7, sentry_key=([A-Za-z0-9_-]+), "
    r"sentry_client=[A-Za-z0-9_.-]+/[A-Za-z0-9_.+-]+$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
REQUIRED = ("event_id", "timestamp", "level", "platform", "release",
            "environment", "server_name")


def parse_envelope(body):
    """Returns the event dict or raises ValueError naming the problem."""
    lines = body.split(b"\n", 2)
    if len(lines) < 3:
        raise ValueError("envelope needs a header, an item header, a payload")
    head = json.loads(lines[0])
    item = json.loads(lines[1])
    if not HEX32.match(head.get("event_id", "")):
        raise ValueError("envelope event_id is not 32 hex digits")
    if item.get("type") != "event":
        raise ValueError("item type is not event")
    length = item.get("length")
    rest = lines[2]
    if not isinstance(length, int) or length > len(rest):
        raise ValueError("item length missing or too long")
    payload = rest[:length]
    if rest[length:] not in (b"", b"\n"):
        raise ValueError("bytes after the item do not match its length")
    ev = json.loads(payload)
    for k in REQUIRED:
        if not ev.get(k):
            raise ValueError("event lacks " + k)
    if ev["event_id"] != head["event_id"]:
        raise ValueError("event_id differs between header and event")
    if ev["level"] not in ("fatal", "error", "warning", "info", "debug"):
        raise ValueError("bad level")
    return ev


class FakeSentry:
    def __init__(self, key="testkey", project="42", port=0):
        self.key, self.project = key, project
        self.events, self.raw, self.errors, self.attempts = [], [], [], []
        self.mode = "ok"
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                owner.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def dsn(self):
        return "http://%s@127.0.0.1:%d/%s" % (self.key, self.port,
                                              self.project)

    def answer(self, h, code, body, headers=()):
        data = json.dumps(body).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def handle(self, h):
        n = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(n)
        with self.lock:
            self.raw.append(body)
            self.attempts.append(time.monotonic())
            mode = self.mode
            if isinstance(mode, tuple):
                self.mode = "ok"
        if mode == "down":
            return self.answer(h, 503, {"detail": "down"})
        if isinstance(mode, tuple):
            return self.answer(h, 429, {"detail": "slow down"},
                               [("Retry-After", str(mode[1]))])
        why = None
        if h.path != "/api/%s/envelope/" % self.project:
            why = "wrong path " + h.path
        m = AUTH_RE.match(h.headers.get("X-Sentry-Auth", ""))
        if not why and (not m or m.group(1) != self.key):
            why = "bad X-Sentry-Auth: %r" % h.headers.get("X-Sentry-Auth")
        if not why and h.headers.get("Content-Type") != \
                "application/x-sentry-envelope":
            why = "wrong Content-Type"
        ev = None
        if not why:
            try:
                ev = parse_envelope(body)
            except (ValueError, KeyError) as e:
                why = str(e)
        with self.lock:
            if why:
                self.errors.append(why)
            else:
                self.events.append(ev)
        if why:
            return self.answer(h, 400, {"detail": why})
        return self.answer(h, 200, {"id": ev["event_id"]})

    def wait(self, count, timeout=15.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.events) >= count:
                    return True
            time.sleep(0.05)
        return False

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
