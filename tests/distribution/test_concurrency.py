"""The handover under concurrency, on PostgreSQL: invoice numbers with 8 concurrent issuers,
workshop capacity with 20 concurrent bookings, one reservation per device and per request."""
from __future__ import annotations

import threading

from sqlalchemy import select

from app.extensions import db
from core.errors import Conflict
from distribution.models import Booking, Invoice, Reservation
from distribution.services.handover import handover
from distribution.services.invoicing import verify_chain
from distribution.services.reservations import reserve
from distribution.services.workshops import book, waitlist_position
from tests.helpers import actor, make_session, make_workshop, settings_for, stock_device, validated_request
from tests.inventory.test_concurrency import pg_only, run_in_threads  # noqa: F401  (fixture)


def test_eight_concurrent_handovers_number_invoices_one_to_eight(app, session, pg_only):
    shop = make_workshop(session)
    # One workshop session each: the handovers then share no row but the invoice counters.
    workshops = [make_session(app, session, days=3 + i).id for i in range(8)]
    reservations = []
    for i in range(8):
        item = validated_request(app, session, phone=f"0696 50 00 {i:02d}", last_name=f"Foyer{i}")
        device = stock_device(session, shop)
        reservations.append(reserve(session, actor(app, "technicien"), item.id, device.asset_tag).id)
    session.commit()
    barrier = threading.Barrier(8, timeout=20)
    settings = settings_for(app)

    def issue(index: int) -> str:
        barrier.wait()
        return handover(db.session, actor(app, "technicien"), reservations[index], settings,
                        payment_method="cash", workshop_session_id=workshops[index]).invoice.number

    results = run_in_threads(app, 8, issue)
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(int(number.rsplit("-", 1)[1]) for _, number in results)
    assert numbers == list(range(1, 9))
    session.expire_all()
    positions = sorted(session.execute(select(Invoice.chain_position)).scalars())
    assert positions == list(range(1, 9))
    assert verify_chain(session) == []


def test_twenty_concurrent_bookings_fill_the_capacity_then_the_waiting_list(app, session, pg_only):
    workshop_id = make_session(app, session, capacity=8).id
    households = [validated_request(app, session, phone=f"0696 60 00 {i:02d}", last_name=f"Foyer{i}").household_id
                  for i in range(20)]
    session.commit()
    barrier = threading.Barrier(20, timeout=30)

    def attempt(index: int) -> str:
        barrier.wait()
        return book(db.session, actor(app, "technicien"), workshop_id, households[index]).status

    results = run_in_threads(app, 20, attempt)
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(status for _, status in results) == ["booked"] * 8 + ["waitlisted"] * 12
    session.expire_all()
    waiting = session.execute(select(Booking).where(Booking.session_id == workshop_id, Booking.status == "waitlisted")
                              .order_by(Booking.booked_at, Booking.id)).scalars().all()
    # Positions run 1..12 in the order the waiting list was joined.
    assert sorted(b.queue_number for b in waiting) == list(range(1, 13))
    assert sorted(waitlist_position(session, b) for b in waiting) == list(range(1, 13))


def test_two_requests_reserving_the_same_device_at_once_only_one_wins(app, session, pg_only):
    shop = make_workshop(session)
    tag = stock_device(session, shop).asset_tag
    requests = [validated_request(app, session, phone=f"0696 70 00 {i:02d}", last_name=f"Foyer{i}").id
                for i in range(2)]
    session.commit()
    barrier = threading.Barrier(2, timeout=10)

    def attempt(index: int) -> int:
        barrier.wait()
        return reserve(db.session, actor(app, "technicien"), requests[index], tag).id

    results = run_in_threads(app, 2, attempt)
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for k, v in results if k == "error"), Conflict)
    session.expire_all()
    assert len(session.execute(select(Reservation).where(Reservation.status == "active")).scalars().all()) == 1


def test_one_request_reserving_two_devices_at_once_holds_only_one(app, session, pg_only):
    shop = make_workshop(session)
    tags = [stock_device(session, shop).asset_tag for _ in range(2)]
    request_id = validated_request(app, session).id
    session.commit()
    barrier = threading.Barrier(2, timeout=10)

    def attempt(index: int) -> int:
        barrier.wait()
        return reserve(db.session, actor(app, "technicien"), request_id, tags[index]).id

    results = run_in_threads(app, 2, attempt)
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    session.expire_all()
    states = sorted(d for d in session.execute(select(Reservation.device_id)).scalars())
    assert len(states) == 1
