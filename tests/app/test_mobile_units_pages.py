"""The « Unités mobiles » page and /api/v1/mobile-units (issue 20, step 5): Admin only; add, rename
and retire a unit through the forms (CSRF, labelled fields, a refusal back beside its field in
French with what was typed), the tour that has a unit out and its invoice series shown, dates in
Martinique time and no Python value; the API's statuses. Both engines."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import func, select

from core.clock import to_local
from distribution.services.mobile_units import create_unit
from distribution.tour.models import MobileTour, MobileUnit
from tests.distribution.test_mobile_units import _unit_invoices
from tests.helpers import actor, bearer, login, make_workshop

PAGE = "/mobile-units/"
API = "/api/v1/mobile-units"
FORBIDDEN = "Accès refusé : votre rôle ne permet pas cette action."
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def text(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def units(session) -> list[tuple[str, str, bool]]:
    session.expire_all()
    return [tuple(r) for r in session.execute(select(MobileUnit.code, MobileUnit.name, MobileUnit.active)
                                              .order_by(MobileUnit.id))]


def tour_out(app, session, unit: MobileUnit) -> MobileTour:
    """A tour row as the download writes it (only what the table requires)."""
    tour = MobileTour(reference="TRN-2026-0041", mobile_unit_id=unit.id,
                      holder_id=app.appbuilder.sm.find_user("technicien").id, device_key=str(uuid.uuid4()),
                      tour_date=date(2026, 12, 9), status="out", downloaded_at=NOW - timedelta(hours=2),
                      valid_until=NOW + timedelta(hours=22), snapshot={}, snapshot_sha256="0" * 64)
    session.add(tour)
    session.commit()
    return tour


def assert_shown_in_french(html: str) -> None:
    body = html[html.index("<h1>"):]
    for python in ("None", "True", "False", "[]", "{}"):
        assert f">{python}<" not in body and f" {python} " not in body, python
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", body), "an ISO timestamp on the page"


# --- the page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["technicien", "animateur", "agent.cacem", "partenaire"])
def test_only_admin_opens_the_page_and_posts_its_forms(app, client, session, username):
    unit = create_unit(session, actor(app, "admin"), name="Camion Nord")
    token = login(client, username)
    answer = client.get(PAGE)
    assert answer.status_code == 403 and "Accès refusé" in text(answer)
    for url, form in [(PAGE, {"name": "Camion Sud"}), (f"{PAGE}{unit.id}/rename", {"name": "Autre"}),
                      (f"{PAGE}{unit.id}/retire", {"reason": "vol", "confirm": "1"})]:
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 403, url
    assert units(session) == [("M1", "Camion Nord", True)]


def test_the_page_lists_the_units_with_a_labelled_form_in_each_csrf_protected(app, client, session):
    create_unit(session, actor(app, "admin"), name="Camion Nord")
    login(client, "admin")
    answer = client.get(PAGE)
    assert answer.status_code == 200
    html = text(answer)
    assert "M1" in html and "Camion Nord" in html and "Active" in html
    forms = re.findall(r"<form[^>]*method=\"post\"[\s\S]*?</form>", html[html.index("<h1>"):])
    assert len(forms) == 3                      # add; rename and retire M1
    assert all('name="csrf_token"' in form for form in forms)
    assert '<label for="name">' in html and 'id="name" name="name"' in html
    unit_id = units_overview_id(session)
    for field in (f"name-{unit_id}", f"reason-{unit_id}", f"confirm-{unit_id}"):
        assert f'id="{field}"' in html, field
    assert f'<label for="name-{unit_id}">' in html and f'<label for="reason-{unit_id}">' in html
    assert_shown_in_french(html)


def units_overview_id(session) -> int:
    return session.execute(select(func.min(MobileUnit.id))).scalar_one()


def test_adding_renaming_and_retiring_through_the_forms(app, client, session):
    token = login(client, "admin")
    answer = client.post(PAGE, data={"name": "  Camion Nord ", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(PAGE)
    page = text(client.get(PAGE))
    assert "M1" in page and "Camion Nord" in page and "F-M1" in page      # the flash names the series
    client.post(PAGE, data={"name": "Portable Sud", "csrf_token": token})
    assert units(session) == [("M1", "Camion Nord", True), ("M2", "Portable Sud", True)]
    north, south = session.execute(select(MobileUnit.id).order_by(MobileUnit.id)).scalars().all()

    # Refused: back with the French message beside the field, what was typed, the focus on it.
    refused = client.post(PAGE, data={"name": "camion nord", "csrf_token": token})
    assert refused.status_code == 422
    html = text(refused)
    assert ("Nom de l'unité : « Camion Nord » est déjà le nom de l'unité active M1 ; choisissez-en un autre."
            in html)
    assert re.search(r'id="name" name="name"[^>]*value="camion nord"[^>]*aria-invalid="true"[^>]*autofocus', html)
    assert 'id="name-error"' in html
    empty = client.post(PAGE, data={"name": "   ", "csrf_token": token})
    assert empty.status_code == 422 and "Nom de l'unité : obligatoire (par exemple « Camion Nord »)." in text(empty)

    answer = client.post(f"{PAGE}{north}/rename", data={"name": "Camion du Nord", "csrf_token": token})
    assert answer.status_code == 302
    assert "Camion du Nord" in text(client.get(PAGE))
    refused = client.post(f"{PAGE}{north}/rename", data={"name": "PORTABLE SUD", "csrf_token": token})
    assert refused.status_code == 422
    html = text(refused)
    assert "est déjà le nom de l'unité active M2" in html and f'id="name-{north}-error"' in html
    assert re.search(rf'<details class="rk-unit" id="manage-{north}" open>', html)
    assert re.search(rf'id="name-{north}"[^>]*value="PORTABLE SUD"[^>]*aria-invalid="true"', html)

    # Retiring needs the confirmation, then a reason.
    unconfirmed = client.post(f"{PAGE}{south}/retire", data={"reason": "Portable volé", "csrf_token": token})
    assert unconfirmed.status_code == 422
    html = text(unconfirmed)
    assert f'id="confirm-{south}-error"' in html and re.search(rf'id="reason-{south}"[^>]*value="Portable volé"', html)
    no_reason = client.post(f"{PAGE}{south}/retire", data={"reason": " ", "confirm": "1", "csrf_token": token})
    assert no_reason.status_code == 422
    assert "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)." in text(no_reason)
    assert units(session)[1] == ("M2", "Portable Sud", True)

    answer = client.post(f"{PAGE}{south}/retire", data={"reason": "Portable volé", "confirm": "1",
                                                        "csrf_token": token})
    assert answer.status_code == 302
    assert units(session) == [("M1", "Camion du Nord", True), ("M2", "Portable Sud", False)]
    retired = session.get(MobileUnit, south)
    assert retired.closed_series == {} and retired.retired_reason == "Portable volé"
    html = text(client.get(PAGE))
    assert "Retirée" in html and "Portable volé" in html and "Admin Test" in html
    assert to_local(retired.retired_at).strftime("%d/%m/%Y %H:%M") in html
    assert f'id="manage-{south}"' not in html                 # a retired unit has no form any more
    assert_shown_in_french(html)

    # What the unit's state refuses is said above the list.
    answer = client.post(f"{PAGE}{south}/rename", data={"name": "Autre", "csrf_token": token}, follow_redirects=True)
    assert "L'unité M2 est retirée depuis le" in text(answer) and "son nom ne change plus." in text(answer)
    answer = client.post(f"{PAGE}{south}/retire", data={"reason": "x", "confirm": "1", "csrf_token": token},
                         follow_redirects=True)
    assert "L'unité M2 est déjà retirée depuis le" in text(answer)
    for url in (f"{PAGE}999999/rename", f"{PAGE}999999/retire"):
        assert client.post(url, data={"name": "x", "reason": "x", "confirm": "1", "csrf_token": token}).status_code == 404


def test_a_unit_out_on_a_tour_shows_it_and_cannot_be_retired(app, client, session):
    unit = create_unit(session, actor(app, "admin"), name="Camion Nord")
    tour_out(app, session, unit)
    token = login(client, "admin")
    html = text(client.get(PAGE))
    assert "En tournée" in html and "TRN-2026-0041" in html and "Technicien Test" in html and "09/12/2026" in html
    assert f'id="reason-{unit.id}"' not in html and f'id="name-{unit.id}"' in html   # renamed, not retired
    assert to_local(NOW - timedelta(hours=2)).strftime("%d/%m/%Y %H:%M") in html
    assert_shown_in_french(html)
    answer = client.post(f"{PAGE}{unit.id}/retire", data={"reason": "Remplacé", "confirm": "1", "csrf_token": token},
                         follow_redirects=True)
    assert ("La série F-M1 est sortie avec la tournée TRN-2026-0041 du 09/12/2026 (Technicien Test) : attendez "
            "son retour et l'envoi de ses enregistrements, ou déclarez l'appareil perdu, avant de retirer l'unité."
            in text(answer))
    assert units(session) == [("M1", "Camion Nord", True)]


def test_the_page_shows_each_unit_s_last_invoice_of_each_year(app, client, session, monkeypatch):
    admin = actor(app, "admin")
    north = create_unit(session, admin, name="Camion Nord")
    south = create_unit(session, admin, name="Portable Sud")
    _unit_invoices(app, session, make_workshop(session), monkeypatch,
                   [(north, "F-M1-2026-00001"), (north, "F-M1-2026-00002"), (south, "F-M2-2026-00001")])
    token = login(client, "admin")
    html = text(client.get(PAGE))
    row = html[html.index(f'id="unit-{north.id}"'):]
    row = row[:row.index("</tr>")]
    assert "F-M1-2026-00002" in row and "F-M1-2026-00001" not in row and "(2 " in row
    client.post(f"{PAGE}{north.id}/retire", data={"reason": "Remplacé", "confirm": "1", "csrf_token": token})
    assert session.get(MobileUnit, north.id).closed_series == {"2026": 2}
    html = text(client.get(PAGE))
    row = html[html.index(f'id="unit-{north.id}"'):]
    assert "F-M1-2026-00002" in row[:row.index("</tr>")]
    assert_shown_in_french(html)


# --- the API ----------------------------------------------------------------------------------

def test_the_api_lists_creates_and_retires(app, client, session):
    admin = bearer(client, "admin")
    assert client.get(API, headers=admin).json == {"result": [], "count": 0}
    created = client.post(API, json={"name": " Camion Nord "}, headers=admin)
    assert created.status_code == 201
    body = created.json["result"]
    assert (body["code"], body["name"], body["state"], body["state_label"], body["series_prefix"]) == (
        "M1", "Camion Nord", "active", "Active", "F-M1")
    assert body["invoice_count"] == 0 and body["series"] == [] and body["tour"] is None
    listed = client.get(API, headers=admin).json
    assert listed["count"] == 1 and listed["result"][0]["id"] == body["id"]

    retired = client.post(f"{API}/{body['id']}/retire", json={"reason": "Remplacé"}, headers=admin)
    assert retired.status_code == 200
    result = retired.json["result"]
    assert (result["active"], result["state"], result["state_label"]) == (False, "retired", "Retirée")
    assert result["retired_reason"] == "Remplacé" and result["retired_by"] == "Admin Test"
    assert result["closed_series"] == {} and result["closed_numbers"] == []
    assert result["retired_at"].endswith("+00:00")
    again = client.post(f"{API}/{body['id']}/retire", json={"reason": "Remplacé"}, headers=admin)
    assert again.status_code == 409 and again.json["message"].startswith("L'unité M1 est déjà retirée depuis le ")


def test_the_api_refusals(app, client, session):
    admin = bearer(client, "admin")
    unit = create_unit(session, actor(app, "admin"), name="Camion Nord")
    cases = [
        (API, {}, 422, {"name": ["Champ obligatoire."]}),
        (API, {"name": ""}, 422, {"name": ["Nom de l'unité : obligatoire (par exemple « Camion Nord »)."]}),
        (API, {"name": 12}, 422, {"name": ["Texte attendu."]}),
        (API, {"name": "x" * 101}, 422, {"name": ["Nom de l'unité : 100 caractères au plus (101 saisis)."]}),
        (API, {"name": "Sud", "code": "M7"}, 422, {"code": ["Champ inconnu."]}),
        (API, {"name": "CAMION NORD"}, 422, {"name": [
            "Nom de l'unité : « Camion Nord » est déjà le nom de l'unité active M1 ; choisissez-en un autre."]}),
        (f"{API}/{unit.id}/retire", {}, 422, {"reason": ["Champ obligatoire."]}),
        (f"{API}/{unit.id}/retire", {"reason": "  "}, 422, {"reason": [
            "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)."]}),
        (f"{API}/999999/retire", {"reason": "vol"}, 404, None),
    ]
    for url, body, status, errors in cases:
        answer = client.post(url, json=body, headers=admin)
        assert answer.status_code == status, (url, body, answer.json)
        if errors is not None:
            assert answer.json["errors"] == errors, body
        else:
            assert answer.json == {"message": "Unité mobile introuvable."}
    assert "nom de l'unité (name)" in client.post(API, json={}, headers=admin).json["message"]
    not_json = client.post(API, data="name=Sud", headers=admin)
    assert not_json.status_code == 400 and "Corps JSON attendu" in not_json.json["message"]
    tour_out(app, session, unit)
    out = client.post(f"{API}/{unit.id}/retire", json={"reason": "vol"}, headers=admin)
    assert out.status_code == 409 and out.json["message"].startswith(
        "La série F-M1 est sortie avec la tournée TRN-2026-0041 du 09/12/2026 (Technicien Test)")
    listed = client.get(API, headers=admin).json["result"][0]
    assert listed["state"] == "out" and listed["tour"]["reference"] == "TRN-2026-0041"
    assert listed["tour"]["holder"] == "Technicien Test" and listed["tour"]["tour_date"] == "2026-12-09"
    assert units(session) == [("M1", "Camion Nord", True)]


@pytest.mark.parametrize("username", ["technicien", "animateur", "agent.cacem", "prescripteur", "partenaire"])
def test_the_api_is_admin_s_alone(app, client, session, username):
    unit = create_unit(session, actor(app, "admin"), name="Camion Nord")
    headers = bearer(client, username)
    for method, url, body in [("GET", API, None), ("POST", API, {"name": "Sud"}),
                              ("POST", f"{API}/{unit.id}/retire", {"reason": "vol"})]:
        answer = client.open(url, method=method, json=body, headers=headers)
        assert answer.status_code == 403 and answer.json == {"message": FORBIDDEN}, (method, url)
        assert client.open(url, method=method, json=body).status_code == 401
    assert units(session) == [("M1", "Camion Nord", True)]


def test_a_browser_session_needs_the_csrf_header(app, client, session):
    token = login(client, "admin")
    refused = client.post(API, json={"name": "Camion Nord"})
    assert refused.status_code == 400 and "Jeton CSRF" in refused.json["message"]
    assert units(session) == []
    assert client.post(API, json={"name": "Camion Nord"}, headers={"X-CSRFToken": token}).status_code == 201


def test_the_api_is_described(client, session):
    spec = client.get("/api/v1/_openapi", headers=bearer(client, "admin")).json
    paths = spec["paths"]
    assert set(paths[API]) >= {"get", "post"}
    retire = paths[API + "/{unit_id}/retire"]["post"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(retire["responses"])
    assert {"400", "401", "403", "409", "422"} <= set(paths[API]["post"]["responses"])
    assert {"MobileUnitIn", "RetireUnitIn"} <= set(spec["components"]["schemas"])


def test_the_page_reads_in_the_same_statements_for_more_units(app, client, session):
    """Each unit's series, tour and retirement are read for all units at once, never per row."""
    from distribution.services.mobile_units import retire_unit
    from tests.app.test_list_statements import statements_of

    admin = actor(app, "admin")
    made = iter(range(1, 100))

    def build(n: int) -> None:
        for _ in range(n):
            unit = create_unit(session, admin, name=f"Unité {next(made)}")
        retire_unit(session, admin, unit.id, reason="Remplacée")

    first = create_unit(session, admin, name="Camion Nord")
    tour_out(app, session, first)
    build(2)
    login(client, "admin")
    client.get(PAGE)
    few, page = statements_of(client, PAGE)
    rows_few = len(re.findall(r'<tr id="unit-\d+"', page))
    build(3)
    many, page = statements_of(client, PAGE)
    rows_many = len(re.findall(r'<tr id="unit-\d+"', page))
    assert (rows_few, rows_many) == (3, 6)
    assert few == many, f"{few} statements for {rows_few} units, {many} for {rows_many}"
