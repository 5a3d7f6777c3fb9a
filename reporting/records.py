"""The programme's indicators computed from the records themselves, aggregated in SQL (GROUP BY,
window functions): the recomputation that ``reporting.indicators``, which reads the summaries of
``reporting.summaries``, is checked against; and the selections the dashboard's other tables
use. Counts are of events within the period; the stock is the state of each device at the end
of the period.

What the filters mean:
- device events (collected, sanitised, graded, recycled, stock): the EPCI is the one of the site
  where the device was collected; the donor is the collection's donor;
- handovers (distributed, equipped, money, internet, weight reused, waiting times): the EPCI is
  the household's; the donor is the one whose device was handed over;
- households validated and workshops are not attributable to a donor: null under a donor filter.
  Workshops follow the EPCI of the session's commune and the topic of the category;
- mobile workshops (``mobile_stop`` sessions) likewise; handovers on tour (an invoice with its
  tour) as every handover; households reached on tour follow their residence commune (a walk-in,
  the commune they gave), the session's topic or the device's category, and are nobody's donation.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.territory import Commune, Epci
from distribution.models import Booking, Invoice, Reservation, WorkshopSession
from distribution.tour.models import WorkshopWalkIn
from distribution.vocabulary import BookingStatus, ReservationStatus, VenueKind, topic_for_category
from eligibility.models import Household, Request
from eligibility.vocabulary import RequestStatus
from inventory.lifecycle import State
from inventory.models import COUNTED_EVENTS, Collection, Device, DeviceEvent, Site
from reporting.filters import Filters, with_sites

EPCI_NAMES = ("CACEM", "CAP Nord", "Espace Sud")
CENT = Decimal("0.01")
MOBILE_KEYS = ("mobile_sessions", "mobile_attendance_rate", "mobile_walk_ins", "handovers_on_tour",
               "households_reached_on_tour")


def days_between(later, earlier, dialect: str):
    """(later − earlier) in days, as a float SQL expression on either database."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def median_of(session: Session, values) -> float | None:
    """The median of a one-column subquery, with window functions (no percentile_cont on SQLite)."""
    ranked = select(values.c.x.label("x"), func.row_number().over(order_by=values.c.x).label("rn"),
                    func.count().over().label("n")).subquery()
    value = session.execute(select(func.avg(ranked.c.x)).where(
        ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))).scalar()
    return None if value is None else round(float(value), 1)


def percentile_of(session: Session, values, percent: int) -> float | None:
    """The nearest-rank ``percent``-th percentile of a one-column subquery (the first value whose
    rank reaches percent % of the count)."""
    ranked = select(values.c.x.label("x"), func.row_number().over(order_by=values.c.x).label("rn"),
                    func.count().over().label("n")).subquery()
    value = session.execute(select(func.min(ranked.c.x)).where(ranked.c.rn * 100 >= ranked.c.n * percent)).scalar()
    return None if value is None else round(float(value), 1)


# --- the base selections, with the filters applied ----------------------------------------------

def device_events(f: Filters, *columns):
    """DeviceEvent rows in the period, joined to their device (and collection, site when needed)."""
    stmt = (select(*columns).select_from(DeviceEvent).join(Device, Device.id == DeviceEvent.device_id)
            .where(DeviceEvent.at >= f.start_utc, DeviceEvent.at < f.end_utc))
    return scope_devices(stmt, f)


def device_filtered(f: Filters) -> bool:
    """Whether the filters narrow the devices (and so need the device row)."""
    return f.donor_id is not None or f.epci_id is not None or bool(f.category)


def counted_event(name: str):
    """The predicate of a counted event (``inventory.models.COUNTED_EVENTS``) with its values
    written into the SQL, not bound: both databases then match it to the event's partial index."""
    return and_(*(DeviceEvent.__table__.c[column] == literal(value, literal_execute=True)
                  for column, value in COUNTED_EVENTS[name].items()))


