"""A report table: what the dashboard shows beside each chart and what the exports write."""
from __future__ import annotations

from dataclasses import dataclass, field

from reporting.vocabulary import cell_text


@dataclass(frozen=True)
class Table:
    key: str                     # stable name, used in export URLs
    title: str                   # French
    columns: list[str]           # French headers
    rows: list[list] = field(default_factory=list)   # values, ``reporting.vocabulary`` Indicators and Figures
    chart: dict | None = None    # how to draw it: {"kind": "bar"|"columns"|"tiles", ...}
    links: frozenset[int] = frozenset()   # columns holding a certificate number to link to
    sheet: str | None = None     # a shorter French name for its XLSX sheet (31 characters at most)

    @property
    def sheet_name(self) -> str:
        return self.sheet or self.title

    def display_rows(self) -> list[list[str]]:
        """The rows as the page shows them: French labels and French numbers, « — » for nothing."""
        return [[cell_text(value) for value in row] for row in self.rows]

    def as_records(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]
