"""Every answer of the scan station, compared whole: what was scanned, the message, how the
station signals it (level), what was applied or moved, the put-away, what may come next, the
latest events, and what the scan context remembers for the next scan."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory.models import ScanContext
from inventory.services.scan import ScanSettings, scan
from tests.helpers import advance, at, make_device, sanitise


def summary(outcome) -> dict:
    return {
        "code": outcome.code, "kind": outcome.kind, "message": outcome.message, "level": outcome.level,
        "applied": outcome.applied, "moved_to": outcome.moved_to.code if outcome.moved_to else None,
        "repeat": outcome.repeat, "allowed": outcome.allowed,
        "putaway": outcome.putaway.code if outcome.putaway else None, "registered": outcome.registered,
        "events": [(e.kind, e.to_state) for e in outcome.events],
    }


def context(session, user_id) -> tuple:
    row = session.execute(select(ScanContext).where(ScanContext.user_id == user_id)).scalar_one()
    session.refresh(row)
    return row.last_code, row.last_station, row.last_scan_at, row.location_id


def test_a_location_starts_then_ends_a_put_away(session, shop, tech):
    start = scan(session, " loc-lam-a01 ", user_id=tech, now=at(0))
    assert start.obj.id == shop["bin_a"].id
    assert summary(start) == {
        "code": "LOC-LAM-A01", "kind": "location", "level": "ok", "applied": None, "moved_to": None,
        "message": "Rangement dans LOC-LAM-A01 (Bac A01) : scannez les appareils à y ranger.",
        "repeat": False, "allowed": [], "putaway": "LOC-LAM-A01", "registered": None, "events": []}
    assert context(session, tech)[0:2] == ("LOC-LAM-A01", None)
    assert context(session, tech)[3] == shop["bin_a"].id
    other = scan(session, shop["bin_b"].code, user_id=tech, now=at(5))
    assert (other.putaway.code, other.level) == ("LOC-LAM-B02", "ok")       # another location takes over
    stop = scan(session, shop["bin_b"].code, user_id=tech, now=at(10))
    assert summary(stop) == {
        "code": "LOC-LAM-B02", "kind": "location", "level": "info", "applied": None, "moved_to": None,
        "message": "Rangement dans LOC-LAM-B02 terminé.", "repeat": False, "allowed": [], "putaway": None,
        "registered": None, "events": []}
    assert context(session, tech)[3] is None and stop.obj.id == shop["bin_b"].id


def test_a_disabled_location_is_refused(session, shop, tech):
    shop["bin_b"].active = False
    session.commit()
    refused = scan(session, shop["bin_b"].code, user_id=tech, now=at(0))
    assert summary(refused) == {
        "code": "LOC-LAM-B02", "kind": "location", "level": "error", "applied": None, "moved_to": None,
        "message": "L'emplacement LOC-LAM-B02 est désactivé.", "repeat": False, "allowed": [], "putaway": None,
        "registered": None, "events": []}
    assert refused.obj.id == shop["bin_b"].id


def test_a_collection(session, shop, tech):
    for _ in range(2):
        make_device(session, shop["collection"].id)
    reference = shop["collection"].reference
    answer = scan(session, reference.lower(), user_id=tech, now=at(0))
    assert answer.obj.id == shop["collection"].id
    assert summary(answer) == {
        "code": reference, "kind": "collection", "level": "ok", "applied": None, "moved_to": None,
        "message": f"Collecte {reference} — Donateur Test.", "repeat": False, "allowed": [], "putaway": None,
        "registered": 2, "events": []}


def test_a_device_at_reception_and_at_each_station(session, shop, tech):
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag
    shown = scan(session, tag, user_id=tech, now=at(0))
    assert summary(shown) == {
        "code": tag, "kind": "device", "level": "ok", "applied": None, "moved_to": None,
        "message": f"{tag} — Dell Latitude 5490.", "repeat": False, "allowed": ["wiping"], "putaway": None,
        "registered": None, "events": [("received", "received")]}
    assert scan(session, tag, user_id=tech, station="reception", now=at(3)).applied is None
    applied = scan(session, tag, user_id=tech, station="wiping", now=at(6))
    assert summary(applied) == {
        "code": tag, "kind": "device", "level": "ok", "applied": {"from": "received", "to": "wiping"},
        "moved_to": None, "message": f"{tag} : Réceptionné → Effacement.", "repeat": False, "allowed": [],
        "putaway": None, "registered": None, "events": [("received", "received"), ("transition", "wiping")]}
    assert context(session, tech)[:3] == (tag, "wiping", at(6))
    same = scan(session, tag, user_id=tech, station="wiping", now=at(9))
    assert (same.level, same.applied, same.message) == ("info", None, f"{tag} est déjà à l'état « Effacement ».")
    refused = scan(session, tag, user_id=tech, station="stock", now=at(12))
    assert refused.level == "error" and refused.applied is None
    assert refused.message.startswith(f"{tag} : Un appareil à l'état « Effacement » ne peut pas passer à « En stock ».")
    sanitise(session, device)
    assert scan(session, tag, user_id=tech, now=at(15)).allowed == ["repair", "grading", "parts", "recycled"]


def test_a_put_away_with_a_station_moves_and_transitions_in_one_event(session, shop, tech):
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag
    scan(session, shop["bin_a"].code, user_id=tech, now=at(0))
    both = scan(session, tag, user_id=tech, station="wiping", now=at(3))
    assert summary(both) == {
        "code": tag, "kind": "device", "level": "ok", "applied": {"from": "received", "to": "wiping"},
        "moved_to": "LOC-LAM-A01", "message": f"{tag} : Réceptionné → Effacement. Rangé dans LOC-LAM-A01.",
        "repeat": False, "allowed": [], "putaway": "LOC-LAM-A01", "registered": None,
        "events": [("received", "received"), ("transition", "wiping")]}
    assert device.location.code == "LOC-LAM-A01"
    # Already there, already in that state: nothing to do, said as information.
    again = scan(session, tag, user_id=tech, station="wiping", now=at(6))
    assert (again.level, again.moved_to, again.message) == ("info", None, f"{tag} est déjà dans LOC-LAM-A01.")
    plain = scan(session, tag, user_id=tech, now=at(9))
    assert (plain.level, plain.moved_to, plain.message) == ("info", None, f"{tag} est déjà dans LOC-LAM-A01.")


def test_a_refused_transition_still_puts_away(session, shop, tech):
    """Issue 16, defect 6: a put-away goes on whatever the station; the station's transition
    applies only where the lifecycle allows it (tests/inventory/test_scan_putaway.py has more)."""
    device = make_device(session, shop["collection"].id)
    scan(session, shop["bin_a"].code, user_id=tech, now=at(0))
    kept = scan(session, device.asset_tag, user_id=tech, station="stock", now=at(3))
    assert (kept.level, kept.applied, kept.moved_to.code, kept.putaway.code) == ("ok", None, "LOC-LAM-A01", "LOC-LAM-A01")
    assert (device.state, device.location.code) == ("received", "LOC-LAM-A01")


@pytest.mark.parametrize("state", ["distributed", "recycled"])
def test_a_device_outside_the_workshop_is_not_put_away(session, shop, tech, state):
    device = make_device(session, shop["collection"].id)
    advance(session, device, state)
    scan(session, shop["bin_a"].code, user_id=tech, now=at(0))
    outcome = scan(session, device.asset_tag, user_id=tech, now=at(3))
    label = {"distributed": "Remis au foyer", "recycled": "Recyclé"}[state]
    assert (outcome.level, outcome.moved_to, outcome.message) == (
        "error", None, f"{device.asset_tag} est à l'état « {label} » : il ne se range pas.")
    assert device.location_id is None


def test_a_repeat_is_remembered_as_nothing(session, shop, tech):
    tag = make_device(session, shop["collection"].id).asset_tag
    scan(session, tag, user_id=tech, station="wiping", now=at(0))
    repeat = scan(session, tag, user_id=tech, station="wiping", now=at(1))
    assert summary(repeat) == {
        "code": tag, "kind": "device", "level": "info", "applied": None, "moved_to": None,
        "message": f"Lecture en double ignorée : {tag} vient d'être scanné.", "repeat": True, "allowed": [],
        "putaway": None, "registered": None, "events": [("received", "received"), ("transition", "wiping")]}
    assert context(session, tech)[:3] == (tag, "wiping", at(0))


def test_scanner_prefixes_and_suffixes_are_stripped(session, shop, tech):
    tag = make_device(session, shop["collection"].id).asset_tag
    settings = ScanSettings(strip_prefixes=("@@",), strip_suffixes=("##",))
    assert scan(session, f"@@{tag}##", user_id=tech, now=at(0), settings=settings).code == tag


def test_the_latest_events_only(session, shop, tech):
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    events = scan(session, device.asset_tag, user_id=tech, now=at(0), recent_events=2).events
    assert [(e.kind, e.to_state) for e in events] == [("graded", "grading"), ("transition", "in_stock")]


def test_the_events_a_scan_writes_carry_the_scanner_and_the_station(session, shop, tech):
    from inventory.queries import history

    device = make_device(session, shop["collection"].id)
    scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(0))
    applied = history(session, device.id)[-1]
    assert (applied.kind, applied.user, applied.station, applied.at) == ("transition", "technicien", "wiping", at(0))
    scan(session, shop["bin_b"].code, user_id=tech, now=at(3))
    # Already in wiping: the scan at the wiping station only puts it away, as a move from that station.
    moved = scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(6))
    assert (moved.moved_to.code, moved.message) == ("LOC-LAM-B02", f"{device.asset_tag} rangé dans LOC-LAM-B02.")
    event = history(session, device.id)[-1]
    assert (event.kind, event.user, event.station, event.location, event.at) == (
        "move", "technicien", "wiping", "LOC-LAM-B02", at(6))


def test_five_latest_events_by_default(session, shop, tech):
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    for location in (shop["bin_a"], shop["bin_b"]):
        from inventory.services.transitions import move

        move(session, device.asset_tag, location.code)
    events = scan(session, device.asset_tag, user_id=tech, now=at(0)).events
    assert [e.kind for e in events] == ["transition", "graded", "transition", "move", "move"]


def test_unknown_codes_of_each_kind_and_a_bad_station(session, shop, tech):
    from core.errors import NotFound, ValidationFailed

    for code in ("COL-2099-0001", "LOC-NOPE-X", "RK-999999", "ABC"):
        with pytest.raises(NotFound) as unknown:
            scan(session, code, user_id=tech, now=at(0))
        assert unknown.value.message == (f"Code « {code} » inconnu : ni appareil (inventaire, série, IMEI), "
                                         "ni emplacement, ni collecte.")
    with pytest.raises(ValidationFailed) as bad:
        scan(session, shop["bin_a"].code, user_id=tech, station="cuisine", now=at(0))
    assert bad.value.errors == {"station": [
        "Poste inconnu : valeurs acceptées : reception, wiping, repair, grading, stock."]}