def counted_event_totals(session: Session, f: Filters) -> dict[str, tuple[int, Decimal | None]]:
    """{counted event: (how many in the period, weight of their devices in kg)}, in one statement.
    Each kind of event is read over its own partial index. Without a filter, only the recycled
    events meet their devices (for the weight; the others' weight is None); under a filter, the
    events of all kinds meet the filtered devices in one join rather than one join per kind."""
    def events(name: str, *columns):
        return (select(*columns).select_from(DeviceEvent)
                .where(counted_event(name), DeviceEvent.at >= f.start_utc, DeviceEvent.at < f.end_utc))

    names = list(COUNTED_EVENTS)
    if not device_filtered(f):
        plain = [name for name in names if name != "recycled"]
        recycled = (events("recycled", func.count(), func.sum(Device.weight_kg))
                    .join(Device, Device.id == DeviceEvent.device_id).subquery())
        row = session.execute(select(*(events(name, func.count()).scalar_subquery() for name in plain),
                                     *recycled.c)).one()
        found = {name: (n, None) for name, n in zip(plain, row)}
        found["recycled"] = tuple(row[len(plain):])
    else:
        kinds = union_all(*(events(name, literal(name).label("counted"), DeviceEvent.device_id.label("device_id"))
                            for name in names)).subquery()
        stmt = scope_devices(select(kinds.c.counted, func.count(), func.sum(Device.weight_kg)).select_from(kinds)
                             .join(Device, Device.id == kinds.c.device_id), f).group_by(kinds.c.counted)
        found = {name: (n, kg) for name, n, kg in session.execute(stmt).all()}
    return {name: (int(found.get(name, (0, None))[0] or 0), found.get(name, (0, None))[1]) for name in names}


def scope_devices(stmt, f: Filters, *, site_joined: bool = False):
    """``stmt`` (over Device) narrowed by the filters. With ``site_joined``, the statement already
    joins the device's collection and its site."""
    if (f.donor_id is not None or f.epci_id is not None) and not site_joined:
        stmt = stmt.join(Collection, Collection.id == Device.collection_id)
    if f.donor_id is not None:
        stmt = stmt.where(Collection.donor_id == f.donor_id)
    if f.epci_id is not None and f.epci_site_ids is not None:
        stmt = stmt.where(Collection.site_id.in_(f.epci_site_ids))
    elif f.epci_id is not None:
        if not site_joined:
            stmt = stmt.join(Site, Site.id == Collection.site_id)
        stmt = stmt.join(Commune, Commune.insee_code == Site.commune_insee).where(Commune.epci_id == f.epci_id)
    if f.category:
        stmt = stmt.where(Device.category == f.category)
    return stmt


def handovers(f: Filters, *columns):
    """Invoices (one per handover) issued in the period, with the device (and, under an EPCI
    filter, the household)."""
    stmt = (select(*columns).select_from(Invoice).join(Device, Device.id == Invoice.device_id)
            .where(Invoice.issued_at >= f.start_utc, Invoice.issued_at < f.end_utc))
    if f.donor_id is not None:
        stmt = stmt.join(Collection, Collection.id == Device.collection_id).where(Collection.donor_id == f.donor_id)
    if f.epci_id is not None:   # the household's EPCI (every invoice has its household)
        stmt = (stmt.join(Household, Household.id == Invoice.household_id)
                .join(Commune, Commune.insee_code == Household.commune_insee).where(Commune.epci_id == f.epci_id))
    if f.category:
        stmt = stmt.where(Device.category == f.category)
    return stmt


def handed_over_reservations(f: Filters, *columns):
    stmt = (select(*columns).select_from(Reservation)
            .join(Request, Request.id == Reservation.request_id).join(Household, Household.id == Request.household_id)
            .join(Commune, Commune.insee_code == Household.commune_insee)
            .where(Reservation.status == ReservationStatus.HANDED_OVER.value,
                   Reservation.ended_at >= f.start_utc, Reservation.ended_at < f.end_utc))
    if f.donor_id is not None or f.category:
        stmt = stmt.join(Device, Device.id == Reservation.device_id)
    if f.donor_id is not None:
        stmt = stmt.join(Collection, Collection.id == Device.collection_id).where(Collection.donor_id == f.donor_id)
    if f.epci_id is not None:
        stmt = stmt.where(Commune.epci_id == f.epci_id)
    if f.category:
        stmt = stmt.where(Device.category == f.category)
    return stmt


def sessions_held(f: Filters, *columns, now=None):
    """The sessions held in the period (started by ``now``), of the filters' EPCI and topic; a
    cancelled session was not held."""
    stmt = (select(*columns).select_from(WorkshopSession)
            .join(Commune, Commune.insee_code == WorkshopSession.commune_insee)
            .where(WorkshopSession.starts_at >= f.start_utc, WorkshopSession.starts_at < f.end_utc,
                   WorkshopSession.cancelled_at.is_(None)))
    if now is not None:
        stmt = stmt.where(WorkshopSession.starts_at <= now)
    if f.epci_id is not None:
        stmt = stmt.where(Commune.epci_id == f.epci_id)
    if f.category:
        stmt = stmt.where(WorkshopSession.topic == topic_for_category(f.category))
    return stmt


