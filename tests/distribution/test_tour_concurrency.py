"""A tour's sync under concurrency (issue 20, docs/mobile-tour-design.md § 3.2): the same batch
sent twice at once is applied once, the other copy answering « repeat »; a handover synced while
the office hands another device over on the same workshop session ends with both, without a
deadlock (lock order: tour → reservation → workshop session → unit → invoice-chain counter, as the
office takes reservation → session → counter); attendance synced while the office cancels the
session, likewise (session → booking, as the office); two downloads at once load a preselected
device on one tour only; two downloads of one unit at once take it out once. Both engines."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from distribution.models import Booking, Invoice
from distribution.services import handover as office_handover
from distribution.services import tour_handover, tour_sync
from distribution.services.handover import handover
from distribution.services.invoicing import verify_chain
from distribution.services.tour_sync import apply_batch
from distribution.services.tours import Programme, download_tour
from distribution.tour.models import MobileTour, MobileUnit, TourAction
from distribution.tour.offline import OfflineDevice as Van
from tests.concurrency import values
from tests.distribution.tours import MACOUBA, reserved_in_macouba
from tests.helpers import actor, make_session, settings_for
from core.clock import to_local, utcnow

pytestmark = pytest.mark.concurrency
KEY = "5b0e9d7c-3f41-4c2a-9a57-0d6f1e2b7c13"


@pytest.fixture
def out(app, session, shop):
    """Unit M1 out on tour at a Macouba stop under way, one device loaded; a coming session at
    Macouba that the tour proposes and the office books too; a third household whose reservation
    the office hands over."""
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    stop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    coming = make_session(app, session, commune=MACOUBA, days=3)
    loaded = reserved_in_macouba(app, session, shop, "Chargée", "0696 40 40 41")
    tour = download_tour(session, actor(app, "technicien"), tour_date=to_local(stop.starts_at).date(),
                         session_ids=[stop.id], device_key=KEY, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), unit="M1", reservation_ids=[loaded.id],
                         now=stop.starts_at - timedelta(hours=3))
    office = reserved_in_macouba(app, session, shop, "Bureau", "0696 40 40 42")
    return tour, coming, loaded, office


def _sync(app, tour, batch):
    return apply_batch(db.session, actor(app, "technicien"), tour.id, {"device_key": KEY, "format": 1, "actions": batch})


def _meet_before_first(monkeypatch, module, name: str, contest) -> None:
    """Each thread meets the others just before its first call of ``module.name`` (a row lock)."""
    real, local = getattr(module, name), threading.local()

    def meet_then_call(*args, **kwargs):
        if not getattr(local, "met", False):
            local.met = True
            contest.meet_at_guard()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, meet_then_call)


def test_the_same_batch_sent_twice_at_once_is_applied_once(app, session, race, out, monkeypatch):
    tour, coming, loaded, _ = out
    van = Van(tour.snapshot)
    batch = [van.handover(loaded.id, utcnow() - timedelta(minutes=5), session_id=coming.id),
             van.action("close", {"note": None}, utcnow() - timedelta(minutes=1))]
    contest = race(2)
    _meet_before_first(monkeypatch, tour_sync, "_locked_tour", contest)

    def sending(index: int):
        contest.meet_at_start()
        return _sync(app, tour, batch)

    answers = values(contest.run(sending))
    for seq in (1, 2):       # each action applied by one copy, the other answering « repeat »
        results = [r for answer in answers for r in answer["results"] if r["seq"] == seq]
        assert sorted((r["outcome"], r["repeat"]) for r in results) == [("applied", False), ("applied", True)], answers
    assert session.execute(select(func.count()).select_from(Invoice)).scalar_one() == 1
    assert session.execute(select(func.count()).select_from(TourAction)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(Booking)
                           .where(Booking.reservation_id == loaded.id)).scalar_one() == 1
    assert verify_chain(session) == []


def test_a_tour_handover_and_an_office_handover_on_one_session_do_not_deadlock(app, session, race, out,
                                                                                 monkeypatch):
    tour, coming, loaded, office = out
    batch = [Van(tour.snapshot).handover(loaded.id, utcnow() - timedelta(minutes=5), session_id=coming.id)]
    contest = race(2)
    real_book = office_handover.book_seat

    def book_then_meet(*args, **kwargs):
        # The office holds the session's row, then lingers before taking the invoice-chain
        # counter: a sync that took the counter first and then waited for the session would wait
        # for the office while the office waits for it.
        booking = real_book(*args, **kwargs)
        contest.meet_at_guard()
        time.sleep(0.5)
        return booking

    _meet_before_first(monkeypatch, tour_handover, "register", contest)
    monkeypatch.setattr(office_handover, "book_seat", book_then_meet)

    def working(index: int):
        contest.meet_at_start()
        if index == 0:
            return _sync(app, tour, batch)["results"][0]["outcome"]
        return handover(db.session, actor(app, "technicien"), office.id, settings_for(app), payment_method="cash",
                        workshop_session_id=coming.id).invoice.number

    synced, issued = values(contest.run(working))
    assert synced == "applied" and issued.startswith("F-")
    assert session.execute(select(func.count()).select_from(Booking)
                           .where(Booking.session_id == coming.id)).scalar_one() == 2
    assert verify_chain(session) == []


def test_two_downloads_at_once_load_a_preselected_device_on_one_tour_only(app, session, race, out, monkeypatch):
    from distribution.services import tours as tours_module
    from distribution.tour.models import MobileTourReservation

    tour, _, loaded, office = out      # both Macouba households' reservations are preselected below
    stop = tour.sessions[0]
    tour.status = "closed"             # M1 is free again, and the device it carried too
    session.add(MobileUnit(code="M2", name="Camion Sud", active=True))
    session.commit()
    contest = race(2)
    _meet_before_first(monkeypatch, tours_module, "_chosen_reservations", contest)
    real = tours_module._loaded_elsewhere

    def check_then_linger(*args, **kwargs):     # without the lock, the other download checks meanwhile
        found = real(*args, **kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(tours_module, "_loaded_elsewhere", check_then_linger)

    def downloading(index: int):
        contest.meet_at_start()
        return download_tour(db.session, actor(app, "admin" if index else "technicien"),
                             tour_date=to_local(stop.starts_at).date(), session_ids=[stop.id], device_key=KEY,
                             settings=settings_for(app), programme=Programme("Rekonekt", None),
                             unit="M2" if index else "M1", now=stop.starts_at - timedelta(hours=2)).id

    values(contest.run(downloading))
    for reservation in (loaded, office):
        tours = session.execute(select(MobileTourReservation.tour_id).join(MobileTour)
                                .where(MobileTourReservation.reservation_id == reservation.id,
                                       MobileTour.status == "out")).scalars().all()
        assert len(tours) == 1, tours


def test_attendance_synced_while_the_office_cancels_the_session_does_not_deadlock(app, session, race, monkeypatch):
    from distribution.services import workshops
    from distribution.services.workshops import book, cancel_session
    from tests.helpers import make_household

    stop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    household = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name="Présente",
                               first_name="Rose", phone="0696 40 40 43")
    booking = book(session, actor(app, "technicien"), stop.id, household.id, now=stop.starts_at - timedelta(hours=5))
    tour = download_tour(session, actor(app, "animateur"), tour_date=to_local(stop.starts_at).date(),
                         session_ids=[stop.id], device_key=KEY, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), now=stop.starts_at - timedelta(hours=3))
    mark = Van(tour.snapshot).action("attendance", {"booking_id": booking.id, "attended": True}, utcnow())
    contest = race(2)
    _meet_before_first(monkeypatch, tour_sync, "_stop", contest)
    real_lock = workshops.session_by_id

    def lock_then_meet(*args, **kwargs):
        # The office holds the session's row, then lingers before cancelling its bookings: a sync
        # that locked the booking first and then waited for the session would wait for the office
        # while the office waits for it.
        workshop = real_lock(*args, **kwargs)
        contest.meet_at_guard()
        time.sleep(0.5)
        return workshop

    monkeypatch.setattr(workshops, "session_by_id", lock_then_meet)

    def working(index: int):
        contest.meet_at_start()
        if index == 0:
            return apply_batch(db.session, actor(app, "animateur"), tour.id,
                               {"device_key": KEY, "format": 1, "actions": [mark]})["results"][0]["outcome"]
        return cancel_session(db.session, actor(app, "technicien"), stop.id, reason="Pluie").cancelled_at is not None

    synced, cancelled = values(contest.run(working))
    assert cancelled and synced in ("applied", "conflict")


def test_two_downloads_of_one_unit_at_once_take_it_out_once(app, session, race, out, monkeypatch):
    """One tour out per unit (one writer per invoice series): the unit's row is locked while the
    download looks for a tour out, so the second download reads the first and is refused in French,
    naming the tour that has the series out (without the lock, the partial unique index would refuse
    it with a bare « vient d'être sortie »)."""
    from core.errors import Conflict
    from distribution.services import tours as tours_module

    tour, _, _, _ = out
    stop = tour.sessions[0]
    tour.status = "closed"             # M1 is free again
    session.commit()
    contest = race(2)
    _meet_before_first(monkeypatch, tours_module, "_unit", contest)

    def downloading(index: int):
        contest.meet_at_start()
        return download_tour(db.session, actor(app, "admin" if index else "technicien"),
                             tour_date=to_local(stop.starts_at).date(), session_ids=[stop.id], device_key=KEY,
                             settings=settings_for(app), programme=Programme("Rekonekt", None), unit="M1",
                             reservation_ids=[], now=stop.starts_at - timedelta(hours=2)).reference

    outcomes = contest.run(downloading)
    [winner] = [o.value for o in outcomes if o.ok]
    [loser] = [o.error for o in outcomes if not o.ok]
    assert type(loser) is Conflict
    assert loser.message.startswith(f"La série F-M1 est déjà sortie avec la tournée {winner} du "), loser.message
    session.expire_all()
    out_now = session.execute(select(MobileTour.reference).join(MobileUnit)
                              .where(MobileUnit.code == "M1", MobileTour.status == "out")).scalars().all()
    assert out_now == [winner]
