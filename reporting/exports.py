"""Tables to CSV and XLSX: one table, or every table of a dashboard as one workbook, written by
``core.spreadsheets`` (text that a spreadsheet would run as a formula — a site or a donor named
``=HYPERLINK(…)`` — is neutralised; numbers stay numbers).

What a reader gets, in both files: French headers and labels, never an indicator's key (the API,
``GET /api/v1/indicators``, keeps those); an indicator's label carries its unit where the cell is
a plain number (« Poids réemployé (kg) », « Taux de présence aux ateliers (%) »). Figures are
numbers (``reporting.vocabulary.export_cell``):

* XLSX: money is a number with a euro format (« 1 234,56 € »), a rate a fraction with a percent
  format (« 75,0 % »), counts, weights and days plain numbers; each sheet is named by the
  table's short French name (31 characters at most, never cut mid-word).
* CSV: as French spreadsheets read it and as the batch results are written — UTF-8 with a BOM,
  ``;`` between fields, a decimal comma (``1234,56`` for money, ``75`` for a rate of 75 %: the
  label says « (%) »), no thousands separator.
"""
from __future__ import annotations

from core.spreadsheets import csv_bytes, xlsx_bytes
from reporting.tables import Table
from reporting.vocabulary import export_cell

CSV_DECIMAL = ","


def cells(table: Table) -> list[list]:
    """The table's rows as spreadsheet cells (``reporting.vocabulary.export_cell``)."""
    return [[export_cell(value) for value in row] for row in table.rows]


def to_csv(table: Table) -> bytes:
    return csv_bytes(table.columns, cells(table), decimal=CSV_DECIMAL)


def to_xlsx(tables: list[Table]) -> bytes:
    return xlsx_bytes((table.sheet_name, table.columns, cells(table)) for table in tables)
