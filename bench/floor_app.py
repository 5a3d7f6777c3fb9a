"""The "framework floor" of the scan benchmark: a bare Flask app doing the least a scan must do.

``POST /floor`` with ``{"code": "RK-000123"}`` reads one device by its asset tag (a unique,
indexed column) and inserts one row into ``bench_write``, in one transaction, then answers
JSON. No authentication, no ORM, no Flask-AppBuilder: what is left is gunicorn, Flask, the
SQLAlchemy Core connection pool and the database itself. The scan endpoint cannot be faster
than this on the same machine and the same database.

Its row is written as durably as the scan writes the scan context of a look at a device (the
benchmark's scans): on PostgreSQL the commit does not wait for the write-ahead log to reach
the disk (``inventory.services.scan_store.commit_without_waiting_for_disk``); on SQLite (WAL,
``synchronous=NORMAL``) no commit waits for it. Both sides then do the same work on the
database, and the ratio measures what the app adds.

Served by ``bench/scan.py`` with ``gunicorn 'bench.floor_app:create_floor_app()'``; the database
comes from the same environment variable and the same engine options as the real app
(``config.Config``), so both sides connect alike.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select

metadata = MetaData()

# The floor's own write target. Not part of the app's models (nor of its migrations):
# bench/scan.py creates it in the bench databases only.
BENCH_WRITE = Table(
    "bench_write",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, nullable=False),
    Column("written_at", DateTime, nullable=False),
)

# The few columns of the app's ``device`` table the floor reads (never created from here).
DEVICE = Table(
    "device",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("asset_tag", String(20)),
    Column("brand", String(80)),
    Column("model", String(120)),
    Column("state", String(20)),
    Column("version", Integer),
)


def create_floor_app() -> Flask:
    from config import Config
    from core.db import tune_engine

    config = Config()  # reads DATABASE_URL, like the app
    engine = create_engine(config.SQLALCHEMY_DATABASE_URI, **config.SQLALCHEMY_ENGINE_OPTIONS)
    tune_engine(engine)  # the same connection settings as the app (SQLite: WAL, synchronous)
    postgres = engine.dialect.name == "postgresql"
    app = Flask(__name__)

    @app.post("/floor")
    def floor():
        code = (request.get_json(silent=True) or {}).get("code")
        if not code:
            return jsonify(message="code missing"), 422
        with engine.begin() as conn:
            row = conn.execute(select(DEVICE).where(DEVICE.c.asset_tag == code)).one_or_none()
            if row is None:
                return jsonify(message=f"unknown code {code}"), 404
            conn.execute(insert(BENCH_WRITE).values(
                device_id=row.id, written_at=datetime.now(timezone.utc).replace(tzinfo=None)))
            if postgres:  # as durable as the scan's context (see the module's docstring)
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        return jsonify(device=dict(row._mapping))

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
