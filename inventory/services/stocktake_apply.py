"""Applying a stocktake's result in one confirmation: a move event for every device found in
another location, the spare-part quantities corrected, every missing device marked missing. What
changed since it was counted is a conflict, written down and left as it is. Applied once only."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import Conflict
from core.unit_of_work import unit_of_work
from inventory.lifecycle import StateGroup
from inventory.models import Device, DeviceEvent, Location, SparePart
from inventory.services.stocktakes import end, stocktake_by_id
from inventory.services.transitions import apply_move
from inventory.stocktake.models import MissingDevice, Stocktake, StocktakeAdjustment, StocktakeCount, StocktakeExpected
from inventory.stocktake.rules import (
    DEVICE_COUNTED,
    AdjustmentKind,
    CountOutcome,
    CountRow,
    ExpectedRow,
    StocktakeStatus,
    overall,
    tally,
)


@dataclass
class ApplyReport:
    """What applying did: counts by kind, and whether it had been applied before (then nothing)."""

    reference: str
    already_applied: bool = False
    moves: int = 0
    missing: int = 0
    parts: int = 0
    found_again: int = 0
    conflicts: list[str] = field(default_factory=list)


def read_tally(session: Session, stocktake_id: int):
    """The stocktake's expected and counted rows, tallied per location (``rules.tally``)."""
    expected = [ExpectedRow(*r) for r in session.execute(
        select(StocktakeExpected.location_id, StocktakeExpected.device_id, StocktakeExpected.spare_part_id,
               StocktakeExpected.quantity).where(StocktakeExpected.stocktake_id == stocktake_id)
        .order_by(StocktakeExpected.id))]
    counts = [CountRow(*r) for r in session.execute(
        select(StocktakeCount.location_id, StocktakeCount.outcome, StocktakeCount.device_id,
               StocktakeCount.spare_part_id, StocktakeCount.code, StocktakeCount.quantity, StocktakeCount.mode)
        .where(StocktakeCount.stocktake_id == stocktake_id).order_by(StocktakeCount.id))]
    return tally(expected, counts)


def _changed_since(session: Session, device_id: int, since: datetime) -> DeviceEvent | None:
    """The device's latest event after ``since`` (someone moved or changed it), or None."""
    return session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device_id, DeviceEvent.at > since)
                           .order_by(DeviceEvent.id.desc()).limit(1)).scalar_one_or_none()


def since_text(event: DeviceEvent) -> str:
    """Who did what since, where: « admin, Réceptionné (LOC-LAM-E05) »."""
    who = event.user.username if event.user is not None else "quelqu'un"
    where = f" ({event.location.code})" if event.location is not None else ""
    return f"{who}, {event}{where}"


def found_again(session: Session, device: Device, *, how: str, user_id: int | None, now: datetime) -> bool:
    """Close ``device``'s missing record, if it has one (no commit). True when it was missing."""
    if device.missing_since is None:
        return False
    record = session.execute(select(MissingDevice).where(MissingDevice.device_id == device.id,
                                                         MissingDevice.found_at.is_(None))).scalar_one_or_none()
    if record is not None:
        record.found_at, record.found_by_id, record.found_how = now, user_id, how
    device.missing_since = None
    return True


@dataclass(frozen=True)
class DeviceConflict:
    device: Device
    reason: str

    @property
    def text(self) -> str:
        return f"{self.device.asset_tag} : {self.reason}"


@dataclass(frozen=True)
class PartConflict:
    part: SparePart
    location: Location
    reason: str

    @property
    def text(self) -> str:
        return f"{self.part.description} : {self.reason}"


@dataclass
class PartChange:
    """A part line's quantity ``before`` → ``after``. ``line`` None: a new line of ``like``'s part
    at ``location`` (``added`` units counted there that belong to ``like``'s line)."""

    kind: str                              # AdjustmentKind: part (corrected, or taken) | part_added
    location: Location
    before: int
    after: int
    line: SparePart | None = None
    like: SparePart | None = None
    from_location: Location | None = None
    reason: str | None = None


@dataclass
class ApplyPlan:
    """What applying a stocktake decides, before it writes anything: the confirmation step shows
    it, ``apply_stocktake`` carries it out under its locks. Decided once, here, for both."""

    stocktake: Stocktake
    open_locations: list[str] = field(default_factory=list)
    moves: list[tuple[Device, Location, Location | None]] = field(default_factory=list)   # device, to, from
    found_again: list[tuple[Device, Location]] = field(default_factory=list)             # device, counted in
    missing: list[tuple[Device, Location | None]] = field(default_factory=list)          # device, expected in
    parts: list[PartChange] = field(default_factory=list)
    conflicts: list[DeviceConflict | PartConflict] = field(default_factory=list)

    @property
    def can_apply(self) -> bool:
        return self.stocktake.is_open and not self.open_locations


