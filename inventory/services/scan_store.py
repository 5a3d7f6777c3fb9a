"""The scan station's reads and writes as SQLAlchemy Core statements, without the ORM (issue 18).

A technician scans all day, and the scan's SQL is quick (a few indexed rows): through the ORM,
its identity map, loading and flush cost several times the SQL itself. So a scan reads rows
into plain records whose attributes are named as the models' (``ScannedDevice.asset_tag``,
``.location.code``, ``.media[0].erasures``…), which the lifecycle guards (``facts_of``) and the
JSON representations read as they read models, and writes with explicit statements on the unit
of work's connection:

* a device is read with everything its card and the guards need, and the scanning user's
  context, in one statement (``find_device``);
* a device's change is one ``UPDATE … WHERE id = :id AND version = :version`` that moves
  ``version`` on, as the ORM's optimistic lock does (``Device.__mapper_args__``); no row updated
  means another transaction changed the device since it was read: ``Conflict``;
* its history event is one ``INSERT`` into ``device_event`` (append-only: inserted, never
  updated). It does not go through ``inventory.services.transitions``: anything that must
  happen with every event written in Python should be added here too (database triggers see
  both);
* the user's scan context is one upsert; a scan that wrote nothing else commits without
  waiting for the disk on PostgreSQL (``commit_without_waiting_for_disk``).

Everything runs inside the caller's unit of work, on its connection: one scan, one transaction.
Statements are built once per process (the upsert once per dialect): building one costs more
than running it.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import ClassVar

from sqlalchemy import Connection, LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.errors import Conflict
from core.organisations import Organisation
from core.unit_of_work import CONCURRENT_CHANGE
from inventory.models import Collection, Device, DeviceEvent, ErasureRecord, Location, ScanContext, StorageMedium
from inventory.stocktake.models import MissingDevice

DEVICE = Device.__table__
LOCATION = Location.__table__
MEDIUM = StorageMedium.__table__
ERASURE = ErasureRecord.__table__
COLLECTION = Collection.__table__
ORGANISATION = Organisation.__table__
EVENT = DeviceEvent.__table__
CONTEXT = ScanContext.__table__
MISSING = MissingDevice.__table__

# The licence key is shown to some roles only, and never on the scan card: not read.
_UNREAD = {"os_licence_key"}


def _columns(table, *, without=frozenset()) -> tuple:
    return tuple(c for c in table.c if c.name not in without)


class Record:
    """One row's values under the model's attribute names: no session, no lazy loading."""

    fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, values) -> None:
        self.__dict__.update(zip(self.fields, values))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)}>"


class ScannedLocation(Record):
    fields = tuple(c.name for c in _columns(LOCATION))


class ScannedErasure(Record):
    fields = tuple(c.name for c in _columns(ERASURE))


class ScannedMedium(Record):
    """A storage medium, with its erasure records in ``erasures`` (oldest first)."""

    fields = tuple(c.name for c in _columns(MEDIUM))
    erasures: list[ScannedErasure]


class CollectionRef:
    __slots__ = ("id", "reference")

    def __init__(self, id: int, reference: str) -> None:  # noqa: A002 - the model's name
        self.id, self.reference = id, reference


class ScannedDevice(Record):
    """A device as the scan card shows it: its columns (not the licence key), ``collection``
    (id and reference), ``location`` and ``media`` with their erasure records."""

    fields = tuple(c.name for c in _columns(DEVICE, without=_UNREAD))
    collection: CollectionRef
    location: ScannedLocation | None
    media: list[ScannedMedium]

    state_label = Device.state_label            # the model's own properties: same labels
    category_label = Device.category_label


class Donor:
    __slots__ = ("id", "name")

    def __init__(self, id: int, name: str) -> None:  # noqa: A002 - the model's name
        self.id, self.name = id, name


class ScannedCollection(Record):
    """A collection with its ``donor`` (id and name) and ``registered`` (devices registered)."""

    fields = tuple(c.name for c in _columns(COLLECTION))
    donor: Donor
    registered: int


# --- reads -------------------------------------------------------------------------------------

# The device statement's columns, in order: the device, its collection's reference, its
# location, the user's scan context and its put-away location, a medium, an erasure record.
_CONTEXT_READ = (CONTEXT.c.user_id, CONTEXT.c.last_code, CONTEXT.c.last_station, CONTEXT.c.last_scan_at)
_LOC = len(ScannedLocation.fields)
_D = len(ScannedDevice.fields)
_C = _D + 1 + _LOC                                  # the scan context
_P = _C + len(_CONTEXT_READ)                        # its put-away location
_M = _P + _LOC                                      # a medium
_E = _M + len(ScannedMedium.fields)                 # an erasure record


@cache
def _device_statement():
    """The device a code names (asset tag, IMEI or serial number) with everything the card and
    the guards need, and the scanning user's context, in one statement: collection reference,
    location, media, erasure records (a device has few media and few records: the joined rows
    stay few), and on each row the context (none: NULLs) with the location being filled."""
    code = bindparam("code")
    putaway = LOCATION.alias("putaway")
    return (
        select(*_columns(DEVICE, without=_UNREAD), COLLECTION.c.reference, *_columns(LOCATION),
               *_CONTEXT_READ, *_columns(putaway), *_columns(MEDIUM), *_columns(ERASURE))
        .select_from(
            DEVICE.join(COLLECTION, COLLECTION.c.id == DEVICE.c.collection_id)
            .outerjoin(LOCATION, LOCATION.c.id == DEVICE.c.location_id)
            .outerjoin(CONTEXT, CONTEXT.c.user_id == bindparam("user_id"))
            .outerjoin(putaway, putaway.c.id == CONTEXT.c.location_id)
            .outerjoin(MEDIUM, MEDIUM.c.device_id == DEVICE.c.id)
            .outerjoin(ERASURE, ERASURE.c.medium_id == MEDIUM.c.id)
        )
        .where(or_(DEVICE.c.asset_tag == code, DEVICE.c.imei == code, DEVICE.c.serial_number == code))
        .order_by(DEVICE.c.id, MEDIUM.c.id, ERASURE.c.id)
        .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
    )


def _context_of(values: tuple) -> tuple | None:
    """(last code, last station, last scan's time, put-away location) from a row whose first
    value is the context's user id (None: no context) and whose last are its location's."""
    if values[0] is None:
        return None
    return (*values[1:4], ScannedLocation(values[4:]) if values[4] is not None else None)


def find_device(conn: Connection, code: str, user_id: int) -> tuple[ScannedDevice | None, tuple | None]:
    """(the device ``code`` names, or None; ``user_id``'s scan context as ``read_context``
    gives it, or None when the device is unknown or the user never scanned) in one statement.
    ``code`` is normalised already. The asset tag wins over the IMEI, then the serial number,
    so that a code never resolves to two devices (as
    ``inventory.services.devices.find_device_by_code``)."""
    devices: dict[int, ScannedDevice] = {}
    media: dict[int, ScannedMedium] = {}
    context = None
    for row in conn.execute(_device_statement(), {"code": code, "user_id": user_id}):
        values = tuple(row)
        device = devices.get(values[0])
        if device is None:
            device = devices[values[0]] = ScannedDevice(values[:_D])
            device.collection = CollectionRef(device.collection_id, values[_D])
            device.location = ScannedLocation(values[_D + 1:_C]) if values[_D + 1] is not None else None
            device.media = []
            context = _context_of(values[_C:_M])
        if values[_M] is None:
            continue                                        # no medium
        medium = media.get(values[_M])
        if medium is None:
            medium = media[values[_M]] = ScannedMedium(values[_M:_E])
            medium.erasures = []
            device.media.append(medium)
        if values[_E] is not None:
            medium.erasures.append(ScannedErasure(values[_E:]))
    if len(devices) <= 1:
        return next(iter(devices.values()), None), context
    for attr in ("asset_tag", "imei", "serial_number"):
        for device in devices.values():
            if getattr(device, attr) == code:
                return device, context
    return next(iter(devices.values())), context


@cache
def _location_statement():
    return select(*_columns(LOCATION)).where(LOCATION.c.code == bindparam("code"))


def find_location(conn: Connection, code: str) -> ScannedLocation | None:
    row = conn.execute(_location_statement(), {"code": code}).first()
    return ScannedLocation(row) if row is not None else None


@cache
def _collection_statement():
    registered = (select(func.count(DEVICE.c.id)).where(DEVICE.c.collection_id == COLLECTION.c.id)
                  .correlate(COLLECTION).scalar_subquery())
    return (select(*_columns(COLLECTION), ORGANISATION.c.name, registered)
            .join_from(COLLECTION, ORGANISATION, ORGANISATION.c.id == COLLECTION.c.donor_id)
            .where(COLLECTION.c.reference == bindparam("code"))
            .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL))


def find_collection(conn: Connection, reference: str) -> ScannedCollection | None:
    """The collection, its donor's name and how many devices it has registered, or None."""
    row = conn.execute(_collection_statement(), {"code": reference}).first()
    if row is None:
        return None
    values = tuple(row)
    n = len(ScannedCollection.fields)
    collection = ScannedCollection(values[:n])
    collection.donor = Donor(collection.donor_id, values[n])
    collection.registered = values[n + 1]
    return collection


@cache
def _context_statement():
    return (select(*_CONTEXT_READ, *_columns(LOCATION))
            .select_from(CONTEXT.outerjoin(LOCATION, LOCATION.c.id == CONTEXT.c.location_id))
            .where(CONTEXT.c.user_id == bindparam("user_id"))
            .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL))


