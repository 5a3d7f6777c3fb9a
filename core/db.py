"""Database connection settings shared by the app and anything else opening the same database
(the benchmark's floor app, scripts), the write lock a unit of work takes on SQLite, and the
snapshot a long read-only check reads from."""
from __future__ import annotations

import select
import time
from itertools import chain, repeat

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.orm import Session

# How long a SQLite writer waits for the one before it (then: "database is locked").
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A writer first asks for the write lock itself, at these short intervals, for up to
# QUICK_TRIES_SECONDS; then SQLite's busy handler waits for the rest of the timeout.
QUICK_PAUSES = (0.0001, 0.0002, 0.0005, 0.001)
QUICK_TRIES_SECONDS = 0.05


def may_be_closed(dbapi_connection) -> bool:
    """Whether the server may have closed this idle connection, seen without a round trip. An
    idle connection has nothing to read until it sends a query: a readable socket carries the
    server's « terminating connection » message or the end of the stream (a restart, an
    administrator, an idle timeout), or, rarely, something else (a notice)."""
    try:
        fd = dbapi_connection.fileno()
        if hasattr(select, "poll"):          # no limit on the descriptor's number, unlike select()
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([fd], [], [], 0)[0])
    except Exception:  # noqa: BLE001 - closed already (psycopg raises its own error)
        return True


def _discard_closed_connections(engine: Engine):
    """A pool ``checkout`` listener for ``engine`` (PostgreSQL): a connection the server has
    closed is never handed out. Only a connection whose socket has something to read is pinged
    (``SELECT 1``); one that does not answer raises ``InvalidatePoolError``, which makes the pool
    replace it and every connection opened before it (a restarted server has dropped them all),
    then check out again. This replaces ``pool_pre_ping``, which pinged on every checkout: a
    round trip on every request."""
    dialect = engine.dialect

    def check(dbapi_connection, _record, _proxy) -> None:
        if not may_be_closed(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the error, this connection is unusable
            raise InvalidatePoolError(f"connection closed by the server ({type(exc).__name__})") from exc

    return check


def tune_engine(engine: Engine) -> None:
    """PostgreSQL: connections the server has closed (a restart…) are replaced at checkout,
    without a round trip (``_discard_closed_connections``).

    SQLite: enforce foreign keys (off by default in SQLite), write-ahead logging so that
    readers never wait for the writer, ``synchronous=NORMAL`` (safe with WAL: a power cut may
    lose the last commits, never corrupt the file), and writers wait for each other up to
    ``SQLITE_BUSY_TIMEOUT_MS``."""
    if engine.dialect.name != "sqlite":
        event.listen(engine, "checkout", _discard_closed_connections(engine))
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
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        return
    # SQLite's busy handler sleeps 1, 2, 5, 10, 15… ms between its tries, while a writer holds
    # the lock for about a millisecond (a scan): the next one would idle longer than it waited
    # for. So the first 50 ms are tried here, at 0.1 to 1 ms intervals, without the handler.
    deadline = time.monotonic() + QUICK_TRIES_SECONDS
    dbapi_connection.execute("PRAGMA busy_timeout = 0")        # a setting: no I/O, no lock
    try:
        for pause in chain(QUICK_PAUSES, repeat(QUICK_PAUSES[-1])):
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "database is locked" not in str(exc.orig) or time.monotonic() + pause > deadline:
                    break
            time.sleep(pause)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")   # then SQLite waits, up to SQLITE_BUSY_TIMEOUT_MS


def begin_reading(connection: Connection) -> None:
    """Make ``connection``'s transaction, which must not have run a statement yet, read one moment
    of the database: every statement it runs sees what was committed before its first, whatever
    commits meanwhile. For a check that compares two reads (``reporting.upkeep.verify``): each in
    a moment of its own, a write committed between them would show as a difference.

    PostgreSQL: ``REPEATABLE READ, READ ONLY`` (its default, READ COMMITTED, takes a new snapshot
    at every statement). SQLite: a deferred ``BEGIN``, whose first read holds its snapshot until
    the transaction ends (WAL: writers go on); without it the driver runs each SELECT in a
    transaction of its own."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
