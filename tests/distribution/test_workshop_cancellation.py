"""Cancelling a whole workshop session, and restoring it (issue 20, step 3 of
docs/mobile-tour-design.md): who may, the reason, the live bookings cancelled with it (attendance
kept), the places given back on restoring (seats up to the capacity in booking order, then the
waiting list), and its effects: no longer proposed, booked, marked present nor counted as held."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from core.clock import local_today, to_local
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from distribution.models import Booking, WorkshopSession
from distribution.services.workshops import (
    book,
    cancel,
    cancel_session,
    participants,
    propose_sessions,
    record_attendance,
    restore_session,
    upcoming,
    waitlist_position,
)
from reporting.filters import Filters
from reporting.indicators import indicators
from reporting.records import indicators_from_records, workshop_figures
from tests.concurrency import values
from tests.helpers import actor, make_household, make_session

REASON = "L'animateur est malade."


def households(app, session, count: int):
    return [make_household(app, session, "prescripteur", last_name=f"Foyer{i}", phone=f"0696 40 00 {i:02d}",
                           email=f"foyer{i}@example.org") for i in range(count)]


def statuses(session, workshop_id: int) -> list[tuple[str, int | None]]:
    session.expire_all()
    rows = session.execute(select(Booking).where(Booking.session_id == workshop_id).order_by(Booking.id)).scalars()
    return [(b.status, b.queue_number) for b in rows]


def test_only_stock_managers_cancel_with_a_reason(app, session):
    workshop = make_session(app, session)
    for username in ("agent.cacem", "prescripteur", "animateur", "partenaire"):
        with pytest.raises(Forbidden):
            cancel_session(session, actor(app, username), workshop.id, reason=REASON)
    for blank in ("", "   \n", None):
        with pytest.raises(ValidationFailed) as refused:
            cancel_session(session, actor(app, "technicien"), workshop.id, reason=blank)
        assert refused.value.errors == {
            "reason": ["Motif de l'annulation attendu : dites pourquoi l'atelier n'a pas lieu."]}
    with pytest.raises(ValidationFailed) as refused:
        cancel_session(session, actor(app, "technicien"), workshop.id, reason="x" * 1001)
    assert refused.value.errors == {"reason": ["Motif de l'annulation de 1 000 caractères au plus attendu."]}
    with pytest.raises(NotFound):
        cancel_session(session, actor(app, "technicien"), 999999, reason=REASON)
    session.expire_all()
    assert session.get(WorkshopSession, workshop.id).cancelled_at is None

    done = cancel_session(session, actor(app, "admin"), workshop.id, reason=f"  {REASON}  ")
    session.expire_all()
    stored = session.get(WorkshopSession, workshop.id)
    assert stored.cancelled_at is not None and stored.cancel_reason == REASON
    assert stored.cancelled_by_id == app.appbuilder.sm.find_user("admin").id and done.id == workshop.id


def test_cancelling_ends_the_live_bookings_and_keeps_the_attendance(app, session):
    workshop = make_session(app, session, capacity=3)
    start = workshop.starts_at
    present, absent, seated, waiting, left_before = households(app, session, 5)
    manager = actor(app, "technicien")
    booked = [book(session, manager, workshop.id, h.id, now=start - timedelta(days=3)).id
              for h in (present, absent, seated, waiting, left_before)]
    cancel(session, manager, booked[4], now=start - timedelta(days=2))       # the second waiting, alone
    record_attendance(session, actor(app, "animateur"), booked[0], attended=True, satisfaction=5,
                      now=start + timedelta(minutes=10))
    record_attendance(session, actor(app, "animateur"), booked[1], attended=False, now=start + timedelta(minutes=10))
    assert statuses(session, workshop.id) == [("attended", None), ("no_show", None), ("booked", None),
                                              ("waitlisted", 1), ("cancelled", None)]

    when = start + timedelta(hours=1)
    cancel_session(session, manager, workshop.id, reason=REASON, now=when)
    assert statuses(session, workshop.id) == [("attended", None), ("no_show", None), ("cancelled", None),
                                              ("cancelled", None), ("cancelled", None)]
    rows = {b.id: b for b in session.execute(select(Booking).where(Booking.session_id == workshop.id)).scalars()}
    assert [rows[i].cancelled_at for i in booked[2:4]] == [when, when]
    assert rows[booked[4]].cancelled_at == start - timedelta(days=2)          # its own cancellation, kept
    assert rows[booked[0]].satisfaction == 5 and rows[booked[0]].cancelled_at is None
    stored = session.get(WorkshopSession, workshop.id)
    # The page lists those still on record and those cancelled with the session, not the one who left before.
    assert [b.id for b, _ in participants(session, stored)] == booked[:4]

    with pytest.raises(Conflict) as again:
        cancel_session(session, manager, workshop.id, reason="Encore", now=when + timedelta(hours=1))
    assert again.value.message == (f"Cet atelier est déjà annulé, depuis le {to_local(when):%d/%m/%Y à %H:%M} "
                                   "(par Technicien Test).")
    session.expire_all()
    assert session.get(WorkshopSession, workshop.id).cancel_reason == REASON


def test_restoring_gives_the_places_back_in_booking_order(app, session):
    workshop = make_session(app, session, capacity=2)
    start = workshop.starts_at
    homes = households(app, session, 6)
    manager = actor(app, "technicien")
    ids = [book(session, manager, workshop.id, h.id, now=start - timedelta(days=5, minutes=-i)).id
           for i, h in enumerate(homes)]
    cancel(session, manager, ids[1], now=start - timedelta(days=4))     # a seat freed: the first waiting takes it
    assert statuses(session, workshop.id) == [("booked", None), ("cancelled", None), ("booked", 1),
                                              ("waitlisted", 2), ("waitlisted", 3), ("waitlisted", 4)]
    cancel_session(session, manager, workshop.id, reason=REASON, now=start - timedelta(days=3))

    for username in ("technicien", "agent.cacem", "animateur"):
        with pytest.raises(Forbidden) as refused:
            restore_session(session, actor(app, username), workshop.id)
        assert refused.value.message == "Seul l'administrateur rétablit un atelier annulé."
    restored = restore_session(session, actor(app, "admin"), workshop.id)
    assert restored.id == workshop.id
    # Seats to the first two in booking order; the others wait, numbered after the counter (4).
    assert statuses(session, workshop.id) == [("booked", None), ("cancelled", None), ("booked", None),
                                              ("waitlisted", 5), ("waitlisted", 6), ("waitlisted", 7)]
    stored = session.get(WorkshopSession, workshop.id)
    assert (stored.cancelled_at, stored.cancelled_by_id, stored.cancel_reason) == (None, None, None)
    assert stored.waitlist_counter == 7
    rows = session.execute(select(Booking).where(Booking.session_id == workshop.id).order_by(Booking.id)).scalars().all()
    assert [waitlist_position(session, b) for b in rows] == [None, None, None, 1, 2, 3]
    assert [b.cancelled_at is None for b in rows] == [True, False, True, True, True, True]
    assert [w.id for w, _free in upcoming(session, only_free=False)] == [workshop.id]

    with pytest.raises(Conflict) as again:
        restore_session(session, actor(app, "admin"), workshop.id)
    assert again.value.message == "Cet atelier n'est pas annulé : il n'y a rien à rétablir."
    with pytest.raises(NotFound):
        restore_session(session, actor(app, "admin"), 999999)


def test_restoring_counts_the_seats_of_participants_already_marked(app, session):
    workshop = make_session(app, session, capacity=2)
    start = workshop.starts_at
    first, second, third = households(app, session, 3)
    manager = actor(app, "technicien")
    ids = [book(session, manager, workshop.id, h.id, now=start - timedelta(days=1, minutes=-i)).id
           for i, h in enumerate((first, second, third))]
    record_attendance(session, actor(app, "admin"), ids[0], attended=True, now=start + timedelta(minutes=5))
    cancel_session(session, manager, workshop.id, reason="Salle fermée", now=start + timedelta(minutes=30))
    restore_session(session, actor(app, "admin"), workshop.id, now=start + timedelta(hours=3))
    # One seat left beside the participant marked present: the second booked, the third waits.
    assert statuses(session, workshop.id) == [("attended", None), ("booked", None), ("waitlisted", 2)]
    # Restored, it took place: attendance is recorded again.
    record_attendance(session, actor(app, "animateur"), ids[1], attended=True, now=start + timedelta(hours=4))
    assert statuses(session, workshop.id)[1] == ("attended", None)


def test_a_cancelled_session_is_neither_proposed_nor_listed_as_upcoming(app, session):
    household = make_household(app, session, "prescripteur")
    near = make_session(app, session, commune=household.commune_insee, days=2)
    later = make_session(app, session, commune=household.commune_insee, days=9)
    assert [p.session.id for p in propose_sessions(session, household, "computer")] == [near.id, later.id]
    cancel_session(session, actor(app, "technicien"), near.id, reason=REASON)
    assert [p.session.id for p in propose_sessions(session, household, "computer")] == [later.id]
    assert [w.id for w, _free in upcoming(session, only_free=False)] == [later.id]
    assert [w.id for w, _free in upcoming(session, commune=household.commune_insee)] == [later.id]


def test_booking_a_cancelled_session_is_refused_naming_its_date(app, session):
    workshop = make_session(app, session)
    household = make_household(app, session, "prescripteur")
    cancel_session(session, actor(app, "technicien"), workshop.id, reason=REASON)
    start = to_local(workshop.starts_at)
    for username in ("technicien", "prescripteur"):
        with pytest.raises(Conflict) as refused:
            book(session, actor(app, username), workshop.id, household.id)
        assert refused.value.message == (
            f"Cet atelier a été annulé : la séance du {start:%d/%m/%Y} à {start:%H:%M} (Le Lamentin) n'aura pas "
            "lieu. Choisissez une autre session.")
    assert statuses(session, workshop.id) == []


def test_attendance_is_refused_on_a_cancelled_session(app, session):
    workshop = make_session(app, session)
    start = workshop.starts_at
    first, second = households(app, session, 2)
    manager = actor(app, "technicien")
    ids = [book(session, manager, workshop.id, h.id, now=start - timedelta(days=1)).id for h in (first, second)]
    record_attendance(session, actor(app, "animateur"), ids[0], attended=True, now=start + timedelta(minutes=5))
    when = start + timedelta(minutes=20)
    cancel_session(session, manager, workshop.id, reason=REASON, now=when)
    message = (f"Cet atelier a été annulé le {to_local(when):%d/%m/%Y} : la présence ne s'y note pas. "
               "S'il a bien eu lieu, l'administrateur le rétablit d'abord.")
    for booking_id, username in ((ids[0], "animateur"), (ids[1], "admin")):
        with pytest.raises(Conflict) as refused:
            record_attendance(session, actor(app, username), booking_id, attended=False,
                              now=start + timedelta(minutes=30))
        assert refused.value.message == message
    assert statuses(session, workshop.id) == [("attended", None), ("cancelled", None)]
    # Who may mark attendance is checked first, cancelled or not.
    with pytest.raises(Forbidden):
        record_attendance(session, actor(app, "technicien"), ids[0], attended=True, now=start + timedelta(minutes=30))


def test_the_sessions_held_leave_the_cancelled_one_out(app, session):
    held = make_session(app, session, days=-3)
    cancelled = make_session(app, session, days=-2)
    upcoming_one = make_session(app, session, days=2)
    homes = households(app, session, 2)
    manager = actor(app, "technicien")
    for workshop, household in ((held, homes[0]), (cancelled, homes[1])):
        booking = book(session, manager, workshop.id, household.id, now=workshop.starts_at - timedelta(days=1))
        record_attendance(session, actor(app, "animateur"), booking.id, attended=True,
                          satisfaction=5 if workshop is held else 1, now=workshop.starts_at + timedelta(minutes=5))
    period = Filters(date(2020, 1, 1), local_today() + timedelta(days=30))
    assert workshop_figures(session, period, None)[0] == 3
    assert workshop_figures(session, period, upcoming_one.starts_at - timedelta(days=1)) == (2, 1.0, 3.0)

    cancel_session(session, manager, cancelled.id, reason="N'a pas eu lieu", now=cancelled.starts_at + timedelta(hours=3))
    cancel_session(session, manager, upcoming_one.id, reason=REASON)
    assert workshop_figures(session, period, None) == (1, 1.0, 5.0)
    figures = indicators(session, period)
    assert figures["workshop_sessions"] == 1 and figures["satisfaction_avg"] == 5.0
    assert figures == indicators_from_records(session, period)

    restore_session(session, actor(app, "admin"), cancelled.id)
    assert indicators(session, period)["workshop_sessions"] == 2
    assert indicators_from_records(session, period)["workshop_sessions"] == 2


@pytest.mark.concurrency
def test_a_booking_racing_the_cancellation_never_stays_live(app, session, race):
    workshop_id = make_session(app, session).id
    household_id = make_household(app, session, "prescripteur").id
    session.commit()
    contest = race(2)

    def attempt(index: int) -> str:
        contest.meet()
        try:
            if index == 0:
                return cancel_session(db.session, actor(app, "technicien"), workshop_id, reason=REASON).cancel_reason
            return book(db.session, actor(app, "prescripteur"), workshop_id, household_id).status
        except Conflict as refused:
            return refused.message

    outcomes = values(contest.run(attempt))
    assert outcomes[0] == REASON
    assert outcomes[1] == "booked" or outcomes[1].startswith("Cet atelier a été annulé : la séance du ")
    assert [status for status, _ in statuses(session, workshop_id)] in ([], ["cancelled"])


def test_the_attendance_sheet_of_a_cancelled_session_says_so(app, session):
    """Its page hides the link, but the API still serves the sheet: printed, it must not look
    like a session to run."""
    import io

    from pypdf import PdfReader

    from distribution.documents.attendance_pdf import render_attendance_sheet
    from distribution.representations import attendance_document

    workshop = make_session(app, session)
    text = lambda: " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_attendance_sheet(  # noqa: E731
        attendance_document(workshop, [], "Rekonekt")))).pages)
    assert "annulé" not in text()
    cancel_session(session, actor(app, "technicien"), workshop.id, reason=REASON)
    assert f"Atelier annulé le {to_local(workshop.cancelled_at):%d/%m/%Y} : {REASON}." in " ".join(text().split())
