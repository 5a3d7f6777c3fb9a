"""Recognising posted snapshots: the three fixtures of the same Dell Latitude 5490 (workbench-script,
its legacy mode, Rekonekt's own format), the refused forms and the content hash.

Pure tests: no application, no database.
"""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from core.vocabulary import Category
from inventory.snapshots.envelopes import (
    NO_SERIAL, REMOVABLE, UNREADABLE, Ignored, Snapshot, needs_review, parse_snapshot)
from inventory.vocabulary import MediumKind

from .helpers import load, refused

FORMATS = {"workbench-script": "workbench_script", "workbench-legacy": "workbench_legacy",
           "rekonekt": "rekonekt_snapshot"}


def essentials(snapshot: Snapshot):
    """What the snapshot says of the machine; a disk's position in its list depends on the tool."""
    return (snapshot.system, snapshot.chassis_type, snapshot.category, snapshot.processor, snapshot.memory_gb,
            tuple(replace(disk, position=0) for disk in snapshot.disks))


def rekonekt(**changes) -> dict:
    data = load("rekonekt_snapshot")
    data.update(changes)
    return data


def workbench() -> dict:
    return load("workbench_script")


@pytest.mark.parametrize(("source", "fixture"), FORMATS.items())
def test_each_format_gives_the_laptop(source, fixture):
    snapshot = parse_snapshot(load(fixture))
    assert snapshot.source == source
    assert (snapshot.serial_number, snapshot.system.maker, snapshot.system.model) == ("RK7TEST", "Dell Inc.", "Latitude 5490")
    assert (snapshot.category, snapshot.processor, snapshot.memory_gb) == (
        Category.LAPTOP, "Intel Core i5-8350U", Decimal("16.0"))
    assert [(d.serial_number, d.model, d.capacity_gb, d.kind) for d in snapshot.disks] == [
        ("S3YJNX0RK10001A", "Samsung SSD 860 EVO 250GB", Decimal("250.1"), MediumKind.SSD),
        ("WD-WX21ARK20002", "WDC WD5000LPCX-24C6HT0", Decimal("500.1"), MediumKind.HDD),
        ("BTNH9RK0000312A", "INTEL SSDPEKNW512G8", Decimal("512.1"), MediumKind.NVME)]
    assert [d.serial_number for d in snapshot.disks_to_replace] == ["WD-WX21ARK20002"]


def test_all_formats_give_the_same_essentials():
    snapshots = [parse_snapshot(load(fixture)) for fixture in FORMATS.values()]
    assert len({essentials(snapshot) for snapshot in snapshots}) == 1


def test_workbench_script_details():
    snapshot = parse_snapshot(workbench())
    assert (snapshot.uuid, snapshot.software_version, snapshot.collection) == (
        "5b0e9d7c-3f41-4c2a-9a57-0d6f1e2b7c11", "0.0.1", None)
    # 10:07 on the booted machine, read as Martinique time (UTC−4)
    assert snapshot.collected_at == datetime(2026, 12, 4, 14, 7, 12, 481903, tzinfo=timezone.utc)
    assert snapshot.ignored == (
        Ignored(3, REMOVABLE, "/dev/sdc", "SanDisk Cruzer Blade", "4C530001RK0914"),
        Ignored(5, UNREADABLE, "/dev/zram0"), Ignored(6, UNREADABLE))
    assert snapshot.ignored[0].message.startswith("support amovible (USB)")
    # None of them is one of the machine's disks: nothing for a person to decide.
    assert [item.needs_review for item in snapshot.ignored] == [False, False, False]
    assert (snapshot.battery.health_percent, snapshot.battery.cycle_count, snapshot.battery.source) == (
        Decimal("87.0"), 312, "inxi")


def test_workbench_smartctl_as_a_list_and_without_inxi():
    data = workbench()
    data["data"]["smartctl"] = json.loads(data["data"]["smartctl"])
    data["data"]["inxi"] = ""
    snapshot = parse_snapshot(data)
    assert essentials(snapshot) == essentials(parse_snapshot(workbench()))
    assert snapshot.battery is None
    # without inxi the stick is still recognised as removable by smartctl itself
    assert snapshot.ignored[0].reason == REMOVABLE


def test_legacy_details():
    snapshot = parse_snapshot(load("workbench_legacy"))
    assert (snapshot.software_version, snapshot.battery, snapshot.batteries) == ("dev", None, ())
    assert snapshot.collected_at == datetime(2026, 12, 4, 14, 9, 40, 118220, tzinfo=timezone.utc)
    data = load("workbench_legacy")
    data["data"]["disks"] = data["data"].pop("smart")
    data["data"].pop("lshw")
    data["data"]["lshw"] = "{}"
    assert parse_snapshot(data).disks == snapshot.disks


