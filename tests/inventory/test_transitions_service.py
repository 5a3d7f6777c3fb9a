"""Transitions, erasures, grading and moves through the services, with a real database."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, TransitionRefused, ValidationFailed
from inventory.lifecycle import TRANSITIONS, State, TransitionContext
from inventory.models import AppendOnlyViolation, Device, DeviceEvent, ErasureRecord
from inventory.queries import history
from inventory.services.erasures import record_erasure
from inventory.services.grading import grade_device
from inventory.services.transitions import move, transition
from tests.helpers import advance, make_device, make_workshop, passing_checklist, sanitise


def events_of(session, device):
    return [(e.kind, e.from_state, e.to_state) for e in history(session, device.id)]


def test_transition_writes_state_and_event_together(session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    version = device.version
    transition(session, device.asset_tag, "wiping", user_id=users["technicien"], note="Poste 2",
               location=shop["bin_b"].code, station="wiping")
    session.expire_all()
    device = session.get(Device, device.id)
    assert device.state == "wiping" and device.location.code == "LOC-LAM-B02"
    assert device.version == version + 1
    last = history(session, device.id)[-1]
    assert (last.kind, last.from_state, last.to_state, last.note, last.station, last.user, last.location) == (
        "transition", "received", "wiping", "Poste 2", "wiping", "technicien", "LOC-LAM-B02")


def test_refused_transition_writes_nothing(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    with pytest.raises(TransitionRefused) as refused:
        transition(session, device.asset_tag, "grading")
    assert refused.value.allowed == ["wiping"]  # parts/recycled need sanitised media too
    assert refused.value.message == "Cet appareil porte 1 support de données : il doit d'abord passer par « Effacement »."
    session.expire_all()
    assert session.get(Device, device.id).state == "received"
    assert events_of(session, device) == [("received", None, "received")]


def test_refusal_lists_only_states_the_guards_accept(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "wiping")
    with pytest.raises(TransitionRefused) as refused:
        transition(session, device.asset_tag, "grading")
    assert refused.value.allowed == []
    assert "SSD SATA n° DISK" in refused.value.message


def test_unknown_state_and_device(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    with pytest.raises(ValidationFailed) as bad:
        transition(session, device.asset_tag, "teleported")
    assert "État inconnu « teleported »" in bad.value.errors["to"][0]
    with pytest.raises(NotFound) as missing:
        transition(session, "RK-999999", "wiping")
    assert missing.value.message == "Aucun appareil ne porte le numéro d'inventaire « RK-999999 »."


def test_stale_version_is_a_conflict(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    old = device.version
    transition(session, device.asset_tag, "wiping")
    with pytest.raises(Conflict) as stale:
        transition(session, device.asset_tag, "recycled", version=old)
    assert stale.value.message == "Cet appareil vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez."


def test_an_event_without_a_note_has_none(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    transition(session, device.asset_tag, "wiping")
    assert history(session, device.id)[-1].note is None
    sanitise(session, device)
    transition(session, device.asset_tag, "grading", note="  ")
    assert history(session, device.id)[-1].note is None


def test_a_refusal_lists_what_the_callers_context_allows(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    with pytest.raises(TransitionRefused) as plain:
        transition(session, device.asset_tag, "distributed")
    assert plain.value.allowed == ["repair", "parts", "recycled"]
    with pytest.raises(TransitionRefused) as reserving:
        transition(session, device.asset_tag, "distributed", context=TransitionContext(reservation=True))
    assert reserving.value.allowed == ["reserved", "repair", "parts", "recycled"]


def test_full_path_to_stock_and_history(session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock", user_id=users["technicien"])
    assert events_of(session, device) == [
        ("received", None, "received"),
        ("transition", "received", "wiping"),
        ("transition", "wiping", "grading"),
        ("graded", "grading", "grading"),
        ("transition", "grading", "in_stock"),
    ]
    assert device.grade == "B"


def test_back_to_repair_clears_the_grade(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    transition(session, device.asset_tag, "repair")
    assert device.grade is None
    transition(session, device.asset_tag, "grading")
    with pytest.raises(TransitionRefused):
        transition(session, device.asset_tag, "in_stock")


def test_distribution_needs_the_handover_context(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "reserved")
    with pytest.raises(TransitionRefused):
        transition(session, device.asset_tag, "distributed")
    transition(session, device.asset_tag, "distributed", context=TransitionContext(handover=True))
    assert device.state == "distributed"


def test_grading_only_in_quality_control(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    with pytest.raises(Conflict) as refused:
        grade_device(session, device.asset_tag, checklist=passing_checklist("laptop"), cosmetic="A")
    assert refused.value.message == "La note se donne au contrôle qualité ; l'appareil est à l'état « Réceptionné »."


def test_erasure_records(session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, storage=[
        {"kind": "hdd", "serial_number": "WD1"}, {"kind": "nvme", "serial_number": "NV1"}])
    transition(session, device.asset_tag, "wiping")
    with pytest.raises(ValidationFailed) as which:
        record_erasure(session, device.asset_tag, {"level": "clear", "technique": "overwrite", "result": "pass", "verified": True})
    assert which.value.errors["medium_serial"] == ["Précisez le support : cet appareil en a 2 (WD1, NV1)."]
    with pytest.raises(ValidationFailed) as wrong:
        record_erasure(session, device.asset_tag, {"medium_serial": "NV1", "level": "purge", "technique": "ata-secure-erase",
                                                   "result": "pass", "verified": True})
    assert "ne s'applique pas à un support « nvme »" in wrong.value.errors["technique"][0]
    with pytest.raises(ValidationFailed) as destroy:
        record_erasure(session, device.asset_tag, {"medium_serial": "WD1", "level": "destroy", "technique": "overwrite",
                                                   "result": "pass", "verified": True})
    assert destroy.value.errors["technique"] == ["Le niveau « destroy » se fait par broyage (shred) ou perçage (drill)."]
    # A failed wipe keeps the device in wiping; drilling the disk then lets it go on.
    record_erasure(session, device.asset_tag, {"medium_serial": "wd1", "level": "clear", "technique": "overwrite",
                                               "result": "fail", "verified": False}, user_id=users["technicien"],
                   operator_name="Théo")
    record_erasure(session, device.asset_tag, {"medium_serial": "NV1", "level": "purge", "technique": "nvme-sanitize",
                                               "result": "pass", "verified": True})
    with pytest.raises(TransitionRefused) as blocked:
        transition(session, device.asset_tag, "grading")
    assert "WD1" in blocked.value.message and "NV1" not in blocked.value.message
    record_erasure(session, device.asset_tag, {"medium_serial": "WD1", "level": "destroy", "technique": "drill",
                                               "result": "pass", "verified": False})
    transition(session, device.asset_tag, "grading")
    records = session.execute(select(ErasureRecord).order_by(ErasureRecord.id)).scalars().all()
    assert [(r.medium.serial_number, r.result, r.sanitised_by) for r in records] == [
        ("WD1", "fail", "Théo"), ("NV1", "pass", None), ("WD1", "pass", None)]


def test_no_erasure_once_device_left(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    advance(session, device, "recycled")
    with pytest.raises(Conflict) as left:
        record_erasure(session, device.asset_tag, {"level": "clear", "technique": "overwrite", "result": "pass", "verified": True})
    assert left.value.message == "L'appareil est à l'état « Recyclé » : il n'est plus à l'atelier."


def test_move_writes_a_move_event(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    move(session, device.asset_tag, "loc-lam-a01")  # already there: nothing written
    assert events_of(session, device) == [("received", None, "received"), ("move", "received", "received")]
    assert device.location.code == "LOC-LAM-A01"


def test_events_are_append_only(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    event = session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device.id)).scalar_one()
    event.note = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    session.delete(session.get(DeviceEvent, event.id))
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


# --- property, through the services and the database -------------------------------------

attempts = st.lists(
    st.one_of(
        st.tuples(st.just("to"), st.sampled_from([s.value for s in State])),
        st.tuples(st.just("wipe"), st.booleans()),
        st.tuples(st.just("grade"), st.sampled_from(["A", "B", "C"])),
    ),
    max_size=15,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=attempts)
def test_random_service_calls_keep_state_equal_to_last_event(session, steps):
    shop_collection = session.execute(select(func.min(Device.collection_id))).scalar()
    if shop_collection is None:
        shop_collection = make_workshop(session)["collection"].id
    device = make_device(session, shop_collection)
    for kind, value in steps:
        try:
            if kind == "to":
                transition(session, device.asset_tag, value)
            elif kind == "wipe" and value:
                sanitise(session, device)
            elif kind == "grade":
                grade_device(session, device.asset_tag, checklist=passing_checklist(device.category), cosmetic=value)
        except (TransitionRefused, Conflict, ValidationFailed):
            pass
        session.expire_all()
        fresh = session.get(Device, device.id)
        events = history(session, device.id)
        assert fresh.state == events[-1].to_state
        # Every recorded transition is one the table allows, and no distribution slipped through.
        for event in events[1:]:
            if event.kind == "transition":
                assert State(event.to_state) in TRANSITIONS[State(event.from_state)]
                assert event.to_state != "distributed"
            if event.kind == "transition" and event.from_state == "wiping":
                assert all(m.erasures for m in fresh.media)


def test_a_move_records_who_when_where_and_from_which_station(session, users):
    from datetime import datetime, timezone

    from inventory.services.transitions import apply_move

    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    when = datetime(2026, 12, 4, 15, 30, tzinfo=timezone.utc)
    move(session, device.asset_tag, shop["bin_a"].code, user_id=users["technicien"], now=when)
    last = history(session, device.id)[-1]
    assert (last.kind, last.from_state, last.to_state, last.at, last.user, last.location, last.station, last.note) == (
        "move", "received", "received", when, "technicien", "LOC-LAM-A01", None, None)
    assert device.updated_at == when and device.state == "received"
    event = apply_move(session, device, shop["bin_b"], user_id=users["admin"], now=when, station="stock",
                       note="Rangé après inventaire")
    session.commit()
    assert (event.station, event.note, event.user_id, event.location.code) == (
        "stock", "Rangé après inventaire", users["admin"], "LOC-LAM-B02")
    advance(session, device, "recycled")
    with pytest.raises(Conflict) as outside:
        move(session, device.asset_tag, shop["bin_a"].code)
    assert outside.value.message == "L'appareil est à l'état « Recyclé » : il n'est plus à l'atelier."
