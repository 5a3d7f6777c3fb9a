"""Issue 3's "done when", end to end: a laptop and a phone are wiped (the laptop by importing its
nwipe log), the laptop is repaired with a spare part, both are graded; then a donor verifies
the collection's certificate on the public page, with the code its QR code carries."""
from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from inventory.services.repairs import add_stock
from tests.helpers import logout, login, make_device, make_workshop, passing_checklist

NWIPE = Path(__file__).resolve().parents[1] / "data" / "nwipe" / "complete_single.txt"


def test_wipe_repair_grade_and_verify(client, session):
    shop = make_workshop(session)
    laptop = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "VS87A23105K4Q9M"}])
    phone = make_device(session, shop["collection"].id, category="smartphone", imei="490154203237518")
    battery = add_stock(session, part_type="battery", description="Batterie Dell 68 Wh", location=shop["bin_a"].code, quantity=1)
    csrf = login(client, "technicien")
    headers = {"X-CSRFToken": csrf}

    # 1. Wiping: both scanned at the wiping station; the laptop's nwipe log is imported, the
    #    phone's factory reset recorded from its card.
    for device in (laptop, phone):
        assert client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "wiping"}, headers=headers).json["applied"]
    imported = client.post("/api/v1/erasures/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(NWIPE.read_bytes()), "nwipe.txt"), "collection": str(shop["collection"].id)})
    assert imported.json["result"]["matched"] == 1
    assert client.post(f"/api/v1/devices/{phone.asset_tag}/erasures", headers=headers, json={
        "level": "purge", "technique": "factory-reset", "result": "pass", "verified": True}).status_code == 201

    # 2. The laptop goes to repair, gets a new battery, and comes back to quality control.
    assert client.post("/api/v1/scan", json={"code": laptop.asset_tag, "station": "repair"}, headers=headers).json["applied"]
    for form in ({"step": "open", "symptoms": "Ne tient pas la charge"},
                 {"step": "part", "spare_part": str(battery.id), "quantity": "1"},
                 {"step": "close", "outcome": "repaired", "next_state": "grading"}):
        assert client.post(f"/devices/{laptop.id}/repair", data={"csrf_token": csrf, **form}).status_code == 302
    assert client.post("/api/v1/scan", json={"code": phone.asset_tag, "station": "grading"}, headers=headers).json["applied"]

    # 3. Both graded by their checklists: "reconditionné".
    for device, category in ((laptop, "laptop"), (phone, "smartphone")):
        graded = client.post(f"/api/v1/devices/{device.asset_tag}/grading", headers=headers,
                             json={"checklist": passing_checklist(category), "cosmetic": "B"}).json["result"]
        assert graded["grade"] == "B" and graded["refurbished"] is True, graded
        assert client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "stock"}, headers=headers).json["applied"]

    # Then the donor: the collection's certificate, its verification code, the public page.
    pdf = client.post(f"/collections/{shop['collection'].id}/certificate", data={"csrf_token": csrf},
                      follow_redirects=True).get_data()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Supports de données couverts : 2" in text and "VS87A23105K4Q9M" in text and "nwipe 0.38" in text
    url = next(line.strip() for line in text.splitlines() if line.startswith("https://rekonekt.test/verify/"))
    logout(client)
    public = client.get(url.removeprefix("https://rekonekt.test"))
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "Certificat authentique." in html
    assert "•••••••••••4Q9M" in html and "VS87A23105K4Q9M" not in html
