"""The handover's share of a household's right of access (GDPR art. 15): reservations and the
internet access recorded at handover, invoices and credit notes, workshop bookings. The app adds
it to the eligibility export (eligibility never imports distribution)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local
from distribution.models import Booking, Invoice, Reservation
from distribution.vocabulary import InternetAccess
from core.money import euros
from eligibility.models import Household, Request


def _iso(value):
    return value.isoformat() if value is not None else None


def _local(value, fmt: str = "%d/%m/%Y %H:%M"):
    return to_local(value).strftime(fmt) if value is not None else None


def household_handover(session: Session, household: Household) -> tuple[dict, list[dict]]:
    """(json, display rows) of everything the handover holds about ``household``. Display rows
    are {"what", "when", "detail"} in French, for the PDF."""
    reservations = session.execute(select(Reservation).join(Reservation.request)
                                   .where(Request.household_id == household.id).order_by(Reservation.id)).scalars().all()
    invoices = session.execute(select(Invoice).where(Invoice.household_id == household.id)
                               .order_by(Invoice.chain_position)).scalars().all()
    bookings = session.execute(select(Booking).where(Booking.household_id == household.id)
                               .order_by(Booking.id)).scalars().all()
    data = {
        "reservations": [{"device": r.device.asset_tag, "category": r.device.category, "status": r.status,
                          "reserved_at": _iso(r.reserved_at), "ended_at": _iso(r.ended_at),
                          "internet_access": r.internet_access, "internet_offer_referred": r.internet_offer_referred}
                         for r in reservations],
        "invoices": [{"number": i.number, "issued_at": _iso(i.issued_at), "total_ttc": f"{i.total_ttc:.2f}",
                      "buyer_name": i.buyer_name, "buyer_address": i.buyer_address,
                      "credit_notes": [n.number for n in i.credit_notes]} for i in invoices],
        "bookings": [{"session": b.session_id, "topic": b.session.topic, "starts_at": _iso(b.session.starts_at),
                      "venue": b.session.venue_name, "status": b.status, "satisfaction": b.satisfaction}
                     for b in bookings],
    }
    rows = [{"what": f"Réservation de l'appareil {r.device.asset_tag}", "when": _local(r.reserved_at),
             "detail": r.status_label + (f" — accès à internet : {InternetAccess.label_of(r.internet_access).lower()}"
                                         if r.internet_access else "")
             + (" — orienté vers une offre sociale internet" if r.internet_offer_referred else "")}
            for r in reservations]
    rows += [{"what": f"Facture {i.number}", "when": _local(i.issued_at),
              "detail": f"{euros(i.total_ttc)}, au nom de {i.buyer_name}"
              + (f" — avoir(s) {', '.join(n.number for n in i.credit_notes)}" if i.credit_notes else "")}
             for i in invoices]
    rows += [{"what": f"Atelier {b.session.topic_label} — {b.session.venue_name}", "when": _local(b.session.starts_at),
              "detail": b.status_label + (f" — satisfaction {b.satisfaction}/5" if b.satisfaction else "")}
             for b in bookings]
    return data, rows
