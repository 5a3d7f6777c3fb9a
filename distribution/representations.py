"""The handover as the API and the renderers need it: reservations, bookings, sessions and
invoices as JSON, and issued documents as French text (amounts as « 1 234,56 € », times in
Martinique time). Read from the stored records only, so a PDF printed again years later says
exactly what the invoice said; no query here (a booking's place on the waiting list is passed in)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.clock import to_local
from distribution.models import Booking, CreditNote, Invoice, Reservation, WorkshopSession
from distribution.numbering import parse_number
from distribution.vocabulary import VAT_MENTIONS, PaymentMethod, VatRegime
from core.money import euros

CENT = Decimal("0.01")
GUARANTEE = ("Garantie légale de conformité de deux ans (articles L217-3 et suivants du Code de la "
             "consommation).")


def _line(line: dict | object) -> dict:
    get = line.get if isinstance(line, dict) else (lambda key: getattr(line, key))
    unit_ht = (Decimal(str(get("total_ht"))) / get("quantity")).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"description": get("description"), "asset_tag": get("asset_tag"), "serial_number": get("serial_number"),
            "quantity": get("quantity"), "unit_price": euros(Decimal(str(get("unit_price_ttc")))),
            "unit_price_ht": euros(unit_ht),
            "total_ttc": euros(Decimal(str(get("total_ttc")))), "total_ht": euros(Decimal(str(get("total_ht")))),
            "vat": euros(Decimal(str(get("vat"))))}


def _vat(regime: str) -> tuple[str | None, str | None]:
    return VAT_MENTIONS[regime], ("8,5 %" if regime == VatRegime.STANDARD.value else None)


def invoice_document(invoice: Invoice, contact: str | None = None) -> dict:
    issued = to_local(invoice.issued_at)
    mention, rate = _vat(invoice.vat_regime)
    return {
        "number": invoice.number, "issued_on": f"{issued:%d/%m/%Y}", "issued_at_time": f"{issued:%H:%M}",
        "seller": invoice.seller, "buyer": {"name": invoice.buyer_name, "address": invoice.buyer_address},
        "household_reference": invoice.household.reference, "lines": [_line(l) for l in invoice.lines],
        "vat_regime": invoice.vat_regime, "vat_mention": mention, "vat_rate": rate,
        "totals": {"total_ht": euros(invoice.total_ht), "vat": euros(invoice.vat), "total_ttc": euros(invoice.total_ttc)},
        "payments": [{"method": PaymentMethod.label_of(p["method"]), "amount": euros(Decimal(p["amount"]))}
                     for p in invoice.payments],
        "amount_paid": euros(invoice.amount_paid), "reference_value": euros(invoice.reference_value),
        "aide_solidaire": euros(invoice.aide_solidaire), "workshop": invoice.workshop, "guarantee": GUARANTEE,
        "programme_contact": contact, "issued_on_tour": _tour_mention(invoice),
        # The fingerprint printed on the paper: for an invoice of a mobile unit, the one its device printed.
        "content_hash": invoice.unit_hash or invoice.content_hash,
    }


def _tour_mention(invoice: Invoice) -> str | None:
    """« Facture émise en tournée — unité M1 » for an invoice of a mobile unit (its number names
    the unit); None for the office's."""
    if invoice.mobile_unit_id is None:
        return None
    parsed = parse_number(invoice.number)
    unit = parsed.unit if parsed is not None else None
    return f"Facture émise en tournée — unité {unit}" if unit else "Facture émise en tournée"


def credit_note_document(note: CreditNote) -> dict:
    invoice = note.invoice
    mention, rate = _vat(invoice.vat_regime)
    return {
        "number": note.number, "issued_on": f"{to_local(note.issued_at):%d/%m/%Y}", "seller": invoice.seller,
        "buyer": {"name": invoice.buyer_name, "address": invoice.buyer_address},
        "lines": [_line(l) for l in note.lines], "vat_regime": invoice.vat_regime, "vat_mention": mention,
        "vat_rate": rate,
        "totals": {"total_ht": euros(note.total_ht), "vat": euros(note.vat), "total_ttc": euros(note.total_ttc)},
        "invoice_number": invoice.number, "invoice_date": f"{to_local(invoice.issued_at):%d/%m/%Y}",
        "reason": note.reason, "device_returned": note.device_returned, "content_hash": note.content_hash,
    }


def handover_sheet_document(invoice: Invoice, programme_name: str, contact: str | None) -> dict:
    device_line = next(l for l in invoice.lines if l.kind == "device")
    return {
        "programme_name": programme_name, "programme_contact": contact, "household_name": invoice.buyer_name,
        "household_reference": invoice.household.reference,
        "handed_over_on": f"{to_local(invoice.issued_at):%d/%m/%Y}",
        "device": {"description": device_line.description, "asset_tag": device_line.asset_tag},
        "accessories": [f"{l.description}" + (f" × {l.quantity}" if l.quantity > 1 else "")
                        for l in invoice.lines if l.kind != "device"],
        "invoice_number": invoice.number, "workshop": invoice.workshop, "guarantee": GUARANTEE,
    }