def mobile_sessions_held(f: Filters, *columns, now=None):
    """The mobile workshops (``mobile_stop``) held in the period, as ``sessions_held``."""
    return sessions_held(f, *columns, now=now).where(WorkshopSession.venue_kind == VenueKind.MOBILE_STOP.value)


def handovers_on_tour(f: Filters, *columns):
    """The handovers (``handovers``: one invoice each, credit notes or not) made on a tour."""
    return handovers(f, *columns).where(Invoice.tour_id.is_not(None))


# --- the indicators -------------------------------------------------------------------------------

def stock_from_records(session: Session, f: Filters) -> dict[str, int]:
    """Devices by state at the end of the period: today's states, minus the state changes made
    since (each later event takes one device out of its ``to_state`` and puts it back in its
    ``from_state``). It reads only the events after the end, not the whole history; it relies on
    what the services guarantee: a device's state is its last event's ``to_state``, and every
    transition's ``from_state`` is the state before it."""
    changes = (DeviceEvent.kind.in_(("received", "transition")), DeviceEvent.at >= f.end_utc)
    current = scope_devices(select(Device.state.label("state"), func.count().label("n")).select_from(Device), f)

    # The changes since the end, by (to, from) state, read once: their devices meet the filters once.
    later = (select(DeviceEvent.to_state.label("to_state"), DeviceEvent.from_state.label("from_state"),
                    func.count().label("n")).select_from(DeviceEvent).where(*changes))
    if device_filtered(f):
        later = scope_devices(later.join(Device, Device.id == DeviceEvent.device_id), f)
    later = later.group_by(DeviceEvent.to_state, DeviceEvent.from_state).cte("later")
    moves = union_all(current.group_by(Device.state),
                      select(later.c.to_state, -func.sum(later.c.n)).group_by(later.c.to_state),
                      select(later.c.from_state, func.sum(later.c.n)).where(later.c.from_state.is_not(None))
                      .group_by(later.c.from_state)).subquery()
    rows = dict(session.execute(select(moves.c.state, func.sum(moves.c.n)).group_by(moves.c.state)).all())
    return {state: int(rows.get(state) or 0) for state in State.values()}


def workshop_figures(session: Session, f: Filters, now) -> tuple[int | None, float | None, float | None]:
    """(sessions held, attendance rate, average satisfaction) in the period; None under a donor
    filter (a workshop is nobody's donation). Read from the records: a few thousand sessions."""
    if f.donor_id is not None:
        return None, None, None
    sessions = session.execute(sessions_held(f, func.count(), now=now)).scalar_one()
    held = sessions_held(f, WorkshopSession.id, now=now).subquery()
    attended, no_show, satisfaction = session.execute(
        select(func.sum(case((Booking.status == BookingStatus.ATTENDED.value, 1), else_=0)),
               func.sum(case((Booking.status == BookingStatus.NO_SHOW.value, 1), else_=0)),
               func.avg(case((Booking.status == BookingStatus.ATTENDED.value, Booking.satisfaction))))
        .where(Booking.session_id.in_(select(held.c.id)))).one()
    attended, no_show = int(attended or 0), int(no_show or 0)
    attendance_rate = round(attended / (attended + no_show), 4) if attended + no_show else None
    return sessions, attendance_rate, round(float(satisfaction), 2) if satisfaction is not None else None


