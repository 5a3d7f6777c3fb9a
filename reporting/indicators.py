"""The programme's indicators (``GET /api/v1/indicators``, the dashboard, the impact report), read
from the summaries of ``reporting.summaries``: the same figures as ``reporting.records`` computes
from the records (the tests and ``flask reporting verify`` hold them to it), in a few small reads.

The filters mean what ``reporting.records`` says (device events follow the collection's donor
and site, handovers the household's EPCI and the device's donor). Workshops, mobile workshops and
tours are read from the records (``reporting.records.workshop_figures``, ``mobile_figures``): a few
thousand sessions.

The summaries count by Martinique day (UTC−4). A period whose bounds are not Martinique midnights
at UTC−4 (before 1981, when the island's offset was another) is computed from the records.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.territory import Epci
from reporting.filters import Filters, with_sites
from reporting.records import (
    EPCI_NAMES,
    answer,
    counted_event,
    indicators_from_records,
    median_of,
    mobile_figures,
    stock_from_records,
    workshop_figures,
)
from reporting.summaries import COUNTED, DAY, MONTH, STATES, device_day, equipment, handover, validated_request

__all__ = ["counted_event", "indicators", "stock_by_state", "covering", "from_summaries"]

UTC_OFFSET = timedelta(hours=4)     # Martinique midnight in UTC, as the summaries' days are cut


def from_summaries(f: Filters) -> bool:
    """Whether the period starts and ends at Martinique midnights of UTC−4 (the summaries' days)."""
    return (f.start_utc == datetime.combine(f.start, time(), timezone.utc) + UTC_OFFSET
            and f.end_utc == datetime.combine(f.end + timedelta(days=1), time(), timezone.utc) + UTC_OFFSET)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def covering(lo: date | None, hi: date):
    """The ``reporting_device_day`` rows that cover the days from ``lo`` (None: the beginning)
    to ``hi`` once each: the month rows of its whole months, the day rows of the others."""
    t = device_day.c
    first = None if lo is None else (lo if lo.day == 1 else _next_month(lo))   # first whole month
    stop = (hi + timedelta(days=1)).replace(day=1)                            # after the last one
    if first is not None and first >= stop:
        return and_(t.span == DAY, t.day >= lo, t.day <= hi)
    parts = [and_(t.span == MONTH, t.day < stop, *([t.day >= first] if first is not None else [])),
             and_(t.span == DAY, t.day >= stop, t.day <= hi)]
    if lo is not None and lo < first:
        parts.append(and_(t.span == DAY, t.day >= lo, t.day < first))
    return or_(*parts)


def _devices(f: Filters) -> list:
    """The device filters on ``reporting_device_day``: the collection's donor and site, the category."""
    t = device_day.c
    return ([t.donor_id == f.donor_id] if f.donor_id is not None else []) \
        + ([t.site_id.in_(f.epci_site_ids)] if f.epci_id is not None else []) \
        + ([t.category == f.category] if f.category else [])


def _handed(table, f: Filters, *, epci: bool = True) -> list:
    """The filters on a per-handover summary: the household's EPCI, the device's donor and category."""
    c = table.c
    return ([c.epci_id == f.epci_id] if f.epci_id is not None and epci else []) \
        + ([c.donor_id == f.donor_id] if f.donor_id is not None else []) \
        + ([c.category == f.category] if f.category else [])


def stock_by_state(session: Session, f: Filters) -> dict[str, int]:
    """Devices by state at the end of the period: every state change up to its last day,
    summed (the history replayed)."""
    if not from_summaries(f):
        return stock_from_records(session, f)
    f = with_sites(session, f)
    row = session.execute(select(*(func.sum(device_day.c[f"stock_{state}"]) for state in STATES))
                          .where(covering(None, f.end), *_devices(f))).one()
    return {state: int(n or 0) for state, n in zip(STATES, row)}


def households_equipped_by_epci(session: Session, f: Filters) -> dict[str, int]:
    """Households equipped in the period (a household equipped twice counts once), per EPCI."""
    e = equipment.c
    # The distinct (EPCI, household) pairs first: PostgreSQL hashes them, where count(DISTINCT)
    # sorts (half the time on 100,000 handovers a year).
    pairs = (select(e.epci_id, e.household_id).distinct()
             .where(e.equipped_at >= f.start_utc, e.equipped_at < f.end_utc, *_handed(equipment, f)).subquery())
    rows = dict(session.execute(
        select(Epci.short_name, func.count()).select_from(pairs).join(Epci, Epci.id == pairs.c.epci_id)
        .group_by(Epci.short_name)).all())
    return {name: int(rows.get(name, 0)) for name in EPCI_NAMES}


def indicators(session: Session, f: Filters, *, now=None) -> dict:
    """Every indicator of the API (``GET /api/v1/indicators``) for ``f``."""
    now = now or utcnow()
    if not from_summaries(f):
        return indicators_from_records(session, f, now=now)
    f = with_sites(session, f)
    dialect = session.get_bind().dialect.name
    t = device_day.c
    *counted, recycled_g = session.execute(
        select(*(func.sum(t[name]) for name in COUNTED), func.sum(t.recycled_g))
        .where(covering(f.start, f.end), *_devices(f))).one()
    counts = dict(zip(COUNTED, counted))

    h = handover.c
    in_period = (h.issued_at >= f.start_utc, h.issued_at < f.end_utc, *_handed(handover, f))
    handed = session.execute(select(
        func.count(), func.sum(h.weight_g), func.sum(h.reference_value), func.sum(h.amount_paid),
        func.sum(h.aide_solidaire),
        # PostgreSQL has the median as an aggregate, in the same pass; SQLite gets it below.
        *([func.percentile_cont(0.5).within_group(h.wait_days)] if dialect == "postgresql" else []))
        .where(*in_period)).one()
    distributed, weight_reused_g, reference_total, paid_total, aide_total = handed[:5]
    if dialect == "postgresql":
        median_wait = None if handed[5] is None else round(float(handed[5]), 1)
    else:
        median_wait = median_of(session, select(h.wait_days.label("x")).where(*in_period).subquery())

    equipped_by_epci = households_equipped_by_epci(session, f)
    validated = None
    if f.donor_id is None:
        v = validated_request.c
        validated = session.execute(
            select(func.count(func.distinct(v.household_id)))
            .where(v.decided_at >= f.start_utc, v.decided_at < f.end_utc,
                   *([v.epci_id == f.epci_id] if f.epci_id is not None else []),
                   *([v.category == f.category] if f.category else []))).scalar_one()
    e = equipment.c
    recorded, connected, referrals = session.execute(
        select(func.count(e.internet_access),
               func.sum(case((e.internet_access.in_(("mobile", "broadband")), 1), else_=0)),
               func.sum(case((e.internet_offer_referred.is_(True), 1), else_=0)))
        .where(e.ended_at >= f.start_utc, e.ended_at < f.end_utc, *_handed(equipment, f))).one()

    return answer(f, counts=counts, weight_recycled=_kilograms(recycled_g),
                  handed=(distributed, _kilograms(weight_reused_g), reference_total, paid_total, aide_total),
                  median_wait=median_wait, stock=stock_by_state(session, f), validated=validated,
                  equipped_by_epci=equipped_by_epci, workshops=workshop_figures(session, f, now),
                  internet=(recorded, connected, referrals), mobile=mobile_figures(session, f, now))


def _kilograms(grams) -> Decimal | None:
    return None if grams is None else Decimal(int(grams)) / 1000
