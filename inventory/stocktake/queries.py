"""What the stocktake pages read besides the result (``reporting.stocktakes``): the sites one may
open a stocktake of, the accuracy of each stocktake on a page of the list, and what applying a
stocktake would write, read without writing anything (the confirmation step)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from inventory.label_content import spare_part_code
from inventory.lifecycle import StateGroup
from inventory.models import Device, Location, Site, SparePart
from inventory.services.stocktake_apply import _changed_since, _since_text, read_tally
from inventory.services.stocktakes import stocktake_by_id
from inventory.stocktake.models import StocktakeCount, StocktakeExpected
from inventory.stocktake.rules import DEVICE_COUNTED, CountOutcome, StocktakeStatus, overall


def site_choices(session: Session) -> list[tuple[str, str]]:
    """(code, « name (code) ») of every site with at least one active location, by name: the
    sites a stocktake can be opened of."""
    rows = session.execute(
        select(Site.code, Site.name).where(exists().where(Location.site_id == Site.id, Location.active))
        .order_by(Site.name)).all()
    return [(code, f"{name} ({code})") for code, name in rows]


@dataclass(frozen=True)
class Accuracy:
    """Found at the right place ÷ expected, as ``reporting.stocktakes`` defines it."""

    expected: int
    found: int

    @property
    def rate(self) -> Decimal | None:
        if not self.expected:
            return None
        return (Decimal(self.found) / Decimal(self.expected)).quantize(Decimal("0.0001"))


def accuracies(session: Session, stocktake_ids: list[int]) -> dict[int, Accuracy]:
    """Each stocktake's devices expected and found at the right place (two grouped counts,
    whatever the number of stocktakes): for a page of the list."""
    if not stocktake_ids:
        return {}
    expected = dict(session.execute(
        select(StocktakeExpected.stocktake_id, func.count()).where(
            StocktakeExpected.stocktake_id.in_(stocktake_ids), StocktakeExpected.device_id.is_not(None))
        .group_by(StocktakeExpected.stocktake_id)).all())
    # A device is counted once per stocktake (a unique index): one « found » row is one device.
    found = dict(session.execute(
        select(StocktakeCount.stocktake_id, func.count())
        .join(StocktakeExpected, and_(StocktakeExpected.stocktake_id == StocktakeCount.stocktake_id,
                                      StocktakeExpected.device_id == StocktakeCount.device_id))
        .where(StocktakeCount.stocktake_id.in_(stocktake_ids), StocktakeCount.outcome == CountOutcome.FOUND.value)
        .group_by(StocktakeCount.stocktake_id)).all())
    return {i: Accuracy(expected.get(i, 0), found.get(i, 0)) for i in stocktake_ids}


@dataclass(frozen=True)
class PlannedMove:
    asset_tag: str
    from_code: str | None
    to_code: str


@dataclass(frozen=True)
class PlannedPart:
    """A part line corrected in its own location (``before`` → ``after``), or parts counted in
    another location (``recorded_at``) added there (``added``)."""

    code: str                  # SP-…
    description: str
    location: str              # where it was counted
    before: int | None = None
    after: int | None = None
    added: int | None = None
    recorded_at: str | None = None


@dataclass
class ApplyPreview:
    """What ``apply_stocktake`` would write now, read without writing: the confirmation step.
    ``open_locations`` not empty: it cannot be applied yet."""

    id: int
    reference: str
    status: str                                   # StocktakeStatus value
    status_label: str
    open_locations: list[str] = field(default_factory=list)
    moves: list[PlannedMove] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)      # asset tags to mark missing
    parts: list[PlannedPart] = field(default_factory=list)
    found_again: list[str] = field(default_factory=list)  # missing devices counted: found again
    conflicts: list[str] = field(default_factory=list)    # as apply_stocktake words them

    @property
    def can_apply(self) -> bool:
        return self.status == StocktakeStatus.OPEN.value and not self.open_locations


def apply_preview(session: Session, stocktake_id) -> ApplyPreview:
    """What applying the stocktake would do at this moment, decided as ``apply_stocktake``
    decides it (the same tally, the same conflict tests, the same words), without a write or a
    lock. Raises NotFound."""
    stocktake = stocktake_by_id(session, stocktake_id)
    preview = ApplyPreview(stocktake.id, stocktake.reference, stocktake.status, stocktake.status_label,
                           open_locations=[p.location.code for p in stocktake.locations if not p.is_closed])
    if stocktake.status != StocktakeStatus.OPEN.value:
        return preview
    places = read_tally(session, stocktake.id)
    whole = overall(places)
    counted = {c.device_id: c for c in session.execute(select(StocktakeCount).where(
        StocktakeCount.stocktake_id == stocktake.id, StocktakeCount.outcome.in_(DEVICE_COUNTED))).scalars()}
    missing = whole.expected - whole.found - whole.moved_out
    wanted = whole.moved_in | whole.found | missing
    devices = ({d.id: d for d in session.execute(select(Device).where(Device.id.in_(wanted))).scalars()}
               if wanted else {})
    codes = dict(session.execute(select(Location.id, Location.code)).all()) if places else {}

    for device_id in sorted(whole.moved_in | whole.found):
        row, device = counted[device_id], devices[device_id]
        here = codes[row.location_id]
        if device.location_id != row.recorded_location_id or device.state in StateGroup.LEFT_WORKSHOP:
            since = _changed_since(session, device.id, row.counted_at)
            what = _since_text(since) if since is not None else "modifié"
            preview.conflicts.append(f"{device.asset_tag} : changé depuis son comptage dans {here} ({what}) : "
                                     "laissé tel quel.")
            continue
        if device.missing_since is not None:
            preview.found_again.append(device.asset_tag)
        if row.outcome == CountOutcome.MOVED_IN.value and device.location_id != row.location_id:
            preview.moves.append(PlannedMove(device.asset_tag, codes.get(device.location_id), here))

    for device_id in sorted(missing):
        device = devices[device_id]
        since = _changed_since(session, device.id, stocktake.opened_at)
        if since is not None:
            preview.conflicts.append(
                f"{device.asset_tag} : pas compté, mais vu depuis l'ouverture de l'inventaire ({_since_text(since)}) : "
                "il n'est pas marqué manquant.")
            continue
        if device.missing_since is None:
            preview.missing.append(device.asset_tag)

    _preview_parts(session, stocktake, places, codes, preview)
    return preview


def _preview_parts(session: Session, stocktake, places, codes: dict[int, str], preview: ApplyPreview) -> None:
    """The part lines as ``stocktake_apply._apply_parts`` settles them: a line counted in its own
    location takes the quantity counted there, unless its quantity changed since the opening (a
    conflict); units counted in another location join a line there, and are taken from their own
    line when its location is not in the stocktake."""
    part_ids = {p for t in places.values() for p in t.parts}
    if not part_ids:
        return
    lines = {p.id: p for p in session.execute(select(SparePart).where(SparePart.id.in_(part_ids))).scalars()}
    frozen = dict(session.execute(select(StocktakeExpected.spare_part_id, StocktakeExpected.quantity).where(
        StocktakeExpected.stocktake_id == stocktake.id, StocktakeExpected.spare_part_id.is_not(None))).all())
    scope = {p.location_id for p in stocktake.locations}
    here, elsewhere = [], []
    for location_id, place in sorted(places.items()):
        for part_id, (_expected, found) in sorted(place.parts.items()):
            part = lines[part_id]
            (here if part.location_id == location_id else elsewhere).append((location_id, part, found))
    for location_id, part, found in here:
        before = part.quantity
        if before == found:
            continue
        if frozen.get(part.id) != before:
            what = f"{frozen[part.id]} → {before}" if part.id in frozen else f"ligne créée depuis, {before}"
            preview.conflicts.append(f"{part.description} : quantité modifiée depuis l'ouverture ({what}), {found} "
                                     "comptée(s) : laissée telle quelle, recomptez-la.")
            continue
        preview.parts.append(PlannedPart(spare_part_code(part), part.description, codes[location_id],
                                         before=before, after=found))
    left = {part.id: part.quantity for _location, part, _found in elsewhere}
    for location_id, part, found in elsewhere:
        if found <= 0:
            continue
        preview.parts.append(PlannedPart(spare_part_code(part), part.description, codes[location_id], added=found,
                                         recorded_at=codes.get(part.location_id)))
        taken = min(found, left[part.id]) if part.location_id not in scope else 0
        if taken:
            preview.parts.append(PlannedPart(spare_part_code(part), part.description, codes.get(part.location_id),
                                             before=left[part.id], after=left[part.id] - taken))
            left[part.id] -= taken
