"""Onboarding workshops: sessions, bookings with a waiting list, cancellations that promote the
first waiting, attendance and satisfaction, the sessions proposed at handover, and the
cancellation of a whole session (and its restoring by Admin).

Capacity is never exceeded: a booking locks its session row (SELECT … FOR UPDATE on PostgreSQL;
SQLite serialises writers), counts the seats taken under the lock, and books or waitlists. A
session's cancellation takes the same lock, so no booking or attendance slips in beside it.

A cancelled session stays on record (when, by whom, why). Its live bookings are cancelled at the
very instant of the session's ``cancelled_at``: that shared instant is how ``restore_session``
tells them from bookings cancelled one by one before."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.clock import to_local, utcnow
from core.schemas import forbidden_text, parse_id
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.territory import Commune
from core.actor import AGENT_EPCI, ANIMATEUR
from distribution.access import bookable_household, is_animateur, is_stock_manager, require_stock_manager
from distribution.models import Booking, WorkshopSession
from distribution.queries import booking_rows
from distribution.vocabulary import BookingGroup, BookingStatus
from core.actor import Actor
from eligibility.access import scope, visible_households
from eligibility.models import Household
from core.unit_of_work import unit_of_work

BOOKED, WAITLISTED = BookingStatus.BOOKED.value, BookingStatus.WAITLISTED.value
CANCELLED = BookingStatus.CANCELLED.value
SESSION_NOT_FOUND = "Atelier introuvable."
CANCEL_REASON_CHARS = 1000


@dataclass(frozen=True)
class Proposal:
    session: WorkshopSession
    free_seats: int
    proximity: int   # 0 same commune, 1 same EPCI, 2 elsewhere

    @property
    def proximity_label(self) -> str:
        return ("Dans votre commune", "Dans votre EPCI", "Ailleurs en Martinique")[self.proximity]


def seats_taken(session: Session, session_id: int) -> int:
    return session.execute(select(func.count()).select_from(Booking)
                           .where(Booking.session_id == session_id, Booking.status == BOOKED)).scalar_one()


def free_seats(session: Session, workshop: WorkshopSession) -> int:
    return max(workshop.capacity - seats_taken(session, workshop.id), 0)


def create_session(session: Session, actor: Actor, data: dict) -> WorkshopSession:
    """A new session from checked data (see schemas.WorkshopIn). Forbidden unless stock manager."""
    require_stock_manager(actor)
    data = dict(data)
    username = data.pop("facilitator", None)
    if username:
        user = session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
        if user is None or not user.active or ANIMATEUR not in {r.name for r in user.roles}:
            raise ValidationFailed({"facilitator": [f"« {username} » n'est pas un compte Animateur actif."]})
        data["facilitator_id"] = user.id
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationFailed({"ends_at": ["L'heure de fin doit suivre l'heure de début."]})
    if session.get(Commune, data["commune_insee"]) is None:
        raise ValidationFailed({"commune_insee": ["Code INSEE d'une des 34 communes de Martinique attendu."]})
    with unit_of_work(session):
        workshop = WorkshopSession(created_by_id=actor.id, **data)
        session.add(workshop)
        session.flush()
    return workshop


def session_by_id(session: Session, session_id, *, for_update: bool = False) -> WorkshopSession:
    key = parse_id(session_id)
    if key is None:
        raise NotFound(SESSION_NOT_FOUND)
    workshop = session.get(WorkshopSession, key, with_for_update=for_update, populate_existing=for_update)
    if workshop is None:
        raise NotFound(SESSION_NOT_FOUND)
    return workshop


def upcoming(session: Session, *, topic: str | None = None, commune: str | None = None,
             start: datetime | None = None, only_free: bool = True, limit: int = 100,
             actor: Actor | None = None) -> list[tuple[WorkshopSession, int]]:
    """Sessions starting after ``start`` (now), soonest first, with their free seats; never a
    cancelled one. With an ``actor``, only what they may list: an Animateur (who books no
    household) their own sessions, as on the pages; those who book households (stock managers,
    agents, prescripteurs) all."""
    taken = (select(Booking.session_id, func.count().label("n")).where(Booking.status == BOOKED)
             .group_by(Booking.session_id).subquery())
    stmt = (select(WorkshopSession, (WorkshopSession.capacity - func.coalesce(taken.c.n, 0)).label("free"))
            .outerjoin(taken, taken.c.session_id == WorkshopSession.id)
            .where(WorkshopSession.starts_at > (start or utcnow()), WorkshopSession.cancelled_at.is_(None)))
    if topic:
        stmt = stmt.where(WorkshopSession.topic == topic)
    if commune:
        stmt = stmt.where(WorkshopSession.commune_insee == commune)
    if only_free:
        stmt = stmt.where(WorkshopSession.capacity - func.coalesce(taken.c.n, 0) > 0)
    if actor is not None and only_own_sessions(actor):
        stmt = stmt.where(WorkshopSession.facilitator_id == actor.id)
    rows = session.execute(stmt.order_by(WorkshopSession.starts_at, WorkshopSession.id).limit(limit)).all()
    return [(w, max(free, 0)) for w, free in rows]


def propose_sessions(session: Session, household: Household, topic: str, *, now: datetime | None = None,
                     limit: int = 6) -> list[Proposal]:
    """The next sessions on ``topic`` nearest the household: its commune first, then its EPCI, then
    anywhere; soonest first within each. Full sessions are included (booking them waitlists);
    cancelled ones are not (``upcoming``)."""
    commune = household.commune
    proposals = []
    for workshop, free in upcoming(session, topic=topic, start=now, only_free=False, limit=500):
        if workshop.commune_insee == commune.insee_code:
            rank = 0
        elif workshop.commune.epci_id == commune.epci_id:
            rank = 1
        else:
            rank = 2
        proposals.append(Proposal(workshop, free, rank))
    proposals.sort(key=lambda p: (p.proximity, p.session.starts_at, p.session.id))
    return proposals[:limit]


def waitlist_position(session: Session, booking: Booking) -> int | None:
    if booking.status != WAITLISTED:
        return None
    return session.execute(select(func.count()).select_from(Booking).where(
        Booking.session_id == booking.session_id, Booking.status == WAITLISTED,
        Booking.queue_number <= booking.queue_number)).scalar_one()


def book_seat(session: Session, workshop_id: int, household: Household, *, user_id: int | None, now: datetime,
              reservation_id: int | None = None, started_ok: bool = False) -> Booking:
    """Book (or waitlist) a household on a session, in the caller's transaction (no commit).
    Conflict when the session is cancelled or has started — unless ``started_ok``: a handover on
    tour books the household on the stop it is at, which has begun (issue 20)."""
    workshop = session_by_id(session, workshop_id, for_update=True)
    if workshop.cancelled_at is not None:
        start = to_local(workshop.starts_at)
        raise Conflict(f"Cet atelier a été annulé : la séance du {start:%d/%m/%Y} à {start:%H:%M} "
                       f"({workshop.commune.name}) n'aura pas lieu. Choisissez une autre session.")
    if workshop.starts_at <= now and not started_ok:
        raise Conflict("Cet atelier a déjà commencé : choisissez une session à venir.")
    live = session.execute(select(Booking).where(Booking.session_id == workshop.id,
                                                 Booking.household_id == household.id,
                                                 Booking.status.in_(BookingGroup.LIVE))).scalar_one_or_none()
    if live is not None:
        raise Conflict(f"Ce foyer est déjà inscrit à cet atelier ({live.status_label.lower()}).")
    taken = seats_taken(session, workshop.id)
    booking = Booking(session=workshop, household=household, booked_at=now, booked_by_id=user_id,
                      reservation_id=reservation_id)
    if taken < workshop.capacity:
        booking.status = BOOKED
    else:
        workshop.waitlist_counter += 1
        booking.status, booking.queue_number = WAITLISTED, workshop.waitlist_counter
    session.add(booking)
    session.flush()
    return booking


def book(session: Session, actor: Actor, workshop_id, household_id, *, now: datetime | None = None) -> Booking:
    """Book a household the actor may see on a session (one transaction)."""
    now = now or utcnow()
    with unit_of_work(session):
        household = bookable_household(session, actor, household_id)
        booking = book_seat(session, workshop_id, household, user_id=actor.id, now=now)
    return booking


def booking_by_id(session: Session, booking_id) -> Booking:
    key = parse_id(booking_id)
    booking = session.get(Booking, key) if key is not None else None
    if booking is None:
        raise NotFound("Inscription introuvable.")
    return booking


def _may_manage_booking(session: Session, actor: Actor, booking: Booking) -> None:
    if is_stock_manager(actor):
        return
    if actor.is_agent or actor.is_prescripteur:
        bookable_household(session, actor, booking.household_id)   # NotFound when hidden
        return
    raise Forbidden("Votre rôle ne permet pas de gérer cette inscription.")


def cancel(session: Session, actor: Actor, booking_id, *, session_id: int | None = None,
           now: datetime | None = None) -> Booking:
    """Cancel a booking; when it held a seat, the first on the waiting list takes it. With
    ``session_id``, a booking of another session is not found."""
    now = now or utcnow()
    with unit_of_work(session):
        booking = booking_by_id(session, booking_id)
        _may_manage_booking(session, actor, booking)
        if session_id is not None and booking.session_id != session_id:
            raise NotFound("Inscription introuvable.")
        session_by_id(session, booking.session_id, for_update=True)
        session.refresh(booking)
        if booking.status not in BookingGroup.LIVE:
            raise Conflict(f"Cette inscription ne peut plus être annulée ({booking.status_label.lower()}).")
        held_seat = booking.status == BOOKED
        booking.status, booking.cancelled_at, booking.queue_number = BookingStatus.CANCELLED.value, now, None
        if held_seat:
            first = session.execute(select(Booking).where(Booking.session_id == booking.session_id,
                                                          Booking.status == WAITLISTED)
                                    .order_by(Booking.queue_number).limit(1)).scalar_one_or_none()
            if first is not None:
                first.status, first.promoted_at = BOOKED, now
    return booking


def record_attendance(session: Session, actor: Actor, booking_id, *, attended: bool, satisfaction: int | None = None,
                      now: datetime | None = None) -> Booking:
    """The facilitator (or Admin) marks a participant present or absent, with an optional
    satisfaction score (1–5) for those present. Only once the session has started, and never on
    a cancelled session (Conflict)."""
    now = now or utcnow()
    booking = booking_by_id(session, booking_id)
    workshop = booking.session
    if not (actor.is_admin or (is_animateur(actor) and workshop.facilitator_id == actor.id)):
        if is_animateur(actor):
            raise NotFound("Inscription introuvable.")   # another facilitator's session: not shown at all
        raise Forbidden("Seuls l'animateur de l'atelier et l'administrateur notent la présence.")
    if satisfaction is not None and not attended:
        raise ValidationFailed({"satisfaction": ["La satisfaction se note seulement pour un participant présent."]})
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationFailed({"satisfaction": ["Note de satisfaction de 1 à 5 attendue."]})
    with unit_of_work(session):
        # Under the session's lock: a cancellation of the session cannot slip in between.
        workshop = session_by_id(session, booking.session_id, for_update=True)
        session.refresh(booking)
        if workshop.cancelled_at is not None:
            raise Conflict(f"Cet atelier a été annulé le {to_local(workshop.cancelled_at):%d/%m/%Y} : la présence "
                           "ne s'y note pas. S'il a bien eu lieu, l'administrateur le rétablit d'abord.")
        if workshop.starts_at > now:
            raise Conflict("La présence se note une fois l'atelier commencé.")
        if booking.status not in BookingGroup.SEATED:
            raise Conflict(f"Cette inscription n'a pas de place à l'atelier ({booking.status_label.lower()}).")
        booking.status = BookingStatus.ATTENDED.value if attended else BookingStatus.NO_SHOW.value
        booking.satisfaction = satisfaction if attended else None
        booking.attendance_at, booking.attendance_by_id = now, actor.id
    return booking


def _user_name(user: User | None) -> str:
    if user is None:
        return "compte supprimé"
    return (user.get_full_name() or "").strip() or user.username


def _cancel_reason(reason) -> str:
    """The reason, stripped, or ValidationFailed on ``reason`` (French, naming the field)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationFailed({"reason": ["Motif de l'annulation attendu : dites pourquoi l'atelier n'a pas lieu."]})
    if len(text) > CANCEL_REASON_CHARS:
        raise ValidationFailed({"reason": ["Motif de l'annulation de 1 000 caractères au plus attendu."]})
    if forbidden_text(text):
        raise ValidationFailed({"reason": ["Motif de l'annulation : texte sans caractère nul attendu."]})
    return text