def test_rekonekt_details():
    snapshot = parse_snapshot(rekonekt())
    assert (snapshot.uuid, snapshot.software_version, snapshot.collection) == (
        "9f3c2e1a-7b6d-4c5e-8f90-a1b2c3d4e5f6", "rekonekt-collect 1.0", "COL-2026-0042")
    assert snapshot.collected_at == datetime(2026, 12, 4, 14, 11, 5, tzinfo=timezone.utc)
    assert snapshot.ignored == ()
    assert (snapshot.battery.name, snapshot.battery.health_percent, snapshot.battery.source) == (
        "BAT0", Decimal("87.0"), "sysfs")
    assert parse_snapshot(rekonekt(collection=None)).collection is None
    assert parse_snapshot(rekonekt(collection=42)).collection == "42"


def test_rekonekt_usb_disk_from_lsblk_is_ignored():
    data = rekonekt()
    stick = load("smartctl_usb_stick")
    stick["device"] = {"name": "/dev/sdc", "info_name": "/dev/sdc [SAT]", "type": "sat", "protocol": "ATA"}
    stick["smart_support"] = {"available": True}
    data["smartctl"].append(stick)                    # looks internal to smartctl: lsblk says usb
    assert parse_snapshot(data).ignored == (Ignored(4, REMOVABLE, "/dev/sdc", "SanDisk Cruzer Blade", "4C530001RK0914"),)


def test_rekonekt_peripheral_battery_is_left_out():
    data = rekonekt()
    data["battery"].insert(0, {"name": "hidpp_battery_0", "type": "Battery", "scope": "Device", "capacity": "90"})
    assert [b.name for b in parse_snapshot(data).batteries] == ["BAT0"]


def test_disk_without_serial_is_set_aside_for_review():
    data = rekonekt()
    del data["smartctl"][1]["serial_number"]
    snapshot = parse_snapshot(data)
    assert [d.serial_number for d in snapshot.disks] == ["S3YJNX0RK10001A", "BTNH9RK0000312A"]
    assert snapshot.ignored == (Ignored(2, NO_SERIAL, "/dev/sdb", "WDC WD5000LPCX-24C6HT0", None),)
    assert "numéro de série" in snapshot.ignored[0].message


def test_same_disk_twice_is_kept_once():
    data = rekonekt()
    data["smartctl"].append(copy.deepcopy(data["smartctl"][0]))
    assert [i.reason for i in parse_snapshot(data).ignored] == ["duplicate"]


# --- Content hash -------------------------------------------------------------------------------

def test_hash_ignores_uuid_date_and_format():
    first = parse_snapshot(rekonekt())
    again = parse_snapshot(rekonekt(uuid="0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b", collected_at="2026-12-05T09:00:00Z"))
    assert first.uuid != again.uuid and first.content_hash == again.content_hash
    assert parse_snapshot(workbench()).content_hash == first.content_hash      # inxi's 87.0 % like sysfs
    assert len(first.content_hash) == 64


def test_hash_changes_when_a_disk_changes():
    first = parse_snapshot(rekonekt()).content_hash
    swapped = rekonekt()
    swapped["smartctl"][0]["serial_number"] = "S3YJNX0RK10099Z"
    assert parse_snapshot(swapped).content_hash != first
    removed = rekonekt()
    del removed["smartctl"][2]
    assert parse_snapshot(removed).content_hash != first
    worse = rekonekt()
    worse["smartctl"][1]["ata_smart_attributes"]["table"][1]["raw"]["value"] = 105
    assert parse_snapshot(worse).content_hash != first


def test_hash_changes_with_memory_and_battery():
    first = parse_snapshot(rekonekt()).content_hash
    assert parse_snapshot(rekonekt(dmidecode=rekonekt()["dmidecode"].replace("Size: 8 GB", "Size: 4 GB", 1))
                          ).content_hash != first
    worn = rekonekt()
    worn["battery"][0]["energy_full"] = "30000000"
    assert parse_snapshot(worn).content_hash != first


# --- Refusals -----------------------------------------------------------------------------------

def test_no_system_serial_is_refused():
    data = rekonekt(dmidecode=rekonekt()["dmidecode"].replace("Serial Number: RK7TEST", "Serial Number: To Be Filled By O.E.M.", 1))
    message = refused(parse_snapshot, data)["dmidecode"][0]
    assert "numéro de série du système" in message


@pytest.mark.parametrize("dmidecode", [None, "", "   ", 12])
def test_no_dmidecode_is_refused(dmidecode):
    assert "dmidecode" in refused(parse_snapshot, rekonekt(dmidecode=dmidecode))


def test_unreadable_smartctl_json_is_refused():
    data = workbench()
    data["data"]["smartctl"] = data["data"]["smartctl"][:-20]
    assert refused(parse_snapshot, data) == {"smartctl": ["liste des disques (smartctl) : JSON illisible."]}
    data = workbench()
    entries = json.loads(data["data"]["smartctl"])
    entries[1] = '{"model_name": "WDC'
    data["data"]["smartctl"] = entries
    assert refused(parse_snapshot, data) == {
        "smartctl": ["disque n° 2 : sortie de smartctl illisible (JSON attendu)."]}
    entries[1] = 42
    assert refused(parse_snapshot, data) == {
        "smartctl": ["disque n° 2 : la sortie de smartctl n'est pas un objet JSON."]}
    assert "smartctl" in refused(parse_snapshot, rekonekt(smartctl={"sda": {}}))
    assert "trop de disques" in refused(parse_snapshot, rekonekt(smartctl=[{}] * 65))["smartctl"][0]


