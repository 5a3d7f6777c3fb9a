"""Read-side queries of the inventory (no writes)."""
from __future__ import annotations

from functools import cache

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.organisations import Organisation
from core.paging import Page, page_of
from inventory.models import (
    Collection, Device, DeviceEvent, DeviceSnapshot, ImportedDrive, Location, Site, StorageMedium,
)

DRIVES_PER_PAGE = 50


@cache
def _history_statement(newest_first: bool):
    stmt = (
        select(DeviceEvent.id, DeviceEvent.kind, DeviceEvent.from_state, DeviceEvent.to_state,
               DeviceEvent.at, DeviceEvent.station, DeviceEvent.note,
               User.username.label("user"), Location.code.label("location"))
        .outerjoin(User, User.id == DeviceEvent.user_id)
        .outerjoin(Location, Location.id == DeviceEvent.location_id)
        .where(DeviceEvent.device_id == bindparam("device_id"))
    )
    if newest_first:
        return stmt.order_by(DeviceEvent.id.desc()).limit(bindparam("last"))
    return stmt.order_by(DeviceEvent.id)


def history(session: Session, device_id: int, *, last: int | None = None) -> list:
    """Events of a device, oldest first; with ``last``, only the most recent ones.

    Rows (not ORM objects, the scan station reads them on every scan) with ``id, kind,
    from_state, to_state, at, station, note, user`` (username) and ``location`` (code).
    """
    if last is None:
        return list(session.execute(_history_statement(False), {"device_id": device_id}).all())
    recent = session.execute(_history_statement(True), {"device_id": device_id, "last": last}).all()
    return recent[::-1]


def collection_media(session: Session, collection_id: int) -> list[StorageMedium]:
    """Every storage medium of a collection's devices, with their erasure records."""
    return list(session.execute(
        select(StorageMedium).join(Device).where(Device.collection_id == collection_id)
        .options(joinedload(StorageMedium.device), selectinload(StorageMedium.erasures))
        .order_by(Device.asset_tag, StorageMedium.id)
    ).scalars())


def organisations(session: Session, kind: str | None = None) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    return list(session.execute(stmt).scalars())


def sites(session: Session) -> list[Site]:
    return list(
        session.execute(select(Site).options(selectinload(Site.locations)).order_by(Site.name)).scalars()
    )


def active_locations(session: Session) -> list[Location]:
    return list(
        session.execute(select(Location).where(Location.active.is_(True)).order_by(Location.code)).scalars()
    )


def collections(session: Session) -> list[Collection]:
    return list(session.execute(select(Collection).order_by(Collection.id.desc())).scalars())


def queued_drives():
    """The statement of the drives waiting for a technician, with their report."""
    return select(ImportedDrive).where(ImportedDrive.status == "queued").options(joinedload(ImportedDrive.report))


def imported_drive_page(session: Session, number: int | str = 1, size: int | None = None) -> Page:
    """A page of the drives waiting for a technician, oldest first, with their report."""
    return page_of(session, queued_drives(), [ImportedDrive.id.asc()], number, size or DRIVES_PER_PAGE)


def device_snapshots(session: Session, device_id: int) -> list[tuple]:
    """The hardware snapshots received for a device, newest first, each with the name of the
    account that posted it (None when a station token did). The raw JSON is not loaded."""
    poster = (User.first_name + " " + User.last_name).label("poster")
    return [tuple(row) for row in session.execute(
        select(DeviceSnapshot, poster).outerjoin(User, User.id == DeviceSnapshot.posted_by_id)
        .where(DeviceSnapshot.device_id == device_id).order_by(DeviceSnapshot.id.desc())).all()]


def snapshot_raw(session: Session, device_id: int, snapshot_id: int) -> str | None:
    """The JSON a device's snapshot was posted as (kept for audit); None when there is no such
    snapshot of that device."""
    return session.execute(select(DeviceSnapshot.raw).where(
        DeviceSnapshot.id == snapshot_id, DeviceSnapshot.device_id == device_id)).scalar_one_or_none()


def snapshot_device_id(session: Session, uuid: str) -> tuple[bool, int | None]:
    """(whether a snapshot of that uuid was received, the id of its device when it has one)."""
    row = session.execute(select(DeviceSnapshot.device_id).where(DeviceSnapshot.uuid == uuid[:36])).first()
    return (row is not None, row.device_id if row is not None else None)


# --- suggestions for the fields that name a record by its code (autocomplete) ---------------

SUGGESTIONS = 10


def collection_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(reference, label) of the collections whose reference or donor's name holds ``text``,
    the most recent first."""
    named = Collection.reference.icontains(text, autoescape=True) | Organisation.name.icontains(text, autoescape=True)
    rows = session.execute(
        select(Collection.reference, Organisation.name, Collection.collected_on)
        .join(Organisation, Organisation.id == Collection.donor_id)
        .where(named).order_by(Collection.id.desc()).limit(limit))
    return [(reference, f"{reference} — {donor} ({collected:%d/%m/%Y})") for reference, donor, collected in rows]


def location_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(code, label) of the locations whose code or name holds ``text``, active ones first."""
    named = Location.code.icontains(text, autoescape=True) | Location.name.icontains(text, autoescape=True)
    rows = session.execute(select(Location.code, Location.name, Location.active).where(named)
                           .order_by(Location.active.desc(), Location.code).limit(limit))
    return [(code, f"{code} — {name}" + ("" if active else " (inactif)")) for code, name, active in rows]


def site_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(code, label) of the sites whose code or name holds ``text``."""
    named = Site.code.icontains(text, autoescape=True) | Site.name.icontains(text, autoescape=True)
    rows = session.execute(select(Site.code, Site.name).where(named).order_by(Site.code).limit(limit))
    return [(code, f"{code} — {name}") for code, name in rows]
