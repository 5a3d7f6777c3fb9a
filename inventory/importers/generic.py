"""The generic wiping-report format any wiping station can send: JSON or CSV, one entry per
drive, with the field names of an erasure record. Documented in ``docs/erasure-report-format.md``.

JSON::

    {"tool": "blancco", "tool_version": "7.4", "drives": [
        {"serial_number": "S3Z9NB0K123456", "model": "Samsung SSD 860", "manufacturer": "Samsung",
         "capacity_gb": 256, "level": "purge", "technique": "ata-secure-erase", "result": "pass",
         "verified": true, "started_at": "2026-03-02T09:00:00-04:00", ...}]}

CSV: a header line with the same names (``tool`` and ``tool_version`` may be columns too),
comma or semicolon separated, one line per drive.

Pure parsing: values stay as text or JSON values; ``inventory.schemas.ReportDriveIn`` checks them.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from core.uploads import MAX_COLUMNS, REPORT_MAX_DRIVES, count_text, csv_problem


class ReportFormatError(ValueError):
    """The file cannot be read as a report; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class GenericReport:
    format: str                     # "json" or "csv"
    tool: str | None
    tool_version: str | None
    drives: list[dict] = field(default_factory=list)   # raw entries, positions start at 1
    lines: list[int] = field(default_factory=list)     # CSV line of each entry (JSON: its index + 1)


BOOLEAN_TEXT = {"true": True, "vrai": True, "oui": True, "yes": True, "1": True,
                "false": False, "faux": False, "non": False, "no": False, "0": False}
INTEGER_FIELDS = {"passes", "bytes_erased", "size_bytes"}


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].split("\r", 1)[0]


def looks_like_csv(text: str) -> bool:
    first = _first_line(text.lstrip("\ufeff")) if text.strip() else ""
    return "serial_number" in first.lower() and ("," in first or ";" in first)


MAX_DEPTH = 20          # nesting of a JSON report (a report needs 3: report, drives, drive)


def _checked_json(data) -> None:
    """Refuse what a database cannot store and a report never holds: a nesting deeper than
    ``MAX_DEPTH``, text with the NUL character or a lone surrogate (``"\\ud800"``). Walked
    without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ReportFormatError(f"Rapport JSON trop imbriqué : {MAX_DEPTH} niveaux au plus.")
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and ("\x00" in value or not value.isascii() and _has_surrogate(value)):
            raise ReportFormatError("Rapport JSON : un texte contient un caractère invalide (NUL ou « \\ud800 » isolé).")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(text: str, max_drives: int = REPORT_MAX_DRIVES) -> GenericReport:
    """A JSON report: an object with a list ``drives`` (or the list itself), at most
    ``max_drives`` drives, nested ``MAX_DEPTH`` levels at most. Raises ReportFormatError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"JSON mal formé (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}.") from None
    except RecursionError:
        raise ReportFormatError(f"Rapport JSON trop imbriqué : {MAX_DEPTH} niveaux au plus.") from None
    _checked_json(data)
    if isinstance(data, list):
        data = {"drives": data}
    if not isinstance(data, dict) or not isinstance(data.get("drives"), list):
        raise ReportFormatError("Rapport JSON : un objet avec une liste « drives » (un élément par disque) est attendu.")
    drives = data["drives"]
    if not drives:
        raise ReportFormatError("Rapport JSON : la liste « drives » est vide.")
    if len(drives) > max_drives:
        raise ReportFormatError(f"Rapport JSON : {count_text(len(drives))} disques, {count_text(max_drives)} au plus "
                                "par rapport. Découpez le rapport en plusieurs.")
    if not all(isinstance(d, dict) for d in drives):
        raise ReportFormatError("Rapport JSON : chaque élément de « drives » doit être un objet.")
    return GenericReport("json", _text(data.get("tool")), _text(data.get("tool_version")),
                         drives=list(drives), lines=list(range(1, len(drives) + 1)))


def parse_csv(text: str, max_drives: int = REPORT_MAX_DRIVES) -> GenericReport:
    """A CSV report: a header line, then one line per drive; at most ``max_drives`` drives
    (counted while reading) and ``MAX_COLUMNS`` columns. Raises ReportFormatError."""
    text = text.lstrip("\ufeff")
    first = _first_line(text)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if first.count(delimiter) + 1 > MAX_COLUMNS:
        raise ReportFormatError(f"Rapport CSV : {count_text(first.count(delimiter) + 1)} colonnes, "
                                f"{MAX_COLUMNS} au plus.")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    drives, lines = [], []
    tools: set[tuple[str | None, str | None]] = set()
    try:
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            if len(drives) >= max_drives:
                raise ReportFormatError(f"Rapport CSV : plus de {count_text(max_drives)} disques, "
                                        f"{count_text(max_drives)} au plus par rapport. Découpez le rapport en plusieurs.")
            if None in row:
                raise ReportFormatError(f"Rapport CSV, ligne {reader.line_num} : plus de valeurs que de colonnes.")
            entry = {}
            for key, value in row.items():
                key = (key or "").strip()
                value = (value or "").strip()
                if not key or value == "":
                    continue
                if key in ("tool", "tool_version"):
                    continue
                if key == "verified":
                    entry[key] = BOOLEAN_TEXT.get(value.lower(), value)
                elif key in INTEGER_FIELDS and value.lstrip("-").isdecimal():
                    entry[key] = int(value)
                else:
                    entry[key] = value.replace(",", ".") if key == "capacity_gb" else value
            tools.add((_text(row.get("tool")), _text(row.get("tool_version"))))
            drives.append(entry)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ReportFormatError(f"Rapport CSV illisible, ligne {reader.line_num} : {csv_problem(exc)}.") from None
    if not drives:
        raise ReportFormatError("Rapport CSV : aucune ligne de disque sous l'en-tête.")
    tool, version = sorted(tools, key=lambda t: (t[0] or "", t[1] or ""))[0] if len(tools) == 1 else (None, None)
    return GenericReport("csv", tool, version, drives=drives, lines=lines)


def _text(value) -> str | None:
    return str(value).strip() or None if value is not None else None
