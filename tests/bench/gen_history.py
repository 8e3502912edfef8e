#!/usr/bin/env python3
"""gen_history.py - booking history in the old system's JSON format.

Writes DIR/tracking/bookings.jsonl and DIR/tracking/outcomes.jsonl as the
old Flask system kept them (one JSON object a line; see the booking
module's import), for `hubctl import-json DIR`:

  python3 gen_history.py DIR --bookings 300000 --start 2024-12-01 \
      --days 730 [--bookers 40] [--seed 1] [--today 2026-12-01]

Bookings fall on the slot grid (Mon-Thu 09/11/14/16/18/20, Fri 09/11/14,
local time Europe/Berlin) plus a few off-grid times, spread evenly over
the days; customers are German names with umlauts, some rescheduled
("( Verschoben )"); timestamps carry the correct offset for their date
(some are naive local times, as the old system also wrote). Bookings
whose slot lies before --today get an outcome line (completed, no_show
or cancelled; some are checked twice and the last line wins); a few stay
without one (pending).

As a module (tests/analytics imports it), generate() returns the list of
bookings as dicts with the facts the figures depend on, so a test can
compute expected figures on its own.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
GRID = {0: ["09:00", "11:00", "14:00", "16:00", "18:00", "20:00"],
        1: ["09:00", "11:00", "14:00", "16:00", "18:00", "20:00"],
        2: ["09:00", "11:00", "14:00", "16:00", "18:00", "20:00"],
        3: ["09:00", "11:00", "14:00", "16:00", "18:00", "20:00"],
        4: ["09:00", "11:00", "14:00"]}
OFF_GRID = ["12:30", "19:00", "08:00"]
LAST = ["Müller", "Schäfer", "Weiß", "Groß", "Köhler", "Schröder", "Böhm",
        "Jäger", "Krüger", "Lößer", "Schmidt", "Becker", "Hoffmann", "Wagner",
        "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause",
        "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köster", "Huber",
        "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß-Öztürk",
        "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz",
        "Baumann"]
FIRST = ["Jürgen", "Jörg", "Björn", "Sören", "Anna", "Hans", "Eva", "Uwe",
         "Käthe", "Gülay", "Lena", "Max", "Paul", "Marie", "Sophie", "Lukas",
         "Mia", "Jonas", "Lea", "Ben", "Emma", "Felix", "Hannah", "Leon",
         "Clara", "Noah", "Ida", "Elias", "Greta", "Till"]
TYPES = [("normal", 60), ("top", 15), ("closer_needed", 10), ("recall", 15)]
CATEGORY = {"normal": "normal", "top": "top",
            "closer_needed": "closer_needed", "recall": "callback"}
COLORS = {"normal": "2", "top": "7", "closer_needed": "5", "recall": "3"}
OUTCOMES = [("completed", 68), ("no_show", 20), ("cancelled", 9), (None, 3)]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
            "Saturday", "Sunday"]


def pick(rng, table):
    """A value of [(value, weight)] by weight."""
    r = rng.uniform(0, sum(w for _, w in table))
    for v, w in table:
        r -= w
        if r <= 0:
            return v
    return table[-1][0]


def slots_of(start, days):
    """Every (date, "HH:MM") of the grid in [start, start + days)."""
    out = []
    for i in range(days):
        d = start + dt.timedelta(days=i)
        for t in GRID.get(d.weekday(), []):
            out.append((d, t))
    return out


def generate(start, days, n, bookers=40, seed=1, today=None):
    """The history: a list of dicts (id, customer, date, time, user, type,
    slot_utc, created_utc, outcome, lines), outcome being 'appeared',
    'no_show', 'cancelled' or 'pending' after the last outcome line."""
    rng = random.Random(seed)
    slots = slots_of(start, days)
    today = today or (start + dt.timedelta(days=days))
    users = ["agent%02d" % i for i in range(1, bookers + 1)]
    users[0] = "jürgen.k"  # a booker name with an umlaut
    out = []
    for i in range(n):
        d, t = slots[i * len(slots) // n]
        if rng.random() < 0.01:
            t = rng.choice(OFF_GRID)
        hh, mm = int(t[:2]), int(t[3:])
        local = dt.datetime(d.year, d.month, d.day, hh, mm, tzinfo=ZONE)
        # unique per slot: the old id is "{date}_{time}_{customer}"
        customer = "%s, %s" % (rng.choice(LAST), rng.choice(FIRST))
        customer += " %d" % i if rng.random() < 0.5 else " (%d)" % i
        if rng.random() < 0.03:
            customer += " ( Verschoben )"
        lead = min(int(rng.expovariate(1 / 6.0) * 86400), 56 * 86400)
        lead = max(lead, 600)
        created = local.astimezone(dt.timezone.utc) - dt.timedelta(
            seconds=lead)
        kind = pick(rng, TYPES)
        rec = {
            "id": "%s_%s_%s" % (d.isoformat(), t, customer.replace(" ", "_")),
            "customer": customer, "date": d.isoformat(), "time": t,
            "user": rng.choice(users), "type": kind,
            "category": CATEGORY[kind],
            "slot_utc": int(local.timestamp()),
            "created_utc": int(created.timestamp()),
            "outcome": "pending", "lines": [],
        }
        if d < today:
            final = pick(rng, OUTCOMES)
            if final is not None:
                if rng.random() < 0.05:  # checked twice: the last wins
                    rec["lines"].append(pick(rng, OUTCOMES[:3]))
                rec["lines"].append(final)
                rec["outcome"] = {"completed": "appeared"}.get(final, final)
        out.append(rec)
    return out


def stamp(utc_seconds, rng):
    """The old system's timestamp of an instant: offset form mostly, naive
    local time sometimes."""
    local = dt.datetime.fromtimestamp(utc_seconds, ZONE)
    if rng.random() < 0.2:
        return local.replace(tzinfo=None).isoformat(timespec="microseconds")
    return local.isoformat(timespec="microseconds")


def write(dirname, history, seed=1):
    """Writes the two JSON-lines files of `history` under dirname."""
    rng = random.Random(seed + 1)
    os.makedirs(os.path.join(dirname, "tracking"), exist_ok=True)
    with open(os.path.join(dirname, "tracking", "bookings.jsonl"), "w",
              encoding="utf-8") as f:
        for r in history:
            d = dt.date.fromisoformat(r["date"])
            booked = dt.datetime.fromtimestamp(r["created_utc"], ZONE)
            desc_len = rng.choice([0, 0, 12, 40, 120])
            line = {
                "id": r["id"], "timestamp": stamp(r["created_utc"], rng),
                "customer": r["customer"], "date": r["date"],
                "time": r["time"], "weekday": WEEKDAYS[d.weekday()],
                "week_number": d.isocalendar()[1], "user": r["user"],
                "potential_type": r["type"], "color_id": COLORS[r["type"]],
                "description_length": desc_len,
                "has_description": desc_len > 0,
                "booking_lead_time": (r["slot_utc"] - r["created_utc"])
                // 86400,
                "booked_at_hour": booked.hour,
                "booked_on_weekday": WEEKDAYS[booked.weekday()],
            }
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    colors = {"completed": "2", "no_show": "11", "cancelled": "6"}
    with open(os.path.join(dirname, "tracking", "outcomes.jsonl"), "w",
              encoding="utf-8") as f:
        for r in history:
            for k, o in enumerate(r["lines"]):
                checked = r["slot_utc"] + 3 * 3600 + k * 86400
                line = {
                    "id": r["id"], "timestamp": stamp(checked, rng),
                    "customer": r["customer"], "date": r["date"],
                    "time": r["time"], "outcome": o,
                    "color_id": colors[o], "potential_type": r["type"],
                    "checked_at": stamp(checked, rng),
                    "description": "Termin %s" % o,
                }
                f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--bookings", type=int, default=300000)
    p.add_argument("--start", default=None,
                   help="first day (default: --days before --today)")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--bookers", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--today", default=None,
                   help="days before it get outcomes (default: today)")
    a = p.parse_args()
    today = dt.date.fromisoformat(a.today) if a.today else dt.date.today()
    start = (dt.date.fromisoformat(a.start) if a.start
             else today - dt.timedelta(days=a.days))
    hist = generate(start, a.days, a.bookings, a.bookers, a.seed, today)
    write(a.dir, hist, a.seed)
    print("%d bookings %s..%s, %d outcome lines, in %s" % (
        len(hist), start, start + dt.timedelta(days=a.days - 1),
        sum(len(r["lines"]) for r in hist), a.dir), file=sys.stderr)


if __name__ == "__main__":
    main()
