"""The office's « Tournées » pages and API (issue 20): the list of tours and a tour's page for the
workshop (Technicien, Admin), 403 for every other role; settling a record in conflict or refused
through its form (« Appliquer » / « Classer », CSRF, the services' French refusals flashed); the
lost-device declaration, Admin only, with its reason and confirmation; GET /api/v1/tours and POST
/api/v1/tours/<id>/lost with their statuses. Both engines."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from core.clock import to_local, utcnow
from distribution.models import Invoice
from distribution.services.invoicing import issue_credit_note
from distribution.services.mobile_units import create_unit
from distribution.services.reservations import release
from distribution.services.tour_sync import apply_batch
from distribution.services.tours import Programme, download_tour
from distribution.tour.models import MobileTour, MobileUnit, TourAction
from distribution.tour.offline import OfflineDevice
from tests.distribution.tours import MACOUBA, reserved_in_macouba, take_out
from tests.helpers import actor, bearer, login, make_session, make_workshop, settings_for

LIST = "/distribution/tours/"
API = "/api/v1/tours"
KEY = str(uuid.uuid4())
FORBIDDEN = "Accès refusé : votre rôle ne permet pas cette action."
OTHERS = ["animateur", "agent.cacem", "prescripteur", "partenaire"]


def text(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def flashes(html: str) -> list[str]:
    """The flashed messages of a page, as text."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).replace("×", "").strip()
            for m in re.findall(r'<div class="alert alert-[a-z]+[^"]*"[^>]*>([\s\S]*?)</div>', html)]


def row(html: str, element_id: str) -> str:
    part = html[html.index(f'id="{element_id}"'):]
    return part[:part.index("</tr>")]


def assert_shown_in_french(html: str) -> None:
    body = html[html.index("<h1>"):]
    for python in ("None", "True", "False", "[]", "{}"):
        assert f">{python}<" not in body and f" {python} " not in body, python
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", body), "an ISO timestamp on the page"
    for key in ("conflict", "refused", "applied", "resolved", "dismissed", "handover", "attendance", "walk_in",
                "out", "lost", "closed"):
        assert f">{key}<" not in body and f"> {key} <" not in body, key


@pytest.fixture
def tour(app, session):
    """Unit M1 « Camion Nord » out on tour at Macouba with two devices; the device sent three
    records: a handover applied (F-M1-…-00001), a handover whose reservation was released
    meanwhile (a conflict, its invoice F-M1-…-00002 registered), and an attendance of an unknown
    booking (refused)."""
    shop = make_workshop(session)
    create_unit(session, actor(app, "admin"), name="Camion Nord")
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop",
                            venue_name="Bourg de Macouba")
    first = reserved_in_macouba(app, session, shop, "Premier", "0696 20 20 21")
    second = reserved_in_macouba(app, session, shop, "Second", "0696 20 20 22")
    out = take_out(app, session, workshop, key=KEY)
    van = OfflineDevice(out.snapshot)
    now = utcnow()
    batch = [van.handover(first.id, now - timedelta(minutes=30)),
             van.handover(second.id, now - timedelta(minutes=20)),
             van.action("attendance", {"booking_id": 999999, "attended": True}, now - timedelta(minutes=10))]
    release(session, actor(app, "admin"), second.id, reason="Foyer injoignable")
    results = apply_batch(session, actor(app, "technicien"), out.id,
                          {"device_key": KEY, "format": 1, "actions": batch})["results"]
    assert [r["outcome"] for r in results] == ["applied", "conflict", "refused"], results
    return {"tour": out, "workshop": workshop, "first": first, "second": second, "batch": batch}


def outcome(session, key: str) -> tuple:
    session.expire_all()
    action = session.execute(select(TourAction).where(TourAction.client_key == key)).scalar_one()
    return action.outcome, action.resolution_note


def tour_page(tour) -> str:
    return f"{LIST}{tour.id}"


