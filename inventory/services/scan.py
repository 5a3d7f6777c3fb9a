"""The scan station's use case: resolve a scanned code and, depending on the station mode and
the put-away location, apply what the scan means — all in one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from core.clock import utcnow
from core.errors import NotFound, TransitionRefused, ValidationFailed
from core.unit_of_work import unit_of_work
from inventory.codes import normalise_scan
from inventory.lifecycle import STATION_TARGETS, TRANSITIONS, State, StateGroup
from inventory.models import Device
from inventory.queries import history
from inventory.services import scan_store
from inventory.services.scan_store import ScannedCollection, ScannedDevice, ScannedLocation
from inventory.services.transitions import allowed_for, check_transition, grade_after
from inventory.vocabulary import Station


@dataclass
class ScanSettings:
    repeat_window: timedelta = timedelta(seconds=2)
    putaway_idle: timedelta = timedelta(minutes=15)
    strip_prefixes: tuple[str, ...] = ()
    strip_suffixes: tuple[str, ...] = ()


@dataclass
class ScanOutcome:
    """What a scan did. ``obj``, ``moved_to`` and ``putaway`` are Core records
    (``inventory.services.scan_store``) with the models' attribute names, not ORM objects."""

    code: str
    kind: str                       # device | location | collection
    obj: ScannedDevice | ScannedLocation | ScannedCollection
    message: str
    level: str = "ok"               # ok | info | error: how the station should signal it
    applied: dict | None = None     # {"from": state, "to": state} when a transition was applied
    moved_to: ScannedLocation | None = None
    repeat: bool = False
    allowed: list[str] = field(default_factory=list)
    putaway: ScannedLocation | None = None  # the location being filled, if any
    registered: int | None = None      # a collection's registered devices
    events: list = field(default_factory=list)  # a device's latest events, newest last
    found_again: bool = False          # a device a stocktake had found missing (issue 19)


@dataclass
class _Context:
    """A user's scan context, as plain values, read and written on every scan."""

    last_code: str | None = None
    last_station: str | None = None
    last_scan_at: datetime | None = None
    location: ScannedLocation | None = None


def _context(row: tuple | None) -> _Context:
    return _Context(*row) if row is not None else _Context()


def _resolve(conn: Connection, code: str, user_id: int) -> tuple[_Context, tuple | None]:
    """The user's scan context, and (kind, record) of what ``code`` names or None. A device
    (the usual scan) is read with the context in one statement."""
    if code.startswith("LOC-"):
        obj = scan_store.find_location(conn, code)
        return _context(scan_store.read_context(conn, user_id)), ("location", obj) if obj else None
    if code.startswith("COL-"):
        obj = scan_store.find_collection(conn, code)
        return _context(scan_store.read_context(conn, user_id)), ("collection", obj) if obj else None
    device, context = scan_store.find_device(conn, code, user_id)
    return _context(context), ("device", device) if device else None


def scan(session: Session, raw_code: str, *, user_id: int, station: str | None = None,
         now: datetime | None = None, settings: ScanSettings = ScanSettings(),
         recent_events: int = 5) -> ScanOutcome:
    """Handle one scan by ``user_id``. Raises ValidationFailed (empty code, unknown station),
    NotFound (unknown code) or Conflict (a concurrent change of the same device).

    One unit of work on ``session``'s connection, through Core statements
    (``inventory.services.scan_store``); a device it changes that ``session`` holds is expired,
    so that the caller reads the new values."""
    now = now or utcnow()
    code = normalise_scan(raw_code, settings.strip_prefixes, settings.strip_suffixes)
    if not code:
        raise ValidationFailed({"code": ["Code vide : scannez une étiquette ou tapez un code."]})
    if station is not None and station not in Station.values():
        raise ValidationFailed({"station": [f"Poste inconnu : valeurs acceptées : {', '.join(Station.values())}."]})

    with unit_of_work(session):
        conn = session.connection()
        ctx, resolved = _resolve(conn, code, user_id)
        if resolved is None:
            raise NotFound(f"Code « {code} » inconnu : ni appareil (inventaire, série, IMEI), ni emplacement, ni collecte.")
        kind, obj = resolved
        if ctx.location and ctx.last_scan_at and now - ctx.last_scan_at > settings.putaway_idle:
            ctx.location = None  # a put-away left idle is over

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
            outcome = _scan_device(conn, ctx, obj, code, station, user_id, now)
            if obj.missing_since is not None:
                _found_again(conn, outcome, obj, station, user_id, now)

        if not repeat:
            ctx.last_code = code
            ctx.last_station = station
            ctx.last_scan_at = now
        scan_store.write_context(conn, user_id, ctx.last_code, ctx.last_station, ctx.last_scan_at, ctx.location)
        wrote_device = outcome.applied is not None or outcome.moved_to is not None or outcome.found_again
        if not wrote_device:
            scan_store.commit_without_waiting_for_disk(conn)
        outcome.putaway = ctx.location
        if kind == "device":
            outcome.allowed = allowed_for(obj)
            # Read here, inside the transaction, so that answering needs no second one.
            # ``history`` runs on the connection as on a session (both execute statements).
            outcome.events = history(conn, obj.id, last=recent_events)
            if wrote_device:
                _expire_held_device(session, obj.id)
        elif kind == "collection":
            outcome.registered = obj.registered
    return outcome


