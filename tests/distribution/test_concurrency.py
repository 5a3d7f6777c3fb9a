"""The handover under concurrency: invoice numbers with 8 concurrent issuers, workshop capacity
with 20 concurrent bookings, one reservation per device and per request (tests/concurrency.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from core.errors import Conflict
from distribution.models import Booking, Invoice, Reservation
from distribution.services import reservations as reservation_module
from distribution.services.handover import handover
from distribution.services.invoicing import verify_chain
from distribution.services.reservations import reserve
from distribution.services.workshops import book, waitlist_position
from inventory.models import Device
from tests.concurrency import one_winner, values
from tests.helpers import actor, make_session, make_workshop, settings_for, stock_device, validated_request

pytestmark = pytest.mark.concurrency
DUPLICATE = "Enregistrement refusé : une autre saisie identique vient d'être faite (doublon). Rechargez et vérifiez."


def test_eight_concurrent_handovers_number_invoices_one_to_eight(app, session, race):
    shop = make_workshop(session)
    # One workshop session each: the handovers then share no row but the invoice counters.
    workshops = [make_session(app, session, days=3 + i).id for i in range(8)]
    reservations = []
    for i in range(8):
        item = validated_request(app, session, phone=f"0696 50 00 {i:02d}", last_name=f"Foyer{i}")
        device = stock_device(session, shop)
        reservations.append(reserve(session, actor(app, "technicien"), item.id, device.asset_tag).id)
    session.commit()
    settings = settings_for(app)
    contest = race(8)

    def issue(index: int) -> str:
        contest.meet()
        return handover(db.session, actor(app, "technicien"), reservations[index], settings,
                        payment_method="cash", workshop_session_id=workshops[index]).invoice.number

    numbers = sorted(int(number.rsplit("-", 1)[1]) for number in values(contest.run(issue)))
    assert numbers == list(range(1, 9))
    session.expire_all()
    positions = sorted(session.execute(select(Invoice.chain_position)).scalars())
    assert positions == list(range(1, 9))
    assert verify_chain(session) == []


def test_twenty_concurrent_bookings_fill_the_capacity_then_the_waiting_list(app, session, race):
    workshop_id = make_session(app, session, capacity=8).id
    households = [validated_request(app, session, phone=f"0696 60 00 {i:02d}", last_name=f"Foyer{i}").household_id
                  for i in range(20)]
    session.commit()
    contest = race(20)

    def attempt(index: int) -> str:
        contest.meet()
        return book(db.session, actor(app, "technicien"), workshop_id, households[index]).status

    assert sorted(values(contest.run(attempt))) == ["booked"] * 8 + ["waitlisted"] * 12
    session.expire_all()
    bookings = session.execute(select(Booking).where(Booking.session_id == workshop_id)).scalars().all()
    assert len(bookings) == 20 and sorted(b.household_id for b in bookings) == sorted(households)
    waiting = [b for b in bookings if b.status == "waitlisted"]
    # Positions run 1..12 in the order the waiting list was joined.
    assert sorted(b.queue_number for b in waiting) == list(range(1, 13))
    assert sorted(waitlist_position(session, b) for b in waiting) == list(range(1, 13))


def test_two_requests_reserving_the_same_device_at_once_only_one_wins(app, session, race, monkeypatch):
    shop = make_workshop(session)
    tag = stock_device(session, shop).asset_tag
    requests = [validated_request(app, session, phone=f"0696 70 00 {i:02d}", last_name=f"Foyer{i}").id
                for i in range(2)]
    session.commit()
    contest = race(2)
    real_lookup = reservation_module.device_by_tag

    def read_then_wait(*args, **kwargs):
        device = real_lookup(*args, **kwargs)
        if not contest.serialised:
            assert device.state == "in_stock"      # both have read the device as free
        contest.meet_at_guard()
        return device

    def attempt(index: int) -> int:
        contest.meet_at_start()
        return reserve(db.session, actor(app, "technicien"), requests[index], tag).request_id

    monkeypatch.setattr(reservation_module, "device_by_tag", read_then_wait)
    outcomes = contest.run(attempt)
    if contest.serialised:
        # SQLite: the second unit of work starts once the first has committed, and reads the
        # device as reserved.
        winner = one_winner(outcomes, Conflict, f"L'appareil {tag} n'est pas en stock (état : Réservé).")
    else:
        # PostgreSQL: both read the device as free; the loser's reservation meets the winner's in
        # the partial unique index (one active reservation per device), written before the
        # device's new state.
        winner = one_winner(outcomes, Conflict, DUPLICATE)
    session.expire_all()
    active = session.execute(select(Reservation).where(Reservation.status == "active")).scalars().all()
    assert [(r.request_id, r.device.asset_tag) for r in active] == [(winner, tag)]
    assert session.execute(select(Device.state).where(Device.asset_tag == tag)).scalar_one() == "reserved"


def test_one_request_reserving_two_devices_at_once_holds_only_one(app, session, race):
    shop = make_workshop(session)
    tags = [stock_device(session, shop).asset_tag for _ in range(2)]
    request_id = validated_request(app, session).id
    session.commit()
    contest = race(2)

    def attempt(index: int) -> str:
        contest.meet()
        return reserve(db.session, actor(app, "technicien"), request_id, tags[index]).device.asset_tag

    outcomes = contest.run(attempt)
    held = next(o.value for o in outcomes if o.ok)
    # The request row is locked: the second waits, then sees the first one's reservation.
    one_winner(outcomes, Conflict, f"La demande n° {request_id} a déjà un appareil réservé ({held}).")
    session.expire_all()
    active = session.execute(select(Reservation).where(Reservation.status == "active")).scalars().all()
    assert [(r.request_id, r.device.asset_tag) for r in active] == [(request_id, held)]
    states = dict(session.execute(select(Device.asset_tag, Device.state).where(Device.asset_tag.in_(tags))).all())
    assert sorted(states.values()) == ["in_stock", "reserved"] and states[held] == "reserved"
