"""Retention of what tours hold about people (issue 20): after the households' period, walk-ins
lose their names and phone, a tour's download its participants and buyers, its records the
names, phones and invoice contents they repeated; figures, invoices and their fingerprints stay.
Both engines, and the CLI that runs it with the households' purge."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import to_local, utcnow
from distribution.models import Invoice
from distribution.services.invoicing import verify_chain
from distribution.services.reservations import reserve
from distribution.services.tour_retention import purge_tours
from distribution.services.tour_sync import apply_batch
from distribution.services.tours import Programme, download_tour
from distribution.services.workshops import book
from distribution.tour.models import MobileTour, MobileUnit, TourAction, WorkshopWalkIn
from eligibility.services.requests import create_request, decide_request
from distribution.tour.offline import OfflineDevice as Van
from tests.helpers import actor, make_household, make_session, settings_for, stock_device

MACOUBA = "97215"
KEY = str(uuid.uuid4())


@pytest.fixture
def synced(app, session, shop):
    """A tour of M1 synced: a booked participant present, a walk-in, a handover."""
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    booked = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name="Inscrite",
                            first_name="Rose", phone="0696 50 50 51")
    booking = book(session, actor(app, "technicien"), workshop.id, booked.id, now=workshop.starts_at - timedelta(hours=5))
    buyer = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name="Acheteuse",
                           first_name="Rose", phone="0696 50 50 52")
    item = decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"), buyer,
                                                                       "laptop"), "validate")
    reservation = reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)
    tour = download_tour(session, actor(app, "technicien"), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=KEY, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), unit="M1", now=workshop.starts_at - timedelta(hours=3))
    van, now = Van(tour.snapshot), utcnow()
    batch = [van.action("attendance", {"booking_id": booking.id, "attended": True, "satisfaction": 5}, now),
             van.action("walk_in", {"session_id": workshop.id, "last_name": "Passante", "first_name": "Léa",
                                    "commune_insee": "97211", "phone": "0696 50 50 53", "satisfaction": 4}, now),
             van.handover(reservation.id, now)]
    answer = apply_batch(session, actor(app, "technicien"), tour.id, {"device_key": KEY, "format": 1, "actions": batch})
    assert [r["outcome"] for r in answer["results"]] == ["applied"] * 3
    return tour


def everything(session) -> str:
    tours = [t.snapshot for t in session.execute(select(MobileTour)).scalars()]
    actions = [a.payload for a in session.execute(select(TourAction)).scalars()]
    walk_ins = [(w.last_name, w.first_name, w.phone) for w in session.execute(select(WorkshopWalkIn)).scalars()]
    return json.dumps([tours, actions, walk_ins], ensure_ascii=False, default=str)


def test_after_the_period_names_phones_and_buyers_are_erased_and_figures_stay(app, session, synced):
    before = everything(session)
    for personal in ("Inscrite", "Passante", "Léa", "Acheteuse", "0696 50 50 51", "+596696505053"):
        assert personal in before, personal
    invoice_hash = session.execute(select(Invoice.unit_hash)).scalar_one()

    assert purge_tours(session, 36, now=utcnow() + timedelta(days=35 * 30)) == (0, 0)      # not yet
    later = utcnow() + timedelta(days=37 * 31)
    assert purge_tours(session, 36, now=later, dry_run=True) == (1, 1)
    assert everything(session) == before
    assert purge_tours(session, 36, now=later) == (1, 1)

    session.expire_all()
    after = everything(session)
    for personal in ("Inscrite", "Passante", "Léa", "Acheteuse", "0696 50 50", "+59669650505"):
        assert personal not in after, personal
    walk_in = session.execute(select(WorkshopWalkIn)).scalar_one()
    assert (walk_in.commune_insee, walk_in.satisfaction, walk_in.anonymised_at is not None) == ("97211", 4, True)
    tour = session.get(MobileTour, synced.id)
    assert tour.snapshot["tour"]["reference"] == synced.reference and tour.snapshot["sessions"][0]["commune"] == "Macouba"
    handover = session.execute(select(TourAction).where(TourAction.kind == "handover")).scalar_one()
    assert handover.payload["data"]["invoice"]["unit_hash"] == invoice_hash
    # The invoices are untouched (the law keeps them): the chains still verify.
    assert verify_chain(session) == []
    assert purge_tours(session, 36, now=later) == (0, 0)


def test_the_households_purge_command_also_purges_tours(app, session, synced):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["eligibility", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0 participant(s) sans inscription et 0 tournée(s) à anonymiser (enregistrés il y a plus de 36 mois)." \
        in result.output


def test_the_messages_that_name_someone_are_erased_with_the_rest(app, session, shop):
    from distribution.services.tour_retention import MESSAGE_ERASED
    from distribution.services.tour_sync import LATE
    from distribution.services.workshops import cancel

    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    people = [make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name=name, first_name="Rose",
                             phone=f"0696 60 60 6{i}") for i, name in enumerate(("Annulée", "Retardée"))]
    bookings = [book(session, actor(app, "technicien"), workshop.id, p.id, now=workshop.starts_at - timedelta(hours=5))
                for p in people]
    buyer = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name="Acheteuse",
                           first_name="Rose", phone="0696 60 60 69")
    item = decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"), buyer,
                                                                       "laptop"), "validate")
    reservation = reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)
    tour = download_tour(session, actor(app, "technicien"), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=KEY, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), unit="M1", now=workshop.starts_at - timedelta(hours=3))
    cancel(session, actor(app, "technicien"), bookings[0].id)
    van, now = Van(tour.snapshot), utcnow()
    batch = [van.action("attendance", {"booking_id": bookings[0].id, "attended": True}, now),
             van.action("attendance", {"booking_id": bookings[1].id, "attended": True},
                        tour.valid_until + timedelta(hours=1)),
             van.handover(reservation.id, now)]
    batch[2]["data"]["invoice"]["content"]["buyer_name"] = "Rose Acheteuze"      # the differences name the buyer
    batch[2]["data"]["invoice"]["unit_hash"] = "0" * 64
    answer = apply_batch(session, actor(app, "technicien"), tour.id, {"device_key": KEY, "format": 1, "actions": batch})
    messages = [r["message"] for r in answer["results"]]
    assert [r["outcome"] for r in answer["results"]] == ["conflict", "conflict", "refused"], messages
    assert "Rose Annulée" in messages[0] and messages[1] == LATE and "Rose Acheteuse" in messages[2]

    purge_tours(session, 36, now=utcnow() + timedelta(days=37 * 31))

    session.expire_all()
    stored = session.execute(select(TourAction.message).order_by(TourAction.seq)).scalars().all()
    assert stored == [MESSAGE_ERASED, LATE, MESSAGE_ERASED]


def test_a_handover_of_a_purged_tour_is_refused_in_french_not_a_server_error(app, session, synced):
    from core.errors import ValidationFailed
    from distribution.services.tour_handover import register

    purge_tours(session, 36, now=utcnow() + timedelta(days=37 * 31))
    tour = session.get(MobileTour, synced.id)
    handover = session.execute(select(TourAction).where(TourAction.kind == "handover")).scalar_one()
    with pytest.raises(ValidationFailed) as refused:
        register(session, tour, None, handover.payload["data"])
    assert refused.value.errors["reservation_id"][0].startswith(
        f"Les données téléchargées par la tournée {tour.reference} ont été effacées")
