"""Checklists, grading, repairs, spare parts and the licence key, over HTTP."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from inventory.models import Device, RepairTicket, SparePart
from tests.helpers import advance, bearer, login, make_device, make_workshop, passing_checklist


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_checklist_api(client, session):
    tech = bearer(client, "technicien")
    answer = client.get("/api/v1/checklists/laptop", headers=tech)
    assert answer.status_code == 200
    items = answer.json["result"]["items"]
    assert items[0] == {"key": "boots", "label": "Démarre jusqu'au système", "kind": "bool"}
    assert {"key": "battery_health", "label": "Santé de la batterie (% de la capacité d'origine)",
            "kind": "percent", "threshold": 80} in items
    unknown = client.get("/api/v1/checklists/toaster", headers=tech)
    assert unknown.status_code == 404 and "Catégorie inconnue" in unknown.json["message"]


def test_failed_control_over_http_is_an_outcome(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id, category="smartphone")
    advance(session, device, "grading")
    answer = client.post(f"/api/v1/devices/{device.asset_tag}/grading", headers=tech, json={
        "checklist": passing_checklist("smartphone", activation_lock_removed=False, battery_health=71), "cosmetic": "A"})
    assert answer.status_code == 200
    result = answer.json["result"]
    assert result["grade"] is None and result["device"]["state"] == "repair"
    assert [f["key"] for f in result["failing"]] == ["battery_health", "activation_lock_removed"]
    missing = client.post(f"/api/v1/devices/{device.asset_tag}/grading", headers=tech,
                          json={"checklist": {"screen_touch": True}, "cosmetic": "A"})
    assert missing.status_code in (409, 422)


def test_licence_key_only_for_admin_and_technicien(client, shop, session):
    device = make_device(session, shop["collection"].id)
    device.os_licence_key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
    session.commit()
    tech = client.get(f"/api/v1/devices/{device.asset_tag}", headers=bearer(client, "technicien")).json["result"]
    assert tech["os_licence_key"] == "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
    agent = client.get(f"/api/v1/devices/{device.asset_tag}", headers=bearer(client, "agent.cacem")).json["result"]
    assert "os_licence_key" not in agent
    login(client, "agent.cacem")
    assert "ABCDE-FGHIJ" not in client.get(f"/devices/show/{device.id}").get_data(as_text=True)


def test_repair_and_stock_pages(client, shop, session):
    csrf = login(client, "technicien")
    added = client.post("/spare-parts/add", data={"csrf_token": csrf, "part_type": "battery", "description": "Batterie Dell 68 Wh",
                                                  "location": shop["bin_a"].code, "quantity": "2", "compatible_models": "Latitude 5490"})
    assert added.status_code == 302
    bad = client.post("/spare-parts/add", data={"csrf_token": csrf, "part_type": "battery", "description": "",
                                                "location": "LOC-NOPE", "quantity": "0"})
    assert bad.status_code == 422 and "Décrivez la pièce" in unescape(bad.get_data(as_text=True))
    device = make_device(session, shop["collection"].id)
    advance(session, device, "repair")
    post = lambda data: client.post(f"/devices/{device.id}/repair", data={"csrf_token": csrf, **data}, follow_redirects=True)
    assert "Ticket de réparation ouvert." in unescape(post({"step": "open", "symptoms": "Ne tient pas la charge"}).get_data(as_text=True))
    post({"step": "update", "diagnosis": "Batterie usée", "actions": "Remplacement", "labour_minutes": "20"})
    part = session.execute(select(SparePart)).scalar_one()
    page = unescape(post({"step": "part", "spare_part": str(part.id), "quantity": "1"}).get_data(as_text=True))
    assert "Pièce utilisée : Batterie Dell 68 Wh." in page
    page = unescape(post({"step": "close", "outcome": "repaired", "next_state": "grading"}).get_data(as_text=True))
    assert "Ticket clos" in page
    session.expire_all()
    assert session.get(Device, device.id).state == "grading"
    ticket = session.execute(select(RepairTicket)).scalar_one()
    assert (ticket.diagnosis, ticket.labour_minutes, ticket.outcome) == ("Batterie usée", 20, "repaired")
    assert session.get(SparePart, part.id).quantity == 1
    assert "Batterie Dell 68 Wh" in client.get("/spare-parts/list/").get_data(as_text=True)


def test_admin_edits_checklists_in_the_browser(client, session):
    csrf = login(client, "admin")
    page = unescape(client.get("/checklists/").get_data(as_text=True))
    assert "boots ; Démarre jusqu'au système ; bool" in page
    bad = client.post("/checklists/monitor", data={"csrf_token": csrf, "items": "Bad ; x ; bool"}, follow_redirects=True)
    assert "minuscules" in unescape(bad.get_data(as_text=True))
    original = [line for line in page.split('id="items-monitor"')[1].split(">", 1)[1].split("</textarea>")[0].splitlines()]
    saved = client.post("/checklists/monitor", data={"csrf_token": csrf, "items": "\n".join(original)}, follow_redirects=True)
    assert "Grille « Écran » enregistrée." in unescape(saved.get_data(as_text=True))


def test_certificate_button_on_the_collection_page(client, shop, session):
    csrf = login(client, "technicien")
    make_device(session, shop["collection"].id)
    refused = client.post(f"/collections/{shop['collection'].id}/certificate", data={"csrf_token": csrf},
                          follow_redirects=True)
    assert "Certificat impossible" in unescape(refused.get_data(as_text=True))
