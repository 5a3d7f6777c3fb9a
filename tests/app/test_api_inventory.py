"""The inventory API through the Flask test client, with a JWT."""
from __future__ import annotations

import pytest

from tests.helpers import advance, bearer, make_device, make_workshop, passing_checklist


@pytest.fixture
def shop(session):
    return make_workshop(session)


@pytest.fixture
def tech(client):
    return bearer(client, "technicien")


def test_health_needs_no_login(client):
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "database": "ok"}


def test_organisations_and_sites(client, shop, tech):
    answer = client.get("/api/v1/organisations?kind=donor", headers=tech)
    assert answer.status_code == 200
    assert answer.json["count"] == 1
    assert answer.json["result"][0]["name"] == "Donateur Test"
    assert client.get("/api/v1/organisations?kind=workshop", headers=tech).json["count"] == 0
    bad = client.get("/api/v1/organisations?kind=pirate", headers=tech)
    assert bad.status_code == 422 and "Type inconnu" in bad.json["message"]
    sites = client.get("/api/v1/sites", headers=tech).json
    assert sites["count"] == 1
    assert [loc["code"] for loc in sites["result"][0]["locations"]] == ["LOC-LAM-A01", "LOC-LAM-B02"]


def test_create_collection(client, shop, tech):
    body = {"donor": shop["donor"].id, "collected_on": "2026-04-01", "site": shop["site"].id,
            "declared_count": 12, "weight_kg": 80.5}
    answer = client.post("/api/v1/collections", json=body, headers=tech)
    assert answer.status_code == 201, answer.json
    result = answer.json["result"]
    assert result["reference"] == "COL-2026-0002" and isinstance(result["id"], int)
    assert result["declared_count"] == 12 and result["registered_count"] == 0
    shown = client.get(f"/api/v1/collections/{result['id']}", headers=tech).json["result"]
    assert shown["donor"]["name"] == "Donateur Test"


@pytest.mark.parametrize(
    "change,field,status",
    [
        ({"donor": 999}, "donor", 422),
        ({"collected_on": "01/04/2026"}, "collected_on", 422),
        ({"declared_count": -3}, "declared_count", 422),
        ({"weight_kg": -1}, "weight_kg", 422),
        ({"site": "un"}, "site", 422),
    ],
)
def test_bad_collection_input(client, shop, tech, change, field, status):
    body = {"donor": shop["donor"].id, "collected_on": "2026-04-01", "site": shop["site"].id, **change}
    answer = client.post("/api/v1/collections", json=body, headers=tech)
    assert answer.status_code == status
    assert field in answer.json["errors"]
    message = answer.json["message"]
    # French for a person: the field's key stays in ``errors``, never in the message.
    assert message.startswith(("Données refusées.", "Donateur : ", "Site n° ")), message
    assert not message.startswith(field), message


def test_register_and_read_a_device(client, shop, tech):
    body = {"collection": shop["collection"].id, "category": "laptop", "brand": "Lenovo", "model": "T480",
            "serial_number": "pf1abc", "specs": {"cpu": "i5-8250U", "ram_gb": 16, "screen_in": 14},
            "weight_kg": 1.6, "storage": [{"kind": "nvme", "serial_number": "S4EN", "capacity_gb": 512}]}
    answer = client.post("/api/v1/devices", json=body, headers=tech)
    assert answer.status_code == 201, answer.json
    device = answer.json["result"]
    assert device["asset_tag"] == "RK-000001" and device["state"] == "received"
    assert device["serial_number"] == "PF1ABC"
    assert device["specs"]["ram_gb"] == 16.0
    shown = client.get("/api/v1/devices/rk-000001", headers=tech).json["result"]
    assert shown["storage"][0]["serial_number"] == "S4EN" and shown["storage"][0]["sanitised"] is False
    assert shown["allowed"] == ["wiping"]
    history = client.get("/api/v1/devices/RK-000001/history", headers=tech).json
    assert history["count"] == 1 and history["result"][0]["kind"] == "received"
    assert history["result"][0]["user"] == "technicien"


def test_duplicate_serial_is_409_and_bad_imei_422(client, shop, tech):
    body = {"collection": shop["collection"].id, "category": "smartphone", "brand": "Samsung",
            "model": "A52", "serial_number": "R58", "imei": "490154203237518"}
    assert client.post("/api/v1/devices", json=body, headers=tech).status_code == 201
    dup = client.post("/api/v1/devices", json={**body, "imei": None}, headers=tech)
    assert dup.status_code == 409
    assert dup.json["errors"]["serial_number"] == ["Numéro de série R58 déjà enregistré pour l'appareil RK-000001."]
    bad = client.post("/api/v1/devices", json={**body, "serial_number": "R59", "imei": "490154203237517"}, headers=tech)
    assert bad.status_code == 422 and "clé de contrôle" in bad.json["errors"]["imei"][0]


def test_unknown_device_is_404_in_french(client, session, tech):
    answer = client.get("/api/v1/devices/RK-424242", headers=tech)
    assert answer.status_code == 404
    assert answer.json == {"message": "Aucun appareil ne porte le numéro d'inventaire « RK-424242 »."}
    assert client.get("/api/v1/devices/RK-424242/history", headers=tech).status_code == 404


def test_transition_endpoint(client, shop, tech, session):
    device = make_device(session, shop["collection"].id)
    url = f"/api/v1/devices/{device.asset_tag}/transition"
    refused = client.post(url, json={"to": "in_stock"}, headers=tech)
    assert refused.status_code == 409
    assert refused.json["allowed"] == ["wiping"]
    assert "ne peut pas passer à « En stock »" in refused.json["message"]
    unknown = client.post(url, json={"to": "heaven"}, headers=tech)
    assert unknown.status_code == 422
    ok = client.post(url, json={"to": "wiping", "note": "lot 3", "location": "loc-lam-b02"}, headers=tech)
    assert ok.status_code == 200
    assert ok.json["result"]["state"] == "wiping" and ok.json["result"]["location"]["code"] == "LOC-LAM-B02"
    stale = client.post(url, json={"to": "recycled", "version": 1}, headers=tech)
    assert stale.status_code == 409


