"""Demo tours of the mobile workshop (issue 20), played through the same services as real use: a
mobile unit « Camion Nord » (M1), then two past days on the road in the north, where the network
is weakest — Grand'Rivière (the Animateur: attendance and walk-ins) and Macouba (the Technicien
with M1: a walk-in and a handover whose invoice F-M1-AAAA-00001 was issued offline). Each tour is
downloaded early in the morning, recorded offline during the workshop (``OfflineDevice`` builds
what the page would send) and synced in the afternoon, then closed: the dashboard's mobile figures
have something to show, and the invoice chains verify."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.clock import clock_set_to, to_local
from core.schemas import load
from distribution.schemas import WorkshopIn
from distribution.services.mobile_units import create_unit
from distribution.services.tour_sync import apply_batch
from distribution.services.tours import Programme, download_tour
from distribution.services.workshops import book, create_session
from distribution.tour.offline import OfflineDevice

UNIT_NAME = "Camion Nord"


@dataclass(frozen=True)
class DemoTour:
    key: str
    days: int                     # days ago
    topic: str
    venue_name: str
    address: str
    commune: str                  # INSEE code
    holder: str                   # demo account
    unit: bool                    # with the mobile unit (handovers and invoices)
    attendance: dict = field(default_factory=dict)     # booked household → satisfaction, None: absent
    walk_ins: tuple = ()          # (last name, first name, commune, phone, satisfaction)
    handovers: tuple = ()         # households handed over on the tour (their request held beforehand)


TOURS = [
    DemoTour("grand-riviere", 12, "smartphone", "Bourg de Grand'Rivière", "Place de la mairie", "97211",
             "animateur", False, attendance={"Ursulet": 5, "Nelson": None, "Joachim": 4},
             walk_ins=(("Lagier", "Joël", "97211", "0696 71 20 11", 5), ("Anglio", "Maryse", "97211", None, 4))),
    DemoTour("macouba", 6, "smartphone", "Bourg de Macouba", "Rue principale", "97215", "technicien", True,
             attendance={"Lordinot": 3}, walk_ins=(("Sophie", "Lucien", "97215", "0696 71 30 22", 5),),
             handovers=("Pélage",)),
]


def _at(story, days_ago: int, hour: int, minute: int = 0) -> datetime:
    from app.demo_story import _at as at

    return at(story.today, days_ago, hour, minute)


def create_the_unit(story) -> None:
    create_unit(story.session, story.actors["admin"], name=UNIT_NAME)


def schedule(story, row: DemoTour) -> None:
    """The stop, scheduled three weeks before."""
    day = story.today - timedelta(days=row.days)
    data = load(WorkshopIn(), {
        "topic": row.topic, "starts_at": f"{day.isoformat()}T09:00", "ends_at": f"{day.isoformat()}T11:00",
        "venue_kind": "mobile_stop", "venue_name": row.venue_name, "address": row.address,
        "commune_insee": row.commune, "capacity": 8, "notes": None, "facilitator": story.users["animateur"].username})
    story.workshops[row.key] = create_session(story.session, story.actors["technicien"], data)


def book_participants(story, row: DemoTour) -> None:
    """Its participants, booked a week before."""
    for name in row.attendance:
        book(story.session, story.actors["technicien"], story.workshops[row.key].id, story.requests[name].household_id)


def run(story, row: DemoTour) -> None:
    """Download at 7:00, record offline during the workshop, send at 15:00, close at 15:05."""
    from app.demo_distribution import hold

    workshop = story.workshops[row.key]
    for name in row.handovers:
        hold(story.session, story.actors["technicien"], story.requests[name], story.settings, _at(story, row.days, 6))
    key = str(uuid.uuid4())
    with clock_set_to(_at(story, row.days, 7)) as moment:
        tour = download_tour(story.session, story.actors[row.holder], tour_date=to_local(workshop.starts_at).date(),
                             session_ids=[workshop.id], device_key=key, settings=story.settings,
                             programme=Programme(story.config["PROGRAMME_NAME"], story.config.get("PROGRAMME_CONTACT")),
                             unit="M1" if row.unit else None, now=moment)
    device, actions = OfflineDevice(tour.snapshot), []
    bookings = {b.household.last_name: b for b in workshop.bookings}
    for minute, (name, score) in enumerate(row.attendance.items()):
        actions.append(device.action("attendance", {"booking_id": bookings[name].id, "attended": score is not None,
                                                    "satisfaction": score}, _at(story, row.days, 9, 10 + minute)))
    for minute, (last, first, commune, phone, score) in enumerate(row.walk_ins):
        actions.append(device.action("walk_in", {"session_id": workshop.id, "last_name": last, "first_name": first,
                                                 "commune_insee": commune, "phone": phone, "satisfaction": score},
                                     _at(story, row.days, 9, 20 + minute)))
    for minute, name in enumerate(row.handovers):
        reservation = next(r for r in tour.snapshot["reservations"]
                           if r["household"]["id"] == story.requests[name].household_id)
        later = next((p["session_id"] for p in reservation["proposals"] if p["session_id"] != workshop.id), None)
        actions.append(device.handover(reservation["id"], _at(story, row.days, 10, 30 + minute), method="cash",
                                       session_id=later, internet_access="mobile"))
    actions.append(device.action("close", {"note": None}, _at(story, row.days, 15, 5)))
    with clock_set_to(_at(story, row.days, 15)):
        answer = apply_batch(story.session, story.actors[row.holder], tour.id,
                             {"device_key": key, "format": 1, "actions": actions})
    refused = [r for r in answer["results"] if r["outcome"] != "applied"]
    if refused:
        raise RuntimeError(f"demo tour {row.key}: {refused}")


def steps(story) -> list[tuple[datetime, object]]:
    """The tours' dated steps, to be played among the story's (each with the clock at its moment)."""
    out = [(_at(story, 30, 8), lambda: create_the_unit(story))]
    for row in TOURS:
        out.append((_at(story, row.days + 21, 8), lambda r=row: schedule(story, r)))
        out.append((_at(story, row.days + 7, 10), lambda r=row: book_participants(story, r)))
        out.append((_at(story, row.days, 6), lambda r=row: run(story, r)))
    return out