def attendance_document(workshop: WorkshopSession, participants: list[Booking], programme_name: str) -> dict:
    start, end = to_local(workshop.starts_at), to_local(workshop.ends_at)
    facilitator = workshop.facilitator
    return {
        "topic": workshop.topic_label, "date": f"{start:%d/%m/%Y}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
        "venue": workshop.venue_label, "address": workshop.address,
        "commune": workshop.commune.name,
        "facilitator": f"{facilitator.first_name} {facilitator.last_name}".strip() if facilitator else None,
        "capacity": workshop.capacity, "programme_name": programme_name,
        "cancelled": (f"Atelier annulé le {to_local(workshop.cancelled_at):%d/%m/%Y}"
                      + (f" : {workshop.cancel_reason}" if workshop.cancel_reason else "") + "."
                      if workshop.cancelled_at is not None else None),
        "participants": [{"last_name": b.household.last_name or b.household.reference,
                          "first_name": b.household.first_name or ""} for b in participants],
    }


def ics_document(booking: Booking, programme_name: str, contact: str | None) -> dict:
    workshop = booking.session
    return {"booking_id": booking.id, "topic_label": workshop.topic_label, "starts_at": to_local(workshop.starts_at),
            "ends_at": to_local(workshop.ends_at), "venue": workshop.venue_name, "address": workshop.address,
            "commune": workshop.commune.name, "status_label": booking.status_label, "programme_name": programme_name,
            "programme_contact": contact}


# --- JSON for the API ----------------------------------------------------------------------

def reservation_json(reservation: Reservation) -> dict:
    return {"id": reservation.id, "request_id": reservation.request_id, "asset_tag": reservation.device.asset_tag,
            "household": reservation.request.household.reference, "status": reservation.status,
            "reserved_at": reservation.reserved_at.isoformat(), "expires_at": reservation.expires_at.isoformat()}


def booking_json(booking: Booking, position: int | None) -> dict:
    """A booking; ``position`` is its place on the waiting list (None when it holds a seat)."""
    workshop = booking.session
    return {"id": booking.id, "session_id": workshop.id, "household_id": booking.household_id,
            "status": booking.status, "position": position,
            "topic": workshop.topic, "starts_at": workshop.starts_at.isoformat(),
            "ends_at": workshop.ends_at.isoformat(), "venue_name": workshop.venue_name,
            "commune": workshop.commune.name, "ics_url": f"/api/v1/bookings/{booking.id}.ics"}


def session_json(workshop: WorkshopSession, free: int | None = None) -> dict:
    body = {"id": workshop.id, "topic": workshop.topic, "topic_label": workshop.topic_label,
            "starts_at": workshop.starts_at.isoformat(), "ends_at": workshop.ends_at.isoformat(),
            "starts_at_local": to_local(workshop.starts_at).isoformat(),
            "venue_kind": workshop.venue_kind, "venue_name": workshop.venue_name, "address": workshop.address,
            "commune_insee": workshop.commune_insee, "commune": workshop.commune.name,
            "epci": workshop.commune.epci.short_name, "capacity": workshop.capacity}
    if free is not None:
        body["free_seats"] = free
    return body


def invoice_json(invoice: Invoice) -> dict:
    return {"number": invoice.number, "issued_at": invoice.issued_at.isoformat(),
            "total_ttc": f"{invoice.total_ttc:.2f}", "total_ht": f"{invoice.total_ht:.2f}", "vat": f"{invoice.vat:.2f}",
            "vat_regime": invoice.vat_regime, "reference_value": f"{invoice.reference_value:.2f}",
            "aide_solidaire": f"{invoice.aide_solidaire:.2f}", "amount_paid": f"{invoice.amount_paid:.2f}",
            "payments": invoice.payments, "buyer_name": invoice.buyer_name, "buyer_address": invoice.buyer_address,
            "seller": invoice.seller, "tier": invoice.tier, "price_grid": invoice.price_grid_id,
            "lines": [{"position": l.position, "kind": l.kind, "description": l.description, "asset_tag": l.asset_tag,
                       "serial_number": l.serial_number, "quantity": l.quantity,
                       "unit_price_ttc": f"{l.unit_price_ttc:.2f}", "total_ttc": f"{l.total_ttc:.2f}",
                       "total_ht": f"{l.total_ht:.2f}", "vat": f"{l.vat:.2f}"} for l in invoice.lines],
            "workshop": invoice.workshop, "content_hash": invoice.content_hash, "previous_hash": invoice.previous_hash,
            "credit_notes": [n.number for n in invoice.credit_notes],
            "pdf_url": f"/api/v1/invoices/{invoice.number}.pdf"}
