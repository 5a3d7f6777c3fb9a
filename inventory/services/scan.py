"""The scan station's use case: resolve a scanned code and, depending on the station mode and
the put-away location, apply what the scan means — all in one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from core.clock import utcnow
from core.errors import NotFound, TransitionRefused, ValidationFailed
from inventory.codes import normalise_scan
from inventory.lifecycle import STATION_TARGETS, TRANSITIONS, State, StateGroup
from inventory.models import Collection, Device, Location, ScanContext
from inventory.queries import history
from core.unit_of_work import unit_of_work
from inventory.services.devices import find_device_by_code
from inventory.services.transitions import allowed_for, apply_move, apply_transition
from inventory.vocabulary import Station


@dataclass
class ScanSettings:
    repeat_window: timedelta = timedelta(seconds=2)
    putaway_idle: timedelta = timedelta(minutes=15)
    strip_prefixes: tuple[str, ...] = ()
    strip_suffixes: tuple[str, ...] = ()


@dataclass
class ScanOutcome:
    code: str
    kind: str                       # device | location | collection
    obj: Device | Location | Collection
    message: str
    level: str = "ok"               # ok | info | error: how the station should signal it
    applied: dict | None = None     # {"from": state, "to": state} when a transition was applied
    moved_to: Location | None = None
    repeat: bool = False
    allowed: list[str] = field(default_factory=list)
    putaway: Location | None = None  # the location being filled, if any
    registered: int | None = None      # a collection's registered devices
    events: list = field(default_factory=list)  # a device's latest events, newest last


@dataclass
class _Context:
    """A user's scan context, as plain values: it is read and written on every scan, and the
    ORM's bookkeeping would cost more than the work itself."""

    last_code: str | None = None
    last_station: str | None = None
    last_scan_at: datetime | None = None
    location: Location | None = None


@cache
def _context_statement():
    return select(ScanContext.last_code, ScanContext.last_station, ScanContext.last_scan_at,
                  ScanContext.location_id).where(ScanContext.user_id == bindparam("user_id"))


def _read_context(session: Session, user_id: int) -> _Context:
    row = session.execute(_context_statement(), {"user_id": user_id}).one_or_none()
    if row is None:
        return _Context()
    location = session.get(Location, row.location_id) if row.location_id else None
    return _Context(row.last_code, row.last_station, row.last_scan_at, location)


_CONTEXT_COLUMNS = ("last_code", "last_station", "last_scan_at", "location_id")


