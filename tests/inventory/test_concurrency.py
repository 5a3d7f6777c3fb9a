"""Concurrency guarantees, on PostgreSQL (SQLite serialises writers anyway)."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from core.errors import Conflict
from inventory.models import Collection, Device, DeviceEvent
from inventory.services import transitions as transition_module
from inventory.services.collections import create_collection
from inventory.services.transitions import transition
from tests.helpers import make_device, make_workshop


@pytest.fixture
def pg_only(app):
    if app.config["DB_KIND"] != "postgresql":
        pytest.skip("concurrency guarantees are tested on PostgreSQL")


def run_in_threads(app, count: int, work):
    """Run ``work(index)`` in ``count`` threads, each with its own app context and session."""
    results: list = [None] * count

    def runner(index: int) -> None:
        with app.app_context():
            try:
                results[index] = ("ok", work(index))
            except Exception as exc:  # collected and asserted by the caller
                results[index] = ("error", exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_simultaneous_transitions_only_one_applies(app, session, pg_only, monkeypatch):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    tag, device_id = device.asset_tag, device.id
    before = session.execute(select(func.count(DeviceEvent.id)).where(DeviceEvent.device_id == device_id)).scalar_one()
    session.commit()

    # Both threads read the device, then meet here before either writes: a genuine race.
    barrier = threading.Barrier(2, timeout=10)
    real_facts = transition_module.facts_of

    def facts_then_wait(dev):
        facts = real_facts(dev)
        barrier.wait()
        return facts

    monkeypatch.setattr(transition_module, "facts_of", facts_then_wait)
    targets = ["wiping", "wiping"]
    results = run_in_threads(app, 2, lambda i: transition(db.session, tag, targets[i]).state)

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict)
    assert error.message == "Cet appareil vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez."
    session.expire_all()
    after = session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id)).scalars().all()
    assert len(after) == before + 1
    assert after[-1].to_state == "wiping" and session.get(Device, device_id).state == "wiping"


def test_concurrent_collections_get_distinct_gapless_numbers(app, session, pg_only):
    shop = make_workshop(session)
    donor, site = shop["donor"].id, shop["site"].id
    session.commit()
    results = run_in_threads(app, 8, lambda i: create_collection(
        db.session, donor=donor, collected_on=date(2026, 5, 1), site=site).reference)
    assert all(kind == "ok" for kind, _ in results), results
    references = sorted(value for _, value in results)
    # The workshop fixture already opened COL-2026-0001.
    assert references == [f"COL-2026-{n:04d}" for n in range(2, 10)]
    assert session.execute(select(func.count(Collection.id))).scalar_one() == 9


def test_concurrent_registrations_get_distinct_asset_tags(app, session, pg_only):
    shop = make_workshop(session)
    collection = shop["collection"].id
    session.commit()
    results = run_in_threads(app, 6, lambda i: make_device(db.session, collection, serial_number=f"PAR{i}").asset_tag)
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(v for _, v in results) == [f"RK-{n:06d}" for n in range(1, 7)]
