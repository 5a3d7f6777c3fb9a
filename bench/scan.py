"""Benchmark of the scan endpoint (``POST /api/v1/scan``) over real HTTP, against gunicorn.

For each database (a SQLite file, then PostgreSQL when reachable) it:

1. fills the database once (devices with a consistent history of events; reused on later runs);
2. starts two gunicorn servers on it: the Rekonekt app, and the "framework floor"
   (``bench/floor_app.py``: bare Flask reading one row by an indexed key and writing one row);
3. loads each with C client processes (``http.client``, one connection each), alternating
   floor, scan, floor, scan (``--rounds``), and keeps the median of the runs of each endpoint;
   with ``--baseline DIR``, the app of another checkout (an older commit) is served on the same
   data and measured in the same alternation (floor, scan, baseline, …): a before/after that the
   shared machine's drifts hit alike;
4. prints a Markdown table and writes it to ``bench/results/scan-<timestamp>.md``.

Targets to judge against: scan p99 <= 25 ms, and scan throughput >= 50 % of the floor's.
This script only measures; it changes nothing in the app.

    .venv/bin/python bench/scan.py                          # full size, both databases
    .venv/bin/python bench/scan.py --devices 2000 --seconds 2   # quick smoke run
    git archive 2d1a6e1 | tar -x -C /tmp/before                 # an older commit, then
    .venv/bin/python bench/scan.py --baseline /tmp/before        # before and after, in one run

The module imports only the standard library at the top: client processes are started with
"spawn" and must stay light. Application code is imported inside the functions that need it.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rekonekt_bench"

PASSWORD = "bench-password"
MIN_USERS = 8  # bench accounts created with the data; events are attributed to them
SCAN_TARGETS = {"p99_ms": 25.0, "floor_share": 0.5}

# Set before any import of ``config``: the bench never writes to the project's instance/.
os.environ.setdefault("REKONEKT_INSTANCE_DIR", str(RESULTS / "instance"))
# The app and ``bench.floor_app`` are imported from the project root (spawned children inherit
# this path; gunicorn gets it from --chdir).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# bench.database, too, imports only the standard library at the top (see this module's docstring).
from bench.database import app_environment, create_database, refusal, reset_schema, vacuum_analyze  # noqa: E402


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------

# category -> (share, [(brand, model, cpu, ram_gb, storage_summary, screen_in, os, weight_kg)])
CATALOGUE = {
    "laptop": (40, [
        ("Dell", "Latitude 5490", "Intel Core i5-8350U", 8.0, "SSD 256 Go", 14.0, "Windows 11", 1.6),
        ("HP", "EliteBook 840 G5", "Intel Core i5-8250U", 8.0, "SSD 256 Go", 14.0, "Windows 11", 1.5),
        ("Lenovo", "ThinkPad T480", "Intel Core i5-8250U", 16.0, "NVMe 512 Go", 14.0, "Windows 11", 1.6),
        ("Lenovo", "ThinkPad X270", "Intel Core i3-7100U", 8.0, "HDD 500 Go", 12.5, "Ubuntu 24.04", 1.4),
    ]),
    "desktop": (15, [
        ("HP", "ProDesk 600 G4", "Intel Core i5-8500", 8.0, "HDD 500 Go", None, "Windows 11", 5.8),
        ("Dell", "OptiPlex 7060", "Intel Core i5-8500", 8.0, "SSD 256 Go", None, "Windows 11", 5.2),
    ]),
    "tablet": (12, [
        ("Samsung", "Galaxy Tab A8", None, 3.0, "32 Go", 10.5, "Android 14", 0.51),
        ("Apple", "iPad 7", None, 3.0, "32 Go", 10.2, "iPadOS 18", 0.49),
    ]),
    "smartphone": (23, [
        ("Samsung", "Galaxy A52", None, 6.0, "128 Go", 6.5, "Android 14", 0.19),
        ("Apple", "iPhone SE 2020", None, 3.0, "64 Go", 4.7, "iOS 18", 0.15),
        ("Xiaomi", "Redmi Note 10", None, 4.0, "64 Go", 6.4, "Android 13", 0.18),
    ]),
    "monitor": (10, [
        ("Dell", "P2419H", None, None, None, 24.0, None, 3.3),
        ("Iiyama", "ProLite XU2493HS", None, None, None, 23.8, None, 3.0),
    ]),
}

# The lifecycle's transition table, as in inventory/lifecycle.py (copied so that generating
# data needs no app import; the database's check constraints catch any drift).
TRANSITIONS = {
    "received": ("wiping", "repair", "grading", "parts", "recycled"),
    "wiping": ("repair", "grading", "parts", "recycled"),
    "repair": ("grading", "parts", "recycled"),
    "grading": ("in_stock", "repair", "parts", "recycled"),
    "in_stock": ("reserved", "repair", "parts", "recycled"),
    "reserved": ("distributed", "in_stock"),
    "distributed": ("repair",),
    "parts": ("recycled",),
    "recycled": (),
}
OUTSIDE_WORKSHOP = {"distributed", "recycled"}  # no more moves
# The usual next step; other allowed targets are drawn now and then.
FORWARD = {"received": "wiping", "wiping": "grading", "repair": "grading", "grading": "in_stock",
           "in_stock": "reserved", "reserved": "distributed", "parts": "recycled"}
STATION_OF = {"wiping": "wiping", "repair": "repair", "grading": "grading", "in_stock": "stock"}

DEVICES_PER_COLLECTION = 100
DONORS = 50
BINS_PER_SITE = 30
FIRST_COLLECTION_DAY = date(2023, 6, 1)
COLLECTION_SPAN_DAYS = 3 * 365
# Events of this many devices are generated together, then sorted by time before they get
# their ids: a device's history ends up spread over the table as in real life (where events
# of many devices interleave), instead of sitting in one contiguous run of rows.
BLOCK_DEVICES = 10_000

DEVICE_COLUMNS = ("id", "asset_tag", "category", "brand", "model", "serial_number", "imei", "cpu",
                  "ram_gb", "storage_summary", "screen_in", "os", "weight_kg", "collection_id",
                  "location_id", "state", "grade", "created_at", "updated_at", "version")
EVENT_COLUMNS = ("id", "device_id", "kind", "from_state", "to_state", "at", "user_id",
                 "location_id", "station", "note")
MEDIUM_COLUMNS = ("id", "device_id", "kind", "serial_number", "capacity_gb", "origin", "created_at")
ERASURE_COLUMNS = ("id", "medium_id", "level", "technique", "tool", "result", "verified",
                   "started_at", "ended_at", "recorded_at", "source")
# Storage medium per category (monitors carry none), as the app registers them.
MEDIUM_OF = {"laptop": ("ssd", 256), "desktop": ("hdd", 500), "tablet": ("flash", 32),
             "smartphone": ("flash", 64)}
NOT_YET_WIPED = {"received", "wiping"}


def asset_tag(number: int) -> str:
    """Same format as the app's (ASSET_TAG_PREFIX "RK-", ASSET_TAG_DIGITS 6)."""
    return f"RK-{number:06d}"


