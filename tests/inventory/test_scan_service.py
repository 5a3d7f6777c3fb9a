"""The scan use case: resolution, station modes, put-away, double scans."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from inventory.queries import history
from inventory.services.scan import scan
from tests.helpers import advance, make_device, make_workshop, sanitise


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_resolves_device_by_tag_serial_and_imei(session, shop, users):
    laptop = make_device(session, shop["collection"].id, serial_number="5CD123ABC")
    phone = make_device(session, shop["collection"].id, category="smartphone", imei="490154203237518")
    now = utcnow()
    user = users["technicien"]
    assert scan(session, "rk-000001", user_id=user, now=now).obj.id == laptop.id
    assert scan(session, " 5cd123abc\n", user_id=user, now=now + timedelta(seconds=3)).obj.id == laptop.id
    outcome = scan(session, "490154203237518", user_id=user, now=now + timedelta(seconds=6))
    assert (outcome.kind, outcome.obj.id, outcome.applied) == ("device", phone.id, None)
    assert outcome.allowed == ["wiping"]


def test_resolves_location_and_collection(session, shop, users):
    loc = scan(session, "loc-lam-a01", user_id=users["technicien"])
    assert (loc.kind, loc.obj.code) == ("location", "LOC-LAM-A01")
    col = scan(session, shop["collection"].reference.lower(), user_id=users["technicien"])
    assert (col.kind, col.obj.reference) == ("collection", shop["collection"].reference)
    assert col.message.startswith(f"Collecte {shop['collection'].reference}")


def test_unknown_and_empty_codes(session, shop, users):
    with pytest.raises(NotFound) as missing:
        scan(session, "XYZ-42", user_id=users["technicien"])
    assert missing.value.message.startswith("Code « XYZ-42 » inconnu")
    with pytest.raises(NotFound):
        scan(session, "LOC-NOWHERE", user_id=users["technicien"])
    with pytest.raises(ValidationFailed) as empty:
        scan(session, " \r\n", user_id=users["technicien"])
    assert empty.value.errors["code"] == ["Code vide : scannez une étiquette ou tapez un code."]
    with pytest.raises(ValidationFailed):
        scan(session, "RK-000001", user_id=users["technicien"], station="kitchen")


def test_double_scan_within_two_seconds_is_ignored(session, shop, users):
    device = make_device(session, shop["collection"].id)
    now = utcnow()
    first = scan(session, device.asset_tag, user_id=users["technicien"], station="wiping", now=now)
    assert first.applied == {"from": "received", "to": "wiping"}
    again = scan(session, device.asset_tag, user_id=users["technicien"], station="wiping", now=now + timedelta(seconds=1))
    assert again.repeat and again.applied is None and again.level == "info"
    assert again.message == f"Lecture en double ignorée : {device.asset_tag} vient d'être scanné."
    assert len(history(session, device.id)) == 2
    later = scan(session, device.asset_tag, user_id=users["technicien"], station="wiping", now=now + timedelta(seconds=3))
    assert not later.repeat
    assert later.message == f"{device.asset_tag} est déjà à l'état « Effacement »."
    # The same code at another station, within the window, is a deliberate scan.
    other_station = scan(session, device.asset_tag, user_id=users["technicien"], station="stock",
                         now=now + timedelta(seconds=3.5))
    assert not other_station.repeat and other_station.level == "error"
    # Another technician scanning the same code is not a repeat.
    other = scan(session, device.asset_tag, user_id=users["admin"], now=now + timedelta(seconds=1))
    assert not other.repeat


def test_station_applies_its_transition_or_says_why_not(session, shop, users):
    device = make_device(session, shop["collection"].id)
    tech = users["technicien"]
    now = utcnow()
    refused = scan(session, device.asset_tag, user_id=tech, station="grading", now=now)
    assert refused.level == "error" and refused.applied is None
    assert "il doit d'abord passer par « Effacement »" in refused.message
    wiped = scan(session, device.asset_tag, user_id=tech, station="wiping", now=now + timedelta(seconds=5))
    assert wiped.applied == {"from": "received", "to": "wiping"}
    assert wiped.message == f"{device.asset_tag} : Réceptionné → Effacement."
    assert history(session, device.id)[-1].station == "wiping"
    sanitise(session, device)
    graded = scan(session, device.asset_tag, user_id=tech, station="grading", now=now + timedelta(seconds=10))
    assert graded.applied == {"from": "wiping", "to": "grading"}
    stock = scan(session, device.asset_tag, user_id=tech, station="stock", now=now + timedelta(seconds=15))
    assert stock.level == "error" and "note (A, B ou C)" in stock.message


def test_putaway_moves_each_scanned_device(session, shop, users):
    tech = users["technicien"]
    first = make_device(session, shop["collection"].id)
    second = make_device(session, shop["collection"].id)
    now = utcnow()
    start = scan(session, shop["bin_b"].code, user_id=tech, now=now)
    assert start.putaway.code == "LOC-LAM-B02"
    for offset, device in enumerate([first, second], start=1):
        outcome = scan(session, device.asset_tag, user_id=tech, now=now + timedelta(seconds=offset * 3))
        assert outcome.moved_to.code == "LOC-LAM-B02"
        assert outcome.message == f"{device.asset_tag} rangé dans LOC-LAM-B02."
        assert history(session, device.id)[-1].kind == "move"
    same = scan(session, first.asset_tag, user_id=tech, now=now + timedelta(seconds=20))
    assert same.level == "info" and same.moved_to is None
    stop = scan(session, shop["bin_b"].code, user_id=tech, now=now + timedelta(seconds=25))
    assert stop.message == "Rangement dans LOC-LAM-B02 terminé." and stop.putaway is None


def test_putaway_with_station_moves_in_the_same_event(session, shop, users):
    tech = users["technicien"]
    device = make_device(session, shop["collection"].id)
    now = utcnow()
    scan(session, shop["bin_a"].code, user_id=tech, now=now)
    outcome = scan(session, device.asset_tag, user_id=tech, station="wiping", now=now + timedelta(seconds=3))
    assert outcome.applied == {"from": "received", "to": "wiping"} and outcome.moved_to.code == "LOC-LAM-A01"
    last = history(session, device.id)[-1]
    assert (last.kind, last.to_state, last.location) == ("transition", "wiping", "LOC-LAM-A01")


def test_putaway_expires_when_idle(session, shop, users):
    tech = users["technicien"]
    device = make_device(session, shop["collection"].id)
    now = utcnow()
    scan(session, shop["bin_a"].code, user_id=tech, now=now)
    outcome = scan(session, device.asset_tag, user_id=tech, now=now + timedelta(minutes=16))
    assert outcome.moved_to is None and outcome.putaway is None


def test_devices_outside_the_workshop_are_not_put_away(session, shop, users):
    tech = users["technicien"]
    device = make_device(session, shop["collection"].id)
    advance(session, device, "recycled")
    now = utcnow()
    scan(session, shop["bin_a"].code, user_id=tech, now=now)
    outcome = scan(session, device.asset_tag, user_id=tech, now=now + timedelta(seconds=3))
    assert outcome.level == "error" and outcome.moved_to is None
    assert "il ne se range pas" in outcome.message