def cancel_session(session: Session, actor: Actor, session_id, *, reason, now: datetime | None = None) -> WorkshopSession:
    """Cancel a whole session (Admin, Technicien), in one unit of work under the session's lock:
    the session records when, by whom and why, and every live booking of it (booked or
    waitlisted) is cancelled at that same instant, leaving the waiting list. Bookings already
    marked present or absent stay as they are. The session is then no longer proposed, booked
    nor counted as held.

    Raises Forbidden (not a stock manager), ValidationFailed on ``reason`` (missing, too long),
    NotFound, Conflict (already cancelled)."""
    require_stock_manager(actor)
    reason = _cancel_reason(reason)
    now = now or utcnow()
    with unit_of_work(session):
        workshop = session_by_id(session, session_id, for_update=True)
        if workshop.cancelled_at is not None:
            raise Conflict(f"Cet atelier est déjà annulé, depuis le {to_local(workshop.cancelled_at):%d/%m/%Y à %H:%M} "
                           f"(par {_user_name(workshop.cancelled_by)}).")
        workshop.cancelled_at, workshop.cancelled_by_id, workshop.cancel_reason = now, actor.id, reason
        live = session.execute(select(Booking).where(Booking.session_id == workshop.id,
                                                     Booking.status.in_(BookingGroup.LIVE))).scalars()
        for booking in live:
            booking.status, booking.cancelled_at, booking.queue_number = CANCELLED, now, None
    return workshop


