"""A report table: what the dashboard shows beside each chart and what the exports write."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    key: str                     # stable name, used in export URLs
    title: str                   # French
    columns: list[str]           # French headers
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None    # how to draw it: {"kind": "bar"|"columns"|"tiles", ...}
    links: frozenset[int] = frozenset()   # columns holding a certificate number to link to

    def as_records(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]
