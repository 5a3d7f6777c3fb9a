"""POST /api/v1/scan: a put-away goes on whatever the station (issue 16, defect 6)."""
from __future__ import annotations

import pytest

from tests.helpers import advance, bearer, make_device, make_workshop


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_put_away_at_the_wiping_station_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id)
    advance(session, device, "in_stock")
    tag = device.asset_tag
    start = client.post("/api/v1/scan", json={"code": "LOC-LAM-A01", "station": "wiping"}, headers=tech)
    assert start.status_code == 200 and start.json["putaway"]["code"] == "LOC-LAM-A01"
    answer = client.post("/api/v1/scan", json={"code": tag, "station": "wiping"}, headers=tech)
    assert answer.status_code == 200
    body = answer.json
    assert body["message"] == (f"{tag} rangé dans LOC-LAM-A01 ; il reste « En stock » "
                               "(le passage à « Effacement » ne s'applique pas à cet état).")
    assert (body["level"], body["applied"], body["moved_to"]) == ("ok", None, "LOC-LAM-A01")
    assert body["device"]["state"] == "in_stock" and body["device"]["location"]["code"] == "LOC-LAM-A01"
    assert body["device"]["events"][-1]["kind"] == "move"
    # The device sheet agrees.
    sheet = client.get(f"/api/v1/devices/{tag}", headers=tech).json["result"]
    assert (sheet["state"], sheet["location"]["code"]) == ("in_stock", "LOC-LAM-A01")


def test_put_away_with_a_transition_allowed_over_http(client, shop, session):
    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id)
    client.post("/api/v1/scan", json={"code": "LOC-LAM-B02", "station": "wiping"}, headers=tech)
    body = client.post("/api/v1/scan", json={"code": device.asset_tag, "station": "wiping"}, headers=tech).json
    assert body["applied"] == {"from": "received", "to": "wiping"} and body["moved_to"] == "LOC-LAM-B02"
    assert body["message"] == f"{device.asset_tag} : Réceptionné → Effacement. Rangé dans LOC-LAM-B02."
