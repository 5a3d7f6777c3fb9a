"""Stocktake counts under concurrency (issue 19): two technicians counting two locations at once
lose no scan, and one device counted by both at the same instant is counted once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from inventory.services import stocktake_count as count_module
from inventory.services.reference import create_location
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import open_stocktake
from inventory.services.transitions import move
from inventory.stocktake.models import StocktakeCount
from tests.helpers import make_device, make_workshop

pytestmark = pytest.mark.concurrency

T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)


def test_two_technicians_counting_two_locations_at_once_lose_no_scan(app, session, race, users):
    shop = make_workshop(session)
    per_bin = 12
    tags = {}
    for key in ("bin_a", "bin_b"):
        tags[key] = []
        for _ in range(per_bin):
            device = make_device(session, shop["collection"].id)
            move(session, device.asset_tag, shop[key].code)
            tags[key].append(device.asset_tag)
    stocktake = open_stocktake(session, site="LAM", now=T0)
    who = [users["technicien"], users["admin"]]
    bins = [shop["bin_a"].code, shop["bin_b"].code]
    session.commit()
    contest = race(2)

    def counting(index: int) -> list[str]:
        count(db.session, bins[index], user_id=who[index], now=T0)
        contest.meet()                       # then both count at the same time
        key = ("bin_a", "bin_b")[index]
        return [count(db.session, tag, user_id=who[index], now=T0 + timedelta(seconds=3 * (n + 1))).outcome
                for n, tag in enumerate(tags[key])]

    outcomes = contest.run(counting)
    assert [o.error for o in outcomes] == [None, None]
    assert [o.value for o in outcomes] == [["found"] * per_bin] * 2
    session.expire_all()
    rows = session.execute(select(StocktakeCount.location_id, func.count()).where(
        StocktakeCount.stocktake_id == stocktake.id).group_by(StocktakeCount.location_id)).all()
    assert dict(rows) == {shop["bin_a"].id: per_bin, shop["bin_b"].id: per_bin}


def test_one_device_counted_by_two_at_the_same_instant_is_counted_once(app, session, race, users, monkeypatch):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    third = create_location(session, site_id=shop["site"].id, label="C03")
    stocktake = open_stocktake(session, site="LAM", now=T0)
    who = [users["technicien"], users["admin"]]
    bins = [shop["bin_b"].code, third.code]
    for index in (0, 1):
        count(session, bins[index], user_id=who[index], now=T0)
    session.commit()
    contest = race(2)
    real_first = count_module._first_count
    calls = {}

    def first_then_wait(session_, stocktake_id, device_id):
        found = real_first(session_, stocktake_id, device_id)
        key = threading.get_ident()          # db.session is one proxy for every thread
        calls[key] = calls.get(key, 0) + 1
        if calls[key] == 1:                  # both have read « not counted yet » (PostgreSQL)
            contest.meet_at_guard()
        return found

    monkeypatch.setattr(count_module, "_first_count", first_then_wait)

    def counting(index: int) -> str:
        contest.meet_at_start()
        return count(db.session, device.asset_tag, user_id=who[index], now=T0 + timedelta(seconds=5)).outcome

    outcomes = contest.run(counting)
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.value for o in outcomes) == ["moved_in", "repeat"]
    session.expire_all()
    rows = session.execute(select(StocktakeCount.outcome).where(StocktakeCount.stocktake_id == stocktake.id)
                           .order_by(StocktakeCount.outcome)).scalars().all()
    assert rows == ["moved_in", "repeat"]


def test_two_confirmations_at_once_apply_the_stocktake_once(app, session, race, users, monkeypatch):
    from inventory.models import DeviceEvent
    from inventory.services import stocktake_apply as apply_module
    from inventory.services.stocktake_apply import apply_stocktake
    from inventory.services.stocktakes import close_location

    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    stocktake = open_stocktake(session, site="LAM", now=T0)
    count(session, shop["bin_b"].code, user_id=users["technicien"], now=T0)
    count(session, device.asset_tag, user_id=users["technicien"], now=T0 + timedelta(seconds=3))
    for code in (shop["bin_a"].code, shop["bin_b"].code):
        close_location(session, stocktake.id, code, now=T0 + timedelta(seconds=5))
    events_before = session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one()
    session.commit()
    contest = race(2)
    real_by_id = apply_module.stocktake_by_id

    def by_id_after_meeting(session_, stocktake_id, **kwargs):
        contest.meet_at_guard()              # both ask for the stocktake's row lock at once (PostgreSQL)
        return real_by_id(session_, stocktake_id, **kwargs)

    monkeypatch.setattr(apply_module, "stocktake_by_id", by_id_after_meeting)

    def confirming(index: int):
        contest.meet_at_start()
        return apply_stocktake(db.session, stocktake.id, user_id=users["admin"], now=T0 + timedelta(minutes=1))

    outcomes = contest.run(confirming)
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.value.already_applied for o in outcomes) == [False, True]
    assert sorted(o.value.moves for o in outcomes) == [0, 1]
    session.expire_all()
    assert session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one() == events_before + 1
