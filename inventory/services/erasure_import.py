"""Importing wiping reports (nwipe/ShredOS logs, generic JSON or CSV) and the review queue.

Each drive of a report is matched to a storage medium by serial number. One match: the erasure
record is written at once. No match, several, or a match that contradicts the report (another
device, another collection, a device that left the workshop, an impossible technique): the drive
waits in the review queue with the reason, until a technician assigns or dismisses it. A report
imported twice (same content hash) writes nothing the second time. One import, one transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.clock import MARTINIQUE, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from inventory.codes import clean_identifier
from inventory.importers.generic import ReportFormatError, looks_like_csv, looks_like_json, parse_csv, parse_json
from inventory.lifecycle import StateGroup
from inventory.models import Device, ErasureImport, ImportedDrive, StorageMedium
from inventory.queries import queued_drives
from core.schemas import load
from inventory.schemas import ReportDriveIn
from core.unit_of_work import unit_of_work
from core.uploads import REPORT_LIMITS, UploadLimits, check_size, count_text
from inventory.services.common import device_by_tag
from inventory.services.erasures import check_technique, erasure_record
from inventory.vocabulary import ErasureSource

# nwipe only overwrites: NIST SP 800-88 calls an overwrite of user-addressable space "clear".
NWIPE_LEVEL, NWIPE_TECHNIQUE = "clear", "overwrite"
TOOL_CHARS, TOOL_VERSION_CHARS = 120, 40      # ErasureImport.tool, .tool_version


@dataclass
class DriveLine:
    position: int
    serial_number: str | None
    model: str | None
    result: str
    status: str                 # matched, queued, duplicate
    reason: str | None = None
    asset_tag: str | None = None


@dataclass
class ImportOutcome:
    report_id: int
    format: str
    matched: int = 0
    queued: int = 0
    duplicates: int = 0
    lines: list[DriveLine] = field(default_factory=list)


def content_hash(content: bytes) -> str:
    """SHA-256 of the report's text with line endings normalised: the same log saved again on
    another system (CRLF, a final newline more or less) is still the same report."""
    normalised = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").strip()
    return hashlib.sha256(normalised).hexdigest()


def _jsonable(data: dict) -> dict:
    """The loaded drive data as JSON values (ISO times, decimals as text)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def _nwipe_entries(text: str, tz: tzinfo, operator_name: str | None,
                   limits: UploadLimits) -> tuple[str | None, str | None, list[dict], list[int]]:
    from inventory.importers.nwipe import NwipeLogError, parse_nwipe_log

    try:
        log = parse_nwipe_log(text, tz=tz)
    except NwipeLogError as exc:
        raise ValidationFailed({"file": [exc.message]}) from None
    if len(log.drives) > limits.max_rows:
        raise ValidationFailed({"file": [f"Journal nwipe : {count_text(len(log.drives))} disques, "
                                         f"{count_text(limits.max_rows)} au plus par rapport."]})
    entries = []
    for drive in log.drives:
        verification = (drive.verification or "").strip()
        verified = drive.status != "fail" and bool(verification) and "off" not in verification.lower()
        entries.append({key: value for key, value in {
            "serial_number": drive.serial_number,
            "device_name": drive.device_name,
            "model": drive.model,
            "manufacturer": drive.manufacturer,
            "size_bytes": drive.size_bytes,
            "bus": drive.bus,
            "level": NWIPE_LEVEL,
            "technique": NWIPE_TECHNIQUE,
            "method": drive.method,
            "tool": log.tool,
            "tool_version": log.tool_version,
            "passes": drive.rounds,
            "verification_method": verification or None,
            "verified": verified,
            "hpa_dco": drive.hpa_dco,
            "bytes_erased": drive.bytes_erased,
            "started_at": drive.started_at.isoformat() if drive.started_at else None,
            "ended_at": drive.ended_at.isoformat() if drive.ended_at else None,
            "result": drive.status,
            # nwipe does not name the operator: the technician who imports the log ran it.
            "sanitised_by": operator_name,
            "verified_by": operator_name if verified else None,
        }.items() if value is not None})
    return log.tool, log.tool_version, entries, list(range(1, len(entries) + 1))