def plan_apply(session: Session, stocktake: Stocktake, *, lock: bool = False) -> ApplyPlan:
    """Decide what applying ``stocktake`` does now (``lock``: the rows read are locked, as applying
    needs; the confirmation step reads without locks). Nothing is written."""
    plan = ApplyPlan(stocktake, open_locations=[p.location.code for p in stocktake.locations if not p.is_closed])
    if not stocktake.is_open:
        return plan
    places = read_tally(session, stocktake.id)
    whole = overall(places)
    counted = {c.device_id: c for c in session.execute(select(StocktakeCount).where(
        StocktakeCount.stocktake_id == stocktake.id, StocktakeCount.outcome.in_(DEVICE_COUNTED))).scalars()}
    expected_at = dict(session.execute(select(StocktakeExpected.device_id, StocktakeExpected.location_id).where(
        StocktakeExpected.stocktake_id == stocktake.id, StocktakeExpected.device_id.is_not(None))).all())
    missing = whole.expected - whole.found - whole.moved_out
    wanted = whole.moved_in | whole.found | missing
    stmt = select(Device).where(Device.id.in_(wanted)).order_by(Device.id)
    devices = {d.id: d for d in session.execute(stmt.with_for_update() if lock else stmt).scalars()} if wanted else {}
    location_ids = ({c.location_id for c in counted.values()} | {p.location_id for p in stocktake.locations}
                    | {d.location_id for d in devices.values() if d.location_id} | set(expected_at.values()))
    locations = {loc.id: loc for loc in session.execute(select(Location).where(Location.id.in_(location_ids))).scalars()}

    for device_id in sorted(whole.moved_in | whole.found):
        row, device = counted[device_id], devices[device_id]
        here = locations[row.location_id]
        if device.location_id != row.recorded_location_id or device.state in StateGroup.LEFT_WORKSHOP:
            since = _changed_since(session, device.id, row.counted_at)
            what = since_text(since) if since is not None else "modifié"
            plan.conflicts.append(DeviceConflict(device, f"changé depuis son comptage dans {here.code} ({what}) : "
                                                         "laissé tel quel."))
            continue
        if device.missing_since is not None:
            plan.found_again.append((device, here))
        if row.outcome == CountOutcome.MOVED_IN.value and device.location_id != here.id:
            plan.moves.append((device, here, locations.get(device.location_id)))

    for device_id in sorted(missing):
        device = devices[device_id]
        since = _changed_since(session, device.id, stocktake.opened_at)
        if since is not None:
            plan.conflicts.append(DeviceConflict(device, "pas compté, mais vu depuis l'ouverture de l'inventaire "
                                                         f"({since_text(since)}) : il n'est pas marqué manquant."))
        elif device.missing_since is None:
            plan.missing.append((device, locations.get(expected_at.get(device.id))))

    _plan_parts(session, stocktake, places, locations, plan, lock=lock)
    return plan


def _plan_parts(session: Session, stocktake: Stocktake, places, locations: dict[int, Location], plan: ApplyPlan,
                *, lock: bool) -> None:
    """The part lines: each line of the stocktake takes the quantity counted in its own location,
    unless its quantity changed since the opening (a repair used a part, stock was added): then
    it is a conflict, left as it is, to count again. Units of a line counted in another location
    join the same part's line there (created if needed); when the line's own location is not in
    the stocktake, they are taken from it (they were recorded there, they are here). The
    own-location corrections come first."""
    part_ids = {p for t in places.values() for p in t.parts}
    if not part_ids:
        return
    stmt = select(SparePart).where(SparePart.id.in_(part_ids)).order_by(SparePart.id)
    lines = {p.id: p for p in session.execute(stmt.with_for_update() if lock else stmt).scalars()}
    unknown = {p.location_id for p in lines.values()} - set(locations)
    if unknown:
        locations.update((loc.id, loc) for loc in session.execute(select(Location).where(Location.id.in_(unknown))).scalars())
    frozen = dict(session.execute(select(StocktakeExpected.spare_part_id, StocktakeExpected.quantity).where(
        StocktakeExpected.stocktake_id == stocktake.id, StocktakeExpected.spare_part_id.is_not(None))).all())
    scope = {p.location_id for p in stocktake.locations}
    here, elsewhere = [], []
    for location_id, place in sorted(places.items()):
        for part_id, (_expected, found) in sorted(place.parts.items()):
            (here if lines[part_id].location_id == location_id else elsewhere).append((location_id, lines[part_id], found))
    for location_id, part, found in here:
        before = part.quantity
        if before == found:
            continue
        if frozen.get(part.id) != before:
            what = f"{frozen[part.id]} → {before}" if part.id in frozen else f"ligne créée depuis, {before}"
            plan.conflicts.append(PartConflict(part, locations[location_id],
                                               f"quantité modifiée depuis l'ouverture ({what}), {found} comptée(s) : "
                                               "laissée telle quelle, recomptez-la."))
            continue
        plan.parts.append(PartChange(AdjustmentKind.PART.value, locations[location_id], before, found, line=part))
    left = {part.id: part.quantity for _location, part, _found in elsewhere}
    added: dict[tuple, PartChange] = {}
    for location_id, part, found in elsewhere:
        if found <= 0:
            continue
        key = (part.part_type, part.description, part.harvested_from_id, location_id)
        change = added.get(key)
        if change is None:
            line = _same_part_at(session, part, location_id, lock=lock)
            start = line.quantity if line is not None else 0
            change = added[key] = PartChange(AdjustmentKind.PART_ADDED.value, locations[location_id], start, start,
                                             line=line, like=part, from_location=locations.get(part.location_id))
            plan.parts.append(change)
        change.after += found
        taken = min(found, left[part.id]) if part.location_id not in scope else 0
        if taken:
            plan.parts.append(PartChange(AdjustmentKind.PART.value, locations[location_id], left[part.id],
                                         left[part.id] - taken, line=part, from_location=locations.get(part.location_id),
                                         reason="pièces trouvées dans un autre emplacement"))
            left[part.id] -= taken


