"""Sending a tour's offline records back (issue 20, docs/mobile-tour-design.md § 3): attendance,
walk-ins and the tour's closure applied in order, one unit of work each; the same batch sent again
changes nothing; what no longer holds kept as a conflict with what to do, then resolved or
dismissed; what can never apply kept as refused. Both engines."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import to_local, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from distribution.models import Booking
from distribution.services.tour_sync import EARLY, KEY_REUSED, LATE, apply_batch, open_actions, resolve
from distribution.services.tours import Programme, download_tour
from distribution.services.workshops import book, cancel, record_attendance
from distribution.tour.models import MobileTour, TourAction, WorkshopWalkIn
from eligibility.services.requests import create_request, decide_request
from tests.helpers import actor, make_household, make_session, settings_for

MACOUBA = "97215"


def person(app, session, last_name: str, phone: str):
    household = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name=last_name,
                               first_name="Rose", phone=phone)
    return household


@pytest.fixture
def stop(app, session):
    """A mobile workshop at Macouba that started an hour ago, three households booked beforehand."""
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop",
                            venue_name="Bourg de Macouba")
    before = workshop.starts_at - timedelta(hours=5)
    bookings = [book(session, actor(app, "technicien"), workshop.id,
                     person(app, session, f"Participant{i}", f"0696 10 10 1{i}").id, now=before) for i in range(3)]
    return workshop, bookings


@pytest.fixture
def tour(app, session, stop):
    workshop, _ = stop
    return download_tour(session, actor(app, "animateur"), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=DEVICE, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), now=workshop.starts_at - timedelta(hours=4))


DEVICE = str(uuid.uuid4())


def act(seq: int, kind: str, data: dict, *, at=None, key=None) -> dict:
    moment = to_local(at or utcnow()).isoformat(timespec="seconds")
    return {"key": key or str(uuid.uuid4()), "seq": seq, "kind": kind, "recorded_at": moment, "data": data}


def send(app, session, tour, actions, username="animateur", device=DEVICE):
    return apply_batch(session, actor(app, username), tour.id, {"device_key": device, "format": 1,
                                                                "actions": actions})


def state(session) -> tuple:
    """Counts and highest ids of every table a sync writes, and the bookings' marks."""
    marks = session.execute(select(Booking.id, Booking.status, Booking.satisfaction, Booking.attendance_at)
                            .order_by(Booking.id)).all()
    return (session.execute(select(func.count(), func.max(TourAction.id))).one(),
            session.execute(select(func.count(), func.max(WorkshopWalkIn.id))).one(),
            session.execute(select(MobileTour.last_seq, MobileTour.status)).all(), marks)


def test_a_whole_stop_applies_in_order_and_sending_it_again_changes_nothing(app, session, stop, tour):
    workshop, (a, b, c) = stop
    batch = [act(1, "attendance", {"booking_id": a.id, "attended": True, "satisfaction": 5}),
             act(2, "attendance", {"booking_id": b.id, "attended": False}),
             act(3, "walk_in", {"session_id": workshop.id, "last_name": "Sans-Inscription", "first_name": "Léa",
                                "commune_insee": "97211", "phone": "0696 99 88 77", "satisfaction": 4}),
             act(4, "attendance", {"booking_id": c.id, "attended": True, "satisfaction": None}),
             act(5, "close", {"note": "Fin de la tournée"})]
    answer = send(app, session, tour, batch)
    assert [r["outcome"] for r in answer["results"]] == ["applied"] * 5 and answer["last_seq"] == 5
    session.expire_all()
    assert [(x.status, x.satisfaction) for x in session.execute(
        select(Booking).where(Booking.id.in_([a.id, b.id, c.id])).order_by(Booking.id)).scalars()] == [
        ("attended", 5), ("no_show", None), ("attended", None)]
    walk_in = session.execute(select(WorkshopWalkIn)).scalar_one()
    assert (walk_in.last_name, walk_in.first_name, walk_in.commune_insee, walk_in.phone, walk_in.satisfaction,
            walk_in.tour_id) == ("Sans-Inscription", "Léa", "97211", "+596696998877", 4, tour.id)
    assert session.get(MobileTour, tour.id).status == "closed"

    before = state(session)
    again = send(app, session, tour, batch)
    assert [(r["outcome"], r["repeat"]) for r in again["results"]] == [("applied", True)] * 5
    assert state(session) == before


