"""« Inventaires » (issue 19) through the pages, as a technician and as Admin: the list and the
opening form, a stocktake's page, counting through the station's API, closing, the confirmation
step, applying, cancelling, the downloads; refusals in French beside their field; the other roles
and anonymous refused."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.views.dashboard import XLSX
from inventory.models import Device, DeviceEvent
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import open_stocktake
from inventory.stocktake.models import Stocktake
from tests.app.test_api_stocktakes import shop  # noqa: F401  (the fixture: three devices in each of two bins)
from tests.app.test_views_inventory import text_of
from tests.conftest import USERS
from tests.e2e.harness import pdf_text, python_values
from tests.helpers import login

WORKSHOP = ("technicien", "admin")
OTHERS = sorted(set(USERS) - set(WORKSHOP))


def content(answer) -> str:
    html = text_of(answer)
    return html[html.index("<h1>"):]


def shown(html: str) -> str:
    """The page's text as a person reads it (tags removed, spaces folded)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").split())


def no_python_values(html: str) -> None:
    text = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    assert python_values(shown(text)) == []


def scan(client, csrf, code, **extra):
    """One scan of the station in « Inventaire » mode, as the page's script sends it."""
    answer = client.post("/api/v1/stocktakes/scan", json={"code": code, **extra}, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200, answer.json
    return answer.json


def opened(session) -> Stocktake:
    session.expire_all()
    return session.execute(select(Stocktake).order_by(Stocktake.id.desc())).scalars().first()


@pytest.mark.parametrize("username", WORKSHOP)
def test_open_count_close_and_apply_through_the_pages(client, session, shop, username):
    csrf = login(client, username)
    a, b = shop["bin_a"].code, shop["bin_b"].code
    listing = client.get("/stocktakes/")
    assert listing.status_code == 200
    page = content(listing)
    assert "Inventaires" in page and "Aucun inventaire pour l'instant." in page
    # A labelled form, keyboard first: the site is its first field.
    assert re.search(r'<label for="site">Site', page) and re.search(r'<select[^>]*id="site"[^>]*autofocus', page)
    assert '<option value="LAM"' in page and "Atelier Test (LAM)" in page
    assert '<label for="locations">' in page and '<label for="note">' in page and 'name="blind" value="1"' in page
    no_python_values(page)

    answer = client.post("/stocktakes/", data={"csrf_token": csrf, "site": "LAM", "locations": "", "note": "Fin d'année"})
    stocktake = opened(session)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/stocktakes/{stocktake.id}")
    page = text_of(client.get(answer.headers["Location"]))          # the flash, then the page
    assert f"Inventaire {stocktake.reference} ouvert : 2 emplacement(s) à compter." in page
    assert shown(page).count("À compter") == 2 and "Fin d'année" in page

    # Counting: the station's API, as its « Inventaire » mode sends each scan.
    assert scan(client, csrf, a)["expected_here"] == 3
    for tag in shop["devices"]["bin_a"][:2] + [shop["devices"]["bin_b"][0]]:
        scan(client, csrf, tag)
    assert scan(client, csrf, "RK-424242")["outcome"] == "unknown"
    assert scan(client, csrf, b)["closed"]["code"] == a                       # the next location closes A
    for tag in shop["devices"]["bin_b"][1:]:
        scan(client, csrf, tag)
    html = content(client.get(f"/stocktakes/{stocktake.id}"))
    page = shown(html)
    assert f"{a} Bac A01 Clos 3 3 2 1 0 1 1 0" in page              # counted, expected, found, in, out, …
    assert f"{b} Bac B02 Comptage en cours 2 3 2 0 1 0 0 0" in page
    assert f'aria-label="Rouvrir {a}"' in html and f'aria-label="Clore {b}"' in html

    # The confirmation step refuses while B is being counted; its button closes it.
    step = content(client.get(f"/stocktakes/{stocktake.id}/apply"))
    assert f"Emplacements pas encore clos : {b}." in shown(step) and 'method="post"' not in step
    refused = client.post(f"/stocktakes/{stocktake.id}/apply", data={"csrf_token": csrf})
    assert refused.status_code == 302
    assert f"Emplacements pas encore clos : {b}" in text_of(client.get(refused.headers["Location"]))
    closed = client.post(f"/stocktakes/{stocktake.id}/locations/{b}/close", data={"csrf_token": csrf})
    assert f"{b} clos" in text_of(client.get(closed.headers["Location"]))

    # Now it says what will be written, computed by the read model, and applies in one click.
    step = content(client.get(f"/stocktakes/{stocktake.id}/apply"))
    text = shown(step)
    for line in ("1 événement(s) de déplacement", "1 appareil(s) marqué(s) manquant(s)", "0 correction(s) de pièces",
                 "0 conflit(s) prévu(s)"):
        assert line in text, line
    moved_tag = shop["devices"]["bin_b"][0]
    assert f"{moved_tag} {b} {a}" in text and shop["devices"]["bin_a"][2] in text
    assert f'action="/stocktakes/{stocktake.id}/apply"' in step
    no_python_values(step)
    events = session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one()
    done = client.post(f"/stocktakes/{stocktake.id}/apply", data={"csrf_token": csrf})
    page = text_of(client.get(done.headers["Location"]))
    assert (f"Inventaire {stocktake.reference} appliqué : 1 déplacement(s), 1 appareil(s) marqué(s) manquant(s), "
            "0 correction(s) de pièces, 0 appareil(s) retrouvé(s), 0 conflit(s) laissé(s) tel(s) quel(s).") in page
    text = shown(page)
    assert "Appliqué" in text and "Ce qu'a fait l'application" in text
    assert f"Déplacé à l'emplacement compté {moved_tag} {b} {a}" in text
    assert f"Marqué manquant {shop['devices']['bin_a'][2]} {a}" in text
    assert f"{username} : 6 code(s) scanné(s)" in text and "Exactitude 66,7 %" in text
    no_python_values(page)
    session.expire_all()
    assert session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one() == events + 1
    assert session.execute(select(Device.location_id).where(Device.asset_tag == moved_tag)).scalar_one() == \
        shop["bin_a"].id
    assert session.execute(select(Device.missing_since).where(
        Device.asset_tag == shop["devices"]["bin_a"][2])).scalar_one() is not None

    # Applied: no more buttons to count, close or apply; the list shows its accuracy.
    assert "Appliquer…" not in page and "Clore" not in text and 'name="reason"' not in page
    again = client.get(f"/stocktakes/{stocktake.id}/apply")
    assert again.status_code == 302
    assert "est appliqué : il n'y a rien à appliquer." in text_of(client.get(again.headers["Location"]))
    row = shown(content(client.get("/stocktakes/")))
    assert re.search(rf"{stocktake.reference} Atelier Test Appliqué \d\d/\d\d/\d{{4}} \d\d:\d\d par {username} "
                     rf"\d\d/\d\d/\d{{4}} \d\d:\d\d par {username} 66,7 %", row), row


def test_a_blind_count_hides_what_was_expected_until_the_location_is_closed(client, session, shop):
    csrf = login(client, "technicien")
    a = shop["bin_a"].code
    client.post("/stocktakes/", data={"csrf_token": csrf, "site": "LAM", "locations": a, "blind": "1"})
    stocktake = opened(session)
    assert stocktake.blind and not stocktake.whole_site
    answer = scan(client, csrf, a)
    assert answer["expected_here"] is None
    scan(client, csrf, shop["devices"]["bin_a"][0])
    page = content(client.get(f"/stocktakes/{stocktake.id}"))
    text = shown(page)
    assert f"{a} Bac A01 Comptage en cours 1 masqué 1 0 0 0 masqué 0" in text
    assert "Total 1 masqué" in text and "Exactitude masqué" in text
    assert "Masquée tant que tous les emplacements de ce comptage à l'aveugle ne sont pas clos." in text
    assert shop["devices"]["bin_a"][1] not in text                   # the missing ones are not listed
    no_python_values(page)
    client.post(f"/stocktakes/{stocktake.id}/locations/{a}/close", data={"csrf_token": csrf})
    text = shown(content(client.get(f"/stocktakes/{stocktake.id}")))
    assert f"{a} Bac A01 Clos 1 3 1 0 0 0 2 0" in text and shop["devices"]["bin_a"][1] in text
    # Reopened, it is hidden again until it is closed.
    client.post(f"/stocktakes/{stocktake.id}/locations/{a}/reopen", data={"csrf_token": csrf})
    text = shown(content(client.get(f"/stocktakes/{stocktake.id}")))
    assert f"{a} Bac A01 Comptage en cours 1 masqué" in text


def test_refused_forms_come_back_with_the_field_named_and_what_was_typed(client, session, shop):
    csrf = login(client, "technicien")
    answer = client.post("/stocktakes/", data={"csrf_token": csrf, "site": "", "locations": "", "note": "Palette"})
    assert answer.status_code == 422
    page = content(answer)
    assert re.search(r'id="site-error">Site obligatoire', page) and 'value="Palette"' in page
    answer = client.post("/stocktakes/", data={"csrf_token": csrf, "site": "LAM", "locations": "LOC-NOPE\nLOC-LAM-A01"})
    page = content(answer)
    assert answer.status_code == 422 and "Emplacements refusés : LOC-NOPE inconnu." in page
    assert re.search(r'<textarea[^>]*aria-invalid="true" autofocus>LOC-NOPE\nLOC-LAM-A01</textarea>', page)
    assert re.search(r'<option value="LAM" selected>', page)
    assert session.execute(select(func.count()).select_from(Stocktake)).scalar_one() == 0

    first = open_stocktake(session, site="LAM", locations=[shop["bin_a"].code])
    busy = client.post("/stocktakes/", data={"csrf_token": csrf, "site": "LAM"})
    assert busy.status_code == 409
    assert f"Déjà dans un inventaire en cours : {shop['bin_a'].code} (inventaire {first.reference})" in text_of(busy)
    assert client.get("/stocktakes/999999").status_code == 404
    assert client.post(f"/stocktakes/{first.id}/locations/LOC-NOPE/close", data={"csrf_token": csrf}).status_code == 404

    # Cancelling needs a reason; then nothing of it can be counted or applied.
    refused = client.post(f"/stocktakes/{first.id}/cancel", data={"csrf_token": csrf, "reason": "  "})
    assert refused.status_code == 422
    assert re.search(r'id="reason-error">Motif obligatoire : dites pourquoi', content(refused))
    done = client.post(f"/stocktakes/{first.id}/cancel", data={"csrf_token": csrf, "reason": "Erreur de périmètre"})
    page = shown(text_of(client.get(done.headers["Location"])))
    assert f"Inventaire {first.reference} annulé" in page and "Annulé" in page and "Erreur de périmètre" in page
    closing = client.post(f"/stocktakes/{first.id}/locations/{shop['bin_a'].code}/close", data={"csrf_token": csrf})
    assert "est annulé : plus rien ne s'y compte." in text_of(client.get(closing.headers["Location"]))


@pytest.mark.parametrize("username", OTHERS + [None])
def test_the_other_roles_and_anonymous_are_refused(client, session, shop, username):
    stocktake = open_stocktake(session, site="LAM")
    csrf = login(client, username) if username else None
    pages = ["/stocktakes/", f"/stocktakes/{stocktake.id}", f"/stocktakes/{stocktake.id}/apply",
             f"/stocktakes/{stocktake.id}/result.csv"]
    posts = ["/stocktakes/", f"/stocktakes/{stocktake.id}/apply", f"/stocktakes/{stocktake.id}/cancel",
             f"/stocktakes/{stocktake.id}/locations/{shop['bin_a'].code}/close"]
    for url in pages:
        answer = client.get(url)
        if username:
            assert answer.status_code == 403, url
        else:
            assert answer.status_code == 302 and "/login/" in answer.headers["Location"], url
    for url in posts:
        answer = client.post(url, data={"csrf_token": csrf or "", "site": "LAM", "reason": "Essai"})
        assert answer.status_code in ((403,) if username else (302, 400)), url
    session.expire_all()
    assert session.get(Stocktake, stocktake.id).status == "open"
    assert session.execute(select(func.count()).select_from(Stocktake)).scalar_one() == 1


@pytest.mark.parametrize("username", WORKSHOP)
def test_the_downloads(client, session, shop, users, username):
    login(client, username)
    stocktake = open_stocktake(session, site="LAM", user_id=users[username])
    count(session, shop["bin_a"].code, user_id=users[username])
    count(session, shop["devices"]["bin_a"][0], user_id=users[username])
    for fmt, kind in (("pdf", "application/pdf"), ("csv", "text/csv"), ("xlsx", XLSX)):
        answer = client.get(f"/stocktakes/{stocktake.id}/result.{fmt}")
        assert answer.status_code == 200 and answer.mimetype == kind, fmt
        assert answer.headers["Content-Disposition"] == f'attachment; filename="inventaire-{stocktake.reference}.{fmt}"'
    assert stocktake.reference in pdf_text(client.get(f"/stocktakes/{stocktake.id}/result.pdf").data)
    assert client.get(f"/stocktakes/{stocktake.id}/result.txt").status_code == 404
