"""The waiting list of validated requests, the devices that match one, and reservations: a device
held for a request for 14 days (configurable), then released automatically.

A device is reserved by one request only, and a request holds one device (its category): the
request row is locked while reserving, the device carries an optimistic lock, and two partial
unique indexes refuse a second live reservation even if both checks were passed at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.clock import local_today, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.territory import Commune
from distribution.access import require_stock_manager
from distribution.models import Reservation
from distribution.queries import WaitingRequest, waiting, waiting_order, waiting_statement
from distribution.vocabulary import ReservationStatus
from core.actor import Actor
from eligibility.models import Request
from eligibility.services.requests import is_current
from eligibility.vocabulary import RequestStatus
from inventory.lifecycle import State, TransitionContext
from inventory.models import Collection, Device, Location, Site
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag
from inventory.services.transitions import apply_transition
from core.vocabulary import Category

RESERVING = TransitionContext(reservation=True)
ACTIVE = ReservationStatus.ACTIVE.value


@dataclass(frozen=True)
class Match:
    device: Device
    site: Site | None
    proximity: int        # 0 same commune, 1 same EPCI, 2 elsewhere in Martinique, 3 site unknown

    @property
    def proximity_label(self) -> str:
        return ("Même commune", "Même EPCI", "Autre EPCI", "Site inconnu")[self.proximity]


def waiting_list(session: Session, weights: dict[str, int], *, today=None) -> list[WaitingRequest]:
    """Validated, still valid requests holding no device, by priority (highest first), then by
    validation date (oldest first)."""
    today = today or local_today()
    rows = session.execute(waiting_statement(today).order_by(*waiting_order(weights))).scalars().all()
    return [waiting(r, weights) for r in rows]


def matching_devices(session: Session, item: Request, *, limit: int = 50) -> list[Match]:
    """Graded devices in stock of the request's category, nearest site first (the household's
    commune, then its EPCI, then anywhere), best grade first, then the longest in stock."""
    commune = item.household.commune
    site_id = func.coalesce(Location.site_id, Collection.site_id)
    stmt = (
        select(Device, Site)
        .join(Collection, Device.collection_id == Collection.id)
        .outerjoin(Location, Device.location_id == Location.id)
        .outerjoin(Site, Site.id == site_id)
        .outerjoin(Commune, Commune.insee_code == Site.commune_insee)
        .where(Device.state == State.IN_STOCK.value, Device.category == item.category, Device.grade.is_not(None),
               Device.missing_since.is_(None))       # not a device a stocktake found missing
    )
    proximity = case((Site.commune_insee == commune.insee_code, 0), (Commune.epci_id == commune.epci_id, 1),
                     (Site.commune_insee.is_not(None), 2), else_=3)
    stmt = stmt.add_columns(proximity.label("proximity")).order_by(proximity, Device.grade, Device.updated_at,
                                                                 Device.id).limit(limit)
    return [Match(device, site, rank) for device, site, rank in session.execute(stmt).all()]


def missing_device(device: Device, instead: str = "choisissez-en un autre") -> str:
    """Why a device a stocktake found missing is neither reserved nor handed over (issue 19)."""
    return (f"L'appareil {device.asset_tag} est marqué manquant depuis un inventaire : scannez-le au poste de "
            f"scan quand il est retrouvé, ou {instead}.")


def _request_for_update(session: Session, request_id) -> Request:
    try:
        key = int(request_id)
    except (TypeError, ValueError):
        raise ValidationFailed({"request_id": ["Identifiant de demande (nombre entier) attendu."]}) from None
    item = session.get(Request, key, with_for_update=True, populate_existing=True)
    if item is None:
        raise NotFound("Demande introuvable.")
    return item


def reserve(session: Session, actor: Actor, request_id, asset_tag: str, *, hold_days: int = 14,
            now: datetime | None = None) -> Reservation:
    """Reserve a device for a validated request (one transaction): the device goes
    ``in_stock → reserved`` and the reservation expires after ``hold_days``.
    Raises Forbidden, NotFound, ValidationFailed or Conflict (French message)."""
    require_stock_manager(actor)
    if not asset_tag or not str(asset_tag).strip():
        raise ValidationFailed({"asset_tag": ["Numéro d'inventaire de l'appareil (RK-…) attendu."]})
    now = now or utcnow()
    with unit_of_work(session):
        item = _request_for_update(session, request_id)
        if item.status != RequestStatus.VALIDATED.value or not is_current(item, local_today()):
            raise Conflict(f"La demande n° {item.id} n'est pas une demande validée en cours "
                           f"(état : {RequestStatus.label_of(item.status).lower()}).")
        held = session.execute(select(Reservation).where(Reservation.request_id == item.id,
                                                         Reservation.status == ACTIVE)).scalar_one_or_none()
        if held is not None:
            raise Conflict(f"La demande n° {item.id} a déjà un appareil réservé ({held.device.asset_tag}).")
        device = device_by_tag(session, asset_tag)
        if device.state != State.IN_STOCK.value:
            raise Conflict(f"L'appareil {device.asset_tag} n'est pas en stock (état : {device.state_label}).")
        if device.missing_since is not None:
            raise Conflict(missing_device(device))
        if device.category != item.category:
            raise Conflict(f"L'appareil {device.asset_tag} est de la catégorie « {device.category_label} », "
                           f"la demande porte sur « {Category.label_of(item.category)} ».")
        reservation = Reservation(request=item, device=device, status=ACTIVE, reserved_at=now,
                                  reserved_by_id=actor.id, expires_at=now + timedelta(days=hold_days))
        session.add(reservation)
        apply_transition(session, device, State.RESERVED, user_id=actor.id, now=now, context=RESERVING,
                         note=f"Réservé pour la demande n° {item.id} ({item.household.reference}).")
        item.household.last_activity_at = now
        session.flush()
    return reservation


def active_reservations(session: Session) -> list[Reservation]:
    """Reservations holding a device, the soonest to expire first."""
    return session.execute(select(Reservation).where(Reservation.status == ACTIVE)
                           .order_by(Reservation.expires_at, Reservation.id)).scalars().all()


def reservation_by_id(session: Session, reservation_id, *, for_update: bool = False) -> Reservation:
    try:
        key = int(reservation_id)
    except (TypeError, ValueError):
        raise NotFound("Réservation introuvable.") from None
    reservation = session.get(Reservation, key, with_for_update=for_update, populate_existing=for_update)
    if reservation is None:
        raise NotFound("Réservation introuvable.")
    return reservation


def end_reservation(session: Session, reservation: Reservation, status: ReservationStatus, *, user_id: int | None,
                    now: datetime, reason: str) -> None:
    """Release a live reservation in the caller's transaction: the device goes back in stock."""
    reservation.status = status.value
    reservation.ended_at = now
    reservation.ended_by_id = user_id
    reservation.end_reason = reason
    apply_transition(session, reservation.device, State.IN_STOCK, user_id=user_id, now=now, context=RESERVING,
                     note=reason)


