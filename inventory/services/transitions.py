"""State changes, grading and moves: each writes the device and its history event together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import Conflict, TransitionRefused
from inventory.lifecycle import State, StateGroup, TransitionContext, allowed_targets, refusal
from inventory.models import Device, DeviceEvent, Location
from inventory.schemas import state_value
from core.unit_of_work import CONCURRENT_CHANGE, unit_of_work
from inventory.services.common import device_by_tag, facts_of, location_by_code

# A device coming back to repair must be graded again before it returns to stock.
_CLEARS_GRADE = frozenset({State.REPAIR})


def allowed_for(device: Device, context: TransitionContext = TransitionContext()) -> list[str]:
    return [s.value for s in allowed_targets(facts_of(device), context)]


def check_transition(device: Device, target: State, context: TransitionContext = TransitionContext()) -> None:
    """Raise TransitionRefused with the French reason and the states that are allowed, when
    the guards refuse ``device → target``. ``device`` may be any object with a device's
    attributes (the scan station's Core records too)."""
    facts = facts_of(device)
    reason = refusal(facts, target, context)
    if reason is not None:
        raise TransitionRefused(reason, allowed=[s.value for s in allowed_targets(facts, context)])


def grade_after(device: Device, target: State) -> str | None:
    """The device's grade once it has moved to ``target``."""
    return None if target in _CLEARS_GRADE else device.grade


def apply_transition(session: Session, device: Device, target: State, *, user_id: int | None,
                     now: datetime, note: str | None = None, location: Location | None = None,
                     station: str | None = None,
                     context: TransitionContext = TransitionContext()) -> DeviceEvent:
    """Check the guards and change the state, writing the event. No commit.

    Raises TransitionRefused with the French reason and the states that are allowed.
    """
    check_transition(device, target, context)
    event = DeviceEvent(
        device=device, kind="transition", from_state=device.state, to_state=target.value, at=now,
        user_id=user_id, location=location or device.location, station=station,
        note=(note or "").strip() or None,
    )
    device.state = target.value
    if target in _CLEARS_GRADE:
        device.grade = None
    if location is not None:
        device.location = location
    device.updated_at = now
    session.add(event)
    return event


def transition(session: Session, asset_tag: str, to: str, *, user_id: int | None = None,
               note: str | None = None, location: str | None = None, station: str | None = None,
               version: int | None = None, now: datetime | None = None,
               context: TransitionContext = TransitionContext()) -> Device:
    """Move a device to state ``to``. Raises NotFound, ValidationFailed (unknown state or
    location), TransitionRefused (guards) or Conflict (changed meanwhile: ``version`` differs,
    or a concurrent transition won)."""
    target = state_value(to)
    with unit_of_work(session):     # the device is read under the unit of work's lock (SQLite)
        device = device_by_tag(session, asset_tag)
        if version is not None and version != device.version:
            raise Conflict(CONCURRENT_CHANGE)
        loc = location_by_code(session, location) if location else None
        apply_transition(session, device, target, user_id=user_id, now=now or utcnow(), note=note,
                         location=loc, station=station, context=context)
    return device


def apply_move(session: Session, device: Device, location: Location, *, user_id: int | None,
               now: datetime, station: str | None = None, note: str | None = None) -> DeviceEvent | None:
    """Put a device away into ``location``. Returns None when it is already there. No commit."""
    if device.state in StateGroup.LEFT_WORKSHOP:
        raise Conflict(f"L'appareil est à l'état « {device.state_label} » : il n'est plus à l'atelier.")
    if device.location_id == location.id:
        return None
    device.location = location
    device.updated_at = now
    event = DeviceEvent(device=device, kind="move", from_state=device.state, to_state=device.state,
                        at=now, user_id=user_id, location=location, station=station, note=note)
    session.add(event)
    return event


def move(session: Session, asset_tag: str, location: str, *, user_id: int | None = None,
         now: datetime | None = None) -> Device:
    """Put a device away into a location (by its LOC- code)."""
    with unit_of_work(session):
        device = device_by_tag(session, asset_tag, with_media=False)
        loc = location_by_code(session, location)
        apply_move(session, device, loc, user_id=user_id, now=now or utcnow())
    return device
