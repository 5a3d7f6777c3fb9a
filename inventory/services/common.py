"""Helpers shared by the inventory services: lookups that raise French errors, and the facts
the lifecycle guards read."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound, ValidationFailed
from inventory.codes import clean_identifier
from inventory.lifecycle import DeviceFacts, ErasureFacts, MediumFacts, State
from inventory.models import Device, Location, StorageMedium
from inventory.vocabulary import MediumOrigin


def device_by_tag(session: Session, asset_tag: str, *, with_media: bool = True) -> Device:
    """The device with this asset tag (case-insensitive), or NotFound."""
    stmt = select(Device).where(Device.asset_tag == clean_identifier(asset_tag))
    if with_media:
        stmt = stmt.options(selectinload(Device.media).selectinload(StorageMedium.erasures))
    device = session.execute(stmt).scalar_one_or_none()
    if device is None:
        raise NotFound(f"Aucun appareil ne porte le numéro d'inventaire « {asset_tag.strip()} ».")
    return device


def location_by_code(session: Session, code: str, field: str = "location") -> Location:
    """The active location with this code, or ValidationFailed naming ``field``."""
    location = session.execute(
        select(Location).where(Location.code == clean_identifier(code))
    ).scalar_one_or_none()
    if location is None:
        raise ValidationFailed({field: [f"Emplacement « {code} » inconnu (code LOC-… attendu)."]})
    if not location.active:
        raise ValidationFailed({field: [f"L'emplacement {location.code} est désactivé."]})
    return location


def facts_of(device: Device) -> DeviceFacts:
    """What the lifecycle guards need to know about a device."""
    return DeviceFacts(
        state=State(device.state),
        grade=device.grade,
        media=tuple(
            MediumFacts(
                kind=m.kind,
                serial_number=m.serial_number,
                erasures=tuple(ErasureFacts(e.level, e.result, e.verified) for e in m.erasures),
                fitted=m.origin == MediumOrigin.FITTED.value,
            )
            for m in device.media
        ),
    )
