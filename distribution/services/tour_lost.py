"""A tour's device lost or reset (docs/mobile-tour-design.md § 1.5): « Déclarer l'appareil perdu
ou réinitialisé » (Admin).

A series is never taken up again: the lost device may have printed invoices beyond the last one
synced, so resuming its numbers could give one number twice. In one unit of work the tour becomes
``lost``, its unit is retired with the last number registered in each year (``closed_series``),
and the van carries on as a new unit with the same name and the next code, hence a new series.
The reservations loaded in the van stay active: the office decides what becomes of them.

If the device turns up, it may still send its records with the same device key (a ``lost`` tour
is not ``closed``): its invoices continue the retired unit's chain, and ``flask distribution
verify-invoices`` says which were synced after the series closed (``series_notes``).

Lock order: the tour row, the counter row of unit codes (as renaming takes it), then the unit
row — the sync takes tour then unit, renaming counter then unit: no cycle."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.schemas import StrictSchema, forbidden_text, string
from core.unit_of_work import unit_of_work
from distribution.services.mobile_units import DUPLICATE, _lock_names, close_unit, new_unit, unit_by_id
from distribution.services.tours import tour_by_id
from distribution.tour.models import MobileTour, MobileUnit
from distribution.tour.rules import TourStatus
from distribution.tour.units import REASON_CHARS

ADMIN_ONLY = "Seul l'administrateur déclare l'appareil d'une tournée perdu ou réinitialisé."
OUT, LOST = TourStatus.OUT.value, TourStatus.LOST.value


class LostIn(StrictSchema):
    """The API's body: why the device is declared lost or reset."""

    field_labels = {"reason": "motif"}
    reason = string(required=True, metadata={
        "description": f"Ce qui est arrivé à l'appareil ({REASON_CHARS} caractères au plus), par exemple "
                       "« tablette volée dans le camion »", "maxLength": REASON_CHARS})


@dataclass(frozen=True)
class LostDevice:
    """What a declaration changed: the tour, its unit now retired, and the van's new unit (both
    None for a tour that carried no unit)."""

    tour: MobileTour
    retired: MobileUnit | None
    unit: MobileUnit | None


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(ADMIN_ONLY)


def _clean_reason(value) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({"reason": ["Motif : texte attendu."]})
    if forbidden_text(value):
        raise ValidationFailed({"reason": ["Motif : texte sans caractère nul ni caractère isolé attendu."]})
    reason = (value or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [
            "Motif : obligatoire, dites ce qui est arrivé à l'appareil (par exemple « tablette volée »)."]})
    if len(reason) > REASON_CHARS:
        raise ValidationFailed({"reason": [f"Motif : {REASON_CHARS} caractères au plus ({len(reason)} saisis)."]})
    return reason


def _require_out(tour: MobileTour) -> None:
    if tour.status == LOST:
        raise Conflict(f"L'appareil de la tournée {tour.reference} est déjà déclaré perdu ou réinitialisé.")
    if tour.status != OUT:
        raise Conflict(f"La tournée {tour.reference} est « {tour.status_label} » : seul l'appareil d'une tournée "
                       "encore en cours se déclare perdu ou réinitialisé.")


def declare_lost(session: Session, actor: Actor, tour_id, *, reason, now: datetime | None = None) -> LostDevice:
    """Declare the device of tour ``tour_id`` lost or reset, in one unit of work: the tour becomes
    ``lost`` (``lost_reason``); its unit is retired (when, by whom, « appareil perdu ou
    réinitialisé, tournée TRN-… : <reason> », and the last number of each year registered); a new
    unit with the same name and the next code takes the van's next tours.

    Raises Forbidden unless Admin; NotFound for an unknown tour; Conflict when the tour is not
    out (closed, or already lost) or no unit code is left; ValidationFailed on ``reason``
    (required, 2000 characters at most). Nothing is written then."""
    require_admin(actor)
    now = now or utcnow()
    with unit_of_work(session, duplicate=DUPLICATE):
        tour = tour_by_id(session, actor, tour_id, for_update=True)
        _require_out(tour)
        cleaned = _clean_reason(reason)
        tour.status, tour.lost_reason = LOST, cleaned
        if tour.mobile_unit_id is None:
            return LostDevice(tour, None, None)
        _lock_names(session)
        retired = unit_by_id(session, tour.mobile_unit_id, for_update=True)
        close_unit(session, actor, retired, now=now,
                   reason=f"appareil perdu ou réinitialisé, tournée {tour.reference} : {cleaned}")
        session.flush()          # the retired unit's name is free for the new one
        unit = new_unit(session, actor, retired.name)
    return LostDevice(tour, retired, unit)