def read_report(content: bytes, *, tz: tzinfo = MARTINIQUE, operator_name: str | None = None,
                limits: UploadLimits = REPORT_LIMITS) -> tuple[str, str | None, str | None, list[dict]]:
    """Recognise and parse a report. Returns (format, tool, tool version, checked drive data).

    Raises ValidationFailed with French messages (``file`` for the file itself, ``drives.N.field``
    for an entry), before anything is written. Bounded whatever the file: at most
    ``limits.max_bytes``, no NUL character (a binary file), at most ``limits.max_rows`` drives
    (counted while reading a CSV), and the limits of each reader (an nwipe log's lines, a JSON
    report's nesting).
    """
    check_size(content, limits)
    if not content.strip():
        raise ValidationFailed({"file": ["Fichier vide : un journal nwipe ou un rapport JSON/CSV est attendu."]})
    if b"\x00" in content:
        raise ValidationFailed({"file": ["Fichier binaire (il contient le caractère NUL) : un journal nwipe ou "
                                         "un rapport JSON/CSV (texte) est attendu."]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    from inventory.importers.nwipe import looks_like_nwipe

    try:
        if looks_like_nwipe(text):
            fmt = "nwipe"
            tool, version, entries, lines = _nwipe_entries(text, tz, operator_name, limits)
        elif looks_like_json(text):
            fmt, report = "json", parse_json(text, limits.max_rows)
            tool, version, entries, lines = report.tool, report.tool_version, report.drives, report.lines
        elif looks_like_csv(text):
            fmt, report = "csv", parse_csv(text, limits.max_rows)
            tool, version, entries, lines = report.tool, report.tool_version, report.drives, report.lines
        else:
            raise ValidationFailed({"file": [
                "Format non reconnu : un journal nwipe/ShredOS, ou un rapport JSON ou CSV "
                "(avec une colonne serial_number) est attendu."]})
    except ReportFormatError as exc:
        raise ValidationFailed({"file": [exc.message]}) from None
    # The report's own tool and version are stored with the import (120 and 40 characters).
    if tool is not None and len(tool) > TOOL_CHARS:
        raise ValidationFailed({"tool": [f"Outil : texte de {TOOL_CHARS} caractères au plus attendu."]})
    if version is not None and len(version) > TOOL_VERSION_CHARS:
        raise ValidationFailed({"tool_version": [f"Version de l'outil : texte de {TOOL_VERSION_CHARS} caractères "
                                                 "au plus attendu."]})

    errors: dict[str, list[str]] = {}
    drives = []
    for position, (entry, line) in enumerate(zip(entries, lines), start=1):
        entry = dict(entry)
        entry.setdefault("tool", tool)
        entry.setdefault("tool_version", version)
        entry = {k: v for k, v in entry.items() if v is not None}
        try:
            drives.append(load(ReportDriveIn(), entry))
        except ValidationFailed as exc:
            where = f"ligne {line}" if fmt == "csv" else f"disque {position}"
            for path, messages in exc.errors.items():
                errors[f"drives.{position}.{path}"] = [f"{where} : {m}" for m in messages]
    if errors:
        raise ValidationFailed(errors, message="Rapport refusé, rien n'a été importé. " + " ; ".join(
            f"{path} : {' '.join(msgs)}" for path, msgs in errors.items()))
    return fmt, tool, version, drives


def _match(session: Session, drive: dict, collection_id: int | None) -> tuple[StorageMedium | None, str | None]:
    """The one medium this drive is about, or the reason it must be reviewed."""
    if not drive.get("serial_number"):
        named = ", ".join(filter(None, [drive.get("device_name"), drive.get("model")])) or "disque sans nom"
        return None, f"Le rapport ne donne pas de numéro de série pour ce disque ({named}) : rattachez-le à la main."
    serial = clean_identifier(drive["serial_number"])
    media = session.execute(
        select(StorageMedium).where(StorageMedium.serial_number == serial)
        .options(joinedload(StorageMedium.device).joinedload(Device.collection))
    ).scalars().all()
    if not media:
        return None, f"Aucun support enregistré sous le numéro de série {serial}."
    if len(media) > 1:
        tags = ", ".join(sorted(m.device.asset_tag for m in media))
        return None, f"{len(media)} supports portent le numéro de série {serial} (appareils {tags}) : choisissez le bon."
    medium = media[0]
    device = medium.device
    tag = drive.get("asset_tag")
    if tag and clean_identifier(tag) != device.asset_tag:
        return None, f"Le support {serial} appartient à l'appareil {device.asset_tag}, pas à {clean_identifier(tag)} comme le dit le rapport."
    if collection_id is not None and device.collection_id != collection_id:
        return None, (f"Le support {serial} appartient à l'appareil {device.asset_tag} de la collecte "
                      f"{device.collection.reference}, pas à la collecte de cet import.")
    if device.state in StateGroup.LEFT_WORKSHOP:
        return None, f"L'appareil {device.asset_tag} est à l'état « {device.state_label} » : il a quitté l'atelier."
    problems = check_technique(drive["level"], drive["technique"], medium.kind)
    if problems:
        return None, " ".join(m for msgs in problems.values() for m in msgs)
    return medium, None


def import_erasure_report(session: Session, content: bytes, *, filename: str | None = None,
                          user_id: int | None = None, operator_name: str | None = None,
                          operator_role: str | None = None, collection_id: int | None = None,
                          now: datetime | None = None, tz: tzinfo = MARTINIQUE,
                          limits: UploadLimits = REPORT_LIMITS) -> ImportOutcome:
    """Import one report. Raises ValidationFailed (unreadable, truncated, invalid or oversized
    report: nothing written) or NotFound (unknown collection)."""
    check_size(content, limits)
    now = now or utcnow()
    digest = content_hash(content)
    previous = session.execute(
        select(ErasureImport).where(ErasureImport.content_sha256 == digest).options(joinedload(ErasureImport.drives))
    ).unique().scalar_one_or_none()
    if previous is not None:
        lines = [DriveLine(d.position, d.serial_number, d.model, d.result, "duplicate",
                           "Rapport déjà importé le " + previous.imported_at.astimezone(MARTINIQUE).strftime("%d/%m/%Y à %H:%M") + ".")
                 for d in previous.drives]
        return ImportOutcome(previous.id, previous.format, duplicates=len(lines), lines=lines)
    if collection_id is not None:
        from inventory.models import Collection

        if session.get(Collection, collection_id) is None:
            raise NotFound(f"Collecte n° {collection_id} inconnue.")

    fmt, tool, version, drives = read_report(content, tz=tz, operator_name=operator_name, limits=limits)
    source = ErasureSource.NWIPE.value if fmt == "nwipe" else ErasureSource.GENERIC.value
    outcome = ImportOutcome(report_id=0, format=fmt)
    with unit_of_work(session):
        report = ErasureImport(content_sha256=digest, filename=(filename or "")[:255] or None, format=fmt,
                               tool=tool, tool_version=version, collection_id=collection_id,
                               imported_at=now, imported_by_id=user_id)
        session.add(report)
        for position, drive in enumerate(drives, start=1):
            medium, reason = _match(session, drive, collection_id)
            row = ImportedDrive(report=report, position=position,
                                serial_number=clean_identifier(drive.get("serial_number") or "") or None,
                                model=drive.get("model"), result=drive["result"], details=_jsonable(drive))
            if medium is None:
                row.status, row.reason = "queued", reason
                outcome.queued += 1
                outcome.lines.append(DriveLine(position, row.serial_number, row.model, row.result, "queued", reason))
            else:
                _fill_medium_identity(medium, drive)
                row.erasure = erasure_record(medium, drive, user_id=user_id, operator_name=operator_name,
                                             operator_role=operator_role, now=now, source=source)
                row.status = "matched"
                outcome.matched += 1
                outcome.lines.append(DriveLine(position, row.serial_number, row.model, row.result, "matched",
                                               asset_tag=medium.device.asset_tag))
            session.add(row)
        session.flush()
        outcome.report_id = report.id
    return outcome


def _fill_medium_identity(medium: StorageMedium, drive: dict) -> None:
    """A report knows the drive's maker and model better than the reception did."""
    if not medium.model and drive.get("model"):
        medium.model = drive["model"][:120]
    if not medium.manufacturer and drive.get("manufacturer"):
        medium.manufacturer = drive["manufacturer"][:80]
    if not medium.serial_number and drive.get("serial_number"):
        medium.serial_number = clean_identifier(drive["serial_number"])


def review_queue(session: Session) -> list[ImportedDrive]:
    """Drives waiting for a technician, oldest first."""
    return list(session.execute(queued_drives().order_by(ImportedDrive.id)).scalars())


def _queued(session: Session, drive_id: int) -> ImportedDrive:
    drive = session.get(ImportedDrive, drive_id)
    if drive is None:
        raise NotFound(f"Disque importé n° {drive_id} inconnu.")
    if drive.status != "queued":
        raise Conflict(f"Ce disque a déjà été traité (statut : {drive.status}).")
    return drive


def assign_imported_drive(session: Session, drive_id: int, *, asset_tag: str, medium_id: int,
                          user_id: int | None = None, operator_name: str | None = None,
                          operator_role: str | None = None, note: str | None = None,
                          now: datetime | None = None) -> ImportedDrive:
    """A technician says which medium a queued drive is: its erasure record is written then.
    The medium must be that device's and carry the same serial number (or none yet)."""
    now = now or utcnow()
    drive = _queued(session, drive_id)
    device = device_by_tag(session, asset_tag)
    medium = next((m for m in device.media if m.id == medium_id), None)
    if medium is None:
        raise ValidationFailed({"medium": [f"Ce support n'appartient pas à l'appareil {device.asset_tag}."]})
    if device.state in StateGroup.LEFT_WORKSHOP:
        raise Conflict(f"L'appareil {device.asset_tag} est à l'état « {device.state_label} » : il a quitté l'atelier.")
    if medium.serial_number and drive.serial_number and medium.serial_number != drive.serial_number:
        raise ValidationFailed({"medium": [
            f"Le support choisi porte le numéro {medium.serial_number} ; le rapport parle du disque {drive.serial_number}."]})
    data = load(ReportDriveIn(), {k: v for k, v in drive.details.items() if v is not None})
    problems = check_technique(data["level"], data["technique"], medium.kind)
    if problems:
        raise ValidationFailed(problems)
    with unit_of_work(session):
        _fill_medium_identity(medium, data)
        source = ErasureSource.NWIPE.value if drive.report.format == "nwipe" else ErasureSource.GENERIC.value
        drive.erasure = erasure_record(medium, data, user_id=user_id, operator_name=operator_name,
                                       operator_role=operator_role, now=now, source=source)
        drive.status, drive.resolved_at, drive.resolved_by_id = "assigned", now, user_id
        drive.resolution_note = (note or "").strip() or None
    return drive


def dismiss_imported_drive(session: Session, drive_id: int, *, note: str, user_id: int | None = None,
                           now: datetime | None = None) -> ImportedDrive:
    """Set a queued drive aside (a disk from outside the programme, a test run…); the reason is kept."""
    drive = _queued(session, drive_id)
    if not (note or "").strip():
        raise ValidationFailed({"note": ["Dites pourquoi ce disque est écarté."]})
    with unit_of_work(session):
        drive.status, drive.resolved_at, drive.resolved_by_id = "dismissed", now or utcnow(), user_id
        drive.resolution_note = note.strip()
    return drive
