"""Receiving a hardware snapshot: the computer booted on a live USB stick says what it is, and
becomes a registered, health-checked device (issue 17).

``receive_snapshot`` reads the snapshot with the pure parser (``inventory.snapshots``), then, in
one unit of work:

* the same uuid posted again: the earlier record is returned (``DUPLICATE``), nothing written;
* the device is found by its system serial number (``clean_identifier``, as every device serial
  is stored);
* the same content (``content_hash``) already received for that device: the earlier record is
  returned (``UNCHANGED``), nothing written — neither the device nor a new record: a station that
  posts the same machine again (another boot, another tool) adds no line to the audit trail
  that would say nothing new. The same content still waiting in the queue: ``DUPLICATE``;
* a known device is completed: only its empty fields are filled (processor, memory; the maker and
  model a technician typed are never overwritten); a disk whose serial number it does not have
  yet is added as a donated medium; a medium already there gets its health (and its model and
  capacity when empty) from the snapshot — unless it has an erasure record, then it is never
  touched; no medium is ever removed. A device that has left the workshop is not changed;
* an unknown device is registered, through the registration service (asset tag, media, first
  event), in the collection named (by reference or id; unknown: ``ValidationFailed`` naming
  « collection »), with its category from the chassis type, its disks as media with their health;
* otherwise the snapshot waits for a technician (``QUEUED``, with the reason in French): no
  collection named, a chassis without category, no maker or model.

Disks set aside by the parser (no serial number, the USB stick, unreadable entries…) and disks of
unknown kind are listed on the record (``ignored``) with the reason, for the review queue.
A record is written for every snapshot that is not a repetition (registered, completed,
unchanged when its content differs but completes nothing, queued), with the raw JSON for audit.

The review queue (``inventory.services.snapshot_queue``) registers or completes a queued snapshot
through the same steps: ``complete_known_device``, ``register_from_snapshot`` (media with their
health, ``read_health``), ``set_aside_disks``.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.actor import Actor
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.schemas import load
from core.unit_of_work import unit_of_work
from inventory.codes import clean_identifier
from inventory.lifecycle import StateGroup
from inventory.models import Collection, Device, DeviceSnapshot, StorageMedium
from inventory.schemas import DeviceIn
from inventory.services.devices import apply_registration, check_device
from inventory.snapshots.envelopes import Snapshot, parse_snapshot
from inventory.snapshots.smartctl import Disk
from inventory.vocabulary import SnapshotStatus

# What a snapshot became (the record's status), plus DUPLICATE: a repetition, nothing written.
REGISTERED, COMPLETED = SnapshotStatus.REGISTERED.value, SnapshotStatus.COMPLETED.value
UNCHANGED, QUEUED = SnapshotStatus.UNCHANGED.value, SnapshotStatus.QUEUED.value
DISMISSED = SnapshotStatus.DISMISSED.value
DUPLICATE = "duplicate"

# The raw snapshot kept for audit, as JSON text (ASCII: no NUL or lone surrogate reaches the
# database). The edge's MAX_CONTENT_LENGTH (2 MiB) bounds the body already; this bounds what is
# stored whatever the caller.
RAW_MAX_CHARS = 2 * 1024 * 1024
MAX_RAM_GB = Decimal(4096)               # SpecsIn's bound on ram_gb
MAX_CAPACITY_GB = Decimal(1_000_000)     # MediumIn's bound on capacity_gb
MAX_INT, MAX_BIGINT = 2 ** 31 - 1, 2 ** 63 - 1
UNKNOWN_KIND = "type de disque inconnu (ni rotation ni protocole lisibles) : à ajouter à la main"


def _raw(data) -> str:
    try:
        raw = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        raise ValidationFailed({"snapshot": ["Le snapshot doit être un objet JSON."]}) from None
    if len(raw) > RAW_MAX_CHARS:
        raise ValidationFailed({"snapshot": [f"Snapshot trop volumineux : {RAW_MAX_CHARS // (1024 * 1024)} Mio "
                                             "au plus."]})
    return raw


def _bounded(value: int | None, limit: int) -> int | None:
    return value if value is not None and 0 <= value <= limit else None


def _capacity(disk: Disk) -> Decimal | None:
    """The disk's capacity in GB when it is believable (a firmware may report anything)."""
    capacity = disk.capacity_gb
    return capacity if capacity is not None and 0 < capacity <= MAX_CAPACITY_GB else None