def test_a_batch_out_of_order_waits_for_the_missing_one_and_a_reused_key_is_refused(app, session, stop, tour):
    _, (a, b, _) = stop
    first, second = (act(1, "attendance", {"booking_id": a.id, "attended": True}),
                     act(2, "attendance", {"booking_id": b.id, "attended": True}))
    answer = send(app, session, tour, [second])
    assert answer["results"][0]["outcome"] == "out_of_order" and answer["results"][0]["expected"] == 1
    assert answer["last_seq"] == 0 and session.execute(select(func.count()).select_from(TourAction)).scalar() == 0
    assert [r["outcome"] for r in send(app, session, tour, [second, first])["results"]] == ["applied", "applied"]
    forged = dict(first, data={"booking_id": a.id, "attended": False})
    [reused] = send(app, session, tour, [forged])["results"]
    assert (reused["outcome"], reused["message"]) == ("refused", KEY_REUSED)
    [taken] = send(app, session, tour, [act(2, "attendance", {"booking_id": a.id, "attended": False})])["results"]
    assert taken["outcome"] == "refused" and "numéro d'ordre 2 est déjà celui" in taken["message"]
    assert session.get(Booking, a.id).status == "attended"


def test_a_session_cancelled_meanwhile_is_a_conflict_resolved_once_it_is_restored(app, session, stop, tour):
    workshop, (a, _, _) = stop
    workshop.cancelled_at = utcnow()
    session.commit()
    mark = act(1, "attendance", {"booking_id": a.id, "attended": True, "satisfaction": 3})
    [result] = send(app, session, tour, [mark])["results"]
    assert result["outcome"] == "conflict"
    assert result["message"] == (f"L'atelier du {to_local(workshop.starts_at):%d/%m/%Y} à Macouba a été annulé le "
                                 f"{to_local(workshop.cancelled_at):%d/%m/%Y}.")
    assert result["what_to_do"].startswith("S'il a bien eu lieu, faites-le rétablir")
    assert session.get(Booking, a.id).status == "booked"
    assert [x.client_key for x in open_actions(session, actor(app, "technicien"), tour.id)] == [mark["key"]]
    with pytest.raises(Conflict, match="a été annulé"):
        resolve(session, actor(app, "technicien"), tour.id, mark["key"], {"decision": "apply"})
    with pytest.raises(Forbidden):
        resolve(session, actor(app, "animateur"), tour.id, mark["key"], {"decision": "apply"})
    session.get(type(workshop), workshop.id).cancelled_at = None
    session.commit()
    settled = resolve(session, actor(app, "technicien"), tour.id, mark["key"], {"decision": "apply", "note": "Vu"})
    assert (settled.outcome, settled.resolution_note) == ("resolved", "Vu")
    assert (session.get(Booking, a.id).status, session.get(Booking, a.id).satisfaction) == ("attended", 3)
    assert open_actions(session, actor(app, "technicien"), tour.id) == []
    with pytest.raises(Conflict, match="déjà régularisé"):
        resolve(session, actor(app, "technicien"), tour.id, mark["key"], {"decision": "dismiss"})


def test_a_cancelled_booking_or_attendance_noted_by_someone_else_is_kept_as_a_conflict(app, session, stop, tour):
    workshop, (a, b, _) = stop
    cancel(session, actor(app, "technicien"), a.id, now=workshop.starts_at - timedelta(hours=2))
    record_attendance(session, actor(app, "admin"), b.id, attended=False)
    results = send(app, session, tour, [act(1, "attendance", {"booking_id": a.id, "attended": True}),
                                         act(2, "attendance", {"booking_id": b.id, "attended": True})])["results"]
    assert [r["outcome"] for r in results] == ["conflict", "conflict"]
    assert results[0]["message"] == (f"L'inscription de Rose Participant0 a été annulée le "
                                     f"{to_local(workshop.starts_at - timedelta(hours=2)):%d/%m/%Y}.")
    assert results[1]["message"].startswith("Présence de Rose Participant1 déjà notée « Absent » le ")
    assert results[1]["what_to_do"] == "Appliquer remplace la saisie précédente ; Classer la garde."
    assert session.get(Booking, b.id).status == "no_show"
    resolve(session, actor(app, "technicien"), tour.id, results[1]["key"], {"decision": "apply"})
    assert session.get(Booking, b.id).status == "attended"
    dismissed = resolve(session, actor(app, "technicien"), tour.id, results[0]["key"], {"decision": "dismiss"})
    assert dismissed.outcome == "dismissed" and session.get(Booking, a.id).status == "cancelled"


