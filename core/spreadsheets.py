"""Writing CSV and XLSX files that are safe to open in a spreadsheet: every file the application
lets someone download as a table goes through ``csv_bytes`` or ``xlsx_bytes``.

What they guarantee, whatever the cells hold:

* **No formula from data** (formula or "CSV" injection, OWASP; ASVS 1.2.10): a text cell whose
  first character (after any leading spaces) is one a spreadsheet reads as the start of a formula
  or of a command — ``=``, ``+``, ``-``, ``@``, tab, carriage return, line feed, NUL — is written
  with a leading apostrophe (``'=HYPERLINK(…)``), in the CSV and in the XLSX alike; an XLSX text
  cell is always a string cell (type ``s``), never a formula.
* **Numbers stay numbers**: ``int``, ``float`` and ``Decimal`` are written as numbers (a negative
  number too: only text is neutralised); ``Money`` is a number with a euro number format in
  XLSX and two decimals in CSV; ``Percent`` (a rate, 0.75) is a number with a percent format in
  XLSX (« 75,0 % ») and the number of per cent in CSV (``75``: its column or row says « % »).
  ``None`` and non-finite floats give an empty cell.
* **Files that open**: characters XML cannot hold are dropped from XLSX cells, lone surrogates
  become U+FFFD, text is cut at Excel's 32,767 characters per cell, sheet names are made valid
  and unique, and a name over Excel's 31 characters is cut at a word, never inside one.

CSV files are UTF-8 with a BOM and ``;`` between fields, as French spreadsheets expect; files
meant for people (the dashboard's tables, the batch results) also write numbers with a decimal
comma (``decimal=","``), so that a French spreadsheet reads them as numbers.
"""
from __future__ import annotations

import csv
import io
import math
import numbers
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Sequence

# First characters that make a spreadsheet read a cell as a formula or a command (OWASP CSV
# injection: = + - @ tab CR; ASVS 1.2.10 adds NUL; LF for good measure).
FORMULA_STARTS = frozenset("=+-@\t\r\n\x00")
EURO_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = "0.0\\ %"
DATE_FORMAT = "DD/MM/YYYY"
XLSX_MAX_CELL_CHARS = 32_767
XLSX_MAX_SHEET_TITLE = 31

# Characters XML 1.0 cannot hold (openpyxl refuses them).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    """An amount in euros: a number with a euro format in XLSX, ``890.00`` in CSV."""

    amount: Decimal

    def cents(self) -> Decimal:
        return Decimal(self.amount).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Percent:
    """A rate (``0.75``): a number with a percent format in XLSX (« 75,0 % »), the number of per
    cent in CSV (``75``)."""

    fraction: float | Decimal

    def per_cent(self) -> Decimal:
        return (Decimal(str(self.fraction)) * 100).normalize()


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    first = text.lstrip(" ")[:1]
    if first and first in FORMULA_STARTS:
        return "'" + text
    return text


def _clean_text(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text)


def _number_text(value: int | float | Decimal, decimal: str) -> str:
    if isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    return text.replace(".", decimal) if decimal != "." else text


def _finite(value: Any) -> bool:
    return not (isinstance(value, float) and not math.isfinite(value)) and not (
        isinstance(value, Decimal) and not value.is_finite())


def _plain(value: Any) -> Any:
    """Numbers of any kind (numpy's included) as int, float or Decimal; anything else as is."""
    if isinstance(value, (bool, int, float, Decimal)) or not isinstance(value, numbers.Real):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def csv_cell(value: Any, decimal: str = ".") -> str:
    """One cell as CSV text: numbers as numbers, text neutralised."""
    value = _plain(value)
    if value is None or not _finite(value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Money):
        return _number_text(value.cents(), decimal)
    if isinstance(value, Percent):
        return _number_text(value.per_cent(), decimal) if _finite(value.per_cent()) else ""
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value, decimal)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(_clean_text(str(value)))


def csv_text(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, delimiter: str = ";",
             decimal: str = ".") -> str:
    """The table as CSV text (without BOM); ``decimal`` is the decimal mark of numbers."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow([csv_cell(h, decimal) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v, decimal) for v in row])
    return out.getvalue()


def csv_bytes(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, delimiter: str = ";",
              decimal: str = ".") -> bytes:
    """The table as a CSV file: UTF-8 with BOM (Excel reads accents right), ``;`` by default."""
    return csv_text(header, rows, delimiter=delimiter, decimal=decimal).encode("utf-8-sig")


def cut_at_word(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its longest start of whole words that
    does (without a dangling « ( », « — » or punctuation); a first word longer than ``limit`` is cut."""
    if len(text) <= limit:
        return text
    if text[limit] == " ":
        head = text[:limit]
    else:
        space = text[:limit].rfind(" ")
        head = text[:space] if space > 0 else text[:limit]
    return head.rstrip(" (—–-,;:.") or text[:limit]


def sheet_title(title: str, used: set[str]) -> str:
    """A valid sheet name (31 characters, none of ``[]:*?/\\``, no edge apostrophe), unique
    among ``used`` (which it is added to). A longer title is cut at a word (``cut_at_word``),
    never mid-word: « Ce que sont devenus vos apparei » was a reader's puzzle."""
    name = _SHEET_FORBIDDEN.sub(" ", _XML_ILLEGAL.sub("", _clean_text(title)))
    name = cut_at_word(name.strip(), XLSX_MAX_SHEET_TITLE).strip().strip("'").strip() or "Tableau"
    base, n = name, 2
    while name.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        name, n = cut_at_word(base, XLSX_MAX_SHEET_TITLE - len(suffix)) + suffix, n + 1
    used.add(name)
    return name


def _xlsx_cell(sheet, value: Any, bold: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    value = _plain(value)
    if value is None or not _finite(value):
        cell = WriteOnlyCell(sheet, value=None)
    elif isinstance(value, Money):
        cell = WriteOnlyCell(sheet, value=value.cents())
        cell.number_format = EURO_FORMAT
    elif isinstance(value, Percent):
        cell = WriteOnlyCell(sheet, value=value.fraction if _finite(value.fraction) else None)
        cell.number_format = PERCENT_FORMAT
    elif isinstance(value, (bool, int, float, Decimal)):
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, (date, datetime)):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT if not isinstance(value, datetime) else "DD/MM/YYYY HH:MM"
    else:
        text = neutralise(_XML_ILLEGAL.sub("", _clean_text(str(value))))[:XLSX_MAX_CELL_CHARS]
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"          # a string, whatever it looks like: never a formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[Any] | None, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per ``(title, header, rows)``; the header row is bold. Written in
    openpyxl's write-only mode: memory stays proportional to one row, not to the table."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(title, used))
        if header is not None:
            sheet.append([_xlsx_cell(sheet, h, bold=True) for h in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    if not used:
        workbook.create_sheet("Tableau")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
