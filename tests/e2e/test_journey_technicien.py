"""The Technicien's journey in Chromium (issue 16): a laptop registered from the keyboard in
fewer than 20 keys beyond the typed values, taken through wiping and quality control to « En
stock » at the scan station, then put away from a station left on « Effacement ».

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

from sqlalchemy import select

from inventory.models import Device
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey  # noqa: F401  (fixture)
from tests.e2e.scan_keys import choose_station, focused, received_to_stock, wait_banner
from tests.helpers import make_workshop

pytestmark = NEEDS_CHROMIUM

RECEPTION_BUDGET = 20       # keys per device beyond the typed values: strictly fewer (issue 16, defect 7)


def test_technicien_reception_to_stock_and_put_away(journey, session):
    shop = make_workshop(session)
    collection = shop["collection"]
    walk = journey("technicien")
    page, keys = walk.page, walk.keys

    # Reception: the registration form opens on its first field; everything from the keyboard.
    walk.goto("/devices/add", "formulaire de réception")
    assert focused(page) == "collection", "le formulaire s'ouvre sans champ actif"
    keys.item = 1
    keys.type(collection.reference)
    assert page.input_value("#collection") == str(collection.id)
    keys.press("Tab")
    keys.type("Ordinateur portable")
    assert page.input_value("#category") == "laptop"
    for value in ("Dell", "Latitude 5490", "5CG7301XYZ"):
        keys.press("Tab")
        keys.type(value)
    keys.press("Tab")                   # IMEI: none on a laptop
    keys.press("Tab")
    keys.type("SSD SATA")
    assert page.input_value("#medium_kind_0") == "ssd"
    keys.press("Tab")
    keys.type("S3Z9BWAJ1234")
    keys.press("Tab")
    keys.type("256")
    with walk.navigation("appareil enregistré"):
        keys.press("Enter")
    assert keys.counts[1] < RECEPTION_BUDGET, keys.log
    session.expire_all()
    device = session.execute(select(Device).where(Device.serial_number == "5CG7301XYZ")).scalar_one()
    tag = device.asset_tag
    assert f"{tag} enregistré" in page.inner_text("body")
    # Ready for the next one of the same collection and category.
    assert (page.input_value("#collection"), page.input_value("#category")) == (str(collection.id), "laptop")

    walk.goto(f"/devices/tag/{tag}", "fiche de l'appareil reçu")
    assert "5CG7301XYZ" in page.inner_text("body")

    # The scan station: wiping, the erasure, quality control (the checklist), stock.
    walk.menu(None, "Poste de scan", "poste de scan")
    assert focused(page) == "scan-code"
    received_to_stock(page, keys.press, keys.type, tag, "Dell Latitude 5490", checked=walk.check)
    session.expire_all()
    assert session.get(Device, device.id).state == "in_stock"

    # Put-away from any station: the station left on « Effacement », a location, the device.
    choose_station(page, keys.press, "wiping")
    walk.goto("/scan/", "poste de scan sur effacement")
    assert page.input_value("#scan-station") == "wiping"
    assert focused(page) == "scan-code"
    keys.type("LOC-LAM-A01")
    keys.press("Enter")
    wait_banner(page, "LOC-LAM-A01")
    page.wait_for_selector("#scan-putaway:not([hidden])")
    walk.check("rangement ouvert")
    keys.type(tag)
    keys.press("Enter")
    wait_banner(page, f"{tag} rangé dans LOC-LAM-A01")
    assert "ok" in page.get_attribute("#scan-banner", "class")
    walk.check("appareil rangé")
    session.expire_all()
    stored = session.get(Device, device.id)
    assert (stored.state, stored.location.code) == ("in_stock", "LOC-LAM-A01")

    walk.goto(f"/devices/show/{device.id}", "fiche de l'appareil en stock")
    sheet = page.inner_text("body")
    assert "En stock" in sheet and "LOC-LAM-A01" in sheet
    walk.finish()
