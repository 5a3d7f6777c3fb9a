"""Issued documents as the renderers and the API need them: French text, amounts as
« 1 234,56 € », times in Martinique time. Read from the stored records only, so a PDF printed
again years later says exactly what the invoice said."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.clock import to_local
from distribution.models import Booking, CreditNote, Invoice, WorkshopSession
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
        "programme_contact": contact, "content_hash": invoice.content_hash,
    }


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
        "venue": f"{workshop.venue_name} ({workshop.venue_kind_label.lower()})", "address": workshop.address,
        "commune": workshop.commune.name,
        "facilitator": f"{facilitator.first_name} {facilitator.last_name}".strip() if facilitator else None,
        "capacity": workshop.capacity, "programme_name": programme_name,
        "participants": [{"last_name": b.household.last_name or b.household.reference,
                          "first_name": b.household.first_name or ""} for b in participants],
    }


def ics_document(booking: Booking, programme_name: str, contact: str | None) -> dict:
    workshop = booking.session
    return {"booking_id": booking.id, "topic_label": workshop.topic_label, "starts_at": to_local(workshop.starts_at),
            "ends_at": to_local(workshop.ends_at), "venue": workshop.venue_name, "address": workshop.address,
            "commune": workshop.commune.name, "status_label": booking.status_label, "programme_name": programme_name,
            "programme_contact": contact}
