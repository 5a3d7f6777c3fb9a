"""What the office reads of the tours (« Tournées », issue 20; stock managers): the list of tours
with how many records each sent back and how many are still to settle, and a tour's sheet — its
stops and loaded devices as downloaded (names only: the download never holds an income), the
invoices its unit registered, and every record received, in order. Read only: settling a record
is ``tour_sync.resolve``, declaring a device lost ``tour_lost.declare_lost``."""
from __future__ import annotations

from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.actor import Actor
from core.errors import Forbidden
from core.paging import Page, page_of
from distribution.access import is_stock_manager
from distribution.models import Invoice
from distribution.services.tour_sync import actions_of
from distribution.services.tours import tour_by_id
from distribution.tour.models import MobileTour, TourAction
from distribution.tour.rules import ActionOutcome

PER_PAGE = 50
# A record still to settle: a conflict or a refusal.
OPEN = (ActionOutcome.CONFLICT.value, ActionOutcome.REFUSED.value)
OFFICE_ONLY = "Seuls l'atelier (technicien) et l'administrateur suivent les tournées au bureau."


def require_office(actor: Actor) -> None:
    if not is_stock_manager(actor):
        raise Forbidden(OFFICE_ONLY)


def person(user: User | None) -> str:
    """A user as the pages name them: their full name, else their account name."""
    if user is None:
        return "—"
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


@dataclass(frozen=True)
class TourRow:
    """A tour in the office's list."""

    tour: MobileTour
    received: int          # records received from the device
    open: int              # of which still to settle (conflicts and refusals)

    @property
    def holder(self) -> str:
        return person(self.tour.holder)


def tour_page(session: Session, actor: Actor, *, open_only: bool = False, number: int | str = 1,
              size: int | None = None) -> Page:
    """A page of the tours, the latest day first (then the latest downloaded), each with its unit,
    its holder and its counts of records, in two statements; ``open_only`` keeps the tours with a
    record still to settle. Forbidden unless a stock manager."""
    require_office(actor)
    received = (select(func.count()).where(TourAction.tour_id == MobileTour.id)
                .correlate(MobileTour).scalar_subquery())
    still_open = (select(func.count()).where(TourAction.tour_id == MobileTour.id, TourAction.outcome.in_(OPEN))
                  .correlate(MobileTour).scalar_subquery())
    stmt = select(MobileTour, received, still_open).options(joinedload(MobileTour.unit),
                                                            joinedload(MobileTour.holder))
    if open_only:
        stmt = stmt.where(exists().where(TourAction.tour_id == MobileTour.id, TourAction.outcome.in_(OPEN)))
    page = page_of(session, stmt, [MobileTour.tour_date.desc(), MobileTour.id.desc()], number, size or PER_PAGE,
                   scalars=False)
    return Page([TourRow(tour, n, o) for tour, n, o in page.rows], page.number, page.size, page.count)


@dataclass(frozen=True)
class Stop:
    """A stop as the tour downloaded it."""

    date: str              # « 10/12/2026 »
    start: str
    end: str
    topic: str
    place: str
    commune: str
    booked: int


@dataclass(frozen=True)
class LoadedDevice:
    """A reserved device the van carried, as the tour downloaded it."""

    reservation_id: int | None
    asset_tag: str
    description: str
    household: str         # the household's reference
    buyer: str


@dataclass(frozen=True)
class TourSheet:
    tour: MobileTour
    holder: str
    stops: list[Stop]
    devices: list[LoadedDevice]
    invoices: list[Invoice]
    actions: list[TourAction]
    people: dict[int, str]             # user id → name, for who received and who settled each record

    @property
    def open(self) -> int:
        return sum(1 for a in self.actions if a.outcome in OPEN)


def _text(value) -> str:
    return value if isinstance(value, str) and value.strip() else "—"


def _stops(snapshot: dict) -> list[Stop]:
    stops = []
    for s in snapshot.get("sessions") or []:
        stops.append(Stop(date=_text(s.get("date")), start=_text(s.get("start")), end=_text(s.get("end")),
                          topic=_text(s.get("topic_label")), place=_text(s.get("venue_label")),
                          commune=_text(s.get("commune")), booked=len(s.get("bookings") or [])))
    return stops


def _devices(snapshot: dict) -> list[LoadedDevice]:
    devices = []
    for r in snapshot.get("reservations") or []:
        device, household = r.get("device") or {}, r.get("household") or {}
        line = r.get("device_line") or {}
        devices.append(LoadedDevice(reservation_id=r.get("id"), asset_tag=_text(device.get("asset_tag")),
                                    description=_text(line.get("description")),
                                    household=_text(household.get("reference")),
                                    buyer=_text(household.get("buyer_name"))))
    return devices


def tour_sheet(session: Session, actor: Actor, tour_id) -> TourSheet:
    """The tour's page: what it carried, what it invoiced and every record it sent back, in order.
    Forbidden unless a stock manager; NotFound for an unknown tour."""
    require_office(actor)
    tour = tour_by_id(session, actor, tour_id)
    snapshot = tour.snapshot if isinstance(tour.snapshot, dict) else {}
    invoices = session.execute(select(Invoice).where(Invoice.tour_id == tour.id)
                               .options(selectinload(Invoice.credit_notes))
                               .order_by(Invoice.unit_position, Invoice.id)).scalars().all()
    actions = actions_of(session, actor, tour.id)
    ids = {a.received_by_id for a in actions} | {a.resolved_by_id for a in actions}
    ids.discard(None)
    people = {u.id: person(u) for u in session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    return TourSheet(tour=tour, holder=person(tour.holder), stops=_stops(snapshot), devices=_devices(snapshot),
                     invoices=list(invoices), actions=list(actions), people=people)