# --- who sees the pages ---------------------------------------------------------------------------

@pytest.mark.parametrize("username", OTHERS)
def test_other_roles_neither_see_nor_post(app, client, session, tour, username):
    out, batch = tour["tour"], tour["batch"]
    token = login(client, username)
    for url in (LIST, f"{LIST}?open=1", tour_page(out)):
        answer = client.get(url)
        assert answer.status_code == 403 and "Accès refusé" in text(answer), url
    for url, form in [(f"{tour_page(out)}/actions/{batch[1]['key']}/resolve", {"decision": "apply"}),
                      (f"{tour_page(out)}/lost", {"reason": "Tablette volée", "confirm": "1"})]:
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 403, url
    assert outcome(session, batch[1]["key"]) == ("conflict", None)
    assert session.get(MobileTour, out.id).status == "out"


@pytest.mark.parametrize("username", ["technicien", "admin"])
def test_the_list_shows_each_tour_with_what_it_sent_back(app, client, session, tour, username):
    out, workshop = tour["tour"], tour["workshop"]
    quiet = download_tour(session, actor(app, "animateur"), tour_date=out.tour_date, session_ids=[workshop.id],
                          device_key=str(uuid.uuid4()), settings=settings_for(app),
                          programme=Programme("Rekonekt", None), now=utcnow() - timedelta(minutes=5))
    login(client, username)
    answer = client.get(LIST)
    assert answer.status_code == 200
    html = text(answer)
    line = row(html, f"tour-{out.id}")
    assert out.reference in line and f'href="{LIST}{out.id}"' in line
    assert out.tour_date.strftime("%d/%m/%Y") in line and "M1 — Camion Nord" in line
    assert "Technicien Test" in line and "En tournée" in line
    assert re.search(r"<td>3</td>\s*<td><strong>2</strong></td>", line), line
    assert html.index(f'id="tour-{quiet.id}"') < html.index(f'id="tour-{out.id}"')     # the latest first
    assert "Animateur Test" in row(html, f"tour-{quiet.id}")
    assert_shown_in_french(html)

    filtered = text(client.get(f"{LIST}?open=1"))
    assert f'id="tour-{out.id}"' in filtered and f'id="tour-{quiet.id}"' not in filtered
    assert re.search(r'id="open" name="open" value="1" checked', filtered)


@pytest.mark.parametrize("username", ["technicien", "admin"])
def test_a_tour_s_page_shows_what_it_carried_invoiced_and_sent_back(app, client, session, tour, username):
    out, first, second, batch = tour["tour"], tour["first"], tour["second"], tour["batch"]
    login(client, username)
    answer = client.get(tour_page(out))
    assert answer.status_code == 200
    html = text(answer)
    assert out.reference in html and "Bourg de Macouba" in html and "Macouba" in html
    for reservation in (first, second):
        assert reservation.device.asset_tag in html
    assert "Rose Premier" in html or "Premier" in html
    year = to_local(utcnow()).year
    for number in (f"F-M1-{year}-00001", f"F-M1-{year}-00002"):
        assert f'<a href="/distribution/invoices/{number}">{number}</a>' in html
    records = [row(html, f"record-{n}") for n in (1, 2, 3)]
    assert "Remise d'appareil" in records[0] and "Enregistré" in records[0]
    assert "À régulariser" in records[1] and "Foyer injoignable" in records[1]
    assert "Si le foyer a bien l'appareil : Appliquer la remise." in records[1]
    assert "Présence" in records[2] and "Refusé" in records[2] and "Inscription n° 999999 introuvable." in records[2]
    assert html.index('id="record-1"') < html.index('id="record-2"') < html.index('id="record-3"')
    forms = re.findall(r'<form method="post"[^>]*action="([^"]+)"[\s\S]*?</form>', html)
    resolve = [url for url in forms if url.endswith("/resolve")]
    expected = [f"{tour_page(out)}/actions/{batch[1]['key']}/resolve"]
    if username == "admin":              # a refused record is settled by Admin alone
        expected.append(f"{tour_page(out)}/actions/{batch[2]['key']}/resolve")
    assert resolve == expected
    assert (f"{tour_page(out)}/lost" in forms) == (username == "admin")
    for form in re.findall(r'<form method="post"[\s\S]*?</form>', html):
        assert 'name="csrf_token"' in form
    assert 'name="decision" value="apply"' in html and 'name="decision" value="dismiss"' in html
    assert '<label for="note-2">' in html
    assert "income" not in html.lower() and "revenu" not in html.lower()
    assert_shown_in_french(html)
    assert client.get(f"{LIST}999999").status_code == 404


