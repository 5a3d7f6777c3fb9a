"""Property tests of the snapshot readers: whatever the input, they answer with a result or
``ValidationFailed``, never another exception. Inputs are arbitrary text and JSON values, and the
fixtures of ``tests/data/snapshots`` mutated, so that the deep paths are reached too.

Pure tests: no application, no database. Small budgets, no deadline.
"""
from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from inventory.snapshots.battery import parse_battery_sysfs, parse_condition, parse_inxi_battery
from inventory.snapshots.dmidecode import parse_dmidecode
from inventory.snapshots.envelopes import parse_snapshot
from inventory.snapshots.smartctl import parse_smartctl

from .helpers import load, text

LATITUDE = text("dmidecode_latitude.txt")
LINES = LATITUDE.split("\n")
FIXTURES = {name: load(name) for name in ("workbench_script", "workbench_legacy", "rekonekt_snapshot")}
SMARTCTL = [load(name) for name in ("smartctl_sata_ssd", "smartctl_hdd_reallocated", "smartctl_nvme",
                                    "smartctl_usb_stick")]
PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)
smartctl_keys = st.sampled_from(["device", "model_name", "scsi_model_name", "scsi_vendor", "serial_number",
                                 "user_capacity", "nvme_total_capacity", "nvme_namespaces", "rotation_rate", "trim",
                                 "power_on_time", "smart_status", "ata_smart_attributes", "smartctl",
                                 "nvme_smart_health_information_log", "smart_support", "scsi_grown_defect_list"])


def accepted_or_refused(function, *args):
    try:
        return function(*args)
    except ValidationFailed as refusal:
        assert refusal.errors and all(isinstance(m, str) and m for ms in refusal.errors.values() for m in ms)
        return None


@PROFILE
@given(st.text(max_size=2000))
@example("Handle 0x0001, DMI type 1, 27 bytes\n")
@example("Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\t: \n\t\tSize: 8 GB")
@example("Handle 0x0001, DMI type 17, 27 bytes\nMemory Device\n\tSize: 999999999 TB")
def test_dmidecode_never_crashes_on_text(value):
    accepted_or_refused(parse_dmidecode, value)


@PROFILE
@given(st.lists(st.tuples(st.integers(0, len(LINES) - 1), st.text(max_size=80)), max_size=6))
def test_dmidecode_never_crashes_on_mutated_fixture(changes):
    lines = list(LINES)
    for index, replacement in changes:
        lines[index] = replacement
    result = accepted_or_refused(parse_dmidecode, "\n".join(lines))
    if result is not None and result.memory_gb is not None:
        assert result.memory_gb >= 0


@PROFILE
@given(json_values)
def test_smartctl_never_crashes_on_json_values(value):
    accepted_or_refused(parse_smartctl, value, 1)


@PROFILE
@given(st.sampled_from(SMARTCTL), st.dictionaries(smartctl_keys, json_values, max_size=4))
def test_smartctl_never_crashes_on_mutated_fixture(base, changes):
    data = {**copy.deepcopy(base), **changes}
    disk = parse_smartctl(data, 1)
    assert disk.capacity_gb is None or disk.capacity_gb > 0
    assert isinstance(disk.needs_replacement, bool) and isinstance(disk.usable, bool)


@PROFILE
@given(json_values, json_values)
def test_battery_never_crashes(files, inxi):
    accepted_or_refused(parse_battery_sysfs, files)
    parse_inxi_battery(inxi)
    parse_condition(files)


@PROFILE
@given(st.dictionaries(st.sampled_from(["type", "software", "version", "uuid", "timestamp", "collected_at",
                                        "data", "dmidecode", "smartctl", "lsblk", "battery", "collection",
                                        "credentialSubject"]) | st.text(max_size=8), json_values, max_size=8))
@example({"type": "RekonektSnapshot", "version": 1})
@example({"software": "workbench-script", "data": {}})
@example({"software": "workbench-script", "data": {"smartctl": "[" * 100_000}})
def test_parse_snapshot_on_random_dicts(data):
    accepted_or_refused(parse_snapshot, data)


@PROFILE
@given(st.sampled_from(sorted(FIXTURES)), st.data())
def test_parse_snapshot_on_mutated_fixtures(name, draw):
    data = copy.deepcopy(FIXTURES[name])
    inner = data if name == "rekonekt_snapshot" else data["data"]
    key = draw.draw(st.sampled_from(sorted(inner)))
    inner[key] = draw.draw(json_values | st.just(json.dumps(draw.draw(json_values))))
    top = draw.draw(st.sampled_from(sorted(data)))
    if draw.draw(st.booleans()):
        data[top] = draw.draw(json_values)
    snapshot = accepted_or_refused(parse_snapshot, data)
    if snapshot is not None:
        assert snapshot.serial_number and len(snapshot.content_hash) == 64
        assert snapshot.collected_at.utcoffset().total_seconds() == 0
