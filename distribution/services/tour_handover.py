"""A handover made offline on tour, as the sync receives it (docs/mobile-tour-design.md § 3.3–3.4).

The invoice was issued and paid in front of the household: it is registered whatever happened on
the server meanwhile, as the device numbered and hashed it (``register_mobile_invoice`` checks the
series and rebuilds it from the tour's download). Its effects — the device « Remis au foyer », the
request « équipé », the workshop booking, the reservation ended — apply only if they still hold;
otherwise the action is a conflict, its invoice registered alone, until it is resolved."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local
from core.errors import Conflict, ValidationFailed
from core.schemas import MAX_INT, load
from distribution.models import Booking, Invoice, Reservation, WorkshopSession
from distribution.services.handover import HANDING_OVER, checked_payments
from distribution.services.invoicing import LineIn
from distribution.services.mobile_invoicing import register_mobile_invoice
from distribution.services.reservations import RESERVING
from distribution.services.workshops import book_seat, waitlist_position
from distribution.tour.models import MobileTour, MobileTourReservation, MobileTourSession
from distribution.tour.rules import Held
from distribution.tour.schemas import HandoverData
from distribution.vocabulary import BookingStatus, ReservationStatus
from eligibility.services.requests import is_current, mark_equipped
from eligibility.vocabulary import RequestStatus
from inventory.lifecycle import State
from inventory.services.transitions import apply_transition

WORKSHOP_TEXT = 400          # a session's place and address fit (venue 200, address 300 characters)
WORKSHOP_KEYS = {"session_id", "topic", "date", "start", "end", "place", "address", "commune", "status", "position"}


def _loaded(session: Session, tour: MobileTour, data: dict) -> tuple[Reservation, dict]:
    """The reservation loaded for this tour and what the download said of it."""
    key = data["reservation_id"]
    if session.get(MobileTourReservation, (tour.id, key)) is None:
        raise ValidationFailed({"reservation_id": [f"La réservation n° {key} n'a pas été chargée pour cette tournée."]})
    loads = (tour.snapshot or {}).get("reservations")
    if loads is None:       # erased after the retention period (tour_retention)
        raise ValidationFailed({"reservation_id": [
            f"Les données téléchargées par la tournée {tour.reference} ont été effacées au terme de leur "
            "conservation : cette remise ne peut plus être reconstituée."]})
    load_ = next(r for r in loads if r["id"] == key)
    return session.get(Reservation, key, with_for_update=True, populate_existing=True), load_


def _lines(tour: MobileTour, load_: dict, accessories: list[dict]) -> list[LineIn]:
    line = load_["device_line"]
    lines = [LineIn(kind="device", description=line["description"], unit_price_ttc=Decimal(line["unit_price_ttc"]),
                    asset_tag=line["asset_tag"], serial_number=line["serial_number"])]
    offered = {a["code"]: a for a in tour.snapshot["accessories"]}
    counts: dict[str, int] = {}
    for entry in accessories:
        if entry["code"] not in offered:
            raise ValidationFailed({"accessories": [f"Accessoire inconnu « {entry['code']} » dans la grille de la "
                                                    "tournée."]})
        counts[entry["code"]] = counts.get(entry["code"], 0) + entry["quantity"]
    return lines + [LineIn(kind=code, description=offered[code]["label"], unit_price_ttc=Decimal(offered[code]["price"]),
                           quantity=n) for code, n in counts.items()]


def _plain(value) -> bool:
    """A value an invoice's workshop may print: short text, or a whole number a database holds."""
    if isinstance(value, str):
        return len(value) <= WORKSHOP_TEXT
    return value is None or isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT


def _workshop(printed: dict | None) -> dict | None:
    """The workshop as the invoice printed it (keys and plain values only)."""
    if printed is None:
        return None
    if set(printed) - WORKSHOP_KEYS or not all(_plain(v) for v in printed.values()):
        raise ValidationFailed({"invoice.workshop": [
            f"Atelier de la facture mal formé : seules les clés {', '.join(sorted(WORKSHOP_KEYS))}, avec un texte de "
            f"{WORKSHOP_TEXT} caractères au plus ou un nombre entier, sont attendues."]})
    return printed


