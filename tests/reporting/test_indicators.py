"""The indicators against a scripted scenario, exactly; then the same scenario under each filter."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core.clock import local_today, utcnow
from core.territory import Epci
from distribution.models import WorkshopSession
from distribution.services.handover import handover
from distribution.services.reservations import reserve
from distribution.services.workshops import record_attendance
from eligibility.services.requests import create_request, decide_request
from inventory.models import Device
from reporting.filters import Filters
from reporting.indicators import indicators
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



def whole(**changes) -> Filters:
    return Filters(date(2020, 1, 1), local_today() + timedelta(days=1), **changes)


@pytest.fixture
def scenario(app, session):
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


def test_indicators_match_the_scripted_scenario_exactly(app, session, scenario):
    figures = indicators(session, whole())
    figures.pop("period")
    assert figures == {
        "devices_collected": 4,
        "devices_sanitised": 4,          # every device left "wiping" once
        "devices_graded": 3,
        "devices_distributed": 2,
        "devices_recycled": 1,
        "stock_by_state": {"received": 0, "wiping": 0, "repair": 0, "grading": 0, "in_stock": 1, "reserved": 0,
                           "distributed": 2, "parts": 0, "recycled": 1},
        "households_validated": 3,
        "households_equipped": 2,
        "equipped_by_epci": {"CACEM": 2, "CAP Nord": 0, "Espace Sud": 0},
        "workshop_sessions": 1,
        "workshop_attendance_rate": 0.5,
        "satisfaction_avg": 4.0,
        "internet_access_rate": 0.5,
        "internet_offer_referrals": 1,
        "weight_reused_kg": 4.0,
        "weight_recycled_kg": 3.0,
        "reference_value_total": "560.00",   # laptop B: 280 € each
        "paid_total": "110.00",              # 50 € + 50 € + a 10 € charger
        "aide_solidaire_total": "460.00",
        "median_days_reception_to_handover": 15.0,
    }


def test_filters_narrow_the_scenario(app, session, scenario):
    epcis = dict(session.execute(select(Epci.short_name, Epci.id)).all())
    south = indicators(session, whole(epci_id=epcis["Espace Sud"]))
    assert (south["devices_collected"], south["devices_distributed"], south["households_validated"],
            south["workshop_sessions"], south["paid_total"]) == (0, 0, 1, 0, "0.00")
    cacem = indicators(session, whole(epci_id=epcis["CACEM"]))
    assert (cacem["devices_collected"], cacem["households_validated"], cacem["households_equipped"]) == (4, 2, 2)
    donor = indicators(session, whole(donor_id=scenario["shop"]["donor"].id))
    assert (donor["devices_collected"], donor["devices_distributed"], donor["households_validated"],
            donor["workshop_sessions"], donor["satisfaction_avg"]) == (4, 2, None, None, None)
    tablets = indicators(session, whole(category="tablet"))
    assert (tablets["devices_collected"], tablets["devices_distributed"], tablets["workshop_sessions"]) == (0, 0, 0)
    last_year = local_today().year - 1
    before = indicators(session, Filters(date(last_year, 1, 1), date(last_year, 12, 31)))
    assert before["devices_collected"] == 0 and sum(before["stock_by_state"].values()) == 0
    assert before["median_days_reception_to_handover"] is None and before["internet_access_rate"] is None
