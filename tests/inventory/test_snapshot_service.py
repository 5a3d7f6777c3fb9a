"""Receiving hardware snapshots (issue 17): registration, completion, repetitions, the queue."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from core.actor import Actor
from core.errors import ValidationFailed
from inventory.models import Device, DeviceSnapshot, ErasureRecord, StorageMedium
from inventory.services import snapshots as snapshot_module
from inventory.services.snapshots import queued_snapshots, receive_snapshot
from tests.concurrency import meet_after_first_call
from tests.inventory.snapshots.helpers import load
from tests.helpers import make_device, sanitise

STATION = Actor(None, "Poste de réception Lamentin", frozenset())
SERIAL = "RK7TEST"


def snapshot(name: str = "workbench_script") -> dict:
    return load(name)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def laptop(session) -> Device:
    session.expire_all()
    return session.execute(select(Device).where(Device.serial_number == SERIAL)).scalar_one()


def test_a_workbench_snapshot_registers_the_laptop_with_its_disks_and_their_health(session, shop):
    record, outcome = receive_snapshot(session, STATION, snapshot(), shop["collection"].reference,
                                       station_token_id=7)
    assert outcome == "registered" and record.status == "registered"
    device = laptop(session)
    assert (device.brand, device.model, device.category, device.cpu, device.ram_gb) == (
        "Dell Inc.", "Latitude 5490", "laptop", "Intel Core i5-8350U", Decimal("16.0"))
    assert device.collection_id == shop["collection"].id and device.state == "received"
    media = {m.serial_number: m for m in device.media}
    assert {s: (m.kind, m.capacity_gb, m.needs_replacement) for s, m in media.items()} == {
        "S3YJNX0RK10001A": ("ssd", Decimal("250.1"), False),
        "WD-WX21ARK20002": ("hdd", Decimal("500.1"), True),
        "BTNH9RK0000312A": ("nvme", Decimal("512.1"), False),
    }
    hdd = media["WD-WX21ARK20002"]
    assert hdd.reallocated_sectors and hdd.reallocated_sectors > 0 and hdd.health_read_at is not None
    assert media["BTNH9RK0000312A"].nvme_percentage_used is not None
    # The record: summary, battery, raw kept, the stick and the junk entries listed, the station.
    assert (record.device_id, record.serial_number, record.battery_health) == (device.id, SERIAL, Decimal("87.0"))
    assert json.loads(record.raw)["uuid"] == snapshot()["uuid"]
    assert [i["reason"] for i in record.ignored] == ["removable", "unreadable", "unreadable"]
    assert [d["needs_replacement"] for d in record.disks] == [False, True, False]
    assert (record.station_token_id, record.station_name, record.posted_by_id) == (7, STATION.name, None)


def test_the_collection_may_be_named_by_its_id(session, shop):
    _, outcome = receive_snapshot(session, STATION, snapshot(), str(shop["collection"].id))
    assert outcome == "registered" and laptop(session).collection_id == shop["collection"].id


def test_posting_again_changes_nothing(session, shop):
    first, _ = receive_snapshot(session, STATION, snapshot(), shop["collection"].reference)
    version = laptop(session).version
    again, outcome = receive_snapshot(session, STATION, snapshot(), shop["collection"].reference)
    assert (again.id, outcome) == (first.id, "duplicate")
    renamed = snapshot()
    renamed["uuid"] = "11111111-2222-4333-8444-555555555555"
    renamed["timestamp"] = "2026-12-05 09:00:00"
    same, outcome = receive_snapshot(session, STATION, renamed, shop["collection"].reference)
    assert (same.id, outcome) == (first.id, "unchanged")
    assert count(session, DeviceSnapshot) == 1 and count(session, Device) == 1 and count(session, StorageMedium) == 3
    assert laptop(session).version == version


def test_the_legacy_and_rekonekt_snapshots_of_the_same_machine_complete_rather_than_duplicate(session, shop):
    receive_snapshot(session, STATION, snapshot(), shop["collection"].reference)
    legacy, outcome = receive_snapshot(session, STATION, snapshot("workbench_legacy"), shop["collection"].reference)
    # The same laptop, without battery: a new content, nothing new to fill in.
    assert (outcome, legacy.status, legacy.device_id) == ("unchanged", "unchanged", laptop(session).id)
    rekonekt = snapshot("rekonekt_snapshot")
    rekonekt["collection"] = shop["collection"].reference      # the Rekonekt format names it in the body
    record, outcome = receive_snapshot(session, STATION, rekonekt)
    assert outcome == "unchanged" and record.status == "registered"   # same content as the first
    assert count(session, Device) == 1 and count(session, StorageMedium) == 3 and count(session, DeviceSnapshot) == 2


def test_a_known_device_gets_its_specs_completed_and_its_missing_media_added(session, shop):
    device = make_device(session, shop["collection"].id, serial_number=SERIAL, brand="Dell", model="Latitude (saisi)",
                         storage=[{"kind": "ssd", "serial_number": "S3YJNX0RK10001A"},
                                  {"kind": "hdd", "serial_number": "OLD-DISK-1", "capacity_gb": 320}])
    sanitise(session, device)
    record, outcome = receive_snapshot(session, STATION, snapshot(), None)
    assert outcome == "completed" and record.device_id == device.id
    device = laptop(session)
    assert device.model == "Latitude (saisi)"           # typed by a technician: never overwritten
    assert (device.cpu, device.ram_gb) == ("Intel Core i5-8350U", Decimal("16.0"))
    media = {m.serial_number: m for m in device.media}
    assert sorted(media) == ["BTNH9RK0000312A", "OLD-DISK-1", "S3YJNX0RK10001A", "WD-WX21ARK20002"]
    erased = media["S3YJNX0RK10001A"]                   # it has an erasure record: untouched
    assert (erased.model, erased.capacity_gb, erased.health_read_at, erased.kind) == (None, None, None, "ssd")
    assert len(erased.erasures) == 1 and count(session, ErasureRecord) == 2
    assert media["WD-WX21ARK20002"].needs_replacement is True and media["WD-WX21ARK20002"].origin == "donated"


def test_a_medium_without_erasure_record_gets_its_health_and_missing_details(session, shop):
    make_device(session, shop["collection"].id, serial_number=SERIAL,
                storage=[{"kind": "hdd", "serial_number": "wd-wx21ark20002"}])
    receive_snapshot(session, STATION, snapshot(), None)
    hdd = next(m for m in laptop(session).media if m.serial_number == "WD-WX21ARK20002")
    assert (hdd.model, hdd.capacity_gb, hdd.needs_replacement) == ("WDC WD5000LPCX-24C6HT0", Decimal("500.1"), True)


def test_a_known_device_with_nothing_to_fill_is_unchanged(session, shop):
    receive_snapshot(session, STATION, snapshot("workbench_legacy"), shop["collection"].reference)
    record, outcome = receive_snapshot(session, STATION, snapshot(), None)
    assert (outcome, record.status) == ("unchanged", "unchanged") and count(session, DeviceSnapshot) == 2


def test_an_unknown_device_without_collection_waits_for_a_technician(session, shop):
    record, outcome = receive_snapshot(session, STATION, snapshot(), None)
    assert (outcome, record.status, record.device_id) == ("queued", "queued", None)
    assert "aucune collecte" in record.reason and count(session, Device) == 0
    assert [r.id for r in queued_snapshots(session)] == [record.id]
    renamed = snapshot()
    renamed["uuid"] = "11111111-2222-4333-8444-555555555555"
    again, outcome = receive_snapshot(session, STATION, renamed, None)
    assert (again.id, outcome) == (record.id, "duplicate") and count(session, DeviceSnapshot) == 1


def test_a_chassis_without_category_waits_for_a_technician(session, shop):
    data = snapshot()
    data["data"]["dmidecode"] = data["data"]["dmidecode"].replace("Type: Notebook", "Type: Docking Station")
    record, outcome = receive_snapshot(session, STATION, data, shop["collection"].reference)
    assert outcome == "queued" and "catégorie" in record.reason and count(session, Device) == 0


def test_disks_without_serial_number_are_listed_for_the_review_queue(session, shop):
    data = snapshot()
    disks = json.loads(data["data"]["smartctl"])
    disks[0].pop("serial_number")
    data["data"]["smartctl"] = json.dumps(disks)
    record, _ = receive_snapshot(session, STATION, data, shop["collection"].reference)
    assert "no-serial" in [i["reason"] for i in record.ignored]
    assert len(laptop(session).media) == 2


@pytest.mark.parametrize("change, field, words", [
    (lambda d: d["data"].update(dmidecode=d["data"]["dmidecode"].replace("Serial Number: RK7TEST",
                                                                         "Serial Number: Not Specified")),
     "dmidecode", "numéro de série du système"),
    (lambda d: d["data"].update(smartctl="[{not json"), "smartctl", "JSON illisible"),
])
def test_bad_snapshots_are_refused_in_french_and_nothing_is_written(session, shop, change, field, words):
    data = snapshot()
    change(data)
    with pytest.raises(ValidationFailed) as refused:
        receive_snapshot(session, STATION, data, shop["collection"].reference)
    assert field in refused.value.errors and words in refused.value.message
    assert count(session, DeviceSnapshot) == 0 and count(session, Device) == 0


def test_an_unknown_collection_is_refused_naming_the_collection(session, shop):
    with pytest.raises(ValidationFailed) as refused:
        receive_snapshot(session, STATION, snapshot(), "COL-1999-0001")
    assert "collection" in refused.value.errors and "Collecte « COL-1999-0001 » inconnue" in refused.value.message
    assert count(session, DeviceSnapshot) == 0


def test_a_snapshot_too_big_to_keep_is_refused(session, shop, monkeypatch):
    monkeypatch.setattr(snapshot_module, "RAW_MAX_CHARS", 1000)
    with pytest.raises(ValidationFailed) as refused:
        receive_snapshot(session, STATION, snapshot(), shop["collection"].reference)
    assert "trop volumineux" in refused.value.message


@pytest.mark.concurrency
def test_the_same_snapshot_posted_twice_at_once_registers_one_device(app, session, shop, race, monkeypatch):
    reference = shop["collection"].reference
    session.commit()
    contest = race(2)
    meet_after_first_call(monkeypatch, snapshot_module, "device_by_serial", contest)

    def attempt(index: int) -> str:
        contest.meet_at_start()
        return receive_snapshot(db.session, STATION, snapshot(), reference)[1]

    outcomes = contest.run(attempt)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert sorted(o.value for o in outcomes) == ["duplicate", "registered"]
    session.expire_all()
    assert count(session, Device) == 1 and count(session, DeviceSnapshot) == 1 and count(session, StorageMedium) == 3
