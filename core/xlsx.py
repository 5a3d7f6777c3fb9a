"""Reading the first sheet of an XLSX workbook as rows of text, streaming, at a bounded cost.

Why not openpyxl's reader: its cost per cell depends on what the file chooses (an inline rich-text
cell costs some 50 µs, a shared string 10 µs), so a file within the size limits could still take
tens of seconds. Here each XML part is fed in chunks to expat (``pyexpat``) and every element
costs about the same small amount, whatever it holds: reading time is proportional to the number
of tags and to the decompressed size, which ``core.uploads`` bounds before anything is read.

What it reads: shared strings (rich-text runs joined, phonetic guides left out), inline strings,
numbers (whole numbers without ``.0``), booleans (``VRAI``/``FAUX``), error values (``#N/A``),
formula results as cached by the spreadsheet, and dates — numbers with a date format, converted
from the workbook's epoch (1900 or 1904) to ``AAAA-MM-JJ`` (with the time when there is one).
Rows come in file order without padding (a blank row is simply absent); cells are placed by their
reference (``C5``) and cut at ``max_columns``; memory holds one row. The caller has checked the
archive (``core.uploads.check_xlsx_archive``); a malformed part raises ``XlsxError``.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable
from xml.parsers import expat

_CHUNK = 64 * 1024
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d*)")
_INT = re.compile(r"-?\d{1,15}")
MAX_CELLS_IN_ROW = 16_384                      # Excel's own limit (column XFD)


class XlsxError(ValueError):
    """The workbook cannot be read; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Enough(Exception):
    """Stops the parser once enough rows are read."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Names(dict):
    """Element name as written (``c``, ``x:c``) → local name, cached: one lookup per element."""

    def __missing__(self, name: str) -> str:
        self[name] = local = _local(name)
        return local


def _parse(archive: zipfile.ZipFile, name: str, start: Callable, end: Callable, text: Callable | None = None) -> None:
    """Feed one part to expat chunk by chunk (memory: one chunk and what the handlers keep)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except KeyError:
        raise XlsxError(f"Classeur XLSX incomplet : la partie « {name[:80]} » manque.") from None
    except expat.ExpatError as exc:
        raise XlsxError(f"Classeur XLSX illisible : XML mal formé dans « {name[:80]} » "
                        f"({expat.ErrorString(exc.code)}, ligne {exc.lineno}).") from None


def _elements(archive: zipfile.ZipFile, name: str) -> list[tuple[str, dict]]:
    """(local name, attributes) of every element of a small part, in document order."""
    out: list[tuple[str, dict]] = []
    _parse(archive, name, lambda tag, attrs: out.append((_local(tag), attrs)), lambda tag: None)
    return out


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target part name) of a part's relationships; {} when it has none."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    out = {}
    for tag, attrs in _elements(archive, rels):
        if tag != "Relationship" or attrs.get("TargetMode") == "External":
            continue
        target = attrs.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[attrs.get("Id") or ""] = (attrs.get("Type") or "", target)
    return out


@dataclass(frozen=True)
class FirstSheet:
    """Where the first sheet and what it needs are, in the archive."""

    sheet: str                       # part name, e.g. xl/worksheets/sheet1.xml
    shared_strings: str | None
    styles: str | None
    epoch: object                    # openpyxl's calendar epoch (1900 or 1904)


def first_sheet(archive: zipfile.ZipFile) -> FirstSheet:
    """Find the first sheet of the workbook (package relationships → workbook → its relationships)."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    office = next((target for kind, target in _relationships(archive, "").values()
                   if kind.endswith("/officeDocument")), "xl/workbook.xml")
    sheet_id, epoch = None, CALENDAR_WINDOWS_1900
    for tag, attrs in _elements(archive, office):
        if tag == "workbookPr" and (attrs.get("date1904") or "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif tag == "sheet" and sheet_id is None:
            sheet_id = next((v for k, v in attrs.items() if _local(k) == "id"), None)
    relationships = _relationships(archive, office)
    if sheet_id is None or sheet_id not in relationships:
        raise XlsxError("Classeur XLSX sans feuille lisible.")
    return FirstSheet(relationships[sheet_id][1],
                      next((t for k, t in relationships.values() if k.endswith("/sharedStrings")), None),
                      next((t for k, t in relationships.values() if k.endswith("/styles")), None), epoch)


def _shared_strings(archive: zipfile.ZipFile, name: str | None) -> list[str]:
    if name is None or name not in archive.NameToInfo:
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = {"capture": False, "phonetic": 0}
    names = _Names()

    def start(tag, attrs):
        tag = names[tag]
        if tag == "t" and not state["phonetic"]:
            state["capture"] = True
        elif tag == "rPh":
            state["phonetic"] += 1

    def end(tag):
        tag = names[tag]
        if tag == "t":
            state["capture"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            strings.append("".join(parts))
            parts.clear()

    def text(data):
        if state["capture"]:
            parts.append(data)

    _parse(archive, name, start, end, text)
    return strings


def _date_styles(archive: zipfile.ZipFile, name: str | None) -> list[bool]:
    """For each cell style (``s`` attribute), whether its number format is a date or a time."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    if name is None or name not in archive.NameToInfo:
        return []
    custom: dict[int, str] = {}
    formats: list[int] = []
    depth = {"cellXfs": 0}
    names = _Names()

    def number(attrs, default=0):
        try:
            return int(attrs.get("numFmtId", default))
        except ValueError:
            return default

    def start(tag, attrs):
        tag = names[tag]
        if tag == "cellXfs":
            depth["cellXfs"] += 1
        elif tag == "numFmt":
            custom[number(attrs, -1)] = attrs.get("formatCode") or ""
        elif tag == "xf" and depth["cellXfs"]:
            formats.append(number(attrs))

    def end(tag):
        if names[tag] == "cellXfs":
            depth["cellXfs"] -= 1

    _parse(archive, name, start, end)
    known: dict[int, bool] = {}
    for number_format in set(formats):
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format, "General"))
        try:
            known[number_format] = bool(is_date_format(code))
        except Exception:         # a format code openpyxl cannot read is not a date
            known[number_format] = False
    return [known[f] for f in formats]


