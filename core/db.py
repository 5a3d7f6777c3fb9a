"""Database connection settings shared by the app and anything else opening the same database
(the benchmark's floor app, scripts)."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def tune_engine(engine: Engine) -> None:
    """SQLite: enforce foreign keys (off by default in SQLite), write-ahead logging so that
    readers never wait for the writer, and ``synchronous=NORMAL`` (safe with WAL: a power cut
    may lose the last commits, never corrupt the file). PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
