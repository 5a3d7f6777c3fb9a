"""Reading battery wear: sysfs files (energy in µWh, charge in µAh) and inxi's condition string.

Pure tests: no application, no database.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.snapshots.battery import (
    Battery, is_system_battery, parse_battery_sysfs, parse_condition, parse_inxi_battery)

from .helpers import load, refused, sysfs


def test_energy_battery_at_87_percent():
    assert parse_battery_sysfs({"name": "BAT0", **sysfs("battery_BAT0")}) == Battery(
        name="BAT0", health_percent=Decimal("87.0"), design_capacity=Decimal("57"), full_capacity=Decimal("49.59"),
        unit="Wh", cycle_count=312, manufacturer="LGC", model="DELL 3DDDG84", technology="Li-poly",
        status="Discharging", source="sysfs")


def test_charge_battery_and_unreported_cycles():
    battery = parse_battery_sysfs(sysfs("battery_charge"))
    assert (battery.health_percent, battery.unit, battery.design_capacity, battery.cycle_count) == (
        Decimal("72.0"), "Ah", Decimal("5.8"), None)


@pytest.mark.parametrize(("files", "percent"), [
    ({"energy_full_design": "57000000", "energy_full": "57000000"}, Decimal("100.0")),
    ({"energy_full_design": "50000000", "energy_full": "51000000"}, Decimal("102.0")),    # a new cell, as reported
    ({"energy_full_design": "0", "energy_full": "49590000"}, None),
    ({"energy_full": "49590000"}, None),
    ({"energy_full_design": "57000000"}, None),
    ({"energy_full_design": "57000000", "energy_full": "0"}, Decimal("0.0")),
    ({"energy_full_design": "abc", "energy_full": "1"}, None),
    ({"energy_full_design": 57000000, "energy_full": 28500000}, Decimal("50.0")),
    ({"charge_full_design": "3000000\n", "charge_full": "2000000\n"}, Decimal("66.7")),
    ({}, None),
])
def test_health(files, percent):
    assert parse_battery_sysfs(files).health_percent == percent


def test_system_battery_or_peripheral():
    assert is_system_battery(sysfs("battery_BAT0"))
    assert not is_system_battery({"type": "Battery", "scope": "Device"})
    assert not is_system_battery({"type": "Mains"})


def test_not_an_object_is_refused():
    assert refused(parse_battery_sysfs, ["BAT0"], 2) == {
        "battery": ["batterie n° 2 : un objet JSON est attendu (fichier → contenu)."]}


@pytest.mark.parametrize(("condition", "read"), [
    ("40.5/72.8 Wh (55.6%)", (Decimal("40.5"), Decimal("72.8"), "Wh", Decimal("55.6"))),
    ("49.6/57.0 Wh (87.0%)", (Decimal("49.6"), Decimal("57.0"), "Wh", Decimal("87.0"))),
    ("4.2/5.8 Ah", (Decimal("4.2"), Decimal("5.8"), "Ah", None)),
    ("N/A", None), ("", None), (None, None), ("1.2.3/4 Wh", None), (12, None),
])
def test_inxi_condition(condition, read):
    assert parse_condition(condition) == read


def test_inxi_battery_block():
    assert parse_inxi_battery(load("inxi")) == Battery(
        name="BAT0", health_percent=Decimal("87.0"), design_capacity=Decimal("57.0"), full_capacity=Decimal("49.6"),
        unit="Wh", cycle_count=312, model="LGC DELL 3DDDG84", technology="Li-poly", status="discharging",
        source="inxi")
    without = [block for block in load("inxi") if "Battery" not in next(iter(block))]
    assert parse_inxi_battery(without) is None
    assert parse_inxi_battery("not a list") is None and parse_inxi_battery([1, {"x#Battery": "y"}]) is None