def register(session: Session, tour: MobileTour, user_id: int | None, data: dict) -> tuple[Invoice, Reservation]:
    """Register the invoice alone (checked as § 3.4 says); MobileInvoiceRefused when it cannot be.

    The workshop session to book is locked before the unit and the invoice-chain counter, as the
    office's handover locks it before the counter: taking the counter first, then waiting for a
    session the office holds while it waits for the counter, was a deadlock."""
    d = load(HandoverData(), data)
    reservation, load_ = _loaded(session, tour, d)
    if d["session_id"] is not None:
        session.get(WorkshopSession, d["session_id"], with_for_update=True, populate_existing=True)
    request = reservation.request
    lines = _lines(tour, load_, d["accessories"])
    total = sum((l.unit_price_ttc * l.quantity for l in lines), Decimal("0.00"))
    payments = checked_payments(None, [{"method": p["method"], "amount": str(p["amount"])} for p in d["payments"]],
                                total)
    printed = d["invoice"]
    workshop = _workshop(printed["workshop"])
    if (workshop or {}).get("session_id") != d["session_id"]:
        shown = lambda key: f"n° {key}" if key is not None else "aucun"    # noqa: E731
        raise ValidationFailed({"invoice.workshop": [
            f"Facture {printed['number']} : l'atelier imprimé ({shown((workshop or {}).get('session_id'))}) n'est pas "
            f"celui de l'inscription demandée ({shown(d['session_id'])})."]})
    invoice = register_mobile_invoice(
        session, unit=tour.unit, tour=tour, number=printed["number"], issued_at=printed["issued_at"],
        unit_position=printed["unit_position"], unit_previous_hash=printed["unit_previous_hash"],
        unit_hash=printed["unit_hash"], claimed_content=printed["content"], reservation=reservation,
        household=request.household, device=reservation.device, lines=lines, payments=payments,
        vat_regime=tour.snapshot["vat_regime"], seller=tour.snapshot["seller"],
        buyer_name=load_["household"]["buyer_name"], buyer_address=load_["household"]["buyer_address"],
        price_grid_id=tour.snapshot["price_grid"]["id"], tier=load_["tier"],
        reference_value=Decimal(load_["reference_value"]), workshop=workshop, booking_id=None,
        user_id=user_id)
    session.flush()
    return invoice, reservation


def _handed_elsewhere(session: Session, reservation: Reservation, number: str) -> Held | None:
    """The device was handed over to another household meanwhile (another invoice): « Appliquer »
    cannot help, only a credit note on the tour's invoice."""
    device = reservation.device
    if device.state != State.DISTRIBUTED.value:
        return None
    other = session.execute(select(Invoice.number).where(Invoice.device_id == device.id, Invoice.number != number)
                            .order_by(Invoice.id.desc()).limit(1)).scalar_one_or_none()
    if other is None:
        return None
    return Held(f"L'appareil {device.asset_tag} a déjà été remis à un autre foyer (facture {other}). La facture "
                f"{number} est enregistrée.",
                f"Vérifiez le numéro d'inventaire de l'appareil remis, puis émettez un avoir sur {number}.")


def _why_held(reservation: Reservation, recorded_at: datetime, number: str) -> Held | None:
    device, request = reservation.device, reservation.request
    tag = device.asset_tag
    then = to_local(recorded_at).date()
    if reservation.status != ReservationStatus.ACTIVE.value:
        when = f" le {to_local(reservation.ended_at):%d/%m/%Y}" if reservation.ended_at else ""
        expired = reservation.status == ReservationStatus.EXPIRED.value     # its reason is the nightly release's
        ended = "a expiré" if expired else f"a été {reservation.status_label.lower()}"
        reason = f" (motif : {reservation.end_reason.strip().rstrip('.')})" if reservation.end_reason and not expired \
            else ""
        return Held(
            f"La réservation de {tag} {ended}{when}{reason}. La facture {number} est "
            "enregistrée ; l'appareil n'est pas encore « Remis au foyer ».",
            "Si le foyer a bien l'appareil : Appliquer la remise. Sinon : émettre un avoir et récupérer l'appareil.")
    if device.state != State.RESERVED.value or device.missing_since is not None:
        return Held(
            f"L'appareil {tag} est « {device.state_label} »" + (" et marqué manquant" if device.missing_since else "")
            + f". La facture {number} est enregistrée.",
            "Réglez l'état de l'appareil, puis Appliquer la remise ; sinon émettez un avoir.")
    if request.status != RequestStatus.VALIDATED.value or not is_current(request, then):
        until = f" le {request.valid_until:%d/%m/%Y}" if request.valid_until else ""
        return Held(
            f"La validation du foyer {request.household.reference} a expiré{until}. La facture {number} est enregistrée.",
            "Faites revalider la demande par l'agent de l'EPCI puis Appliquer la remise, ou émettez un avoir.")
    return None


