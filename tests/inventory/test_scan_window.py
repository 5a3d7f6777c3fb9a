"""The edges of the scan station's two time windows, with a controlled clock: a repeat of the same
code at the same station is ignored for 2 s (scanners double-fire), measured from the last scan
that counted; a put-away ends after 15 min without a scan."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from inventory.services import scan as scan_module
from inventory.services.scan import ScanSettings, scan
from tests.helpers import bearer, make_device, make_workshop

T0 = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)
MICRO = timedelta(microseconds=1)
WINDOW = timedelta(seconds=2)


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_the_settings_default_to_two_seconds_and_fifteen_minutes(app):
    assert ScanSettings().repeat_window == WINDOW
    assert ScanSettings().putaway_idle == timedelta(minutes=15)
    assert app.config["SCAN_REPEAT_WINDOW_SECONDS"] == 2.0 and app.config["SCAN_PUTAWAY_IDLE_MINUTES"] == 15


@pytest.mark.parametrize("elapsed,repeat", [
    (timedelta(0), True),             # the same instant: a double fire
    (MICRO, True),
    (WINDOW - MICRO, True),           # the last instant of the window
    (WINDOW, False),                  # the window is over: a deliberate scan
    (WINDOW + MICRO, False),
    (-MICRO, False),                  # a clock set back is not a repeat
])
def test_the_repeat_window_edge(session, shop, users, elapsed, repeat):
    device = make_device(session, shop["collection"].id)
    first = scan(session, device.asset_tag, user_id=users["technicien"], now=T0)
    assert not first.repeat
    again = scan(session, device.asset_tag, user_id=users["technicien"], now=T0 + elapsed)
    assert again.repeat is repeat
    assert (again.level, again.message.startswith("Lecture en double ignorée")) == (
        ("info", True) if repeat else ("ok", False))


def test_the_window_runs_from_the_last_scan_that_counted(session, shop, users):
    """An ignored repeat does not restart the window."""
    tag = make_device(session, shop["collection"].id).asset_tag
    user = users["technicien"]
    assert not scan(session, tag, user_id=user, now=T0).repeat
    assert scan(session, tag, user_id=user, now=T0 + timedelta(seconds=1.5)).repeat
    assert not scan(session, tag, user_id=user, now=T0 + WINDOW).repeat        # 2 s after the first
    assert scan(session, tag, user_id=user, now=T0 + WINDOW + WINDOW - MICRO).repeat


def test_another_window_from_the_settings(session, shop, users):
    tag = make_device(session, shop["collection"].id).asset_tag
    three = ScanSettings(repeat_window=timedelta(seconds=3))
    scan(session, tag, user_id=users["technicien"], now=T0, settings=three)
    assert scan(session, tag, user_id=users["technicien"], now=T0 + timedelta(seconds=2.5), settings=three).repeat
    assert not scan(session, tag, user_id=users["technicien"], now=T0 + timedelta(seconds=5.5), settings=three).repeat


@pytest.mark.parametrize("idle,still_open", [
    (timedelta(minutes=15) - MICRO, True),
    (timedelta(minutes=15), True),            # exactly 15 min: still open
    (timedelta(minutes=15) + MICRO, False),   # over 15 min: the put-away has ended
])
def test_the_putaway_idle_edge(session, shop, users, idle, still_open):
    device = make_device(session, shop["collection"].id)
    user = users["technicien"]
    scan(session, shop["bin_a"].code, user_id=user, now=T0)
    outcome = scan(session, device.asset_tag, user_id=user, now=T0 + idle)
    assert (outcome.moved_to is not None) is still_open
    assert (outcome.putaway.code if outcome.putaway else None) == (shop["bin_a"].code if still_open else None)
    assert device.location_id == (shop["bin_a"].id if still_open else None)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("elapsed,repeat", [(WINDOW - timedelta(milliseconds=1), True), (WINDOW, False)])
def test_the_edge_over_http_with_the_configured_window(client, shop, session, monkeypatch, elapsed, repeat):
    clock = Clock(T0)
    monkeypatch.setattr(scan_module, "utcnow", clock)
    tech = bearer(client, "technicien")
    tag = make_device(session, shop["collection"].id).asset_tag
    assert client.post("/api/v1/scan", json={"code": tag}, headers=tech).json["repeat"] is False
    clock.now = T0 + elapsed
    answer = client.post("/api/v1/scan", json={"code": tag}, headers=tech)
    assert answer.status_code == 200 and answer.json["repeat"] is repeat
