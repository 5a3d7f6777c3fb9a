"""A stocktake in Chromium (issue 19), keyboard and scanner only: the technician opens it from the
« Inventaires » page, chooses the « Inventaire » mode at the scan station, and counts a location
with a scanner burst (codes typed fast, each followed by Enter, never waiting for an answer): the
location, two devices found, one recorded elsewhere, one scanned twice, an unknown code and a
spare part; the quantity field comes up after the part, a device scanned into it counts as a scan,
a typed quantity replaces the count; scanning the next location closes the first. Each answer is
checked as the screen showed it (text and colour, in order), then what was stored, then the
result is applied through its confirmation step.

Every step is checked by ``tests/e2e/harness.py``; skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from inventory.models import Device, SparePart
from inventory.services.repairs import add_stock
from inventory.services.stocktake_apply import read_tally
from inventory.services.stocktakes import open_stocktake
from inventory.services.transitions import move
from inventory.stocktake.models import Stocktake
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, plain  # noqa: F401  (fixture)
from tests.e2e.scan_keys import choose_station, focused, wait_banner
from tests.helpers import make_device, make_workshop

pytestmark = NEEDS_CHROMIUM

# Every answer the banner shows, in order: its class (the level's colour) and text.
RECORD_BANNER = """() => {
  window.rkBanners = [];
  const banner = document.getElementById('scan-banner');
  new MutationObserver(() => window.rkBanners.push([banner.className, banner.textContent]))
    .observe(banner, {childList: true, characterData: true, subtree: true});
}"""


def banners(page, count: int) -> list[tuple[str, str]]:
    page.wait_for_function("n => window.rkBanners.length >= n", arg=count, timeout=10000)
    return [(cls.replace("rk-banner", "").strip(), plain(text)) for cls, text in page.evaluate("window.rkBanners")]


def quantity_asked(page, value: str) -> None:
    """The quantity field has the focus, holding ``value``, all of it selected (typing replaces it)."""
    page.wait_for_function("() => document.activeElement.id === 'scan-quantity'", timeout=5000)
    field = page.evaluate("(() => { const q = document.getElementById('scan-quantity');"
                          " return [q.value, q.selectionStart, q.selectionEnd]; })()")
    assert field == [value, 0, len(value)], field
    assert plain(page.inner_text("#scan-quantity-label")).startswith("Quantité de SP-")


def test_count_a_location_with_the_keyboard_and_a_scanner_burst(journey, session):
    shop = make_workshop(session)
    a, b = shop["bin_a"].code, shop["bin_b"].code
    here = [make_device(session, shop["collection"].id) for _ in range(3)]
    for device in here:
        move(session, device.asset_tag, a)
    elsewhere = make_device(session, shop["collection"].id)
    move(session, elsewhere.asset_tag, b)
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=a, quantity=12)
    part = f"SP-{ram.id:06d}"
    a1, a2, a3 = (d.asset_tag for d in here)
    walk = journey("technicien")
    page, keys = walk.page, walk.keys

    # Open the stocktake from its page: the site is the first field.
    walk.menu("Inventaire", "Inventaires", "inventaires")
    assert focused(page) == "site"
    keys.item = 1
    keys.press("ArrowDown")                     # Atelier Test (LAM)
    for _ in range(3):                          # the locations (all), blind count (no), the note
        keys.press("Tab")
    assert focused(page) == "note"
    keys.type("Inventaire de fin d'année")
    with walk.navigation("inventaire ouvert"):
        keys.press("Enter")
    session.expire_all()
    stocktake = session.execute(select(Stocktake)).scalar_one()
    assert f"Inventaire {stocktake.reference} ouvert : 2 emplacement(s) à compter." in plain(page.inner_text("body"))

    # The scan station, « Inventaire » mode, from the keyboard.
    walk.menu(None, "Poste de scan", "poste de scan")
    assert focused(page) == "scan-code"
    choose_station(page, keys.press, "stocktake")
    assert page.is_visible("#scan-help-stocktake") and not page.is_visible("#scan-help")
    page.evaluate(RECORD_BANNER)

    # The burst: each code then Enter, as fast as a scanner types them.
    keys.item = 2
    burst = [a, a1, a2, elsewhere.asset_tag, a1, "RK-999999", part]
    for code in burst:
        keys.type(code)
        keys.press("Enter")
    quantity_asked(page, "1")                   # the part, once the burst is over
    walk.check("quantité demandée")
    keys.type(a3)                               # a device scanned into the quantity field: a scan
    keys.press("Enter")
    wait_banner(page, f"{a3} — Dell Latitude 5490 : trouvé ici.")
    assert focused(page) == "scan-code" and not page.is_visible("#scan-quantity-box")
    keys.type(part)                             # one more unit scanned, then the quantity typed
    keys.press("Enter")
    quantity_asked(page, "2")
    keys.type("12")
    keys.press("Enter")
    wait_banner(page, "Barrette 8 Go DDR4 : 12 comptés ici (saisie).")
    assert focused(page) == "scan-code"
    assert plain(page.inner_text("#scan-count-figures")) == "4 comptés / 3 attendus"
    assert plain(page.inner_text("#scan-count-place")) == (
        f"Inventaire {stocktake.reference} — {a} — Bac A01 (Comptage en cours)")
    walk.check("emplacement compté")
    keys.type(b)                                # the next location closes this one
    keys.press("Enter")
    wait_banner(page, f"{a} clos.")
    assert plain(page.inner_text("#scan-count-figures")) == "0 compté / 1 attendu"
    walk.check("emplacement suivant")
    keys.type(b)                                # at once again: the scanner's double fire, ignored
    keys.press("Enter")
    wait_banner(page, f"Lecture en double ignorée : {b} vient d'être scanné.")
    assert plain(page.inner_text("#scan-count-place")).endswith(f"{b} — Bac B02 (Comptage en cours)")
    # Beyond the codes typed, one Enter per scan: no other key.
    assert keys.counts[2] == len(burst) + 5 and set(keys.log[2]) == {"Enter"}, keys.log[2]

    seen = banners(page, len(burst) + 5)
    expected = [
        ("ok", f"Inventaire {stocktake.reference} : comptage de {a} (Bac A01)."),
        ("ok", f"{a1} — Dell Latitude 5490 : trouvé ici."),
        ("ok", f"{a2} — Dell Latitude 5490 : trouvé ici."),
        ("warning", f"{elsewhere.asset_tag} — Dell Latitude 5490 : trouvé ici, enregistré dans {b}."),
        ("info", f"{a1} déjà compté dans {a} par technicien à "),
        ("error", f"Code « RK-999999 » inconnu (ni appareil, ni pièce) : noté comme inattendu dans {a}."),
        ("ok", "Barrette 8 Go DDR4 : 1 compté ici (+1)."),
        ("ok", f"{a3} — Dell Latitude 5490 : trouvé ici."),
        ("ok", "Barrette 8 Go DDR4 : 2 comptés ici (+1)."),
        ("ok", "Barrette 8 Go DDR4 : 12 comptés ici (saisie)."),
        ("ok", f"{a} clos. Inventaire {stocktake.reference} : comptage de {b} (Bac B02)."),
        ("info", f"Lecture en double ignorée : {b} vient d'être scanné."),
    ]
    assert len(seen) == len(expected), seen
    for (level, text), (want_level, start) in zip(seen, expected):
        assert level == want_level and text.startswith(start), (level, text, want_level, start)
    assert re.search(r"à \d\d:\d\d : il n'est pas compté une seconde fois\.$", seen[4][1]), seen[4]

    # What was stored: each code once, the repeat flagged, the unknown code, the part's quantity.
    session.expire_all()
    ids = {d.asset_tag: d.id for d in session.execute(select(Device)).scalars()}
    places = read_tally(session, stocktake.id)
    counted = places[shop["bin_a"].id]
    assert counted.found == {ids[a1], ids[a2], ids[a3]} and counted.moved_in == {ids[elsewhere.asset_tag]}
    assert (counted.unknown, counted.repeats, counted.parts) == (["RK-999999"], 1, {ram.id: [12, 12]})
    assert places[shop["bin_b"].id].moved_out == {ids[elsewhere.asset_tag]}
    stored = session.execute(select(Stocktake)).scalar_one()
    assert [place.status for place in stored.locations] == ["closed", "counting"]

    # The result; B closed with its button, then applied through the confirmation step: Enter
    # on its focused button.
    walk.goto(f"/stocktakes/{stocktake.id}", "résultat de l'inventaire")
    with walk.navigation("emplacement clos"):
        page.get_by_role("button", name=f"Clore {b}").click()
    text = plain(page.inner_text("body"))
    assert f"{b} clos : ce qui n'y a pas été compté y manque." in text
    assert re.search(r"Exactitude\s+75 %", text) and "RK-999999" in text     # 3 of the 4 expected at their place
    keys.item = 3
    walk.goto(f"/stocktakes/{stocktake.id}/apply", "confirmation")
    assert "1 événement(s) de déplacement" in plain(page.inner_text("body"))
    assert focused(page) == "" and page.evaluate("document.activeElement.type") == "submit"
    with walk.navigation("inventaire appliqué"):
        keys.press("Enter")
    assert f"Inventaire {stocktake.reference} appliqué : 1 déplacement(s)" in plain(page.inner_text("body"))
    session.expire_all()
    assert session.get(Device, ids[elsewhere.asset_tag]).location_id == shop["bin_a"].id
    assert session.get(SparePart, ram.id).quantity == 12
    walk.finish()


def no_sideways_scrolling(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"défilement horizontal : {width}"


def test_a_blind_count_at_the_station_tells_only_what_was_counted_on_a_tablet(journey, session):
    shop = make_workshop(session)
    a, b = shop["bin_a"].code, shop["bin_b"].code
    here, elsewhere = (make_device(session, shop["collection"].id) for _ in range(2))
    move(session, here.asset_tag, a)
    move(session, elsewhere.asset_tag, b)
    stocktake = open_stocktake(session, site="LAM", blind=True)
    walk = journey("technicien", name="inventaire-a-l-aveugle-tablette", viewport={"width": 800, "height": 1280})
    page, keys = walk.page, walk.keys
    walk.goto("/stocktakes/", "inventaires")
    no_sideways_scrolling(page)
    walk.goto(f"/stocktakes/{stocktake.id}", "inventaire à l'aveugle")
    no_sideways_scrolling(page)
    # « Compter au poste de scan » opens the station in « Inventaire » mode, on its code field.
    with walk.navigation("poste de scan en mode inventaire"):
        page.click("text=Compter au poste de scan")
    assert page.input_value("#scan-station") == "stocktake" and focused(page) == "scan-code"
    for code in (a, here.asset_tag, elsewhere.asset_tag):
        keys.type(code)
        keys.press("Enter")
    wait_banner(page, f"{elsewhere.asset_tag} — Dell Latitude 5490 compté.")
    # Nothing tells what was expected, nor that the second one is recorded elsewhere.
    assert "ok" in page.get_attribute("#scan-banner", "class")
    assert plain(page.inner_text("#scan-count-figures")) == "2 comptés"
    walk.check("comptage à l'aveugle")
    no_sideways_scrolling(page)
    keys.type(a)                                # the location again: closed
    keys.press("Enter")
    wait_banner(page, f"{a} clos.")
    assert plain(page.inner_text("#scan-count-figures")) == "2 comptés / 1 attendu"   # told once closed
    walk.finish()
