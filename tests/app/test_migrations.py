"""Upgrading an empty database with the migrations gives the schema the models describe."""
from __future__ import annotations

import json
import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, select

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.helpers import collection_rows_sql


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    return diff


def test_upgrade_from_empty_matches_the_models(empty_database):
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade()
    assert _differences(app) == []
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"device", "device_event", "ab_user", "commune", "alembic_version"} <= tables


def test_downgrade_then_upgrade_again(empty_database):
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert _differences(app) == []


def _quoted_values(sql: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sql))


def test_check_constraints_match_the_models(empty_database):
    """Alembic's autogenerate does not compare CHECK constraints: compare them here, by name
    and by the values they allow."""
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            expected = {
                str(c.name): _quoted_values(str(c.sqltext))
                for c in table.constraints if isinstance(c, CheckConstraint)
            }
            actual = {c["name"]: _quoted_values(c["sqltext"]) for c in inspector.get_check_constraints(table.name)}
            assert actual == expected, table.name
        db.engine.dispose()


def test_upgrade_a_database_holding_data(empty_database):
    """Real databases are upgraded with their data in them (on SQLite the batch migrations
    rebuild tables that other tables reference)."""
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade(revision="0001_initial")
        statements = [
            *collection_rows_sql(declared_count=1),
            "INSERT INTO device (id, asset_tag, category, brand, model, serial_number, collection_id, state, "
            "created_at, updated_at, version) VALUES (1, 'RK-000001', 'laptop', 'Dell', 'E5490', 'SN1', 1, 'wiping', "
            "'2026-01-02 12:00:00', '2026-01-02 12:00:00', 2)",
            "INSERT INTO storage_medium (id, device_id, kind, serial_number, created_at) VALUES (1, 1, 'ssd', 'D1', '2026-01-02 12:00:00')",
            "INSERT INTO erasure_record (id, medium_id, level, technique, tool, operator, result, verified, recorded_at) "
            "VALUES (1, 1, 'purge', 'ata-secure-erase', 'hdparm', 'Léa', 'pass', true, '2026-01-03 10:00:00')",
            "INSERT INTO device_event (id, device_id, kind, from_state, to_state, at) VALUES (1, 1, 'received', NULL, 'received', '2026-01-02 12:00:00')",
        ]
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            record = conn.exec_driver_sql(
                "SELECT sanitised_by, verified_by, destination, source FROM erasure_record WHERE id = 1").one()
            medium = conn.exec_driver_sql("SELECT origin FROM storage_medium WHERE id = 1").one()
            device = conn.exec_driver_sql("SELECT asset_tag, state FROM device WHERE id = 1").one()
        assert tuple(record) == ("Léa", "Léa", "reuse", "manual")
        assert tuple(medium) == ("donated",) and tuple(device) == ("RK-000001", "wiping")
        db.engine.dispose()
    assert _differences(app) == []


def test_the_laptop_checklist_gains_the_storage_check(empty_database):
    """0014 adds « Stockage : état SMART correct » to a laptop checklist that lacks it, after the
    battery, keeping what Admin edited; the downgrade takes it away again."""
    app = create_app(TestConfig(empty_database))
    edited = [{"key": "boots", "label": "Démarre", "kind": "bool"},
              {"key": "battery_health", "label": "Batterie", "kind": "percent", "threshold": 70},
              {"key": "hinge", "label": "Charnières (ajouté par Admin)", "kind": "bool"}]
    with app.app_context():
        upgrade(revision="0013_device_snapshots")
        templates = db.metadata.tables["checklist_template"]
        with db.engine.begin() as conn:
            conn.execute(templates.insert(), [{"category": "laptop", "items": edited},
                                              {"category": "monitor", "items": edited[:1]}])
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(select(templates.c.category, templates.c["items"])).all())
        assert [item["key"] for item in rows["laptop"]] == ["boots", "battery_health", "storage_health", "hinge"]
        assert rows["laptop"][1]["threshold"] == 70 and rows["monitor"] == edited[:1]
        upgrade()           # at head already: nothing happens twice
        downgrade(revision="0013_device_snapshots")
        with db.engine.connect() as conn:
            assert conn.execute(select(templates.c["items"]).where(templates.c.category == "laptop")).scalar() == edited
        db.engine.dispose()


def test_snapshots_received_before_the_review_queue_count_only_the_disks_a_person_must_decide(empty_database):
    """0015 fills pending_disks: a disk without serial waits for a person; the boot stick, a zram
    swap smartctl could not read and an empty entry are only noted."""
    app = create_app(TestConfig(empty_database))
    ignored = [{"position": 1, "reason": "no-serial", "device_name": "/dev/sda"},
               {"position": 3, "reason": "removable", "device_name": "/dev/sdc"},
               {"position": 5, "reason": "unreadable", "device_name": "/dev/zram0"},
               {"position": 6, "reason": "unreadable", "device_name": None}]
    with app.app_context():
        upgrade(revision="0014_laptop_storage_check")
        snapshots = db.metadata.tables["device_snapshot"]
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO device_snapshot (id, uuid, content_hash, source, received_at, status, serial_number, "
                "disks, ignored, raw) VALUES (1, 'u-1', 'h', 'workbench-script', '2026-12-04 15:00:00', 'queued', "
                f"'RK7TEST', '[]', '{json.dumps(ignored)}', '{{}}')")
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(select(snapshots.c.pending_disks, snapshots.c.ignored)).one()
        db.engine.dispose()
    assert row.pending_disks == 1
    assert [entry["review"] for entry in row.ignored] == [True, False, False, False]


def _triggers(table: str) -> set[str]:
    if db.engine.dialect.name == "postgresql":
        sql = f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal"
    else:
        sql = f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
    with db.engine.connect() as conn:
        return set(conn.exec_driver_sql(sql).scalars())


def test_the_mobile_tour_columns_keep_the_triggers_of_the_tables_they_extend(empty_database):
    """0021 adds columns to invoice, booking and workshop_session with plain ALTER TABLE: a batch
    copy on SQLite would drop the invoice's immutability triggers and the reporting summaries'."""
    app = create_app(TestConfig(empty_database))
    with app.app_context():
        upgrade(revision="0020_stocktakes")
        before = {table: _triggers(table) for table in ("invoice", "booking", "workshop_session")}
        upgrade(revision="0021_mobile_tours")
        after = {table: _triggers(table) for table in ("invoice", "booking", "workshop_session")}
        downgrade(revision="0020_stocktakes")
        after_downgrade = {table: _triggers(table) for table in ("invoice", "booking", "workshop_session")}
        db.engine.dispose()
    assert before["invoice"], "the invoice's immutability triggers exist before 0021"
    assert after == before
    assert after_downgrade == before