def read_context(conn: Connection, user_id: int) -> tuple | None:
    """The user's scan context as (last code, last station, last scan's time, location being
    filled or None), or None when the user has never scanned."""
    row = conn.execute(_context_statement(), {"user_id": user_id}).first()
    return _context_of(tuple(row)) if row is not None else None


# --- writes ------------------------------------------------------------------------------------

_CONTEXT_COLUMNS = ("last_code", "last_station", "last_scan_at", "location_id")


@cache
def _upsert_statement(dialect: str):
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_(CONTEXT).values(
        user_id=bindparam("user_id"), **{name: bindparam(name) for name in _CONTEXT_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=[CONTEXT.c.user_id], set_={name: stmt.excluded[name] for name in _CONTEXT_COLUMNS}
    )


def write_context(conn: Connection, user_id: int, last_code: str | None, last_station: str | None,
                  last_scan_at: datetime | None, location: ScannedLocation | None) -> None:
    """Insert or update the user's row in one statement (no read-modify-write race)."""
    conn.execute(_upsert_statement(conn.dialect.name), {
        "user_id": user_id, "last_code": last_code, "last_station": last_station,
        "last_scan_at": last_scan_at, "location_id": location.id if location is not None else None,
    })


@cache
def _device_update_statement():
    return (update(DEVICE)
            .where(DEVICE.c.id == bindparam("device_id"), DEVICE.c.version == bindparam("read_version"))
            .values(state=bindparam("state"), grade=bindparam("grade"), location_id=bindparam("location_id"),
                    updated_at=bindparam("updated_at"), version=bindparam("new_version")))


def change_device(conn: Connection, device: ScannedDevice, *, state: str, grade: str | None,
                  location: ScannedLocation | None, now: datetime) -> None:
    """Write the device's new state, grade and location under its optimistic lock, and update
    ``device`` to match. Raises Conflict when another transaction changed the device since it
    was read (its version moved on)."""
    result = conn.execute(_device_update_statement(), {
        "device_id": device.id, "read_version": device.version, "new_version": device.version + 1,
        "state": state, "grade": grade, "location_id": location.id if location is not None else None,
        "updated_at": now,
    })
    if result.rowcount != 1:
        raise Conflict(CONCURRENT_CHANGE)
    device.state, device.grade, device.updated_at = state, grade, now
    device.location, device.location_id = location, location.id if location is not None else None
    device.version += 1


def found_again(conn: Connection, device: ScannedDevice, *, user_id: int | None, now: datetime, how: str) -> None:
    """A device a stocktake had found missing is scanned: it is missing no more (its open
    ``missing_device`` row says when, by whom and how it was found). Its version is not moved:
    no other writer sets ``missing_since`` back meanwhile but a stocktake, which locks the row."""
    conn.execute(update(DEVICE).where(DEVICE.c.id == device.id).values(missing_since=None))
    conn.execute(update(MISSING).where(MISSING.c.device_id == device.id, MISSING.c.found_at.is_(None))
                 .values(found_at=now, found_by_id=user_id, found_how=how))
    device.missing_since = None


@cache
def _event_statement():
    return insert(EVENT).values(
        device_id=bindparam("device_id"), kind=bindparam("kind"), from_state=bindparam("from_state"),
        to_state=bindparam("to_state"), at=bindparam("at"), user_id=bindparam("user_id"),
        location_id=bindparam("location_id"), station=bindparam("station"), note=bindparam("note"),
    )


def add_event(conn: Connection, device: ScannedDevice, kind: str, *, from_state: str, to_state: str,
              at: datetime, user_id: int | None, location: ScannedLocation | None,
              station: str | None, note: str | None = None) -> None:
    """Append one event to the device's history."""
    conn.execute(_event_statement(), {
        "device_id": device.id, "kind": kind, "from_state": from_state, "to_state": to_state, "at": at,
        "user_id": user_id, "location_id": location.id if location is not None else None,
        "station": station, "note": note,
    })


def commit_without_waiting_for_disk(conn: Connection) -> None:
    """For a transaction that wrote nothing but the scan context (a look at a device, a
    location, a collection, a refusal, a repeat): on PostgreSQL its commit does not wait for
    the write-ahead log to reach the disk (``SET LOCAL synchronous_commit TO OFF``; on the
    benchmark machine that wait was about 4 ms). A server crash may then forget the last
    fraction of a second of scan contexts — a double fire not recognised, a put-away to start
    again — never a device's change or event, whose transactions always commit synchronously.
    SQLite in WAL mode with ``synchronous=NORMAL`` (``core.db``) commits every transaction so."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
