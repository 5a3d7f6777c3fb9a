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


def looks_like_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return "serial_number" in first.lower() and ("," in first or ";" in first)


def parse_json(text: str) -> GenericReport:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"JSON mal formé (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}.") from None
    if isinstance(data, list):
        data = {"drives": data}
    if not isinstance(data, dict) or not isinstance(data.get("drives"), list):
        raise ReportFormatError("Rapport JSON : un objet avec une liste « drives » (un élément par disque) est attendu.")
    drives = data["drives"]
    if not drives:
        raise ReportFormatError("Rapport JSON : la liste « drives » est vide.")
    if not all(isinstance(d, dict) for d in drives):
        raise ReportFormatError("Rapport JSON : chaque élément de « drives » doit être un objet.")
    return GenericReport("json", _text(data.get("tool")), _text(data.get("tool_version")),
                         drives=list(drives), lines=list(range(1, len(drives) + 1)))


def parse_csv(text: str) -> GenericReport:
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    drives, lines = [], []
    tools: set[tuple[str | None, str | None]] = set()
    try:
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
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
                elif key in INTEGER_FIELDS and value.lstrip("-").isdigit():
                    entry[key] = int(value)
                else:
                    entry[key] = value.replace(",", ".") if key == "capacity_gb" else value
            tools.add((_text(row.get("tool")), _text(row.get("tool_version"))))
            drives.append(entry)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ReportFormatError(f"Rapport CSV illisible, ligne {reader.line_num} : {exc}.") from None
    if not drives:
        raise ReportFormatError("Rapport CSV : aucune ligne de disque sous l'en-tête.")
    tool, version = sorted(tools, key=lambda t: (t[0] or "", t[1] or ""))[0] if len(tools) == 1 else (None, None)
    return GenericReport("csv", tool, version, drives=drives, lines=lines)


def _text(value) -> str | None:
    return str(value).strip() or None if value is not None else None
