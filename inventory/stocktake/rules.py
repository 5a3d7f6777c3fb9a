"""The stocktake's rules as plain Python: what a counted code means, and what a location's count
comes to once it is closed. No database and no Flask here: the services feed these functions
with plain values and write what they return.

Words used throughout:
- *expected*: what the records placed in a location when the stocktake was opened (frozen then);
- *found*: a device expected here and counted here;
- *moved in*: a device of the workshop counted here whose records place it elsewhere (another
  location, in the stocktake or not, or none);
- *moved out*: a device expected here and counted in another location of the stocktake;
- *unexpected*: counted here but not stock (an unknown code, a device handed over or recycled);
- *missing*: expected here and counted nowhere in the stocktake.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from core.vocabulary import Labelled
from inventory.lifecycle import StateGroup


class StocktakeStatus(Labelled):
    OPEN = ("open", "En cours")
    APPLIED = ("applied", "Appliqué")
    CANCELLED = ("cancelled", "Annulé")


class LocationCountStatus(Labelled):
    PENDING = ("pending", "À compter")
    COUNTING = ("counting", "Comptage en cours")
    CLOSED = ("closed", "Clos")


class CountOutcome(Labelled):
    """What one counted code is. Only the first three count a device (once per stocktake)."""

    FOUND = ("found", "Trouvé ici")
    MOVED_IN = ("moved_in", "Trouvé ici, enregistré ailleurs")
    NOT_ON_SHELF = ("not_on_shelf", "Ne devrait pas être en rayon")
    UNKNOWN = ("unknown", "Code inconnu")
    REPEAT = ("repeat", "Déjà compté")
    PART = ("part", "Pièce détachée")


# The outcomes that count a device: at most one per device and per stocktake (a unique index).
DEVICE_COUNTED = (CountOutcome.FOUND.value, CountOutcome.MOVED_IN.value, CountOutcome.NOT_ON_SHELF.value)


class QuantityMode(Labelled):
    ADD = ("add", "Unité scannée")
    SET = ("set", "Quantité saisie")


class AdjustmentKind(Labelled):
    """What applying a stocktake did, or refused to do, for one device or part line."""

    MOVE = ("move", "Déplacé à l'emplacement compté")
    MISSING = ("missing", "Marqué manquant")
    PART = ("part", "Quantité de pièces corrigée")
    PART_ADDED = ("part_added", "Pièces trouvées ailleurs ajoutées")
    CONFLICT = ("conflict", "Conflit : rien n'est changé")


def accuracy_rate(found: int, expected: int) -> Decimal | None:
    """Found at the right place ÷ expected, a fraction to four places (None when nothing was
    expected): how a stocktake's accuracy is measured everywhere it is shown."""
    if not expected:
        return None
    return (Decimal(found) / Decimal(expected)).quantize(Decimal("0.0001"))


def classify_device(*, state: str, expected_location: int | None, here: int) -> str:
    """The outcome of counting, in location ``here``, a device not yet counted in this stocktake:
    ``expected_location`` is where the stocktake expects it (None: it expects it nowhere)."""
    if state in StateGroup.LEFT_WORKSHOP:
        return CountOutcome.NOT_ON_SHELF.value
    if expected_location == here:
        return CountOutcome.FOUND.value
    return CountOutcome.MOVED_IN.value


def counted_quantity(rows: list[tuple[str, int]]) -> int:
    """The quantity of one part line counted in one location, from its count rows in the order
    they were recorded: a typed quantity (``set``) replaces what was counted before it, and each
    unit scanned (``add``) adds to it."""
    total = 0
    for mode, quantity in rows:
        total = quantity if mode == QuantityMode.SET.value else total + quantity
    return total


@dataclass
class LocationTally:
    """One location's result: devices by id (their asset tags are looked up by the caller),
    parts as (line id → (expected, counted))."""

    expected: set[int] = field(default_factory=set)
    found: set[int] = field(default_factory=set)
    moved_in: set[int] = field(default_factory=set)
    moved_out: set[int] = field(default_factory=set)
    not_on_shelf: set[int] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    repeats: int = 0
    parts: dict[int, list[int]] = field(default_factory=dict)

    @property
    def missing(self) -> set[int]:
        return self.expected - self.found - self.moved_out

    @property
    def unexpected(self) -> int:
        return len(self.not_on_shelf) + len(self.unknown)


@dataclass(frozen=True)
class ExpectedRow:
    location_id: int
    device_id: int | None = None
    spare_part_id: int | None = None
    quantity: int = 0


@dataclass(frozen=True)
class CountRow:
    location_id: int
    outcome: str
    device_id: int | None = None
    spare_part_id: int | None = None
    code: str = ""
    quantity: int = 0
    mode: str | None = None


def tally(expected: list[ExpectedRow], counts: list[CountRow]) -> dict[int, LocationTally]:
    """Each location's result from the frozen expectations and the count rows (in the order they
    were recorded). A device expected in one location and counted in another is *moved out* of
    the first and *moved in* to the second; it is missing from neither."""
    tallies: dict[int, LocationTally] = defaultdict(LocationTally)
    expected_at: dict[int, int] = {}
    part_rows: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for row in expected:
        place = tallies[row.location_id]
        if row.device_id is not None:
            place.expected.add(row.device_id)
            expected_at[row.device_id] = row.location_id
        elif row.spare_part_id is not None:
            place.parts[row.spare_part_id] = [row.quantity, 0]
    for row in counts:
        place = tallies[row.location_id]
        if row.outcome == CountOutcome.FOUND.value:
            place.found.add(row.device_id)
        elif row.outcome == CountOutcome.MOVED_IN.value:
            place.moved_in.add(row.device_id)
            if row.device_id in expected_at:
                tallies[expected_at[row.device_id]].moved_out.add(row.device_id)
        elif row.outcome == CountOutcome.NOT_ON_SHELF.value:
            place.not_on_shelf.add(row.device_id)
            if row.device_id in expected_at:
                tallies[expected_at[row.device_id]].moved_out.add(row.device_id)
        elif row.outcome == CountOutcome.UNKNOWN.value:
            place.unknown.append(row.code)
        elif row.outcome == CountOutcome.REPEAT.value:
            place.repeats += 1
        elif row.outcome == CountOutcome.PART.value:
            part_rows[(row.location_id, row.spare_part_id)].append((row.mode, row.quantity))
    for (location_id, part_id), rows in part_rows.items():
        tallies[location_id].parts.setdefault(part_id, [0, 0])[1] = counted_quantity(rows)
    return dict(tallies)


def overall(tallies: dict[int, LocationTally]) -> LocationTally:
    """The whole stocktake's result: the union of its locations'."""
    total = LocationTally()
    for place in tallies.values():
        total.expected |= place.expected
        total.found |= place.found
        total.moved_in |= place.moved_in
        total.moved_out |= place.moved_out
        total.not_on_shelf |= place.not_on_shelf
        total.unknown += place.unknown
        total.repeats += place.repeats
    # A device moved from one counted location to another is moved, not missing, overall too.
    return total