def restore_session(session: Session, actor: Actor, session_id, *, now: datetime | None = None) -> WorkshopSession:
    """Restore a cancelled session (Admin only: « Rétablir l'atelier », for a session cancelled by
    mistake or that did take place), in one unit of work under the session's lock. The
    cancellation is cleared, and the bookings cancelled with it (their ``cancelled_at`` is the
    session's) get their place back, in booking order: a seat while the capacity allows (seats
    held by participants already marked present or absent count), then the waiting list, numbered
    after the session's counter. Bookings cancelled one by one before stay cancelled. ``now`` is
    accepted as ``cancel_session`` accepts it; a restore records no moment (it clears the
    cancellation's columns).

    Raises Forbidden (not Admin), NotFound, Conflict (not cancelled)."""
    if not actor.is_admin:
        raise Forbidden("Seul l'administrateur rétablit un atelier annulé.")
    with unit_of_work(session):
        workshop = session_by_id(session, session_id, for_update=True)
        if workshop.cancelled_at is None:
            raise Conflict("Cet atelier n'est pas annulé : il n'y a rien à rétablir.")
        cancelled = session.execute(select(Booking).where(
            Booking.session_id == workshop.id, Booking.status == CANCELLED,
            Booking.cancelled_at == workshop.cancelled_at).order_by(Booking.booked_at, Booking.id)).scalars().all()
        seated = session.execute(select(func.count()).select_from(Booking).where(
            Booking.session_id == workshop.id, Booking.status.in_(BookingGroup.SEATED))).scalar_one()
        free = max(workshop.capacity - seated, 0)
        for booking in cancelled:
            booking.cancelled_at = None
            if free > 0:
                booking.status, free = BOOKED, free - 1
            else:
                workshop.waitlist_counter += 1
                booking.status, booking.queue_number = WAITLISTED, workshop.waitlist_counter
        workshop.cancelled_at = workshop.cancelled_by_id = workshop.cancel_reason = None
    return workshop