# --- settling records through the forms ------------------------------------------------------------

def test_applying_a_conflict_through_the_form(app, client, session, tour):
    out, second, batch = tour["tour"], tour["second"], tour["batch"]
    token = login(client, "technicien")
    url = f"{tour_page(out)}/actions/{batch[1]['key']}/resolve"
    answer = client.post(url, data={"decision": "apply", "note": " Remis sur place ", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{tour_page(out)}#record-2")
    assert outcome(session, batch[1]["key"]) == ("resolved", "Remis sur place")
    assert session.get(type(second), second.id).status == "handed_over"
    html = text(client.get(tour_page(out)))
    [message] = flashes(html)
    assert "2" in message and "« Régularisé »" in message
    record = row(html, "record-2")
    assert "Régularisé" in record and "Technicien Test" in record and "Remis sur place" in record
    assert f"{tour_page(out)}/actions/{batch[1]['key']}/resolve" not in html
    assert_shown_in_french(html)

    again = client.post(url, data={"decision": "apply", "csrf_token": token}, follow_redirects=True)
    assert flashes(text(again)) == ["Cet enregistrement est déjà régularisé."]


def test_filing_a_conflict_needs_a_credit_note_first(app, client, session, tour):
    out, batch = tour["tour"], tour["batch"]
    token = login(client, "technicien")
    url = f"{tour_page(out)}/actions/{batch[1]['key']}/resolve"
    number = session.execute(select(Invoice.number).where(Invoice.unit_position == 2)).scalar_one()
    refused = client.post(url, data={"decision": "dismiss", "csrf_token": token}, follow_redirects=True)
    assert flashes(text(refused)) == [
        f"Émettez d'abord un avoir sur la facture {number} (l'appareil n'a pas été remis), puis classez "
        "l'enregistrement."]
    assert outcome(session, batch[1]["key"]) == ("conflict", None)

    issue_credit_note(session, actor(app, "technicien"), number, reason="Appareil non remis")
    answer = client.post(url, data={"decision": "dismiss", "note": "Avoir émis", "csrf_token": token})
    assert answer.status_code == 302
    assert outcome(session, batch[1]["key"]) == ("dismissed", "Avoir émis")
    html = text(client.get(tour_page(out)))
    assert "« Classé »" in flashes(html)[0] and "Classé" in row(html, "record-2")


def test_a_refused_record_is_settled_by_admin_alone(app, client, session, tour):
    out, batch = tour["tour"], tour["batch"]
    url = f"{tour_page(out)}/actions/{batch[2]['key']}/resolve"
    token = login(client, "technicien")
    answer = client.post(url, data={"decision": "dismiss", "csrf_token": token}, follow_redirects=True)
    assert flashes(text(answer)) == ["Seul l'administrateur régularise un enregistrement refusé."]
    assert outcome(session, batch[2]["key"]) == ("refused", None)

    client = app.test_client()
    token = login(client, "admin")
    wrong = client.post(url, data={"decision": "erase", "csrf_token": token}, follow_redirects=True)
    assert "Décision" in flashes(text(wrong))[0]
    assert outcome(session, batch[2]["key"]) == ("refused", None)
    answer = client.post(url, data={"decision": "dismiss", "note": "Saisie erronée", "csrf_token": token})
    assert answer.status_code == 302
    assert outcome(session, batch[2]["key"]) == ("dismissed", "Saisie erronée")
    unknown = client.post(f"{tour_page(out)}/actions/{uuid.uuid4()}/resolve",
                          data={"decision": "dismiss", "csrf_token": token})
    assert unknown.status_code == 404


# --- declaring the device lost ---------------------------------------------------------------------

def test_declaring_the_device_lost_through_the_form(app, client, session, tour):
    out = tour["tour"]
    url = f"{tour_page(out)}/lost"
    token = login(client, "technicien")
    assert client.post(url, data={"reason": "Tablette volée", "confirm": "1", "csrf_token": token}).status_code == 403

    client = app.test_client()
    token = login(client, "admin")
    unconfirmed = client.post(url, data={"reason": "Tablette volée", "csrf_token": token})
    assert unconfirmed.status_code == 422
    html = text(unconfirmed)
    assert 'id="confirm-error"' in html and re.search(r'id="reason" name="reason"[^>]*value="Tablette volée"', html)
    no_reason = client.post(url, data={"reason": "  ", "confirm": "1", "csrf_token": token})
    assert no_reason.status_code == 422
    html = text(no_reason)
    assert ("Motif : obligatoire, dites ce qui est arrivé à l'appareil (par exemple « tablette volée »)."
            in html)
    assert re.search(r'id="reason" name="reason"[^>]*aria-invalid="true"[^>]*aria-describedby="reason-error"', html)
    assert session.get(MobileTour, out.id).status == "out"

    answer = client.post(url, data={"reason": "Tablette volée", "confirm": "1", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(tour_page(out))
    session.expire_all()
    assert (session.get(MobileTour, out.id).status, session.get(MobileTour, out.id).lost_reason) == (
        "lost", "Tablette volée")
    assert [tuple(r) for r in session.execute(select(MobileUnit.code, MobileUnit.name, MobileUnit.active)
                                              .order_by(MobileUnit.id))] == [
        ("M1", "Camion Nord", False), ("M2", "Camion Nord", True)]
    html = text(client.get(tour_page(out)))
    [message] = flashes(html)
    assert out.reference in message and "M1" in message and "M2" in message and "F-M2" in message
    assert "Appareil perdu ou réinitialisé" in html and "Tablette volée" in html
    assert f'action="{url}"' not in html                     # no second declaration
    assert_shown_in_french(html)

    again = client.post(url, data={"reason": "Encore", "confirm": "1", "csrf_token": token}, follow_redirects=True)
    assert flashes(text(again)) == [f"L'appareil de la tournée {out.reference} est déjà déclaré perdu ou réinitialisé."]
    assert client.post(f"{LIST}999999/lost", data={"reason": "x", "confirm": "1", "csrf_token": token}
                       ).status_code == 404


# --- the API --------------------------------------------------------------------------------------

def test_the_api_lists_the_tours_for_the_workshop(app, client, session, tour):
    out = tour["tour"]
    for username in ("technicien", "admin"):
        answer = client.get(API, headers=bearer(client, username))
        assert answer.status_code == 200
        assert answer.json["count"] == 1 and (answer.json["page"], answer.json["pages"]) == (1, 1)
        [listed] = answer.json["result"]
        assert (listed["id"], listed["reference"], listed["unit"], listed["status"], listed["received"],
                listed["open_conflicts"]) == (out.id, out.reference, "M1", "out", 3, 2)
    assert client.get(f"{API}?open=1", headers=bearer(client, "admin")).json["count"] == 1
    for username in OTHERS:
        answer = client.get(API, headers=bearer(client, username))
        assert answer.status_code == 403 and answer.json == {"message": FORBIDDEN}, username
    assert client.get(API).status_code == 401


def test_the_api_declares_a_device_lost(app, client, session, tour):
    out = tour["tour"]
    url = f"{API}/{out.id}/lost"
    for username in ["technicien", *OTHERS]:
        answer = client.post(url, json={"reason": "Tablette volée"}, headers=bearer(client, username))
        assert answer.status_code == 403 and answer.json == {"message": FORBIDDEN}, username
    assert client.post(url, json={"reason": "Tablette volée"}).status_code == 401
    admin = bearer(client, "admin")
    cases = [({}, 422, {"reason": ["Champ obligatoire."]}),
             ({"reason": " "}, 422, {"reason": [
                 "Motif : obligatoire, dites ce qui est arrivé à l'appareil (par exemple « tablette volée »)."]}),
             ({"reason": "x", "unit": "M1"}, 422, {"unit": ["Champ inconnu."]})]
    for body, status, errors in cases:
        answer = client.post(url, json=body, headers=admin)
        assert (answer.status_code, answer.json["errors"]) == (status, errors), body
    assert client.post(f"{API}/999999/lost", json={"reason": "x"}, headers=admin).json == {
        "message": "Tournée introuvable."}
    assert client.post(f"{API}/999999/lost", json={"reason": "x"}, headers=admin).status_code == 404
    assert session.get(MobileTour, out.id).status == "out"

    answer = client.post(url, json={"reason": "Tablette volée"}, headers=admin)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["result"]["status"], body["result"]["status_label"], body["result"]["lost_reason"]) == (
        "lost", "Appareil perdu ou réinitialisé", "Tablette volée")
    assert (body["retired_unit"], body["unit"]) == ("M1", {"code": "M2", "name": "Camion Nord"})
    again = client.post(url, json={"reason": "Tablette volée"}, headers=admin)
    assert again.status_code == 409 and again.json["message"] == (
        f"L'appareil de la tournée {out.reference} est déjà déclaré perdu ou réinitialisé.")


def test_a_browser_session_needs_the_csrf_header_to_declare(app, client, session, tour):
    out = tour["tour"]
    token = login(client, "admin")
    refused = client.post(f"{API}/{out.id}/lost", json={"reason": "Tablette volée"})
    assert refused.status_code == 400 and "Jeton CSRF" in refused.json["message"]
    assert session.get(MobileTour, out.id).status == "out"
    answer = client.post(f"{API}/{out.id}/lost", json={"reason": "Tablette volée"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200


def test_the_api_is_described(client, session):
    spec = client.get("/api/v1/_openapi", headers=bearer(client, "admin")).json
    lost = spec["paths"][API + "/{tour_id}/lost"]["post"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(lost["responses"])
    assert {"get", "post"} <= set(spec["paths"][API])
    assert "LostIn" in spec["components"]["schemas"]


def test_the_list_reads_in_the_same_statements_for_more_tours(app, client, session, tour):
    """Each tour's unit, holder and counts are read with the page, never per row."""
    from tests.app.test_list_statements import statements_of

    workshop = tour["workshop"]
    made = iter(range(1, 100))

    def more(n: int) -> None:
        """n tours, each with a unit of its own."""
        for _ in range(n):
            unit = create_unit(session, actor(app, "admin"), name=f"Portable {next(made)}")
            download_tour(session, actor(app, "technicien"), tour_date=tour["tour"].tour_date,
                          session_ids=[workshop.id], device_key=str(uuid.uuid4()), settings=settings_for(app),
                          programme=Programme("Rekonekt", None), unit=unit.code, reservation_ids=[],
                          now=utcnow() - timedelta(minutes=5))

    more(1)
    login(client, "technicien")
    client.get(LIST)
    few, page = statements_of(client, LIST)
    rows_few = len(re.findall(r'<tr id="tour-\d+"', page))
    more(3)
    many, page = statements_of(client, LIST)
    rows_many = len(re.findall(r'<tr id="tour-\d+"', page))
    assert (rows_few, rows_many) == (2, 5)
    assert few == many, f"{few} statements for {rows_few} tours, {many} for {rows_many}"
