"""Upgrading an empty database with the migrations gives the schema the models describe."""
from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect

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