def _luhn_complete(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


@dataclass
class Reference:
    """Ids of the small tables the devices and events point to."""

    collections: list[tuple[int, datetime]]  # (id, collected at)
    bins: list[int]
    users: list[int]


def events_per_device(n_devices: int, average: int, rng: random.Random) -> list[int]:
    """History lengths between 1 and 2*average-1, drawn in pairs (a+d, a-d): the total is
    exactly n_devices * average."""
    counts = []
    for _ in range(n_devices // 2):
        d = rng.randint(-(average - 1), average - 1)
        counts += [average + d, average - d]
    if n_devices % 2:
        counts.append(average)
    rng.shuffle(counts)
    return counts


def device_history(device_id: int, k: int, start: datetime, ref: Reference,
                   rng: random.Random) -> tuple[list[tuple], str, str | None, int | None, datetime]:
    """``k`` events of one device following the lifecycle (transitions, moves, grading).
    Returns (events without ids, final state, grade, location id, time of the last event)."""
    state, grade = "received", None
    location = rng.choice(ref.bins)
    at = start
    user = rng.choice(ref.users)
    events = [(device_id, "received", None, "received", at, user, location, "reception", None)]
    for index in range(1, k):
        last = index == k - 1
        at += timedelta(minutes=rng.randint(20, 6 * 24 * 60))
        user = rng.choice(ref.users)
        # Recycling ends a history, so it only comes last; stock needs a grade (the guards).
        targets = [t for t in TRANSITIONS[state]
                   if (t != "recycled" or last) and (t != "in_stock" or grade)]
        if state == "grading" and grade is None:
            grade = rng.choice("ABC")
            events.append((device_id, "graded", state, state, at, user, location, "grading",
                           f"Note {grade}"))
        elif targets and (rng.random() < 0.5 or state in OUTSIDE_WORKSHOP):
            forward = FORWARD.get(state)
            target = forward if forward in targets and rng.random() < 0.85 else rng.choice(targets)
            events.append((device_id, "transition", state, target, at, user, location,
                           STATION_OF.get(target), None))
            state = target
            if state == "repair":
                grade = None  # a device back in repair is graded again
        else:
            location = rng.choice([b for b in ref.bins if b != location])
            events.append((device_id, "move", state, state, at, user, location, "stock", None))
    return events, state, grade, location, at


def device_row(device_id: int, collection_id: int, events: int, state: str, grade: str | None,
               location: int, created: datetime, updated: datetime, rng: random.Random) -> tuple:
    categories = list(CATALOGUE)
    category = rng.choices(categories, weights=[CATALOGUE[c][0] for c in categories])[0]
    brand, model, cpu, ram, storage, screen, os_name, weight = rng.choice(CATALOGUE[category][1])
    imei = None
    if category == "smartphone" or (category == "tablet" and device_id % 2):
        imei = _luhn_complete(f"35{device_id:012d}")
    serial = f"{brand[:2].upper()}{device_id:09d}"
    # The ORM bumps ``version`` on every update: one insert, then one update per later event.
    return (device_id, asset_tag(device_id), category, brand, model, serial, imei, cpu, ram,
            storage, screen, os_name, weight, collection_id, location, state, grade, created,
            updated, events)


def medium_rows(device: tuple, state: str, start: datetime) -> tuple[list[tuple], list[tuple]]:
    """The device's storage medium (one, id = device id) and, once past wiping, its passing
    and verified erasure record: what the scan reads to compute the allowed states."""
    device_id, category = device[0], device[2]
    if category not in MEDIUM_OF:
        return [], []
    kind, capacity = MEDIUM_OF[category]
    serial = None if kind == "flash" else f"DK{device_id:09d}"
    media = [(device_id, device_id, kind, serial, capacity, "donated", start)]
    if state in NOT_YET_WIPED:
        return media, []
    technique = "factory-reset" if kind == "flash" else "overwrite"
    wiped = start + timedelta(hours=2)
    return media, [(device_id, device_id, "purge" if kind == "flash" else "clear", technique,
                    "bench", "pass", True, start + timedelta(hours=1), wiped, wiped, "manual")]


def generate_blocks(n_devices: int, average: int, ref: Reference, seed: int = 972):
    """Yield (device rows, event rows, medium rows, erasure rows) per block of devices; ids
    are final."""
    rng = random.Random(seed)
    counts = events_per_device(n_devices, average, rng)
    next_event_id = 1
    for first in range(1, n_devices + 1, BLOCK_DEVICES):
        devices, events, media, erasures = [], [], [], []
        for device_id in range(first, min(first + BLOCK_DEVICES, n_devices + 1)):
            collection_id, collected = ref.collections[(device_id - 1) // DEVICES_PER_COLLECTION]
            start = collected + timedelta(minutes=rng.randint(60, 10 * 24 * 60))
            k = counts[device_id - 1]
            history, state, grade, location, last_at = device_history(device_id, k, start, ref, rng)
            events += history
            devices.append(device_row(device_id, collection_id, k, state, grade, location, start,
                                      last_at, rng))
            device_media, device_erasures = medium_rows(devices[-1], state, start)
            media += device_media
            erasures += device_erasures
        events.sort(key=lambda e: e[4])  # by time, see BLOCK_DEVICES
        rows = [(next_event_id + i, *e) for i, e in enumerate(events)]
        next_event_id += len(rows)
        yield devices, rows, media, erasures


# --------------------------------------------------------------------------------------------
# Filling a database
# --------------------------------------------------------------------------------------------

class BulkWriter:
    """Bulk inserts with explicit ids. PostgreSQL: COPY; SQLite: Core insert() executemany.
    Timestamps are naive UTC, as the app stores them (core.types.UTCDateTime)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.postgres = self.engine.dialect.name == "postgresql"
        if self.postgres:
            self.raw = self.engine.raw_connection()  # psycopg 3 connection, for COPY
        else:
            self.conn = self.engine.connect()
            # Speed only, for this one connection; none of these persist in the file.
            for pragma in ("synchronous = OFF", "journal_mode = MEMORY", "cache_size = -262144"):
                self.conn.exec_driver_sql(f"PRAGMA {pragma}")

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        from sqlalchemy import column, insert
        from sqlalchemy import table as table_clause

        # An untyped table clause: values go to sqlite3 as they are, so dates and times are
        # turned here into SQLAlchemy's SQLite storage format ("2024-01-31 08:00:00.000000").
        def sqlite_value(value):
            if isinstance(value, datetime):
                return value.isoformat(" ", "microseconds")
            if isinstance(value, date):
                return value.isoformat()
            return value

        target = table_clause(table, *(column(c) for c in columns))
        dicts = [{c: sqlite_value(v) for c, v in zip(columns, row)} for row in rows]
        self.conn.execute(insert(target), dicts)

    def commit(self) -> None:
        (self.raw if self.postgres else self.conn).commit()

    def close(self) -> None:
        (self.raw if self.postgres else self.conn).close()
        self.engine.dispose()


def fill(url: str, n_devices: int, average: int, user_ids: list[int]) -> None:
    """Insert organisations, sites, bins, collections, devices and events (the schema exists)."""
    writer = BulkWriter(url)
    epoch = datetime(2023, 5, 1)
    organisations = [(1, "workshop", "Atelier Rekonekt (bench)", epoch)] + [
        (i, "donor", f"Donateur {i - 1:02d} (bench)", epoch) for i in range(2, DONORS + 2)]
    writer.write("organisation", ("id", "kind", "name", "created_at"), organisations)
    writer.write("site", ("id", "code", "name", "kind", "organisation_id"),
                 [(1, "ATL", "Atelier (bench)", "workshop", 1),
                  (2, "ENT", "Entrepôt (bench)", "warehouse", 1)])
    bins = []
    for site_id, site_code in ((1, "ATL"), (2, "ENT")):
        for n in range(1, BINS_PER_SITE + 1):
            bins.append((len(bins) + 1, site_id, f"LOC-{site_code}-{n:02d}", f"Bac {site_code} {n}",
                         "bin", True))
    writer.write("location", ("id", "site_id", "code", "name", "kind", "active"), bins)

    n_collections = math.ceil(n_devices / DEVICES_PER_COLLECTION)
    collections, numbers = [], {}
    for cid in range(1, n_collections + 1):
        day = FIRST_COLLECTION_DAY + timedelta(days=COLLECTION_SPAN_DAYS * (cid - 1) // n_collections)
        numbers[day.year] = numbers.get(day.year, 0) + 1
        declared = min(DEVICES_PER_COLLECTION, n_devices - (cid - 1) * DEVICES_PER_COLLECTION)
        collections.append((cid, f"COL-{day.year}-{numbers[day.year]:04d}", 2 + cid % DONORS, day,
                            1, declared, datetime.combine(day, datetime.min.time()) + timedelta(hours=12)))
    writer.write("collection", ("id", "reference", "donor_id", "collected_on", "site_id",
                                "declared_count", "created_at"), collections)
    # The app's gapless counters continue after the bench numbers.
    writer.write("counter", ("name", "value"),
                 [("asset_tag", n_devices)] + [(f"collection:{y}", n) for y, n in numbers.items()])

    ref = Reference(collections=[(c[0], c[6]) for c in collections],
                    bins=[b[0] for b in bins], users=user_ids)
    done = 0
    for devices, events, media, erasures in generate_blocks(n_devices, average, ref):
        writer.write("device", DEVICE_COLUMNS, devices)
        writer.write("device_event", EVENT_COLUMNS, events)
        writer.write("storage_medium", MEDIUM_COLUMNS, media)
        writer.write("erasure_record", ERASURE_COLUMNS, erasures)
        done += len(devices)
        log(f"  {done:,}/{n_devices:,} devices")
    if writer.postgres:
        # Explicit ids leave the serial sequences behind: move them past the data.
        with writer.raw.cursor() as cur:
            for name in ("organisation", "site", "location", "collection", "device", "device_event",
                         "storage_medium", "erasure_record"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))")
    writer.commit()
    writer.close()


def data_counts(url: str) -> tuple[int, int] | None:
    """(devices, events) in the database, or None when it has no such tables, or data made
    before devices got their storage media."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            devices = conn.execute(text("SELECT count(*) FROM device")).scalar_one()
            events = conn.execute(text("SELECT count(*) FROM device_event")).scalar_one()
            if devices and not conn.execute(text("SELECT count(*) FROM storage_medium")).scalar_one():
                return None
            return devices, events
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def ensure_users(app, count: int) -> list[tuple[int, str]]:
    """Bench accounts bench01…benchNN with the Technicien role; returns (id, username)."""
    from app.extensions import db

    sm = app.appbuilder.sm
    role = sm.find_role("Technicien")
    users = []
    for n in range(1, count + 1):
        name = f"bench{n:02d}"
        user = sm.find_user(username=name)
        if user is None:
            user = sm.add_user(name, "Bench", f"Client {n}", f"{name}@bench.invalid", role,
                               password=PASSWORD)
            if not user:
                raise RuntimeError(f"could not create the bench user {name}")
        users.append((user.id, name))
    db.session.commit()
    return users


def schema_gap(url: str) -> str | None:
    """A table or column of the app's models that the database lacks, or None. Catches data
    left by an older schema, e.g. after an edit of a migration that was already applied."""
    import importlib

    from sqlalchemy import create_engine, inspect

    importlib.import_module("app.models")  # completes the metadata, as create_app does
    from core.base import Model

    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        existing = set(inspector.get_table_names())
        for table in Model.metadata.sorted_tables:
            if table.name not in existing:
                return f"table {table.name} is missing"
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in columns]
            if missing:
                return f"{table.name} lacks {', '.join(missing)}"
    finally:
        engine.dispose()
    return None


def prepare_database(kind: str, url: str, sqlite_path: str | None, devices: int, average: int,
                     users: int, refill: bool) -> dict:
    """Run in a child process (one app per process): migrate, fill unless the right data is
    already there, create the bench users and the floor's table. Returns what was done.

    The fill is one transaction: an interrupted fill leaves wrong counts, hence a refill."""
    os.environ.update(app_environment(url))
    from sqlalchemy import create_engine

    from app import create_app
    from app.bootstrap import prepare
    from app.extensions import db
    from bench.floor_app import BENCH_WRITE

    app = create_app()
    wanted = (devices, devices * average)
    reason = "--refill" if refill else None
    if reason is None:
        prepare(app, demo=False, demo_password=PASSWORD)  # applies pending migrations, if any
        counts = data_counts(url)
        gap = schema_gap(url)
        if gap:
            reason = f"schema out of date ({gap})"
        elif counts != wanted:
            reason = f"found {counts or (0, 0)} devices/events, want {wanted}"
    if reason:
        log(f"[{kind}] (re)building the database: {reason}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no open connection to the file or schema being dropped
        if kind == "sqlite":
            Path(sqlite_path).unlink(missing_ok=True)
        else:
            reset_schema(url)  # its name was checked by postgres_problem
        prepare(app, demo=False, demo_password=PASSWORD)

    with app.app_context():
        accounts = ensure_users(app, max(users, MIN_USERS))
        db.session.remove()
        db.engine.dispose()

    fill_seconds = None
    if reason:
        log(f"[{kind}] filling {devices:,} devices and {devices * average:,} events …")
        started = time.monotonic()
        fill(url, devices, average, [uid for uid, _ in accounts[:MIN_USERS]])
        if kind == "postgresql":
            vacuum_analyze(url)  # what autovacuum would do after such a load
        fill_seconds = time.monotonic() - started
        log(f"[{kind}] filled in {fill_seconds:.1f} s")

    engine = create_engine(url)
    BENCH_WRITE.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(BENCH_WRITE.delete())  # each bench starts from an empty floor table
    engine.dispose()
    return {"fill_seconds": fill_seconds, "counts": data_counts(url),
            "users": [name for _, name in accounts[:users]]}


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------

def postgres_problem(url: str) -> str | None:
    """Why the bench cannot use this PostgreSQL URL (then it is skipped), or None. Creates the
    database when it does not exist yet."""
    reason = refusal(url)
    if reason:
        return reason
    try:
        created = create_database(url, connect_timeout=3)
        if created:
            log(f"[postgresql] created database {created}")
    except Exception as exc:  # unreachable server, bad credentials…: skip with the reason
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def server_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + conn.execute(text("SELECT sqlite_version()")).scalar_one()
        else:
            version = "PostgreSQL " + conn.execute(text("SHOW server_version")).scalar_one().split()[0]
    engine.dispose()
    return version


# --------------------------------------------------------------------------------------------
# gunicorn
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn (sync workers, the default) serving ``app_spec`` of the checkout ``chdir``
    (this one by default) on a free local port."""

    def __init__(self, name: str, app_spec: str, url: str, workers: int, chdir: Path = ROOT) -> None:
        self.name, self.app_spec, self.url, self.workers, self.chdir = name, app_spec, url, workers, chdir
        self.port = free_port()
        self.log_path = RESULTS / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        env = dict(os.environ, **app_environment(self.url))
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--chdir", str(self.chdir), "--log-level", "warning",
             self.app_spec],
            env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()  # __exit__ is not called when __enter__ fails
            raise
        return self

    def _wait_ready(self, timeout: float = 90.0) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.name} not ready after {timeout:.0f} s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by this server's workers, from /proc (Linux;
        NaN elsewhere). Unlike throughput, it hardly moves with the machine's other load."""
        total, clock = 0.0, os.sysconf("SC_CLK_TCK")
        try:
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # a process that ended meanwhile
                if int(fields[1]) == self.process.pid:  # a worker of this gunicorn
                    total += (int(fields[11]) + int(fields[12])) / clock
        except OSError:
            return math.nan
        return total

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # graceful stop of the master and its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def post_json(port: int, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    import http.client

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def login(port: int, username: str) -> str:
    status, body = post_json(port, "/api/v1/security/login",
                             {"username": username, "password": PASSWORD, "provider": "db"})
    if status != 200 or "access_token" not in body:
        raise RuntimeError(f"login of {username} failed: {status} {body}")
    return body["access_token"]


# --------------------------------------------------------------------------------------------
# Load generation
# --------------------------------------------------------------------------------------------

def client_process(port: int, path: str, token: str | None, n_devices: int, seed: int,
                   warmup: float, seconds: float, barrier, results) -> None:
    """One client: POSTs scans of random devices, back to back, over one HTTPConnection.
    The client keeps it alive, but gunicorn's sync workers close the connection after each
    response, so http.client reconnects for every request (the same for both servers).
    Records the latency of the requests started after the warm-up and finished before the
    end of the window."""
    import http.client

    rng = random.Random(seed)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    previous = 0
    answered = 0  # every request answered, warm-up included: the server's CPU served them all
    barrier.wait(timeout=120)
    measure_from = time.monotonic() + warmup
    end = measure_from + seconds
    while True:
        number = rng.randint(1, n_devices)
        if number == previous:  # the same code twice within 2 s would be an ignored repeat
            continue
        previous = number
        body = json.dumps({"code": asset_tag(number), "station": None})
        started = time.monotonic()
        if started >= end:
            break
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            status = str(response.status)
            answered += 1
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status = type(exc).__name__
        finished = time.monotonic()
        if started >= measure_from and finished <= end:
            if status == "200":
                latencies.append(finished - started)
            else:
                errors[status] = errors.get(status, 0) + 1
    conn.close()
    results.put((latencies, errors, answered))


@dataclass
class Run:
    database: str
    endpoint: str
    number: int
    requests: int
    errors: dict[str, int]
    rps: float
    p50_ms: float
    p99_ms: float
    load: float = math.nan  # the machine's load average over the last minute, at the run's end
    cpu_ms: float = math.nan  # the server's CPU (workers, user + system) per answered request


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def load(database: str, endpoint: str, number: int, server: "Server", path: str, tokens: list[str | None],
         n_devices: int, warmup: float, seconds: float) -> Run:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(tokens))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=client_process,
                    args=(server.port, path, token, n_devices, 1000 * number + i, warmup, seconds,
                          barrier, results))
        for i, token in enumerate(tokens)
    ]
    cpu_before = server.cpu_seconds()
    for process in processes:
        process.start()
    collected = [results.get(timeout=warmup + seconds + 180) for _ in processes]
    for process in processes:
        process.join()
    cpu = server.cpu_seconds() - cpu_before
    latencies = sorted(lat for lats, _, _ in collected for lat in lats)
    answered = sum(n for _, _, n in collected)
    errors: dict[str, int] = {}
    for _, errs, _ in collected:
        for status, count in errs.items():
            errors[status] = errors.get(status, 0) + count
    run = Run(database, endpoint, number, len(latencies), errors, len(latencies) / seconds,
              1000 * percentile(latencies, 0.50), 1000 * percentile(latencies, 0.99), os.getloadavg()[0],
              1000 * cpu / answered if answered else math.nan)
    log(f"[{database}] {endpoint} run {number}: {run.rps:.1f} req/s, p50 {run.p50_ms:.1f} ms, "
        f"p99 {run.p99_ms:.1f} ms, server CPU {run.cpu_ms:.2f} ms/request, load {run.load:.1f}"
        + (f", errors {errors}" if errors else ""))
    return run


