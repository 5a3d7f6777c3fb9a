"""The device sheet after a hardware snapshot (issue 17): the readable summary of what the machine
said, the raw snapshot to download, and the quality-control checklist pre-filled from the battery
and disk health, which the technician confirms."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.station_tokens import create_token
from inventory.models import Device, DeviceSnapshot, GradingResult
from tests.helpers import advance, csrf_token, login
from tests.inventory.conftest import shop  # noqa: F401 (the fixture)
from tests.inventory.test_snapshot_service import snapshot


@pytest.fixture
def laptop(client, session, shop):
    secret = create_token(session, "Poste de réception Lamentin", created_by_id=None).secret
    answer = client.post(f"/api/v1/snapshots?collection={shop['collection'].reference}", json=snapshot(),
                         headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 201, answer.get_json()
    return session.execute(select(Device).where(Device.asset_tag == answer.get_json()["asset_tag"])).scalar_one()


def sheet(client, device) -> str:
    answer = client.get(f"/devices/show/{device.id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_sheet_summarises_the_snapshot_in_french(client, session, laptop):
    login(client, "technicien")
    page = sheet(client, laptop)
    section = text_of(page.split('id="snapshot"', 1)[1].split("<h2", 1)[0])
    assert "Reçu le " in section and "par Poste de réception Lamentin (eReuse workbench-script" in section
    assert "Appareil enregistré" in section
    for fact in ("Marque Dell Inc.", "Modèle Latitude 5490", "Numéro de série RK7TEST", "Catégorie Ordinateur portable",
                 "Processeur Intel Core i5-8350U", "Mémoire 16 Go", "Santé de la batterie 87 %"):
        assert fact in section, fact
    assert "Disque dur (HDD) WDC WD5000LPCX-24C6HT0 WD-WX21ARK20002 500,1 Go Disque à remplacer" in section
    assert "Secteurs réalloués : 104" in section and "Usure NVMe : 7 %" in section
    assert "Disques mis de côté" in section and "support amovible" in section
    for python_value in ("None", "True", "False", "[", "']", "T00:", "registered", "workbench-script 2"):
        assert python_value not in section.replace("workbench-script 20", ""), python_value


def test_the_raw_snapshot_downloads_as_it_was_posted(client, session, laptop):
    login(client, "technicien")
    record = session.execute(select(DeviceSnapshot)).scalar_one()
    assert f"/devices/{laptop.id}/snapshots/{record.id}.json" in sheet(client, laptop)
    answer = client.get(f"/devices/{laptop.id}/snapshots/{record.id}.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert json.loads(answer.get_data()) == snapshot()
    other = client.get(f"/devices/{laptop.id + 1000}/snapshots/{record.id}.json")   # not that device's
    assert other.status_code == 302


def test_the_checklist_is_prefilled_and_the_technician_confirms_it(client, session, laptop):
    advance(session, laptop, "grading")
    login(client, "technicien")
    page = sheet(client, laptop)
    assert "Certaines réponses sont pré-remplies d'après l'instantané matériel" in page
    assert re.search(r'name="item_battery_health"[^>]*value="87"', page)
    assert re.search(r'name="item_storage_health" value="0" checked', page)
    assert not re.search(r'name="item_storage_health" value="1"[^>]*checked', page)
    assert "Pré-rempli : Disque à remplacer : WD-WX21ARK20002 (104 secteur(s) réalloué(s)" in text_of(page)
    assert not re.search(r'name="item_boots"[^>]*checked', page)       # what no snapshot measures is left blank
    # The technician confirms: the pre-filled answers go with the form, the rest they tick.
    form = {"csrf_token": csrf_token(page), "item_battery_health": "87", "item_storage_health": "0", "cosmetic": "A"}
    form.update({f"item_{key}": "1" for key in ("boots", "screen", "keyboard", "touchpad", "wifi", "usb_ports",
                                                 "webcam", "audio", "charger")})
    answer = client.post(f"/devices/{laptop.id}/grade", data=form, follow_redirects=True)
    assert "repart en réparation : Stockage : état SMART correct" in answer.get_data(as_text=True)
    result = session.execute(select(GradingResult)).scalar_one()
    assert result.checklist["battery_health"] == 87.0 and result.failing == ["storage_health"]


def test_the_address_workbench_script_prints_leads_to_the_device_sheet(client, session, laptop):
    """workbench-script (current mode) prints and shows as a QR code <server>/evidence/<uuid>."""
    uuid = snapshot()["uuid"]
    anonymous = client.get(f"/evidence/{uuid}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, "technicien")
    answer = client.get(f"/evidence/{uuid}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/devices/show/{laptop.id}")
    unknown = client.get("/evidence/00000000-0000-4000-8000-000000000000", follow_redirects=True)
    assert "Aucun instantané matériel reçu sous cette référence." in unknown.get_data(as_text=True)
    assert unknown.request.path == "/snapshots/queue"
