"""A stocktake's result as people read it (issue 19): per location and for the whole stocktake,
expected / found / moved in / unexpected / missing, the devices and parts behind each figure, the
value at reference price of what is missing, who counted what, and what applying did. The page,
the API, the PDF and the CSV/XLSX exports all read this one structure; the dashboard reads each
site's last stocktake and its accuracy from here too.

It reads inventory (the stocktake's records) and distribution (the price grid's reference
values), which is why it lives on the read side."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from core.clock import to_local
from core.errors import Conflict
from core.paging import page_of
from core.vocabulary import Category
from distribution.pricing import PriceGridRules
from distribution.services.grids import grid_in_effect
from inventory.label_content import spare_part_code
from inventory.lifecycle import State
from inventory.models import Device, Location, Site, SparePart
from inventory.services.stocktake_apply import read_tally
from inventory.services.stocktakes import stocktake_by_id
from inventory.stocktake.queries import accuracies
from inventory.stocktake.models import Stocktake, StocktakeAdjustment, StocktakeCount, StocktakeLocation
from inventory.stocktake.rules import CountOutcome, LocationTally, StocktakeStatus, accuracy_rate, overall


@dataclass
class DeviceLine:
    asset_tag: str
    description: str
    category: str                      # French label
    grade: str | None
    state: str                         # French label
    expected_at: str | None            # location code the records had (None: expected nowhere)
    counted_at: str | None             # location code where it was counted (None: not counted)
    reference_value: Decimal | None = None


@dataclass
class PartLine:
    code: str
    description: str
    location: str                      # where it was counted / expected
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


@dataclass
class Figures:
    """One location's (or the whole stocktake's) figures. ``expected`` and ``missing`` are None
    while a blind count of the location is not closed."""

    code: str
    name: str
    status: str
    closed_at: datetime | None
    closed_by: str | None
    expected: int | None
    found: int
    moved_in: int
    moved_out: int
    unexpected: int
    missing: int | None
    repeats: int
    counted: int = 0                   # devices counted (found, moved in, not on a shelf): the station's « n comptés »

    @property
    def accuracy(self) -> Decimal | None:
        """Found at the right place ÷ expected, as a fraction (None when nothing was expected)."""
        return accuracy_rate(self.found, self.expected or 0)


@dataclass
class StocktakeResult:
    id: int
    reference: str
    site: str
    status: str                        # French label
    status_value: str
    blind: bool
    whole_site: bool
    note: str | None
    opened_at: datetime
    opened_by: str | None
    ended_at: datetime | None
    ended_by: str | None
    cancel_reason: str | None
    locations: list[Figures]
    total: Figures
    moved_in: list[DeviceLine] = field(default_factory=list)
    found: list[DeviceLine] = field(default_factory=list)          # counted where they were expected
    missing: list[DeviceLine] = field(default_factory=list)
    not_on_shelf: list[DeviceLine] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)     # (location code, code scanned)
    parts: list[PartLine] = field(default_factory=list)
    missing_value: Decimal | None = None   # reference value of the missing devices that have one
    unvalued: int = 0                      # missing devices without a reference value
    grid: str | None = None                # the price grid the values come from
    counters: list[tuple[str, int]] = field(default_factory=list)    # (user, codes counted)
    adjustments: list[dict] = field(default_factory=list)

    @property
    def all_closed(self) -> bool:
        return all(place.closed_at is not None for place in self.locations)


def _figures(code: str, name: str, place: StocktakeLocation | None, tallied: LocationTally, *, hide: bool,
             users: dict[int, str]) -> Figures:
    return Figures(
        code=code, name=name, status=place.status_label if place is not None else "",
        closed_at=to_local(place.closed_at) if place is not None else None,
        closed_by=users.get(place.closed_by_id) if place is not None else None,
        expected=None if hide else len(tallied.expected), found=len(tallied.found), moved_in=len(tallied.moved_in),
        moved_out=len(tallied.moved_out), unexpected=tallied.unexpected,
        missing=None if hide else len(tallied.missing), repeats=tallied.repeats,
        counted=len(tallied.found) + len(tallied.moved_in) + len(tallied.not_on_shelf))


def _grid(session: Session, stocktake: Stocktake) -> PriceGridRules | None:
    try:
        return grid_in_effect(session, to_local(stocktake.opened_at).date())
    except Conflict:
        return None


def stocktake_result(session: Session, stocktake_id) -> StocktakeResult:
    """The whole result of a stocktake, read in one go. Raises NotFound."""
    stocktake = stocktake_by_id(session, stocktake_id)
    places = read_tally(session, stocktake.id)
    counted = {c.device_id: c for c in session.execute(select(StocktakeCount).where(
        StocktakeCount.stocktake_id == stocktake.id, StocktakeCount.outcome.in_(
            (CountOutcome.FOUND.value, CountOutcome.MOVED_IN.value, CountOutcome.NOT_ON_SHELF.value)))).scalars()}
    counters = session.execute(
        select(StocktakeCount.counted_by_id, func.count()).where(StocktakeCount.stocktake_id == stocktake.id)
        .group_by(StocktakeCount.counted_by_id)).all()
    # Only the names and codes this stocktake shows (a national workshop has thousands of each).
    user_ids = ({stocktake.opened_by_id, stocktake.ended_by_id} | {p.closed_by_id for p in stocktake.locations}
                | {u for u, _n in counters}) - {None}
    users = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) if user_ids else {}
    location_ids = set(places) | {c.recorded_location_id for c in counted.values()} - {None}
    location_codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(location_ids)))
                          .all()) if location_ids else {}
    blind_open = {p.location_id for p in stocktake.locations if stocktake.blind and not p.is_closed}
    rows = []
    for place in stocktake.locations:
        tallied = places.get(place.location_id, LocationTally())
        rows.append(_figures(place.location.code, place.location.name, place, tallied,
                             hide=place.location_id in blind_open, users=users))
    # Counted in a location outside the stocktake's: impossible (a scan counts in a live location).
    whole = overall(places)
    total = _figures("", "Total", None, whole, hide=bool(blind_open), users=users)
    total.status = stocktake.status_label

    expected_at = {d: loc for loc, t in places.items() for d in t.expected}
    wanted = whole.found | whole.moved_in | whole.not_on_shelf | (set() if blind_open else whole.missing)
    devices = {d.id: d for d in session.execute(select(Device).where(Device.id.in_(wanted))).scalars()} if wanted else {}
    grid = _grid(session, stocktake)

    def line(device_id: int) -> DeviceLine:
        device = devices[device_id]
        count = counted.get(device_id)
        value = None
        if grid is not None and device.grade:
            entry = grid.devices.get((device.category, device.grade))
            value = entry.reference_value if entry is not None else None
        recorded = count.recorded_location_id if count is not None else None
        expected = expected_at.get(device_id) or recorded
        return DeviceLine(device.asset_tag, f"{device.brand} {device.model}", Category.label_of(device.category),
                          device.grade, State.label_of(device.state), location_codes.get(expected),
                          location_codes.get(count.location_id) if count is not None else None, value)

    by_tag = lambda lines: sorted(lines, key=lambda l: l.asset_tag)   # noqa: E731
    moved_in = by_tag(line(d) for d in whole.moved_in)
    found = by_tag(line(d) for d in whole.found)
    missing = [] if blind_open else by_tag(line(d) for d in whole.missing)
    not_on_shelf = by_tag(line(d) for d in whole.not_on_shelf)
    unknown = sorted((location_codes[loc], code) for loc, t in places.items() for code in t.unknown)

    part_ids = {p for t in places.values() for p in t.parts}
    parts_rows = {p.id: p for p in session.execute(select(SparePart).where(SparePart.id.in_(part_ids))).scalars()} \
        if part_ids else {}
    parts = sorted((PartLine(spare_part_code(parts_rows[pid]), parts_rows[pid].description, location_codes[loc], e, c)
                    for loc, t in places.items() if loc not in blind_open for pid, (e, c) in t.parts.items()),
                   key=lambda p: (p.location, p.code))

    valued = [m.reference_value for m in missing if m.reference_value is not None]
    adjustments = _adjustments(session, stocktake.id)
    return StocktakeResult(
        id=stocktake.id, reference=stocktake.reference, site=stocktake.site.name, status=stocktake.status_label,
        status_value=stocktake.status, blind=stocktake.blind, whole_site=stocktake.whole_site, note=stocktake.note,
        opened_at=to_local(stocktake.opened_at), opened_by=users.get(stocktake.opened_by_id),
        ended_at=to_local(stocktake.ended_at), ended_by=users.get(stocktake.ended_by_id),
        cancel_reason=stocktake.cancel_reason, locations=rows, total=total, moved_in=moved_in, found=found, missing=missing,
        not_on_shelf=not_on_shelf, unknown=unknown, parts=parts,
        missing_value=sum(valued, Decimal("0.00")) if grid is not None and not blind_open else None,
        unvalued=len(missing) - len(valued), grid=grid.id if grid is not None else None,
        counters=sorted(((users.get(u, "—"), n) for u, n in counters), key=lambda c: c[0]),
        adjustments=adjustments)


def _adjustments(session: Session, stocktake_id: int) -> list[dict]:
    """What applying did, as French text per line (empty before it is applied)."""
    source, target = aliased(Location), aliased(Location)
    rows = session.execute(
        select(StocktakeAdjustment, Device.asset_tag, SparePart.description, source.code, target.code)
        .outerjoin(Device, Device.id == StocktakeAdjustment.device_id)
        .outerjoin(SparePart, SparePart.id == StocktakeAdjustment.spare_part_id)
        .outerjoin(source, source.id == StocktakeAdjustment.from_location_id)
        .outerjoin(target, target.id == StocktakeAdjustment.to_location_id)
        .where(StocktakeAdjustment.stocktake_id == stocktake_id).order_by(StocktakeAdjustment.id)).all()
    return [{"kind": a.kind, "label": a.kind_label, "item": tag or part or "", "from": src, "to": dst,
             "before": a.quantity_before, "after": a.quantity_after, "reason": a.reason}
            for a, tag, part, src, dst in rows]


@dataclass
class SiteStocktake:
    site: str
    reference: str
    ended_at: datetime
    expected: int
    found: int

    @property
    def accuracy(self) -> Decimal | None:
        return accuracy_rate(self.found, self.expected or 0)


def last_stocktakes(session: Session) -> list[SiteStocktake]:
    """Each site's last applied stocktake and its accuracy (found at the right place ÷ expected),
    sites by name. Sites never stocktaken are not listed."""
    latest = (select(Stocktake.site_id, func.max(Stocktake.ended_at).label("ended_at"))
              .where(Stocktake.status == StocktakeStatus.APPLIED.value).group_by(Stocktake.site_id).subquery())
    rows = session.execute(
        select(Stocktake.id, Site.name, Stocktake.reference, Stocktake.ended_at)
        .join(latest, (latest.c.site_id == Stocktake.site_id) & (latest.c.ended_at == Stocktake.ended_at))
        .join(Site, Site.id == Stocktake.site_id).where(Stocktake.status == StocktakeStatus.APPLIED.value)
        .order_by(Site.name)).all()
    rates = accuracies(session, [stocktake_id for stocktake_id, *_ in rows])    # two grouped counts in all
    return [SiteStocktake(site, reference, to_local(ended_at), rates[stocktake_id].expected, rates[stocktake_id].found)
            for stocktake_id, site, reference, ended_at in rows]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _figures_json(f: Figures) -> dict:
    accuracy = f.accuracy
    return {"code": f.code or None, "name": f.name, "status": f.status,
            "closed_at": f.closed_at.isoformat() if f.closed_at else None, "closed_by": f.closed_by,
            "expected": f.expected, "found": f.found, "moved_in": f.moved_in, "moved_out": f.moved_out,
            "unexpected": f.unexpected, "missing": f.missing, "repeats": f.repeats,
            "accuracy": str(accuracy) if accuracy is not None else None}


def _device_json(line: DeviceLine) -> dict:
    return {"asset_tag": line.asset_tag, "description": line.description, "category": line.category,
            "grade": line.grade, "state": line.state, "expected_at": line.expected_at, "counted_at": line.counted_at,
            "reference_value": _money(line.reference_value)}


def result_json(result: StocktakeResult) -> dict:
    """The result for the API: amounts as decimal strings, accuracy as a fraction string, times in
    ISO 8601 with the Martinique offset; ``expected``/``missing`` null while a blind count hides them."""
    return {
        "id": result.id, "reference": result.reference, "site": result.site, "status": result.status_value,
        "status_label": result.status, "blind": result.blind, "whole_site": result.whole_site,
        "opened_at": result.opened_at.isoformat(), "opened_by": result.opened_by,
        "ended_at": result.ended_at.isoformat() if result.ended_at else None, "ended_by": result.ended_by,
        "locations": [_figures_json(f) for f in result.locations], "total": _figures_json(result.total),
        "moved_in": [_device_json(d) for d in result.moved_in], "missing": [_device_json(d) for d in result.missing],
        "not_on_shelf": [_device_json(d) for d in result.not_on_shelf],
        "unknown": [{"location": loc, "code": code} for loc, code in result.unknown],
        "parts": [{"code": p.code, "description": p.description, "location": p.location, "expected": p.expected,
                   "counted": p.counted, "difference": p.difference} for p in result.parts],
        "missing_value": _money(result.missing_value), "unvalued": result.unvalued, "grid": result.grid,
        "counters": [{"user": user, "codes": n} for user, n in result.counters],
        "adjustments": result.adjustments,
    }


def stocktake_page(session: Session, *, status: str | None = None, number: int | str = 1, size: int = 50):
    """The stocktakes, newest first (of one status when given), one page (``core.paging``)."""
    stmt = select(Stocktake).options(selectinload(Stocktake.site), selectinload(Stocktake.opened_by),
                                     selectinload(Stocktake.ended_by))
    if status:
        stmt = stmt.where(Stocktake.status == status)
    return page_of(session, stmt, [Stocktake.id.desc()], number, size)