# --------------------------------------------------------------------------------------------
# One database, and the report
# --------------------------------------------------------------------------------------------

@dataclass
class DatabaseResult:
    name: str
    version: str
    devices: int
    events: int
    fill_seconds: float | None
    runs: list[Run] = field(default_factory=list)

    def median(self, endpoint: str, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.runs if r.endpoint == endpoint)


def bench_database(name: str, url: str, sqlite_path: str | None, args) -> DatabaseResult:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:  # a fresh process: the app is created once per database
        prepared = pool.apply(prepare_database, (name, url, sqlite_path, args.devices,
                                                 args.events_per_device, args.clients, args.refill))
    devices, events = prepared["counts"]
    if prepared["fill_seconds"] is None:
        log(f"[{name}] reusing the existing data ({devices:,} devices, {events:,} events)")
    result = DatabaseResult(name, server_version(url), devices, events, prepared["fill_seconds"])

    with contextlib.ExitStack() as servers:
        app_server = servers.enter_context(Server(f"{name}-app", "app:create_app()", url, args.workers))
        floor_server = servers.enter_context(
            Server(f"{name}-floor", "bench.floor_app:create_floor_app()", url, args.workers))
        plan = [("floor", floor_server, "/floor", [None] * args.clients),
                ("scan", app_server, "/api/v1/scan", scan_tokens(app_server.port, prepared["users"]))]
        if args.baseline:
            baseline = servers.enter_context(
                Server(f"{name}-baseline", "app:create_app()", url, args.workers, chdir=args.baseline))
            plan.append(("baseline", baseline, "/api/v1/scan", scan_tokens(baseline.port, prepared["users"])))
        status, body = post_json(floor_server.port, "/floor", {"code": asset_tag(1)})
        if status != 200:
            raise RuntimeError(f"floor sanity check failed: {status} {body}")

        # floor, scan (, baseline), floor, scan…: drifts of the machine hit every endpoint alike
        for number in range(1, args.rounds + 1):
            for endpoint, server, path, endpoint_tokens in plan:
                result.runs.append(load(name, endpoint, number, server, path, endpoint_tokens,
                                        devices, args.warmup, args.seconds))
    return result


