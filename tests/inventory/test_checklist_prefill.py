"""The grading checklist pre-filled from the hardware snapshots (issue 17): the battery's health
and the disks' health are offered as starting values; the technician still confirms them."""
from __future__ import annotations

import json

import pytest

from core.actor import Actor
from inventory.grading import BATTERY, DEFAULT_TEMPLATES, STORAGE, Item, Reading, prefill
from inventory.services.grading import checklist_prefill, grade_device
from inventory.services.snapshots import receive_snapshot
from tests.helpers import advance, make_device, make_workshop, passing_checklist
from tests.inventory.snapshots.helpers import load

STATION = Actor(None, "Poste de réception", frozenset())
FAILING_HDD = "WD-WX21ARK20002"


@pytest.fixture
def shop(session):
    return make_workshop(session)


def registered(session, shop, data=None):
    record, outcome = receive_snapshot(session, STATION, data or load("workbench_script"), shop["collection"].reference)
    assert outcome == "registered"
    return record.device


def without_failing_disk() -> dict:
    data = load("workbench_script")
    disks = json.loads(data["data"]["smartctl"])
    data["data"]["smartctl"] = json.dumps([d for d in disks if not (isinstance(d, dict) and d.get("serial_number") == FAILING_HDD)])
    data["uuid"] = "5f1c7f0e-9a56-4c53-9d4e-0a6f2c1d7e11"
    return data


def test_prefill_keeps_the_readings_that_fit_the_checklist():
    items = DEFAULT_TEMPLATES["laptop"]
    readings = [Reading(BATTERY.key, 104.2, "neuve"), Reading(STORAGE.key, False, "SMART"),
                Reading("boots", 87.0, "un pourcentage pour un élément fonctionne/ne fonctionne pas"),
                Reading("unknown", True, "absent de la grille")]
    offered = prefill(items, readings)
    assert {key: r.value for key, r in offered.items()} == {BATTERY.key: 100.0, STORAGE.key: False}
    assert prefill([Item(BATTERY.key, "Batterie")], [Reading(BATTERY.key, 87.0, "x")]) == {}   # works/fails item


def test_the_laptop_checklist_is_prefilled_with_battery_and_disk_health(session, shop):
    device = registered(session, shop)
    offered = checklist_prefill(session, device)
    assert set(offered) == {BATTERY.key, STORAGE.key}
    assert offered[BATTERY.key].value == 87.0
    assert offered[BATTERY.key].source.startswith("87 % d'après l'instantané matériel du ")
    assert offered[STORAGE.key].value is False
    assert offered[STORAGE.key].source == ("Disque à remplacer : WD-WX21ARK20002 (104 secteur(s) réalloué(s) et "
                                           "16 secteur(s) en attente de réallocation)")


def test_healthy_disks_are_offered_as_working(session, shop):
    device = registered(session, shop, without_failing_disk())
    offered = checklist_prefill(session, device)
    assert offered[STORAGE.key].value is True
    assert offered[STORAGE.key].source.startswith("État SMART correct des 2 disques lus le ")


def test_a_medium_no_snapshot_read_leaves_the_storage_to_the_technician(session, shop):
    device = make_device(session, shop["collection"].id)            # registered by hand: nothing read
    assert checklist_prefill(session, device) == {}
    device = registered(session, shop, without_failing_disk())
    device.media.append(type(device.media[0])(kind="hdd", serial_number="HANDADDED1", created_at=device.created_at))
    session.commit()
    assert set(checklist_prefill(session, device)) == {BATTERY.key}


def test_the_prefilled_values_are_only_offered_the_technician_decides(session, shop):
    device = registered(session, shop)
    advance(session, device, "grading")
    # The technician replaced the disk and found the storage fine: what they post is recorded.
    result = grade_device(session, device.asset_tag, checklist=passing_checklist("laptop"), cosmetic="A")
    assert result.grade == "A" and result.checklist[STORAGE.key] is True
