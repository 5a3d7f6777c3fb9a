"""POST /api/v1/scan over the test client: JSON shape, station modes, double scans, CSRF."""
from __future__ import annotations

import pytest

from tests.helpers import bearer, login, make_device, make_workshop, passing_checklist


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_scan_a_device_returns_card_and_allowed_states(client, shop, session):
    device = make_device(session, shop["collection"].id, serial_number="5CD9")
    answer = client.post("/api/v1/scan", json={"code": "]C05cd9\r"}, headers=bearer(client, "technicien"))
    assert answer.status_code == 200
    body = answer.json
    assert body["kind"] == "device" and body["code"] == "5CD9"
    assert body["device"]["asset_tag"] == device.asset_tag
    assert body["device"]["events"][0]["kind"] == "received"
    assert body["allowed"] == ["wiping"] and body["applied"] is None
    assert body["level"] == "ok" and body["repeat"] is False


def test_station_mode_and_refusal_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id)
    refused = client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "stock"}, headers=tech)
    assert refused.status_code == 200 and refused.json["level"] == "error" and refused.json["applied"] is None
    # Another code in between: the next scan of the device is not a repeat.
    client.post("/api/v1/scan", json={"code": shop["bin_a"].code}, headers=tech)
    applied = client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "wiping"}, headers=tech)
    assert applied.json["applied"] == {"from": "received", "to": "wiping"}
    assert applied.json["moved_to"] == "LOC-LAM-A01"
    assert applied.json["putaway"]["code"] == "LOC-LAM-A01"


def test_double_scan_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id)
    first = client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "wiping"}, headers=tech)
    second = client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "wiping"}, headers=tech)
    assert first.json["applied"] is not None
    assert second.json["repeat"] is True and second.json["applied"] is None
    assert second.json["message"].startswith("Lecture en double ignorée")


def test_location_and_collection_answers(client, shop, session):
    tech = bearer(client, "technicien")
    location = client.post("/api/v1/scan", json={"code": "loc-lam-b02"}, headers=tech).json
    assert location["kind"] == "location" and location["location"]["code"] == "LOC-LAM-B02"
    make_device(session, shop["collection"].id)
    collection = client.post("/api/v1/scan", json={"code": shop["collection"].reference}, headers=tech).json
    assert collection["kind"] == "collection"
    assert collection["collection"]["registered_count"] == 1 and collection["collection"]["declared_count"] == 10


def test_unknown_code_and_bad_input(client, shop, session):
    tech = bearer(client, "technicien")
    unknown = client.post("/api/v1/scan", json={"code": "NOPE-1"}, headers=tech)
    assert unknown.status_code == 404 and "inconnu" in unknown.json["message"]
    empty = client.post("/api/v1/scan", json={"code": ""}, headers=tech)
    assert empty.status_code == 422 and "code" in empty.json["errors"]
    station = client.post("/api/v1/scan", json={"code": "X", "station": "bar"}, headers=tech)
    assert station.status_code == 422 and "Poste inconnu" in station.json["errors"]["station"][0]


def test_browser_session_needs_the_csrf_header(client, shop, session):
    token = login(client, "technicien")
    device = make_device(session, shop["collection"].id)
    without = client.post("/api/v1/scan", json={"code": device.asset_tag})
    assert without.status_code == 400 and without.json["message"].startswith("Jeton CSRF manquant")
    with_header = client.post("/api/v1/scan", json={"code": device.asset_tag}, headers={"X-CSRFToken": token})
    assert with_header.status_code == 200
    reading = client.get(f"/api/v1/devices/{device.asset_tag}")
    assert reading.status_code == 200  # reads need no token


def test_keyboard_only_path_from_scan_to_stock(client, shop, session):
    """What the station's keys send: scan at wiping, record the erasure, scan at quality
    control, grade with a key, scan at stock."""
    token = login(client, "technicien")
    headers = {"X-CSRFToken": token}
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag
    assert client.post("/api/v1/scan", json={"code": tag, "station": "wiping"}, headers=headers).json["applied"]
    card = client.get(f"/api/v1/devices/{tag}").json["result"]
    medium = card["storage"][0]
    assert client.post(f"/api/v1/devices/{tag}/erasures", headers=headers, json={
        "medium_serial": medium["serial_number"], "level": "purge", "technique": "ata-secure-erase",
        "result": "pass", "verified": True}).status_code == 201
    client.post("/api/v1/scan", json={"code": shop["bin_a"].code}, headers=headers)
    client.post("/api/v1/scan", json={"code": shop["bin_a"].code}, headers=headers)  # end put-away
    assert client.post("/api/v1/scan", json={"code": tag, "station": "grading"}, headers=headers).json["applied"]
    assert client.post(f"/api/v1/devices/{tag}/grading", headers=headers,
                       json={"checklist": passing_checklist("laptop"), "cosmetic": "B"}).status_code == 200
    client.post("/api/v1/scan", json={"code": shop["bin_b"].code}, headers=headers)
    final = client.post("/api/v1/scan", json={"code": tag, "station": "stock"}, headers=headers).json
    assert final["applied"] == {"from": "grading", "to": "in_stock"}
    assert final["device"]["state"] == "in_stock" and final["device"]["location"]["code"] == "LOC-LAM-B02"
