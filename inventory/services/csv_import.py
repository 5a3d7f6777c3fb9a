"""Importing a donor's device list (CSV) into a collection: every row is checked, and if any
row is wrong nothing is imported and the caller gets one problem per line and column.

Accepted files: UTF-8 (with or without BOM) or Windows-1252 as Excel writes them; comma or
semicolon separated; headers in English (the API field names) or French; decimal comma allowed.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.spreadsheets import csv_text
from core.uploads import DEVICE_IMPORT_LIMITS, MAX_COLUMNS, UploadLimits, check_size, count_text, csv_problem, decode_text
from inventory.models import Collection, Device
from core.schemas import load
from inventory.schemas import FIELD_LABELS, DeviceIn
from core.unit_of_work import unit_of_work
from inventory.services.devices import apply_registration, check_device, check_identifiers
from core.vocabulary import Category
from inventory.vocabulary import MediumKind

SNIFFED_CHARS = 1_000           # the start of the header line the delimiter sniffer reads

# Canonical column → accepted header spellings (compared without accents, case or spaces).
COLUMNS = {
    "category": ["category", "categorie", "type"],
    "brand": ["brand", "marque", "fabricant"],
    "model": ["model", "modele"],
    "serial_number": ["serial_number", "serial", "numero de serie", "n de serie", "no de serie", "sn"],
    "imei": ["imei"],
    "cpu": ["cpu", "processeur"],
    "ram_gb": ["ram_gb", "ram", "memoire vive", "ram (go)"],
    "storage_summary": ["storage_summary", "stockage"],
    "screen_in": ["screen_in", "ecran", "ecran (pouces)"],
    "os": ["os", "systeme", "systeme d'exploitation"],
    "weight_kg": ["weight_kg", "poids", "poids (kg)", "poids_kg"],
    "storage": ["storage", "supports", "supports de donnees"],
}
REQUIRED = ("category", "brand", "model", "serial_number")
SPEC_COLUMNS = ("cpu", "ram_gb", "storage_summary", "screen_in", "os")
NUMERIC = ("ram_gb", "screen_in", "weight_kg")

TEMPLATE_HEADER = ["category", "brand", "model", "serial_number", "imei", "cpu", "ram_gb",
                   "storage_summary", "screen_in", "os", "weight_kg", "storage"]


@dataclass(frozen=True)
class ImportProblem:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    devices: list[Device] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("°", "").replace("_", "_").split())


_ALIASES = {_fold(alias): canonical for canonical, aliases in COLUMNS.items() for alias in aliases}
_CATEGORY_BY_LABEL = {_fold(c.label): c.value for c in Category} | {c.value: c.value for c in Category}
_MEDIUM_BY_NAME = {m.value: m.value for m in MediumKind} | {"disque": "hdd", "disque dur": "hdd", "carte sd": "sdcard"}


def _number(value: str) -> str:
    return value.replace("\u00a0", "").replace(" ", "").replace(",", ".")


def _parse_storage(value: str) -> tuple[list[dict], str | None]:
    """``ssd:SN123:256;hdd:SN456:500`` (kind:serial:capacity in GB, serial and capacity optional)."""
    media = []
    for part in [p.strip() for p in value.split(";") if p.strip()]:
        pieces = [p.strip() for p in part.split(":")]
        kind = _MEDIUM_BY_NAME.get(_fold(pieces[0]))
        if kind is None:
            return [], (f"type de support « {pieces[0]} » inconnu : valeurs acceptées : "
                        f"{', '.join(MediumKind.values())} (format type:numéro:capacité;…).")
        medium = {"kind": kind}
        if len(pieces) > 1 and pieces[1]:
            medium["serial_number"] = pieces[1]
        if len(pieces) > 2 and pieces[2]:
            medium["capacity_gb"] = _number(pieces[2])
        if len(pieces) > 3:
            return [], "format attendu : type:numéro:capacité (séparez les supports par « ; »)."
        media.append(medium)
    return media, None


def template_csv() -> str:
    """An example file a donor can fill in."""
    return csv_text(TEMPLATE_HEADER, [
        ["laptop", "Dell", "Latitude 5490", "5CD1234XYZ", "", "Intel Core i5-8350U", "8", "SSD 256 Go", "14",
         "Windows 11", "1,6", "ssd:S3Z9NB0K123456:256"],
        ["smartphone", "Samsung", "Galaxy A52", "R58R12ABCDE", "356938035643809", "", "6", "128 Go", "6,5",
         "Android 13", "0,19", ""],
    ])


def parse_rows(content: bytes, limits: UploadLimits = DEVICE_IMPORT_LIMITS
               ) -> tuple[list[tuple[int, dict, dict[str, str]]], list[ImportProblem]]:
    """Read the file into (line, row data, canonical→header) triples, or file-level problems.

    Bounded whatever the file: at most ``limits.max_bytes`` (else ValidationFailed), at most
    ``MAX_COLUMNS`` columns, and every non-blank line is counted while reading: past
    ``limits.max_rows`` the file is refused at once with one problem."""
    check_size(content, limits)
    text = decode_text(content)
    if not text.strip():
        return [], [ImportProblem(1, "", "Fichier vide : une ligne d'en-têtes puis une ligne par appareil attendues.")]
    first = text.split("\n", 1)[0]
    try:
        # The sniffer's patterns are slow on long lines: a header line is short, its start is enough.
        delimiter = csv.Sniffer().sniff(first[:SNIFFED_CHARS], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [ImportProblem(1, "", "Ligne d'en-têtes illisible.")]
    if len(header) > MAX_COLUMNS:
        return [], [ImportProblem(1, "", f"{count_text(len(header))} colonnes : {MAX_COLUMNS} au plus "
                                         f"(colonnes acceptées : {', '.join(TEMPLATE_HEADER)}).")]
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    problems: list[ImportProblem] = []
    for index, raw in enumerate(header):
        canonical = _ALIASES.get(_fold(raw))
        shown = raw if len(raw) <= 80 else raw[:79] + "…"
        if canonical is None:
            if raw.strip():
                problems.append(ImportProblem(1, shown, f"Colonne inconnue. Colonnes acceptées : {', '.join(TEMPLATE_HEADER)}."))
            continue
        if canonical in headers:
            problems.append(ImportProblem(1, shown, f"Colonne en double (déjà « {headers[canonical]} »)."))
            continue
        columns[index] = canonical
        headers[canonical] = raw
    for required in REQUIRED:
        if required not in headers:
            problems.append(ImportProblem(1, required, f"Colonne obligatoire absente ({FIELD_LABELS[required]})."))
    if problems:
        return [], problems

    rows = []
    lines = 0
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            line = reader.line_num
            lines += 1
            if lines > limits.max_rows:
                return [], [ImportProblem(line, "", f"Trop de lignes : {count_text(limits.max_rows)} appareils au plus "
                                                    "par fichier. Découpez le fichier en plusieurs.")]
            if len(values) > len(header):
                problems.append(ImportProblem(line, "", f"{len(values)} valeurs pour {len(header)} colonnes : vérifiez les séparateurs."))
                continue
            row = {columns[i]: v.strip() for i, v in enumerate(values) if i in columns}
            rows.append((line, row, headers))
    except csv.Error as exc:
        problems.append(ImportProblem(reader.line_num, "", f"Ligne illisible : {csv_problem(exc)}."))
    return rows, problems


def _row_input(collection_id: int, row: dict[str, str]) -> tuple[dict, str | None]:
    """The row as ``DeviceIn`` input, and the problem of its storage column if any."""
    data: dict = {"collection": collection_id}
    specs: dict = {}
    storage_problem = None
    for key, value in row.items():
        if not value:
            continue
        if key in NUMERIC:
            value = _number(value)
        if key == "category":
            value = _CATEGORY_BY_LABEL.get(_fold(value), value)
        if key == "storage":
            media, storage_problem = _parse_storage(value)
            if not storage_problem:
                data["storage"] = media
        elif key in SPEC_COLUMNS:
            specs[key] = value
        else:
            data[key] = value
    if specs:
        data["specs"] = specs
    return data, storage_problem


def import_devices_csv(session: Session, collection_id: int, content: bytes, *, user_id: int | None = None,
                       now: datetime | None = None, tag_prefix: str = "RK-", tag_digits: int = 6,
                       limits: UploadLimits = DEVICE_IMPORT_LIMITS) -> ImportResult:
    """Check every row; import all of them in one transaction, or none. Raises NotFound for an
    unknown collection, ValidationFailed for a file too big or not text (``parse_rows``);
    returns the problems otherwise."""
    if session.get(Collection, collection_id) is None:
        raise NotFound(f"Collecte n° {collection_id} inconnue.")
    rows, problems = parse_rows(content, limits)
    result = ImportResult(problems=problems, rows=len(rows))
    cleaned_rows = []
    seen_serials: dict[str, str] = {}
    seen_imeis: dict[str, str] = {}
    for line, row, headers in rows:
        problems: list[tuple[str, str]] = []  # (column, message)
        data, storage_problem = _row_input(collection_id, row)
        if storage_problem:
            problems.append(("storage", storage_problem))
        try:
            loaded = load(DeviceIn(), data)
        except ValidationFailed as exc:
            loaded = None
            for path, messages in exc.errors.items():
                top = path.split(".")[0]
                problems += [(path.split(".")[-1] if top == "specs" else top, m) for m in messages]
        if loaded is not None and not storage_problem:
            cleaned, errors, duplicates = check_device(session, loaded, seen_serials=seen_serials, seen_imeis=seen_imeis)
            cleaned_rows.append(cleaned)
        else:
            # The row is already refused; still tell about its identifiers, so that one pass of
            # corrections is enough.
            serial, imei, errors, duplicates = check_identifiers(
                session, data.get("category"), data.get("serial_number"), data.get("imei"),
                seen_serials=seen_serials, seen_imeis=seen_imeis)
            cleaned = {"serial_number": serial, "imei": imei}
            errors = {k: v for k, v in errors.items() if k not in {c for c, _ in problems}}
        problems += [(path, m) for path, messages in {**errors, **duplicates}.items() for m in messages]
        result.problems += [ImportProblem(line, headers.get(column, column), message) for column, message in problems]
        if cleaned["serial_number"]:
            seen_serials.setdefault(cleaned["serial_number"], f"ligne {line}")
        if cleaned["imei"]:
            seen_imeis.setdefault(cleaned["imei"], f"ligne {line}")
    if not rows and not result.problems:
        result.problems.append(ImportProblem(2, "", "Aucun appareil dans le fichier."))
    if result.problems:
        result.problems.sort(key=lambda p: p.line)
        return result
    now = now or utcnow()
    with unit_of_work(session):
        for cleaned in cleaned_rows:
            result.devices.append(apply_registration(session, cleaned, user_id=user_id, now=now,
                                                     tag_prefix=tag_prefix, tag_digits=tag_digits))
    return result


def problems_csv(problems: list[ImportProblem]) -> str:
    """The error report a user downloads: line, column, message. Written by
    ``core.spreadsheets``: a column header or a value quoted from the file (``=cmd|…``) is text."""
    return csv_text(["ligne", "colonne", "message"], ([p.line, p.column, p.message] for p in problems))
