"""Mobile units as plain Python (no database): a unit's code (« M1 ») and the prefix of its invoice
series (« F-M1 »), its state, the last number of each year read from its invoices' numbers — what a
retired unit keeps as its closed series ({"2026": 12}) — and a unit as the « Unités mobiles » page
and the API show it (``UnitOverview``, ``unit_json``)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from core.vocabulary import Labelled
from distribution.numbering import INVOICE, UNIT_CODE, document_number, parse_number

NAME_CHARS = 100        # mobile_unit.name is String(100)
REASON_CHARS = 2000
LAST_CODE = 999         # M1…M999 (mobile_unit.code is String(6), numbering.UNIT_CODE)


class UnitState(Labelled):
    ACTIVE = ("active", "Active")
    OUT = ("out", "En tournée")
    RETIRED = ("retired", "Retirée")


def unit_code(n: int) -> str:
    """« M<n> » for the n-th unit ever created. ValueError beyond ``LAST_CODE``."""
    code = f"M{n}"
    if not 1 <= n <= LAST_CODE or not UNIT_CODE.match(code):
        raise ValueError(f"code d'unité hors limites : {code}")
    return code


def series_prefix(code: str) -> str:
    """« F-M1 »: the beginning of every invoice number of unit ``code``, whatever the year."""
    return f"{INVOICE}-{code}"


@dataclass(frozen=True)
class YearSeries:
    """A unit's invoices of one Martinique year: the last number and how many there are."""

    year: int
    last: int
    count: int
    last_number: str        # « F-M1-2026-00012 »


def year_series(code: str, numbers: Iterable[tuple[str, int]]) -> list[YearSeries]:
    """The unit's series year by year, oldest first, from ``numbers``: pairs (invoice number,
    how many invoices it stands for) — every number once with 1, or the highest number of each
    series with the series' count. A number outside unit ``code``'s series is left out."""
    years: dict[int, tuple[int, int]] = {}
    for text, count in numbers:
        parsed = parse_number(text)
        if parsed is None or parsed.prefix != INVOICE or parsed.unit != code:
            continue
        last, total = years.get(parsed.year, (0, 0))
        years[parsed.year] = (max(last, parsed.number), total + count)
    return [YearSeries(year, last, total, document_number(INVOICE, year, last, code))
            for year, (last, total) in sorted(years.items())]


def closed_series(series: Iterable[YearSeries]) -> dict[str, int]:
    """What a retired unit records (``mobile_unit.closed_series``): the last number of each year,
    keyed by the year as text (a JSON key), e.g. {"2026": 12}; {} when it issued nothing."""
    return {str(s.year): s.last for s in series}


@dataclass(frozen=True)
class TourOut:
    """The tour a unit is out with: its series is on the road."""

    id: int
    reference: str          # « TRN-2026-0041 »
    holder: str             # the name of the account holding it
    tour_date: date
    downloaded_at: datetime


@dataclass(frozen=True)
class UnitOverview:
    """A unit as the « Unités mobiles » page shows it."""

    id: int
    code: str
    name: str
    active: bool
    created_at: datetime
    series: tuple[YearSeries, ...]          # from its invoices, oldest year first
    tour: TourOut | None = None
    retired_at: datetime | None = None
    retired_by: str | None = None
    retired_reason: str | None = None
    closed_series: dict | None = None       # {"2026": 12}: the last number of each year when retired

    @property
    def state(self) -> UnitState:
        if not self.active:
            return UnitState.RETIRED
        return UnitState.OUT if self.tour is not None else UnitState.ACTIVE

    @property
    def state_label(self) -> str:
        return self.state.label

    @property
    def series_prefix(self) -> str:
        return series_prefix(self.code)

    @property
    def invoice_count(self) -> int:
        return sum(s.count for s in self.series)

    @property
    def closed_numbers(self) -> tuple[str, ...]:
        return closed_numbers(self.code, self.closed_series)


def closed_numbers(code: str, closed: dict | None) -> tuple[str, ...]:
    """A retired unit's closed series as printed numbers, oldest year first:
    {"2026": 12} → (« F-M1-2026-00012 »,). A year closed before its first invoice is left out."""
    numbers = []
    for year, last in sorted((closed or {}).items()):
        if str(year).isdigit() and isinstance(last, int) and last > 0:
            numbers.append(document_number(INVOICE, int(year), last, code))
    return tuple(numbers)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def unit_json(unit: UnitOverview) -> dict:
    """The API's answer for a unit: English keys and ISO times for programs, the French state
    in ``state_label``."""
    tour = unit.tour
    return {
        "id": unit.id, "code": unit.code, "name": unit.name, "active": unit.active,
        "state": unit.state.value, "state_label": unit.state_label, "series_prefix": unit.series_prefix,
        "created_at": _iso(unit.created_at),
        "invoice_count": unit.invoice_count,
        "series": [{"year": s.year, "last": s.last, "last_number": s.last_number, "count": s.count}
                   for s in unit.series],
        "tour": ({"id": tour.id, "reference": tour.reference, "holder": tour.holder,
                  "tour_date": tour.tour_date.isoformat(), "downloaded_at": _iso(tour.downloaded_at)}
                 if tour is not None else None),
        "retired_at": _iso(unit.retired_at), "retired_by": unit.retired_by, "retired_reason": unit.retired_reason,
        "closed_series": unit.closed_series, "closed_numbers": list(unit.closed_numbers),
    }
