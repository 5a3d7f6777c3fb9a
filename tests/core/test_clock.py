"""core.clock: the current time, and ``clock_set_to``, which lets the demo loader write a past
history through the services (every service, model default and ``local_today`` reads it)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core.clock import MARTINIQUE, clock_set_to, local_today, utcnow


def test_the_clock_reads_the_real_time_in_utc():
    before = datetime.now(timezone.utc)
    now = utcnow()
    assert now.tzinfo is timezone.utc and before <= now <= datetime.now(timezone.utc)


def test_within_clock_set_to_the_clock_reads_that_moment_and_after_it_the_real_time_again():
    moment = datetime(2026, 3, 2, 23, 30, tzinfo=MARTINIQUE)     # already 3 March in UTC
    with clock_set_to(moment) as given:
        assert given == moment
        assert utcnow() == moment and utcnow().tzinfo == timezone.utc
        assert local_today() == date(2026, 3, 2)                  # Martinique's day, not UTC's
        with clock_set_to(moment + timedelta(days=1)):
            assert local_today() == date(2026, 3, 3)
        assert utcnow() == moment                                 # nested blocks give it back
    assert abs(utcnow() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_an_error_inside_the_block_gives_the_real_time_back():
    with pytest.raises(RuntimeError):
        with clock_set_to(datetime(2026, 1, 5, 9, tzinfo=timezone.utc)):
            raise RuntimeError("boom")
    assert utcnow().year >= 2026 and abs(utcnow() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        with clock_set_to(datetime(2026, 1, 5, 9)):
            pass


def test_rows_written_within_the_block_carry_its_moment(session):
    from inventory.services.reference import create_organisation

    moment = datetime(2026, 2, 10, 13, 45, tzinfo=timezone.utc)
    with clock_set_to(moment):
        past = create_organisation(session, kind="donor", name="Donateur d'hier", commune_insee="97213")
    today = create_organisation(session, kind="donor", name="Donateur du jour", commune_insee="97213")
    session.expire_all()
    assert past.created_at == moment
    assert abs(today.created_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