def tour_reach_by_commune(session: Session, f: Filters, now) -> dict[str, tuple[int, int, int, int]]:
    """{residence commune (INSEE): (households present at a mobile workshop, households handed a
    device on tour, those households counted once, walk-ins)} for the communes reached in the
    period. A household is counted where it lives and under the EPCI of that commune, whatever
    the stop's commune; the category is the workshop's topic or the device's. Not a donor's:
    call it without a donor filter."""
    anywhere = replace(f, epci_id=None, epci_site_ids=None)      # the EPCI is the household's
    held = mobile_sessions_held(anywhere, WorkshopSession.id, now=now)
    present = (select(Booking.household_id.label("household_id"), literal(1).label("by_workshop"),
                      literal(0).label("by_handover"))
               .where(Booking.status == BookingStatus.ATTENDED.value, Booking.session_id.in_(held)))
    handed = handovers_on_tour(f, Invoice.household_id.label("household_id"), literal(0).label("by_workshop"),
                               literal(1).label("by_handover"))
    people = union_all(present, handed).subquery()
    households = (select(people.c.household_id, func.max(people.c.by_workshop).label("by_workshop"),
                         func.max(people.c.by_handover).label("by_handover"))
                  .group_by(people.c.household_id).subquery())
    scope = [Commune.epci_id == f.epci_id] if f.epci_id is not None else []
    rows = session.execute(
        select(Household.commune_insee, func.sum(households.c.by_workshop), func.sum(households.c.by_handover),
               func.count())
        .select_from(households).join(Household, Household.id == households.c.household_id)
        .join(Commune, Commune.insee_code == Household.commune_insee).where(*scope)
        .group_by(Household.commune_insee)).all()
    walk_ins = dict(session.execute(
        select(WorkshopWalkIn.commune_insee, func.count())
        .join(Commune, Commune.insee_code == WorkshopWalkIn.commune_insee)
        .where(WorkshopWalkIn.session_id.in_(held), *scope).group_by(WorkshopWalkIn.commune_insee)).all())
    reached = {code: (int(w or 0), int(h or 0), int(n), int(walk_ins.get(code, 0))) for code, w, h, n in rows}
    for code, n in walk_ins.items():
        reached.setdefault(code, (0, 0, 0, int(n)))
    return reached


def mobile_figures(session: Session, f: Filters, now) -> dict:
    """The mobile workshop's figures of ``GET /api/v1/indicators``, read from the records (a few
    thousand sessions and tours), for both computations: mobile workshops held (not cancelled),
    their attendance rate (present ÷ present and absent among their bookings; walk-ins are not
    booked) and walk-ins, by the session's EPCI and topic; handovers on tour, as every handover;
    households reached on tour (``tour_reach_by_commune``). Only the handovers belong to a donor:
    the rest is None under a donor filter."""
    on_tour = int(session.execute(handovers_on_tour(f, func.count())).scalar_one())
    if f.donor_id is not None:
        return {"mobile_sessions": None, "mobile_attendance_rate": None, "mobile_walk_ins": None,
                "handovers_on_tour": on_tour, "households_reached_on_tour": None}
    held = mobile_sessions_held(f, WorkshopSession.id, now=now)
    sessions = session.execute(mobile_sessions_held(f, func.count(), now=now)).scalar_one()
    attended, no_show = session.execute(
        select(func.sum(case((Booking.status == BookingStatus.ATTENDED.value, 1), else_=0)),
               func.sum(case((Booking.status == BookingStatus.NO_SHOW.value, 1), else_=0)))
        .where(Booking.session_id.in_(held))).one()
    attended, no_show = int(attended or 0), int(no_show or 0)
    walk_ins = session.execute(select(func.count()).select_from(WorkshopWalkIn)
                               .where(WorkshopWalkIn.session_id.in_(held))).scalar_one()
    reached = tour_reach_by_commune(session, f, now)
    return {
        "mobile_sessions": int(sessions),
        "mobile_attendance_rate": round(attended / (attended + no_show), 4) if attended + no_show else None,
        "mobile_walk_ins": int(walk_ins),
        "handovers_on_tour": on_tour,
        "households_reached_on_tour": sum(n + walk for _w, _h, n, walk in reached.values()),
    }


def money(value) -> str:
    return f"{Decimal(value or 0).quantize(CENT):.2f}"


def kg(value) -> float:
    return round(float(value or 0), 1)


