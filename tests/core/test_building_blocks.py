"""Counters, UTC timestamps, and French formatting."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.templating import local_datetime, money, number
from core.clock import local_today, to_local
from core.counters import next_value
from core.settings import get_setting, set_setting
from inventory.models import Collection
from tests.helpers import make_workshop


def test_counters_count_from_one_per_name_and_give_back_on_rollback(session):
    assert [next_value(session, "a") for _ in range(3)] == [1, 2, 3]
    assert next_value(session, "b") == 1
    session.commit()
    assert next_value(session, "a") == 4
    session.rollback()
    assert next_value(session, "a") == 4
    session.commit()


def test_timestamps_are_stored_utc_and_read_back_aware(session):
    shop = make_workshop(session)
    local = datetime(2026, 6, 1, 8, 30, tzinfo=to_local(datetime.now(timezone.utc)).tzinfo)
    collection = shop["collection"]
    collection.created_at = local
    session.commit()
    session.expire_all()
    stored = session.get(Collection, collection.id).created_at
    assert stored.tzinfo == timezone.utc and stored == local
    assert stored.hour == 12  # 08:30 in Martinique is 12:30 UTC
    collection = session.get(Collection, collection.id)
    collection.created_at = datetime(2026, 6, 1, 8, 30)  # naive: refused
    with pytest.raises(Exception) as naive:
        session.commit()
    assert "timezone-aware" in str(naive.value)
    session.rollback()


def test_display_in_martinique_time():
    moment = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)
    assert local_datetime(moment) == "14/01/2026 23:00"
    assert to_local(moment).utcoffset().total_seconds() == -4 * 3600
    assert isinstance(local_today(), date)


def test_french_numbers_and_money():
    assert money(Decimal("1234.5")) == "1\u00a0234,50\u00a0€"
    assert money(Decimal("60")) == "60,00\u00a0€"
    assert number(Decimal("1.600")) == "1,6"
    assert number(Decimal("12345.678"), 1) == "12\u00a0345,7"


def test_settings(session):
    assert get_setting(session, "x", "default") == "default"
    set_setting(session, "x", "1")
    set_setting(session, "x", "2")
    session.commit()
    assert get_setting(session, "x") == "2"