def test_late_malformed_and_foreign_actions(app, session, stop, tour):
    workshop, (a, _, _) = stop
    late_at = tour.valid_until + timedelta(minutes=11)
    results = send(app, session, tour, [
        act(1, "attendance", {"booking_id": a.id, "attended": True}, at=late_at),
        act(2, "walk_in", {"session_id": workshop.id, "last_name": "", "commune_insee": "97299"}),
        act(3, "walk_in", {"session_id": workshop.id + 1000, "last_name": "X", "commune_insee": "97211"}),
    ])["results"]
    assert [r["outcome"] for r in results] == ["conflict", "refused", "refused"]
    assert results[0]["message"] == LATE
    assert "nom (last_name) : Texte de 1 à 100 caractères attendu." in results[1]["message"]
    assert results[2]["message"] == f"L'atelier n° {workshop.id + 1000} n'est pas une étape de cette tournée."
    assert session.get(Booking, a.id).status == "booked"
    assert session.get(MobileTour, tour.id).last_seq == 3
    # Within the clock tolerance, the attendance is applied.
    [ok] = send(app, session, tour, [act(4, "attendance", {"booking_id": a.id, "attended": True},
                                         at=tour.valid_until + timedelta(minutes=9))])["results"]
    assert ok["outcome"] == "applied"
    with pytest.raises(Conflict, match="un autre appareil"):
        send(app, session, tour, [act(5, "close", {})], device=str(uuid.uuid4()))
    with pytest.raises(Forbidden):
        send(app, session, tour, [act(5, "close", {})], username="prescripteur")
    with pytest.raises(ValidationFailed):
        apply_batch(session, actor(app, "animateur"), tour.id, {"device_key": DEVICE, "format": 2, "actions": []})


def test_attendance_for_a_booking_of_a_session_not_on_the_tour_is_refused_naming_the_booking(app, session, stop, tour):
    elsewhere = make_session(app, session, commune="97213", days=3)
    other = book(session, actor(app, "technicien"), elsewhere.id, person(app, session, "Ailleurs", "0696 10 10 19").id)
    [result] = send(app, session, tour, [act(1, "attendance", {"booking_id": other.id, "attended": True})])["results"]
    assert (result["outcome"], result["message"]) == (
        "refused", f"L'inscription n° {other.id} n'est pas celle d'un atelier de cette tournée.")
    assert session.get(Booking, other.id).status == "booked"


def test_applying_the_attendance_of_a_booking_cancelled_meanwhile_records_a_walk_in(app, session, stop, tour):
    workshop, (a, b, _) = stop
    cancel(session, actor(app, "technicien"), a.id, now=workshop.starts_at - timedelta(hours=2))
    cancel(session, actor(app, "technicien"), b.id, now=workshop.starts_at - timedelta(hours=2))
    present, absent = (act(1, "attendance", {"booking_id": a.id, "attended": True, "satisfaction": 4}),
                       act(2, "attendance", {"booking_id": b.id, "attended": False}))
    results = send(app, session, tour, [present, absent])["results"]
    assert [r["outcome"] for r in results] == ["conflict", "conflict"]
    assert results[0]["what_to_do"] == ("Appliquer enregistre la personne comme participant sans inscription ; "
                                        "sinon Classer.")

    settled = resolve(session, actor(app, "technicien"), tour.id, present["key"], {"decision": "apply"})

    walk_in = session.execute(select(WorkshopWalkIn)).scalar_one()
    assert settled.outcome == "resolved" and settled.result == {"booking_id": a.id, "status": "cancelled",
                                                                "walk_in_id": walk_in.id}
    assert (walk_in.session_id, walk_in.tour_id, walk_in.last_name, walk_in.first_name, walk_in.commune_insee,
            walk_in.phone, walk_in.satisfaction) == (workshop.id, tour.id, "Participant0", "Rose", MACOUBA,
                                                     "+596696101010", 4)
    assert session.get(Booking, a.id).status == "cancelled"
    # An absence of a cancelled booking: nothing to record.
    assert resolve(session, actor(app, "technicien"), tour.id, absent["key"], {"decision": "apply"}).result == {
        "booking_id": b.id, "status": "cancelled"}
    assert session.execute(select(func.count()).select_from(WorkshopWalkIn)).scalar_one() == 1