def release(session: Session, actor: Actor, reservation_id, *, reason: str | None = None,
            now: datetime | None = None) -> Reservation:
    """Cancel a live reservation; the device returns to stock and the request to the waiting list."""
    require_stock_manager(actor)
    now = now or utcnow()
    with unit_of_work(session):
        reservation = reservation_by_id(session, reservation_id, for_update=True)
        if reservation.status != ACTIVE:
            raise Conflict(f"Cette réservation n'est plus en cours ({reservation.status_label.lower()}).")
        end_reservation(session, reservation, ReservationStatus.RELEASED, user_id=actor.id, now=now,
                        reason=(reason or "").strip() or "Réservation annulée.")
    return reservation


def release_expired(session: Session, *, now: datetime | None = None) -> list[Reservation]:
    """Release every live reservation past its hold (one transaction). Returns them."""
    now = now or utcnow()
    with unit_of_work(session):
        expired = session.execute(
            select(Reservation).where(Reservation.status == ACTIVE, Reservation.expires_at < now)
            .order_by(Reservation.id).with_for_update()
        ).scalars().all()
        for reservation in expired:
            end_reservation(session, reservation, ReservationStatus.EXPIRED, user_id=None, now=now,
                            reason="Réservation expirée : appareil remis en stock.")
    return expired