def _found_again(conn: Connection, outcome: ScanOutcome, device: ScannedDevice, station: str | None,
                 user_id: int, now: datetime) -> None:
    """Scanning a device a stocktake had found missing finds it again (issue 19), whatever the
    station does with it."""
    where = f"au poste « {Station(station).label} »" if station else "au poste de scan"
    scan_store.found_again(conn, device, user_id=user_id, now=now, how=f"scanné {where}")
    outcome.found_again = True
    outcome.message += " Retrouvé : il était marqué manquant depuis un inventaire."
    if outcome.level == "info":
        outcome.level = "ok"


def _expire_held_device(session: Session, device_id: int) -> None:
    """The scan wrote the device without the ORM: a copy ``session`` holds is now stale (its
    version too), and is reloaded at its next use."""
    held = session.identity_map.get(identity_key(Device, device_id))
    if held is not None:
        session.expire(held)


def _scan_location(ctx: _Context, location: ScannedLocation, code: str) -> ScanOutcome:
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


def _transition(conn: Connection, device: ScannedDevice, target: State, *, user_id: int, now: datetime,
                station: str | None, location: ScannedLocation | None = None) -> None:
    """``inventory.services.transitions.apply_transition`` in Core: the same guards, the same
    event, the device written under its optimistic lock. Raises TransitionRefused."""
    check_transition(device, target)
    before = device.state
    place = location or device.location
    scan_store.change_device(conn, device, state=target.value, grade=grade_after(device, target),
                             location=place, now=now)
    scan_store.add_event(conn, device, "transition", from_state=before, to_state=target.value, at=now,
                         user_id=user_id, location=place, station=station)


def _move(conn: Connection, device: ScannedDevice, location: ScannedLocation, *, user_id: int,
          now: datetime, station: str | None) -> bool:
    """``inventory.services.transitions.apply_move`` in Core, for a device still in the workshop
    (the caller has checked): False when it is already there."""
    if device.location_id == location.id:
        return False
    scan_store.change_device(conn, device, state=device.state, grade=device.grade, location=location, now=now)
    scan_store.add_event(conn, device, "move", from_state=device.state, to_state=device.state, at=now,
                         user_id=user_id, location=location, station=station)
    return True


def _scan_device(conn: Connection, ctx: _Context, device: ScannedDevice, code: str, station: str | None,
                 user_id: int, now: datetime) -> ScanOutcome:
    outcome = ScanOutcome(code, "device", device, message=f"{device.asset_tag} — {device.brand} {device.model}.")
    target = STATION_TARGETS.get(Station(station)) if station else None
    if ctx.location is not None:
        return _put_away(conn, outcome, device, ctx.location, target, station, user_id, now)
    if target is None:
        return outcome
    if device.state == target.value:
        outcome.level = "info"
        outcome.message = f"{device.asset_tag} est déjà à l'état « {target.label} »."
        return outcome
    try:
        before = device.state
        _transition(conn, device, target, user_id=user_id, now=now, station=station)
    except TransitionRefused as refused:
        outcome.level = "error"
        outcome.message = f"{device.asset_tag} : {refused.message}"
        return outcome
    outcome.applied = {"from": before, "to": target.value}
    outcome.message = f"{device.asset_tag} : {State(before).label} → {target.label}."
    return outcome


def _put_away(conn: Connection, outcome: ScanOutcome, device: ScannedDevice, putaway: ScannedLocation,
              target: State | None, station: str | None, user_id: int, now: datetime) -> ScanOutcome:
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
            _transition(conn, device, target, user_id=user_id, now=now, station=station, location=putaway)
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

    if _move(conn, device, putaway, user_id=user_id, now=now, station=station):
        outcome.moved_to = putaway
        outcome.message = f"{tag} rangé dans {putaway.code}" + (kept or ".")
    else:
        outcome.level = "info"
        outcome.message = f"{tag} est déjà dans {putaway.code}" + (kept or ".")
    return outcome
