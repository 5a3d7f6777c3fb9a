"""The dashboard shows each site's last applied stocktake and its accuracy (issue 19), to every
role that sees the dashboard (places and counts, no personal data); and the scan station offers
the « Inventaire » mode beside its stations, which stay as they were."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import close_location, open_stocktake
from inventory.services.transitions import move
from inventory.vocabulary import Station
from tests.app.test_stocktake_pages import content, no_python_values, shown
from tests.app.test_views_inventory import text_of
from tests.helpers import login, make_device, make_workshop

T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def applied(app, session, users):
    """Two stocktakes of LAM applied, the later one with 2 of its 3 devices found: 66,7 %."""
    shop = make_workshop(session)
    devices = [make_device(session, shop["collection"].id) for _ in range(3)]
    for device in devices:
        move(session, device.asset_tag, shop["bin_a"].code)
    tech = users["technicien"]
    first = open_stocktake(session, site="LAM", locations=[shop["bin_b"].code], now=T0)
    close_location(session, first.id, shop["bin_b"].code, now=at(1))
    apply_stocktake(session, first.id, now=at(2))
    last = open_stocktake(session, site="LAM", locations=[shop["bin_a"].code], now=at(10))
    for n, code in enumerate([shop["bin_a"].code, devices[0].asset_tag, devices[1].asset_tag, shop["bin_a"].code]):
        count(session, code, user_id=tech, now=at(11 + 3 * n))
    apply_stocktake(session, last.id, user_id=tech, now=at(30))
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = shop["donor"].id
    db.session.commit()
    yield last
    partner.organisation_id = None
    db.session.commit()


@pytest.mark.parametrize("username", ["admin", "agent.cacem", "partenaire"])
def test_the_dashboard_shows_each_site_s_last_stocktake(client, session, applied, username):
    login(client, username)
    page = content(client.get("/dashboard/"))
    assert '<a href="#last-stocktakes">Inventaires</a>' in page
    section = page[page.index('<section id="last-stocktakes">'):]
    section = section[:section.index("</section>")]
    text = shown(section)
    assert "Dernier inventaire de chaque site et son exactitude (trouvés à leur place ÷ attendus)" in text
    assert re.search(rf"Atelier Test {applied.reference} \d\d/\d\d/\d{{4}} \d\d:\d\d 3 2 66,7 %", text), text
    assert text.count("Atelier Test") == 1                       # the last one only
    no_python_values(section)


def test_the_dashboard_says_when_no_stocktake_was_applied(client, session):
    login(client, "admin")
    text = shown(content(client.get("/dashboard/")))
    assert "Aucun inventaire appliqué pour l'instant." in text


def test_the_scan_station_offers_the_stocktake_mode(client, session):
    login(client, "technicien")
    page = text_of(client.get("/scan/"))
    options = re.findall(r'<option value="([^"]*)" data-target="[^"]*">([^<]*)<', page)
    # The stations as they were, in their order, then « Inventaire ».
    assert [value for value, _ in options] == [s.value for s in Station] + ["stocktake"]
    assert options[-1] == ("stocktake", "Inventaire")
    assert 'data-stocktake-url="/api/v1/stocktakes/scan"' in page
    assert re.search(r'<label for="scan-quantity" id="scan-quantity-label">Quantité comptée</label>', page)
    assert re.search(r'<input id="scan-quantity"[^>]*inputmode="numeric"', page)
    assert '"counted": {"0": "0 compt\\u00e9", "1": "1 compt\\u00e9", "n": "{n} compt\\u00e9s"}' in page
