"""The SQLite write lock a unit of work takes at its start (``core.db.begin_writing``), and how a
writer waits for it (issue 18).

SQLite's busy handler sleeps 1, 2, 5, 10… ms between its tries, while a scan holds the lock for
about a millisecond: with two gunicorn workers, a writer idled longer than it had to wait. A
writer now asks for the lock itself at short intervals for its first 50 ms, then lets SQLite
wait for the rest of the timeout, after which the unit of work answers « occupée » (409).
PostgreSQL takes no such lock (row locks and constraints guard its writes)."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from core import db as core_db
from core.errors import Conflict
from core.unit_of_work import BUSY, unit_of_work


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    core_db.tune_engine(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE seat (n INTEGER)"))
    yield engine
    engine.dispose()


class Holder:
    """A writer in another thread that takes the lock and keeps it until released."""

    def __init__(self, engine) -> None:
        self.engine, self.taken, self.release = engine, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with Session(self.engine) as session, unit_of_work(session):
            session.execute(text("INSERT INTO seat VALUES (1)"))
            self.taken.set()
            self.release.wait(10)

    def __enter__(self) -> "Holder":
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.thread.join(10)


class RecordedPauses:
    """``core.db``'s clock, recording the pauses of the quick tries (and ending the holder's
    lock after a few of them, so that the quick tries succeed)."""

    def __init__(self, holder: Holder | None = None, release_after: int = 3) -> None:
        self.pauses: list[float] = []
        self.holder, self.release_after = holder, release_after

    monotonic = staticmethod(time.monotonic)

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if self.holder is not None and len(self.pauses) == self.release_after:
            self.holder.release.set()
            self.holder.thread.join(10)
        time.sleep(seconds)


def test_a_writer_takes_the_lock_at_short_intervals_once_it_is_free(engine, monkeypatch):
    with Holder(engine) as holder:
        clock = RecordedPauses(holder, release_after=3)
        monkeypatch.setattr(core_db, "time", clock)
        with Session(engine) as session, unit_of_work(session):
            session.execute(text("INSERT INTO seat VALUES (2)"))
            # It holds the lock now: the holder's row is committed, and visible.
            assert session.execute(text("SELECT count(*) FROM seat")).scalar() == 2
    assert clock.pauses[:3] == list(core_db.QUICK_PAUSES[:3])
    assert max(clock.pauses) <= 0.001
    with engine.connect() as conn:                 # SQLite's own wait is back for later statements
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == core_db.SQLITE_BUSY_TIMEOUT_MS


def test_a_free_lock_is_taken_at_once(engine, monkeypatch):
    clock = RecordedPauses()
    monkeypatch.setattr(core_db, "time", clock)
    with Session(engine) as session, unit_of_work(session):
        session.execute(text("INSERT INTO seat VALUES (1)"))
    assert clock.pauses == []


def test_a_lock_kept_past_the_timeout_is_answered_busy(engine, monkeypatch):
    """The quick tries, then SQLite's wait (shortened here), then the French refusal."""
    monkeypatch.setattr(core_db, "QUICK_TRIES_SECONDS", 0.02)
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    with Holder(engine):
        with pytest.raises(Conflict) as refused, Session(engine) as session, unit_of_work(session):
            session.execute(text("INSERT INTO seat VALUES (2)"))
    assert refused.value.message == BUSY
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM seat")).scalar() == 1


def test_postgresql_takes_no_lock(database, session):
    """Nothing to take on PostgreSQL; on SQLite, BEGIN IMMEDIATE once."""
    sent: list[str] = []
    bind = session.get_bind()

    def record(conn, cursor, statement, *rest) -> None:
        sent.append(statement)

    session.commit()
    event.listen(bind, "before_cursor_execute", record)
    try:
        core_db.begin_writing(session)
    finally:
        event.remove(bind, "before_cursor_execute", record)
        session.rollback()
    assert sent == ([] if database == "postgresql" else ["BEGIN IMMEDIATE"])
