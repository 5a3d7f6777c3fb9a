"""Read-side queries of the handover lists (no writes): the waiting list, reservations,
invoices, workshop sessions and bookings, a page at a time (``core.paging``), each page read in a
fixed number of statements whatever its rows show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from core.paging import Page, page_of
from core.territory import Commune
from distribution.models import Booking, Invoice, Reservation, WorkshopSession
from distribution.vocabulary import BookingGroup, BookingStatus, ReservationStatus
from eligibility.models import Household, Request
from eligibility.vocabulary import RequestStatus, Situation

PER_PAGE = 50
ACTIVE = ReservationStatus.ACTIVE.value
WAITLISTED = BookingStatus.WAITLISTED.value


# --- the waiting list ---------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitingRequest:
    request: Request
    priority: int
    situations: tuple[str, ...]   # the priority situations that count, as French labels


def priority_of(situations: list[str], weights: dict[str, int]) -> int:
    return sum(weights.get(code, 0) for code in set(situations or []))


def _priority(weights: dict[str, int]):
    """``priority_of`` in SQL, on both engines: the household's situations are a JSON list of
    codes, whose text holds each code between double quotes."""
    text = cast(Household.situations, String)
    terms = [case((text.contains(f'"{code}"', autoescape=True), weight), else_=0)
             for code, weight in sorted(weights.items()) if weight]
    return sum(terms[1:], terms[0]) if terms else literal(0)


def waiting_order(weights: dict[str, int]) -> list:
    """Highest priority first, then the oldest validation, then the request's number."""
    return [_priority(weights).desc(), func.coalesce(Request.decided_at, Request.created_at).asc(), Request.id.asc()]


def waiting_statement(today: date):
    """Validated requests still valid on ``today`` holding no device, with their household and
    commune (and its EPCI)."""
    held = select(Reservation.request_id).where(Reservation.status == ACTIVE)
    return (select(Request).join(Request.household)
            .options(joinedload(Request.household).joinedload(Household.commune).joinedload(Commune.epci))
            .where(Request.status == RequestStatus.VALIDATED.value, Request.valid_until.is_not(None),
                   Request.valid_until >= today, Request.id.not_in(held)))


def waiting(item: Request, weights: dict[str, int]) -> WaitingRequest:
    situations = item.household.situations
    return WaitingRequest(item, priority_of(situations, weights),
                          tuple(Situation.label_of(s) for s in situations if weights.get(s)))


def waiting_page(session: Session, weights: dict[str, int], today: date, *, number: int | str = 1,
                 size: int | None = None) -> Page:
    """A page of the waiting list (rows: ``WaitingRequest``)."""
    page = page_of(session, waiting_statement(today), waiting_order(weights), number, size or PER_PAGE)
    return Page([waiting(r, weights) for r in page.rows], page.number, page.size, page.count)


def waiting_entry(session: Session, weights: dict[str, int], today: date, request_id: int) -> WaitingRequest | None:
    """One request of the waiting list, or None when it is not (or no longer) on it."""
    item = session.execute(waiting_statement(today).where(Request.id == request_id)).scalars().first()
    return waiting(item, weights) if item is not None else None


# --- reservations and invoices ------------------------------------------------------------------

def reservation_page(session: Session, *, number: int | str = 1, size: int | None = None) -> Page:
    """Reservations holding a device, the soonest to expire first, with the device, the
    household and its commune."""
    stmt = (select(Reservation).where(Reservation.status == ACTIVE)
            .options(joinedload(Reservation.device),
                     joinedload(Reservation.request).joinedload(Request.household).joinedload(Household.commune)))
    return page_of(session, stmt, [Reservation.expires_at.asc(), Reservation.id.asc()], number, size or PER_PAGE)


def invoice_page(session: Session, *, number: int | str = 1, size: int | None = None) -> Page:
    """Invoices, the most recent first, with their credit notes."""
    stmt = select(Invoice).options(selectinload(Invoice.credit_notes))
    return page_of(session, stmt, [Invoice.chain_position.desc()], number, size or PER_PAGE)


# --- workshop sessions and bookings -----------------------------------------------------------

def session_page(session: Session, stmt, *, upcoming: bool, now: datetime, number: int | str = 1,
                 size: int | None = None) -> Page:
    """The sessions of ``stmt`` (``distribution.services.workshops.sessions_of``) still to come,
    soonest first, or past, latest first; each with its commune."""
    stmt = stmt.options(joinedload(WorkshopSession.commune))
    if upcoming:
        stmt = stmt.where(WorkshopSession.starts_at > now)
        order = [WorkshopSession.starts_at.asc(), WorkshopSession.id.asc()]
    else:
        stmt = stmt.where(WorkshopSession.starts_at <= now)
        order = [WorkshopSession.starts_at.desc(), WorkshopSession.id.desc()]
    return page_of(session, stmt, order, number, size or PER_PAGE)


def seats_taken(session: Session, session_ids) -> dict[int, int]:
    """Session id → seats taken (booked, attended or absent), in one statement."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = session.execute(select(Booking.session_id, func.count()).where(
        Booking.session_id.in_(ids), Booking.status.in_(BookingGroup.SEATED)).group_by(Booking.session_id))
    return {session_id: 0 for session_id in ids} | dict(rows.all())


def waitlist_positions(session: Session, bookings) -> dict[int, int]:
    """Booking id → position on its session's waiting list, for the waitlisted ones among
    ``bookings``, in one statement."""
    ids = [b.id for b in bookings if b.status == WAITLISTED]
    if not ids:
        return {}
    ahead = aliased(Booking)
    rows = session.execute(
        select(Booking.id, func.count(ahead.id)).join(ahead, and_(
            ahead.session_id == Booking.session_id, ahead.status == WAITLISTED,
            ahead.queue_number <= Booking.queue_number)).where(Booking.id.in_(ids)).group_by(Booking.id))
    return dict(rows.all())


def booking_rows(session: Session, stmt) -> list[tuple[Booking, int | None]]:
    """The bookings of ``stmt`` (selecting Booking joined to its household and its session), soonest session first,
    each with its household and session (and commune) and its waiting-list position."""
    rows = session.execute(stmt.options(contains_eager(Booking.household),
                                        contains_eager(Booking.session).joinedload(WorkshopSession.commune))
                           .order_by(WorkshopSession.starts_at, Booking.booked_at, Booking.id)).scalars().all()
    positions = waitlist_positions(session, rows)
    return [(b, positions.get(b.id)) for b in rows]
