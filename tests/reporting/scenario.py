"""The scripted scenario the reporting tests check their figures against (built through the
services, as users would)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from core.clock import utcnow
from distribution.models import WorkshopSession
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