def _booked_already(session: Session, session_id: int, household_id: int) -> Booking | None:
    """The household's booking of that session, when it has one not cancelled: a participant of
    the stop handed a device there is not booked a second time."""
    return session.execute(select(Booking).where(Booking.session_id == session_id, Booking.household_id == household_id,
                                                 Booking.status != BookingStatus.CANCELLED.value)
                           .order_by(Booking.id.desc()).limit(1)).scalar_one_or_none()


def apply_effects(session: Session, tour: MobileTour, user_id: int | None, invoice: Invoice, reservation: Reservation,
                  data: dict, recorded_at: datetime, *, force: bool = False) -> dict:
    """Hand the device over as the invoice says. Without ``force``, raises Held when the
    reservation, the device or the request no longer allows it. With ``force`` (« Appliquer la
    remise » on a conflict), a device back in stock is taken again, then handed over."""
    d = load(HandoverData(), data)
    device, request = reservation.device, reservation.request
    elsewhere = _handed_elsewhere(session, reservation, invoice.number)
    if elsewhere is not None:           # even on « Appliquer »: the device is with another household
        raise elsewhere
    held = _why_held(reservation, recorded_at, invoice.number)
    if held is not None and not force:
        raise held
    if force:
        other = session.execute(select(Reservation).where(Reservation.device_id == device.id,
                                                          Reservation.status == ReservationStatus.ACTIVE.value,
                                                          Reservation.id != reservation.id)).scalars().first()
        if other is not None:
            raise Conflict(f"L'appareil {device.asset_tag} est réservé pour un autre foyer (réservation n° {other.id}) "
                           f": libérez cette réservation, puis Appliquer la remise ; sinon émettez un avoir sur la "
                           f"facture {invoice.number}.")
    if force and device.state == State.IN_STOCK.value and device.missing_since is None:
        apply_transition(session, device, State.RESERVED, user_id=user_id, now=recorded_at, context=RESERVING,
                         note=f"Régularisation de la tournée {tour.reference}.")
    if force and request.status != RequestStatus.VALIDATED.value:
        raise Conflict(f"La demande du foyer {request.household.reference} n'est plus validée "
                       f"({RequestStatus.label_of(request.status).lower()}) : faites-la revalider d'abord.")
    booking_id = position = None
    if d["session_id"] is not None:
        booking = _booked_already(session, d["session_id"], request.household_id)
        if booking is None:
            stop = session.get(MobileTourSession, (tour.id, d["session_id"])) is not None
            booking = book_seat(session, d["session_id"], request.household, user_id=user_id, now=recorded_at,
                                reservation_id=reservation.id, started_ok=stop)
            booking.tour_id = tour.id
        elif booking.reservation_id is None:
            booking.reservation_id = reservation.id
        booking_id, position = booking.id, waitlist_position(session, booking)
    apply_transition(session, device, State.DISTRIBUTED, user_id=user_id, now=recorded_at, context=HANDING_OVER,
                     note=f"Remis au foyer {request.household.reference} en tournée {tour.reference} "
                          f"(facture {invoice.number}).")
    mark_equipped(session, request, recorded_at)
    reservation.status = ReservationStatus.HANDED_OVER.value
    reservation.ended_at, reservation.ended_by_id = recorded_at, user_id
    reservation.internet_access = d["internet_access"]
    reservation.internet_offer_referred = bool(d["internet_offer_referred"])
    session.flush()
    return {"invoice": invoice.number, "booking_id": booking_id, "waitlist_position": position}
