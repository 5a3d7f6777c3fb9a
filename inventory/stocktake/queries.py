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
from inventory.services.stocktake_apply import plan_apply
from inventory.services.stocktakes import stocktake_by_id
from inventory.stocktake.models import StocktakeCount, StocktakeExpected
from inventory.stocktake.rules import AdjustmentKind, CountOutcome, StocktakeStatus, accuracy_rate


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
        return accuracy_rate(self.found, self.expected)


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
    """What applying the stocktake would do at this moment: ``stocktake_apply.plan_apply``, the
    decisions ``apply_stocktake`` carries out, read without a write or a lock. Raises NotFound."""
    stocktake = stocktake_by_id(session, stocktake_id)
    plan = plan_apply(session, stocktake)
    preview = ApplyPreview(stocktake.id, stocktake.reference, stocktake.status, stocktake.status_label,
                           open_locations=plan.open_locations)
    preview.moves = [PlannedMove(device.asset_tag, source.code if source else None, here.code)
                     for device, here, source in plan.moves]
    preview.missing = [device.asset_tag for device, _expected in plan.missing]
    preview.found_again = [device.asset_tag for device, _here in plan.found_again]
    preview.conflicts = [conflict.text for conflict in plan.conflicts]
    for change in plan.parts:
        part = change.line if change.line is not None else change.like
        if change.kind == AdjustmentKind.PART_ADDED.value:
            like = change.like
            preview.parts.append(PlannedPart(spare_part_code(like), like.description, change.location.code,
                                             added=change.after - change.before,
                                             recorded_at=change.from_location.code if change.from_location else None))
        else:
            place = change.from_location or change.location      # parts taken: from their own line
            preview.parts.append(PlannedPart(spare_part_code(part), part.description, place.code,
                                             before=change.before, after=change.after))
    return preview
