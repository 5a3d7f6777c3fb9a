"""Reading ``smartctl -x --json`` objects: the fixtures (SATA SSD, HDD with reallocated and pending
sectors, NVMe, USB stick, an entry smartctl could not read) and variants of them.

Pure tests: no application, no database.
"""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from inventory.snapshots.smartctl import Disk, parse_smartctl
from inventory.vocabulary import MediumKind

from .helpers import load, refused

SSD, HDD, NVME = load("smartctl_sata_ssd"), load("smartctl_hdd_reallocated"), load("smartctl_nvme")


def variant(data: dict, **changes) -> dict:
    """``data`` with top-level keys replaced (None: removed)."""
    changed = copy.deepcopy(data)
    for key, value in changes.items():
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed


def test_sata_ssd():
    assert parse_smartctl(SSD, 1) == Disk(
        position=1, device_name="/dev/sda", device_type="sat", protocol="ATA", model="Samsung SSD 860 EVO 250GB",
        serial_number="S3YJNX0RK10001A", capacity_bytes=250059350016, kind=MediumKind.SSD, power_on_hours=15213,
        smart_passed=True, reallocated_sectors=0, pending_sectors=None, nvme_percentage_used=None, exit_status=4,
        removable=False)
    disk = parse_smartctl(SSD)
    assert (disk.capacity_gb, disk.usable, disk.needs_replacement, disk.replacement_reasons) == (
        Decimal("250.1"), True, False, [])


def test_hdd_with_reallocated_and_pending_sectors():
    disk = parse_smartctl(HDD, 2)
    assert (disk.position, disk.model, disk.serial_number, disk.kind) == (
        2, "WDC WD5000LPCX-24C6HT0", "WD-WX21ARK20002", MediumKind.HDD)
    assert (disk.capacity_gb, disk.power_on_hours, disk.smart_passed) == (Decimal("500.1"), 27866, True)
    assert (disk.reallocated_sectors, disk.pending_sectors, disk.exit_status) == (104, 16, 196)
    assert disk.usable and disk.needs_replacement
    assert disk.replacement_reasons == ["104 secteur(s) réalloué(s)", "16 secteur(s) en attente de réallocation"]


def test_nvme():
    disk = parse_smartctl(NVME, 3)
    assert (disk.model, disk.serial_number, disk.kind, disk.protocol) == (
        "INTEL SSDPEKNW512G8", "BTNH9RK0000312A", MediumKind.NVME, "NVMe")
    assert (disk.capacity_bytes, disk.capacity_gb, disk.power_on_hours) == (512110190592, Decimal("512.1"), 6540)
    assert (disk.smart_passed, disk.nvme_percentage_used, disk.needs_replacement) == (True, 7, False)


def test_usb_stick_is_removable():
    disk = parse_smartctl(load("smartctl_usb_stick"), 3)
    assert (disk.model, disk.removable, disk.kind, disk.smart_passed) == ("SanDisk Cruzer Blade", True, None, None)
    bridge = variant(HDD, device={"name": "/dev/sdc", "info_name": "/dev/sdc [USB JMicron]", "type": "usbjmicron",
                                  "protocol": "ATA"})
    assert parse_smartctl(bridge).removable
    assert not parse_smartctl(SSD).removable and not parse_smartctl(NVME).removable


def test_entry_smartctl_could_not_read_is_unusable():
    disk = parse_smartctl(load("smartctl_zram_junk"), 5)
    assert (disk.exit_status, disk.unreadable, disk.usable, disk.model, disk.serial_number) == (1, True, False, None, None)
    for status in (1, 2, 3, 6):
        assert not parse_smartctl(variant(SSD, smartctl={"exit_status": status})).usable
    for status in (0, 4, 8, 64, 196):
        assert parse_smartctl(variant(SSD, smartctl={"exit_status": status})).usable


def test_disk_without_serial_is_unusable():
    for serial in (None, "", "   ", "Not Specified", "0000000000", "x" * 101):
        assert not parse_smartctl(variant(SSD, serial_number=serial)).usable


def test_scsi_model_fallbacks():
    sas = variant(HDD, model_name=None, scsi_model_name="SEAGATE ST300MM0006", device={"type": "scsi", "protocol": "SCSI"})
    assert parse_smartctl(sas).model == "SEAGATE ST300MM0006"
    old = variant(HDD, model_name=None, scsi_vendor="HGST", scsi_product="HUC101860CSS200")
    assert parse_smartctl(old).model == "HGST HUC101860CSS200"
    grown = variant(sas, ata_smart_attributes=None, scsi_grown_defect_list=56)
    assert parse_smartctl(grown).reallocated_sectors == 56 and parse_smartctl(grown).needs_replacement


