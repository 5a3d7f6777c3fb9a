"""What a tour downloads (« Tournée », issue 20), as plain JSON built from an allow-list: the stops
with their participants (names and phone numbers only), the communes for walk-ins and, for a
stock manager with a mobile unit, the devices loaded with everything their handover and invoice
need offline. Never income, resources, benefits, situations, members or birth dates.

Pure: the service loads the records and passes them in; no query here. Amounts are strings with
two decimals (``"70.00"``) and every accessory's lines for quantities 1–10 are computed here with
``amounts.line_amounts``, so the page only adds cents and never re-implements VAT rounding. Times
are ISO 8601 in Martinique time for the page's code; the page shows them as « 10/12/2026 »."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.clock import to_local
from distribution.amounts import LineAmounts, line_amounts
from distribution.representations import GUARANTEE
from eligibility.identity import display_phone
from distribution.vocabulary import (
    VAT_MENTIONS,
    BookingStatus,
    InternetAccess,
    PaymentMethod,
    VatRegime,
)

FORMAT = 1
MAX_ACCESSORY_QUANTITY = 10


@dataclass(frozen=True)
class Stop:
    """A session of the tour, with its bookings that hold or wait for a seat (or already marked)."""
    workshop: object                  # WorkshopSession
    free_seats: int
    bookings: list = field(default_factory=list)


@dataclass(frozen=True)
class Load:
    """A reserved device loaded for a handover on tour, priced with the grid in effect."""
    reservation: object               # Reservation (with its request, household and device)
    description: str                  # the invoice line's description
    buyer_name: str
    buyer_address: str | None
    price: Decimal
    reference_value: Decimal
    topic: str                        # the workshop topic that goes with the device
    proposals: list = field(default_factory=list)    # [(WorkshopSession, free seats)]


@dataclass(frozen=True)
class Series:
    """Where the unit's invoice series stands when the tour leaves."""
    unit_code: str
    next_numbers: dict[int, int]      # Martinique year → the next number in it (1 for a new year)
    next_position: int                # in the unit's chain, across years
    previous_hash: str


def local_iso(moment: datetime) -> str:
    return to_local(moment).isoformat(timespec="seconds")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _amounts(a: LineAmounts) -> dict:
    return {"quantity": a.quantity, "unit_price_ttc": _money(a.unit_price_ttc), "total_ttc": _money(a.total_ttc),
            "total_ht": _money(a.total_ht), "vat": _money(a.vat)}


def _session(stop: Stop) -> dict:
    w = stop.workshop
    start, end = to_local(w.starts_at), to_local(w.ends_at)
    return {
        "id": w.id, "topic": w.topic, "topic_label": w.topic_label,
        "date": f"{start:%d/%m/%Y}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
        "starts_at": local_iso(w.starts_at), "ends_at": local_iso(w.ends_at),
        "venue_label": w.venue_label, "address": w.address, "commune_insee": w.commune_insee,
        "commune": w.commune.name, "capacity": w.capacity, "free_seats": stop.free_seats,
        "bookings": [{"id": b.id, "status": b.status, "status_label": b.status_label,
                      "last_name": b.household.last_name or b.household.reference,
                      "first_name": b.household.first_name or "", "phone": display_phone(b.household.phone)}
                     for b in stop.bookings],
    }


def _proposal(workshop, free: int) -> dict:
    """A session offered at a handover: the fields the invoice prints of a booking (as
    ``handover.workshop_summary``), without the status and position, known only once booked."""
    start, end = to_local(workshop.starts_at), to_local(workshop.ends_at)
    return {"session_id": workshop.id, "topic": workshop.topic_label, "date": f"{start:%d/%m/%Y}",
            "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "place": workshop.venue_label,
            "address": workshop.address, "commune": workshop.commune.name,
            "starts_at": local_iso(workshop.starts_at), "free_seats": free}


def _load(load: Load, vat_regime: str) -> dict:
    reservation = load.reservation
    device, request = reservation.device, reservation.request
    household = request.household
    line = line_amounts(load.price, 1, vat_regime)
    return {
        "id": reservation.id, "expires_at": local_iso(reservation.expires_at), "tier": request.tier,
        "household": {"id": household.id, "reference": household.reference, "buyer_name": load.buyer_name,
                      "buyer_address": load.buyer_address, "commune_insee": household.commune_insee},
        "device": {"id": device.id, "asset_tag": device.asset_tag, "category": device.category,
                   "category_label": device.category_label, "serial": device.serial_number or device.imei},
        "device_line": {"kind": "device", "description": load.description, "asset_tag": device.asset_tag,
                        "serial_number": device.serial_number or device.imei, **_amounts(line)},
        "reference_value": _money(load.reference_value),
        "aide_solidaire": _money(load.reference_value - line.total_ttc),
        "topic": load.topic,
        "proposals": [_proposal(w, free) for w, free in load.proposals],
    }


def snapshot_json(*, tour, stops: list[Stop], communes: list, programme_name: str, contact: str | None,
                  seller: dict, vat_regime: str, loads: list[Load] = (), grid=None,
                  series: Series | None = None) -> dict:
    """The tour's download. ``loads``, ``grid`` and ``series`` are given for a stock manager's tour
    with a mobile unit only; without them the snapshot holds no device, price nor invoice data."""
    body = {
        "format": FORMAT,
        "tour": {"id": tour.id, "reference": tour.reference, "date": tour.tour_date.isoformat(),
                 "date_label": f"{tour.tour_date:%d/%m/%Y}",
                 "unit": {"code": tour.unit.code, "name": tour.unit.name} if tour.unit is not None else None,
                 "downloaded_at": local_iso(tour.downloaded_at), "valid_until": local_iso(tour.valid_until)},
        "programme": {"name": programme_name, "contact": contact},
        "vocabularies": {
            "booking_status": dict(BookingStatus.choices()),
            "payment_methods": PaymentMethod.choices(),
            "internet_access": InternetAccess.choices(),
        },
        "sessions": [_session(stop) for stop in stops],
        "communes": [{"insee": c.insee_code, "name": c.name} for c in communes],
    }
    if series is None:
        return body
    body.update({
        "seller": seller, "vat_regime": vat_regime, "vat_mention": VAT_MENTIONS[vat_regime],
        "vat_rate": "8,5 %" if vat_regime == VatRegime.STANDARD.value else None, "guarantee": GUARANTEE,
        "series": {"unit": series.unit_code, "prefix": f"F-{series.unit_code}",
                   "next_numbers": {str(year): n for year, n in sorted(series.next_numbers.items())},
                   "next_position": series.next_position, "previous_hash": series.previous_hash},
        "price_grid": {"id": grid.id, "title": grid.title},
        "accessories": [{"code": a.code, "label": a.label, "price": _money(a.price),
                         "lines": {str(n): _amounts(line_amounts(a.price, n, vat_regime))
                                   for n in range(1, MAX_ACCESSORY_QUANTITY + 1)}}
                        for a in grid.accessories.values()],
        "reservations": [_load(load, vat_regime) for load in loads],
    })
    return body


def snapshot_sha256(body: dict) -> str:
    """The fingerprint of a download, over its canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
