"""The stocktake API (issue 19) over HTTP: open, count at the station, close, result, apply once,
cancel; French refusals with the right status; the workshop's roles only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inventory.models import DeviceEvent
from inventory.services.transitions import move
from tests.helpers import bearer, make_device, make_workshop


@pytest.fixture
def shop(session):
    shop = make_workshop(session)
    shop["devices"] = {}
    for key in ("bin_a", "bin_b"):
        shop["devices"][key] = []
        for _ in range(3):
            device = make_device(session, shop["collection"].id)
            move(session, device.asset_tag, shop[key].code)
            shop["devices"][key].append(device.asset_tag)
    return shop


def scan(client, headers, code, **extra):
    return client.post("/api/v1/stocktakes/scan", json={"code": code, **extra}, headers=headers)


def test_open_count_close_result_apply_once(client, session, shop):
    tech = bearer(client, "technicien")
    a, b = shop["bin_a"].code, shop["bin_b"].code
    opened = client.post("/api/v1/stocktakes", json={"site": "LAM", "note": "Fin d'année"}, headers=tech)
    assert opened.status_code == 201, opened.json
    stocktake = opened.json["result"]
    assert stocktake["reference"].startswith("INV-") and stocktake["status_label"] == "En cours"
    assert [(p["code"], p["status"]) for p in stocktake["locations"]] == [(a, "pending"), (b, "pending")]
    sid = stocktake["id"]

    started = scan(client, tech, a)
    assert started.status_code == 200 and started.json["outcome"] == "location"
    assert started.json["location"]["code"] == a and started.json["expected_here"] == 3
    first = scan(client, tech, shop["devices"]["bin_a"][0])
    assert (first.json["outcome"], first.json["level"], first.json["counted_here"]) == ("found", "ok", 1)
    moved = scan(client, tech, shop["devices"]["bin_b"][0])
    assert moved.json["outcome"] == "moved_in" and f"enregistré dans {b}" in moved.json["message"]
    assert scan(client, tech, "RK-777777").json["outcome"] == "unknown"
    repeat = scan(client, tech, shop["devices"]["bin_a"][0])
    assert repeat.json["outcome"] == "repeat" and repeat.json["level"] == "info"
    nxt = scan(client, tech, b)
    assert nxt.json["closed"]["code"] == a and nxt.json["closed"]["status"] == "closed"
    for tag in shop["devices"]["bin_b"][1:]:
        scan(client, tech, tag)

    early = client.post(f"/api/v1/stocktakes/{sid}/apply", headers=tech)
    assert early.status_code == 409 and b in early.json["message"]
    closed = client.post(f"/api/v1/stocktakes/{sid}/locations/{b}/close", headers=tech)
    assert closed.status_code == 200 and closed.json["result"]["status_label"] == "Clos"

    result = client.get(f"/api/v1/stocktakes/{sid}/result", headers=tech).json["result"]
    assert {(f["code"], f["expected"], f["found"], f["moved_in"], f["moved_out"], f["unexpected"], f["missing"])
            for f in result["locations"]} == {(a, 3, 1, 1, 0, 1, 2), (b, 3, 2, 0, 1, 0, 0)}
    assert result["total"]["accuracy"] == "0.5000" and result["unknown"] == [{"location": a, "code": "RK-777777"}]
    assert sorted(m["asset_tag"] for m in result["missing"]) == sorted(shop["devices"]["bin_a"][1:])

    before = session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one()
    applied = client.post(f"/api/v1/stocktakes/{sid}/apply", headers=tech)
    assert applied.status_code == 200, applied.json
    assert {k: applied.json["result"][k] for k in ("moves", "missing", "already_applied")} == {
        "moves": 1, "missing": 2, "already_applied": False}
    assert applied.json["message"].startswith(f"Inventaire {stocktake['reference']} appliqué : 1 déplacement(s), 2 manquant(s)")
    again = client.post(f"/api/v1/stocktakes/{sid}/apply", headers=tech)
    assert again.status_code == 200 and again.json["result"]["already_applied"]
    assert "déjà appliqué" in again.json["message"]
    assert session.execute(select(func.count()).select_from(DeviceEvent)).scalar_one() == before + 1
    listed = client.get("/api/v1/stocktakes?status=applied", headers=tech).json
    assert [s["id"] for s in listed["result"]] == [sid] and listed["count"] == 1


def test_parts_by_quantity_and_a_blind_count_over_http(client, session, shop):
    from inventory.services.repairs import add_stock

    part = add_stock(session, part_type="ram", description="Barrette 8 Go", location=shop["bin_a"].code, quantity=4)
    admin = bearer(client, "admin")
    client.post("/api/v1/stocktakes", json={"site": shop["site"].id, "locations": [shop["bin_a"].code],
                                            "blind": True}, headers=admin)
    opened = scan(client, admin, shop["bin_a"].code).json
    assert opened["expected_here"] is None and opened["stocktake"]["blind"] is True
    unit = scan(client, admin, f"SP-{part.id:06d}").json
    assert (unit["part_quantity"], unit["asks_quantity"]) == (1, True)
    typed = scan(client, admin, f"SP-{part.id:06d}", quantity=4).json
    assert typed["part_quantity"] == 4
    blind = scan(client, admin, shop["devices"]["bin_b"][0]).json
    assert blind["outcome"] == "moved_in" and blind["level"] == "ok" and blind["message"].endswith("compté.")


@pytest.mark.parametrize("body,field", [
    ({}, "site"), ({"site": True}, "site"), ({"site": "LAM", "blind": "oui"}, "blind"),
    ({"site": "LAM", "locations": "LOC-LAM-A01"}, "locations"), ({"site": "LAM", "extra": 1}, "extra"),
    ({"site": "ZZZ"}, "site"), ({"site": "LAM", "locations": ["LOC-NOPE"]}, "locations"),
])
def test_bad_input_to_open_is_a_french_422_naming_the_field(client, shop, body, field):
    answer = client.post("/api/v1/stocktakes", json=body, headers=bearer(client, "technicien"))
    assert answer.status_code == 422 and field in answer.json["errors"], answer.json
    assert not answer.json["message"].startswith(field)


def test_refusals_of_the_other_routes(client, shop):
    tech = bearer(client, "technicien")
    assert client.post("/api/v1/stocktakes", data="{", headers={**tech, "Content-Type": "application/json"}).status_code == 400
    assert scan(client, tech, "").status_code == 422
    assert scan(client, tech, shop["devices"]["bin_a"][0]).json["errors"] == {
        "code": ["Scannez d'abord l'emplacement à compter (étiquette LOC-…)."]}
    nowhere = scan(client, tech, shop["bin_a"].code)
    assert nowhere.status_code == 404 and "aucun inventaire en cours" in nowhere.json["message"]
    assert scan(client, tech, "SP-000001", quantity=-2).status_code == 422
    assert client.get("/api/v1/stocktakes/999", headers=tech).status_code == 404
    assert client.get("/api/v1/stocktakes?status=x", headers=tech).status_code == 422
    sid = client.post("/api/v1/stocktakes", json={"site": "LAM"}, headers=tech).json["result"]["id"]
    assert client.post(f"/api/v1/stocktakes/{sid}/cancel", json={}, headers=tech).status_code == 422
    cancelled = client.post(f"/api/v1/stocktakes/{sid}/cancel", json={"reason": "Mauvais site"}, headers=tech)
    assert cancelled.status_code == 200 and cancelled.json["result"]["status_label"] == "Annulé"
    assert client.post(f"/api/v1/stocktakes/{sid}/apply", headers=tech).status_code == 409
    assert client.post(f"/api/v1/stocktakes/{sid}/locations/LOC-NOPE/close", headers=tech).status_code == 409


@pytest.mark.parametrize("role", ["agent.cacem", "partenaire", "prescripteur", "animateur"])
def test_only_the_workshop_may_use_stocktakes(client, shop, role):
    headers = bearer(client, role)
    assert client.get("/api/v1/stocktakes", headers=headers).status_code == 403
    assert client.post("/api/v1/stocktakes", json={"site": "LAM"}, headers=headers).status_code == 403
