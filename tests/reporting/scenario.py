"""The scripted scenario the reporting tests check their figures against (built through the
services, as users would)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from core.clock import utcnow
from distribution.models import Booking, WorkshopSession
from distribution.services.handover import handover
from distribution.services.reservations import reserve
from distribution.services.workshops import record_attendance
from eligibility.services.requests import create_request, decide_request
from inventory.models import Device
from tests.helpers import (
    actor,
    advance,
    make_device,
    make_household,
    make_session,
    make_workshop,
    settings_for,
    stock_device,
)


def build_scenario(app, session) -> dict:
    """Four laptops from one donor collected at Le Lamentin (CACEM): two handed over to two CACEM
    households (one with a charger), one in stock, one recycled; a third household, in Espace
    Sud, validated but waiting; one workshop held: one present (satisfaction 4), one absent."""
    shop = make_workshop(session)
    tech = actor(app, "technicien")
    devices = [stock_device(session, shop, "laptop", "B") for _ in range(3)]
    scrap = make_device(session, shop["collection"].id)
    advance(session, scrap, "recycled")
    for device, kg in zip(devices + [scrap], ("2.1", "1.9", "2.4", "3.0")):
        session.execute(update(Device).where(Device.id == device.id).values(weight_kg=Decimal(kg)))
    session.commit()

    def validated(username, **household):
        item = create_request(session, actor(app, "prescripteur"), make_household(app, session, **household), "laptop")
        return decide_request(session, actor(app, username), item, "validate")

    first = validated("agent.cacem", phone="0696 01 01 01", last_name="Un")
    second = validated("agent.cacem", phone="0696 02 02 02", last_name="Deux", commune_insee="97209")
    validated("agent.espacesud", phone="0696 03 03 03", last_name="Trois", commune_insee="97217")
    workshop = make_session(app, session)
    results = []
    for item, device, extra in ((first, devices[0], {"accessories": ["charger"], "internet_access": "mobile",
                                                      "internet_offer_referred": True}),
                                (second, devices[1], {"internet_access": "none"})):
        reservation = reserve(session, tech, item.id, device.asset_tag)
        results.append(handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
                                workshop_session_id=workshop.id, **extra))
    # Received 10 and 20 days before the handover: median 15 days.
    for device, days in ((devices[0], 10), (devices[1], 20)):
        session.execute(update(Device).where(Device.id == device.id).values(created_at=utcnow() - timedelta(days=days)))
    started = utcnow() - timedelta(hours=3)
    session.execute(update(WorkshopSession).where(WorkshopSession.id == workshop.id)
                    .values(starts_at=started, ends_at=started + timedelta(hours=2)))
    session.commit()
    animateur = actor(app, "animateur")
    record_attendance(session, animateur, results[0].booking.id, attended=True, satisfaction=4)
    record_attendance(session, animateur, results[1].booking.id, attended=False)
    return {"shop": shop, "results": results}


def build_spread(app, session) -> dict:
    """A programme spread over every dimension the dashboard filters on, so that each filter has
    figures on both sides of it: two donors with a workshop each (Le Lamentin in CACEM, Le Marin
    in Espace Sud), laptops, smartphones and tablets, households of the three EPCI in tiers 1 to
    3, handovers to three EPCI, workshops held in three EPCI on two topics.

    Donor A (CACEM site): laptops a1 → H1 (CACEM, tier 1) and a2 → H2 (CAP Nord, tier 2), a
    smartphone in stock, a laptop recycled, a tablet in repair. Donor B (Espace Sud site): a
    laptop b1 → H3 (Espace Sud, tier 3), a smartphone b2 → H4 (CACEM, RSA: tier 1), a laptop in
    stock, a tablet recycled, a laptop in wiping. H5 (Espace Sud, laptop) validated and waiting,
    H6 (CAP Nord, smartphone) submitted, H7 (CACEM, tablet) refused."""
    from datetime import date

    from distribution.services.workshops import book
    from inventory.services.collections import create_collection
    from inventory.services.reference import create_location, create_organisation, create_site

    shop_a = make_workshop(session)
    donor_b = create_organisation(session, kind="donor", name="Donateur Sud", commune_insee="97217")
    site_b = create_site(session, code="MAR", name="Atelier Sud", kind="workshop", commune_insee="97217")
    bin_s = create_location(session, site_id=site_b.id, label="S01", name="Bac S01")
    collection_b = create_collection(session, donor=donor_b.id, collected_on=date(2026, 3, 9), site=site_b.id,
                                     declared_count=5)
    shop_b = {"donor": donor_b, "site": site_b, "bin_a": bin_s, "bin_b": bin_s, "collection": collection_b}
    tech = actor(app, "technicien")

    a1, a2 = stock_device(session, shop_a, "laptop", "A"), stock_device(session, shop_a, "laptop", "B")
    a3 = stock_device(session, shop_a, "smartphone", "B")
    a4 = advance(session, make_device(session, shop_a["collection"].id), "recycled")
    a5 = advance(session, make_device(session, shop_a["collection"].id, category="tablet"), "repair")
    b1, b2 = stock_device(session, shop_b, "laptop", "C"), stock_device(session, shop_b, "smartphone", "A")
    b3 = stock_device(session, shop_b, "laptop", "B")
    b4 = advance(session, make_device(session, shop_b["collection"].id, category="tablet"), "recycled")
    b5 = advance(session, make_device(session, shop_b["collection"].id), "wiping")
    weights = {a1: "2.1", a2: "1.9", a3: "0.2", a4: "3.0", a5: "0.5", b1: "2.4", b2: "0.3", b3: "2.2", b4: "0.6",
               b5: "2.0"}
    for device, kg in weights.items():
        session.execute(update(Device).where(Device.id == device.id).values(weight_kg=Decimal(kg)))
    session.commit()

    agents = {"97213": "agent.cacem", "97209": "agent.cacem", "97217": "agent.espacesud", "97222": "admin"}
    tier_2, tier_3 = "2100.50", "2520.00"      # for the default household of 1.8 consumption units

    def request(n, commune, category, *, action="validate", **household):
        item = create_request(session, actor(app, "prescripteur"), make_household(
            app, session, phone=f"0696 77 00 {n:02d}", last_name=f"Foyer{n}", commune_insee=commune, **household),
            category)
        if action:
            item = decide_request(session, actor(app, agents[commune]), item, action,
                                  justification="Ressources trop élevées." if action == "refuse" else None)
        return item

    h1, h2 = request(1, "97213", "laptop"), request(2, "97222", "laptop", monthly_resources=tier_2)
    h3 = request(3, "97217", "laptop", monthly_resources=tier_3)
    h4 = request(4, "97209", "smartphone", monthly_resources="9000", benefits=["RSA"])
    request(5, "97217", "laptop")
    request(6, "97222", "smartphone", action=None)
    request(7, "97213", "tablet", action="refuse")

    sessions = {"CACEM": make_session(app, session, commune="97213"),
                "CAP Nord": make_session(app, session, commune="97222"),
                "Espace Sud": make_session(app, session, commune="97217", topic="smartphone")}
    results = []
    for item, device, workshop, extra in (
            (h1, a1, "CACEM", {"accessories": ["charger"], "internet_access": "mobile", "internet_offer_referred": True}),
            (h2, a2, "CAP Nord", {"internet_access": "broadband"}),
            (h3, b1, "CACEM", {"internet_access": "none"}),
            (h4, b2, "Espace Sud", {})):
        reservation = reserve(session, tech, item.id, device.asset_tag)
        results.append(handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
                                workshop_session_id=sessions[workshop].id, **extra))
    # A fifth participant, booked without a handover, at the CAP Nord session.
    book(session, tech, sessions["CAP Nord"].id, h1.household_id)
    started = utcnow() - timedelta(hours=3)
    for workshop in sessions.values():
        session.execute(update(WorkshopSession).where(WorkshopSession.id == workshop.id)
                        .values(starts_at=started, ends_at=started + timedelta(hours=2)))
    session.commit()
    animateur = actor(app, "animateur")
    for result, attended, score in zip(results, (True, False, True, True), (5, None, 3, 4)):
        record_attendance(session, animateur, result.booking.id, attended=attended, satisfaction=score)
    return {"donors": {"A": shop_a["donor"], "B": donor_b}, "shops": {"A": shop_a, "B": shop_b},
            "results": results, "sessions": sessions}


TOUR_DEVICE_KEY = "5f0c8a53-2f4e-4d57-9b8e-6f1f0e0a7c21"


def build_tours(app, session, shop: dict) -> dict:
    """Yesterday's mobile workshops (Martinique time), played through the services with the clock
    at each moment, as the « Tournée » page sends them (``download_tour`` at 6:00, ``apply_batch``
    at 18:00): unit M1 takes out three stops and two laptops of ``shop`` reserved by Macouba
    households E and F (validated and reserved at 5:00).

    - Macouba (CAP Nord, computer, 9:00): A present (5), B absent, C booked and never marked, D
      (living in Fort-de-France, CACEM) present; walk-ins from Macouba and Grand'Rivière; E handed
      a laptop on tour and booked there, then marked present; F handed a laptop on tour alone.
    - Sainte-Anne (Espace Sud, smartphone, 14:00): H present (4); a walk-in from Le Marin.
    - Le Marin (Espace Sud, tablet, 16:30): J present, a walk-in from Le Marin, then the session
      cancelled at 19:00: none of it counts.
    And a mobile stop at Macouba a week later, K booked: not held yet.

    Held: 2 sessions, 6 seats taken, 4 present, 1 absent, 3 walk-ins; 2 handovers on tour;
    households reached: A, D, E, F, H and the 3 walk-ins."""
    from datetime import datetime, time, timezone

    from core.clock import MARTINIQUE, clock_set_to, local_today
    from distribution.services.reservations import reserve
    from distribution.services.tour_sync import apply_batch
    from distribution.services.tours import Programme, download_tour
    from distribution.services.workshops import book, cancel_session
    from distribution.tour.models import MobileUnit
    from distribution.tour.offline import OfflineDevice

    day = local_today() - timedelta(days=1)

    def at(hour: int, minute: int = 0):
        return datetime.combine(day, time(hour, minute), MARTINIQUE).astimezone(timezone.utc)

    def person(letter: str, commune: str):
        n = ord(letter) - ord("A") + 1
        return make_household(app, session, "prescripteur", commune_insee=commune, last_name=f"Tournée{letter}",
                              first_name="Rose", phone=f"0696 55 00 {n:02d}")

    def stop(commune: str, topic: str, hours: float):
        return make_session(app, session, commune=commune, topic=topic, days=hours / 24, venue_kind="mobile_stop",
                            venue_name=f"Bourg ({commune})")

    tech = actor(app, "technicien")
    with clock_set_to(at(5)):
        session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
        session.commit()
        macouba, sainte_anne, marin = stop("97215", "computer", 4), stop("97226", "smartphone", 9), \
            stop("97217", "tablet", 11.5)
        later = stop("97215", "computer", 7 * 24)
        people = {letter: person(letter, commune) for letter, commune in (
            ("A", "97215"), ("B", "97215"), ("C", "97215"), ("D", "97209"), ("H", "97226"), ("J", "97217"),
            ("K", "97215"))}
        bookings = {letter: book(session, tech, workshop.id, people[letter].id)
                    for letter, workshop in (("A", macouba), ("B", macouba), ("C", macouba), ("D", macouba),
                                             ("H", sainte_anne), ("J", marin), ("K", later))}
        reservations = {}
        for letter in ("E", "F"):
            item = decide_request(session, actor(app, "admin"), create_request(
                session, actor(app, "prescripteur"), person(letter, "97215"), "laptop"), "validate")
            reservations[letter] = reserve(session, tech, item.id, stock_device(session, shop).asset_tag)
    with clock_set_to(at(6)):
        tour = download_tour(session, tech, tour_date=day, session_ids=[macouba.id, sainte_anne.id, marin.id],
                             device_key=TOUR_DEVICE_KEY, settings=settings_for(app),
                             programme=Programme("Rekonekt", None), unit="M1",
                             reservation_ids=[reservations["E"].id, reservations["F"].id])
    van = OfflineDevice(tour.snapshot)

    def attendance(letter: str, attended: bool, satisfaction=None, *, booking_id=None, when=None):
        return van.action("attendance", {"booking_id": booking_id or bookings[letter].id, "attended": attended,
                                         "satisfaction": satisfaction}, when or at(9, 30))

    def walk_in(workshop, name: str, commune: str, when):
        return van.action("walk_in", {"session_id": workshop.id, "last_name": name, "first_name": None,
                                      "commune_insee": commune, "phone": None, "satisfaction": 4}, when)

    def send(actions):
        results = apply_batch(session, tech, tour.id, {"device_key": TOUR_DEVICE_KEY, "format": 1,
                                                       "actions": actions})["results"]
        assert [r["outcome"] for r in results] == ["applied"] * len(actions), results

    with clock_set_to(at(18)):
        send([attendance("A", True, 5), attendance("B", False), attendance("D", True),
              walk_in(macouba, "Passant", "97215", at(9, 40)), walk_in(macouba, "Voisin", "97211", at(9, 45)),
              van.handover(reservations["E"].id, at(10), session_id=macouba.id),
              van.handover(reservations["F"].id, at(10, 15)),
              attendance("H", True, 4, when=at(14, 30)), walk_in(sainte_anne, "Marinoise", "97217", at(14, 40)),
              attendance("J", True, when=at(16, 45)), walk_in(marin, "Annulé", "97217", at(16, 50))])
        booked_e = session.execute(select(Booking).where(Booking.reservation_id == reservations["E"].id)).scalar_one()
        send([attendance("E", True, 3, booking_id=booked_e.id, when=at(10, 30))])
    with clock_set_to(at(19)):
        cancel_session(session, tech, marin.id, reason="Étape annulée après coup")
    return {"day": day, "tour": tour, "stops": {"Macouba": macouba, "Sainte-Anne": sainte_anne, "Le Marin": marin},
            "later": later, "people": people, "reservations": reservations}