def cancelled_with_session(booking: Booking, workshop: WorkshopSession) -> bool:
    """Whether ``booking`` was cancelled by the cancellation of its session (the same instant)."""
    return (workshop.cancelled_at is not None and booking.status == CANCELLED
            and booking.cancelled_at == workshop.cancelled_at)


def participants(session: Session, workshop: WorkshopSession) -> list[tuple[Booking, int | None]]:
    """The bookings a session's page lists, each with its waiting-list position: every one not
    cancelled and, on a cancelled session, those cancelled with it (the households to tell)."""
    return [(b, waitlist_position(session, b)) for b in workshop.bookings
            if b.status != CANCELLED or cancelled_with_session(b, workshop)]


def only_own_sessions(actor: Actor) -> bool:
    """An Animateur who neither manages stock nor books households sees their own sessions only."""
    return is_animateur(actor) and not (is_stock_manager(actor) or actor.is_agent or actor.is_prescripteur)


def books_households(actor: Actor) -> bool:
    """Those who book on workshops the households they may see (``eligibility.access``): Admin,
    EPCI agents and prescripteurs. (The workshop books at the handover; an Animateur books nobody.)"""
    return actor.is_admin or AGENT_EPCI in actor.roles or actor.is_prescripteur


def sessions_of(session: Session, actor: Actor, *, now: datetime | None = None):
    """The sessions the actor may list: all for stock managers; the upcoming ones for those who
    book households (they book on them); their own for an Animateur."""
    stmt = select(WorkshopSession)
    if is_stock_manager(actor):
        return stmt
    clauses = []
    if books_households(actor):
        clauses.append(WorkshopSession.starts_at > (now or utcnow()))
    if is_animateur(actor):
        clauses.append(WorkshopSession.facilitator_id == actor.id)
    if not clauses:
        raise Forbidden("Votre rôle ne permet pas de consulter les ateliers.")
    return stmt.where(or_(*clauses))


