"""Concurrency guarantees of the workshop: the optimistic lock on a device, and the gapless
counters behind collection references and asset tags, raced for real (tests/concurrency.py)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from core.counters import Counter
from core.errors import Conflict, TransitionRefused
from inventory.models import Collection, Device, DeviceEvent
from inventory.services import collections as collection_module
from inventory.services import devices as device_module
from inventory.services import transitions as transition_module
from inventory.services.collections import create_collection
from core.unit_of_work import CONCURRENT_CHANGE
from inventory.services.transitions import transition
from tests.concurrency import one_winner, values
from tests.helpers import make_device, make_workshop

pytestmark = pytest.mark.concurrency
SAME_STATE = "L'appareil est déjà à l'état « Effacement »."


def meet_before(monkeypatch, module, name: str, contest) -> None:
    """Make ``module.name`` wait for every thread before it runs: all of them then reach the
    locked counter row at the same instant (PostgreSQL; on SQLite the work meets at its start)."""
    real = getattr(module, name)

    def wrapped(*args, **kwargs):
        contest.meet_at_guard()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


def test_two_simultaneous_transitions_only_one_applies(app, session, race, monkeypatch):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    tag, device_id = device.asset_tag, device.id
    before = session.execute(select(func.count(DeviceEvent.id)).where(DeviceEvent.device_id == device_id)).scalar_one()
    session.commit()

    # Both threads read the device, then meet before either writes: a genuine race.
    contest = race(2)
    real_facts = transition_module.facts_of

    def facts_then_wait(dev):
        facts = real_facts(dev)
        contest.meet_at_guard()
        return facts

    def attempt(index: int) -> str:
        contest.meet_at_start()
        return transition(db.session, tag, "wiping").state

    monkeypatch.setattr(transition_module, "facts_of", facts_then_wait)
    outcomes = contest.run(attempt)

    if contest.serialised:     # the second reads the first one's change, and the lifecycle refuses it
        assert one_winner(outcomes, TransitionRefused, SAME_STATE) == "wiping"
    else:                      # both read "received": the device's version number stops the second
        assert one_winner(outcomes, Conflict, CONCURRENT_CHANGE) == "wiping"
    session.expire_all()
    after = session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id)).scalars().all()
    assert len(after) == before + 1
    assert after[-1].to_state == "wiping" and session.get(Device, device_id).state == "wiping"


def test_concurrent_collections_get_distinct_gapless_numbers(app, session, race, monkeypatch):
    shop = make_workshop(session)
    donor, site = shop["donor"].id, shop["site"].id
    session.commit()
    contest = race(8)
    meet_before(monkeypatch, collection_module, "next_value", contest)
    def attempt(index: int) -> str:
        contest.meet_at_start()
        return create_collection(db.session, donor=donor, collected_on=date(2026, 5, 1), site=site).reference

    outcomes = contest.run(attempt)
    # The workshop fixture already opened COL-2026-0001.
    assert sorted(values(outcomes)) == [f"COL-2026-{n:04d}" for n in range(2, 10)]
    session.expire_all()
    assert session.execute(select(func.count(Collection.id))).scalar_one() == 9
    assert session.get(Counter, "collection:2026").value == 9


def test_concurrent_registrations_get_distinct_asset_tags(app, session, race, monkeypatch):
    shop = make_workshop(session)
    collection = shop["collection"].id
    session.commit()
    contest = race(6)
    meet_before(monkeypatch, device_module, "next_value", contest)
    def attempt(index: int) -> str:
        contest.meet_at_start()
        return make_device(db.session, collection, serial_number=f"PAR{index}").asset_tag

    outcomes = contest.run(attempt)
    assert sorted(values(outcomes)) == [f"RK-{n:06d}" for n in range(1, 7)]
    session.expire_all()
    assert session.execute(select(func.count(Device.id))).scalar_one() == 6
