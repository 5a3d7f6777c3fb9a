"""Database connection settings shared by the app and anything else opening the same database
(the benchmark's floor app, scripts), and the write lock a unit of work takes on SQLite."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# How long a SQLite writer waits for the one before it (then: "database is locked").
SQLITE_BUSY_TIMEOUT_MS = 10_000


def tune_engine(engine: Engine) -> None:
    """SQLite: enforce foreign keys (off by default in SQLite), write-ahead logging so that
    readers never wait for the writer, ``synchronous=NORMAL`` (safe with WAL: a power cut may
    lose the last commits, never corrupt the file), and writers wait for each other up to
    ``SQLITE_BUSY_TIMEOUT_MS``. PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def begin_writing(session: Session) -> None:
    """Make the session's coming transaction a writer that holds the database's write lock from
    its first statement, on SQLite.

    PostgreSQL guards read-check-write rules with row locks (``FOR UPDATE``) and constraints.
    SQLite ignores ``FOR UPDATE``, and its default (deferred) transaction reads without any
    lock: two units of work could read the same seat count and both book the last seat. With
    ``BEGIN IMMEDIATE`` a writing unit of work waits for the one before it to end, then reads
    what it wrote. Read-only requests never call this and are never serialised (WAL readers do
    not wait for the writer). Inside a transaction already writing (a nested unit of work),
    nothing changes."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
