"""Wiping-report import, review queue, certificates and public verification over HTTP."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from inventory.services.erasures import record_erasure
from inventory.services.transitions import transition
from tests.helpers import bearer, make_device, make_workshop

NWIPE = Path(__file__).resolve().parents[1] / "data" / "nwipe"


@pytest.fixture
def shop(session):
    return make_workshop(session)


def upload(client, headers, content: bytes, name: str, **form):
    return client.post("/api/v1/erasures/import", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name), **form})


def test_import_nwipe_log_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "VS87A23105K4Q9M"}])
    transition(session, device.asset_tag, "wiping")
    content = (NWIPE / "complete_single.txt").read_bytes()
    answer = upload(client, tech, content, "nwipe_log_20240312-082137.txt", collection=str(shop["collection"].id))
    assert answer.status_code == 201, answer.json
    result = answer.json["result"]
    assert (result["format"], result["matched"], result["queued"], result["duplicates"]) == ("nwipe", 1, 0, 0)
    assert result["drives"] == [{"position": 1, "serial_number": "VS87A23105K4Q9M", "model": "VELTRA VS870 500GB",
                                 "result": "pass", "status": "matched", "reason": None, "asset_tag": device.asset_tag}]
    again = upload(client, tech, content, "copy.txt")
    assert again.status_code == 200 and again.json["result"]["duplicates"] == 1


def test_bad_reports_over_http(client, shop):
    tech = bearer(client, "technicien")
    truncated = upload(client, tech, (NWIPE / "truncated.txt").read_bytes(), "cut.txt")
    assert truncated.status_code == 422
    assert truncated.json["errors"]["file"][0].startswith("Journal nwipe tronqué")
    missing = client.post("/api/v1/erasures/import", headers=tech, content_type="multipart/form-data", data={})
    assert missing.status_code == 400 and "« file »" in missing.json["message"]
    bad_collection = upload(client, tech, b'{"drives": []}', "r.json", collection="abc")
    assert bad_collection.status_code == 422


def test_review_queue_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": None}])
    report = b'{"drives": [{"serial_number": "LOOSE-1", "level": "clear", "technique": "overwrite", "result": "pass", "verified": true}, {"serial_number": "LOOSE-2", "level": "clear", "technique": "overwrite", "result": "pass", "verified": true}]}'
    assert upload(client, tech, report, "r.json").json["result"]["queued"] == 2
    queue = client.get("/api/v1/erasures/queue", headers=tech).json
    assert queue["count"] == 2 and queue["result"][0]["reason"].startswith("Aucun support enregistré")
    first, second = (row["id"] for row in queue["result"])
    bad = client.post(f"/api/v1/erasures/queue/{first}/assign", json={"asset_tag": device.asset_tag}, headers=tech)
    assert bad.status_code == 422 and "medium" in bad.json["errors"]
    ok = client.post(f"/api/v1/erasures/queue/{first}/assign", headers=tech,
                     json={"asset_tag": device.asset_tag, "medium": device.media[0].id, "note": "lu sur le disque"})
    assert ok.status_code == 200 and ok.json["result"]["status"] == "assigned"
    again = client.post(f"/api/v1/erasures/queue/{first}/assign", headers=tech,
                        json={"asset_tag": device.asset_tag, "medium": device.media[0].id})
    assert again.status_code == 409
    no_reason = client.post(f"/api/v1/erasures/queue/{second}/dismiss", json={}, headers=tech)
    assert no_reason.status_code == 422
    dismissed = client.post(f"/api/v1/erasures/queue/{second}/dismiss", json={"note": "disque de test"}, headers=tech)
    assert dismissed.status_code == 200 and client.get("/api/v1/erasures/queue", headers=tech).json["count"] == 0


def _wiped_device(session, shop, serial="S3Z9NB0K123456"):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": serial}])
    transition(session, device.asset_tag, "wiping")
    record_erasure(session, device.asset_tag, {"medium_serial": serial, "level": "purge", "technique": "ata-secure-erase",
                                               "result": "pass", "verified": True, "sanitised_by": "Léa Marie"})
    return device


def test_certificates_over_http_and_public_verification(client, shop, session):
    tech = bearer(client, "technicien")
    pending = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "NOT-YET"}])
    refused = client.post(f"/api/v1/collections/{shop['collection'].id}/certificate", headers=tech)
    assert refused.status_code == 409
    assert refused.json["missing"][0]["asset_tag"] == pending.asset_tag
    assert refused.json["message"].startswith("Certificat impossible")

    device = _wiped_device(session, shop)
    assert client.post(f"/api/v1/devices/{device.asset_tag}/certificate", headers=tech).status_code == 201
    answer = client.get(f"/api/v1/devices/{device.asset_tag}/certificate.pdf", headers=tech)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    number, digest = answer.headers["X-Certificate-Number"], answer.headers["X-Certificate-SHA256"]
    pdf = answer.get_data()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    code = next(line.strip().rsplit("/", 1)[-1] for line in text.splitlines() if line.startswith("https://rekonekt.test/verify/"))
    assert number in text

    public = client.get(f"/api/v1/verify/{code}")  # no login
    assert public.status_code == 200
    body = public.json["result"]
    assert body["genuine"] is True and body["sha256"] == digest
    assert body["certificate"]["media"][0]["serial"] == "••••••••••3456"
    assert "Léa Marie" not in public.get_data(as_text=True)
    assert client.get(f"/api/v1/verify/{code}?sha256={digest}").json["result"]["hash_matches"] is True
    assert client.get(f"/api/v1/verify/{code}?sha256={'0' * 64}").json["result"]["hash_matches"] is False
    unknown = client.get("/api/v1/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert unknown.status_code == 404 and unknown.json["genuine"] is False

    page = client.get(f"/verify/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Certificat authentique." in html
    assert number in html and digest in html and "••••••••••3456" in html and "S3Z9NB0K123456" not in html
    assert "Léa Marie" not in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    same = client.post(f"/verify/{code}", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(pdf), "certificat.pdf")})
    assert "Le fichier envoyé est exactement celui qui a été émis." in same.get_data(as_text=True)
    tampered = client.post(f"/verify/{code}", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(pdf + b"\n% altered\n"), "c.pdf")})
    assert "Le fichier envoyé diffère de celui qui a été émis" in tampered.get_data(as_text=True)
    missing = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert missing.status_code == 404 and "Certificat inconnu." in missing.get_data(as_text=True)


def test_drop_a_report_on_the_collection_page(client, shop, session):
    from tests.helpers import login

    csrf = login(client, "technicien")
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "VS87A23105K4Q9M"}])
    transition(session, device.asset_tag, "wiping")
    answer = client.post(f"/collections/{shop['collection'].id}/erasure-import", content_type="multipart/form-data",
                         data={"csrf_token": csrf, "report": (io.BytesIO((NWIPE / "complete_single.txt").read_bytes()), "nwipe.txt")})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Rapport importé : 1 disque(s) rapproché(s), 0 en file de revue." in page
    assert f"Enregistré pour {device.asset_tag}" in page
    assert "1 support(s) sur 1 effacé(s) ou détruit(s)" in page
    truncated = client.post(f"/collections/{shop['collection'].id}/erasure-import", content_type="multipart/form-data",
                            data={"csrf_token": csrf, "report": (io.BytesIO((NWIPE / "truncated.txt").read_bytes()), "cut.txt")})
    assert truncated.status_code == 422 and "Journal nwipe tronqué" in truncated.get_data(as_text=True)