@pytest.mark.parametrize(("changes", "kind"), [
    ({"rotation_rate": 0}, MediumKind.SSD), ({"rotation_rate": 7200}, MediumKind.HDD),
    ({"rotation_rate": None, "trim": {"supported": True}}, MediumKind.SSD),
    ({"rotation_rate": None, "trim": {"supported": False}}, None), ({"rotation_rate": None, "trim": None}, None),
    ({"rotation_rate": "7200"}, None), ({"rotation_rate": True}, None),
    ({"device": {"type": "nvme", "protocol": "NVMe"}}, MediumKind.NVME),
    ({"device": {"type": "sntrealtek", "protocol": "NVMe"}}, MediumKind.NVME),
])
def test_kinds(changes, kind):
    assert parse_smartctl(variant(HDD, **changes)).kind is kind


def test_nvme_capacity_fallbacks():
    no_user = variant(NVME, user_capacity=None)
    assert parse_smartctl(no_user).capacity_bytes == 512110190592
    only_namespace = variant(no_user, nvme_total_capacity=None)
    assert parse_smartctl(only_namespace).capacity_bytes == 512110190592
    nothing = variant(only_namespace, nvme_namespaces=None)
    assert (parse_smartctl(nothing).capacity_bytes, parse_smartctl(nothing).capacity_gb) == (None, None)


def test_power_on_hours_may_be_missing():
    assert parse_smartctl(variant(SSD, power_on_time=None)).power_on_hours is None
    assert parse_smartctl(variant(NVME, power_on_time=None)).power_on_hours == 6540      # the health log's


def with_attribute(data: dict, number: int, raw: int) -> dict:
    changed = copy.deepcopy(data)
    table = changed["ata_smart_attributes"]["table"]
    table[:] = [row for row in table if row["id"] != number]
    table.append({"id": number, "name": "x", "value": 100, "worst": 100, "thresh": 0, "when_failed": "",
                  "raw": {"value": raw, "string": str(raw)}})
    return changed


@pytest.mark.parametrize(("reallocated", "pending", "passed", "replace"), [
    (0, 0, True, False), (1, 0, True, True), (0, 1, True, True), (0, 0, False, True), (0, 0, None, False),
])
def test_needs_replacement_boundaries_ata(reallocated, pending, passed, replace):
    data = with_attribute(with_attribute(SSD, 5, reallocated), 197, pending)
    data = variant(data, smart_status={"passed": passed} if passed is not None else None)
    assert parse_smartctl(data).needs_replacement is replace


@pytest.mark.parametrize(("used", "replace"), [(0, False), (99, False), (100, True), (255, True)])
def test_needs_replacement_boundaries_nvme(used, replace):
    data = copy.deepcopy(NVME)
    data["nvme_smart_health_information_log"]["percentage_used"] = used
    disk = parse_smartctl(data)
    assert disk.needs_replacement is replace
    assert disk.replacement_reasons == ([f"usure NVMe {used} %"] if replace else [])


def test_smart_failure_is_a_reason():
    disk = parse_smartctl(variant(NVME, smart_status={"passed": False}))
    assert disk.replacement_reasons == ["résultat SMART : échec"]


@pytest.mark.parametrize("value", ["", "[]", None, 3, [SSD], True])
def test_not_an_object_is_refused_with_its_position(value):
    errors = refused(parse_smartctl, value, 4)
    assert errors == {"smartctl": ["disque n° 4 : la sortie de smartctl n'est pas un objet JSON."]}


def test_odd_types_are_unknown_not_errors():
    odd = {"device": "sda", "model_name": 12, "serial_number": ["x"], "user_capacity": {"bytes": -5},
           "smart_status": {"passed": "yes"}, "ata_smart_attributes": {"table": [None, {"id": 5, "raw": "1"}]},
           "power_on_time": {"hours": 1.5}, "smartctl": {"exit_status": "0"}, "rotation_rate": -1}
    disk = parse_smartctl(odd)
    assert disk == Disk(position=1, device_name=None, device_type=None, protocol=None, model=None, serial_number=None,
                        capacity_bytes=None, kind=None, power_on_hours=None, smart_passed=None,
                        reallocated_sectors=None, pending_sectors=None, nvme_percentage_used=None, exit_status=None,
                        removable=False)
