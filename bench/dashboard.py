"""Benchmark of the programme indicators (``GET /api/v1/indicators``) on a large PostgreSQL
database (not a timed test): the API, which reads the derived summaries of
``reporting/summaries.py``, against the same figures computed from the records by hand in raw
SQL, and against "load the rows into pandas, then group", side by side in the same run.

    .venv/bin/python bench/dashboard.py [--devices 1000000] [--events 5000000] [--reuse]
                                        [--runs 7] [--pandas-runs 3] [--verify] [--database-url URL]
    make bench-dashboard BENCH_ARGS="--devices 20000 --events 100000"   # quick smoke run

What it does:

1. **Data.** A dedicated PostgreSQL database (default ``rekonekt_bench_dashboard`` on
   127.0.0.1:5432, user postgres, created when missing; only a database whose name contains
   ``bench`` is ever written to, never ``test``) is emptied, migrated with
   ``app.bootstrap.prepare`` (Flask-Migrate upgrade, reference data, roles) and filled in SQL
   (``INSERT … SELECT`` over ``generate_series``, deterministic hash-based pseudo-random
   values): 12 donors, 9 sites across the three EPCI, 5,000 collections, ``--devices`` devices
   and exactly ``--events`` device events following the lifecycle over two years (one history
   per device, in time order), households, requests, reservations handed over with their
   internet access, one invoice (and its line) per handover, workshop sessions (one in 12
   cancelled, with its bookings) and bookings; two mobile units, a tour for each day with a mobile
   stop, walk-ins at its stops, and about 5 % of the handovers made on tour (invoiced in the
   unit's series F-Mn-AAAA-NNNNN, with the tour).
   The fill runs with the triggers off (``session_replication_role = replica``); the summaries
   are then rebuilt from the records (``reporting.upkeep.rebuild``, as ``flask reporting
   rebuild``). Then VACUUM ANALYZE. ``--reuse`` keeps a database that already holds the same
   counts (a database filled before the summaries existed gets them from the migration).
2. **API.** An Admin account gets a JWT (``POST /api/v1/security/login``), then the Flask test
   client calls ``GET /api/v1/indicators`` in this process, for one year (2025-07-01 to
   2026-06-30): without filter, with ``epci=CACEM`` and with ``donor=<largest donor>``.
3. **Raw SQL.** The indicators computed from the records themselves (what the summaries are
   verified against), written by hand and run with psycopg on one connection (no ORM, no Flask):
   the statements ``reporting/records.py`` issues. Its figures must equal the API's JSON, every
   one of them.
4. **pandas.** The rows each indicator needs (events before the end of the period, devices,
   collections, sites, invoices of the period, requests, reservations, sessions, bookings,
   walk-ins) are
   loaded with ``pandas.read_sql`` and joined and grouped in pandas. Its counts, stock by state,
   weights and amounts must equal the API's; rates, averages and the median may differ by the
   last rounded digit (float against numeric arithmetic).
5. **Upkeep.** What the summaries cost the writers: single-row inserts of transition events (as
   the scan station writes them) timed with the triggers on and off, in a transaction rolled
   back. With ``--verify``, ``reporting.upkeep.verify`` (``flask reporting verify``) is run and
   timed on the whole database.

Each case is warmed up once, then API and raw SQL are timed alternately ``--runs`` times
(best and median reported); pandas ``--pandas-runs`` times. The machine is shared and noisy:
compare ratios from one run, not absolute figures between runs. Target: the API answers in
≤ 300 ms (best of the runs) with the raw SQL's figures. When the API misses it, the API's
statements are timed one by one and the slowest get an EXPLAIN ANALYZE.
Prints a Markdown report and writes it to bench/results/ (git-ignored); exits with status 1
when a variant's figures differ from the API's, or ``--verify`` finds a difference.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
# Set before any import of ``config``: the bench never writes to the project's instance/.
os.environ.setdefault("REKONEKT_INSTANCE_DIR", str(RESULTS / "instance"))

import pandas as pd  # noqa: E402
import psycopg  # noqa: E402

from bench.database import (  # noqa: E402
    advance_sequences,
    ensure_database,
    fill_cursor,
    first_row,
    libpq,
    make_app,
    reset_schema,
    row_counts,
    run_timed,
)
from bench.statements import StatementClock, explain, one_line  # noqa: E402

DEFAULT_URL = os.environ.get("BENCH_DASHBOARD_DATABASE_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/rekonekt_bench_dashboard")
ADMIN, PASSWORD = "bench-dashboard-admin", "bench-password"

TARGET_MS = 300.0
# One year, with data before and after it. It has ended: the stock at its end is today's states
# minus the changes made since (reporting.records.stock_from_records), which the raw SQL mirrors.
PERIOD = (date(2025, 7, 1), date(2026, 6, 30))

# --------------------------------------------------------------------------------------------
# Synthetic data: the shapes, in Python; the rows, in SQL
# --------------------------------------------------------------------------------------------

FIRST_DAY = date(2024, 7, 1)      # first collection; collections span two years
SPAN_DAYS = 730
MAX_COLLECTIONS = 5_000
DONOR_COUNT = 12                  # organisation ids 2…13 (1 is the workshop), Zipf-like shares
# (category, share %, [(brand, model, cpu, ram_gb, storage, screen_in, os, weight_kg)])
CATALOGUE = [
    ("laptop", 38, [("Dell", "Latitude 5490", "Intel Core i5-8350U", 8, "SSD 256 Go", 14.0, "Windows 11", 1.6),
                    ("HP", "EliteBook 840 G5", "Intel Core i5-8250U", 8, "SSD 256 Go", 14.0, "Windows 11", 1.5),
                    ("Lenovo", "ThinkPad T480", "Intel Core i5-8250U", 16, "NVMe 512 Go", 14.0, "Windows 11", 1.6),
                    ("Lenovo", "ThinkPad X270", "Intel Core i3-7100U", 8, "HDD 500 Go", 12.5, "Ubuntu 24.04", 1.4)]),
    ("desktop", 14, [("HP", "ProDesk 600 G4", "Intel Core i5-8500", 8, "HDD 500 Go", None, "Windows 11", 5.8),
                     ("Dell", "OptiPlex 7060", "Intel Core i5-8500", 8, "SSD 256 Go", None, "Windows 11", 5.2)]),
    ("tablet", 12, [("Samsung", "Galaxy Tab A8", None, 3, "32 Go", 10.5, "Android 14", 0.51),
                    ("Apple", "iPad 7", None, 3, "32 Go", 10.2, "iPadOS 18", 0.49)]),
    ("smartphone", 26, [("Samsung", "Galaxy A52", None, 6, "128 Go", 6.5, "Android 14", 0.19),
                        ("Apple", "iPhone SE 2020", None, 3, "64 Go", 4.7, "iOS 18", 0.15),
                        ("Xiaomi", "Redmi Note 10", None, 4, "64 Go", 6.4, "Android 13", 0.18)]),
    ("monitor", 10, [("Dell", "P2419H", None, None, None, 24.0, None, 3.3),
                     ("Iiyama", "ProLite XU2493HS", None, None, None, 23.8, None, 3.0)]),
]
# Lifecycle paths: (share ‰, states in order). "graded" is a grading event (the state stays
# "grading"); every other step is a transition to that state (the first one: the reception).
PATHS = [
    (200, ["received", "wiping", "grading", "graded", "in_stock", "reserved", "distributed"]),
    (10, ["received", "wiping", "grading", "graded", "in_stock", "reserved"]),
    (160, ["received", "wiping", "grading", "graded", "in_stock"]),
    (80, ["received", "wiping", "repair", "grading", "graded", "in_stock"]),
    (140, ["received", "wiping", "recycled"]),
    (60, ["received", "wiping", "parts", "recycled"]),
    (60, ["received", "recycled"]),
    (40, ["received", "wiping", "parts"]),
    (30, ["received", "wiping", "grading", "repair"]),
    (50, ["received", "wiping", "grading"]),
    (80, ["received", "wiping"]),
    (90, ["received"]),
]
# Hours of workshop work before reaching each state (scaled per device by 0.5–2); the step to
# "reserved" also waits 1–90 days in stock, the handover 0.1–14 days of reservation.
STEP_HOURS = {"wiping": 24, "repair": 72, "grading": 24, "graded": 2, "in_stock": 4, "parts": 24,
              "recycled": 48, "reserved": 4, "distributed": 2}
STATION = {"received": "reception", "wiping": "wiping", "repair": "repair", "grading": "grading",
           "graded": "grading", "in_stock": "stock"}
# Nine sites, three per EPCI (by the EPCI's short name), and their share of the collections (%).
SITES = [("CACEM", 25), ("CACEM", 10), ("CACEM", 8), ("CAP Nord", 12), ("CAP Nord", 8),
         ("CAP Nord", 5), ("Espace Sud", 15), ("Espace Sud", 10), ("Espace Sud", 7)]


def buckets(weights: list[tuple[int, float]], size: int = 1000) -> list[tuple[int, int]]:
    """(bucket, key) rows: ``size`` buckets shared between the keys by weight, so that
    ``floor(u * size)`` for a uniform u picks a key with its weight (an equi-join in SQL)."""
    total = sum(w for _, w in weights)
    rows, cumulative, bucket = [], 0.0, 0
    for key, weight in weights:
        cumulative += weight
        while bucket < size and bucket < round(cumulative / total * size):
            rows.append((bucket, key))
            bucket += 1
    return rows


def path_steps() -> list[tuple]:
    """(path_id, step, kind, from_state, to_state, station, cum_hours, waits, holds) rows."""
    rows = []
    for path_id, (_, states) in enumerate(PATHS, start=1):
        cum, previous, waits = 0, None, False
        for step, token in enumerate(states, start=1):
            if token == "received":
                kind, to_state, from_state = "received", "received", None
            elif token == "graded":
                kind, to_state, from_state = "graded", previous, previous
            else:
                kind, to_state, from_state = "transition", token, previous
                cum += STEP_HOURS[token]
            if token == "graded":
                cum += STEP_HOURS["graded"]
            waits = waits or token == "reserved"
            rows.append((path_id, step, kind, from_state, to_state, STATION.get(token), cum, waits,
                         token == "distributed"))
            previous = to_state
    return rows


def mean_path_length() -> float:
    return sum(share * len(states) for share, states in PATHS) / sum(share for share, _ in PATHS)


LOAD_SQL = [
    # --- organisations, sites, collections ---------------------------------------------------
    """INSERT INTO organisation (id, kind, name, siret, commune_insee, created_at)
       SELECT 1, 'workshop', 'Atelier Rekonekt (bench)', '97200000000001', '97213', TIMESTAMP '2024-06-01 12:00'
       UNION ALL
       SELECT k + 1, 'donor', 'Donateur ' || lpad(k::text, 2, '0') || ' (bench)', '972' || lpad((k + 1)::text, 11, '0'),
              NULL, TIMESTAMP '2024-06-01 12:00' + k * INTERVAL '1 day'
       FROM generate_series(1, %(donors)s) k""",
    """INSERT INTO site (id, code, name, kind, address, commune_insee, organisation_id)
       SELECT s.id, 'S' || lpad(s.id::text, 2, '0'), 'Site ' || s.id || ' — ' || c.name || ' (bench)',
              CASE WHEN s.id = 1 THEN 'workshop' ELSE 'warehouse' END, 'Zone d''activités', c.insee_code, 1
       FROM bench_site s JOIN commune c ON c.insee_code = s.commune_insee""",
    """INSERT INTO collection (id, reference, donor_id, collected_on, site_id, declared_count, weight_kg, notes, created_at)
       SELECT c, 'COL-' || extract(year FROM day)::int || '-' ||
                 lpad((row_number() OVER (PARTITION BY extract(year FROM day) ORDER BY c))::text, 4, '0'),
              donor.key, day, site.key, per, round((per * 1.4)::numeric, 2), NULL, day + INTERVAL '16 hours'
       FROM (SELECT c, %(first_day)s::date + ((c - 1) * %(span)s / %(collections)s)::int AS day,
                    (%(devices)s::bigint * c / %(collections)s - %(devices)s::bigint * (c - 1) / %(collections)s)::int AS per
             FROM generate_series(1, %(collections)s) c) x
       JOIN bench_pick donor ON donor.kind = 'donor' AND donor.bucket = floor(pg_temp.u(c, 1) * 1000)
       JOIN bench_pick site ON site.kind = 'site' AND site.bucket = floor(pg_temp.u(c, 2) * 1000)""",
    # --- devices: one plan row per device (collection, model, path, times), then the device --
    """CREATE TEMP TABLE plan AS
       SELECT i AS device_id, col.id AS collection_id, model.key AS model_id, path.key AS path_id,
              date_trunc('second', col.collected_on + INTERVAL '12 hours' + pg_temp.u(i, 3) * INTERVAL '72 hours') AS t0,
              0.5 + 1.5 * pg_temp.u(i, 4) AS pace,                   -- workshop speed factor
              (86400 * (1 + 89 * pg_temp.u(i, 5)))::bigint AS wait_s,  -- days in stock
              (86400 * (0.1 + 13.9 * pg_temp.u(i, 6)))::bigint AS hold_s  -- days reserved
       FROM generate_series(1, %(devices)s) i
       JOIN collection col ON col.id = 1 + ((i - 1) * %(collections)s::bigint) / %(devices)s
       JOIN bench_pick model ON model.kind = 'model' AND model.bucket = floor(pg_temp.u(i, 7) * 1000)
       JOIN bench_pick path ON path.kind = 'path' AND path.bucket = floor(pg_temp.u(i, 8) * 1000)""",
    # seconds from t0 to each step; jitter < 30 min keeps the steps in order (gaps ≥ 1 h)
    """CREATE TEMP VIEW plan_event AS
       SELECT p.device_id, s.step, s.kind, s.from_state, s.to_state, s.station,
              p.t0 + ((p.pace * s.cum_hours * 3600)::bigint
                      + CASE WHEN s.waits THEN p.wait_s ELSE 0 END
                      + CASE WHEN s.holds THEN p.hold_s ELSE 0 END
                      + CASE WHEN s.step > 1 THEN floor(pg_temp.u(p.device_id * 16 + s.step, 9) * 1800)::bigint ELSE 0 END
                     ) * INTERVAL '1 second' AS at
       FROM plan p JOIN bench_step s ON s.path_id = p.path_id""",
    """INSERT INTO device (id, asset_tag, category, brand, model, serial_number, imei, cpu, ram_gb, storage_summary,
                           screen_in, os, weight_kg, collection_id, location_id, state, grade, created_at, updated_at, version)
       SELECT p.device_id, 'RK-' || lpad(p.device_id::text, greatest(6, length(p.device_id::text)), '0'),
              m.category, m.brand, m.model, 'SN-' || upper(to_hex(p.device_id::bigint * 7919 + 1000000)), NULL, m.cpu, m.ram_gb,
              m.storage_summary, m.screen_in, m.os, round((m.weight_kg * (0.95 + 0.1 * pg_temp.u(p.device_id, 10)))::numeric, 3),
              p.collection_id, NULL, last.to_state,
              CASE WHEN last.graded THEN (ARRAY['A', 'B', 'B', 'C'])[1 + floor(pg_temp.u(p.device_id, 11) * 4)::int] END,
              p.t0, p.t0, last.steps
       FROM plan p JOIN bench_model m ON m.id = p.model_id JOIN bench_path_end last ON last.path_id = p.path_id""",
    # --- events: the lifecycle steps, plus put-away moves after the reception to reach --events
    """INSERT INTO device_event (device_id, kind, from_state, to_state, at, station)
       SELECT device_id, kind, from_state, to_state, at, station FROM (
           SELECT device_id, kind, from_state, to_state, at, station FROM plan_event
           UNION ALL
           SELECT p.device_id, 'move', 'received', 'received', p.t0 + (j * 6000 / (n + 1)) * INTERVAL '1 second', NULL
           FROM (SELECT device_id, t0, %(moves_each)s + CASE WHEN (device_id::bigint * %(spread)s) %% %(devices)s < %(moves_rest)s
                                                         THEN 1 ELSE 0 END AS n FROM plan) p
           CROSS JOIN LATERAL generate_series(1, p.n) j
       ) e ORDER BY at, device_id""",
    # --- households, requests, reservations, invoices ------------------------------------------
    """INSERT INTO household (id, reference, last_name, first_name, name_key, birth_date, commune_insee,
                              monthly_resources, benefits, situations, consent_on, consent_version, created_at, last_activity_at)
       SELECT h, 'FOY-' || extract(year FROM created)::int || '-' ||
                 lpad(n::text, greatest(5, length(n::text)), '0'),
              'Foyer', 'Bench ' || h, 'foyer bench ' || h, DATE '1950-01-01' + floor(pg_temp.u(h, 21) * 20000)::int,
              commune.key_text, round((300 + 2500 * pg_temp.u(h, 22))::numeric, 2), '[]', '[]', created::date,
              'consentement-2026-01', created, created
       FROM (SELECT h, created, row_number() OVER (PARTITION BY extract(year FROM created) ORDER BY h) AS n
             FROM (SELECT h, date_trunc('second', TIMESTAMP '2024-06-01 13:00' + (h - 1) * %(household_step)s * INTERVAL '1 second') AS created
                   FROM generate_series(1, %(households)s) h) y) x
       JOIN bench_pick commune ON commune.kind = 'commune' AND commune.bucket = floor(pg_temp.u(h, 20) * 1000)""",
    """CREATE TEMP TABLE handover AS
       SELECT row_number() OVER (ORDER BY coalesce(handed_at, reserved_at), device_id) AS rn, x.*,
              1 + floor(pg_temp.u(x.device_id, 30) * %(households)s)::int AS household_id,
              1 + floor(pg_temp.u(x.device_id, 31) * 3)::int AS tier
       FROM (SELECT device_id, max(at) FILTER (WHERE to_state = 'reserved') AS reserved_at,
                    max(at) FILTER (WHERE to_state = 'distributed') AS handed_at
             FROM device_event WHERE kind = 'transition' AND to_state IN ('reserved', 'distributed')
             GROUP BY device_id) x""",
    # requests 1…H: the handed-over and reserved devices' own requests
    """INSERT INTO eligibility_request (id, household_id, category, status, tier, overridden, decided_at, valid_until,
                                        equipped_at, created_at)
       SELECT h.rn, h.household_id, d.category, CASE WHEN h.handed_at IS NULL THEN 'validated' ELSE 'equipped' END,
              h.tier, false, decided, (decided + INTERVAL '12 months')::date, h.handed_at,
              decided - (1 + floor(pg_temp.u(h.rn, 33) * 15)::int) * INTERVAL '1 day'
       FROM (SELECT h.*, h.reserved_at - (3600 + floor(pg_temp.u(h.rn, 32) * 30 * 86400)::bigint) * INTERVAL '1 second' AS decided
             FROM handover h) h
       JOIN device d ON d.id = h.device_id""",
    # other requests: validated and waiting, refused, submitted (decided_at null), pending
    """INSERT INTO eligibility_request (id, household_id, category, status, tier, overridden, refusal_reason, decided_at,
                                        valid_until, created_at)
       SELECT %(handovers)s + k, 1 + floor(pg_temp.u(k, 40) * %(households)s)::int,
              (ARRAY['laptop', 'laptop', 'smartphone', 'tablet', 'desktop'])[1 + floor(pg_temp.u(k, 41) * 5)::int],
              status, CASE WHEN status = 'validated' THEN 1 + floor(pg_temp.u(k, 43) * 3)::int END, false,
              CASE WHEN status = 'refused' THEN 'Ressources supérieures au plafond.' END,
              CASE WHEN status IN ('validated', 'refused') THEN created + INTERVAL '5 days' END,
              CASE WHEN status = 'validated' THEN (created + INTERVAL '5 days' + INTERVAL '12 months')::date END, created
       FROM (SELECT k, (ARRAY['validated', 'validated', 'refused', 'submitted', 'pending_documents'])[1 + floor(pg_temp.u(k, 42) * 5)::int] AS status,
                    date_trunc('second', %(first_day)s::timestamp + pg_temp.u(k, 44) * %(span)s * INTERVAL '1 day') AS created
             FROM generate_series(1, %(other_requests)s) k) x""",
    """INSERT INTO reservation (id, request_id, device_id, status, reserved_at, expires_at, ended_at, end_reason,
                                internet_access, internet_offer_referred)
       SELECT rn, rn, device_id, CASE WHEN handed_at IS NULL THEN 'active' ELSE 'handed_over' END,
              reserved_at, reserved_at + INTERVAL '14 days', handed_at, NULL, access,
              CASE WHEN access IS NULL THEN NULL WHEN access = 'none' THEN pg_temp.u(rn, 51) < 0.4 ELSE false END
       FROM (SELECT h.*, CASE WHEN handed_at IS NULL THEN NULL
                              ELSE (ARRAY[NULL, 'none', 'none', 'none', 'none', 'none', 'mobile', 'mobile', 'mobile', 'mobile',
                                          'mobile', 'mobile', 'mobile', 'broadband', 'broadband', 'broadband', 'broadband',
                                          'broadband', 'broadband', 'broadband'])[1 + floor(pg_temp.u(rn, 50) * 20)::int] END AS access
             FROM handover h) x""",
    # --- onboarding workshops, mobile units and their tours (before the invoices: some are on tour)
    # One session in 12 is cancelled three days before (its bookings with it); one in 24 of them a
    # mobile stop whatever the draw, so that a cancelled mobile stop exists at every size.
    """INSERT INTO workshop_session (id, topic, starts_at, ends_at, venue_kind, venue_name, address, commune_insee,
                                    site_id, capacity, waitlist_counter, created_at, cancelled_at, cancel_reason)
       SELECT k, (ARRAY['computer', 'computer', 'smartphone', 'tablet', 'online_services'])[1 + floor(pg_temp.u(k, 70) * 5)::int],
              starts, starts + INTERVAL '2 hours',
              CASE WHEN k %% 24 = 7 THEN 'mobile_stop'
                   ELSE (ARRAY['site', 'digital_point', 'mobile_stop'])[1 + floor(pg_temp.u(k, 71) * 3)::int] END,
              'Salle ' || commune.key_text, NULL, commune.key_text, NULL, 8, 0, starts - INTERVAL '20 days',
              CASE WHEN k %% 12 = 7 THEN starts - INTERVAL '3 days' END,
              CASE WHEN k %% 12 = 7 THEN 'Salle indisponible (bench).' END
       FROM (SELECT k, %(first_day)s::timestamp + INTERVAL '14 hours' + ((k - 1) * %(span)s / %(sessions)s) * INTERVAL '1 day' AS starts
             FROM generate_series(1, %(sessions)s) k) x
       JOIN bench_pick commune ON commune.kind = 'commune' AND commune.bucket = floor(pg_temp.u(k, 72) * 1000)""",
    """INSERT INTO mobile_unit (id, code, name, active, created_at)
       VALUES (1, 'M1', 'Camion Nord (bench)', true, TIMESTAMP '2024-06-01 12:00'),
              (2, 'M2', 'Camion Sud (bench)', true, TIMESTAMP '2024-06-01 12:00')""",
    # One tour per Martinique day (UTC−4) with a mobile stop not cancelled, M1 and M2 in turn.
    """CREATE TEMP TABLE tour_plan AS
       SELECT row_number() OVER (ORDER BY day) AS tour_id, day, 1 + (row_number() OVER (ORDER BY day)) %% 2 AS unit_id,
              row_number() OVER (PARTITION BY extract(year FROM day) ORDER BY day) AS n
       FROM (SELECT DISTINCT (starts_at - INTERVAL '4 hours')::date AS day FROM workshop_session
             WHERE venue_kind = 'mobile_stop' AND cancelled_at IS NULL) x""",
    """INSERT INTO mobile_tour (id, reference, mobile_unit_id, holder_id, device_key, tour_date, status, downloaded_at,
                               valid_until, snapshot_version, snapshot, snapshot_sha256, last_seq, closed_at, closed_by_id)
       SELECT tour_id, 'TRN-' || extract(year FROM day)::int || '-' || lpad(n::text, greatest(4, length(n::text)), '0'),
              unit_id, %(holder)s, '00000000-0000-4000-8000-' || lpad(tour_id::text, 12, '0'), day, 'closed',
              day + INTERVAL '4 hours', day + INTERVAL '28 hours', 1, '{}'::json,   -- the local day, 00:00 to 24:00
              encode(sha256(convert_to('{}', 'UTF8')), 'hex'), 0, day + INTERVAL '28 hours', %(holder)s
       FROM tour_plan""",
    """INSERT INTO mobile_tour_session (tour_id, session_id)
       SELECT t.tour_id, s.id FROM workshop_session s JOIN tour_plan t ON t.day = (s.starts_at - INTERVAL '4 hours')::date
       WHERE s.venue_kind = 'mobile_stop' AND s.cancelled_at IS NULL""",
    """CREATE TEMP TABLE grid AS
       SELECT g.id AS grid_id, d->>'category' AS category, d->>'grade' AS grade,
              (d->>'reference_value')::numeric(12, 2) AS reference_value, p.key::int AS tier, p.value::numeric(12, 2) AS price
       FROM price_grid g, json_array_elements(g.data->'devices') d, json_each_text(d->'prices') p
       WHERE g.id = (SELECT id FROM price_grid ORDER BY effective_from DESC LIMIT 1)""",
    """CREATE TEMP TABLE issued AS
       SELECT row_number() OVER (ORDER BY h.handed_at, h.rn) AS position, h.rn, h.handed_at, h.household_id, h.device_id, h.tier,
              extract(year FROM h.handed_at - INTERVAL '4 hours')::int AS year, g.grid_id, g.reference_value, g.price,
              (ARRAY['cash', 'cash', 'card', 'card', 'voucher'])[1 + floor(pg_temp.u(h.rn, 60) * 5)::int] AS method,
              d.brand || ' ' || d.model AS description, d.asset_tag, d.serial_number, hh.reference AS buyer,
              t.tour_id, t.unit_id
       FROM handover h JOIN device d ON d.id = h.device_id JOIN household hh ON hh.id = h.household_id
       JOIN grid g ON g.category = d.category AND g.grade = d.grade AND g.tier = h.tier
       -- handed over on the tour of its day, by the tour's unit: about 5 %% of the handovers (all
       -- of those on a tour's day when tours are rare)
       LEFT JOIN tour_plan t ON t.day = (h.handed_at - INTERVAL '4 hours')::date
            AND pg_temp.u(h.rn, 61) < (SELECT least(1.0, 0.05 * %(span)s / greatest(count(*), 1)) FROM tour_plan)
       WHERE h.handed_at IS NOT NULL""",
    # An office invoice is numbered F-AAAA-NNNNN in the office's series, one issued on tour
    # F-Mn-AAAA-NNNNN in its unit's and chained per unit too; all of them in the main chain.
    """INSERT INTO invoice (id, number, chain_position, issued_at, reservation_id, household_id, device_id, booking_id, seller,
                            buyer_name, buyer_address, vat_regime, price_grid_id, tier, total_ttc, total_ht, vat,
                            reference_value, aide_solidaire, payments, amount_paid, workshop, content_hash, previous_hash,
                            mobile_unit_id, tour_id, unit_position, unit_previous_hash, unit_hash)
       SELECT position, 'F-' || coalesce('M' || unit_id || '-', '') || year || '-' || lpad(n::text, greatest(5, length(n::text)), '0'),
              position, handed_at, rn,
              household_id, device_id, NULL,
              json_build_object('name', 'Association Rekonekt Martinique', 'address', 'Zone de Manhity, 97232 Le Lamentin',
                                'siret', '00000000000000', 'legal_form', 'Association loi 1901', 'vat_number', NULL),
              'Foyer ' || buyer, NULL, 'franchise', grid_id, tier, price, price, 0, reference_value,
              reference_value - price, json_build_array(json_build_object('method', method, 'amount', price::text)),
              price, NULL, encode(sha256(convert_to('bench-invoice:' || position, 'UTF8')), 'hex'),
              CASE WHEN position = 1 THEN repeat('0', 64)
                   ELSE encode(sha256(convert_to('bench-invoice:' || (position - 1), 'UTF8')), 'hex') END,
              unit_id, tour_id, CASE WHEN unit_id IS NOT NULL THEN unit_position END,
              CASE WHEN unit_id IS NULL THEN NULL WHEN unit_position = 1 THEN repeat('0', 64)
                   ELSE encode(sha256(convert_to('bench-unit-invoice:' || unit_id || ':' || (unit_position - 1), 'UTF8')), 'hex') END,
              CASE WHEN unit_id IS NOT NULL
                   THEN encode(sha256(convert_to('bench-unit-invoice:' || unit_id || ':' || unit_position, 'UTF8')), 'hex') END
       FROM (SELECT *, row_number() OVER (PARTITION BY unit_id, year ORDER BY position) AS n,
                    row_number() OVER (PARTITION BY unit_id ORDER BY position) AS unit_position FROM issued) x""",
    """INSERT INTO invoice_line (invoice_id, position, kind, description, asset_tag, serial_number, quantity,
                                 unit_price_ttc, total_ttc, total_ht, vat)
       SELECT position, 1, 'device', description, asset_tag, serial_number, 1, price, price, price, 0 FROM issued""",
    """INSERT INTO mobile_tour_reservation (tour_id, reservation_id) SELECT tour_id, rn FROM issued WHERE tour_id IS NOT NULL""",
    """INSERT INTO booking (session_id, household_id, status, booked_at, attendance_at, cancelled_at, satisfaction)
       SELECT s.id, 1 + ((s.id::bigint * 6 + j) * 1000003) %% %(households)s, status, s.starts_at - INTERVAL '10 days',
              CASE WHEN status IN ('attended', 'no_show') THEN s.starts_at + INTERVAL '1 hour' END,
              CASE WHEN status = 'cancelled' THEN coalesce(s.cancelled_at, s.starts_at - INTERVAL '2 days') END,
              CASE WHEN status = 'attended' AND pg_temp.u(s.id * 8 + j, 81) < 0.8
                   THEN (ARRAY[2, 3, 4, 4, 4, 5, 5, 5, 5, 5])[1 + floor(pg_temp.u(s.id * 8 + j, 82) * 10)::int] END
       FROM workshop_session s CROSS JOIN generate_series(1, 6) j
       CROSS JOIN LATERAL (SELECT CASE WHEN s.cancelled_at IS NOT NULL THEN 'cancelled'
                                       WHEN s.starts_at > now() AT TIME ZONE 'UTC' THEN 'booked'
                                       ELSE (ARRAY['attended', 'attended', 'attended', 'attended', 'attended', 'attended',
                                                   'attended', 'no_show', 'no_show', 'cancelled'])[1 + floor(pg_temp.u(s.id * 8 + j, 80) * 10)::int]
                                  END AS status) st""",
    # 0–3 walk-ins at each mobile stop held, most of them living in the stop's commune.
    """INSERT INTO workshop_walk_in (session_id, tour_id, last_name, first_name, commune_insee, satisfaction, recorded_at)
       SELECT s.id, ts.tour_id, 'Passant', 'Bench ' || s.id || '-' || j,
              CASE WHEN pg_temp.u(s.id * 4 + j, 91) < 0.7 THEN s.commune_insee ELSE commune.key_text END,
              CASE WHEN pg_temp.u(s.id * 4 + j, 93) < 0.6 THEN 3 + floor(pg_temp.u(s.id * 4 + j, 94) * 3)::int END,
              s.starts_at + INTERVAL '90 minutes'
       FROM workshop_session s JOIN mobile_tour_session ts ON ts.session_id = s.id
       CROSS JOIN LATERAL generate_series(1, floor(pg_temp.u(s.id, 90) * 4)::int) j
       JOIN bench_pick commune ON commune.kind = 'commune' AND commune.bucket = floor(pg_temp.u(s.id * 4 + j, 92) * 1000)
       WHERE s.starts_at <= now() AT TIME ZONE 'UTC'""",
]
SUMMARIES = ("reporting_device_day", "reporting_handover", "reporting_equipment", "reporting_validated_request")
SEQUENCED = ("organisation", "site", "collection", "device", "device_event", "household", "eligibility_request",
             "reservation", "invoice", "invoice_line", "workshop_session", "booking", "mobile_unit", "mobile_tour",
             "workshop_walk_in")


@dataclass
class Sizes:
    devices: int
    events: int

    @property
    def collections(self) -> int:
        return max(1, min(MAX_COLLECTIONS, self.devices // 100))

    @property
    def households(self) -> int:
        return max(500, self.devices // 20)

    @property
    def sessions(self) -> int:
        return max(50, self.devices // 200)


def present_counts(url: str) -> tuple[int, int, int] | None:
    """(devices, events, invoices) already in the database, or None without the schema."""
    return first_row(url, "SELECT (SELECT count(*) FROM device), (SELECT count(*) FROM device_event), "
                          "(SELECT count(*) FROM invoice)")


def load(url: str, sizes: Sizes) -> dict[str, int]:
    """Fill the migrated, empty database in one transaction, the triggers off; returns the row
    counts. The summaries are left empty (``fill_summaries``)."""
    lifecycle_per_device = mean_path_length()
    with fill_cursor(url, work_mem="1GB") as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        # The summaries' triggers (and the foreign keys' checks) stay off for the bulk fill: the
        # summaries are rebuilt from the records afterwards (fill_summaries).
        cur.execute("SET session_replication_role = replica")
        communes = cur.execute("SELECT c.insee_code, e.short_name FROM commune c JOIN epci e ON e.id = c.epci_id "
                               "ORDER BY c.insee_code").fetchall()
        cur.execute("CREATE TEMP TABLE bench_pick (kind text, bucket int, key int, key_text text, PRIMARY KEY (kind, bucket))")
        cur.execute("CREATE TEMP TABLE bench_site (id int, commune_insee text)")
        sites, used = [], set()
        for site_id, (epci, _) in enumerate(SITES, start=1):
            insee = next(c for c, e in communes if e == epci and c not in used)
            used.add(insee)
            sites.append((site_id, insee))
        cur.executemany("INSERT INTO bench_site VALUES (%s, %s)", sites)
        picks = ([("donor", b, k, None) for b, k in buckets([(k + 1, 1 / k) for k in range(1, DONOR_COUNT + 1)])]
                 + [("site", b, k, None) for b, k in buckets([(i, w) for i, (_, w) in enumerate(SITES, start=1)])]
                 + [("path", b, k, None) for b, k in buckets([(i, share) for i, (share, _) in enumerate(PATHS, start=1)])]
                 # households and workshops: a CACEM commune weighs four times another one
                 + [("commune", b, k, communes[k][0]) for b, k in
                    buckets([(i, 4 if e == "CACEM" else 1) for i, (_, e) in enumerate(communes)])])
        models = []
        for category, share, entries in CATALOGUE:
            for entry in entries:
                models.append((len(models) + 1, category, *entry, share / len(entries)))
        picks += [("model", b, k, None) for b, k in buckets([(m[0], m[-1]) for m in models])]
        with cur.copy("COPY bench_pick (kind, bucket, key, key_text) FROM STDIN") as copy:
            for row in picks:
                copy.write_row(row)
        cur.execute("CREATE TEMP TABLE bench_model (id int, category text, brand text, model text, cpu text, ram_gb numeric, "
                    "storage_summary text, screen_in numeric, os text, weight_kg numeric)")
        cur.executemany("INSERT INTO bench_model VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", [m[:-1] for m in models])
        cur.execute("CREATE TEMP TABLE bench_step (path_id int, step int, kind text, from_state text, to_state text, "
                    "station text, cum_hours float8, waits bool, holds bool)")
        cur.executemany("INSERT INTO bench_step VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", path_steps())
        cur.execute("CREATE TEMP TABLE bench_path_end AS SELECT path_id, count(*) FILTER (WHERE kind <> 'graded') AS steps, "
                    "bool_or(kind = 'graded') AS graded, (array_agg(to_state ORDER BY step DESC))[1] AS to_state "
                    "FROM bench_step GROUP BY path_id")
        cur.execute("ANALYZE bench_pick; ANALYZE bench_step")

        holder = cur.execute("SELECT id FROM ab_user WHERE username = %s", (ADMIN,)).fetchone()
        if holder is None:
            raise RuntimeError("the bench admin (the tours' holder) must exist before the fill: ensure_admin(app)")
        params = {"donors": DONOR_COUNT, "first_day": FIRST_DAY, "span": SPAN_DAYS, "devices": sizes.devices,
                  "collections": sizes.collections, "households": sizes.households, "sessions": sizes.sessions,
                  "household_step": int(SPAN_DAYS * 86400 / sizes.households), "holder": holder[0]}
        for statement in LOAD_SQL:
            if statement.lstrip().startswith("INSERT INTO device_event"):
                lifecycle = cur.execute("SELECT count(*) FROM plan_event").fetchone()[0]
                moves = sizes.events - lifecycle
                if moves < 0:
                    raise SystemExit(f"--events must be at least {lifecycle:,} for {sizes.devices:,} devices "
                                     f"(about {lifecycle_per_device:.1f} lifecycle events per device)")
                spread = next(p for p in (7919, 7927, 7933, 7937) if sizes.devices % p)
                params.update(moves_each=moves // sizes.devices, moves_rest=moves % sizes.devices, spread=spread)
            rows = run_timed(cur, statement, params)
            if statement.lstrip().startswith("CREATE TEMP TABLE handover"):
                params["handovers"] = rows
                params["other_requests"] = max(100, sizes.households // 2)
        advance_sequences(cur, SEQUENCED)
        # The app's gapless counters continue after the bench numbers.
        cur.execute("""INSERT INTO counter (name, value)
            SELECT 'asset_tag', %(devices)s
            UNION ALL SELECT 'collection:' || extract(year FROM collected_on)::int, count(*) FROM collection GROUP BY 1
            UNION ALL SELECT 'household:' || extract(year FROM created_at)::int, count(*) FROM household GROUP BY 1
            UNION ALL SELECT 'invoice-chain', count(*) FROM invoice
            UNION ALL SELECT 'invoice-' || split_part(number, '-', 2), count(*) FROM invoice WHERE mobile_unit_id IS NULL GROUP BY 1
            UNION ALL SELECT 'mobile-unit', max(id) FROM mobile_unit
            UNION ALL SELECT 'tour-' || extract(year FROM tour_date)::int, count(*) FROM mobile_tour GROUP BY 1
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value""", params)
        cur.connection.commit()
        return row_counts(cur, SEQUENCED)


def fill_summaries(app) -> tuple[float, dict[str, int]]:
    """(seconds, rows per summary): the summaries rebuilt from the records, as ``flask reporting
    rebuild`` does (with a session-sized work_mem, so that the grouping stays in memory)."""
    from app.extensions import db
    from reporting.upkeep import rebuild

    started = time.perf_counter()
    with app.app_context():
        db.session.connection().exec_driver_sql("SET work_mem = '512MB'")
        counts = rebuild(db.session)
        db.session.remove()
    return time.perf_counter() - started, counts


def verify_summaries(app) -> tuple[float, list[str], int]:
    """(seconds, differences, rows compared) of ``reporting.upkeep.verify`` on the whole database."""
    from app.extensions import db
    from reporting.upkeep import verify

    started = time.perf_counter()
    with app.app_context():
        db.session.connection().exec_driver_sql("SET work_mem = '512MB'")
        problems, compared = verify(db.session)
        db.session.remove()
    return time.perf_counter() - started, problems, compared


def trigger_cost(url: str, events: int = 2000) -> tuple[float, float]:
    """(µs per event with the summaries' triggers, µs without): ``events`` single-row inserts of
    a transition event (the scan station's write) for as many devices, in a transaction rolled
    back each time; the best of three rounds each."""
    timings = {True: [], False: []}
    with psycopg.connect(libpq(url)) as conn:
        devices = [row[0] for row in conn.execute(
            "SELECT id FROM device WHERE state = 'wiping' ORDER BY id LIMIT %s", (events,))]
        conn.rollback()
        for _ in range(3):
            for triggers in (True, False):
                if not triggers:
                    conn.execute("SET LOCAL session_replication_role = replica")
                started = time.perf_counter()
                for device_id in devices:
                    conn.execute("INSERT INTO device_event (device_id, kind, from_state, to_state, at, station) "
                                 "VALUES (%s, 'transition', 'wiping', 'grading', now() AT TIME ZONE 'UTC', 'grading')",
                                 (device_id,))
                timings[triggers].append((time.perf_counter() - started) / len(devices) * 1e6)
                conn.rollback()
    return min(timings[True]), min(timings[False])


def settle(url: str, *, analyze: bool) -> None:
    """VACUUM (and ANALYZE) as autovacuum would after such a load: hint bits, statistics, and the
    visibility map that index-only scans need. A snapshot held elsewhere during the VACUUM leaves
    pages not all-visible (seen once: 3/4 of ``device``, which doubled a merge join's time), so
    the big tables are vacuumed again until their pages are."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        if analyze:
            conn.execute("VACUUM ANALYZE")
        for attempt in range(4):
            behind = [name for name, pages, visible in conn.execute(
                "SELECT relname, relpages, relallvisible FROM pg_class WHERE relname = ANY(%s)",
                (list(SEQUENCED + SUMMARIES),))
                if pages and visible < 0.98 * pages]
            if not behind:
                return
            if attempt:
                time.sleep(2)
            for name in behind:
                conn.execute(f"VACUUM {name}")
        print(f"  warning: not all-visible after VACUUM: {', '.join(behind)} (a long transaction elsewhere?)")


# --------------------------------------------------------------------------------------------
# The app: migrate, admin account, API calls
# --------------------------------------------------------------------------------------------

def ensure_admin(app) -> None:
    from app.extensions import db

    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username=ADMIN) is None:
            if not sm.add_user(ADMIN, "Bench", "Dashboard", "bench-dashboard@bench.invalid", sm.find_role("Admin"),
                               password=PASSWORD):
                raise RuntimeError("could not create the bench admin")
        db.session.commit()


def login(client) -> dict[str, str]:
    answer = client.post("/api/v1/security/login", json={"username": ADMIN, "password": PASSWORD, "provider": "db"})
    if answer.status_code != 200:
        raise RuntimeError(f"login failed: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


@dataclass
class Case:
    name: str
    query: str
    epci: str | None = None
    donor_id: int | None = None
    epci_id: int | None = None   # filled from the database
    api: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    pandas: list[float] = field(default_factory=list)
    api_figures: dict | None = None
    mismatches: dict[str, list[str]] = field(default_factory=dict)


def call_api(client, headers, case: Case) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = client.get(f"/api/v1/indicators?{case.query}", headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{case.name}: HTTP {answer.status_code} {answer.get_data(as_text=True)[:300]}")
    return elapsed, answer.get_json()


# --------------------------------------------------------------------------------------------
# Raw SQL: the indicators from the records (the statements of reporting/records.py), by hand
# --------------------------------------------------------------------------------------------

STATES = ("received", "wiping", "repair", "grading", "in_stock", "reserved", "distributed", "parts", "recycled")
EPCI_NAMES = ("CACEM", "CAP Nord", "Espace Sud")


def device_scope(case: Case) -> tuple[str, str]:
    """(joins, conditions) narrowing devices d to the case: the collection's donor, the EPCI of
    the site where it was collected."""
    joins, where = "", ""
    if case.donor_id is not None or case.epci_id is not None:
        joins += " JOIN collection c ON c.id = d.collection_id"
    if case.donor_id is not None:
        where += " AND c.donor_id = %(donor)s"
    if case.epci_id is not None:   # the EPCI's sites, looked up first (as reporting.filters.with_sites)
        where += " AND c.site_id = ANY(%(sites)s)"
    return joins, where


def handover_scope(case: Case) -> tuple[str, str]:
    """(joins, conditions) for handovers: the donor of the device, the EPCI of the household (hc)."""
    joins = " JOIN collection c ON c.id = d.collection_id" if case.donor_id is not None else ""
    where = (" AND c.donor_id = %(donor)s" if case.donor_id is not None else "") + \
            (" AND hc.epci_id = %(epci)s" if case.epci_id is not None else "")
    return joins, where


def raw_statements(case: Case) -> dict[str, str]:
    dj, dw = device_scope(case)
    hj, hw = handover_scope(case)
    household = (" JOIN household h ON h.id = i.household_id JOIN commune hc ON hc.insee_code = h.commune_insee"
                 if case.epci_id is not None else "")
    invoices = (f"FROM invoice i JOIN device d ON d.id = i.device_id{household}{hj} "
                f"WHERE i.issued_at >= %(start)s AND i.issued_at < %(end)s{hw}")
    # Sessions held: in the period, started, not cancelled; by the EPCI of the session's commune.
    held = ("ws.starts_at >= %(start)s AND ws.starts_at < %(end)s AND ws.starts_at <= %(now)s "
            "AND ws.cancelled_at IS NULL")
    sessions = ("FROM workshop_session ws JOIN commune wc ON wc.insee_code = ws.commune_insee "
                f"WHERE {held}" + (" AND wc.epci_id = %(epci)s" if case.epci_id is not None else ""))
    mobile = f"{sessions} AND ws.venue_kind = 'mobile_stop'"
    filtered = case.donor_id is not None or case.epci_id is not None
    # Each counted kind of event over its own partial index (reporting.records.counted_event_totals).
    kinds = (("received", "e.kind = 'received'"), ("sanitised", "e.kind = 'transition' AND e.from_state = 'wiping'"),
             ("graded", "e.kind = 'graded'"), ("recycled", "e.kind = 'transition' AND e.to_state = 'recycled'"))
    period = "e.at >= %(start)s AND e.at < %(end)s"
    if not filtered:   # the devices only for the recycled ones' weight
        device_counts = ", ".join(f"(SELECT count(*) FROM device_event e WHERE {where} AND {period})"
                                  for _, where in kinds[:3])
        device_counts = f"""
            SELECT {device_counts}, recycling.n, recycling.kg
            FROM (SELECT count(*) AS n, sum(d.weight_kg) AS kg FROM device_event e JOIN device d ON d.id = e.device_id
                  WHERE {kinds[3][1]} AND {period}) recycling"""
    else:              # the events of all kinds meet the filtered devices in one join
        union = " UNION ALL ".join(f"SELECT '{name}' AS counted, e.device_id FROM device_event e WHERE {where} AND {period}"
                                   for name, where in kinds)
        device_counts = f"""
            SELECT counted, count(*), sum(d.weight_kg) FROM ({union}) k JOIN device d ON d.id = k.device_id{dj}
            WHERE true{dw} GROUP BY counted"""
    device_join = f" JOIN device d ON d.id = e.device_id{dj}" if filtered else ""
    statements = {
        "device_counts": device_counts,
        # PostgreSQL's median aggregate in the same pass (the API does the same on PostgreSQL).
        "handovers": f"""SELECT count(*), sum(d.weight_kg), sum(i.reference_value), sum(i.amount_paid), sum(i.aide_solidaire),
                                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.issued_at - d.created_at) / 86400.0)
                         {invoices}""",
        # Handovers made on a tour: an invoice with its tour, as every handover (donor, household's EPCI).
        "handovers_on_tour": f"SELECT count(*) {invoices} AND i.tour_id IS NOT NULL",
        "equipped": f"""
            SELECT ep.short_name, count(DISTINCT r.household_id)
            FROM eligibility_request r JOIN household h ON h.id = r.household_id
            JOIN commune hc ON hc.insee_code = h.commune_insee JOIN epci ep ON ep.id = hc.epci_id
            JOIN reservation rv ON rv.request_id = r.id AND rv.status = 'handed_over'
            {"JOIN device d ON d.id = rv.device_id" if case.donor_id is not None else ""}
            WHERE r.equipped_at >= %(start)s AND r.equipped_at < %(end)s
            {"AND hc.epci_id = %(epci)s" if case.epci_id is not None else ""}
            {"AND d.collection_id IN (SELECT id FROM collection WHERE donor_id = %(donor)s)" if case.donor_id is not None else ""}
            GROUP BY ep.short_name""",
        "internet": f"""
            SELECT count(rv.internet_access),
                   sum(CASE WHEN rv.internet_access IN ('mobile', 'broadband') THEN 1 ELSE 0 END),
                   sum(CASE WHEN rv.internet_offer_referred IS true THEN 1 ELSE 0 END)
            FROM reservation rv {"JOIN device d ON d.id = rv.device_id" if case.donor_id is not None else ""}
            JOIN eligibility_request r ON r.id = rv.request_id JOIN household h ON h.id = r.household_id
            JOIN commune hc ON hc.insee_code = h.commune_insee{hj}
            WHERE rv.status = 'handed_over' AND rv.ended_at >= %(start)s AND rv.ended_at < %(end)s{hw}""",
        # Today's states minus the changes made since the end (reporting.records.stock_from_records).
        "stock_by_state": f"""
            WITH later AS (
                SELECT e.to_state, e.from_state, count(*) AS n FROM device_event e{device_join}
                WHERE e.kind IN ('received', 'transition') AND e.at >= %(end)s{dw} GROUP BY e.to_state, e.from_state)
            SELECT state, sum(n) FROM (
                SELECT d.state AS state, count(*) AS n FROM device d{dj} WHERE true{dw} GROUP BY d.state
                UNION ALL
                SELECT to_state, -sum(n) FROM later GROUP BY to_state
                UNION ALL
                SELECT from_state, sum(n) FROM later WHERE from_state IS NOT NULL GROUP BY from_state) moves
            GROUP BY state""",
    }
    if case.donor_id is None:   # not attributable to a donor
        statements["validated"] = f"""
            SELECT count(DISTINCT r.household_id) FROM eligibility_request r
            JOIN household h ON h.id = r.household_id JOIN commune hc ON hc.insee_code = h.commune_insee
            WHERE r.decided_at >= %(start)s AND r.decided_at < %(end)s AND r.status IN ('validated', 'equipped')
            {"AND hc.epci_id = %(epci)s" if case.epci_id is not None else ""}"""
        statements["sessions"] = f"SELECT count(*) {sessions}"
        statements["bookings"] = f"""
            SELECT sum(CASE WHEN b.status = 'attended' THEN 1 ELSE 0 END),
                   sum(CASE WHEN b.status = 'no_show' THEN 1 ELSE 0 END),
                   avg(CASE WHEN b.status = 'attended' THEN b.satisfaction END)
            FROM booking b WHERE b.session_id IN (SELECT ws.id {sessions})"""
        # Mobile workshops: the mobile stops held, their bookings and walk-ins, by the stop's EPCI.
        statements["mobile_sessions"] = f"SELECT count(*) {mobile}"
        statements["mobile_bookings"] = f"""
            SELECT sum(CASE WHEN b.status = 'attended' THEN 1 ELSE 0 END),
                   sum(CASE WHEN b.status = 'no_show' THEN 1 ELSE 0 END)
            FROM booking b WHERE b.session_id IN (SELECT ws.id {mobile})"""
        statements["mobile_walk_ins"] = f"SELECT count(*) FROM workshop_walk_in w WHERE w.session_id IN (SELECT ws.id {mobile})"
        # Households reached on tour: present at a mobile stop held anywhere or handed a device on
        # tour, each once, by the EPCI of their residence; plus the walk-ins, by the commune they gave.
        statements["reached_on_tour"] = f"""
            WITH mobile_held AS (SELECT ws.id FROM workshop_session ws WHERE {held} AND ws.venue_kind = 'mobile_stop'),
            reached AS (
                SELECT b.household_id FROM booking b
                WHERE b.status = 'attended' AND b.session_id IN (SELECT id FROM mobile_held)
                UNION
                SELECT i.household_id FROM invoice i
                WHERE i.tour_id IS NOT NULL AND i.issued_at >= %(start)s AND i.issued_at < %(end)s)
            SELECT (SELECT count(*) FROM reached r JOIN household h ON h.id = r.household_id
                    JOIN commune hc ON hc.insee_code = h.commune_insee
                    WHERE true{" AND hc.epci_id = %(epci)s" if case.epci_id is not None else ""}),
                   (SELECT count(*) FROM workshop_walk_in w JOIN commune wc ON wc.insee_code = w.commune_insee
                    WHERE w.session_id IN (SELECT id FROM mobile_held)
                    {"AND wc.epci_id = %(epci)s" if case.epci_id is not None else ""})"""
    return statements


def money(value) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):.2f}"


def kg(value) -> float:
    return round(float(value or 0), 1)


def ratio(numerator: int, denominator: int, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def period_params(case: Case) -> dict:
    from reporting.filters import Filters

    f = Filters(*PERIOD)
    return {"start": f.start_utc.replace(tzinfo=None), "end": f.end_utc.replace(tzinfo=None),
            "now": datetime.now(timezone.utc).replace(tzinfo=None), "epci": case.epci_id, "donor": case.donor_id}


def mobile_figures(case: Case, on_tour, sessions=None, attended=None, no_show=None, walk_ins=None, reached=None) -> dict:
    """The mobile workshop's five keys: only the handovers on tour belong to a donor."""
    if case.donor_id is not None:
        return {"mobile_sessions": None, "mobile_attendance_rate": None, "mobile_walk_ins": None,
                "handovers_on_tour": int(on_tour or 0), "households_reached_on_tour": None}
    attended, no_show = int(attended or 0), int(no_show or 0)
    return {"mobile_sessions": int(sessions or 0), "mobile_attendance_rate": ratio(attended, attended + no_show),
            "mobile_walk_ins": int(walk_ins or 0), "handovers_on_tour": int(on_tour or 0),
            "households_reached_on_tour": int(reached or 0)}


def figures(case: Case, one, stock: dict, equipped: dict, validated, sessions, attended, no_show, satisfaction,
            recorded, connected, referrals, median, mobile: dict) -> dict:
    """The API's JSON, from the values each variant computed (``mobile``: ``mobile_figures``)."""
    collected, sanitised, graded, recycled, weight_recycled, distributed, weight_reused, reference, paid, aide = one
    by_epci = {name: int(equipped.get(name, 0)) for name in EPCI_NAMES}
    donor = case.donor_id is not None
    return {
        "period": {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()},
        "devices_collected": int(collected or 0), "devices_sanitised": int(sanitised or 0),
        "devices_graded": int(graded or 0), "devices_distributed": int(distributed or 0),
        "devices_recycled": int(recycled or 0),
        "stock_by_state": {state: int(stock.get(state, 0)) for state in STATES},
        "households_validated": None if donor else int(validated),
        "households_equipped": sum(by_epci.values()), "equipped_by_epci": by_epci,
        "workshop_sessions": None if donor else int(sessions),
        "workshop_attendance_rate": None if donor else ratio(int(attended or 0), int(attended or 0) + int(no_show or 0)),
        "satisfaction_avg": None if donor or satisfaction is None else round(float(satisfaction), 2),
        "internet_access_rate": ratio(int(connected or 0), int(recorded or 0)),
        "internet_offer_referrals": int(referrals or 0),
        "weight_reused_kg": kg(weight_reused), "weight_recycled_kg": kg(weight_recycled),
        "reference_value_total": money(reference), "paid_total": money(paid), "aide_solidaire_total": money(aide),
        "median_days_reception_to_handover": None if median is None else round(float(median), 1),
        **mobile,
    }


def raw_sql(conn: psycopg.Connection, case: Case) -> dict:
    params = period_params(case)
    if case.epci is not None:   # the API resolves the EPCI's short name too
        params["epci"] = conn.execute("SELECT id FROM epci WHERE lower(short_name) = lower(%s)", (case.epci,)).fetchone()[0]
        params["sites"] = [row[0] for row in conn.execute(
            "SELECT s.id FROM site s JOIN commune sc ON sc.insee_code = s.commune_insee WHERE sc.epci_id = %s "
            "ORDER BY s.id", (params["epci"],))]
    out = {}
    with conn.cursor() as cur:
        for name, sql in raw_statements(case).items():
            cur.execute(sql, params)
            out[name] = cur.fetchall()
    conn.rollback()   # read-only: end the transaction as the API's session does
    booking = out["bookings"][0] if "bookings" in out else (None, None, None)
    if case.donor_id is not None or case.epci_id is not None:   # (kind, n, kg) rows → the unfiltered row's shape
        found = {name: (n, kg) for name, n, kg in out["device_counts"]}
        counts = [found.get(name, (0, None))[0] for name in ("received", "sanitised", "graded", "recycled")]
        out["device_counts"] = [(*counts, found.get("recycled", (0, None))[1])]
    on_tour = out["handovers_on_tour"][0][0]
    if case.donor_id is None:
        households, walk_ins = out["reached_on_tour"][0]
        mobile = mobile_figures(case, on_tour, out["mobile_sessions"][0][0], *out["mobile_bookings"][0],
                                out["mobile_walk_ins"][0][0], households + walk_ins)
    else:
        mobile = mobile_figures(case, on_tour)
    return figures(case, (*out["device_counts"][0], *out["handovers"][0][:5]), dict(out["stock_by_state"]),
                   dict(out["equipped"]), out["validated"][0][0] if "validated" in out else None,
                   out["sessions"][0][0] if "sessions" in out else None, *booking, *out["internet"][0],
                   out["handovers"][0][5], mobile)


# --------------------------------------------------------------------------------------------
# pandas: load the rows, join and group in memory
# --------------------------------------------------------------------------------------------

def pandas_version(engine, case: Case) -> dict:
    p = period_params(case)
    start, end, now = p["start"], p["end"], p["now"]
    read = lambda sql, **params: pd.read_sql(sql, engine, params=params or None)  # noqa: E731
    events = read("SELECT id, device_id, kind, from_state, to_state, at FROM device_event WHERE at < %(end)s", end=end)
    devices = read("SELECT id AS device_id, collection_id, weight_kg, created_at FROM device")
    collections = read("SELECT id AS collection_id, donor_id, site_id FROM collection")
    sites = read("SELECT id AS site_id, commune_insee FROM site")
    communes = read("SELECT c.insee_code AS commune_insee, c.epci_id, e.short_name FROM commune c JOIN epci e ON e.id = c.epci_id")
    invoices = read("SELECT issued_at, device_id, household_id, reference_value, amount_paid, aide_solidaire, tour_id FROM invoice "
                    "WHERE issued_at >= %(start)s AND issued_at < %(end)s", start=start, end=end)
    households = read("SELECT id AS household_id, commune_insee FROM household")
    requests = read("SELECT id AS request_id, household_id, status, decided_at, equipped_at FROM eligibility_request")
    reservations = read("SELECT request_id, device_id, status, ended_at, internet_access, internet_offer_referred FROM reservation")
    sessions = read("SELECT id AS session_id, starts_at, commune_insee, venue_kind, cancelled_at FROM workshop_session")
    bookings = read("SELECT session_id, household_id, status, satisfaction FROM booking")
    walk_ins = read("SELECT session_id, commune_insee FROM workshop_walk_in")

    epci_id = None if case.epci is None else int(communes.loc[communes.short_name == case.epci, "epci_id"].iloc[0])
    # Devices with what scopes them: the collection's donor, the EPCI of the collecting site.
    devices["grams"] = (devices.weight_kg * 1000).round().astype("int64")
    scoped = devices.merge(collections, on="collection_id").merge(sites, on="site_id").merge(
        communes[["commune_insee", "epci_id"]], on="commune_insee")
    if case.donor_id is not None:
        scoped = scoped[scoped.donor_id == case.donor_id]
    if epci_id is not None:
        scoped = scoped[scoped.epci_id == epci_id]
    ev = events.merge(scoped[["device_id", "grams"]], on="device_id")
    period = ev[ev["at"] >= start]
    transition = period.kind == "transition"
    recycled = period[transition & (period.to_state == "recycled")]
    last = (ev[ev.kind.isin(("received", "transition"))].sort_values(["device_id", "at", "id"])
            .drop_duplicates("device_id", keep="last"))
    stock = last.to_state.value_counts().to_dict()

    # Handovers: the household's EPCI, the device's donor.
    households = households.merge(communes, on="commune_insee")
    handed = invoices.merge(devices.merge(collections, on="collection_id"), on="device_id").merge(households, on="household_id")
    if case.donor_id is not None:
        handed = handed[handed.donor_id == case.donor_id]
    if epci_id is not None:
        handed = handed[handed.epci_id == epci_id]
    cents = lambda column: int((handed[column] * 100).round().astype("int64").sum())  # noqa: E731
    waits = (handed.issued_at - handed.created_at).dt.total_seconds() / 86400.0

    over = reservations[reservations.status == "handed_over"].merge(devices.merge(collections, on="collection_id"), on="device_id")
    if case.donor_id is not None:
        over = over[over.donor_id == case.donor_id]
    req = requests.merge(households, on="household_id")
    if epci_id is not None:
        req = req[req.epci_id == epci_id]
    equipped = req[(req.equipped_at >= start) & (req.equipped_at < end)].merge(over[["request_id"]], on="request_id")
    equipped = equipped.groupby("short_name").household_id.nunique().to_dict()
    internet = over[(over.ended_at >= start) & (over.ended_at < end)].merge(req[["request_id"]], on="request_id")

    on_tour = handed[handed.tour_id.notna()]
    validated = held = attended = no_show = satisfaction = None
    mobile = mobile_figures(case, len(on_tour))
    if case.donor_id is None:
        decided = req[(req.decided_at >= start) & (req.decided_at < end) & req.status.isin(("validated", "equipped"))]
        validated = decided.household_id.nunique()
        held_anywhere = sessions[(sessions.starts_at >= start) & (sessions.starts_at < end) & (sessions.starts_at <= now)
                                 & sessions.cancelled_at.isna()].merge(communes, on="commune_insee")
        ws = held_anywhere if epci_id is None else held_anywhere[held_anywhere.epci_id == epci_id]
        held = len(ws)
        b = bookings[bookings.session_id.isin(ws.session_id)]
        attended, no_show = int((b.status == "attended").sum()), int((b.status == "no_show").sum())
        rated = b.loc[b.status == "attended", "satisfaction"].dropna()
        satisfaction = rated.mean() if len(rated) else None
        # Mobile stops: by the stop's EPCI; households reached: by where they (or a walk-in) live.
        mobile_ws = ws[ws.venue_kind == "mobile_stop"]
        mb = bookings[bookings.session_id.isin(mobile_ws.session_id)]
        mobile_anywhere = held_anywhere.loc[held_anywhere.venue_kind == "mobile_stop", "session_id"]
        present = bookings.loc[(bookings.status == "attended") & bookings.session_id.isin(mobile_anywhere), "household_id"]
        people = households[households.household_id.isin(pd.concat([present, on_tour.household_id]).unique())]
        walkers = walk_ins[walk_ins.session_id.isin(mobile_anywhere)].merge(communes, on="commune_insee")
        if epci_id is not None:
            people, walkers = people[people.epci_id == epci_id], walkers[walkers.epci_id == epci_id]
        mobile = mobile_figures(case, len(on_tour), len(mobile_ws), int((mb.status == "attended").sum()),
                                int((mb.status == "no_show").sum()), int(walk_ins.session_id.isin(mobile_ws.session_id).sum()),
                                len(people) + len(walkers))
    one = ((period.kind == "received").sum(), (transition & (period.from_state == "wiping")).sum(),
           (period.kind == "graded").sum(), len(recycled), int(recycled.grams.sum()) / 1000,
           len(handed), int(handed.grams.sum()) / 1000, Decimal(cents("reference_value")) / 100,
           Decimal(cents("amount_paid")) / 100, Decimal(cents("aide_solidaire")) / 100)
    return figures(case, one, stock, equipped, validated, held, attended, no_show, satisfaction,
                   internet.internet_access.notna().sum(), internet.internet_access.isin(("mobile", "broadband")).sum(),
                   (internet.internet_offer_referred == True).sum(),  # noqa: E712 (object column)
                   waits.median() if len(waits) else None, mobile)


# Figures a float-based computation may round differently in the last digit.
APPROXIMATE = {"workshop_attendance_rate": 1e-4, "mobile_attendance_rate": 1e-4, "satisfaction_avg": 0.01,
               "internet_access_rate": 1e-4, "median_days_reception_to_handover": 0.1}


def differences(expected: dict, got: dict, approximate: dict[str, float] | None = None) -> list[str]:
    out = []
    for key in expected.keys() | got.keys():
        a, b = expected.get(key), got.get(key)
        tolerance = (approximate or {}).get(key)
        if tolerance is not None and a is not None and b is not None and abs(a - b) <= tolerance + 1e-9:
            continue
        if a != b:
            out.append(f"{key}: API {a!r}, got {b!r}")
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Investigation: the API's statements one by one, EXPLAIN ANALYZE of the slowest
# --------------------------------------------------------------------------------------------

def statement_profile(app, client, headers, case: Case) -> list[tuple[float, str, object]]:
    """(ms, statement, parameters) of every SQL statement one API call runs, slowest first."""
    from app.extensions import db

    with app.app_context():
        clock = StatementClock(db.engine)
    try:
        call_api(client, headers, case)
    finally:
        clock.close()
    return sorted(clock.seen, key=lambda s: -s[0])


# EXPLAIN's lines left out of the report: the buffer and worker details.
EXPLAIN_DETAILS = ("Buffers:", "Workers ", "Worker ", "Buckets:", "Planning:", "Batches:", "Memory Usage:")


def brief_plan(app, statement: str, parameters) -> list[str]:
    """The statement's EXPLAIN ANALYZE, briefly: plan nodes, conditions and filters."""
    return explain(app, statement, parameters, lines=30, options="ANALYZE, BUFFERS", skipped=EXPLAIN_DETAILS)


# --------------------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database when it already holds --devices devices and --events events")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of the API and the raw SQL per case")
    parser.add_argument("--pandas-runs", type=int, default=3, help="timed runs of the pandas version per case")
    parser.add_argument("--verify", action="store_true",
                        help="also run reporting.upkeep.verify (flask reporting verify) on the whole database, timed")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    sizes = Sizes(args.devices, args.events)
    url = args.database_url
    started_at = datetime.now(timezone.utc)

    # 1. Data
    ensure_database(url)
    counts = present_counts(url)
    load_seconds = rebuild_seconds = None
    if args.reuse and counts is not None and counts[:2] == (sizes.devices, sizes.events) and counts[2] > 0:
        print(f"reusing {url.rsplit('/', 1)[-1]}: {counts[0]:,} devices, {counts[1]:,} events, {counts[2]:,} invoices")
        app = make_app(url)
        from app.bootstrap import prepare
        prepare(app, demo=False, demo_password=PASSWORD)   # pending migrations, if any
        settle(url, analyze=False)
    else:
        if args.reuse:
            print(f"--reuse: found {counts and counts[:2]} devices/events, want {(sizes.devices, sizes.events)}: reloading")
        started = time.perf_counter()
        reset_schema(url)
        app = make_app(url)
        from app.bootstrap import prepare
        prepare(app, demo=False, demo_password=PASSWORD)
        ensure_admin(app)   # the tours' holder
        migrated = time.perf_counter()
        print(f"migrated in {migrated - started:.1f} s; loading {sizes.devices:,} devices and {sizes.events:,} events …",
              flush=True)
        loaded = load(url, sizes)
        print(f"loaded in {time.perf_counter() - migrated:.1f} s: "
              + ", ".join(f"{table} {n:,}" for table, n in loaded.items()), flush=True)
        rebuild_seconds, summaries = fill_summaries(app)
        print(f"summaries rebuilt from the records in {rebuild_seconds:.1f} s: "
              + ", ".join(f"{table} {n:,}" for table, n in summaries.items()), flush=True)
        settled = time.perf_counter()
        settle(url, analyze=True)
        print(f"  VACUUM ANALYZE {time.perf_counter() - settled:6.1f} s", flush=True)
        load_seconds = time.perf_counter() - started
    ensure_admin(app)

    conn = psycopg.connect(libpq(url))
    from sqlalchemy import create_engine
    pandas_engine = create_engine(url)
    donor_id, donor_share = conn.execute(
        "SELECT c.donor_id, count(*)::float / (SELECT count(*) FROM device) FROM device d "
        "JOIN collection c ON c.id = d.collection_id GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
    epci_id = conn.execute("SELECT id FROM epci WHERE short_name = 'CACEM'").fetchone()[0]
    cancelled = conn.execute("SELECT count(*) FROM workshop_session WHERE cancelled_at IS NOT NULL "
                             "AND starts_at >= %(start)s AND starts_at < %(end)s",
                             period_params(Case("", ""))).fetchone()[0]
    server = conn.execute("SHOW server_version").fetchone()[0]
    conn.rollback()
    period = f"from={PERIOD[0]}&to={PERIOD[1]}"
    cases = [Case("no filter", period),
             Case("epci=CACEM", f"{period}&epci=CACEM", epci="CACEM", epci_id=epci_id),
             Case(f"donor={donor_id}", f"{period}&donor={donor_id}", donor_id=donor_id)]

    # 2–4. Timings: warm-up, then API and raw SQL alternately, then pandas.
    client = app.test_client()
    headers = login(client)
    for case in cases:
        print(f"{case.name}: warm-up …", flush=True)
        _, case.api_figures = call_api(client, headers, case)
        raw_figures = raw_sql(conn, case)
        case.mismatches["raw SQL"] = differences(case.api_figures, raw_figures)
        for _ in range(args.runs):
            elapsed, answer = call_api(client, headers, case)
            case.api.append(elapsed)
            started = time.perf_counter()
            raw_sql(conn, case)
            case.raw.append(time.perf_counter() - started)
        print(f"  API best {ms(min(case.api))} ms, raw SQL best {ms(min(case.raw))} ms", flush=True)
    for case in cases:
        for n in range(args.pandas_runs):
            started = time.perf_counter()
            pandas_figures = pandas_version(pandas_engine, case)
            case.pandas.append(time.perf_counter() - started)
            if n == 0:
                case.mismatches["pandas"] = differences(case.api_figures, pandas_figures, APPROXIMATE)
        if case.pandas:
            print(f"{case.name}: pandas best {ms(min(case.pandas))} ms", flush=True)

    # 5. Upkeep: what the triggers cost a writer; the verification, when asked for.
    with_triggers, without = trigger_cost(url)
    print(f"transition event insert: {with_triggers:,.0f} µs with the triggers, {without:,.0f} µs without", flush=True)
    verified = verify_summaries(app) if args.verify else None

    # 6. Report
    base = cases[0].api_figures
    lines = [
        f"# Indicators benchmark — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"PostgreSQL {server.split()[0]} (`{url.rsplit('/', 1)[-1]}`), Python {sys.version.split()[0]}, "
        f"pandas {pd.__version__}. {sizes.devices:,} devices, {sizes.events:,} events, "
        f"{sizes.collections:,} collections, {sizes.households:,} households"
        + (f"; loaded in {load_seconds:.0f} s (migration, load, summaries rebuilt in {rebuild_seconds:.0f} s, "
           "VACUUM ANALYZE)." if load_seconds else " (reused)."),
        f"Period {PERIOD[0]} → {PERIOD[1]}: {base['devices_collected']:,} devices collected, "
        f"{base['devices_distributed']:,} handed over, {sum(base['stock_by_state'].values()):,} devices in the stock "
        f"figures. Donor {donor_id} gave {donor_share:.0%} of the devices.",
        f"Mobile workshop: {base['mobile_sessions']:,} mobile stops held ({cancelled:,} sessions cancelled in the period, "
        f"not counted), {base['mobile_walk_ins']:,} walk-ins, {base['handovers_on_tour']:,} handovers on tour, "
        f"{base['households_reached_on_tour']:,} households reached on tour.",
        f"API: Flask test client, JWT, `GET /api/v1/indicators`, reading the summaries. Raw SQL: the indicators "
        f"computed from the records, by hand on one psycopg connection. pandas: `read_sql` of the rows, joins and "
        f"groups in memory. Best and median of {args.runs} runs ({args.pandas_runs} for pandas) after one warm-up; "
        f"ratios are best against best.",
        "",
        "| Case | Variant | best (ms) | median (ms) | ratio to raw SQL | same figures as the API |",
        "|---|---|---:|---:|---:|---|",
    ]
    verdicts = []
    for case in cases:
        raw_best = min(case.raw)
        for label, runs in (("raw SQL", case.raw), ("API", case.api), ("pandas", case.pandas)):
            if not runs:
                continue
            agree = "—" if label == "API" else ("yes" if not case.mismatches.get(label) else
                                               f"**no** ({len(case.mismatches[label])} differ)")
            lines.append(f"| {case.name} | {label} | {ms(min(runs))} | {ms(statistics.median(runs))} "
                         f"| {min(runs) / raw_best:.2f}× | {agree} |")
        verdicts.append((case, min(case.api) * 1000 <= TARGET_MS))
    lines += ["", f"Target: API ≤ {TARGET_MS:g} ms (best of the runs), with the raw SQL's figures."]
    for case, fast in verdicts:
        lines.append(f"- {case.name}: {ms(min(case.api))} ms → **{'met' if fast else 'not met'}**, "
                     f"{min(case.raw) / min(case.api):.1f}× faster than the raw SQL over the records")
    lines += ["", f"Upkeep: a transition event's single-row insert takes {with_triggers:,.0f} µs with the summaries' "
                  f"triggers, {without:,.0f} µs without (best of 3 rounds of 2,000, rolled back)."]
    if verified is not None:
        seconds, problems, compared = verified
        lines.append(f"`reporting.upkeep.verify` on the whole database: {seconds:.1f} s, {compared:,} rows recomputed, "
                     + ("no difference." if not problems else f"**{len(problems)} differences**."))

    if not all(fast for _, fast in verdicts):
        worst = max(cases, key=lambda c: min(c.api))
        profile = statement_profile(app, client, headers, worst)
        total = sum(s[0] for s in profile)
        lines += ["", f"## Where the API's time goes ({worst.name}, one call, {len(profile)} statements, "
                      f"{total:,.0f} ms in the database)", "", "| ms | statement |", "|---:|---|"]
        lines += [f"| {t:,.1f} | `{one_line(s, 110)}` |" for t, s, _ in profile]
        for t, statement, parameters in profile[:3]:
            lines += ["", f"EXPLAIN ANALYZE of the {t:,.0f} ms statement `{one_line(statement, 80)}`:", "", "```"]
            lines += brief_plan(app, statement, parameters) + ["```"]

    report = "\n".join(lines) + "\n"
    print()
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"dashboard-{started_at:%Y%m%d-%H%M%S}.md").write_text(report, encoding="utf-8")
    conn.close()
    pandas_engine.dispose()

    failed = [(case, label, diff) for case in cases for label, diff in case.mismatches.items() if diff]
    for case, label, diff in failed:
        print(f"{case.name}: {label} differs from the API:\n  " + "\n  ".join(diff), file=sys.stderr)
    if verified is not None and verified[1]:
        print("reporting.upkeep.verify found differences:\n  " + "\n  ".join(verified[1][:50]), file=sys.stderr)
    if failed or (verified is not None and verified[1]):
        sys.exit(1)


if __name__ == "__main__":
    main()
