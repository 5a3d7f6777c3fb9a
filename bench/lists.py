"""Benchmark of every list page at a national scale (issue 18; not a timed test): the first and
the last page of each list, through the Flask test client signed in with the role that uses it,
on a PostgreSQL database filled with 1,000,000 devices and 100,000 households.

    .venv/bin/python bench/lists.py [--devices 1000000] [--households 100000] [--reuse]
                                    [--runs 5] [--only devices,households] [--database-url URL]
    make bench-lists BENCH_ARGS="--devices 20000 --households 2000"    # quick smoke run

What it does:

1. **Data.** A dedicated PostgreSQL database (default ``rekonekt_bench_lists`` on
   127.0.0.1:5432, user postgres, created when missing; only a database whose name contains
   ``bench`` is ever written to) is emptied, migrated with ``app.bootstrap.prepare`` and filled
   in SQL (``INSERT … SELECT`` over ``generate_series``, deterministic hash-based values): 500
   donors, 200 sites, 4,000 locations, 10,000 collections, ``--devices`` devices in every state,
   ``--households`` households with two requests each on average (each with its automatic
   decision), 10,000 active reservations and 100,000 handed over with their invoices, 5,000
   workshop sessions and 30,000 bookings, 20,000 spare-part lines, 5,000 drives in the erasure
   queue, 2,000 snapshots waiting, 300,000 income-audit entries, 2,000 user accounts. Then
   VACUUM ANALYZE. ``--reuse`` keeps a database that already holds the same counts (pending
   migrations are applied).
2. **Pages.** For each list page (``PAGES``: every Flask-AppBuilder list and every list page of
   our own), signed in through the login form as the role that uses it: one warm-up, then the
   first page and the last page ``--runs`` times each. The last page is the one the first page's
   pagination links to (the highest page number in its links), so the bench also checks that it
   is reachable. Each request's SQL statements are counted and timed (SQLAlchemy events).
3. **Baseline, same run.** ``/users/userinfo/`` (Flask-AppBuilder's own account page: the
   permission checks and the layout, one row) timed the same way, as the framework floor; each
   page's time is given beside it (ratio), and beside its own SQL time.

Targets: ≤ 200 ms for the first and the last page (best of the runs), and a number of
statements that does not grow with the rows (the tests assert that, ``tests/app/
test_list_statements.py``; here the counts are printed). When a page misses the target, its
slowest statements get an EXPLAIN ANALYZE in the report. Prints a Markdown report and writes it
to bench/results/ (git-ignored).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
# Set before any import of ``config``: the bench never writes to the project's instance/.
os.environ.setdefault("REKONEKT_INSTANCE_DIR", str(RESULTS / "instance"))

import psycopg  # noqa: E402

from bench.database import (  # noqa: E402
    advance_sequences,
    ensure_database,
    fill_cursor,
    first_row,
    libpq,
    make_app as app_on,
    reset_schema,
    row_counts,
    run_timed,
    vacuum_analyze,
)
from bench.statements import StatementClock, explain, one_line  # noqa: E402

DEFAULT_URL = os.environ.get("BENCH_LISTS_DATABASE_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/rekonekt_bench_lists")
PASSWORD = "bench-lists-password-2026"
TARGET_MS = 200.0

# The bench accounts: username → (role, EPCI short name or None).
ACCOUNTS = {
    "bench-admin": ("Admin", None),
    "bench-technicien": ("Technicien", None),
    "bench-agent": ("Agent EPCI", "CACEM"),
    "bench-prescripteur": ("Prescripteur", None),
    "bench-animateur": ("Animateur", None),
}


@dataclass
class Sizes:
    devices: int
    households: int

    @property
    def collections(self) -> int:
        return max(10, min(10_000, self.devices // 100))

    @property
    def donors(self) -> int:
        return max(5, min(500, self.devices // 2_000))

    @property
    def sites(self) -> int:
        return max(3, min(200, self.devices // 5_000))

    def scaled(self, full: int, minimum: int = 10) -> int:
        """``full`` at 1M devices, proportionally less below."""
        return max(minimum, full * self.devices // 1_000_000)


# --------------------------------------------------------------------------------------------
# Data, in SQL
# --------------------------------------------------------------------------------------------

# (share ‰ of the devices, state, graded, stored in a location)
STATES = [(90, "received", False, False), (80, "wiping", False, False), (30, "repair", False, True),
          (50, "grading", False, True), (150, "in_stock", True, True), (10, "reserved", True, True),
          (200, "distributed", True, False), (40, "parts", False, True), (350, "recycled", False, False)]
CATALOGUE = [("laptop", "Dell", "Latitude 5490"), ("laptop", "Lenovo", "ThinkPad T480"),
             ("laptop", "HP", "EliteBook 840 G5"), ("desktop", "HP", "ProDesk 600 G4"),
             ("tablet", "Samsung", "Galaxy Tab A8"), ("smartphone", "Samsung", "Galaxy A52"),
             ("smartphone", "Apple", "iPhone SE 2020"), ("monitor", "Dell", "P2419H")]

LOAD_SQL = [
    # --- organisations, sites, locations, collections ----------------------------------------
    """INSERT INTO organisation (id, kind, name, siret, commune_insee, created_at)
       SELECT 1, 'workshop', 'Atelier Rekonekt (bench)', NULL, '97213', TIMESTAMP '2024-01-01'
       UNION ALL
       SELECT k + 1, 'donor', 'Donateur ' || lpad(k::text, 4, '0') || ' (bench)', NULL,
              (SELECT insee_code FROM commune ORDER BY insee_code OFFSET (k %% 34) LIMIT 1), TIMESTAMP '2024-01-01'
       FROM generate_series(1, %(donors)s) k""",
    """INSERT INTO site (id, code, name, kind, address, commune_insee, organisation_id)
       SELECT s, 'S' || lpad(s::text, 3, '0'), 'Site ' || s || ' (bench)',
              CASE WHEN s %% 4 = 1 THEN 'workshop' ELSE 'warehouse' END, 'Zone d''activités',
              (SELECT insee_code FROM commune ORDER BY insee_code OFFSET (s %% 34) LIMIT 1), 1
       FROM generate_series(1, %(sites)s) s""",
    """INSERT INTO location (id, site_id, code, name, kind, active)
       SELECT (s - 1) * 20 + b, s, 'LOC-S' || lpad(s::text, 3, '0') || '-B' || lpad(b::text, 2, '0'),
              'Bac ' || b, 'bin', b <> 20
       FROM generate_series(1, %(sites)s) s CROSS JOIN generate_series(1, 20) b""",
    """INSERT INTO collection (id, reference, donor_id, collected_on, site_id, declared_count, weight_kg, created_at)
       SELECT c, 'COL-' || (2024 + (c - 1) * 2 / %(collections)s) || '-' || lpad(c::text, 5, '0'),
              2 + floor(pg_temp.u(c, 1) * %(donors)s)::int,
              DATE '2024-01-02' + ((c - 1) * 730 / %(collections)s), 1 + floor(pg_temp.u(c, 2) * %(sites)s)::int,
              %(devices)s / %(collections)s, NULL, TIMESTAMP '2024-01-02' + ((c - 1) * 730 / %(collections)s) * INTERVAL '1 day'
       FROM generate_series(1, %(collections)s) c""",
    # --- devices --------------------------------------------------------------------------
    """INSERT INTO device (id, asset_tag, category, brand, model, serial_number, collection_id, location_id,
                           state, grade, created_at, updated_at, version)
       SELECT i, 'RK-' || lpad(i::text, greatest(6, length(i::text)), '0'), m.category, m.brand, m.model,
              'SN-' || upper(to_hex(i::bigint * 7919 + 1000000)),
              1 + ((i - 1) * %(collections)s::bigint) / %(devices)s,
              CASE WHEN st.stored THEN 1 + floor(pg_temp.u(i, 12) * %(locations)s)::int END,
              st.state, CASE WHEN st.graded THEN (ARRAY['A', 'B', 'B', 'C'])[1 + floor(pg_temp.u(i, 11) * 4)::int] END,
              t, t, 1
       FROM (SELECT i, TIMESTAMP '2024-01-03' + ((i - 1) * 730 / %(devices)s::float8) * INTERVAL '1 day' AS t,
                    floor(pg_temp.u(i, 10) * 1000)::int AS bucket, 1 + floor(pg_temp.u(i, 13) * %(models)s)::int AS model_id
             FROM generate_series(1, %(devices)s) i) x
       JOIN bench_state st ON x.bucket >= st.low AND x.bucket < st.high
       JOIN bench_model m ON m.id = x.model_id""",
    # --- households, requests (each with its automatic decision) ------------------------------
    """INSERT INTO household (id, reference, last_name, first_name, name_key, birth_date, commune_insee,
                              monthly_resources, benefits, situations, referrer_user_id, consent_on,
                              consent_version, created_at, last_activity_at)
       SELECT h, 'FOY-' || (2024 + (h - 1) * 2 / %(households)s) || '-' || lpad(h::text, 6, '0'),
              'Nom' || h, 'Prénom' || h, 'nom' || h || ' prenom' || h, DATE '1950-01-01' + floor(pg_temp.u(h, 21) * 20000)::int,
              (SELECT insee_code FROM commune ORDER BY insee_code OFFSET floor(pg_temp.u(h, 20) * 34)::int LIMIT 1),
              round((300 + 2500 * pg_temp.u(h, 22))::numeric, 2), '[]',
              (ARRAY['[]', '[]', '[]', '["senior"]', '["disability"]', '["student"]', '["senior", "disability"]',
                     '["job_seeker"]'])[1 + floor(pg_temp.u(h, 23) * 8)::int]::json,
              CASE WHEN pg_temp.u(h, 24) < 0.05 THEN %(prescripteur)s END, DATE '2024-01-01',
              'consentement-2026-01', t, t
       FROM (SELECT h, TIMESTAMP '2024-01-01 13:00' + ((h - 1) * 730 / %(households)s::float8) * INTERVAL '1 day' AS t
             FROM generate_series(1, %(households)s) h) x""",
    """INSERT INTO decision (id, household_id, rule_set_id, checked_on, facts, eligible, tier, consumption_units,
                             resources_per_uc, epci, reasons, created_at)
       SELECT k, 1 + (k - 1) %% %(households)s, (SELECT id FROM rule_set ORDER BY effective_from DESC LIMIT 1),
              DATE '2024-01-01', '{"bench": true}', pg_temp.u(k, 30) >= 0.2,
              CASE WHEN pg_temp.u(k, 30) >= 0.2 THEN 1 + floor(pg_temp.u(k, 31) * 3)::int END, 1.8, 900, NULL, '[]',
              TIMESTAMP '2024-01-01'
       FROM generate_series(1, %(requests)s) k""",
    # request k: equipped (50 %%), validated (10 %%: the first half reserved), submitted,
    # pending documents, refused
    """INSERT INTO eligibility_request (id, household_id, category, status, preview_id, decision_id, tier, overridden,
                                        refusal_reason, decided_at, valid_until, equipped_at, created_at)
       SELECT k, 1 + (k - 1) %% %(households)s,
              (ARRAY['laptop', 'laptop', 'smartphone', 'tablet', 'desktop'])[1 + floor(pg_temp.u(k, 41) * 5)::int],
              status, k, CASE WHEN status <> 'submitted' AND status <> 'pending_documents' THEN k END,
              CASE WHEN status IN ('validated', 'equipped') THEN 1 + floor(pg_temp.u(k, 43) * 3)::int END, false,
              CASE WHEN status = 'refused' THEN 'Ressources supérieures au plafond.' END,
              CASE WHEN status IN ('validated', 'refused', 'equipped') THEN created + INTERVAL '5 days' END,
              CASE WHEN status IN ('validated', 'equipped') THEN DATE '2099-12-31' END,
              CASE WHEN status = 'equipped' THEN created + INTERVAL '20 days' END, created
       FROM (SELECT k, CASE WHEN k <= %(requests)s / 2 THEN 'equipped'
                            WHEN k <= %(requests)s * 6 / 10 THEN 'validated'
                            ELSE (ARRAY['submitted', 'submitted', 'pending_documents', 'refused', 'refused'])
                                 [1 + floor(pg_temp.u(k, 42) * 5)::int] END AS status,
                    TIMESTAMP '2024-01-05' + pg_temp.u(k, 44) * 700 * INTERVAL '1 day' AS created
             FROM generate_series(1, %(requests)s) k) x""",
    # --- reservations: the handed-over ones (one per equipped request, on a distributed
    # device), then the active ones (the first validated requests, on reserved devices) --------
    """CREATE TEMP TABLE bench_handover AS
       SELECT row_number() OVER (ORDER BY r.id) AS n, r.id AS request_id, r.household_id, r.tier, r.equipped_at,
              d.id AS device_id, d.asset_tag, d.serial_number, d.brand || ' ' || d.model AS description
       FROM (SELECT id, household_id, tier, equipped_at, row_number() OVER (ORDER BY id) AS n
             FROM eligibility_request WHERE status = 'equipped') r
       JOIN (SELECT id, asset_tag, serial_number, brand, model, row_number() OVER (ORDER BY id) AS n
             FROM device WHERE state = 'distributed') d ON d.n = r.n""",
    """INSERT INTO reservation (id, request_id, device_id, status, reserved_at, expires_at, ended_at, internet_access,
                                internet_offer_referred)
       SELECT n, request_id, device_id, 'handed_over', equipped_at - INTERVAL '3 days', equipped_at + INTERVAL '11 days',
              equipped_at, 'mobile', false FROM bench_handover""",
    """INSERT INTO reservation (id, request_id, device_id, status, reserved_at, expires_at)
       SELECT %(handovers)s + r.n, r.id, d.id, 'active', now() AT TIME ZONE 'UTC' - INTERVAL '2 days',
              now() AT TIME ZONE 'UTC' + r.n * INTERVAL '1 minute'
       FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM eligibility_request WHERE status = 'validated') r
       JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM device WHERE state = 'reserved') d ON d.n = r.n""",
    """INSERT INTO invoice (id, number, chain_position, issued_at, reservation_id, household_id, device_id, seller,
                            buyer_name, vat_regime, price_grid_id, tier, total_ttc, total_ht, vat, reference_value,
                            aide_solidaire, payments, amount_paid, content_hash, previous_hash)
       SELECT n, 'F-' || extract(year FROM equipped_at)::int || '-' || lpad(n::text, 6, '0'), n, equipped_at, n,
              household_id, device_id, '{"name": "Association Rekonekt (bench)"}', 'Foyer ' || household_id, 'franchise',
              (SELECT id FROM price_grid ORDER BY effective_from DESC LIMIT 1), coalesce(tier, 1), 50, 50, 0, 300, 250,
              '[{"method": "cash", "amount": "50.00"}]', 50, encode(sha256(convert_to('bench:' || n, 'UTF8')), 'hex'),
              CASE WHEN n = 1 THEN repeat('0', 64) ELSE encode(sha256(convert_to('bench:' || (n - 1), 'UTF8')), 'hex') END
       FROM bench_handover""",
    """INSERT INTO invoice_line (invoice_id, position, kind, description, asset_tag, serial_number, quantity,
                                 unit_price_ttc, total_ttc, total_ht, vat)
       SELECT n, 1, 'device', description, asset_tag, serial_number, 1, 50, 50, 50, 0 FROM bench_handover""",
    """INSERT INTO credit_note (number, chain_position, invoice_id, issued_at, reason, device_returned, lines, total_ttc,
                                total_ht, vat, content_hash, previous_hash)
       SELECT 'A-2025-' || lpad(k::text, 5, '0'), k, k * 97, TIMESTAMP '2025-06-01', 'Retour (bench)', false, '[]', 50, 50, 0,
              encode(sha256(convert_to('bench-credit:' || k, 'UTF8')), 'hex'), repeat('0', 64)
       FROM generate_series(1, %(credit_notes)s) k""",
    # --- workshops and bookings ---------------------------------------------------------------
    """INSERT INTO workshop_session (id, topic, starts_at, ends_at, venue_kind, venue_name, commune_insee, facilitator_id,
                                    capacity, waitlist_counter, created_at)
       SELECT k, (ARRAY['computer', 'smartphone', 'tablet', 'online_services'])[1 + floor(pg_temp.u(k, 70) * 4)::int],
              starts, starts + INTERVAL '2 hours', 'digital_point', 'Salle ' || k,
              (SELECT insee_code FROM commune ORDER BY insee_code OFFSET (k %% 34) LIMIT 1),
              CASE WHEN k %% 10 = 0 THEN %(animateur)s END, 8, 0, starts - INTERVAL '20 days'
       FROM (SELECT k, date_trunc('hour', now() AT TIME ZONE 'UTC') - INTERVAL '700 days' + INTERVAL '14 hours'
                       + ((k - 1) * 730 / %(sessions)s::float8) * INTERVAL '1 day' AS starts
             FROM generate_series(1, %(sessions)s) k) x""",
    """INSERT INTO booking (session_id, household_id, status, booked_at)
       SELECT s.id, 1 + ((s.id::bigint * 6 + j) * 1000003) %% %(households)s,
              CASE WHEN s.starts_at > now() AT TIME ZONE 'UTC' THEN 'booked' ELSE 'attended' END, s.starts_at - INTERVAL '10 days'
       FROM workshop_session s CROSS JOIN generate_series(1, 6) j""",
    # --- the workshop's queues and stock ------------------------------------------------------
    """INSERT INTO spare_part (part_type, description, compatible_models, location_id, quantity, created_at)
       SELECT (ARRAY['battery', 'screen', 'keyboard', 'ram', 'ssd', 'charger'])[1 + floor(pg_temp.u(k, 80) * 6)::int],
              'Pièce ' || k, 'Latitude 5490', 1 + floor(pg_temp.u(k, 81) * %(locations)s)::int, 1 + k %% 5,
              TIMESTAMP '2025-01-01'
       FROM generate_series(1, %(spare_parts)s) k""",
    """INSERT INTO erasure_import (id, content_sha256, filename, format, tool, imported_at)
       SELECT k, encode(sha256(convert_to('bench-report:' || k, 'UTF8')), 'hex'), 'rapport-' || k || '.log', 'nwipe',
              'nwipe', TIMESTAMP '2025-01-01' + k * INTERVAL '1 day'
       FROM generate_series(1, %(reports)s) k""",
    """INSERT INTO imported_drive (report_id, position, serial_number, model, result, details, status, reason)
       SELECT 1 + (k - 1) %% %(reports)s, k, 'WD-BENCH-' || k, 'WDC WD5000', 'pass', '{}',
              CASE WHEN k %% 4 = 0 THEN 'queued' ELSE 'matched' END,
              CASE WHEN k %% 4 = 0 THEN 'Numéro de série inconnu.' END
       FROM generate_series(1, %(drives)s) k""",
    """INSERT INTO device_snapshot (uuid, content_hash, source, received_at, status, reason, maker, model, serial_number,
                                   category, disks, ignored, raw, pending_disks)
       SELECT lpad(to_hex(k), 8, '0') || '-0000-4000-8000-000000000000', encode(sha256(convert_to('snap:' || k, 'UTF8')), 'hex'),
              'workbench', TIMESTAMP '2025-01-01' + k * INTERVAL '1 hour', 'queued', 'Catégorie inconnue.', 'Dell',
              'Latitude 5490', 'SNAP-' || k, NULL, '[]',
              CASE WHEN k %% 4 = 0 THEN '[{"position": 1, "reason": "Disque lu deux fois.", "model": "WDC", "serial_number": "WD-' || k || '", "kind": "hdd"}]'
                   ELSE '[]' END::json, '{}', CASE WHEN k %% 4 = 0 THEN 1 ELSE 0 END
       FROM generate_series(1, %(snapshots)s) k""",
    """INSERT INTO audit_entry (at, user_id, username, household_id, household_reference, action, changes)
       SELECT TIMESTAMP '2024-01-01' + (k * 730 / %(audits)s::float8) * INTERVAL '1 day', NULL, 'bench-agent',
              h, 'FOY-' || (2024 + (h - 1) * 2 / %(households)s) || '-' || lpad(h::text, 6, '0'),
              (ARRAY['create', 'read', 'read', 'update', 'export'])[1 + floor(pg_temp.u(k, 90) * 5)::int], '{}'
       FROM (SELECT k, 1 + floor(pg_temp.u(k, 91) * %(households)s)::int AS h FROM generate_series(1, %(audits)s) k) x""",
    """INSERT INTO ab_user (first_name, last_name, username, password, active, email, created_on, changed_on, token_version)
       SELECT 'Compte', 'Bench ' || k, 'bench-user-' || k, 'pbkdf2:sha256:1000$x$y', true,
              'bench-user-' || k || '@bench.invalid', TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-01', 0
       FROM generate_series(1, %(users)s) k""",
    """INSERT INTO ab_user_role (user_id, role_id)
       SELECT u.id, (SELECT id FROM ab_role WHERE name = (ARRAY['Technicien', 'Agent EPCI', 'Prescripteur', 'Animateur'])
                                                        [1 + u.id %% 4])
       FROM ab_user u WHERE u.username LIKE 'bench-user-%%'""",
]
SEQUENCED = ("organisation", "site", "location", "collection", "device", "household", "decision", "eligibility_request",
             "reservation", "invoice", "invoice_line", "credit_note", "workshop_session", "booking", "spare_part",
             "erasure_import", "imported_drive", "device_snapshot", "audit_entry", "ab_user", "ab_user_role")


def present_counts(url: str) -> tuple[int, int] | None:
    return first_row(url, "SELECT (SELECT count(*) FROM device), (SELECT count(*) FROM household)")


def load(url: str, sizes: Sizes, account_ids: dict[str, int]) -> dict[str, int]:
    """Fill the migrated database (reference data and bench accounts only) in one transaction."""
    with fill_cursor(url, work_mem="512MB") as cur:
        cur.execute("CREATE TEMP TABLE bench_state (low int, high int, state text, graded bool, stored bool)")
        low = 0
        for share, state, graded, stored in STATES:
            cur.execute("INSERT INTO bench_state VALUES (%s, %s, %s, %s, %s)", (low, low + share, state, graded, stored))
            low += share
        assert low == 1000
        cur.execute("CREATE TEMP TABLE bench_model (id int, category text, brand text, model text)")
        cur.executemany("INSERT INTO bench_model VALUES (%s, %s, %s, %s)",
                        [(i, *entry) for i, entry in enumerate(CATALOGUE, start=1)])
        requests = sizes.households * 2
        params = {"donors": sizes.donors, "sites": sizes.sites, "locations": sizes.sites * 20,
                  "collections": sizes.collections, "devices": sizes.devices, "models": len(CATALOGUE),
                  "households": sizes.households, "requests": requests,
                  "credit_notes": sizes.scaled(1_000), "sessions": sizes.scaled(5_000, 50),
                  "spare_parts": sizes.scaled(20_000), "reports": sizes.scaled(100, 2), "drives": sizes.scaled(20_000),
                  "snapshots": sizes.scaled(2_000), "audits": sizes.scaled(300_000), "users": sizes.scaled(2_000),
                  "prescripteur": account_ids["bench-prescripteur"], "animateur": account_ids["bench-animateur"]}
        for statement in LOAD_SQL:
            rows = run_timed(cur, statement, params)
            if statement.lstrip().startswith("CREATE TEMP TABLE bench_handover"):
                params["handovers"] = rows
        advance_sequences(cur, SEQUENCED)
        cur.execute("""INSERT INTO counter (name, value)
            SELECT 'asset_tag', %(devices)s
            UNION ALL SELECT 'invoice-chain', count(*) FROM invoice
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value""", params)
        cur.connection.commit()
        counts = row_counts(cur, SEQUENCED)
    started = time.perf_counter()
    vacuum_analyze(url)
    print(f"  VACUUM ANALYZE {time.perf_counter() - started:6.1f} s", flush=True)
    return counts


# --------------------------------------------------------------------------------------------
# The app and its accounts
# --------------------------------------------------------------------------------------------

def make_app(url: str):
    app = app_on(url)
    # The bench signs in through the form of the test client: no CSRF dance needed for reads.
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def ensure_accounts(app) -> dict[str, int]:
    from sqlalchemy import select

    from app.extensions import db
    from core.territory import Epci

    with app.app_context():
        sm = app.appbuilder.sm
        epcis = {e.short_name: e.id for e in db.session.execute(select(Epci)).scalars()}
        ids = {}
        for username, (role, epci) in ACCOUNTS.items():
            user = sm.find_user(username=username)
            if user is None:
                user = sm.add_user(username, "Bench", role, f"{username}@bench.invalid", sm.find_role(role),
                                   password=PASSWORD)
                if not user:
                    raise RuntimeError(f"could not create {username}")
            if epci:
                user.epci_id = epcis[epci]
            ids[username] = user.id
        db.session.commit()
    return ids


def signed_in(app, username: str):
    client = app.test_client()
    answer = client.post("/login/", data={"username": username, "password": PASSWORD})
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {username} failed: {answer.status_code}")
    return client


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    name: str
    url: str
    user: str


PAGES = [
    Page("Devices (FAB)", "/devices/list/", "bench-technicien"),
    Page("Devices, as Agent EPCI", "/devices/list/", "bench-agent"),
    Page("Devices, the middle page (no target)", "/devices/list/?page_DeviceView=9999", "bench-technicien"),
    Page("Devices by state", "/devices/list/?_oc_DeviceView=state&_od_DeviceView=asc", "bench-technicien"),
    Page("Devices by category", "/devices/list/?_oc_DeviceView=category&_od_DeviceView=desc", "bench-technicien"),
    Page("Devices of a collection (typed)", "/devices/list/?_flt_0_collection=COL-2025-07500", "bench-technicien"),
    Page("Devices, state is « in_stock »", "/devices/list/?_flt_3_state=in_stock", "bench-technicien"),
    Page("Collection suggestions", "/devices/autocomplete/collection?q=COL-2025-04", "bench-technicien"),
    Page("Collections (FAB)", "/collections/list/", "bench-technicien"),
    Page("Organisations (FAB)", "/organisations/list/", "bench-technicien"),
    Page("Sites (FAB)", "/sites/list/", "bench-technicien"),
    Page("Locations (FAB)", "/locations/list/", "bench-technicien"),
    Page("Spare parts (FAB)", "/spare-parts/list/", "bench-technicien"),
    Page("Communes (FAB)", "/communes/list/", "bench-admin"),
    Page("EPCI (FAB)", "/epci/list/", "bench-admin"),
    Page("User accounts (FAB)", "/users/list/", "bench-admin"),
    Page("Households, Admin", "/households/", "bench-admin"),
    Page("Households, Agent EPCI", "/households/", "bench-agent"),
    Page("Households, Prescripteur", "/households/", "bench-prescripteur"),
    Page("Request queue, Agent EPCI", "/requests/", "bench-agent"),
    Page("Request queue (all), Admin", "/requests/?status=all", "bench-admin"),
    Page("Waiting list", "/distribution/waiting-list/", "bench-technicien"),
    Page("Reservations", "/distribution/reservations/", "bench-technicien"),
    Page("Invoices", "/distribution/invoices/", "bench-technicien"),
    Page("Workshops, Technicien", "/distribution/workshops/", "bench-technicien"),
    Page("Workshops, Agent EPCI", "/distribution/workshops/", "bench-agent"),
    Page("Workshops, Animateur", "/distribution/workshops/", "bench-animateur"),
    Page("Erasure queue", "/erasures/queue", "bench-technicien"),
    Page("Snapshot queue", "/snapshots/queue", "bench-technicien"),
    Page("Income audit log", "/eligibility/audit/", "bench-admin"),
    Page("Rule sets", "/eligibility/rule-sets/", "bench-admin"),
    Page("Price grids", "/distribution/price-grids/", "bench-admin"),
    Page("Station tokens", "/station-tokens/", "bench-admin"),
    Page("Print stations", "/print-stations/", "bench-technicien"),
    Page("Checklists", "/checklists/", "bench-admin"),
]
FLOOR_URL = "/users/userinfo/"

PAGE_LINK = re.compile(r"[?&](?:amp;)?(page(?:_\w+)?)=(\d+)")


def last_page_url(url: str, html: str) -> str | None:
    """The highest page the first page links to (its « last page » link), or None when it has
    one page only."""
    found = [(name, int(number)) for name, number in PAGE_LINK.findall(html)]
    if not found:
        return None
    name, number = max(found, key=lambda item: item[1])
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}{name}={number}"


@dataclass
class Timing:
    times: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    statements: int = 0
    rows: int = 0
    profile: list[tuple[float, str, object]] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


ROW = re.compile(r"<tr[ >]")


def timed_get(client, clock: StatementClock, url: str) -> tuple[float, str]:
    clock.seen.clear()
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"GET {url}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
    return elapsed, answer.get_data(as_text=True)


def measure(client, clock: StatementClock, url: str, runs: int) -> tuple[Timing, str]:
    timing = Timing()
    _, html = timed_get(client, clock, url)          # warm-up
    fewest = None
    for _ in range(runs):
        elapsed, html = timed_get(client, clock, url)
        timing.times.append(elapsed * 1000)
        timing.sql.append(sum(t for t, _, _ in clock.seen))
        if fewest is None or len(clock.seen) < len(fewest):
            fewest = list(clock.seen)     # a run may add the 2 statements that re-read the signed-in user
    timing.statements = len(fewest)
    timing.profile = sorted(fewest, key=lambda s: -s[0])
    timing.rows = max(0, len(ROW.findall(html)) - 1)
    return timing, html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database that already holds these counts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each page")
    parser.add_argument("--only", default="", help="comma-separated words: only the pages whose name or URL has one")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    sizes = Sizes(args.devices, args.households)
    url = args.database_url
    started_at = datetime.now(timezone.utc)

    ensure_database(url)
    counts = present_counts(url)
    from app.bootstrap import prepare

    if args.reuse and counts == (sizes.devices, sizes.households):
        print(f"reusing {url.rsplit('/', 1)[-1]}: {counts[0]:,} devices, {counts[1]:,} households")
        app = make_app(url)
        prepare(app, demo=False, demo_password=PASSWORD)
        ensure_accounts(app)
    else:
        started = time.perf_counter()
        reset_schema(url)
        app = make_app(url)
        prepare(app, demo=False, demo_password=PASSWORD)
        ids = ensure_accounts(app)
        print(f"migrated in {time.perf_counter() - started:.1f} s; loading {sizes.devices:,} devices and "
              f"{sizes.households:,} households …", flush=True)
        loaded = load(url, sizes, ids)
        print(f"loaded in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{table} {n:,}" for table, n in loaded.items()), flush=True)

    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or os.environ.get("BENCH_COMMIT", "?")
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    with psycopg.connect(libpq(url)) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    clock = StatementClock(engine)
    clients = {user: signed_in(app, user) for user in ACCOUNTS}
    words = [w.strip().lower() for w in args.only.split(",") if w.strip()]
    pages = [p for p in PAGES if not words or any(w in p.name.lower() or w in p.url for w in words)]
    results = []
    floors = {}
    for page in pages:
        client = clients[page.user]
        if page.user not in floors:
            floors[page.user], _ = measure(client, clock, FLOOR_URL, args.runs)
        first, html = measure(client, clock, page.url, args.runs)
        last_url = last_page_url(page.url, html)
        last = measure(client, clock, last_url, args.runs)[0] if last_url else None
        results.append((page, first, last, last_url))
        print(f"{page.name:<32} first {first.best:7.1f} ms ({first.statements:3d} st., {first.rows:4d} rows)"
              + (f"   last {last.best:7.1f} ms ({last.statements:3d} st., {last.rows:4d} rows)" if last else
                 "   (one page)"), flush=True)
    clock.close()

    lines = [
        f"# List pages benchmark — {started_at:%Y-%m-%d %H:%M} UTC, commit `{commit}`",
        "",
        f"PostgreSQL {server.split()[0]} (`{url.rsplit('/', 1)[-1]}`), Python {sys.version.split()[0]}; "
        f"{sizes.devices:,} devices, {sizes.households:,} households. Flask test client in this process, "
        f"signed in through the login form. Best and median of {args.runs} runs after one warm-up; "
        f"SQL = time inside the database driver (cursor events), st. = SQL statements of one request.",
        "",
        "Floor (same run): `" + FLOOR_URL + "` — "
        + ", ".join(f"{user} {t.best:.1f} ms ({t.statements} st.)" for user, t in floors.items()),
        "",
        "| Page | Role | first: best (median) ms | SQL ms | st. | rows | last: best (median) ms | SQL ms | st. | rows "
        "| first / floor | ≤ 200 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    missed = []
    for page, first, last, last_url in results:
        floor = floors[page.user].best
        worst = max(first.best, last.best if last else 0)
        met = worst <= TARGET_MS
        if not met:
            missed.append((page, first if first.best >= (last.best if last else 0) else last))
        last_cells = (f"{last.best:,.1f} ({last.median:,.1f}) | {min(last.sql):,.1f} | {last.statements} | {last.rows}"
                      if last else "(one page) | | |")
        lines.append(f"| {page.name} | {ACCOUNTS[page.user][0]} | {first.best:,.1f} ({first.median:,.1f}) "
                     f"| {min(first.sql):,.1f} | {first.statements} | {first.rows} | {last_cells} "
                     f"| {first.best / floor:.1f}× | {'met' if met else '**not met**'} |")
    for page, timing in missed:
        lines += ["", f"## {page.name}: the slowest statements ({timing.statements} statements, "
                      f"{min(timing.sql):,.0f} ms in the database)", "", "| ms | statement |", "|---:|---|"]
        lines += [f"| {t:,.1f} | `{one_line(s, 100)}` |" for t, s, _ in timing.profile[:8]]
        t, statement, parameters = timing.profile[0]
        lines += ["", f"EXPLAIN ANALYZE of the {t:,.0f} ms statement:", "", "```"]
        lines += explain(app, statement, parameters, lines=25) + ["```"]
    report = "\n".join(lines) + "\n"
    print()
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"lists-{started_at:%Y%m%d-%H%M%S}.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
