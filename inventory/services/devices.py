"""Registering devices: asset tag, identifiers, storage media and the first history event."""
from __future__ import annotations

from datetime import datetime

from functools import cache

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from core.clock import utcnow
from core.counters import next_value
from core.errors import Conflict, NotFound, ValidationFailed
from inventory.codes import clean_identifier, imei_problem
from inventory.lifecycle import State
from inventory.models import Collection, Device, DeviceEvent, Location, StorageMedium
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag, location_by_code
from core.vocabulary import Category
from inventory.vocabulary import MOBILE_CATEGORIES, MediumKind

ASSET_TAG_COUNTER = "asset_tag"


class DuplicateIdentifier(Conflict):
    """A serial number or IMEI already belongs to another device."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))


def format_asset_tag(number: int, prefix: str = "RK-", digits: int = 6) -> str:
    return f"{prefix}{number:0{digits}d}"


def check_identifiers(session: Session, category: str | None, serial_raw: str | None, imei_raw: str | None, *,
                      seen_serials: dict | None = None, seen_imeis: dict | None = None
                      ) -> tuple[str | None, str | None, dict[str, list[str]], dict[str, list[str]]]:
    """Serial number and IMEI: format, checksum, and uniqueness against the database and
    (``seen_*``) the other rows of a batch. Returns (serial, imei, errors, duplicates)."""
    errors: dict[str, list[str]] = {}
    duplicates: dict[str, list[str]] = {}
    serial = clean_identifier(serial_raw or "") or None
    if not serial:
        errors["serial_number"] = ["Numéro de série obligatoire (inscrit sur l'étiquette du fabricant)."]
    imei = (imei_raw or "").replace(" ", "").strip() or None
    if imei:
        problem = imei_problem(imei)
        if problem:
            errors["imei"] = [f"IMEI invalide : {problem}"]
        elif category in Category.values() and Category(category) not in MOBILE_CATEGORIES:
            errors["imei"] = ["Un IMEI ne s'indique que pour un smartphone ou une tablette."]
    if serial:
        owner = session.execute(select(Device.asset_tag).where(Device.serial_number == serial)).scalar()
        if owner:
            duplicates["serial_number"] = [f"Numéro de série {serial} déjà enregistré pour l'appareil {owner}."]
        elif seen_serials is not None and serial in seen_serials:
            duplicates["serial_number"] = [f"Numéro de série {serial} présent deux fois (déjà {seen_serials[serial]})."]
    if imei and "imei" not in errors:
        owner = session.execute(select(Device.asset_tag).where(Device.imei == imei)).scalar()
        if owner:
            duplicates["imei"] = [f"IMEI {imei} déjà enregistré pour l'appareil {owner}."]
        elif seen_imeis is not None and imei in seen_imeis:
            duplicates["imei"] = [f"IMEI {imei} présent deux fois (déjà {seen_imeis[imei]})."]
    return serial, imei, errors, duplicates


def check_device(session: Session, data: dict, *, seen_serials: dict | None = None,
                 seen_imeis: dict | None = None) -> tuple[dict, dict[str, list[str]], dict[str, list[str]]]:
    """Clean and check one device's data (already type-checked by the schema).

    Returns (cleaned data, validation errors, duplicate errors). ``seen_*`` let a batch import
    detect duplicates between its own rows. No write.
    """
    cleaned = dict(data)
    category = data["category"]
    serial, imei, errors, duplicates = check_identifiers(
        session, category, data.get("serial_number"), data.get("imei"),
        seen_serials=seen_serials, seen_imeis=seen_imeis)
    cleaned["serial_number"], cleaned["imei"] = serial, imei

    collection = session.get(Collection, data["collection"])
    if collection is None:
        errors["collection"] = [f"Collecte n° {data['collection']} inconnue."]
    cleaned["collection_obj"] = collection

    storage = data.get("storage")
    if storage is None:
        # Phones and tablets carry their data in internal flash memory.
        storage = [{"kind": MediumKind.FLASH.value}] if Category(category) in MOBILE_CATEGORIES else []
    cleaned["storage"] = [
        {**m, "serial_number": clean_identifier(m.get("serial_number") or "") or None} for m in storage
    ]

    location = data.get("location")
    if location:
        try:
            cleaned["location_obj"] = location_by_code(session, location)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    return cleaned, errors, duplicates


def apply_registration(session: Session, cleaned: dict, *, user_id: int | None, now: datetime,
                       tag_prefix: str, tag_digits: int) -> Device:
    """Insert a checked device, its media and its first event. No commit."""
    specs = cleaned.get("specs") or {}
    location: Location | None = cleaned.get("location_obj")
    device = Device(
        asset_tag=format_asset_tag(next_value(session, ASSET_TAG_COUNTER), tag_prefix, tag_digits),
        category=cleaned["category"],
        brand=cleaned["brand"].strip(),
        model=cleaned["model"].strip(),
        serial_number=cleaned["serial_number"],
        imei=cleaned["imei"],
        cpu=specs.get("cpu"),
        ram_gb=specs.get("ram_gb"),
        storage_summary=specs.get("storage_summary"),
        screen_in=specs.get("screen_in"),
        os=specs.get("os"),
        weight_kg=cleaned.get("weight_kg"),
        collection=cleaned["collection_obj"],
        location=location,
        state=State.RECEIVED.value,
        created_at=now,
        updated_at=now,
    )
    for medium in cleaned["storage"]:
        device.media.append(
            StorageMedium(kind=medium["kind"], serial_number=medium["serial_number"],
                          manufacturer=medium.get("manufacturer"), model=medium.get("model"),
                          capacity_gb=medium.get("capacity_gb"), created_at=now)
        )
    session.add(device)
    session.add(
        DeviceEvent(device=device, kind="received", from_state=None, to_state=State.RECEIVED.value,
                    at=now, user_id=user_id, location=location, station="reception")
    )
    return device


def register_device(session: Session, data: dict, *, user_id: int | None = None,
                    now: datetime | None = None, tag_prefix: str = "RK-", tag_digits: int = 6) -> Device:
    """Register a received device in its collection. ``data`` comes from ``DeviceIn``.

    Raises ValidationFailed (bad or unknown values) or DuplicateIdentifier (serial/IMEI taken).
    """
    cleaned, errors, duplicates = check_device(session, data)
    if errors:
        raise ValidationFailed({**errors, **duplicates})
    if duplicates:
        raise DuplicateIdentifier(duplicates)
    with unit_of_work(session):
        device = apply_registration(session, cleaned, user_id=user_id, now=now or utcnow(),
                                    tag_prefix=tag_prefix, tag_digits=tag_digits)
    return device


def next_in_batch(session: Session, asset_tag: str) -> dict:
    """What the next device of a reception batch most likely shares with ``asset_tag``, in
    ``DeviceIn``'s shape: collection, category, brand, model, specifications, weight, location
    and the storage media's kinds and capacities. Never an identifier (serial number, IMEI, a
    medium's serial number): those are each device's own. Raises NotFound."""
    device = device_by_tag(session, asset_tag)
    specs = {"cpu": device.cpu, "ram_gb": device.ram_gb, "storage_summary": device.storage_summary,
             "screen_in": device.screen_in, "os": device.os}
    return {
        "collection": device.collection_id, "category": device.category, "brand": device.brand,
        "model": device.model, "weight_kg": device.weight_kg,
        "location": device.location.code if device.location and device.location.active else None,
        "specs": {key: value for key, value in specs.items() if value is not None},
        "storage": [{"kind": m.kind, "capacity_gb": m.capacity_gb} for m in device.media],
    }



def update_device(session: Session, device_id: int, data: dict) -> Device:
    """Correct a device's description; ``data`` comes from ``DeviceEditIn`` (a blank text is
    stored as none). Raises NotFound, or Conflict when someone else changed the device meanwhile."""
    with unit_of_work(session):
        device = session.get(Device, device_id)
        if device is None:
            raise NotFound(f"Appareil n° {device_id} introuvable.")
        for field, value in data.items():
            setattr(device, field, (value.strip() or None) if isinstance(value, str) else value)
    return device


@cache
def _by_code_statement(with_media: bool):
    """Built once: the scan station runs it on every scan, and building a statement costs
    more than running it."""
    code = bindparam("code")
    stmt = select(Device).where(or_(Device.asset_tag == code, Device.imei == code, Device.serial_number == code))
    if with_media:
        # One query for everything the scan card and the guards need (a device has few media
        # and few erasure records, so the joined rows stay few).
        stmt = stmt.options(
            joinedload(Device.collection), joinedload(Device.location),
            joinedload(Device.media).joinedload(StorageMedium.erasures),
        )
    return stmt


def find_device_by_code(session: Session, code: str, *, with_media: bool = False) -> Device | None:
    """A device by asset tag, serial number or IMEI (``code`` already normalised).

    The asset tag wins over the others, then the IMEI, then the serial number, so that a code
    cannot resolve to two devices.
    """
    rows = session.execute(_by_code_statement(with_media), {"code": code}).unique().scalars().all()
    if not rows:
        return None
    if len(rows) == 1:
        return rows[0]
    for attr in ("asset_tag", "imei", "serial_number"):
        for device in rows:
            if getattr(device, attr) == code:
                return device
    return rows[0]
