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
from inventory.stocktake.models import MissingDevice, StocktakeAdjustment, StocktakeCount, StocktakeExpected
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


def _conflict(session: Session, report: ApplyReport, stocktake_id: int, device: Device, reason: str) -> None:
    session.add(StocktakeAdjustment(stocktake_id=stocktake_id, kind=AdjustmentKind.CONFLICT.value,
                                    device_id=device.id, reason=reason))
    report.conflicts.append(f"{device.asset_tag} : {reason}")


def _since_text(event: DeviceEvent) -> str:
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


def apply_stocktake(session: Session, stocktake_id, *, user_id: int | None = None,
                    now: datetime | None = None) -> ApplyReport:
    """Apply a stocktake whose locations are all closed. Raises NotFound, or Conflict (cancelled,
    or locations still being counted). Applying it again changes nothing and says so."""
    now = now or utcnow()
    with unit_of_work(session):
        stocktake = stocktake_by_id(session, stocktake_id, for_update=True)
        report = ApplyReport(stocktake.reference)
        if stocktake.status == StocktakeStatus.APPLIED.value:
            report.already_applied = True
            return report
        if stocktake.status == StocktakeStatus.CANCELLED.value:
            raise Conflict(f"L'inventaire {stocktake.reference} est annulé : il ne s'applique pas.")
        still = [p.location.code for p in stocktake.locations if not p.is_closed]
        if still:
            raise Conflict(f"Emplacements pas encore clos : {', '.join(still[:20])}"
                           f"{'…' if len(still) > 20 else ''}. Closez-les (ou comptez-les) avant d'appliquer.")
        reason = f"Inventaire {stocktake.reference}"
        places = read_tally(session, stocktake.id)
        whole = overall(places)
        counted = {c.device_id: c for c in session.execute(select(StocktakeCount).where(
            StocktakeCount.stocktake_id == stocktake.id, StocktakeCount.outcome.in_(DEVICE_COUNTED))).scalars()}
        locations = {loc.id: loc for loc in session.execute(select(Location).where(
            Location.id.in_({c.location_id for c in counted.values()} | {p.location_id for p in stocktake.locations}))
        ).scalars()}

        for device_id in sorted(whole.moved_in | whole.found):
            row = counted[device_id]
            device = session.execute(select(Device).where(Device.id == device_id).with_for_update()).scalar_one()
            here = locations[row.location_id]
            if device.location_id != row.recorded_location_id or device.state in StateGroup.LEFT_WORKSHOP:
                since = _changed_since(session, device.id, row.counted_at)
                what = _since_text(since) if since is not None else "modifié"
                _conflict(session, report, stocktake.id, device,
                          f"changé depuis son comptage dans {here.code} ({what}) : laissé tel quel.")
                continue
            how = f"compté dans {here.code} lors de l'inventaire {stocktake.reference}"
            if found_again(session, device, how=how, user_id=user_id, now=now):
                report.found_again += 1
            if row.outcome == CountOutcome.MOVED_IN.value and device.location_id != here.id:
                from_id = device.location_id
                event = apply_move(session, device, here, user_id=user_id, now=now, note=reason)
                session.flush()
                session.add(StocktakeAdjustment(stocktake_id=stocktake.id, kind=AdjustmentKind.MOVE.value,
                                                device_id=device.id, from_location_id=from_id, to_location_id=here.id,
                                                event_id=event.id if event is not None else None))
                report.moves += 1

        expected_at = {r.device_id: r.location_id for r in session.execute(
            select(StocktakeExpected.device_id, StocktakeExpected.location_id)
            .where(StocktakeExpected.stocktake_id == stocktake.id, StocktakeExpected.device_id.is_not(None)))}
        missing = whole.expected - whole.found - whole.moved_out
        for device_id in sorted(missing):
            device = session.execute(select(Device).where(Device.id == device_id).with_for_update()).scalar_one()
            since = _changed_since(session, device.id, stocktake.opened_at)
            if since is not None:
                _conflict(session, report, stocktake.id, device,
                          f"pas compté, mais vu depuis l'ouverture de l'inventaire ({_since_text(since)}) : "
                          "il n'est pas marqué manquant.")
                continue
            if device.missing_since is not None:
                continue
            device.missing_since = now
            session.add(MissingDevice(device_id=device.id, stocktake_id=stocktake.id,
                                      location_id=expected_at.get(device.id), marked_at=now, marked_by_id=user_id))
            session.add(StocktakeAdjustment(stocktake_id=stocktake.id, kind=AdjustmentKind.MISSING.value,
                                            device_id=device.id, from_location_id=expected_at.get(device.id)))
            report.missing += 1

        _apply_parts(session, stocktake.id, places, {p.location_id for p in stocktake.locations}, report)
        stocktake.status = StocktakeStatus.APPLIED.value
        end(session, stocktake, user_id=user_id, now=now)
    return report