def test_erasure_and_grading_endpoints(client, shop, tech, session):
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag
    client.post(f"/api/v1/devices/{tag}/transition", json={"to": "wiping"}, headers=tech)
    erasure = client.post(f"/api/v1/devices/{tag}/erasures", headers=tech, json={
        "medium_serial": device.media[0].serial_number, "level": "purge", "technique": "ata-secure-erase",
        "tool": "hdparm 9.65", "result": "pass", "verified": True,
        "started_at": "2026-04-02T09:00:00-04:00", "ended_at": "2026-04-02T09:40:00-04:00"})
    assert erasure.status_code == 201, erasure.json
    assert erasure.json["result"]["sanitised_by"] == "Technicien Test"
    assert erasure.json["result"]["sanitised_by_role"] == "Technicien"
    assert erasure.json["result"]["verified_by"] == "Technicien Test"
    assert erasure.json["result"]["destination"] == "reuse"
    assert erasure.json["result"]["started_at"] == "2026-04-02T13:00:00+00:00"
    backwards = client.post(f"/api/v1/devices/{tag}/erasures", headers=tech, json={
        "level": "purge", "technique": "ata-secure-erase", "result": "pass", "verified": True,
        "started_at": "2026-04-02T10:00:00-04:00", "ended_at": "2026-04-02T09:00:00-04:00"})
    assert backwards.status_code == 422 and backwards.json["errors"]["ended_at"] == ["La fin doit suivre le début."]
    naive = client.post(f"/api/v1/devices/{tag}/erasures", headers=tech, json={
        "level": "purge", "technique": "ata-secure-erase", "result": "pass", "verified": True,
        "started_at": "2026-04-02T10:00:00"})
    assert naive.status_code == 422 and "fuseau horaire" in naive.json["errors"]["started_at"][0]
    assert client.post(f"/api/v1/devices/{tag}/transition", json={"to": "grading"}, headers=tech).status_code == 200
    no_checklist = client.post(f"/api/v1/devices/{tag}/grading", json={"grade": "A"}, headers=tech)
    assert no_checklist.status_code == 422 and no_checklist.json["errors"]["checklist"] == ["Champ obligatoire."]
    graded = client.post(f"/api/v1/devices/{tag}/grading", headers=tech,
                         json={"checklist": passing_checklist("laptop"), "cosmetic": "A"})
    assert graded.status_code == 200 and graded.json["result"]["grade"] == "A"
    assert graded.json["result"]["failing"] == [] and graded.json["result"]["refurbished"] is True
    assert "in_stock" in graded.json["result"]["device"]["allowed"]


def test_grading_outside_quality_control_is_409(client, shop, tech, session):
    device = make_device(session, shop["collection"].id)
    answer = client.post(f"/api/v1/devices/{device.asset_tag}/grading", headers=tech,
                         json={"checklist": passing_checklist("laptop"), "cosmetic": "A"})
    assert answer.status_code == 409


def test_malformed_and_oversized_bodies(client, shop, tech, session):
    url = "/api/v1/devices"
    bad_json = client.post(url, data="{oops", headers={**tech, "Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json == {"message": "JSON mal formé : vérifiez la syntaxe du corps de la requête."}
    not_json = client.post(url, data="a=b", headers={**tech, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 400 and "Content-Type: application/json" in not_json.json["message"]
    array = client.post(url, json=[1, 2], headers=tech)
    assert array.status_code == 400 and array.json["message"] == "Un objet JSON est attendu ({…})."
    huge = client.post(url, data="x" * (3 * 1024 * 1024), headers={**tech, "Content-Type": "application/json"})
    assert huge.status_code == 413
    assert huge.json["message"] == "Corps de requête trop volumineux : 2048 Kio au plus."


def test_unknown_api_route_and_method_answer_json(client, session, tech):
    missing = client.get("/api/v1/nothing-here", headers=tech)
    assert missing.status_code == 404 and missing.json == {"message": "Ressource introuvable."}
    wrong = client.delete("/api/v1/devices/RK-000001", headers=tech)
    assert wrong.status_code == 405 and wrong.json["message"].startswith("Méthode HTTP")


def test_no_token_is_401_and_bad_token_401(client, session):
    answer = client.get("/api/v1/devices/RK-000001")
    assert answer.status_code == 401
    assert answer.json["message"].startswith("Authentification requise")
    forged = client.get("/api/v1/devices/RK-000001", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401 and forged.json == {"message": "Jeton d'authentification invalide."}


def test_distributed_cannot_be_reached_through_the_api(client, shop, tech, session):
    device = make_device(session, shop["collection"].id)
    advance(session, device, "reserved")
    answer = client.post(f"/api/v1/devices/{device.asset_tag}/transition", json={"to": "distributed"}, headers=tech)
    assert answer.status_code == 409 and answer.json["allowed"] == []  # only the reservation services release it


def test_login_api_answers_in_french(client, session):
    wrong = client.post("/api/v1/security/login", json={"username": "technicien", "password": "nope", "provider": "db"})
    assert wrong.status_code == 401
    assert wrong.json == {"message": "Identifiant ou mot de passe incorrect, ou compte désactivé."}
    missing = client.post("/api/v1/security/login", json={"username": "technicien"})
    assert missing.status_code == 400 and missing.json["message"].startswith("Identifiants incomplets")
