"""Tours (« Tournée », issue 20): downloading a day's stops before leaving, and finding a tour
again. What a tour sends back is ``tour_sync``'s.

Who downloads what (docs/mobile-tour-design.md § 2):
- an Animateur, the sessions they facilitate: participants' names and phone numbers, no device;
- a stock manager (Technicien, Admin), any sessions and, with a mobile unit, reserved devices to
  hand over, the price grid and the unit's invoice series. One tour is out per unit at a time
  (a partial unique index): one writer per series."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import MARTINIQUE, to_local, utcnow
from core.counters import next_value
from core.display import local_date
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.schemas import parse_id
from core.territory import Commune
from core.unit_of_work import unit_of_work
from distribution.access import is_animateur, is_stock_manager
from distribution.models import Booking, Invoice, Reservation, WorkshopSession
from distribution.numbering import parse_number
from distribution.pricing import GridInvalid
from distribution.services.grids import grid_in_effect
from distribution.services.handover import buyer_address, device_description
from distribution.services.invoicing import GENESIS
from distribution.services.reservations import missing_device
from distribution.services.workshops import free_seats, propose_sessions
from distribution.settings import DistributionSettings
from distribution.tour.models import MobileTour, MobileTourReservation, MobileTourSession, MobileUnit
from distribution.tour.rules import TOUR_MAX_AGE_HOURS, TourStatus
from distribution.tour.snapshot import Load, Series, Stop, snapshot_json, snapshot_sha256
from distribution.vocabulary import BookingStatus, ReservationStatus, topic_for_category
from eligibility.models import Household, Request
from inventory.lifecycle import State

OUT = TourStatus.OUT.value
ACTIVE = ReservationStatus.ACTIVE.value
TOUR_NOT_FOUND = "Tournée introuvable."
PROPOSALS = 6


@dataclass(frozen=True)
class Programme:
    name: str
    contact: str | None


def tour_reference(year: int, number: int) -> str:
    return f"TRN-{year}-{number:04d}"


def _require_tour_role(actor: Actor) -> None:
    if not (is_stock_manager(actor) or is_animateur(actor)):
        raise Forbidden("Seuls les animateurs, l'atelier (technicien) et l'administrateur partent en tournée.")


def _unit(session: Session, code: str) -> MobileUnit:
    unit = session.execute(select(MobileUnit).where(MobileUnit.code == code).with_for_update()).scalar_one_or_none()
    if unit is None:
        raise ValidationFailed({"unit": [f"Unité mobile « {code} » inconnue."]})
    if not unit.active:
        raise Conflict(f"L'unité {unit.code} est retirée depuis le {local_date(unit.retired_at)} : choisissez-en "
                       "une autre ou demandez-en une nouvelle à l'administrateur.")
    out = session.execute(select(MobileTour).where(MobileTour.mobile_unit_id == unit.id,
                                                   MobileTour.status == OUT)).scalar_one_or_none()
    if out is not None:
        raise Conflict(f"La série F-{unit.code} est déjà sortie avec la tournée {out.reference} du "
                       f"{out.tour_date:%d/%m/%Y} : envoyez ses enregistrements ou déclarez l'appareil perdu.")
    return unit


def _stops(session: Session, actor: Actor, session_ids: list[int], tour_date: date) -> list[WorkshopSession]:
    own_only = not is_stock_manager(actor)
    stops = []
    for key in dict.fromkeys(session_ids):
        workshop = session.get(WorkshopSession, key)
        if workshop is None or (own_only and workshop.facilitator_id != actor.id):
            raise ValidationFailed({"session_ids": [f"Atelier n° {key} introuvable."]})
        if workshop.cancelled_at is not None:
            raise Conflict(f"L'atelier du {local_date(workshop.starts_at)} ({workshop.venue_label}) a été annulé.")
        if to_local(workshop.starts_at).date() != tour_date:
            raise ValidationFailed({"session_ids": [f"L'atelier n° {key} a lieu le {local_date(workshop.starts_at)}, "
                                                    f"pas le {tour_date:%d/%m/%Y}."]})
        stops.append(workshop)
    return sorted(stops, key=lambda w: (w.starts_at, w.id))


def _loaded_elsewhere(session: Session, reservation_id: int) -> MobileTour | None:
    return session.execute(select(MobileTour).join(MobileTourReservation, MobileTourReservation.tour_id == MobileTour.id)
                           .where(MobileTourReservation.reservation_id == reservation_id,
                                  MobileTour.status == OUT)).scalars().first()


def _loadable(session: Session, reservation: Reservation) -> str | None:
    """Why a reservation cannot be loaded for a handover on tour, or None."""
    device = reservation.device
    if reservation.status != ACTIVE:
        return f"La réservation n° {reservation.id} n'est plus en cours ({reservation.status_label.lower()})."
    if device.state != State.RESERVED.value:
        return f"L'appareil {device.asset_tag} n'est pas réservé (état : {device.state_label})."
    if device.missing_since is not None:
        return missing_device(device, "libérez la réservation pour en réserver un autre")
    other = _loaded_elsewhere(session, reservation.id)
    if other is not None:
        return f"L'appareil {device.asset_tag} est déjà chargé dans la tournée {other.reference}."
    return None


def _chosen_reservations(session: Session, ids: list[int] | None, stops: list[WorkshopSession]) -> list[Reservation]:
    if ids is None:            # preselected: the households living in a stop's commune
        communes = {w.commune_insee for w in stops}
        if not communes:
            return []
        # Locked, as a chosen one is: another download checking the same reservation waits, then
        # finds it loaded here (a device is loaded on one out tour only).
        candidates = session.execute(
            select(Reservation).join(Reservation.request).join(Request.household)
            .where(Reservation.status == ACTIVE, Household.commune_insee.in_(communes))
            .order_by(Reservation.id).with_for_update(of=Reservation)
            .execution_options(populate_existing=True)).scalars().all()
        return [r for r in candidates if _loadable(session, r) is None]
    chosen = []
    for key in dict.fromkeys(ids):
        reservation = session.get(Reservation, key, with_for_update=True, populate_existing=True)
        if reservation is None:
            raise ValidationFailed({"reservation_ids": [f"Réservation n° {key} introuvable."]})
        refusal = _loadable(session, reservation)
        if refusal is not None:
            raise Conflict(refusal)
        chosen.append(reservation)
    return chosen


def series_state(session: Session, unit: MobileUnit, years: set[int]) -> Series:
    """The unit's next number in each of ``years`` and its chain's next position and last hash."""
    last = session.execute(select(Invoice.unit_position, Invoice.unit_hash).where(Invoice.mobile_unit_id == unit.id)
                           .order_by(Invoice.unit_position.desc()).limit(1)).first()
    numbers = session.execute(select(Invoice.number).where(Invoice.mobile_unit_id == unit.id)).scalars().all()
    highest: dict[int, int] = {}
    for text in numbers:
        parsed = parse_number(text)
        if parsed is not None:
            highest[parsed.year] = max(highest.get(parsed.year, 0), parsed.number)
    return Series(unit.code, {year: highest.get(year, 0) + 1 for year in years},
                  (last.unit_position + 1) if last else 1, last.unit_hash if last else GENESIS)


def _load(session: Session, reservation: Reservation, grid, stops: list[WorkshopSession], now: datetime) -> Load:
    device, request = reservation.device, reservation.request
    household = request.household
    try:
        price, reference_value = grid.price_of(device.category, device.grade, request.tier)
    except GridInvalid as exc:
        raise Conflict(exc.message) from None
    topic = topic_for_category(device.category)
    proposals = [(w, free_seats(session, w)) for w in stops if w.topic == topic]
    proposals += [(p.session, p.free_seats) for p in propose_sessions(session, household, topic, now=now)
                  if p.session not in stops]
    return Load(reservation, device_description(device),
                f"{household.first_name or ''} {household.last_name or ''}".strip() or household.reference,
                buyer_address(household), price, reference_value, topic, proposals[:PROPOSALS])


def _stop(session: Session, workshop: WorkshopSession) -> Stop:
    bookings = session.execute(
        select(Booking).where(Booking.session_id == workshop.id, Booking.status != BookingStatus.CANCELLED.value)
        .order_by(Booking.status.in_([BookingStatus.WAITLISTED.value]), Booking.queue_number, Booking.id)).scalars().all()
    bookings = sorted(bookings, key=lambda b: ((b.household.last_name or "").lower(),
                                               (b.household.first_name or "").lower(), b.id))
    return Stop(workshop, free_seats(session, workshop), bookings)


def download_tour(session: Session, actor: Actor, *, tour_date: date, session_ids: list[int], device_key: str,
                  settings: DistributionSettings, programme: Programme, unit: str | None = None,
                  reservation_ids: list[int] | None = None, now: datetime | None = None) -> MobileTour:
    """Take a tour out (one transaction): its stops, and for a stock manager with a mobile unit
    the reserved devices to hand over, whose hold is raised to the tour's limit so that the
    nightly release does not end them while the van is out. Raises Forbidden, ValidationFailed
    (French, naming the field) or Conflict; then nothing is written."""
    _require_tour_role(actor)
    if not is_stock_manager(actor) and (unit or reservation_ids):
        raise Forbidden("Seuls l'atelier (technicien) et l'administrateur emportent des appareils à remettre "
                        "et une série de factures.")
    if reservation_ids and not unit:
        raise ValidationFailed({"unit": ["Choisissez l'unité mobile : ses factures sont numérotées dans sa série."]})
    now = now or utcnow()
    today = to_local(now).date()
    if tour_date not in (today, today + timedelta(days=1)):
        raise ValidationFailed({"date": ["Une tournée se télécharge le jour même ou la veille."]})
    valid_until = now + timedelta(hours=TOUR_MAX_AGE_HOURS)
    with unit_of_work(session):
        mobile_unit = _unit(session, unit) if unit else None
        stops = _stops(session, actor, session_ids, tour_date)
        loads = _chosen_reservations(session, reservation_ids, stops) if mobile_unit is not None else []
        if not stops and not loads:
            raise ValidationFailed({"session_ids": ["Choisissez au moins un atelier ou un appareil à remettre."]})
        number = next_value(session, f"tour-{tour_date.year}")
        tour = MobileTour(reference=tour_reference(tour_date.year, number), unit=mobile_unit, holder_id=actor.id,
                          device_key=device_key.lower(), tour_date=tour_date, status=OUT, downloaded_at=now,
                          valid_until=valid_until, snapshot={}, snapshot_sha256="")
        session.add(tour)
        session.flush()
        session.add_all([MobileTourSession(tour_id=tour.id, session_id=w.id) for w in stops])
        session.add_all([MobileTourReservation(tour_id=tour.id, reservation_id=r.id) for r in loads])
        for reservation in loads:
            if reservation.expires_at < valid_until:
                reservation.expires_at = valid_until
        body_extra = {}
        if mobile_unit is not None:
            grid = grid_in_effect(session, tour_date)
            years = {to_local(now).year, to_local(valid_until).year}
            body_extra = {"grid": grid, "series": series_state(session, mobile_unit, years),
                          "loads": [_load(session, r, grid, stops, now) for r in loads]}
        communes = session.execute(select(Commune).order_by(Commune.name)).scalars().all()
        body = snapshot_json(tour=tour, stops=[_stop(session, w) for w in stops], communes=communes,
                             programme_name=programme.name, contact=programme.contact,
                             seller=settings.seller.as_dict(), vat_regime=settings.vat_regime, **body_extra)
        tour.snapshot, tour.snapshot_sha256 = body, snapshot_sha256(body)
        try:
            session.flush()
        except IntegrityError:     # another download of the same unit won the race
            raise Conflict(f"La série F-{mobile_unit.code} vient d'être sortie avec une autre tournée.") from None
    return tour


def tour_by_id(session: Session, actor: Actor, tour_id, *, for_update: bool = False) -> MobileTour:
    """A tour its holder, a stock manager or Admin may see (NotFound for anyone else)."""
    _require_tour_role(actor)
    key = parse_id(tour_id)
    tour = session.get(MobileTour, key, with_for_update=for_update, populate_existing=for_update) if key else None
    if tour is None or not (is_stock_manager(actor) or tour.holder_id == actor.id):
        raise NotFound(TOUR_NOT_FOUND)
    return tour


def require_holder(tour: MobileTour, actor: Actor, device_key: str) -> None:
    """Only the browser that downloaded a tour sends its records: one writer per series."""
    if tour.holder_id != actor.id and not actor.is_admin:
        raise Forbidden(f"Cette tournée appartient à {tour.holder.first_name} {tour.holder.last_name}.".replace("  ", " "))
    if (device_key or "").lower() != tour.device_key:
        raise Conflict("Cette tournée a été téléchargée sur un autre appareil : envoyez ses enregistrements "
                       "depuis celui-ci.")


def tours_out(session: Session) -> list[MobileTour]:
    return session.execute(select(MobileTour).where(MobileTour.status == OUT)
                           .order_by(MobileTour.tour_date, MobileTour.id)).scalars().all()


def last_tours(session: Session, limit: int = 50) -> list[MobileTour]:
    return session.execute(select(MobileTour).order_by(MobileTour.id.desc()).limit(limit)).scalars().all()


def tour_options(session: Session, actor: Actor, day: date) -> dict:
    """What the « Tournée » page offers before a download: the day's sessions the actor may take
    (not cancelled), and for a stock manager the active mobile units and the reservations that
    can be loaded (those of households living in a session's commune are flagged)."""
    _require_tour_role(actor)
    start = datetime.combine(day, datetime.min.time(), tzinfo=MARTINIQUE)
    stmt = (select(WorkshopSession).where(WorkshopSession.starts_at >= start,
                                          WorkshopSession.starts_at < start + timedelta(days=1),
                                          WorkshopSession.cancelled_at.is_(None))
            .order_by(WorkshopSession.starts_at, WorkshopSession.id))
    if not is_stock_manager(actor):
        stmt = stmt.where(WorkshopSession.facilitator_id == actor.id)
    sessions = session.execute(stmt).scalars().all()
    body = {"sessions": [{"id": w.id, "label": f"{to_local(w.starts_at):%H:%M} — {w.topic_label} — {w.venue_label}",
                          "commune": w.commune.name, "commune_insee": w.commune_insee} for w in sessions],
            "units": [], "reservations": []}
    if not is_stock_manager(actor):
        return body
    units = session.execute(select(MobileUnit).where(MobileUnit.active.is_(True)).order_by(MobileUnit.id)).scalars()
    out = {t.mobile_unit_id: t.reference for t in tours_out(session)}
    body["units"] = [{"code": u.code, "label": f"{u.code} — {u.name}", "out": out.get(u.id)} for u in units]
    communes = {w.commune_insee for w in sessions}
    for reservation in session.execute(select(Reservation).where(Reservation.status == ACTIVE)
                                       .order_by(Reservation.id)).scalars():
        if _loadable(session, reservation) is not None:
            continue
        household = reservation.request.household
        body["reservations"].append({
            "id": reservation.id, "asset_tag": reservation.device.asset_tag,
            "label": f"{reservation.device.asset_tag} — {household.reference} ({household.commune.name})",
            "commune_insee": household.commune_insee, "preselected": household.commune_insee in communes})
    return body
