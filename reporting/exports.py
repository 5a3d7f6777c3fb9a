"""Tables to CSV (semicolon, UTF-8 with BOM, as French spreadsheets expect) and XLSX: one table,
or every table of a dashboard as one workbook. Written by ``core.spreadsheets``: text that a
spreadsheet would run as a formula (a site or a donor named ``=HYPERLINK(…)``) is neutralised,
numbers stay numbers, and amounts of money are numbers with a euro format in XLSX (``890.00`` in
CSV), whether the table holds them as the API's text (``"890.00"``) or as the page's
(``"890,00 €"``)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.spreadsheets import Money, csv_bytes, xlsx_bytes
from reporting.tables import Table

# Indicators that are amounts in euros (the API gives them as text with two decimals).
MONEY_INDICATORS = frozenset({"reference_value_total", "paid_total", "aide_solidaire_total"})
# An amount as core.money.euros writes it for the page: « -1 234,56 € » (non-breaking spaces).
_EUROS_TEXT = re.compile(r"(-?\d{1,3}(?:\u00a0\d{3})*),(\d{2})\u00a0€")


def _money(text: str) -> Money | None:
    match = _EUROS_TEXT.fullmatch(text)
    if match is None:
        return None
    return Money(Decimal(f"{match[1].replace(chr(0xA0), '')}.{match[2]}"))


def cells(table: Table) -> list[list]:
    """The table's rows as spreadsheet cells: amounts of money as ``Money``, the rest as is."""
    out = []
    for row in table.rows:
        row = list(row)
        if table.key == "indicators" and len(row) == 3 and row[0] in MONEY_INDICATORS:
            try:
                row[2] = Money(Decimal(str(row[2])))
            except InvalidOperation:
                pass
        out.append([(_money(v) or v) if isinstance(v, str) else v for v in row])
    return out


def to_csv(table: Table) -> bytes:
    return csv_bytes(table.columns, cells(table))


def to_xlsx(tables: list[Table]) -> bytes:
    return xlsx_bytes((table.title, table.columns, cells(table)) for table in tables)
