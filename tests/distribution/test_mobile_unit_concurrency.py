"""Mobile units under concurrency (issue 20, step 5): two Admins naming two active units alike at the
same instant — two creations, or a creation and a renaming — leave one unit with that name, on
both engines (the name has no unique constraint: active and retired units may share it; the
writers of names queue behind the counter row instead)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from core.errors import ValidationFailed
from distribution.services import mobile_units as units_module
from distribution.services.mobile_units import create_unit, rename_unit
from distribution.tour.models import MobileUnit
from tests.concurrency import one_winner
from tests.helpers import actor

pytestmark = pytest.mark.concurrency

TAKEN = "Nom de l'unité : « Camion Nord » est déjà le nom de l'unité active {code} ; choisissez-en un autre."


def _meet_before(monkeypatch, name: str, contest) -> None:
    """Each thread meets the others just before the statement that locks the counter row."""
    real = getattr(units_module, name)

    def meet_then_lock(*args, **kwargs):
        contest.meet_at_guard()
        return real(*args, **kwargs)

    monkeypatch.setattr(units_module, name, meet_then_lock)


def _slow_check(monkeypatch) -> None:
    """The name found free, each thread lingers before writing: without the lock, the other
    thread's check would then run before this write and find the name free too."""
    real = units_module._check_name_free

    def check_then_linger(*args, **kwargs):
        real(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(units_module, "_check_name_free", check_then_linger)


def _named(session) -> list[str]:
    session.expire_all()
    return session.execute(select(MobileUnit.code).where(func.lower(MobileUnit.name) == "camion nord",
                                                         MobileUnit.active.is_(True))).scalars().all()


def test_two_units_created_with_one_name_at_once_make_one(app, session, race, monkeypatch):
    admin = actor(app, "admin")
    create_unit(session, admin, name="Portable Sud")          # M1: the counter row exists
    session.commit()
    contest = race(2)
    _meet_before(monkeypatch, "next_value", contest)
    _slow_check(monkeypatch)

    def creating(index: int) -> str:
        contest.meet_at_start()
        return create_unit(db.session, admin, name="Camion Nord").code

    winner = one_winner(contest.run(creating), ValidationFailed, TAKEN.format(code="M2"))
    assert winner == "M2" and _named(session) == ["M2"]
    # The loser's number was given back: the next unit is M3.
    monkeypatch.undo()
    assert create_unit(session, admin, name="Camion Sud").code == "M3"


def test_a_creation_and_a_renaming_to_one_name_at_once_leave_one(app, session, race, monkeypatch):
    admin = actor(app, "admin")
    other = create_unit(session, admin, name="Portable Sud")
    session.commit()
    contest = race(2)
    _meet_before(monkeypatch, "next_value", contest)
    _meet_before(monkeypatch, "_lock_names", contest)
    _slow_check(monkeypatch)

    def naming(index: int) -> str:
        contest.meet_at_start()
        if index == 0:
            return create_unit(db.session, admin, name="Camion Nord").code
        return rename_unit(db.session, admin, other.id, name="Camion Nord").code

    outcomes = contest.run(naming)
    winner = [o.value for o in outcomes if o.ok]
    assert len(winner) == 1, outcomes
    loser = next(o.error for o in outcomes if not o.ok)
    assert type(loser) is ValidationFailed and loser.message == TAKEN.format(code=winner[0])
    assert _named(session) == winner
