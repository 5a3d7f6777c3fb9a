"""The handover through the API: reservation, handover with invoice and booking, invoice JSON
and PDFs, credit note, workshops and bookings, attendance; statuses and roles."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.clock import utcnow
from distribution.models import WorkshopSession
from tests.helpers import bearer, make_session, make_workshop, stock_device, validated_request


def call(client, method, username, url, body=None):
    return client.open(url, method=method, json=body, headers=bearer(client, username))


def text_of(content: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_done_when_a_lamentin_household_reserves_receives_its_invoice_and_attends(app, client, session, shop):
    # 1. A validated household of Le Lamentin is matched to a graded laptop and reserves it.
    item = validated_request(app, session, commune_insee="97213")
    laptop = stock_device(session, shop, "laptop", "A")
    point = make_session(app, session, commune="97213", venue_kind="digital_point",
                         venue_name="Médiathèque du Lamentin", days=6)
    make_session(app, session, commune="97209", venue_kind="site", venue_name="Atelier de Fort-de-France", days=2)
    answer = call(client, "POST", "technicien", "/api/v1/reservations",
                  {"request_id": item.id, "asset_tag": laptop.asset_tag})
    assert answer.status_code == 201, answer.json
    reservation = answer.json
    assert reservation["status"] == "active" and reservation["asset_tag"] == laptop.asset_tag

    # 2. At handover: an invoice and a seat at the nearest point numérique.
    answer = call(client, "POST", "technicien", f"/api/v1/reservations/{reservation['id']}/handover",
                  {"payment_method": "cash", "accessories": ["charger"], "internet_access": "none",
                   "internet_offer_referred": True})
    assert answer.status_code == 201, answer.json
    invoice, booking = answer.json["invoice"], answer.json["booking"]
    year = invoice["number"].split("-")[1]
    assert invoice == {"number": f"F-{year}-00001", "total_ttc": "70.00", "total_ht": "70.00", "vat": "0.00",
                       "aide_solidaire": "290.00", "pdf_url": f"/api/v1/invoices/F-{year}-00001.pdf"}
    assert booking["session_id"] == point.id and booking["status"] == "booked" and booking["position"] is None

    pdf = call(client, "GET", "technicien", invoice["pdf_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = text_of(pdf.data)
    for mention in (invoice["number"], "Association Rekonekt Martinique", "SIRET", "Éloïse Jean-Baptiste",
                    laptop.asset_tag, "TVA non applicable, art. 293 B du CGI", "L217-3", "Médiathèque du Lamentin",
                    "Aide solidaire", "Espèces"):
        assert mention in text, mention
    sheet = call(client, "GET", "technicien", f"/api/v1/invoices/{invoice['number']}/handover-sheet.pdf")
    assert sheet.status_code == 200 and "Médiathèque du Lamentin" in text_of(sheet.data)
    ics = call(client, "GET", "technicien", booking["ics_url"])
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.data

    detail = call(client, "GET", "technicien", f"/api/v1/invoices/{invoice['number']}")
    assert detail.status_code == 200 and detail.json["workshop"]["session_id"] == point.id
    assert [line["kind"] for line in detail.json["lines"]] == ["device", "charger"]

    # 3. After the workshop, the Animateur marks them present.
    started = utcnow() - timedelta(hours=3)
    session.execute(update(WorkshopSession).where(WorkshopSession.id == point.id).values(
        starts_at=started, ends_at=started + timedelta(hours=2)))
    session.commit()
    answer = call(client, "POST", "animateur", f"/api/v1/bookings/{booking['id']}/attendance",
                  {"attended": True, "satisfaction": 5})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "attended" and answer.json["satisfaction"] == 5
    sheet = call(client, "GET", "animateur", f"/api/v1/workshops/{point.id}/attendance-sheet.pdf")
    assert sheet.status_code == 200 and "Jean-Baptiste" in text_of(sheet.data)


def test_reservation_conflicts_answer_409(app, client, session, shop):
    item = validated_request(app, session)
    laptop = stock_device(session, shop)
    first = call(client, "POST", "technicien", "/api/v1/reservations", {"request_id": item.id, "asset_tag": laptop.asset_tag})
    assert first.status_code == 201
    again = call(client, "POST", "technicien", "/api/v1/reservations", {"request_id": item.id,
                                                                       "asset_tag": stock_device(session, shop).asset_tag})
    assert again.status_code == 409 and "déjà un appareil" in again.json["message"]
    other = validated_request(app, session, phone="0696 88 88 88", last_name="Autre")
    taken = call(client, "POST", "technicien", "/api/v1/reservations", {"request_id": other.id, "asset_tag": laptop.asset_tag})
    assert taken.status_code == 409 and "pas en stock" in taken.json["message"]
    bad = call(client, "POST", "technicien", "/api/v1/reservations", {"request_id": "x"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"request_id", "asset_tag"}
    assert call(client, "POST", "agent.cacem", "/api/v1/reservations", {"request_id": other.id,
                                                                       "asset_tag": laptop.asset_tag}).status_code == 403


def test_credit_note_through_the_api_and_no_way_to_change_an_invoice(app, client, session, shop):
    item = validated_request(app, session)
    reservation = call(client, "POST", "technicien", "/api/v1/reservations",
                       {"request_id": item.id, "asset_tag": stock_device(session, shop).asset_tag}).json
    make_session(app, session)
    number = call(client, "POST", "technicien", f"/api/v1/reservations/{reservation['id']}/handover",
                  {"payment_method": "card", "internet_access": "mobile"}).json["invoice"]["number"]
    for method in ("PUT", "PATCH", "DELETE"):
        assert call(client, method, "admin", f"/api/v1/invoices/{number}", {}).status_code == 405
    answer = call(client, "POST", "technicien", f"/api/v1/invoices/{number}/credit-note",
                  {"reason": "Retour : clavier défectueux.", "return_device": True})
    assert answer.status_code == 201, answer.json
    assert answer.json["number"].startswith("AV-") and answer.json["invoice"] == number
    pdf = call(client, "GET", "technicien", answer.json["pdf_url"])
    assert pdf.status_code == 200 and f"Avoir sur la facture {number}" in text_of(pdf.data)
    again = call(client, "POST", "technicien", f"/api/v1/invoices/{number}/credit-note", {"reason": "Encore"})
    assert again.status_code == 409
    assert call(client, "GET", "technicien", "/api/v1/invoices/F-1999-00001").status_code == 404


def test_workshops_create_list_book_waitlist_and_cancel(app, client, session):
    body = {"topic": "smartphone", "starts_at": "2030-03-02T09:00", "ends_at": "2030-03-02T11:00",
            "commune_insee": "97213", "venue_kind": "mobile_stop", "venue_name": "Bus numérique — place du marché",
            "capacity": 1, "facilitator": "animateur"}
    created = call(client, "POST", "technicien", "/api/v1/workshops", body)
    assert created.status_code == 201, created.json
    assert created.json["starts_at"] == "2030-03-02T13:00:00+00:00"   # 09:00 in Martinique is 13:00 UTC
    assert call(client, "POST", "agent.cacem", "/api/v1/workshops", body).status_code == 403
    wrong = call(client, "POST", "technicien", "/api/v1/workshops", {**body, "ends_at": "2030-03-02T08:00",
                                                                      "facilitator": "agent.cacem"})
    assert wrong.status_code == 422 and "ends_at" in wrong.json["errors"]

    listed = call(client, "GET", "agent.cacem", "/api/v1/workshops?commune=97213&topic=smartphone&from=2030-01-01")
    assert [w["id"] for w in listed.json["result"]] == [created.json["id"]]

    first = validated_request(app, session, phone="0696 10 10 10", last_name="Premier").household_id
    second = validated_request(app, session, phone="0696 20 20 20", last_name="Second").household_id
    url = f"/api/v1/workshops/{created.json['id']}/bookings"
    booked = call(client, "POST", "agent.cacem", url, {"household_id": first})
    waiting = call(client, "POST", "prescripteur", url, {"household_id": second})
    assert (booked.json["status"], waiting.json["status"], waiting.json["position"]) == ("booked", "waitlisted", 1)
    assert call(client, "POST", "agent.espacesud", url, {"household_id": first}).status_code == 404
    assert call(client, "GET", "agent.cacem", "/api/v1/workshops?commune=97213&from=2030-01-01").json["count"] == 0

    cancelled = call(client, "DELETE", "agent.cacem", f"/api/v1/bookings/{booked.json['id']}")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    promoted = call(client, "GET", "prescripteur", f"/api/v1/bookings/{waiting.json['id']}.ics")
    assert promoted.status_code == 200
    assert call(client, "POST", "animateur", f"/api/v1/bookings/{waiting.json['id']}/attendance",
                {"attended": True}).status_code == 409   # not started yet
    assert call(client, "POST", "technicien", f"/api/v1/bookings/{waiting.json['id']}/attendance",
                {"attended": True}).status_code == 403


def test_attendance_is_for_the_session_facilitator_only(app, client, session):
    workshop = make_session(app, session, facilitator=None)
    household = validated_request(app, session).household_id
    booking = call(client, "POST", "technicien", f"/api/v1/workshops/{workshop.id}/bookings",
                   {"household_id": household}).json
    assert call(client, "POST", "animateur", f"/api/v1/bookings/{booking['id']}/attendance",
                {"attended": True}).status_code == 404
    assert call(client, "GET", "animateur", f"/api/v1/workshops/{workshop.id}/attendance-sheet.pdf").status_code == 404
    bad = call(client, "POST", "admin", f"/api/v1/bookings/{booking['id']}/attendance",
               {"attended": False, "satisfaction": 9})
    assert bad.status_code == 422 and "satisfaction" in bad.json["errors"]


def test_right_of_access_includes_the_handover(app, client, session, shop):
    item = validated_request(app, session)
    reservation = call(client, "POST", "technicien", "/api/v1/reservations",
                       {"request_id": item.id, "asset_tag": stock_device(session, shop).asset_tag}).json
    make_session(app, session, venue_name="Médiathèque du Lamentin")
    number = call(client, "POST", "technicien", f"/api/v1/reservations/{reservation['id']}/handover",
                  {"payment_method": "cash", "internet_access": "broadband"}).json["invoice"]["number"]
    data = call(client, "GET", "agent.cacem", f"/api/v1/households/{item.household_id}/export").json
    assert [i["number"] for i in data["handover"]["invoices"]] == [number]
    assert data["handover"]["reservations"][0]["internet_access"] == "broadband"
    assert data["handover"]["bookings"][0]["status"] == "booked"
    pdf = call(client, "GET", "agent.cacem", f"/api/v1/households/{item.household_id}/export?format=pdf")
    text = text_of(pdf.data)
    assert "Remise d'appareil et ateliers" in text and number in text and "Médiathèque du Lamentin" in text
