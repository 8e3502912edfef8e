#!/usr/bin/env python3
"""test_pg_ops.py HUBD HUBCTL MODULE_DIR WHAT - operations on PostgreSQL
with real hubd and hubctl processes (servers.sh has started PostgreSQL and
Redis and exports HUB_PG_DSN, HUB_PG_ADMIN_DSN, HUB_PG_DIR, HUB_PG_RUN).

WHAT is one of:
  backup  hubctl backup create/list/verify/restore through pg_dump and
          pg_restore, with a password-protected role (the password must
          reach the tools through their environment only), and the admin
          API's backup on PostgreSQL;
  copy    hubctl copy-to-pg: an SQLite deployment filled by a running
          hubd is copied into PostgreSQL; hubd on PostgreSQL then signs
          the same user in and lists the same bookings;
  import  hubctl import-json of the old system's files into PostgreSQL.
Prints one line per check and "pg_ops WHAT: N passed, N failed".
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import scalehub
from scalehub import check, clean_env, free_port, login_status

HUBD, HUBCTL, MODULES, WHAT = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
PW_ROLE, PW = "hubpw", "Pw-only-in-env-7f3a"


class Hub(scalehub.Hub):
    """One hubd with its own data folder; storage given as config lines."""

    def __init__(self, root, name, storage):
        self.storage = storage
        super().__init__(HUBD, HUBCTL, root, name)

    def config(self):
        storage = self.storage
        return f"""[server]