def test_legacy_bad_disk_list_names_its_key():
    data = load("workbench_legacy")
    data["data"]["smart"] = "[{"
    assert refused(parse_snapshot, data) == {"smart": ["liste des disques (smartctl) : JSON illisible."]}


@pytest.mark.parametrize(("data", "field", "words"), [
    ([], "snapshot", "objet JSON"),
    ({}, "snapshot", "non reconnu"),
    ({"type": "Snapshot", "software": "Workbench", "version": "11.0"}, "snapshot", "non reconnu"),
    ({"type": "RekonektSnapshot", "version": 2}, "version", "version 2"),
    ({"type": "RekonektSnapshot", "version": True}, "version", "(1 attendue)"),
    ({"@context": [], "type": ["VerifiableCredential"], "credentialSubject": {}}, "snapshot", "signé"),
    ({"software": "workbench-script", "data": "x"}, "data", "objet JSON"),
    ({"software": "workbench-script", "data": {"snapshot_type": "Display"}}, "snapshot", "« Display »"),
    ({"software": "workbench-script", "data": {"snapshot_type": "Disk"}}, "snapshot", "« Disk »"),
])
def test_refused_forms(data, field, words):
    errors = refused(parse_snapshot, data)
    assert list(errors) == [field] and words in errors[field][0]


@pytest.mark.parametrize("value", [None, "", "pas-un-uuid", 12, "5b0e9d7c" * 10])
def test_bad_uuid_is_refused(value):
    assert "uuid" in refused(parse_snapshot, rekonekt(uuid=value))


@pytest.mark.parametrize("value", [None, "", "hier", "2026-13-01T00:00:00Z", 1764850000])
def test_bad_date_is_refused(value):
    assert "collected_at" in refused(parse_snapshot, rekonekt(collected_at=value))


def test_rekonekt_date_needs_its_zone():
    message = refused(parse_snapshot, rekonekt(collected_at="2026-12-04T14:11:05"))["collected_at"][0]
    assert "« Z »" in message
    assert parse_snapshot(rekonekt(collected_at="2026-12-04T10:11:05-04:00")).collected_at == datetime(
        2026, 12, 4, 14, 11, 5, tzinfo=timezone.utc)


def test_workbench_dates():
    data = workbench()
    data["timestamp"] = "2026-07-14 08:00:00"                  # no microseconds: Python omits them
    assert parse_snapshot(data).collected_at == datetime(2026, 7, 14, 12, 0, tzinfo=timezone.utc)
    data["timestamp"] = "2026/07/14"
    assert "timestamp" in refused(parse_snapshot, data)


def test_bad_battery_list_is_refused():
    assert "battery" in refused(parse_snapshot, rekonekt(battery={"BAT0": {}}))
    assert refused(parse_snapshot, rekonekt(battery=["BAT0"])) == {
        "battery": ["batterie n° 1 : un objet JSON est attendu (fichier → contenu)."]}
    assert parse_snapshot(rekonekt(battery=None)).battery is None


@pytest.mark.parametrize("reason, name, review", [
    (NO_SERIAL, "/dev/sdb", True), (NO_SERIAL, None, True),
    (UNREADABLE, "/dev/sda", True), (UNREADABLE, "/dev/nvme0n1", True), (UNREADABLE, "/dev/mmcblk0", True),
    (UNREADABLE, "/dev/zram0", False), (UNREADABLE, "/dev/loop3", False), (UNREADABLE, "/dev/sr0", False),
    (UNREADABLE, "/dev/md127", False), (UNREADABLE, "/dev/dm-0", False), (UNREADABLE, None, False),
    (REMOVABLE, "/dev/sdc", False), ("duplicate", "/dev/sdb", False),
])
def test_only_what_may_be_the_machines_own_disk_waits_for_a_person(reason, name, review):
    assert needs_review(reason, name) is review


def test_workbench_usb_disk_from_inxi_is_ignored():
    data = workbench()
    entries = json.loads(data["data"]["smartctl"])
    entries[2]["device"] = {"name": "/dev/sdc", "info_name": "/dev/sdc [SAT]", "type": "sat", "protocol": "ATA"}
    entries[2]["smart_support"] = {"available": True}     # looks internal to smartctl: inxi says USB
    data["data"]["smartctl"] = json.dumps(entries)
    assert parse_snapshot(data).ignored[0] == Ignored(3, REMOVABLE, "/dev/sdc", "SanDisk Cruzer Blade", "4C530001RK0914")
    data["data"]["inxi"] = ""
    assert "WD-WX21ARK20002" in [d.serial_number for d in parse_snapshot(data).disks]
    assert "4C530001RK0914" in [d.serial_number for d in parse_snapshot(data).disks]
