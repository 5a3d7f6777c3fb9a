"""Upgrading an empty database with the migrations gives the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from config import TestConfig


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
