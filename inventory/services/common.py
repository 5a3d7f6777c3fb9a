"""Helpers shared by the inventory services: lookups that raise French errors, commit with
conflict detection, and the facts the lifecycle guards read."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict, NotFound, ValidationFailed
from inventory.codes import clean_identifier
from inventory.lifecycle import DeviceFacts, ErasureFacts, MediumFacts, State
from inventory.models import Device, Location, StorageMedium
from inventory.vocabulary import MediumOrigin

CONCURRENT_CHANGE = (
    "Cet appareil vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez."
)


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


@contextmanager
def unit_of_work(session: Session):
    """Commit on success; roll back on any error. A concurrent update of the same device
    (optimistic lock) becomes a ``Conflict``; so does a unique constraint lost to a race."""
    try:
        yield
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(CONCURRENT_CHANGE) from None
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "Enregistrement refusé : une autre saisie identique vient d'être faite "
            "(doublon). Rechargez et vérifiez."
        ) from exc
    except BaseException:
        session.rollback()
        raise