def scan_tokens(port: int, users: list[str]) -> list[str]:
    """One access token per bench account, after a check that the scan answers a device card."""
    tokens = [login(port, user) for user in users]
    status, body = post_json(port, "/api/v1/scan", {"code": asset_tag(1), "station": None}, tokens[0])
    if status != 200 or body.get("kind") != "device":
        raise RuntimeError(f"scan sanity check failed (port {port}): {status} {body}")
    return tokens


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(results: list[DatabaseResult], skipped: dict[str, str], args, started: datetime) -> str:
    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = f"`{git('rev-parse', '--short', 'HEAD') or 'unknown'}`"
    if git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"):
        commit += " + uncommitted changes"  # to the app, that is (bench/ itself is left out)
    lines = [
        f"# Scan benchmark — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Commit {commit} · gunicorn {args.workers} sync workers per server · {args.clients} client "
        f"processes · {args.warmup:g} s warm-up + {args.seconds:g} s per run · runs alternate "
        f"{', '.join(endpoints(args))} × {args.rounds}; figures are the median of the runs of each.",
        f"Machine: {os.cpu_count()} CPUs, shared by the clients, gunicorn and the database · "
        f"Python {platform.python_version()}.",
        "Scan requests: `{\"code\": <random device tag>, \"station\": null}` (shows the device, "
        "writes the user's scan context), one bench account per client; the floor gets the same tags.",
        "",
        f"Targets: scan p99 ≤ {SCAN_TARGETS['p99_ms']:g} ms; scan throughput ≥ "
        f"{SCAN_TARGETS['floor_share']:.0%} of the floor's (bare Flask: one indexed read, one insert).",
        "",
        "| Database | Scan req/s | Scan p50 (ms) | Scan p99 (ms) | Floor req/s | Floor p50 (ms) "
        "| Floor p99 (ms) | Scan / floor | p99 ≤ 25 ms | ≥ 50 % of floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|",
    ]
    for r in results:
        scan_rps, floor_rps = r.median("scan", "rps"), r.median("floor", "rps")
        share = scan_rps / floor_rps if floor_rps else math.nan
        scan_p99 = r.median("scan", "p99_ms")
        lines.append(
            f"| {r.version} | {scan_rps:.1f} | {r.median('scan', 'p50_ms'):.1f} | {scan_p99:.1f} "
            f"| {floor_rps:.1f} | {r.median('floor', 'p50_ms'):.1f} | {r.median('floor', 'p99_ms'):.1f} "
            f"| {share:.0%} | {verdict(scan_p99 <= SCAN_TARGETS['p99_ms'])} "
            f"| {verdict(share >= SCAN_TARGETS['floor_share'])} |")
    for name, reason in skipped.items():
        lines.append(f"| {name} | skipped: {reason} | | | | | | | | |")

    if args.baseline:
        lines += ["", f"## Against the baseline (`{args.baseline}`, served on the same data in the same runs)", "",
                  "| Database | Baseline req/s | Baseline p50 (ms) | Baseline p99 (ms) | Baseline / floor "
                  "| Scan / baseline (req/s) |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in results:
            base_rps, floor_rps = r.median("baseline", "rps"), r.median("floor", "rps")
            lines.append(f"| {r.version} | {base_rps:.1f} | {r.median('baseline', 'p50_ms'):.1f} "
                         f"| {r.median('baseline', 'p99_ms'):.1f} | {base_rps / floor_rps:.0%} "
                         f"| {r.median('scan', 'rps') / base_rps:.2f}× |")

    lines += ["", "## Server CPU per request (gunicorn workers, user + system, warm-up included)", "",
              "Less moved than throughput by the machine's other load.", "",
              "| Database | Floor (ms) | Scan (ms) | Scan / floor |" + (" Baseline (ms) | Baseline / floor |" if args.baseline else ""),
              "|---|---:|---:|---:|" + ("---:|---:|" if args.baseline else "")]
    for r in results:
        floor_cpu, scan_cpu = r.median("floor", "cpu_ms"), r.median("scan", "cpu_ms")
        line = f"| {r.version} | {floor_cpu:.2f} | {scan_cpu:.2f} | {scan_cpu / floor_cpu:.2f}× |"
        if args.baseline:
            base_cpu = r.median("baseline", "cpu_ms")
            line += f" {base_cpu:.2f} | {base_cpu / floor_cpu:.2f}× |"
        lines.append(line)

    lines += ["", "## Runs", "",
              "| Database | Run | Endpoint | Requests | Errors | req/s | p50 (ms) | p99 (ms) | CPU (ms/req) | Load (1 min) |",
              "|---|---:|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for run in r.runs:
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(run.errors.items())) or "0"
            lines.append(f"| {r.name} | {run.number} | {run.endpoint} | {run.requests:,} | {errors} "
                         f"| {run.rps:.1f} | {run.p50_ms:.1f} | {run.p99_ms:.1f} | {run.cpu_ms:.2f} | {run.load:.1f} |")

    lines += ["", "## Data", "", "| Database | Devices | Events | Filling |", "|---|---:|---:|---|"]
    for r in results:
        filling = f"{r.fill_seconds:.0f} s" if r.fill_seconds is not None else "reused"
        lines.append(f"| {r.name} | {r.devices:,} | {r.events:,} | {filling} |")
    return "\n".join(lines) + "\n"


def endpoints(args) -> list[str]:
    return ["floor", "scan"] + (["baseline"] if args.baseline else [])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000, help="devices in the bench data")
    parser.add_argument("--events-per-device", type=int, default=10, help="average history length")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration of each run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured load before each run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--skip-postgres", action="store_true", help="bench SQLite only")
    parser.add_argument("--refill", action="store_true", help="rebuild the data even if present")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each endpoint, alternating")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout of another commit whose app is measured in the same runs")
    args = parser.parse_args(argv)
    if (args.devices < 2 or args.events_per_device < 1 or args.clients < 1 or args.workers < 1
            or args.rounds < 1):
        parser.error("--devices must be >= 2; --events-per-device, --clients, --workers, --rounds >= 1")
    if args.baseline is not None:
        args.baseline = args.baseline.resolve()
        if not (args.baseline / "app" / "__init__.py").exists():
            parser.error(f"--baseline {args.baseline}: not a checkout of the project (no app/__init__.py)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(timezone.utc)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not GUNICORN.exists():
        sys.exit(f"{GUNICORN} not found: run `make bench` (or install the project in .venv)")
    sqlite_path = RESULTS / f"bench-{args.devices}x{args.events_per_device}.db"
    databases = [("sqlite", f"sqlite:///{sqlite_path}", str(sqlite_path))]
    skipped: dict[str, str] = {}
    if args.skip_postgres:
        skipped["PostgreSQL"] = "--skip-postgres"
    else:
        pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
        if pg_url.startswith("postgresql://"):
            pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://"):]
        problem = postgres_problem(pg_url)
        if problem:
            log(f"[postgresql] skipped: {problem}")
            skipped["PostgreSQL"] = problem
        else:
            databases.append(("postgresql", pg_url, None))

    results = [bench_database(name, url, path, args) for name, url, path in databases]
    table = report(results, skipped, args, started)
    out = RESULTS / f"scan-{started:%Y%m%d-%H%M%S}.md"
    out.write_text(table)
    print(table)
    log(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