def test_a_key_reused_from_another_tour_is_refused_and_the_order_moves_on(app, session, stop, tour):
    workshop, (a, b, _) = stop
    other = download_tour(session, actor(app, "technicien"), tour_date=to_local(workshop.starts_at).date(),
                          session_ids=[workshop.id], device_key=DEVICE, settings=settings_for(app),
                          programme=Programme("Rekonekt", None), now=workshop.starts_at - timedelta(hours=4))
    taken = act(1, "attendance", {"booking_id": a.id, "attended": True})
    assert send(app, session, other, [taken], username="technicien")["results"][0]["outcome"] == "applied"

    reused = dict(taken, data={"booking_id": b.id, "attended": True})
    following = act(2, "attendance", {"booking_id": b.id, "attended": False})
    answer = send(app, session, tour, [reused, following])
    assert [(r["outcome"], r["message"]) for r in answer["results"]] == [("refused", KEY_REUSED), ("applied", None)]
    assert answer["last_seq"] == 2 and session.get(Booking, b.id).status == "no_show"
    # Sent again: the same answers, nothing more written.
    again = send(app, session, tour, [reused, following])
    assert [(r["outcome"], r["repeat"]) for r in again["results"]] == [("refused", False), ("applied", True)]
    assert session.execute(select(func.count()).select_from(TourAction)).scalar_one() == 2


@pytest.mark.parametrize(("schema", "body", "errors"), [
    ("SyncIn", {"device_key": DEVICE, "format": 1, "actions": [None]},
     {"actions.0": ["Ce champ ne peut pas être vide."]}),
    ("HandoverData", {"reservation_id": 5, "payments": [None], "accessories": [None], "invoice": None},
     {"payments.0": ["Ce champ ne peut pas être vide."], "accessories.0": ["Ce champ ne peut pas être vide."],
      "invoice": ["Ce champ ne peut pas être vide."]}),
    ("HandoverData", {"reservation_id": 5, "payments": [{"method": "cash", "amount": "1.00"}]},
     {"invoice": ["Champ obligatoire."]}),
])
def test_a_missing_or_null_object_is_refused_in_french(schema, body, errors):
    from core.schemas import load
    from distribution.tour import schemas

    with pytest.raises(ValidationFailed) as refused:
        load(getattr(schemas, schema)(), body)
    assert refused.value.errors == errors


def test_a_walk_in_without_a_name_but_spaces_is_refused(app, session, stop, tour):
    workshop, _ = stop
    [result] = send(app, session, tour, [act(1, "walk_in", {"session_id": workshop.id, "last_name": "   ",
                                                            "commune_insee": MACOUBA})])["results"]
    assert (result["outcome"], result["message"]) == (
        "refused", "Nom du participant attendu (des espaces seuls ne suffisent pas).")
    assert session.execute(select(func.count()).select_from(WorkshopWalkIn)).scalar_one() == 0


def test_a_moment_of_contention_is_sent_again_later_never_kept_as_a_conflict(app, session, stop, tour, monkeypatch):
    """The database busy, or a row changed under the unit of work for a moment: nothing is stored,
    the tour's order does not move, the batch stops there, and the page sends it again later."""
    from core.unit_of_work import BUSY
    from distribution.services import tour_sync

    _, (a, b, _) = stop
    real = tour_sync.APPLY["attendance"]
    calls = []

    def busy_once(ctx, data):
        calls.append(data["booking_id"])
        if len(calls) == 1:
            raise Conflict(BUSY)
        return real(ctx, data)

    monkeypatch.setitem(tour_sync.APPLY, "attendance", busy_once)
    batch = [act(1, "attendance", {"booking_id": a.id, "attended": True}),
             act(2, "attendance", {"booking_id": b.id, "attended": True})]
    answer = send(app, session, tour, batch)
    assert [(r["outcome"], r["message"]) for r in answer["results"]] == [("retry", BUSY)]
    assert answer["last_seq"] == 0 and session.execute(select(func.count()).select_from(TourAction)).scalar() == 0
    assert session.get(Booking, a.id).status == "booked"
    assert [r["outcome"] for r in send(app, session, tour, batch)["results"]] == ["applied", "applied"]


def test_a_record_dated_before_the_download_is_kept_as_a_conflict(app, session, stop, tour):
    """The device's clock was wrong (the page refuses to record then; the server checks too)."""
    _, (a, _, _) = stop
    early = tour.downloaded_at - timedelta(minutes=11)
    [result] = send(app, session, tour, [act(1, "attendance", {"booking_id": a.id, "attended": True},
                                             at=early)])["results"]
    assert result["outcome"] == "conflict" and result["message"] == EARLY
    assert session.get(Booking, a.id).status == "booked"
    [ok] = send(app, session, tour, [act(2, "attendance", {"booking_id": a.id, "attended": True},
                                         at=tour.downloaded_at - timedelta(minutes=9))])["results"]
    assert ok["outcome"] == "applied"