@cache
def _upsert_statement(dialect: str):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ScanContext).values(
        user_id=bindparam("user_id"), **{name: bindparam(name) for name in _CONTEXT_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={name: stmt.excluded[name] for name in _CONTEXT_COLUMNS}
    )


def _write_context(session: Session, user_id: int, ctx: _Context) -> None:
    """Insert or update the user's row in one statement (no read-modify-write race)."""
    session.execute(_upsert_statement(session.get_bind().dialect.name), {
        "user_id": user_id, "last_code": ctx.last_code, "last_station": ctx.last_station,
        "last_scan_at": ctx.last_scan_at, "location_id": ctx.location.id if ctx.location else None,
    })


def _resolve(session: Session, code: str):
    if code.startswith("LOC-"):
        obj = session.execute(select(Location).where(Location.code == code)).scalar_one_or_none()
        return ("location", obj) if obj else None
    if code.startswith("COL-"):
        obj = session.execute(
            select(Collection).where(Collection.reference == code).options(joinedload(Collection.donor))
        ).scalar_one_or_none()
        return ("collection", obj) if obj else None
    device = find_device_by_code(session, code, with_media=True)
    return ("device", device) if device else None


def scan(session: Session, raw_code: str, *, user_id: int, station: str | None = None,
         now: datetime | None = None, settings: ScanSettings = ScanSettings(),
         recent_events: int = 5) -> ScanOutcome:
    """Handle one scan by ``user_id``. Raises ValidationFailed (empty code, unknown station),
    NotFound (unknown code) or Conflict (a concurrent change of the same device)."""
    now = now or utcnow()
    code = normalise_scan(raw_code, settings.strip_prefixes, settings.strip_suffixes)
    if not code:
        raise ValidationFailed({"code": ["Code vide : scannez une étiquette ou tapez un code."]})
    if station is not None and station not in Station.values():
        raise ValidationFailed({"station": [f"Poste inconnu : valeurs acceptées : {', '.join(Station.values())}."]})

    with unit_of_work(session):
        ctx = _read_context(session, user_id)
        if ctx.location and ctx.last_scan_at and now - ctx.last_scan_at > settings.putaway_idle:
            ctx.location = None  # a put-away left idle is over

        resolved = _resolve(session, code)
        if resolved is None:
            raise NotFound(f"Code « {code} » inconnu : ni appareil (inventaire, série, IMEI), ni emplacement, ni collecte.")
        kind, obj = resolved

        # A scanner's double fire repeats the code at the same station; choosing another
        # station and scanning again is deliberate.
        repeat = (
            ctx.last_code == code and ctx.last_station == station and ctx.last_scan_at is not None
            and timedelta(0) <= now - ctx.last_scan_at < settings.repeat_window
        )
        if repeat:
            outcome = ScanOutcome(code, kind, obj, level="info", repeat=True,
                                  message=f"Lecture en double ignorée : {code} vient d'être scanné.")
        elif kind == "location":
            outcome = _scan_location(ctx, obj, code)
        elif kind == "collection":
            outcome = ScanOutcome(code, kind, obj, message=f"Collecte {obj.reference} — {obj.donor.name}.")
        else:
            outcome = _scan_device(session, ctx, obj, code, station, user_id, now)

        if not repeat:
            ctx.last_code = code
            ctx.last_station = station
            ctx.last_scan_at = now
        _write_context(session, user_id, ctx)
        outcome.putaway = ctx.location
        if kind == "device":
            outcome.allowed = allowed_for(obj)
            # Read here, inside the transaction, so that answering needs no second one.
            session.flush()
            outcome.events = history(session, obj.id, last=recent_events)
        elif kind == "collection":
            outcome.registered = obj.registered_count
    return outcome


def _scan_location(ctx: _Context, location: Location, code: str) -> ScanOutcome:
    if ctx.location is not None and ctx.location.id == location.id:
        ctx.location = None
        return ScanOutcome(code, "location", location, level="info",
                           message=f"Rangement dans {location.code} terminé.")
    if not location.active:
        return ScanOutcome(code, "location", location, level="error",
                           message=f"L'emplacement {location.code} est désactivé.")
    ctx.location = location
    return ScanOutcome(code, "location", location,
                       message=f"Rangement dans {location.code} ({location.name}) : scannez les appareils à y ranger.")


def _scan_device(session: Session, ctx: _Context, device: Device, code: str, station: str | None,
                 user_id: int, now: datetime) -> ScanOutcome:
    outcome = ScanOutcome(code, "device", device, message=f"{device.asset_tag} — {device.brand} {device.model}.")
    target = STATION_TARGETS.get(Station(station)) if station else None
    if ctx.location is not None:
        return _put_away(session, outcome, device, ctx.location, target, station, user_id, now)
    if target is None:
        return outcome
    if device.state == target.value:
        outcome.level = "info"
        outcome.message = f"{device.asset_tag} est déjà à l'état « {target.label} »."
        return outcome
    try:
        before = device.state
        apply_transition(session, device, target, user_id=user_id, now=now, station=station)
    except TransitionRefused as refused:
        outcome.level = "error"
        outcome.message = f"{device.asset_tag} : {refused.message}"
        return outcome
    outcome.applied = {"from": before, "to": target.value}
    outcome.message = f"{device.asset_tag} : {State(before).label} → {target.label}."
    return outcome


def _put_away(session: Session, outcome: ScanOutcome, device: Device, putaway: Location, target: State | None,
              station: str | None, user_id: int, now: datetime) -> ScanOutcome:
    """A put-away is under way: the device goes into ``putaway`` whatever the station. The
    station's transition comes with it where the lifecycle allows it (one event for both);
    where it does not, the device is moved all the same and the message says which state it
    keeps and why. Runs inside the scan's unit of work: both are written, or neither."""
    tag = device.asset_tag
    if device.state in StateGroup.LEFT_WORKSHOP:
        outcome.level = "error"
        outcome.message = f"{tag} est à l'état « {device.state_label} » : il ne se range pas."
        return outcome

    kept = None  # why the station's transition does not apply, when it does not
    if target is not None and device.state != target.value:
        before = State(device.state)
        try:
            apply_transition(session, device, target, user_id=user_id, now=now, station=station, location=putaway)
        except TransitionRefused as refused:
            if target in TRANSITIONS[before]:
                kept = f" ; il reste « {before.label} », pas encore « {target.label} ». {refused.message}"
            else:
                kept = f" ; il reste « {before.label} » (le passage à « {target.label} » ne s'applique pas à cet état)."
        else:
            outcome.applied = {"from": before.value, "to": target.value}
            outcome.moved_to = putaway
            outcome.message = f"{tag} : {before.label} → {target.label}. Rangé dans {putaway.code}."
            return outcome

    if apply_move(session, device, putaway, user_id=user_id, now=now, station=station) is not None:
        outcome.moved_to = putaway
        outcome.message = f"{tag} rangé dans {putaway.code}" + (kept or ".")
    else:
        outcome.level = "info"
        outcome.message = f"{tag} est déjà dans {putaway.code}" + (kept or ".")
    return outcome
