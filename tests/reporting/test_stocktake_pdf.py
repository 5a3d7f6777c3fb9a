"""A stocktake's result as a PDF (issue 19), read back with pypdf from stocktakes built through the
services: the title and facts, the figures per location and in total, the lists behind them, the
value of the missing devices in euros, who counted, what applying did, the « Visa » block, a
blind count that hides what is expected, 300 missing devices across pages; never a Python value
or an ISO timestamp."""
from __future__ import annotations

import dataclasses
import io
import re
from datetime import datetime, timedelta, timezone

from pypdf import PdfReader

from core.clock import local_today, to_local
from core.money import euros
from distribution.services.grids import grid_in_effect
from inventory.services.repairs import add_stock
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import close_location, open_stocktake
from inventory.services.transitions import move
from reporting.stocktake_exports import NOT_TOLD
from reporting.stocktake_pdf import render_stocktake
from reporting.stocktakes import stocktake_result
from tests.helpers import advance, make_device, make_workshop, stock_device

NBSP, NNBSP = "\u00a0", "\u202f"
# After the devices' registration (stamped with the real clock), as in the services' tests.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
HYPERLINK = '=HYPERLINK("HTTP://EVIL.EXAMPLE","CLIQUEZ")'
PYTHON_VALUES = re.compile(r"\b(None|True|False|nan)\b|\d{4}-\d\d-\d\d[T ]\d\d:\d\d|'kind'|moved_in|not_on_shelf")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def build_stocktake(session, users, *, apply: bool = False) -> dict:
    """A stocktake of the test workshop's two bins: in A, 3 devices graded A (one counted, two
    missing) and one ungraded (missing, no reference value); B's device counted in A; a recycled
    device counted in A; two unknown codes (one a formula); 12 RAM sticks expected in A, 10
    counted. B is closed, A is closed by scanning it again. ``apply`` applies it."""
    shop = make_workshop(session)
    a, b = shop["bin_a"].code, shop["bin_b"].code
    graded = [stock_device(session, shop, grade="A") for _ in range(3)]
    raw = make_device(session, shop["collection"].id)
    move(session, raw.asset_tag, a)
    in_b = make_device(session, shop["collection"].id)
    move(session, in_b.asset_tag, b)
    gone = make_device(session, shop["collection"].id)
    advance(session, gone, "recycled")
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=a, quantity=12)
    stocktake = open_stocktake(session, site="LAM", user_id=users["admin"], now=T0)
    tech = users["technicien"]
    count(session, a, user_id=tech, now=at(1))
    count(session, graded[0].asset_tag, user_id=tech, now=at(4))
    count(session, in_b.asset_tag, user_id=tech, now=at(7))
    count(session, gone.asset_tag, user_id=tech, now=at(10))
    count(session, HYPERLINK.lower(), user_id=tech, now=at(13))          # stored upper-cased
    count(session, "=1+1", user_id=tech, now=at(16))
    count(session, f"SP-{ram.id:06d}", user_id=tech, quantity=10, now=at(19))
    count(session, a, user_id=tech, now=at(22))                           # closes A
    close_location(session, stocktake.id, b, user_id=users["admin"], now=at(25))
    if apply:
        apply_stocktake(session, stocktake.id, user_id=users["admin"], now=at(60))
    value = grid_in_effect(session, local_today()).devices[("laptop", "A")].reference_value
    return {"shop": shop, "a": a, "b": b, "stocktake": stocktake, "graded": graded, "raw": raw, "in_b": in_b,
            "gone": gone, "ram": ram, "value": value, "result": stocktake_result(session, stocktake.id)}


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, non-breaking spaces as plain spaces, wrapped lines joined."""
    assert pdf.startswith(b"%PDF")
    return [" ".join(page.extract_text().replace(NBSP, " ").replace(NNBSP, " ").split())
            for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


def spaced(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def test_the_pdf_tells_the_stocktake_its_figures_and_the_devices_behind_them(app, session, users):
    built = build_stocktake(session, users)
    result = built["result"]
    pdf = render_stocktake(result)
    reader = PdfReader(io.BytesIO(pdf))
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]          # A4 portrait
    text = text_of(pdf)
    a, b = built["a"], built["b"]

    assert f"Inventaire {result.reference}" in text and "Atelier Test" in text
    opened = to_local(T0).strftime("%d/%m/%Y %H:%M")
    assert f"Ouvert le {opened}, par admin" in text
    assert "Statut En cours" in text and "Terminé le —" in text
    assert "Comptage à l'aveugle Non" in text and "Périmètre Tout le site (2 emplacements)" in text
    # The figures: A expected 5 (3 graded, the raw one, the RAM is a part), found 1, moved in 1,
    # unexpected 3 (recycled + 2 unknown codes), missing 3; B expected 1, moved out 1.
    header = "Emplacement Attendus Trouvés Entrés Sortis Inattendus Manquants Exactitude"
    assert header in text
    closed_a = to_local(at(22)).strftime("%d/%m/%Y %H:%M")
    assert f"{a} Bac A01 Clos le {closed_a} par technicien 4 1 1 0 3 3 25,0 %" in text
    assert f"{b} Bac B02 Clos le {to_local(at(25)).strftime('%d/%m/%Y %H:%M')} par admin 1 0 0 1 0 0 0,0 %" in text
    assert "Total En cours 5 1 1 1 3 3 20,0 %" in text
    assert "Entrés : trouvés ici, enregistrés ailleurs" in text

    assert "Appareils manquants" in text
    value = spaced(euros(built["value"]))
    for device in built["graded"][1:]:
        assert f"{device.asset_tag} Dell Latitude 5490 Ordinateur portable A {a} {value}" in text
    assert f"{built['raw'].asset_tag} Dell Latitude 5490 Ordinateur portable — {a} —" in text
    assert f"Valeur au prix de référence {spaced(euros(2 * built['value']))}" in text
    assert re.search(r"\d,\d\d €", text)
    assert f"Valeurs de la grille de prix {result.grid}." in text
    assert "1 appareil(s) manquant(s) sans valeur de référence" in text

    assert "Appareils trouvés ailleurs" in text and "Emplacement enregistré Emplacement compté" in text
    assert f"{built['in_b'].asset_tag} Dell Latitude 5490 Ordinateur portable — {b} {a}" in text
    assert "Codes inconnus" in text and f"{a} =1+1" in text and "=HYPERLINK" in text
    assert "Appareils qui ne devraient pas être en rayon" in text
    assert f"{built['gone'].asset_tag} Dell Latitude 5490 Ordinateur portable — Recyclé {a}" in text
    assert "Pièces détachées Code Description Emplacement Attendu Compté Écart" in text
    assert f"SP-{built['ram'].id:06d} Barrette 8 Go DDR4 {a} 12 10 -2" in text
    assert "Compté par Codes comptés technicien 6" in text             # scanning A opens and closes it: no code
    assert "Ce que l'application a changé" not in text                  # not applied yet

    assert "Visa Personne ayant compté Responsable" in text
    assert text.count("Nom :") == 2 and text.count("Fonction :") == 2
    assert text.count("Date :") == 2 and text.count("Signature :") == 2
    assert f"Inventaire {result.reference} — Atelier Test Page 1 / " in pages_of(pdf)[0]
    assert not PYTHON_VALUES.search(text), PYTHON_VALUES.search(text)


def test_an_applied_stocktake_tells_what_applying_changed(app, session, users):
    built = build_stocktake(session, users, apply=True)
    text = text_of(render_stocktake(built["result"]))
    ended = to_local(at(60)).strftime("%d/%m/%Y %H:%M")
    assert "Statut Appliqué" in text and f"Appliqué le {ended}, par admin" in text
    assert "Ce que l'application a changé Action Appareil ou pièce De Vers Quantité Motif" in text
    assert f"Déplacé à l'emplacement compté {built['in_b'].asset_tag} {built['b']} {built['a']} — —" in text
    for device in (*built["graded"][1:], built["raw"]):
        assert f"Marqué manquant {device.asset_tag} {built['a']} — — —" in text
    assert f"Quantité de pièces corrigée Barrette 8 Go DDR4 — {built['a']} de 12 à 10 —" in text
    assert "Total Appliqué 5 1 1 1 3 3 20,0 %" in text
    assert not PYTHON_VALUES.search(text), PYTHON_VALUES.search(text)


def build_blind(session, users) -> tuple[dict, object]:
    """A blind stocktake of the two bins: A's one device counted there, A still being counted, B
    (empty) closed."""
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    stocktake = open_stocktake(session, site="LAM", locations=[shop["bin_a"].code, shop["bin_b"].code], blind=True,
                               now=T0)
    count(session, shop["bin_a"].code, user_id=users["technicien"], now=at(1))
    count(session, device.asset_tag, user_id=users["technicien"], now=at(4))
    close_location(session, stocktake.id, shop["bin_b"].code, now=at(8))
    return shop, stocktake_result(session, stocktake.id)


def test_a_blind_count_not_all_closed_hides_what_was_expected(app, session, users):
    shop, result = build_blind(session, users)
    text = text_of(render_stocktake(result))
    assert "Comptage à l'aveugle Oui" in text
    assert f"Périmètre Emplacements choisis : {shop['bin_a'].code} (Bac A01), {shop['bin_b'].code} (Bac B02)" in text
    # A (being counted) hides expected, missing and accuracy; B (closed) shows them; so does not the total.
    hidden = f"{NOT_TOLD} 1 0 0 0 {NOT_TOLD} {NOT_TOLD}"
    assert f"{shop['bin_a'].code} Bac A01 Comptage en cours {hidden}" in text
    assert f"{shop['bin_b'].code} Bac B02 Clos le {to_local(at(8)).strftime('%d/%m/%Y %H:%M')} 0 0 0 0 0 0 —" in text
    assert f"Total En cours {hidden}" in text
    assert f"{NOT_TOLD.capitalize()} : la liste est donnée quand tous les emplacements sont clos." in text
    assert f"Valeur au prix de référence {NOT_TOLD}" in text
    assert "Aucun appareil manquant" not in text
    assert not PYTHON_VALUES.search(text), PYTHON_VALUES.search(text)


def test_three_hundred_missing_devices_run_across_pages_with_their_header(app, session, users):
    """The rendering is a pure function of the result: the real result's missing list is made 300
    lines long (distinct tags) to see the table break across pages."""
    result = build_stocktake(session, users)["result"]
    model = result.missing[0]
    missing = [dataclasses.replace(model, asset_tag=f"RK-9{n:05d}", description=f"Appareil n° {n}")
               for n in range(300)]
    pdf = render_stocktake(dataclasses.replace(result, missing=missing))
    pages = pages_of(pdf)
    assert len(pages) >= 5
    listed = [p for p in pages if re.search(r"RK-9\d{5}", p)]
    assert len(listed) >= 4
    for page in listed:                                                  # the header is repeated
        assert "Étiquette Description Catégorie Note Emplacement attendu Valeur de référence" in page
    text = " ".join(pages)
    assert all(f"RK-9{n:05d} Appareil n° {n} " in text for n in range(300))
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {len(pages)}" in page
    assert "Visa" in pages[-1] and "Signature :" in pages[-1]
