"""The handover, one step, all or nothing: the invoice is issued, the workshop booked, the
device distributed, the household marked equipped and its internet access recorded. If any part
fails nothing is written: no invoice number is consumed and the device stays reserved."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from core.clock import local_today, to_local, utcnow
from core.errors import Conflict, ValidationFailed
from core.money import euros
from distribution.access import require_stock_manager
from distribution.models import Booking, Invoice, Reservation
from distribution.pricing import GridInvalid
from distribution.services.grids import grid_in_effect
from distribution.services.invoicing import LineIn, issue_invoice
from distribution.services.reservations import missing_device, reservation_by_id
from distribution.services.workshops import book_seat, propose_sessions, waitlist_position
from distribution.settings import DistributionSettings
from distribution.vocabulary import InternetAccess, PaymentMethod, ReservationStatus, topic_for_category
from core.actor import Actor
from eligibility.services.requests import mark_equipped
from inventory.lifecycle import State, TransitionContext
from core.unit_of_work import unit_of_work
from inventory.services.transitions import apply_transition
from inventory.vocabulary import Grade

HANDING_OVER = TransitionContext(handover=True)


@dataclass(frozen=True)
class HandoverResult:
    invoice: Invoice
    booking: Booking
    position: int | None


def buyer_address(household) -> str | None:
    commune = household.commune
    parts = [household.address, f"{commune.postal_codes[0].code} {commune.name}" if getattr(commune, "postal_codes", None)
             else commune.name]
    return ", ".join(p for p in parts if p)


def device_description(device) -> str:
    text = f"{device.category_label} {device.brand} {device.model}".strip()
    return f"{text} — reconditionné, note {Grade.label_of(device.grade)}"


def workshop_summary(booking: Booking, position: int | None) -> dict:
    """What the invoice and the handover sheet say of the booked workshop."""
    workshop = booking.session
    start, end = to_local(workshop.starts_at), to_local(workshop.ends_at)
    return {"session_id": workshop.id, "topic": workshop.topic_label, "date": f"{start:%d/%m/%Y}",
            "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
            "place": workshop.venue_label,
            "address": workshop.address, "commune": workshop.commune.name,
            "status": booking.status_label, "position": position}


def checked_payments(payment_method, payments, total: Decimal) -> list[dict]:
    """[{"method", "amount"}]: one method for the whole amount, or a split that adds up."""
    if payments:
        if not isinstance(payments, list):
            raise ValidationFailed({"payments": ["Liste de paiements [{method, amount}] attendue."]})
        out = []
        for entry in payments:
            method = (entry or {}).get("method") if isinstance(entry, dict) else None
            if method not in PaymentMethod.values():
                raise ValidationFailed({"payments": [f"Moyen de paiement inconnu : valeurs acceptées : "
                                                     f"{', '.join(PaymentMethod.values())}."]})
            try:
                amount = Decimal(str(entry.get("amount"))).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                raise ValidationFailed({"payments": ["Montant en euros attendu pour chaque paiement."]}) from None
            if amount <= 0:
                raise ValidationFailed({"payments": ["Chaque paiement doit être un montant positif."]})
            out.append({"method": method, "amount": f"{amount:.2f}"})
        paid = sum(Decimal(p["amount"]) for p in out)
        if paid != total:
            raise ValidationFailed({"payments": [f"Les paiements ({euros(paid)}) doivent égaler le total "
                                                 f"({euros(total)})."]})
        return out
    if payment_method not in PaymentMethod.values():
        raise ValidationFailed({"payment_method": [f"Moyen de paiement attendu : valeurs acceptées : "
                                                   f"{', '.join(PaymentMethod.values())}."]})
    return [{"method": payment_method, "amount": f"{total:.2f}"}]


def _accessory_lines(grid, accessories) -> list[LineIn]:
    """Accessories as ["charger", …] or [{"code", "quantity"}]; repeated codes add up."""
    counts: dict[str, int] = {}
    for entry in accessories or []:
        code, quantity = (entry, 1) if isinstance(entry, str) else ((entry or {}).get("code"), (entry or {}).get("quantity", 1))
        if code not in grid.accessories:
            raise ValidationFailed({"accessories": [f"Accessoire inconnu « {code} » : valeurs acceptées : "
                                                    f"{', '.join(grid.accessories)}."]})
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 10:
            raise ValidationFailed({"accessories": ["Quantité entière de 1 à 10 attendue."]})
        counts[code] = counts.get(code, 0) + quantity
    return [LineIn(kind=code, description=grid.accessories[code].label, unit_price_ttc=grid.accessories[code].price,
                   quantity=n) for code, n in counts.items()]


def handover(session: Session, actor: Actor, reservation_id, settings: DistributionSettings, *,
             payment_method: str | None = None, payments: list | None = None, accessories: list | None = None,
             workshop_session_id=None, internet_access: str | None = None, internet_offer_referred: bool = False,
             now: datetime | None = None) -> HandoverResult:
    """Hand a reserved device over (one transaction). Without ``workshop_session_id`` the first
    proposed session with a free seat is booked. Raises Forbidden, NotFound, ValidationFailed or
    Conflict; then nothing at all is written."""
    require_stock_manager(actor)
    if internet_access is not None and internet_access not in InternetAccess.values():
        raise ValidationFailed({"internet_access": [f"Valeurs acceptées : {', '.join(InternetAccess.values())}."]})
    now = now or utcnow()
    with unit_of_work(session):
        reservation: Reservation = reservation_by_id(session, reservation_id, for_update=True)
        if reservation.status != ReservationStatus.ACTIVE.value:
            raise Conflict(f"Cette réservation n'est plus en cours ({reservation.status_label.lower()}).")
        device, item = reservation.device, reservation.request
        household = item.household
        if device.state != State.RESERVED.value:
            raise Conflict(f"L'appareil {device.asset_tag} n'est pas réservé (état : {device.state_label}).")
        if device.missing_since is not None:        # the reservation stays: released by hand, or found
            raise Conflict(missing_device(device, "libérez la réservation pour en réserver un autre"))
        grid = grid_in_effect(session, local_today())
        try:
            price, reference_value = grid.price_of(device.category, device.grade, item.tier)
        except GridInvalid as exc:
            raise Conflict(exc.message) from None
        lines = [LineIn(kind="device", description=device_description(device), unit_price_ttc=price,
                        asset_tag=device.asset_tag, serial_number=device.serial_number or device.imei)]
        lines += _accessory_lines(grid, accessories)
        total = sum((l.unit_price_ttc * l.quantity for l in lines), Decimal("0.00"))
        paid = checked_payments(payment_method, payments, total)

        if workshop_session_id in (None, ""):
            proposals = propose_sessions(session, household, topic_for_category(device.category), now=now, limit=50)
            chosen = next((p.session for p in proposals if p.free_seats > 0), None)
            if chosen is None:
                raise Conflict("Aucun atelier de prise en main à venir n'a de place libre sur ce thème : "
                               "programmez une session, ou choisissez-en une complète (liste d'attente).")
            workshop_session_id = chosen.id
        booking = book_seat(session, workshop_session_id, household, user_id=actor.id, now=now,
                            reservation_id=reservation.id)
        position = waitlist_position(session, booking)

        invoice = issue_invoice(
            session, reservation=reservation, household=household, device=device, lines=lines, payments=paid,
            vat_regime=settings.vat_regime, seller=settings.seller.as_dict(),
            buyer_name=f"{household.first_name or ''} {household.last_name or ''}".strip() or household.reference,
            buyer_address=buyer_address(household), price_grid_id=grid.id, tier=item.tier,
            reference_value=reference_value, workshop=workshop_summary(booking, position), booking_id=booking.id,
            user_id=actor.id, now=now)
        apply_transition(session, device, State.DISTRIBUTED, user_id=actor.id, now=now, context=HANDING_OVER,
                         note=f"Remis au foyer {household.reference} (facture {invoice.number}).")
        mark_equipped(session, item, now)
        reservation.status = ReservationStatus.HANDED_OVER.value
        reservation.ended_at, reservation.ended_by_id = now, actor.id
        reservation.internet_access = internet_access
        reservation.internet_offer_referred = bool(internet_offer_referred)
        session.flush()
    return HandoverResult(invoice, booking, position)
