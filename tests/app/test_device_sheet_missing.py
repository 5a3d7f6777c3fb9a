"""The device sheet says a device is missing, since which stocktake and where it was expected,
and says it no more once a scan finds it (issue 19)."""
from __future__ import annotations

from html import unescape

from inventory.services.scan import scan
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktakes import close_location, open_stocktake
from inventory.services.transitions import move
from tests.helpers import login, make_device, make_workshop


def test_the_sheet_tells_a_missing_device_until_it_is_scanned(client, session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    stocktake = open_stocktake(session, site="LAM", locations=[shop["bin_a"].code])
    close_location(session, stocktake.id, shop["bin_a"].code)
    apply_stocktake(session, stocktake.id)
    login(client, "technicien")
    page = unescape(client.get(f"/devices/show/{device.id}").get_data(as_text=True))
    assert (f"Manquant depuis l'inventaire {stocktake.reference} du " in page
            and f"(attendu dans {shop['bin_a'].code}) : hors rapprochement et réservation." in page)
    scan(session, device.asset_tag, user_id=users["technicien"])
    page = unescape(client.get(f"/devices/show/{device.id}").get_data(as_text=True))
    assert "Manquant depuis" not in page