def indicators_from_records(session: Session, f: Filters, *, now=None) -> dict:
    """Every indicator of the API (``GET /api/v1/indicators``) for ``f``, from the records."""
    now = now or utcnow()
    f = with_sites(session, f)
    dialect = session.get_bind().dialect.name
    count = func.count()
    counted = counted_event_totals(session, f)

    wait = days_between(Invoice.issued_at, Device.created_at, dialect)
    handed = session.execute(handovers(
        f, count, func.sum(Device.weight_kg),
        func.sum(Invoice.reference_value), func.sum(Invoice.amount_paid), func.sum(Invoice.aide_solidaire),
        # PostgreSQL has the median as an aggregate, in the same pass; SQLite gets it below.
        *([func.percentile_cont(0.5).within_group(wait)] if dialect == "postgresql" else []))).one()
    if dialect == "postgresql":
        median_wait = None if handed[5] is None else round(float(handed[5]), 1)
    else:
        median_wait = median_of(session, handovers(f, wait.label("x")).subquery())

    equipped_by_epci = households_equipped_from_records(session, f)

    if f.donor_id is None:
        validated = session.execute(
            select(func.count(func.distinct(Request.household_id))).select_from(Request)
            .join(Household, Household.id == Request.household_id)
            .join(Commune, Commune.insee_code == Household.commune_insee)
            .where(Request.decided_at >= f.start_utc, Request.decided_at < f.end_utc,
                   Request.status.in_((RequestStatus.VALIDATED.value, RequestStatus.EQUIPPED.value)))
            .where(*([Commune.epci_id == f.epci_id] if f.epci_id is not None else []))
            .where(*([Request.category == f.category] if f.category else []))).scalar_one()
    else:
        validated = None
    sessions, attendance_rate, satisfaction = workshop_figures(session, f, now)

    recorded, connected, referrals = session.execute(handed_over_reservations(
        f, func.count(Reservation.internet_access),
        func.sum(case((Reservation.internet_access.in_(("mobile", "broadband")), 1), else_=0)),
        func.sum(case((Reservation.internet_offer_referred.is_(True), 1), else_=0)))).one()

    return answer(f, counts={name: n for name, (n, _kg) in counted.items()}, weight_recycled=counted["recycled"][1],
                  handed=handed[:5], median_wait=median_wait, stock=stock_from_records(session, f), validated=validated,
                  equipped_by_epci=equipped_by_epci, workshops=(sessions, attendance_rate, satisfaction),
                  internet=(recorded, connected, referrals), mobile=mobile_figures(session, f, now))


def answer(f: Filters, *, counts: dict, weight_recycled, handed: tuple, median_wait, stock: dict, validated,
           equipped_by_epci: dict, workshops: tuple, internet: tuple, mobile: dict) -> dict:
    """The API's figures (``GET /api/v1/indicators``) from what either computation found:
    ``counts`` by counted event, ``handed`` (handovers, weight, reference value, paid, aide
    solidaire), ``workshops`` (sessions, attendance rate, satisfaction), ``internet``
    (recorded, connected, referrals), ``mobile`` (``mobile_figures``)."""
    distributed, weight_reused, reference_total, paid_total, aide_total = handed
    recorded, connected, referrals = internet
    return {
        "period": {"from": f.start.isoformat(), "to": f.end.isoformat()},
        "devices_collected": int(counts["received"] or 0),
        "devices_sanitised": int(counts["sanitised"] or 0),
        "devices_graded": int(counts["graded"] or 0),
        "devices_distributed": int(distributed or 0),
        "devices_recycled": int(counts["recycled"] or 0),
        "stock_by_state": stock,
        "households_validated": validated,
        "households_equipped": sum(equipped_by_epci.values()),
        "equipped_by_epci": equipped_by_epci,
        "workshop_sessions": workshops[0],
        "workshop_attendance_rate": workshops[1],
        "satisfaction_avg": workshops[2],
        "internet_access_rate": round(int(connected or 0) / recorded, 4) if recorded else None,
        "internet_offer_referrals": int(referrals or 0),
        "weight_reused_kg": kg(weight_reused),
        "weight_recycled_kg": kg(weight_recycled),
        "reference_value_total": money(reference_total),
        "paid_total": money(paid_total),
        "aide_solidaire_total": money(aide_total),
        "median_days_reception_to_handover": median_wait,
        **{key: mobile[key] for key in MOBILE_KEYS},
    }


def households_equipped_from_records(session: Session, f: Filters) -> dict[str, int]:
    """Households equipped in the period (a household equipped twice counts once), per EPCI."""
    stmt = (select(Epci.short_name, func.count(func.distinct(Request.household_id)))
            .select_from(Request).join(Household, Household.id == Request.household_id)
            .join(Commune, Commune.insee_code == Household.commune_insee).join(Epci, Epci.id == Commune.epci_id)
            .join(Reservation, and_(Reservation.request_id == Request.id,
                                    Reservation.status == ReservationStatus.HANDED_OVER.value))
            .where(Request.equipped_at >= f.start_utc, Request.equipped_at < f.end_utc))
    if f.category or f.donor_id is not None:
        stmt = stmt.join(Device, Device.id == Reservation.device_id)
    rows = dict(session.execute(stmt.where(*_household_filters(f)).group_by(Epci.short_name)).all())
    return {name: int(rows.get(name, 0)) for name in EPCI_NAMES}


def _household_filters(f: Filters) -> list:
    clauses = []
    if f.epci_id is not None:
        clauses.append(Commune.epci_id == f.epci_id)
    if f.category:
        clauses.append(Device.category == f.category)
    if f.donor_id is not None:
        clauses.append(Device.collection_id.in_(select(Collection.id).where(Collection.donor_id == f.donor_id)))
    return clauses
