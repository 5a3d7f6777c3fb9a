"""A put-away at the scan station goes on whatever the station (issue 16, defect 6).

With the station left on « Effacement » (the browser remembers it), scanning a location then an
in-stock device used to answer « ne peut pas passer à « Effacement » » and leave the device where
it was. Now a scanned location starts a put-away whatever the station, each device scanned then
is moved there, and the station's transition comes with the move only where the lifecycle
allows it; one message says both. One scan stays one unit of work: the move and the transition
are written together, or neither is.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inventory.lifecycle import STATION_TARGETS, State, refusal
from inventory.models import Device, DeviceEvent, ScanContext
from inventory.queries import history
from inventory.services.common import facts_of
from inventory.services.scan import scan
from inventory.vocabulary import Station
from tests.helpers import advance, at, make_device


def stored(session, device_id: int) -> Device:
    session.expire_all()
    return session.get(Device, device_id)


def test_the_issue_case_an_in_stock_device_at_the_wiping_station(session, shop, tech):
    """The station stays on « Effacement » (the page sends it with every scan, the location's too)."""
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    tag = device.asset_tag
    start = scan(session, "LOC-LAM-A01", user_id=tech, station="wiping", now=at(0))
    assert (start.level, start.putaway.code) == ("ok", "LOC-LAM-A01")
    moved = scan(session, tag, user_id=tech, station="wiping", now=at(3))
    assert moved.message == (f"{tag} rangé dans LOC-LAM-A01 ; il reste « En stock » "
                             "(le passage à « Effacement » ne s'applique pas à cet état).")
    assert (moved.level, moved.applied, moved.moved_to.code, moved.putaway.code) == (
        "ok", None, "LOC-LAM-A01", "LOC-LAM-A01")
    device = stored(session, device.id)
    assert (device.state, device.location.code) == ("in_stock", "LOC-LAM-A01")
    last = history(session, device.id)[-1]
    assert (last.kind, last.from_state, last.to_state, last.location, last.station, last.at) == (
        "move", "in_stock", "in_stock", "LOC-LAM-A01", "wiping", at(3))


def test_a_guard_that_refuses_says_why_and_the_device_is_put_away(session, shop, tech):
    """« Réceptionné » → « Contrôle qualité » is in the table, but a medium must be wiped first."""
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag
    scan(session, "LOC-LAM-B02", user_id=tech, station="grading", now=at(0))
    moved = scan(session, tag, user_id=tech, station="grading", now=at(3))
    assert moved.message == (f"{tag} rangé dans LOC-LAM-B02 ; il reste « Réceptionné », pas encore « Contrôle qualité ». "
                             "Cet appareil porte 1 support de données : il doit d'abord passer par « Effacement ».")
    assert (moved.level, moved.applied, moved.moved_to.code) == ("ok", None, "LOC-LAM-B02")
    assert stored(session, device.id).location.code == "LOC-LAM-B02"
    # Scanned again (past the 2 s repeat window): already there, still refused — information, no write.
    events = len(history(session, device.id))
    again = scan(session, tag, user_id=tech, station="grading", now=at(6))
    assert again.message == (f"{tag} est déjà dans LOC-LAM-B02 ; il reste « Réceptionné », pas encore « Contrôle qualité ». "
                             "Cet appareil porte 1 support de données : il doit d'abord passer par « Effacement ».")
    assert (again.level, again.moved_to) == ("info", None)
    assert len(history(session, device.id)) == events


def test_where_the_lifecycle_allows_it_the_transition_and_the_move_are_one_event(session, shop, tech):
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    scan(session, "LOC-LAM-A01", user_id=tech, station="repair", now=at(0))
    both = scan(session, device.asset_tag, user_id=tech, station="repair", now=at(3))
    assert both.message == f"{device.asset_tag} : En stock → Réparation. Rangé dans LOC-LAM-A01."
    assert (both.level, both.applied, both.moved_to.code) == ("ok", {"from": "in_stock", "to": "repair"}, "LOC-LAM-A01")
    last = history(session, device.id)[-1]
    assert (last.kind, last.to_state, last.location, last.station) == ("transition", "repair", "LOC-LAM-A01", "repair")
    assert stored(session, device.id).grade is None      # back to repair: graded again later


STATES = ("received", "wiping", "repair", "grading", "in_stock", "reserved", "parts")


@pytest.mark.parametrize("station", Station.values())
def test_every_station_puts_away_every_device_still_in_the_workshop(session, shop, tech, station):
    """Whatever the station and the device's state, the device ends in the location; its state
    changes exactly where the lifecycle allows the station's transition."""
    target = STATION_TARGETS[Station(station)]
    scan(session, "LOC-LAM-A01", user_id=tech, station=station, now=at(0))
    for n, state in enumerate(STATES, start=1):
        device = make_device(session, shop["collection"].id)
        if state != "received":
            advance(session, device, state)
        allowed = target is not None and target.value != state and refusal(facts_of(device), target) is None
        outcome = scan(session, device.asset_tag, user_id=tech, station=station, now=at(3 * n))
        device = stored(session, device.id)
        assert device.location.code == "LOC-LAM-A01", (station, state, outcome.message)
        assert device.state == (target.value if allowed else state), (station, state, outcome.message)
        assert outcome.level == "ok" and outcome.moved_to.code == "LOC-LAM-A01", (station, state, outcome.message)
        assert "LOC-LAM-A01" in outcome.message
        if target is not None and not allowed and target.value != state:
            assert f"il reste « {State(state).label} »" in outcome.message, outcome.message
        else:
            assert "il reste" not in outcome.message, outcome.message


@pytest.mark.parametrize("state", ["distributed", "recycled"])
def test_a_device_gone_from_the_workshop_is_still_refused_at_any_station(session, shop, tech, state):
    device = make_device(session, shop["collection"].id)
    advance(session, device, state)
    scan(session, "LOC-LAM-A01", user_id=tech, station="wiping", now=at(0))
    outcome = scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(3))
    assert (outcome.level, outcome.moved_to) == ("error", None)
    assert outcome.message.endswith("il ne se range pas.")
    assert stored(session, device.id).location_id is None


