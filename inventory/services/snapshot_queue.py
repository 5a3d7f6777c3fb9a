"""The review queue of hardware snapshots: what a technician settles by hand (issue 17).

* A queued snapshot (an unknown machine posted with no collection, a chassis without category, no
  maker or model) is registered by ``register_queued_snapshot``: the technician names the
  collection and may correct the category, maker and model; the raw JSON kept on the record is
  read again by the parser and takes the steps of a direct post (``inventory.services.snapshots``:
  registration with its media and their health, disks of unknown kind set aside). If a device
  with that system serial number has been registered since, it is completed instead, by the same
  rules as a post. Or the snapshot is dismissed with its reason (``dismiss_queued_snapshot``).
* A disk set aside (``DeviceSnapshot.ignored``: no serial number, the USB stick, unreadable, of
  unknown kind, a serial already on another device) is added to the snapshot's device by
  ``add_set_aside_disk`` (the technician types the serial read on the disk's label and chooses the
  kind; model, capacity and health come from the snapshot), or dismissed with its reason
  (``dismiss_set_aside_disk``). The resolution is written on the entry (``resolution``: what, who,
  when) and ``pending_disks`` counts what is left. A medium that has an erasure record is never
  changed.

Each use case is one unit of work that reads the record again under its lock (``FOR UPDATE`` on
PostgreSQL, the write lock on SQLite): of two clicks on the same thing, the second gets
``Conflict``. Refused input raises ``ValidationFailed`` in French, naming the field.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import flag_modified

from core.actor import Actor
from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.paging import Page, page_of
from core.schemas import forbidden_text, load, parse_id
from core.unit_of_work import unit_of_work
from inventory.codes import clean_identifier
from inventory.lifecycle import StateGroup
from inventory.models import Device, DeviceSnapshot, StorageMedium
from inventory.schemas import MediumIn
from inventory.snapshot_summary import SnapshotSummary, summarise
from inventory.services.snapshots import (
    DISMISSED, QUEUED, REGISTERED, awaits_review, collection_by_reference, complete_known_device, complete_medium,
    device_by_serial, new_medium, pending_count, register_from_snapshot, set_aside_disks,
)
from inventory.snapshots.envelopes import Snapshot, parse_snapshot
from inventory.snapshots.smartctl import Disk
from inventory.vocabulary import SnapshotStatus

REASON_MAX = 500
# What became of a disk set aside (its entry's ``resolution.action``).
ADDED, MATCHED, SET_ASIDE = "added", "matched", "dismissed"


@dataclass(frozen=True)
class QueuedSnapshot:
    """A snapshot waiting for a technician; ``known_device``: a device registered since with
    its system serial number (registering it completes that device)."""
    record: DeviceSnapshot
    summary: SnapshotSummary         # what it says, in French, as the device sheet shows a snapshot
    known_device: Device | None


@dataclass(frozen=True)
class PendingDisk:
    """A disk set aside on a snapshot and not resolved yet."""
    record: DeviceSnapshot
    position: int
    reason: str                      # the parser's code (no-serial, removable…) or not-added
    message: str                     # why, in French
    device_name: str | None
    model: str | None
    serial_number: str | None
    capacity_gb: Decimal | None
    kind: str | None

    @property
    def device(self) -> Device | None:
        return self.record.device


# --- reading the queue -----------------------------------------------------------------------

QUEUE_ORDER = (DeviceSnapshot.received_at.asc(), DeviceSnapshot.id.asc())
SNAPSHOTS_PER_PAGE = 10      # each comes with its forms (the page renders in ~0.1 s at 20)
DISKS_PAGE = 20              # snapshots whose disks set aside make a page


def _queued():
    poster = (User.first_name + " " + User.last_name).label("poster")
    return (select(DeviceSnapshot, poster).outerjoin(User, User.id == DeviceSnapshot.posted_by_id)
            .where(DeviceSnapshot.status == QUEUED))


def _queued_items(session: Session, rows) -> list[QueuedSnapshot]:
    """The (record, poster) rows with their summaries and the devices registered since under
    their serial numbers (one statement for them all)."""
    serials = {record.serial_number for record, _ in rows}
    known = {device.serial_number: device for device in session.execute(
        select(Device).where(Device.serial_number.in_(serials))).scalars()} if serials else {}
    return [QueuedSnapshot(record, summarise(record, (name or "").strip() or None), known.get(record.serial_number))
            for record, name in rows]


def review_queue(session: Session) -> list[QueuedSnapshot]:
    """The queued snapshots, oldest first, each with the device registered since under its
    system serial number, if any. The raw JSON is not loaded."""
    return _queued_items(session, session.execute(_queued().order_by(*QUEUE_ORDER)).all())


def review_queue_page(session: Session, number: int | str = 1, size: int | None = None) -> Page:
    """A page of ``review_queue`` (three statements whatever its size)."""
    page = page_of(session, _queued(), QUEUE_ORDER, number, size or SNAPSHOTS_PER_PAGE, scalars=False)
    return Page(_queued_items(session, page.rows), page.number, page.size, page.count)


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _with_pending_disks():
    return (select(DeviceSnapshot).where(DeviceSnapshot.pending_disks > 0, DeviceSnapshot.status != DISMISSED)
            .options(joinedload(DeviceSnapshot.device)))


def _pending(records) -> list[PendingDisk]:
    return [PendingDisk(record, entry["position"], entry.get("reason") or "", entry.get("message") or "",
                        entry.get("device_name"), entry.get("model"), entry.get("serial_number"),
                        _decimal(entry.get("capacity_gb")), entry.get("kind"))
            for record in records for entry in record.ignored if awaits_review(entry)]


def pending_disks(session: Session) -> list[PendingDisk]:
    """The disks set aside and not resolved yet, of every snapshot not dismissed, oldest first,
    each with its snapshot (and the snapshot's device when it has one)."""
    return _pending(session.execute(_with_pending_disks().order_by(*QUEUE_ORDER)).scalars())


def pending_disk_page(session: Session, number: int | str = 1, size: int | None = None) -> Page:
    """The disks of a page of the snapshots that have some waiting (``count``: those snapshots)."""
    page = page_of(session, _with_pending_disks(), QUEUE_ORDER, number, size or DISKS_PAGE)
    return Page(_pending(page.rows), page.number, page.size, page.count)


# --- shared guards ----------------------------------------------------------------------------

def _locked(session: Session, snapshot_id) -> DeviceSnapshot:
    """The record, read again under its row lock (inside the unit of work)."""
    key = parse_id(snapshot_id)
    record = session.get(DeviceSnapshot, key, with_for_update=True, populate_existing=True) if key else None
    if record is None:
        raise NotFound(f"Instantané n° {str(snapshot_id)[:20]} introuvable.")
    return record


def _still_queued(record: DeviceSnapshot) -> None:
    if record.status != QUEUED:
        raise Conflict(f"Cet instantané a déjà été traité ({SnapshotStatus.label_of(record.status)}) : "
                       "rechargez la page.")


def _reason(value: str | None, field: str, what: str) -> str:
    text = (value or "").strip()
    if forbidden_text(text):
        raise ValidationFailed({field: ["Texte sans caractère nul ni caractère Unicode isolé attendu."]})
    if not text:
        raise ValidationFailed({field: [f"Raison obligatoire : dites pourquoi {what} est écarté."]})
    if len(text) > REASON_MAX:
        raise ValidationFailed({field: [f"Raison trop longue : {REASON_MAX} caractères au plus."]})
    return text


def _snapshot(record: DeviceSnapshot) -> Snapshot:
    """The snapshot as the parser reads its kept JSON today."""
    return parse_snapshot(json.loads(record.raw))


def _who(actor: Actor, now: datetime) -> dict:
    return {"at": now.isoformat(), "by_id": actor.id, "by": actor.name}


# --- queued snapshots ---------------------------------------------------------------------------

def _merged(before: list[dict], after: list[dict]) -> list[dict]:
    """The disks set aside now, each keeping the resolution its entry (same position) had."""
    resolved = {entry["position"]: entry["resolution"] for entry in before if entry.get("resolution")}
    return [{**entry, "resolution": resolved[entry["position"]]} if entry["position"] in resolved else entry
            for entry in after]


def register_queued_snapshot(session: Session, actor: Actor, snapshot_id, *, collection=None,
                             category: str | None = None, brand: str | None = None, model: str | None = None,
                             now: datetime | None = None, tag_prefix: str = "RK-",
                             tag_digits: int = 6) -> tuple[DeviceSnapshot, str]:
    """Register a queued snapshot's machine in ``collection`` (reference or id; required),
    ``category``, ``brand`` and ``model`` replacing what the snapshot says when given (None:
    the snapshot's). A device with the same system serial number registered since is completed
    instead (``completed`` or ``unchanged``; no collection needed). Returns (the record, linked to
    the device, and its new status).

    Raises NotFound (no such snapshot), Conflict (already registered or dismissed: a second
    click), ValidationFailed in French naming the field (no or unknown collection, a category,
    maker or model refused). Nothing is written then.
    """
    now = now or utcnow()
    with unit_of_work(session):
        record = _locked(session, snapshot_id)
        _still_queued(record)
        snapshot = _snapshot(record)
        notes = set_aside_disks(snapshot)
        device = device_by_serial(session, record.serial_number)
        if device is not None:
            status, reason = complete_known_device(session, device, snapshot, now, notes)
        else:
            if collection is None or not str(collection).strip():
                raise ValidationFailed({"collection": [
                    "Collecte obligatoire : choisissez la collecte d'où vient cet appareil."]})
            device = register_from_snapshot(
                session, snapshot, record.serial_number, collection_by_reference(session, str(collection)),
                user_id=actor.id, now=now, tag_prefix=tag_prefix, tag_digits=tag_digits, notes=notes,
                category=category, brand=brand, model=model)
            status, reason = REGISTERED, None
        record.device, record.collection, record.status = device, device.collection, status
        record.reason = reason or record.reason          # why it waited stays, unless something says more
        record.ignored = _merged(record.ignored, notes)
        record.pending_disks = pending_count(record.ignored)
        record.reviewed_at, record.reviewed_by_id = now, actor.id
        session.flush()
    return record, status


def dismiss_queued_snapshot(session: Session, actor: Actor, snapshot_id, *, reason: str | None,
                            now: datetime | None = None) -> DeviceSnapshot:
    """Set a queued snapshot aside (« Écarté ») with the reason: a test boot, a machine that is
    not a donation… Its disks set aside leave the queue with it. Raises NotFound, Conflict
    (already handled), ValidationFailed (no reason: field ``reason``)."""
    text = _reason(reason, "reason", "cet instantané")
    with unit_of_work(session):
        record = _locked(session, snapshot_id)
        _still_queued(record)
        record.status, record.dismissal_reason = DISMISSED, text
        record.reviewed_at, record.reviewed_by_id = now or utcnow(), actor.id
    return record


# --- disks set aside ----------------------------------------------------------------------------

def _pending_entry(record: DeviceSnapshot, position) -> dict:
    """The entry at ``position``, still to resolve, of a snapshot not dismissed."""
    key = parse_id(position)
    entry = next((e for e in record.ignored if key is not None and e.get("position") == key), None)
    if entry is None:
        raise NotFound(f"Disque n° {str(position)[:20]} absent de cet instantané.")
    if entry.get("resolution") or record.status == DISMISSED:
        raise Conflict("Ce disque a déjà été traité : rechargez la page.")
    return entry


def _disk_at(snapshot: Snapshot, position: int) -> Disk | None:
    """The disk smartctl read at ``position``, kept or set aside (None: an empty entry)."""
    for disk in snapshot.disks:
        if disk.position == position:
            return disk
    return next((item.disk for item in snapshot.ignored if item.position == position), None)


def _resolve(record: DeviceSnapshot, entry: dict, resolution: dict) -> None:
    entry["resolution"] = resolution
    flag_modified(record, "ignored")          # a change inside the JSON list: SQLAlchemy cannot see it
    record.pending_disks = pending_count(record.ignored)


def _placed(device: Device, entry: dict, disk: Disk | None, serial: str, kind: str,
            now: datetime) -> tuple[StorageMedium, str]:
    """The medium for the disk: the device's own of that serial (completed from the snapshot),
    or a new donated one with the model, capacity and health the snapshot read."""
    medium = next((m for m in device.media if m.serial_number == serial), None)
    if medium is not None:
        if medium.erasures:
            raise ValidationFailed({"serial_number": [
                f"Le support {serial} de l'appareil {device.asset_tag} a un effacement enregistré : il n'est jamais "
                "modifié. Écartez ce disque en disant pourquoi."]})
        if disk is not None and not disk.unreadable:
            complete_medium(medium, disk, now)
        return medium, MATCHED
    if disk is not None and not disk.unreadable:
        medium = new_medium(disk, serial, now, kind)
    else:
        medium = StorageMedium(kind=kind, serial_number=serial, model=(entry.get("model") or "")[:120] or None,
                               created_at=now)
    device.media.append(medium)
    return medium, ADDED


def add_set_aside_disk(session: Session, actor: Actor, snapshot_id, position, *, serial_number: str | None,
                       kind: str | None, now: datetime | None = None) -> tuple[DeviceSnapshot, StorageMedium]:
    """Add a disk set aside to the snapshot's device: ``serial_number`` as read on the disk's
    label, ``kind`` chosen by the technician; model, capacity and health from the snapshot. A
    medium of that device with that serial number is completed instead (never one that has an
    erasure record). Returns (the record, the medium).

    Raises NotFound, Conflict (already resolved; the snapshot still queued, dismissed, or its
    device gone from the workshop), ValidationFailed in French naming the field (no serial
    number, a kind refused, a serial number already on another device — named).
    """
    data = load(MediumIn(), {"kind": kind or "", "serial_number": serial_number})
    serial = clean_identifier(data.get("serial_number") or "")[:100]
    if not serial:
        raise ValidationFailed({"serial_number": [
            "Numéro de série obligatoire : tapez celui qui est imprimé sur l'étiquette du disque."]})
    now = now or utcnow()
    with unit_of_work(session):
        record = _locked(session, snapshot_id)
        entry = _pending_entry(record, position)
        device = record.device
        if device is None:
            raise Conflict("Cet instantané attend encore d'être enregistré : enregistrez l'appareil d'abord, puis "
                           "ajoutez-lui ce disque.")
        if device.state in StateGroup.LEFT_WORKSHOP:
            raise Conflict(f"L'appareil {device.asset_tag} a quitté l'atelier : ses supports ne sont plus modifiés.")
        other = session.execute(select(Device.asset_tag).join(StorageMedium).where(
            StorageMedium.serial_number == serial, Device.id != device.id).limit(1)).scalar()
        if other is not None:
            raise ValidationFailed({"serial_number": [
                f"Le numéro de série {serial} est déjà celui d'un support de l'appareil {other} : vérifiez "
                "l'étiquette du disque."]})
        medium, action = _placed(device, entry, _disk_at(_snapshot(record), entry["position"]), serial,
                                 data["kind"], now)
        session.flush()
        _resolve(record, entry, {"action": action, **_who(actor, now), "medium_id": medium.id,
                                 "serial_number": serial, "kind": medium.kind, "note": None})
    return record, medium


def dismiss_set_aside_disk(session: Session, actor: Actor, snapshot_id, position, *, reason: str | None,
                           now: datetime | None = None) -> DeviceSnapshot:
    """Dismiss a disk set aside with the reason (« clé USB de démarrage »…): nothing is added.
    Raises NotFound, Conflict (already resolved, or its snapshot dismissed), ValidationFailed (no
    reason: field ``reason``)."""
    text = _reason(reason, "reason", "ce disque")
    now = now or utcnow()
    with unit_of_work(session):
        record = _locked(session, snapshot_id)
        entry = _pending_entry(record, position)
        _resolve(record, entry, {"action": SET_ASIDE, **_who(actor, now), "medium_id": None,
                                 "serial_number": None, "kind": None, "note": text})
    return record