def apply_stocktake(session: Session, stocktake_id, *, user_id: int | None = None,
                    now: datetime | None = None) -> ApplyReport:
    """Apply a stocktake whose locations are all closed: carry out ``plan_apply`` under its locks.
    Raises NotFound, or Conflict (cancelled, or locations still being counted). Applying it
    again changes nothing and says so."""
    now = now or utcnow()
    with unit_of_work(session):
        stocktake = stocktake_by_id(session, stocktake_id, for_update=True)
        report = ApplyReport(stocktake.reference)
        if stocktake.status == StocktakeStatus.APPLIED.value:
            report.already_applied = True
            return report
        if stocktake.status == StocktakeStatus.CANCELLED.value:
            raise Conflict(f"L'inventaire {stocktake.reference} est annulé : il ne s'applique pas.")
        plan = plan_apply(session, stocktake, lock=True)
        if plan.open_locations:
            still = plan.open_locations
            raise Conflict(f"Emplacements pas encore clos : {', '.join(still[:20])}{'…' if len(still) > 20 else ''}. "
                           "Clôturez-les (ou comptez-les) avant d'appliquer.")
        _carry_out(session, plan, report, user_id=user_id, now=now)
        stocktake.status = StocktakeStatus.APPLIED.value
        end(session, stocktake, user_id=user_id, now=now)
    return report


def _carry_out(session: Session, plan: ApplyPlan, report: ApplyReport, *, user_id: int | None, now: datetime) -> None:
    stocktake = plan.stocktake
    adjust = lambda **values: session.add(StocktakeAdjustment(stocktake_id=stocktake.id, **values))  # noqa: E731
    for conflict in plan.conflicts:
        if isinstance(conflict, DeviceConflict):
            adjust(kind=AdjustmentKind.CONFLICT.value, device_id=conflict.device.id, reason=conflict.reason)
        else:
            adjust(kind=AdjustmentKind.CONFLICT.value, spare_part_id=conflict.part.id,
                   to_location_id=conflict.location.id, reason=conflict.reason)
        report.conflicts.append(conflict.text)
    for device, here in plan.found_again:
        found_again(session, device, how=f"compté dans {here.code} lors de l'inventaire {stocktake.reference}",
                    user_id=user_id, now=now)
        report.found_again += 1
    for device, here, source in plan.moves:
        event = apply_move(session, device, here, user_id=user_id, now=now, note=f"Inventaire {stocktake.reference}")
        session.flush()
        adjust(kind=AdjustmentKind.MOVE.value, device_id=device.id, from_location_id=source.id if source else None,
               to_location_id=here.id, event_id=event.id if event is not None else None)
        report.moves += 1
    for device, expected in plan.missing:
        device.missing_since = now
        session.add(MissingDevice(device_id=device.id, stocktake_id=stocktake.id,
                                  location_id=expected.id if expected else None, marked_at=now, marked_by_id=user_id))
        adjust(kind=AdjustmentKind.MISSING.value, device_id=device.id, from_location_id=expected.id if expected else None)
        report.missing += 1
    for change in plan.parts:
        line = change.line
        if line is None:
            like = change.like
            line = SparePart(part_type=like.part_type, description=like.description,
                             compatible_models=like.compatible_models, location_id=change.location.id, quantity=0,
                             harvested_from_id=like.harvested_from_id)
            session.add(line)
            session.flush()
        line.quantity = change.after
        adjust(kind=change.kind, spare_part_id=line.id, to_location_id=change.location.id,
               from_location_id=change.from_location.id if change.from_location else None,
               quantity_before=change.before, quantity_after=change.after, reason=change.reason)
        report.parts += 1


def _same_part_at(session: Session, part: SparePart, location_id: int, *, lock: bool) -> SparePart | None:
    """The line of the same part (type, description, origin) at ``location_id``, if any."""
    origin = (SparePart.harvested_from_id == part.harvested_from_id if part.harvested_from_id is not None
              else SparePart.harvested_from_id.is_(None))
    stmt = select(SparePart).where(SparePart.part_type == part.part_type, SparePart.description == part.description,
                                   SparePart.location_id == location_id, origin)
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