def _column(reference: str | None, previous: int) -> int:
    """0-based column of a cell reference (``C5`` → 2), or the next one without a reference."""
    match = _CELL_REF.match(reference or "")
    if not match:
        return previous + 1
    index = 0
    for letter in match.group(1).upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def cell_text(value: Any) -> str:
    """A value as the text a CSV would hold: ``97213`` (not ``97213.0``), a date as
    ``AAAA-MM-JJ``, nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _number_text(raw: str, is_date: bool, epoch) -> str:
    raw = raw.strip()
    if not is_date and _INT.fullmatch(raw):
        return str(int(raw))
    try:
        value = float(raw)
    except ValueError:
        return raw
    if is_date:
        from openpyxl.utils.datetime import from_excel

        try:
            return cell_text(from_excel(value, epoch))
        except (ValueError, OverflowError, TypeError):
            pass
    return cell_text(value)


def read_rows(archive: zipfile.ZipFile, where: FirstSheet, *, max_rows: int, max_columns: int) -> list[list[str]]:
    """The first sheet's rows as text, at most ``max_rows`` of them (the caller asks for one more
    than it allows, to tell a file that is too long): parsing stops there."""
    shared = _shared_strings(archive, where.shared_strings)
    dates = _date_styles(archive, where.styles)
    epoch = where.epoch
    names = _Names()
    done: list[list[str]] = []          # rows read
    # The cell being read: its column, type, style; whether its text is being captured.
    cell = {"column": -1, "kind": None, "style": None, "capture": False, "phonetic": 0, "cells": 0, "rows": 0}
    row: list[str] = []
    value: list[str] = []

    def start(tag, attrs):
        tag = names[tag]
        if tag == "c":
            cell["cells"] += 1
            if cell["cells"] > MAX_CELLS_IN_ROW:
                raise XlsxError(f"Classeur XLSX illisible : une ligne a plus de {MAX_CELLS_IN_ROW} cellules.")
            cell["column"] = _column(attrs.get("r"), cell["column"])
            cell["kind"], cell["style"] = attrs.get("t"), attrs.get("s")
            value.clear()
        elif tag in ("v", "t"):
            cell["capture"] = not cell["phonetic"]
        elif tag == "rPh":
            cell["phonetic"] += 1
        elif tag == "row":
            row.clear()
            cell["column"], cell["cells"] = -1, 0

    def end(tag):
        tag = names[tag]
        if tag in ("v", "t"):
            cell["capture"] = False
        elif tag == "rPh":
            cell["phonetic"] -= 1
        elif tag == "c":
            column = cell["column"]
            if 0 <= column < max_columns:
                if column >= len(row):
                    row.extend([""] * (column + 1 - len(row)))
                row[column] = _cell_value("".join(value), cell["kind"], cell["style"])
        elif tag == "row":
            cell["rows"] += 1
            done.append(list(row))
            if cell["rows"] >= max_rows:
                raise _Enough

    def text(data):
        if cell["capture"]:
            value.append(data)

    def _cell_value(raw: str, kind: str | None, style: str | None) -> str:
        if kind == "s":
            try:
                return shared[int(raw)]
            except (ValueError, IndexError):
                raise XlsxError("Classeur XLSX illisible : une cellule renvoie à un texte partagé absent.") from None
        if kind in ("inlineStr", "str", "e", "d"):
            return raw
        if kind == "b":
            return "VRAI" if raw.strip() in ("1", "true") else "FAUX"
        if raw == "":
            return ""
        try:
            is_date = bool(style) and dates[int(style)]
        except (ValueError, IndexError):
            is_date = False
        return _number_text(raw, is_date, epoch)

    try:
        _parse(archive, where.sheet, start, end, text)
    except _Enough:
        pass
    return done
