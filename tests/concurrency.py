"""A race run for real: several threads, each with its own app context and database session,
held at a barrier at the point where the race matters, then every outcome reported.

Each thread's work must meet the others once, where all of them must be at the same instant.
On PostgreSQL, units of work overlap and guards rest on row locks and constraints: the threads
meet after their read for an optimistic guard (so that all have read the same state), or just
before the locked statement for a row lock (meeting after taking a lock would only wait for the
timeout): ``meet_at_guard()``. On SQLite, writing units of work never overlap (each holds the
write lock from its start, ``core.db.begin_writing``): the threads meet just before the use
case and race for that lock, ``meet_at_start()``; a meeting inside the unit of work could never
happen. A test calls both, and the one that applies to the engine meets.
``run`` fails if a thread did not meet the others, or did not finish (a deadlock), so a test
cannot pass on a race that never happened.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from app.extensions import db


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Race:
    def __init__(self, app, count: int, *, timeout: float = 30) -> None:
        self.app, self.count, self.timeout = app, count, timeout
        self.barrier = threading.Barrier(count, timeout=timeout)
        self._met: list[int] = []
        self._lock = threading.Lock()

    @property
    def serialised(self) -> bool:
        """True on SQLite, whose writing units of work run one after the other."""
        return self.app.config["DB_KIND"] == "sqlite"

    def meet_at_start(self) -> None:
        """Meet before the use case, where writers that never overlap race (SQLite)."""
        if self.serialised:
            self.meet()

    def meet_at_guard(self) -> None:
        """Meet at the guard, inside overlapping units of work (PostgreSQL)."""
        if not self.serialised:
            self.meet()

    def meet(self) -> None:
        """Wait until every thread is here."""
        with self._lock:
            self._met.append(threading.get_ident())
        self.barrier.wait()

    def run(self, work) -> list[Outcome]:
        """Run ``work(index)`` in each thread; returns the outcomes in index order."""
        outcomes = [Outcome() for _ in range(self.count)]

        def runner(index: int) -> None:
            with self.app.app_context():
                try:
                    outcomes[index].value = work(index)
                except BaseException as exc:  # every outcome is asserted by the caller
                    outcomes[index].error = exc
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.timeout * 2)
        stuck = sum(thread.is_alive() for thread in threads)
        assert stuck == 0, f"{stuck} fil(s) toujours bloqué(s) : verrou mortel ?"
        assert len(set(self._met)) == self.count, (
            f"{len(set(self._met))} fil(s) sur {self.count} sont passés par la barrière : la course n'a pas eu lieu. "
            f"{[o.error for o in outcomes]}")
        return outcomes


def values(outcomes: list[Outcome]) -> list:
    """The values, after checking that no thread failed."""
    errors = [o.error for o in outcomes if not o.ok]
    assert errors == [], errors
    return [o.value for o in outcomes]


def one_winner(outcomes: list[Outcome], error_type: type[BaseException], message: str):
    """Exactly one thread succeeded and every other failed with ``error_type`` and ``message``
    (a deadlock, a timeout or any other error fails the test). Returns the winner's value."""
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, outcomes
    for outcome in outcomes:
        if not outcome.ok:
            assert type(outcome.error) is error_type, repr(outcome.error)
            assert outcome.error.message == message
    return winners[0]


def meet_after_first_call(monkeypatch, module, name: str, race: Race) -> None:
    """Make each thread meet the others at the guard (``race.meet_at_guard``) just after its
    first call of ``module.name``, the read an optimistic guard rests on: all of them have then
    read the same state. A later call in the same thread (the retry after a lost race) does not
    meet again: the others have gone on."""
    real = getattr(module, name)
    local = threading.local()

    def read_then_meet(*args, **kwargs):
        found = real(*args, **kwargs)
        if not getattr(local, "met", False):
            local.met = True
            race.meet_at_guard()
        return found

    monkeypatch.setattr(module, name, read_then_meet)