def households_bookings(actor: Actor, *, session_id: int | None = None, upcoming_only: bool = False,
                        now: datetime | None = None):
    """The statement of the bookings of the households the actor may see, joined to their
    household and session: of one session, or of every upcoming session. Cancelled bookings are
    left out, but those cancelled with their session (the household is to be told)."""
    stmt = (scope(select(Booking).join(Booking.household), actor)
            .join(Booking.session)
            .where(or_(Booking.status != CANCELLED,
                       and_(WorkshopSession.cancelled_at.is_not(None),
                            Booking.cancelled_at == WorkshopSession.cancelled_at))))
    if session_id is not None:
        stmt = stmt.where(Booking.session_id == session_id)
    if upcoming_only:
        stmt = stmt.where(WorkshopSession.starts_at > (now or utcnow()))
    return stmt


def bookings_of_households(session: Session, actor: Actor, *, session_id: int | None = None,
                           upcoming_only: bool = False, now: datetime | None = None) -> list[tuple[Booking, int | None]]:
    """The bookings of the households the actor may see (``households_bookings``), each with its
    position on the waiting list: of one session, or of every upcoming session; soonest first."""
    return booking_rows(session, households_bookings(actor, session_id=session_id, upcoming_only=upcoming_only,
                                                     now=now))


@dataclass(frozen=True)
class BookingDesk:
    """A session as one who books households sees it: its free seats and waiting list, the
    bookings of the households they may see, and those they may still book on it."""
    workshop: WorkshopSession
    free_seats: int
    waiting: int
    open: bool                                   # not started nor cancelled: booking and cancelling allowed
    bookings: list[tuple[Booking, int | None]] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)


def booking_desk(session: Session, actor: Actor, session_id, *, now: datetime | None = None) -> BookingDesk:
    """What the actor needs to book their households on a session: any session, for those who
    book households (Forbidden for others, NotFound for an unknown session). The households
    offered are the ones they may see, not anonymised, not already booked or waiting there; none
    on a session started or cancelled."""
    if not books_households(actor):
        raise Forbidden("Votre rôle ne permet pas d'inscrire un foyer à un atelier.")
    workshop = session_by_id(session, session_id)
    now = now or utcnow()
    is_open = workshop.starts_at > now and workshop.cancelled_at is None
    households: list[Household] = []
    if is_open:
        live = select(Booking.household_id).where(Booking.session_id == workshop.id,
                                                  Booking.status.in_(BookingGroup.LIVE))
        households = list(session.execute(
            visible_households(actor).where(Household.anonymised_at.is_(None), Household.id.not_in(live))
            .order_by(Household.last_name, Household.first_name, Household.id)).scalars())
    waiting = session.execute(select(func.count()).select_from(Booking).where(
        Booking.session_id == workshop.id, Booking.status == WAITLISTED)).scalar_one()
    return BookingDesk(workshop, free_seats(session, workshop), waiting, is_open,
                       bookings_of_households(session, actor, session_id=workshop.id), households)


def visible_session(session: Session, actor: Actor, session_id) -> WorkshopSession:
    workshop = session_by_id(session, session_id)
    if is_stock_manager(actor) or (is_animateur(actor) and workshop.facilitator_id == actor.id):
        return workshop
    if is_animateur(actor):
        raise NotFound(SESSION_NOT_FOUND)
    raise Forbidden("Votre rôle ne permet pas de consulter cet atelier.")

