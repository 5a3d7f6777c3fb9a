"""Retention (GDPR) of what tours hold about people (issue 20): walk-in participants, the names
and phone numbers a tour downloaded, what its offline records repeated, and the server's messages
about those records that name someone. After the same period as the households' (36 months,
``ELIGIBILITY_RETENTION_MONTHS``) they are erased; what stays is
what the figures need: the session, the commune, the satisfaction score, the dates, the numbers
and fingerprints of the invoices (which the invoices themselves keep, as the law requires)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local, utcnow
from core.unit_of_work import unit_of_work
from distribution.tour.models import MobileTour, TourAction, WorkshopWalkIn
from eligibility.services.common import add_months

PERSONAL_IN_ACTIONS = ("last_name", "first_name", "phone")
MESSAGE_ERASED = "Message effacé à la fin de la durée de conservation : il nommait une personne."


def _cutoff(now: datetime, months: int) -> datetime:
    return datetime.combine(add_months(now.date(), -months), now.time(), tzinfo=now.tzinfo)


def _scrubbed_snapshot(snapshot: dict, when: datetime) -> dict:
    """The download without anyone's name, phone or address: the tour, its stops' sessions."""
    sessions = [{k: v for k, v in s.items() if k != "bookings"} for s in snapshot.get("sessions", [])]
    return {"format": snapshot.get("format"), "tour": snapshot.get("tour"), "sessions": sessions,
            "purged_at": to_local(when).isoformat(timespec="seconds")}


def _people(snapshot: dict, payloads: list[dict]) -> set[str]:
    """The names, phone numbers and addresses a tour's download and records hold: a message the
    server stored about a record (« L'inscription de Rose Martin a été annulée… », a buyer's name
    in a refused invoice's differences) may repeat them."""
    found = []
    for stop in snapshot.get("sessions") or []:
        for booking in stop.get("bookings") or []:
            found += [booking.get("last_name"), booking.get("first_name"), booking.get("phone")]
    for load in snapshot.get("reservations") or []:
        household = load.get("household") or {}
        found += [household.get("buyer_name"), household.get("buyer_address")]
    for payload in payloads:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        found += [data.get(key) for key in PERSONAL_IN_ACTIONS]
        invoice = data.get("invoice") if isinstance(data.get("invoice"), dict) else {}
        content = invoice.get("content") if isinstance(invoice.get("content"), dict) else {}
        found += [content.get("buyer_name"), content.get("buyer_address")]
    return {value.strip() for value in found if isinstance(value, str) and len(value.strip()) > 1}


def _names_someone(text: str | None, people: set[str]) -> bool:
    return bool(text) and any(person in text for person in people)


def _scrubbed_payload(payload: dict) -> dict:
    data = dict(payload.get("data") or {})
    for key in PERSONAL_IN_ACTIONS:
        data.pop(key, None)
    invoice = data.get("invoice")
    if isinstance(invoice, dict) and "content" in invoice:        # the buyer's name and address
        data["invoice"] = {k: v for k, v in invoice.items() if k != "content"}
    return {**payload, "data": data}


def purge_tours(session: Session, months: int, *, now: datetime | None = None, dry_run: bool = False) -> tuple[int, int]:
    """Erase the personal data of walk-ins recorded, and of tours downloaded, more than ``months``
    ago. Returns (walk-ins, tours) erased (or to erase, with ``dry_run``)."""
    now = now or utcnow()
    cutoff = _cutoff(now, months)
    walk_ins = session.execute(select(WorkshopWalkIn).where(WorkshopWalkIn.anonymised_at.is_(None),
                                                            WorkshopWalkIn.recorded_at < cutoff)).scalars().all()
    tours = [t for t in session.execute(select(MobileTour).where(MobileTour.downloaded_at < cutoff)).scalars()
             if "purged_at" not in (t.snapshot or {})]
    if dry_run or not (walk_ins or tours):
        return len(walk_ins), len(tours)
    with unit_of_work(session):
        for walk_in in walk_ins:
            walk_in.last_name = walk_in.first_name = walk_in.phone = None
            walk_in.anonymised_at = now
        for tour in tours:
            actions = session.execute(select(TourAction).where(TourAction.tour_id == tour.id)).scalars().all()
            people = _people(tour.snapshot or {}, [a.payload for a in actions if isinstance(a.payload, dict)])
            tour.snapshot = _scrubbed_snapshot(tour.snapshot, now)
            for action in actions:
                action.payload = _scrubbed_payload(action.payload)
                if _names_someone(action.message, people):
                    action.message = MESSAGE_ERASED
    return len(walk_ins), len(tours)
