"""The PostgreSQL database a bench fills for itself, and the app bound to it: what
``bench/dashboard.py`` and ``bench/lists.py`` share, and ``bench/scan.py`` for its PostgreSQL side.

- the guard: a bench writes only to a database whose name contains ``bench``, never to the
  tests' or the server's own (``refusal``, ``ensure_database``);
- creating, emptying and vacuuming that database;
- the fill in SQL: one transaction on a cursor with client-side binding and ``pg_temp.u``
  (``fill_cursor``), each statement timed (``run_timed``), the serial sequences moved past the
  explicit ids (``advance_sequences``), the row counts;
- the app on that database, with the bench's secret key (``app_environment``, ``make_app``).

Only the standard library is imported at the top: ``bench/scan.py`` starts its client processes
with "spawn", and they must stay light. psycopg and SQLAlchemy are imported where they are used.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

# Databases a bench never writes to, whatever URL it is given.
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}
SECRET_KEY = "bench-only-secret-key-never-used-in-production"  # signs the bench's sessions and JWTs only

# u(i, salt): a deterministic pseudo-random number in [0, 1) for row i (parallel-safe, no state).
FUNCTIONS = """
CREATE FUNCTION pg_temp.u(i bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(i, salt) & 9007199254740991)::float8 / 9007199254740992.0 $$;
"""


def libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string, for psycopg."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def refusal(url: str) -> str | None:
    """Why a bench may not write to the database of ``url``, or None when its name says *bench*."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name in PROTECTED_DATABASES or "bench" not in name:
        return f"refusing database {name!r}: this bench only writes to a database named *bench*"
    return None


def create_database(url: str, *, connect_timeout: int = 0) -> str | None:
    """Create the database of ``url`` when it does not exist (through the server's ``postgres``
    database); returns its name when it was created, None when it was there already.
    ``connect_timeout`` 0 waits as long as libpq does. Check ``refusal`` first."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = libpq(str(make_url(url).set(database="postgres")))
    with psycopg.connect(admin, autocommit=True, connect_timeout=connect_timeout) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return None
        conn.execute(f'CREATE DATABASE "{name}"')
        return name


def ensure_database(url: str) -> None:
    """Exit on any database but a *bench* one; create it when missing."""
    reason = refusal(url)
    if reason:
        sys.exit(reason)
    created = create_database(url)
    if created:
        print(f"created database {created}")


def first_row(url: str, query: str) -> tuple | None:
    """The first row of ``query``, or None when the database lacks its tables (not migrated yet)."""
    import psycopg

    with psycopg.connect(libpq(url)) as conn:
        try:
            return conn.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            return None


def reset_schema(url: str) -> None:
    """Empty the database: its public schema dropped and created again."""
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE the whole database, as autovacuum would after a large load."""
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def fill_cursor(url: str, *, work_mem: str):
    """A cursor for a fill in one transaction (commit it on ``cursor.connection``): client-side
    binding, since parameters also go into CREATE TABLE AS, which the server can't bind;
    ``work_mem`` for this session only, so that the big sorts stay in memory; commits that do
    not wait for the disk; and ``pg_temp.u``."""
    import psycopg

    with psycopg.connect(libpq(url), cursor_factory=psycopg.ClientCursor) as conn, conn.cursor() as cur:
        cur.execute(f"SET work_mem = '{work_mem}'")
        cur.execute("SET synchronous_commit = off")
        cur.execute(FUNCTIONS)
        yield cur


def run_timed(cur, statement: str, params: dict) -> int:
    """Run one statement of a fill and print its first words, its row count and its time;
    returns the row count (-1 when it has none)."""
    title = " ".join(statement.split()[:3])
    started = time.perf_counter()
    cur.execute(statement, params)
    print(f"  {title[:60]:<60} {cur.rowcount if cur.rowcount >= 0 else '':>10} {time.perf_counter() - started:6.1f} s",
          flush=True)
    return cur.rowcount


def advance_sequences(cur, tables) -> None:
    """Move each table's ``id`` sequence past its rows: explicit ids leave the sequences behind."""
    for table in tables:
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def row_counts(cur, tables) -> dict[str, int]:
    """The number of rows of each table."""
    return {table: cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def app_environment(url: str) -> dict[str, str]:
    """The environment of the app on the bench database (``create_app`` reads it; a gunicorn
    gets it as its environment)."""
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "DEMO": "0"}


def make_app(url: str):
    """The app on the bench database, in this process."""
    os.environ.update(app_environment(url))
    from app import create_app
    from config import Config

    return create_app(Config())