def test_without_a_put_away_the_station_still_refuses(session, shop, tech):
    """The fix concerns put-aways only: a plain scan at a station that does not apply is an error."""
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    refused = scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(0))
    assert refused.level == "error" and refused.moved_to is None
    assert "ne peut pas passer à « Effacement »" in refused.message
    # A put-away left idle 15 minutes is over: the same refusal again.
    scan(session, "LOC-LAM-A01", user_id=tech, station="wiping", now=at(10))
    late = scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(10 + 15 * 60 + 1))
    assert (late.level, late.putaway) == ("error", None)
    assert stored(session, device.id).location_id is None


@pytest.mark.parametrize("case", ["transition and move", "move only"])
def test_one_scan_is_one_unit_of_work(session, shop, tech, monkeypatch, case):
    """A failure after the writes (here: reading the card's events) leaves nothing behind: no
    move, no transition, no event, and the put-away context as it was."""
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    scan(session, "LOC-LAM-A01", user_id=tech, station="stock", now=at(0))
    events = session.execute(select(func.count()).select_from(DeviceEvent)).scalar()
    station = "repair" if case == "transition and move" else "wiping"

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée après l'écriture")

    monkeypatch.setattr("inventory.services.scan.history", broken)
    with pytest.raises(RuntimeError):
        scan(session, device.asset_tag, user_id=tech, station=station, now=at(3))
    monkeypatch.undo()
    device = stored(session, device.id)
    assert (device.state, device.location_id) == ("in_stock", None)
    assert session.execute(select(func.count()).select_from(DeviceEvent)).scalar() == events
    context = session.execute(select(ScanContext).where(ScanContext.user_id == tech)).scalar_one()
    assert (context.last_code, context.last_station, context.location_id) == ("LOC-LAM-A01", "stock", shop["bin_a"].id)
    # And the same scan, without the fault, does it all.
    done = scan(session, device.asset_tag, user_id=tech, station=station, now=at(6))
    assert done.moved_to.code == "LOC-LAM-A01"
    assert stored(session, device.id).state == ("repair" if station == "repair" else "in_stock")
