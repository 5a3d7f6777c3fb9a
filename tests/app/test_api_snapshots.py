"""POST /api/v1/snapshots (issue 17): a computer booted on a live USB stick registers itself."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.station_tokens import create_token
from inventory.models import Device, DeviceSnapshot, StorageMedium
from tests.inventory.conftest import shop  # noqa: F401 (the fixture)
from tests.inventory.test_snapshot_service import count, snapshot
from tests.helpers import bearer, make_device, sanitise

URL = "/api/v1/snapshots"


@pytest.fixture
def station(session):
    return {"Authorization": f"Bearer {create_token(session, 'Poste de réception Lamentin', created_by_id=None).secret}"}


def post(client, headers, body, collection=None):
    query = f"?collection={collection}" if collection else ""
    return client.post(URL + query, json=body, headers=headers)


def test_a_workbench_snapshot_with_a_station_token_registers_the_laptop(client, session, shop, station):
    answer = post(client, station, snapshot(), shop["collection"].reference)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    tag = body["asset_tag"]
    assert body["status"] == "registered" and body["dhid"] == tag
    assert body["message"].startswith(f"Appareil enregistré sous le numéro d'inventaire {tag}.")
    assert "Disque à remplacer : WD-WX21ARK20002" in body["message"]
    assert body["url"] == body["public_url"] and body["url"].startswith("https://rekonekt.test/devices/show/")
    device = body["device"]
    assert (device["brand"], device["model"], device["serial_number"], device["specs"]["cpu"],
            device["specs"]["ram_gb"]) == ("Dell Inc.", "Latitude 5490", "RK7TEST", "Intel Core i5-8350U", 16.0)
    assert sorted((m["serial_number"], m["kind"], m["capacity_gb"]) for m in device["storage"]) == [
        ("BTNH9RK0000312A", "nvme", 512.1), ("S3YJNX0RK10001A", "ssd", 250.1), ("WD-WX21ARK20002", "hdd", 500.1)]
    session.expire_all()
    flagged = session.execute(select(StorageMedium.serial_number).where(StorageMedium.needs_replacement)).scalars()
    assert list(flagged) == ["WD-WX21ARK20002"]
    record = session.execute(select(DeviceSnapshot)).scalar_one()
    assert (record.station_name, record.posted_by_id) == ("Poste de réception Lamentin", None)
    assert body["ignored"][0].startswith("disque n° 3 : support amovible")


def test_posting_again_changes_nothing(client, session, shop, station):
    first = post(client, station, snapshot(), shop["collection"].reference).get_json()
    again = post(client, station, snapshot(), shop["collection"].reference)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert again.get_json()["asset_tag"] == first["asset_tag"] and "déjà reçu le" in again.get_json()["message"]
    renamed = snapshot()
    renamed["uuid"] = "11111111-2222-4333-8444-555555555555"
    same = post(client, station, renamed, shop["collection"].reference)
    assert same.status_code == 200 and same.get_json()["status"] == "unchanged"
    assert count(session, Device) == 1 and count(session, DeviceSnapshot) == 1 and count(session, StorageMedium) == 3


def test_the_legacy_and_rekonekt_snapshots_complete_rather_than_duplicate(client, session, shop, station):
    first = post(client, station, snapshot("workbench_legacy"), shop["collection"].reference)
    assert first.status_code == 201
    rekonekt = snapshot("rekonekt_snapshot")
    rekonekt["collection"] = shop["collection"].reference
    answer = post(client, station, rekonekt)
    assert answer.status_code == 200 and answer.get_json()["asset_tag"] == first.get_json()["asset_tag"]
    assert count(session, Device) == 1 and count(session, StorageMedium) == 3 and count(session, DeviceSnapshot) == 2


def test_a_device_registered_by_hand_is_completed(client, session, shop, station):
    device = make_device(session, shop["collection"].id, serial_number="RK7TEST",
                         storage=[{"kind": "ssd", "serial_number": "S3YJNX0RK10001A"}])
    sanitise(session, device)
    answer = post(client, station, snapshot())
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "completed" and body["asset_tag"] == device.asset_tag
    assert body["device"]["specs"]["cpu"] == "Intel Core i5-8350U"
    media = {m["serial_number"]: m for m in body["device"]["storage"]}
    assert len(media) == 3 and media["S3YJNX0RK10001A"]["capacity_gb"] is None   # erased: untouched
    assert media["S3YJNX0RK10001A"]["sanitised"] is True


def test_an_unknown_device_without_collection_waits(client, session, shop, station):
    answer = post(client, station, snapshot())
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["status"] == "queued" and "aucune collecte indiquée" in body["message"]
    assert "asset_tag" not in body and count(session, Device) == 0


def test_no_system_serial_is_refused_in_french(client, session, shop, station):
    data = snapshot()
    data["data"]["dmidecode"] = data["data"]["dmidecode"].replace("Serial Number: RK7TEST", "Serial Number: ")
    answer = post(client, station, data, shop["collection"].reference)
    assert answer.status_code == 422
    assert "numéro de série du système absent" in answer.get_json()["message"]
    assert "dmidecode" in answer.get_json()["errors"] and count(session, DeviceSnapshot) == 0


def test_unreadable_smartctl_and_unknown_collection_are_refused_in_french(client, session, shop, station):
    data = snapshot()
    data["data"]["smartctl"] = "[{"
    answer = post(client, station, data, shop["collection"].reference)
    assert answer.status_code == 422 and "JSON illisible" in answer.get_json()["message"]
    answer = post(client, station, snapshot(), "COL-1999-0001")
    assert answer.status_code == 422 and "collection" in answer.get_json()["errors"]
    for body in ([1, 2], "texte"):
        answer = post(client, station, body)
        assert answer.status_code in (400, 422) and answer.get_json()["message"]


def test_a_technicien_token_works_and_an_agent_is_refused(client, session, shop, users):
    answer = post(client, bearer(client, "technicien"), snapshot(), shop["collection"].reference)
    assert answer.status_code == 201
    record = session.execute(select(DeviceSnapshot)).scalar_one()
    assert record.posted_by_id == users["technicien"] and record.station_token_id is None
    refused = post(client, bearer(client, "agent.cacem"), snapshot(), shop["collection"].reference)
    assert refused.status_code == 403
    assert post(client, {}, snapshot()).status_code == 401


def test_a_revoked_station_token_is_refused(client, session, shop):
    from app.station_tokens import revoke_token

    created = create_token(session, "Poste révoqué", created_by_id=None)
    revoke_token(session, created.token.id)
    answer = post(client, {"Authorization": f"Bearer {created.secret}"}, snapshot(), shop["collection"].reference)
    assert answer.status_code == 401 and count(session, Device) == 0


def test_absurd_figures_from_a_firmware_are_kept_out_never_a_server_error(client, session, shop, station):
    """A known device (the completion path writes the figures itself) and a new one: sizes,
    hours and counts beyond what a column holds are left unknown, never a 500."""
    data = snapshot()
    disks = json.loads(data["data"]["smartctl"])
    for disk in disks:
        if isinstance(disk, dict) and disk.get("serial_number"):
            disk["user_capacity"] = {"blocks": 10 ** 30, "bytes": 10 ** 30}
            disk["power_on_time"] = {"hours": 10 ** 20}
    data["data"]["smartctl"] = json.dumps(disks)
    make_device(session, shop["collection"].id, serial_number="RK7TEST", storage=[])
    answer = post(client, station, data)
    assert answer.status_code == 200, answer.get_json()
    session.expire_all()
    media = session.execute(select(StorageMedium)).scalars().all()
    sata = {m.serial_number: (m.capacity_gb, m.power_on_hours) for m in media if m.kind != "nvme"}
    assert len(media) == 3 and sata == {"S3YJNX0RK10001A": (None, None), "WD-WX21ARK20002": (None, None)}
    fresh = snapshot()
    fresh["data"]["smartctl"] = data["data"]["smartctl"]
    fresh["data"]["dmidecode"] = fresh["data"]["dmidecode"].replace("Serial Number: RK7TEST", "Serial Number: RK8NEW")
    fresh["uuid"] = "11111111-2222-4333-8444-555555555555"
    assert post(client, station, fresh, shop["collection"].reference).status_code == 201


def test_the_device_sheet_flags_the_disk_to_replace_with_what_was_read(client, session, shop, station):
    from tests.helpers import login
    from tests.app.test_error_pages import visible

    body = post(client, station, snapshot(), shop["collection"].reference).get_json()
    login(client, "technicien")
    page = client.get(f"/devices/show/{body['device']['id']}")
    assert page.status_code == 200
    text = visible(page)
    sheet, summary = text.split("Instantané matériel", 1)
    assert sheet.count("Disque à remplacer") == 2, text   # in the sheet's heading and on the HDD's row
    assert summary.count("Disque à remplacer") == 1, text  # and on the HDD's line of the snapshot's summary
    row = text[text.index("WD-WX21ARK20002") - 400:text.index("WD-WX21ARK20002")]
    assert "Secteurs réalloués : 104" in row and "Secteurs en attente : 16" in row and "SMART : réussi" in row
    assert "Usure NVMe : 7 %" in text and "Lu le " in text


def test_the_scan_station_flags_the_disk_to_replace(client, session, shop, station):
    from tests.helpers import login

    body = post(client, station, snapshot(), shop["collection"].reference).get_json()
    token = login(client, "technicien")
    answer = client.post("/api/v1/scan", json={"code": body["asset_tag"]}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_json()
    storage = answer.get_json()["device"]["storage"]
    assert {m["serial_number"]: m["needs_replacement"] for m in storage} == {
        "WD-WX21ARK20002": True, "S3YJNX0RK10001A": False, "BTNH9RK0000312A": False}
    page = client.get("/scan/").get_data(as_text=True)
    assert '"disk_replace": "Disque à remplacer"' in page or '"disk_replace": "Disque \\u00e0 remplacer"' in page