def _apply_parts(session: Session, stocktake_id: int, places, scope: set[int], report: ApplyReport) -> None:
    """The part lines: each line of the stocktake takes the quantity counted in its own location,
    unless its quantity changed since the opening (a repair used a part, stock was added): then
    it is a conflict, left as it is, to count again. Units of a line counted in another location
    join the same part's line there (created if needed); when the line's own location is not in
    the stocktake, they are taken from it (they were recorded there, they are here)."""
    frozen = dict(session.execute(select(StocktakeExpected.spare_part_id, StocktakeExpected.quantity).where(
        StocktakeExpected.stocktake_id == stocktake_id, StocktakeExpected.spare_part_id.is_not(None))).all())
    counted_here: list[tuple[int, int, int]] = []        # (location, part, counted) in its own location
    counted_elsewhere: list[tuple[int, int, int]] = []
    lines = {}
    for location_id, place in sorted(places.items()):
        for part_id, (_expected, found) in sorted(place.parts.items()):
            part = lines.get(part_id) or session.execute(
                select(SparePart).where(SparePart.id == part_id).with_for_update()).scalar_one()
            lines[part_id] = part
            (counted_here if part.location_id == location_id else counted_elsewhere).append((location_id, part_id, found))
    for location_id, part_id, found in counted_here:
        part = lines[part_id]
        before = part.quantity
        if before == found:
            continue
        if frozen.get(part_id) != before:
            what = f"{frozen[part_id]} → {before}" if part_id in frozen else f"ligne créée depuis, {before}"
            reason = (f"quantité modifiée depuis l'ouverture ({what}), {found} comptée(s) : laissée telle quelle, "
                      "recomptez-la.")
            session.add(StocktakeAdjustment(stocktake_id=stocktake_id, kind=AdjustmentKind.CONFLICT.value,
                                            spare_part_id=part.id, to_location_id=location_id, reason=reason))
            report.conflicts.append(f"{part.description} : {reason}")
            continue
        part.quantity = found
        session.add(StocktakeAdjustment(stocktake_id=stocktake_id, kind=AdjustmentKind.PART.value,
                                        spare_part_id=part.id, to_location_id=location_id,
                                        quantity_before=before, quantity_after=found))
        report.parts += 1
    for location_id, part_id, found in counted_elsewhere:
        if found <= 0:
            continue
        part = lines[part_id]
        line = _same_part_at(session, part, location_id)
        if line is None:
            line = SparePart(part_type=part.part_type, description=part.description,
                             compatible_models=part.compatible_models, location_id=location_id,
                             quantity=0, harvested_from_id=part.harvested_from_id)
            session.add(line)
            session.flush()
        before = line.quantity
        line.quantity = before + found
        session.add(StocktakeAdjustment(stocktake_id=stocktake_id, kind=AdjustmentKind.PART_ADDED.value,
                                        spare_part_id=line.id, from_location_id=part.location_id,
                                        to_location_id=location_id, quantity_before=before,
                                        quantity_after=line.quantity))
        report.parts += 1
        if part.location_id not in scope:
            taken = min(found, part.quantity)
            if taken:
                session.add(StocktakeAdjustment(stocktake_id=stocktake_id, kind=AdjustmentKind.PART.value,
                                                spare_part_id=part.id, from_location_id=part.location_id,
                                                to_location_id=location_id, quantity_before=part.quantity,
                                                quantity_after=part.quantity - taken,
                                                reason="pièces trouvées dans un autre emplacement"))
                part.quantity -= taken
                report.parts += 1


def _same_part_at(session: Session, part: SparePart, location_id: int) -> SparePart | None:
    """The line of the same part (type, description, origin) at ``location_id``, locked, if any."""
    origin = (SparePart.harvested_from_id == part.harvested_from_id if part.harvested_from_id is not None
              else SparePart.harvested_from_id.is_(None))
    return session.execute(select(SparePart).where(
        SparePart.part_type == part.part_type, SparePart.description == part.description,
        SparePart.location_id == location_id, origin).with_for_update()).scalar_one_or_none()


def is_missing(session: Session, device_id: int) -> bool:
    return session.execute(select(exists().where(MissingDevice.device_id == device_id,
                                                 MissingDevice.found_at.is_(None)))).scalar()