listen = 127.0.0.1:{self.port}
trusted_proxies = 127.0.0.1
data_dir = {self.data}
module_dir = {MODULES}
timezone = Europe/Berlin
bootstrap_admin = false
[storage]
{storage}
[calendar]
backend = local
[ratelimit]
login = 100000/min
login_account = 100000/min
booking = 100000/min
api = 100000/min
admin = 100000/min
[module.health]
path = health.so
[module.admin]
path = admin.so
[module.booking]
path = booking.so
consultants = Anna:anna,Ben:ben
"""


def login(hub, name, pw=None):
    return login_status(hub, name, pw)[1]


def add_user(hub, name, role):
    rc, out = hub.ctl("user", "add", name, "--role", role,
                      stdin=f"pw-{name}-Secret1\n")
    check(rc == 0, f"hubctl user add {name} ({out.strip()[:100]})")


def free_starts(hub, sess, want):
    st, data, _ = hub.req("GET", "/api/v1/slots", sess=sess)
    found = []
    for d in json.loads(data)["days"] if st == 200 else []:
        for s in d["slots"]:
            if s.get("free", 0) > 0 and not s.get("blocked"):
                found.append(s["start"])
    return found[:want]


def book(hub, sess, start, last):
    st, data, _ = hub.req("POST", "/api/v1/bookings",
                          {"start": start, "first_name": "Hans",
                           "last_name": last}, sess=sess)
    if st != 201:
        print(f"     booking {start}: {st} {data[:200]}")
    return json.loads(data).get("id") if st == 201 else None


def bookings(hub, sess):
    """{id: (last_name, status, start)} of every booking listed."""
    out, cursor = {}, None
    for _ in range(50):
        path = "/api/v1/bookings?limit=100" + (
            f"&cursor={cursor}" if cursor else "")
        st, data, _ = hub.req("GET", path, sess=sess)
        if st != 200:
            return None
        o = json.loads(data)
        for b in o.get("items", []):
            out[b["id"]] = (b.get("last_name"), b.get("status"),
                            b.get("start"))
        cursor = o.get("next_cursor")
        if not cursor:
            break
    return out


def psql(dsn, sql):
    p = subprocess.run(["psql", "-X", "-q", "-At", "-d", dsn,
                        "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True)
    return p.returncode, p.stdout.strip() + p.stderr.strip()


# ------------------------------------------------------------------ backup

def password_role():
    """A role that must give a password over TCP; returns its DSN."""
    adm = os.environ["HUB_PG_ADMIN_DSN"]
    # rights in its own schema only (no CREATE on the database): what a
    # cautious DBA gives an application role
    rc, out = psql(adm, f"CREATE ROLE {PW_ROLE} LOGIN PASSWORD '{PW}'; "
                   f"CREATE SCHEMA hubpw AUTHORIZATION {PW_ROLE}; "
                   f"REVOKE CREATE ON DATABASE hub FROM PUBLIC")
    check(rc == 0, f"role with a password created ({out[:80]})")
    hba = os.path.join(os.environ["HUB_PG_DIR"], "pg_hba.conf")
    run = os.environ.get("HUB_PG_RUN", "").split()
    line = f"host all {PW_ROLE} 127.0.0.1/32 scram-sha-256\n"
    # first match wins: the password rule goes above servers.sh's trust
    subprocess.run(run + ["sh", "-c", f"printf '%s' '{line}' > {hba}.new "
                          f"&& cat {hba} >> {hba}.new && mv {hba}.new {hba}"],
                   check=False)
    subprocess.run(run + [os.path.join(os.environ["HUB_PG_BIN"], "pg_ctl"),
                          "-D", os.environ["HUB_PG_DIR"], "reload"],
                   capture_output=True)
    time.sleep(0.5)
    port = os.environ["HUB_PG_PORT"]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    p = subprocess.run(["psql", "-X", "-w", "-At", "-h", "127.0.0.1", "-p",
                        port, "-U", PW_ROLE, "-d", "hub", "-c", "SELECT 1"],
                       capture_output=True, text=True, env=env)
    check(p.returncode != 0, "the role is refused without its password")
    return f"postgresql://{PW_ROLE}:{PW}@127.0.0.1:{port}/hub"


def test_backup(root):
    dsn = password_role()
    hub = Hub(root, "pgb", f"backend = postgresql\ndsn = {dsn}\n"
              "schema = hubpw")
    with open(hub.conf, "a") as f:
        f.write(MODS_ANALYTICS)  # its trigger function must come back too
    try:
        up = hub.start()
        check(up, "hubd started on PostgreSQL (password role)")
        if not up:
            print(hub.logtext()[-2000:])
            return
        add_user(hub, "alice", "staff")
        add_user(hub, "root", "admin")
        alice = login(hub, "alice")
        check(alice is not None, "alice signs in")
        starts = free_starts(hub, alice, 3)
        check(len(starts) == 3, "three free slots")
        ids = [book(hub, alice, s, f"Orig{i}") for i, s in
               enumerate(starts[:2])]
        check(all(ids), f"two bookings made ({ids})")
        before = bookings(hub, alice)
        check(before is not None and len(before) == 2, "two listed")

        rc, out = hub.ctl("backup", "create")
        path = out.strip()
        check(rc == 0 and path.endswith(".pgdump") and os.path.isfile(path)
              and os.path.getsize(path) > 0,
              f"hubctl backup create while hubd runs ({out.strip()[:160]})")
        check(PW not in out, "the password is not in hubctl's output")
        check(oct(os.stat(path).st_mode & 0o777) == "0o600",
              "the dump is mode 0600")
        rc, out = hub.ctl("backup", "list")
        check(rc == 0 and path in out, "backup list names it")
        rc, out = hub.ctl("backup", "verify", path)
        check(rc == 0 and out.strip().endswith("ok"), "backup verify: ok")

        # a truncated copy fails verification
        bad = os.path.join(hub.data, "backups",
                           "hub-20200101T000000.000Z.pgdump")
        with open(path, "rb") as f, open(bad, "wb") as g:
            g.write(f.read()[: os.path.getsize(path) // 2])
        rc, out = hub.ctl("backup", "verify", bad)
        check(rc != 0, f"a truncated dump fails verify ({out.strip()[:120]})")
        os.unlink(bad)

        # a pg_dump older than the server, and one that fails half-way
        fake = os.path.join(root, "fakebin")
        os.makedirs(fake, exist_ok=True)
        with open(os.path.join(fake, "pg_dump"), "w") as f:
            f.write('#!/bin/sh\nif [ "$1" = --version ]; then\n'
                    '  echo "pg_dump (PostgreSQL) $FAKE_MAJOR.3"; exit 0\n'
                    'fi\necho "$@" > "$FAKE_ARGS"\n'
                    '[ "$PGPASSWORD" = "$FAKE_WANT" ] && '
                    'echo PGPASSWORD-set >> "$FAKE_ARGS"\n'
                    'while [ $# -gt 0 ]; do [ "$1" = -f ] && '
                    'printf PGDMPhalf > "$2"; shift; done\n'
                    'echo "pg_dump: error: fake failure" >&2; exit 1\n')
        os.chmod(os.path.join(fake, "pg_dump"), 0o755)
        rc, listed = hub.ctl("backup", "list")
        saved_env = dict(os.environ)
        os.environ["PATH"] = fake + ":" + os.environ["PATH"]
        os.environ["FAKE_MAJOR"] = "9"
        rc, out = hub.ctl("backup", "create")
        check(rc != 0 and "older than the PostgreSQL" in out,
              f"an older pg_dump is refused ({out.strip()[:140]})")
        os.environ["FAKE_MAJOR"] = "99"
        os.environ["FAKE_ARGS"] = os.path.join(root, "fake-args")
        os.environ["FAKE_WANT"] = PW
        rc, out = hub.ctl("backup", "create")
        check(rc != 0 and "fake failure" in out,
              f"a failing pg_dump is reported ({out.strip()[:140]})")
        with open(os.environ["FAKE_ARGS"]) as f:
            args = f.read()
        check(PW not in args and "PGPASSWORD-set" in args
              and "-Fc" in args,
              f"pg_dump got the password in PGPASSWORD, not in its "
              f"arguments ({args.splitlines()[0][:120]})")
        os.environ.clear()
        os.environ.update(saved_env)
        rc, out = hub.ctl("backup", "list")
        left = [f for f in os.listdir(os.path.join(hub.data, "backups"))
                if f.endswith(".tmp")]
        check(out == listed and not left,
              "the failed dumps left no file behind")

        # admin API: a backup on PostgreSQL, listed
        root_s = login(hub, "root")
        st, data, _ = hub.req("POST", "/api/v1/admin/backups", {},
                              sess=root_s)
        name = json.loads(data).get("name", "") if st == 201 else ""
        check(st == 201 and name.endswith(".pgdump"),
              f"POST /admin/backups on PostgreSQL: {st} {data[:120]}")
        st, data, _ = hub.req("GET", "/api/v1/admin/backups", sess=root_s)
        names = [b["name"] for b in json.loads(data).get("items", [])] \
            if st == 200 else []
        check(name in names and os.path.basename(path) in names,
              f"GET /admin/backups lists both dumps ({names})")
        st, data, _ = hub.req("GET", f"/api/v1/admin/backups/{name}",
                              sess=root_s)
        check(st == 200 and data[:5] == b"PGDMP",
              "the admin download is the pg_dump archive")

        # change the data: cancel one, book another
        st, _, _ = hub.req("POST", f"/api/v1/bookings/{ids[0]}/cancel",
                           {"reason": "test"},
                           sess=alice)
        check(st == 200, f"cancel booking {ids[0]} ({st})")
        extra = book(hub, alice, starts[2], "Later")
        check(extra is not None, "another booking after the backup")
        rc, out = psql(dsn.replace(f"{PW_ROLE}:{PW}@", f"{PW_ROLE}@"),
                       "SELECT 1")  # no password: must fail (scram)
        check(rc != 0, "libpq without the password is refused")

        sq = os.path.join(hub.data, "backups",
                          "hub-20200101T000000.000Z.db")
        with open(sq, "wb") as f:
            f.write(b"SQLite format 3\0")
        rc, out = hub.ctl("backup", "restore", sq)
        check(rc != 0 and "copy-to-pg" in out,
              f"an SQLite backup is not restored into PostgreSQL "
              f"({out.strip()[:120]})")
        os.unlink(sq)
        rc, out = hub.ctl("backup", "restore", path)
        check(rc != 0 and ("in use" in out or "connection" in out),
              f"restore refused while hubd runs ({out.strip()[:140]})")
        hub.stop()
        other = Hub(root, "pgb2", f"backend = postgresql\ndsn = {dsn}\n"
                    "schema = hubpw")
        with open(other.conf, "a") as f:
            f.write(MODS_ANALYTICS)
        check(other.start(), "a second server on the same database")
        rc, out = hub.ctl("backup", "restore", path)
        check(rc != 0 and "hubd connection" in out,
              f"restore refused while another server is connected "
              f"({out.strip()[:140]})")
        other.stop()
        rc, out = hub.ctl("backup", "restore", path)
        check(rc == 0 and "restored from" in out,
              f"hubctl backup restore ({out.strip()[:200]})")
        saved = [l.split(" as ", 1)[1] for l in out.splitlines()
                 if l.startswith("previous database saved as")]
        check(saved and saved[0].endswith(".pgdump"),
              "the state before the restore was dumped first")
        check(PW not in out, "the password is not in the restore output")
        check(hub.start(), "hubd starts on the restored database")
        alice = login(hub, "alice")
        after = bookings(hub, alice) if alice else None
        check(after == before,
              f"the bookings are those of the backup ({after})")
        nid = book(hub, alice, starts[2], "AfterRestore") if alice else None
        check(nid is not None and nid not in before,
              f"a new booking after the restore gets a fresh id ({nid})")
        check(PW not in hub.logtext(), "the password is not in hubd's log")
        hub.stop()

        # disaster recovery: the schema is gone, a fresh one is restored
        rc, out = psql(os.environ["HUB_PG_ADMIN_DSN"],
                       f"DROP SCHEMA hubpw CASCADE; CREATE SCHEMA hubpw "
                       f"AUTHORIZATION {PW_ROLE}")
        check(rc == 0, f"the schema dropped and made again ({out[:80]})")
        rc, out = hub.ctl("backup", "restore", path)
        check(rc == 0 and "previous database saved" not in out,
              f"restore into an empty schema, nothing to save first "
              f"({out.strip()[:160]})")
        check(hub.start(), "hubd starts on it")
        alice = login(hub, "alice")
        check(alice is not None and bookings(hub, alice) == before,
              "the bookings of the backup are back")

        # the daily job (run now): a dump, then rotation keeps the newest
        # of the day (as with SQLite)
        bdir = os.path.join(hub.data, "backups")
        old_dumps = sorted(f for f in os.listdir(bdir)
                           if f.endswith(".pgdump"))
        root_s = login(hub, "root")
        st, data, _ = hub.req("POST", "/api/v1/admin/jobs/backup/run"
                              "?module=core", {}, sess=root_s)
        now = old_dumps
        for _ in range(100):
            now = sorted(f for f in os.listdir(bdir)
                         if f.endswith(".pgdump"))
            if now and now[-1] not in old_dumps and len(now) == 1:
                break  # dumped, then rotated
            time.sleep(0.2)
        check(st == 202 and len(old_dumps) > 1 and len(now) == 1
              and now[0] not in old_dumps,
              f"the daily job on PostgreSQL dumped and rotated "
              f"({len(old_dumps)} dumps of today -> {now})")
    finally:
        hub.stop()


# ----------------------------------------------------------------- lockout

def try_login(hub, name, pw, client):
    st, _, _ = hub.req("POST", "/api/v1/auth/login",
                       {"username": name, "password": pw}, client=client)
    return st


def test_lockout(root):
    """The lockout counters are rows of auth_failures in the shared
    database: failures on A and on B add up, and a lock made on A holds
    on B."""
    storage = ("backend = postgresql\n"
               f"dsn = {os.environ['HUB_PG_DSN']}\nschema = lockout")
    a, b = Hub(root, "la", storage), Hub(root, "lb", storage)
    try:
        check(a.start() and b.start(), "two hubd on one PostgreSQL")
        add_user(a, "erin", "staff")
        add_user(a, "root", "admin")
        x, y = "198.51.100.7", "203.0.113.9"
        codes = [try_login((a, b)[i % 2], "erin", "wrong-pw", x)
                 for i in range(4)]
        check(codes == [401] * 4, f"4 wrong passwords, 2 on A, 2 on B "
              f"({codes})")
        st = try_login(a, "erin", "wrong-pw", x)
        check(st in (401, 423), f"a 5th wrong password, on A ({st})")
        # per-server counts (A 3, B 2) would lock nothing
        st = try_login(b, "erin", "pw-erin-Secret1", x)
        check(st == 423, f"B refuses the right password from that "
              f"address: the 5 failures on A and B added up ({st})")
        st = try_login(b, "erin", "pw-erin-Secret1", y)
        check(st == 200, f"from another address B signs erin in ({st})")
        root_s = login(a, "root")
        st, data, _ = a.req("POST", "/api/v1/admin/users/erin/unlock", {},
                            sess=root_s)
        check(st in (200, 204), f"admin unlock on A ({st} {data[:80]})")
        st = try_login(b, "erin", "pw-erin-Secret1", x)
        check(st == 200, f"B signs erin in from the first address "
              f"after A's unlock ({st})")
    finally:
        a.stop()
        b.stop()


# -------------------------------------------------------------- redis auth

R_PW, R_ACL_PW = "R3dis-only-AUTH-x1", "Acl@user-pw/9"


def redis_keys(port, db):
    p = subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning",
                        "-a", R_PW, "-n", str(db), "--scan"],
                       capture_output=True, text=True)
    return [k for k in p.stdout.split() if k]


def redis_check(hub):
    st, data, _ = hub.req("GET", "/health")
    try:
        return json.loads(data).get("checks", {}).get("redis", {})
    except ValueError:
        return {}


def set_redis_url(hub, url):
    with open(hub.conf) as f:
        text = f.read()
    text = text.split("[redis]\n")[0]
    with open(hub.conf, "w") as f:
        f.write(text + f"[redis]\nurl = {url}\n")


def test_redisauth(root):
    port = free_port()
    conf = os.path.join(root, "redis-auth.conf")
    with open(conf, "w") as f:
        f.write(f"bind 127.0.0.1\nport {port}\nsave \"\"\n"
                f"appendonly no\ndir {root}\nrequirepass {R_PW}\n"
                f"user hubacl on >{R_ACL_PW} ~* &* +@all\n")
    srv = subprocess.Popen(["redis-server", conf], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    hub = Hub(root, "ra", "backend = sqlite")
    try:
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        p = subprocess.run(["redis-cli", "-p", str(port), "set", "k", "v"],
                           capture_output=True, text=True)
        check("NOAUTH" in p.stdout + p.stderr,
              "redis-server refuses commands without AUTH")

        # password only, database 3
        set_redis_url(hub, f"redis://:{R_PW}@127.0.0.1:{port}/3")
        check(hub.start(), "hubd started with redis://:PASSWORD@host/3")
        add_user(hub, "fay", "staff")
        check(login(hub, "fay") is not None, "fay signs in")
        rc = redis_check(hub)
        check(rc.get("status") == "ok", f"/health redis ok ({rc})")
        keys3 = redis_keys(port, 3)
        check(len(keys3) > 0 and not redis_keys(port, 0),
              f"the rate-limit keys are in database 3 only ({keys3[:3]})")
        hub.stop()

        # an ACL user with a %-encoded password ('@' and '/')
        enc = R_ACL_PW.replace("@", "%40").replace("/", "%2F")
        set_redis_url(hub, f"redis://hubacl:{enc}@127.0.0.1:{port}/2")
        check(hub.start(), "hubd started with redis://USER:PASSWORD@host/2")
        login(hub, "fay")
        rc = redis_check(hub)
        check(rc.get("status") == "ok" and redis_keys(port, 2),
              f"ACL user: /health redis ok, keys in database 2 ({rc})")
        hub.stop()

        # a wrong password: degraded, never a 500, never the password
        set_redis_url(hub, f"redis://:not-the-{R_PW}@127.0.0.1:{port}/0")
        check(hub.start(), "hubd starts with a wrong Redis password")
        st = login(hub, "fay")
        check(st is not None, "signing in still works (per-process limits)")
        rc = redis_check(hub)
        check(rc.get("status") == "degraded" and "AUTH" in
              rc.get("detail", ""), f"/health names the AUTH failure ({rc})")
        hub.stop()
        log = hub.logtext()
        check(R_PW not in log and "Acl@user" not in log and
              "Acl%40user" not in log,
              "no Redis password in hubd's log")

        # rediss:// is refused by --check in one line
        set_redis_url(hub, f"rediss://:{R_PW}@127.0.0.1:{port}/0")
        p = subprocess.run([HUBD, "-c", hub.conf, "--check"],
                           capture_output=True, text=True, env=clean_env())
        err = p.stderr.strip()
        check(p.returncode != 0 and "rediss://" in err and "TLS" in err
              and len(err.splitlines()) == 1 and R_PW not in err,
              f"hubd --check refuses rediss:// ({p.returncode}: {err})")
        set_redis_url(hub, f"redis://{R_PW}@127.0.0.1:{port}/0")
        p = subprocess.run([HUBD, "-c", hub.conf, "--check"],
                           capture_output=True, text=True, env=clean_env())
        check(p.returncode != 0 and R_PW not in p.stderr,
              f"user information without ':' is refused, without echoing "
              f"it ({p.stderr.strip()[:120]})")
    finally:
        hub.stop()
        srv.terminate()
        srv.wait()


# -------------------------------------------------------------------- main

def main():
    root = tempfile.mkdtemp(prefix="hub-pgops-")
    try:
        {"backup": test_backup, "copy": test_copy,
         "import": test_import, "lockout": test_lockout,
         "redisauth": test_redisauth}[WHAT](root)
    finally:
        if not os.environ.get("HUB_KEEP_TEST_TMP"):
            subprocess.run(["rm", "-rf", root])
    return scalehub.report(f"pg_ops {WHAT}")


MODS_ANALYTICS = "[module.analytics]\npath = analytics.so\n"


def test_copy(root):
    lite = Hub(root, "lite", "backend = sqlite")
    with open(lite.conf, "a") as f:
        f.write(MODS_ANALYTICS)
    pg = Hub(root, "pgc", "backend = postgresql\n"
             f"dsn = {os.environ['HUB_PG_DSN']}\nschema = copied")
    with open(pg.conf, "a") as f:
        f.write(MODS_ANALYTICS)
    try:
        check(lite.start(), "hubd started on SQLite")
        add_user(lite, "alice", "staff")
        add_user(lite, "root", "admin")
        alice = login(lite, "alice")
        root_s = login(lite, "root")
        check(alice is not None and root_s is not None, "both sign in")
        starts = free_starts(lite, alice, 4)
        ids = [book(lite, alice, s, f"Lite{i}") for i, s in
               enumerate(starts[:3])]
        check(len(ids) == 3 and all(ids), f"three bookings ({ids})")
        st, _, _ = lite.req("POST", f"/api/v1/bookings/{ids[1]}/cancel",
                            {"reason": "copy test"}, sess=alice)
        check(st == 200, "one cancelled")
        before = bookings(lite, alice)
        st, data, _ = lite.req("GET", "/api/v1/admin/audit", sess=root_s)
        audit_before = len(json.loads(data).get("items", [])) \
            if st == 200 else -1
        check(audit_before > 0, f"audit entries on SQLite ({audit_before})")

        rc, out = pg.ctl("copy-to-pg", "--from", lite.data)
        check(rc != 0 and "in use" in out,
              f"refused while the SQLite hubd runs ({out.strip()[:120]})")
        lite.stop()

        key = os.path.join(lite.data, "secret.key")
        if os.path.exists(key):
            rc, out = pg.ctl("copy-to-pg", "--from", lite.data)
            check(rc != 0 and "secret key" in out,
                  f"refused with another secret key ({out.strip()[:140]})")
            os.makedirs(pg.data, exist_ok=True)
            with open(key, "rb") as f, open(
                    os.path.join(pg.data, "secret.key"), "wb") as g:
                g.write(f.read())
            os.chmod(os.path.join(pg.data, "secret.key"), 0o600)
        rc, out = pg.ctl("copy-to-pg", "--from", lite.data)
        print("     " + out.strip().replace("\n", "\n     "))
        check(rc == 0 and "row counts verified" in out,
              "hubctl copy-to-pg from the SQLite data directory")
        rc2, out2 = pg.ctl("copy-to-pg", "--from",
                           os.path.join(lite.data, "hub.db"))
        check(rc2 != 0 and "not empty" in out2,
              f"a second copy is refused ({out2.strip()[:120]})")

        check(pg.start(), "hubd starts on the copy in PostgreSQL")
        st, data, _ = pg.req("GET", "/api/v1/auth/me", sess=alice)
        check(st == 200 and b'"alice"' in data,
              "a session made on SQLite works on PostgreSQL")
        alice2 = login(pg, "alice")
        check(alice2 is not None, "alice signs in with the same password")
        after = bookings(pg, alice2) if alice2 else None
        check(after == before, f"the same bookings ({after})")
        root2 = login(pg, "root")
        st, data, _ = pg.req("GET", "/api/v1/admin/audit", sess=root2)
        items = json.loads(data).get("items", []) if st == 200 else []
        check(len(items) >= audit_before,
              f"the audit log came along ({len(items)} entries)")
        nid = book(pg, alice2, starts[3], "OnPg") if alice2 else None
        check(nid is not None and nid > max(ids),
              f"a new booking gets an id after the copied ones ({nid})")
        rc, out = pg.ctl("user", "add", "zoe", "--role", "staff",
                         stdin="pw-zoe-Secret1\n")
        check(rc == 0, f"a new user after the copy ({out.strip()[:80]})")
    finally:
        lite.stop()
        pg.stop()


IMPORT = os.path.join(HERE, "..", "store", "fixtures", "import")


def table_counts(schema):
    rc, out = psql(os.environ["HUB_PG_DSN"],
                   f"SELECT (SELECT COUNT(*) FROM {schema}.users), "
                   f"(SELECT COUNT(*) FROM {schema}.booking_bookings), "
                   f"(SELECT COUNT(*) FROM {schema}.booking_history), "
                   f"(SELECT COUNT(*) FROM {schema}.booking_blocks)")
    return out if rc == 0 else None


def test_import(root):
    good = os.path.join(IMPORT, "good")
    bad = os.path.join(IMPORT, "bad")
    pg = Hub(root, "pgi", "backend = postgresql\n"
             f"dsn = {os.environ['HUB_PG_DSN']}\nschema = imported")
    lite = Hub(root, "litei", "backend = sqlite")
    try:
        rc, out = pg.ctl("import-json", good)
        check(rc == 0, f"import-json into PostgreSQL ({out.strip()[-160:]})")
        first = table_counts("imported")
        check(first is not None and not first.startswith("0|"),
              f"users, bookings, history, blocks imported ({first})")
        rc, out = pg.ctl("import-json", good)
        check(rc == 0 and table_counts("imported") == first,
              f"a second import changes nothing ({out.strip()[-120:]})")
        rc, out = pg.ctl("import-json", bad)
        check(rc != 0 and "tracking/bookings.jsonl:3" in out,
              f"a damaged file is refused ({out.strip()[-120:]})")
        check(table_counts("imported") == first, "and imports nothing")
        rc, out = pg.ctl("user", "list")
        check(rc == 0 and "dora" not in out and "bert" in out,
              "dora (only in the damaged set) is not there")
        check(pg.start(), "hubd starts on the imported PostgreSQL data")
        bert = login(pg, "bert", "bert-pass-2")
        chris = login(pg, "chris", "legacy-plain-3")
        check(bert is not None, "bert signs in with the old bcrypt password")
        check(chris is not None, "chris signs in with the legacy password")
        st, data, _ = pg.req("POST", "/api/v1/auth/login",
                             {"username": "anna",
                              "password": "anna-secret-1"})
        check(st == 401 and b"totp" in data,
              f"anna's 2FA came along ({st} {data[:80]})")

        # the same import on SQLite lists the same bookings
        rc, out = lite.ctl("import-json", good)
        check(rc == 0, "the same import into SQLite")
        check(lite.start(), "hubd on the SQLite import")
        bert_l = login(lite, "bert", "bert-pass-2")
        on_pg = bookings(pg, bert) if bert else None
        on_lite = bookings(lite, bert_l) if bert_l else None
        check(on_pg is not None and on_pg == on_lite,
              f"PostgreSQL lists the bookings SQLite lists "
              f"({len(on_pg or {})} and {len(on_lite or {})})")
    finally:
        pg.stop()
        lite.stop()


if __name__ == "__main__":
    sys.exit(main())