def _text(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


def disk_summary(disk: Disk) -> dict:
    """One disk as the record keeps it (JSON values)."""
    return {
        "position": disk.position, "device_name": disk.device_name, "model": disk.model,
        "serial_number": clean_identifier(disk.serial_number or "")[:100] or None,
        "capacity_gb": str(disk.capacity_gb) if disk.capacity_gb is not None else None,
        "kind": disk.kind.value if disk.kind else None,
        "power_on_hours": disk.power_on_hours, "smart_passed": disk.smart_passed,
        "reallocated_sectors": disk.reallocated_sectors, "pending_sectors": disk.pending_sectors,
        "nvme_percentage_used": disk.nvme_percentage_used,
        "needs_replacement": disk.needs_replacement, "replacement_reasons": disk.replacement_reasons,
    }


def _set_aside_entry(position: int, reason: str, message: str, device_name: str | None, model: str | None,
                     serial_number: str | None, disk: Disk | None, review: bool) -> dict:
    """One disk set aside, as ``DeviceSnapshot.ignored`` keeps it: with its capacity and kind
    when smartctl read them, for the technician who resolves it (no ``resolution`` yet).
    ``review``: whether it waits for a person (the review queue) or is only noted."""
    capacity = _capacity(disk) if disk is not None else None
    return {"position": position, "reason": reason, "message": message, "device_name": device_name,
            "model": model, "serial_number": serial_number,
            "capacity_gb": str(capacity) if capacity is not None else None,
            "kind": disk.kind.value if disk is not None and disk.kind else None, "review": review}


def set_aside_disks(snapshot: Snapshot) -> list[dict]:
    """The disks the parser set aside (no serial number, USB stick, unreadable…); only those that
    may be the machine's own wait for a person (``envelopes.needs_review``)."""
    return [_set_aside_entry(item.position, item.reason, item.message, item.device_name, item.model,
                             item.serial_number, item.disk, item.needs_review) for item in snapshot.ignored]


def _set_aside(disk: Disk, message: str) -> dict:
    return _set_aside_entry(disk.position, "not-added", message, disk.device_name, disk.model, disk.serial_number,
                            disk, True)


def awaits_review(entry: dict) -> bool:
    """A disk set aside that a person has still to resolve."""
    return entry.get("review", True) and not entry.get("resolution")


def pending_count(entries: list[dict]) -> int:
    """How many disks set aside are not resolved yet (``DeviceSnapshot.pending_disks``)."""
    return sum(1 for entry in entries if awaits_review(entry))


def collection_by_reference(session: Session, ref: str) -> Collection:
    """The collection named by its reference (COL-2026-0042) or its id (ASCII digits: « ² » is a
    digit to ``str.isdigit``, not to ``int``). Raises ValidationFailed naming « collection »."""
    text = str(ref).strip()
    found = None
    if text:
        found = session.execute(select(Collection).where(Collection.reference == clean_identifier(text)[:20])
                                ).scalar_one_or_none()
        if found is None and text.isascii() and text.isdigit() and len(text) <= 9:
            found = session.get(Collection, int(text))
    if found is None:
        raise ValidationFailed({"collection": [
            f"Collecte « {text[:40]} » inconnue : indiquez la référence (COL-AAAA-NNNN) ou le numéro d'une "
            "collecte existante."]})
    return found


def device_by_serial(session: Session, serial: str) -> Device | None:
    """The device of that (cleaned) system serial number, with its media and their erasures."""
    return session.execute(
        select(Device).where(Device.serial_number == serial)
        .options(joinedload(Device.media).joinedload(StorageMedium.erasures))
    ).unique().scalar_one_or_none()


def read_health(medium: StorageMedium, disk: Disk, now: datetime) -> bool:
    """The medium's health as ``disk`` says; True when something changed."""
    values = {
        "power_on_hours": _bounded(disk.power_on_hours, MAX_INT),
        "smart_passed": disk.smart_passed,
        "reallocated_sectors": _bounded(disk.reallocated_sectors, MAX_BIGINT),
        "pending_sectors": _bounded(disk.pending_sectors, MAX_BIGINT),
        "nvme_percentage_used": _bounded(disk.nvme_percentage_used, MAX_INT),
        "needs_replacement": disk.needs_replacement,
    }
    changed = any(getattr(medium, name) != value for name, value in values.items())
    if changed or medium.health_read_at is None:
        for name, value in values.items():
            setattr(medium, name, value)
        medium.health_read_at = now
    return changed


def new_medium(disk: Disk, serial: str, now: datetime, kind: str | None = None) -> StorageMedium:
    """A donated medium for ``disk`` (of ``kind``, else the kind smartctl told), with its health."""
    medium = StorageMedium(kind=kind or disk.kind.value, serial_number=serial, model=_text(disk.model, 120),
                           capacity_gb=_capacity(disk), created_at=now)
    read_health(medium, disk, now)
    return medium


def complete_medium(medium: StorageMedium, disk: Disk, now: datetime) -> bool:
    """Fill the medium's empty model and capacity and read its health from ``disk``; True when
    anything changed. The caller never passes a medium that has an erasure record: its record
    describes it as it was."""
    changed = False
    if not medium.model and disk.model:
        medium.model, changed = disk.model[:120], True
    if medium.capacity_gb is None and _capacity(disk):
        medium.capacity_gb, changed = _capacity(disk), True
    return read_health(medium, disk, now) or changed


def _complete(session: Session, device: Device, snapshot: Snapshot, now: datetime,
              notes: list[dict]) -> bool:
    """Fill what the device lacks; True when anything changed."""
    changed = False
    if device.cpu is None and snapshot.processor:
        device.cpu, changed = snapshot.processor[:120], True
    if device.ram_gb is None and snapshot.memory_gb and 0 < snapshot.memory_gb <= MAX_RAM_GB:
        device.ram_gb, changed = snapshot.memory_gb, True
    media = {m.serial_number: m for m in device.media if m.serial_number}
    for disk in snapshot.disks:
        serial = clean_identifier(disk.serial_number)[:100]
        medium = media.get(serial)
        if medium is not None:
            if medium.erasures:
                continue             # its erasure record describes it as it was: never changed
            changed = complete_medium(medium, disk, now) or changed
            continue
        other = session.execute(select(Device.asset_tag).join(StorageMedium)
                                .where(StorageMedium.serial_number == serial, Device.id != device.id)).first()
        if other is not None:
            notes.append(_set_aside(disk, f"ce numéro de série est celui d'un support de l'appareil "
                                          f"{other.asset_tag} : à vérifier à la main"))
        elif disk.kind is None:
            notes.append(_set_aside(disk, UNKNOWN_KIND))
        else:
            device.media.append(new_medium(disk, serial, now))
            changed = True
    return changed


def complete_known_device(session: Session, device: Device, snapshot: Snapshot, now: datetime,
                          notes: list[dict]) -> tuple[str, str | None]:
    """A snapshot of a device already registered: (``completed`` or ``unchanged``, the reason
    when nothing may change). Fills only what the device lacks (``_complete``); a device that
    has left the workshop is not changed. Disks it could not add go to ``notes``. No commit."""
    if device.state in StateGroup.LEFT_WORKSHOP:
        return UNCHANGED, (f"L'appareil {device.asset_tag} a quitté l'atelier : le snapshot est gardé, la fiche "
                           "n'est pas modifiée.")
    return (COMPLETED if _complete(session, device, snapshot, now, notes) else UNCHANGED), None


def _registration_data(snapshot: Snapshot, serial: str, collection: Collection, notes: list[dict], *,
                       category: str | None, brand: str | None, model: str | None) -> dict:
    storage = []
    for disk in snapshot.disks:
        if disk.kind is None:
            notes.append(_set_aside(disk, UNKNOWN_KIND))
            continue
        storage.append({key: value for key, value in {
            "kind": disk.kind.value, "model": _text(disk.model, 120),
            "serial_number": clean_identifier(disk.serial_number)[:100],
            "capacity_gb": str(_capacity(disk)) if _capacity(disk) else None}.items() if value is not None})
    memory = snapshot.memory_gb if snapshot.memory_gb and 0 < snapshot.memory_gb <= MAX_RAM_GB else None
    specs = {"cpu": _text(snapshot.processor, 120), "ram_gb": str(memory) if memory is not None else None}
    given = {"category": category, "brand": brand, "model": model}
    read = {"category": snapshot.category.value if snapshot.category else None,
            "brand": _text(snapshot.system.maker, 80), "model": _text(snapshot.system.model, 120)}
    return {
        **{key: value for key, value in read.items() if value is not None},
        **{key: value for key, value in given.items() if value is not None},
        "collection": collection.id, "serial_number": serial,
        "specs": {key: value for key, value in specs.items() if value is not None},
        "storage": storage,
    }


def register_from_snapshot(session: Session, snapshot: Snapshot, serial: str, collection: Collection, *,
                           user_id: int | None, now: datetime, tag_prefix: str, tag_digits: int, notes: list[dict],
                           category: str | None = None, brand: str | None = None,
                           model: str | None = None) -> Device:
    """Register the snapshot's machine in ``collection`` through the registration service (asset
    tag, media, first event), each medium with its health as smartctl read it. ``category``,
    ``brand`` and ``model``, when given, replace what the snapshot says (a technician's choice).
    Disks of unknown kind go to ``notes``. Raises ValidationFailed (French, per field) on data
    the registration refuses. No commit."""
    data = load(DeviceIn(), _registration_data(snapshot, serial, collection, notes, category=category, brand=brand,
                                               model=model))
    cleaned, errors, duplicates = check_device(session, data)
    if errors or duplicates:
        raise ValidationFailed({**errors, **duplicates})
    device = apply_registration(session, cleaned, user_id=user_id, now=now, tag_prefix=tag_prefix,
                                tag_digits=tag_digits)
    by_serial = {m.serial_number: m for m in device.media}
    for disk in snapshot.disks:
        medium = by_serial.get(clean_identifier(disk.serial_number)[:100])
        if medium is not None:
            read_health(medium, disk, now)
    return device


def _queue_reason(snapshot: Snapshot, serial: str, collection: Collection | None) -> str | None:
    if collection is None:
        return (f"Appareil inconnu (n° de série {serial}) et aucune collecte indiquée : un technicien choisit "
                "la collecte et l'enregistre.")
    if snapshot.category is None:
        chassis = f"« {snapshot.chassis_type} »" if snapshot.chassis_type else "inconnu"
        return f"Type de boîtier {chassis} sans catégorie : un technicien choisit la catégorie et l'enregistre."
    if not snapshot.system.maker or not snapshot.system.model:
        return "Marque ou modèle absent de la sortie de dmidecode : un technicien les saisit et l'enregistre."
    return None


def _attempt(session: Session, actor: Actor, snapshot: Snapshot, raw: str, collection_ref: str | None, *,
             station_token_id: int | None, now: datetime, tag_prefix: str,
             tag_digits: int) -> tuple[DeviceSnapshot, str]:
    ref = collection_ref if collection_ref not in (None, "") else snapshot.collection
    serial = clean_identifier(snapshot.serial_number)[:100]
    with unit_of_work(session):
        # Read under the unit of work (SQLite: its write lock), so that a post serialised after
        # an identical one sees it.
        previous = session.execute(select(DeviceSnapshot).where(DeviceSnapshot.uuid == snapshot.uuid)
                                   ).scalar_one_or_none()
        if previous is not None:
            return previous, DUPLICATE
        collection = collection_by_reference(session, ref) if ref not in (None, "") else None
        device = device_by_serial(session, serial)
        same = select(DeviceSnapshot).where(DeviceSnapshot.content_hash == snapshot.content_hash)
        same = (same.where(DeviceSnapshot.device_id == device.id) if device is not None
                else same.where(DeviceSnapshot.status == QUEUED))
        earlier = session.execute(same.order_by(DeviceSnapshot.id).limit(1)).scalar_one_or_none()
        if earlier is not None:
            return earlier, (UNCHANGED if device is not None else DUPLICATE)
        notes = set_aside_disks(snapshot)
        reason = None
        if device is not None:
            status, reason = complete_known_device(session, device, snapshot, now, notes)
        else:
            reason = _queue_reason(snapshot, serial, collection)
            if reason is not None:
                status = QUEUED
            else:
                device = register_from_snapshot(session, snapshot, serial, collection, user_id=actor.id, now=now,
                                                tag_prefix=tag_prefix, tag_digits=tag_digits, notes=notes)
                status = REGISTERED
        battery = snapshot.battery
        health = battery.health_percent if battery is not None else None
        record = DeviceSnapshot(
            uuid=snapshot.uuid, content_hash=snapshot.content_hash, source=snapshot.source,
            software_version=_text(snapshot.software_version, 80), received_at=now,
            collected_at=snapshot.collected_at, device=device,
            collection_id=device.collection_id if device is not None and device.collection_id else (
                collection.id if collection is not None else None),
            status=status, reason=reason, maker=_text(snapshot.system.maker, 80),
            model=_text(snapshot.system.model, 120), serial_number=serial,
            category=snapshot.category.value if snapshot.category else None,
            processor=_text(snapshot.processor, 120),
            memory_gb=snapshot.memory_gb if snapshot.memory_gb is not None and snapshot.memory_gb < 10 ** 7 else None,
            battery_health=health if health is not None and 0 <= health < 10000 else None,
            disks=[disk_summary(disk) for disk in snapshot.disks], ignored=notes, pending_disks=pending_count(notes),
            raw=raw,
            posted_by_id=actor.id, station_token_id=station_token_id,
            station_name=_text(actor.name, 120) if station_token_id is not None else None)
        session.add(record)
        session.flush()
    return record, status


def receive_snapshot(session: Session, actor: Actor, data: dict, collection_ref: str | None = None, *,
                     station_token_id: int | None = None, now: datetime | None = None,
                     tag_prefix: str = "RK-", tag_digits: int = 6) -> tuple[DeviceSnapshot, str]:
    """Receive one posted snapshot. Returns (its record, what happened: ``registered``,
    ``completed``, ``unchanged``, ``queued`` or ``duplicate``).

    Raises ValidationFailed with a French message, nothing written: a snapshot the parser refuses
    (no system serial number, unreadable smartctl JSON…), too big, an unknown collection, or data
    the registration refuses. A concurrent post of the same machine that won the race is read
    again: the loser gets its result (``duplicate`` or ``unchanged``), never a duplicate device.
    """
    raw = _raw(data)
    snapshot = parse_snapshot(data)
    now = now or utcnow()
    try:
        return _attempt(session, actor, snapshot, raw, collection_ref, station_token_id=station_token_id, now=now,
                        tag_prefix=tag_prefix, tag_digits=tag_digits)
    except Conflict:
        # Another post registered the same uuid or the same serial number meanwhile: read again.
        return _attempt(session, actor, snapshot, raw, collection_ref, station_token_id=station_token_id, now=now,
                        tag_prefix=tag_prefix, tag_digits=tag_digits)


def queued_snapshots(session: Session) -> list[DeviceSnapshot]:
    """Snapshots waiting for a technician, oldest first."""
    return list(session.execute(
        select(DeviceSnapshot).where(DeviceSnapshot.status == QUEUED).order_by(DeviceSnapshot.id)).scalars())
