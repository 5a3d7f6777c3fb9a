"""The review queue of hardware snapshots (issue 17): registering or dismissing a queued snapshot,
adding or dismissing a disk set aside."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from core.actor import Actor
from core.errors import Conflict, NotFound, ValidationFailed
from inventory.models import Device, DeviceEvent, DeviceSnapshot, StorageMedium
from inventory.services import snapshot_queue as queue_module
from inventory.services.snapshot_queue import (
    add_set_aside_disk, dismiss_queued_snapshot, dismiss_set_aside_disk, pending_disks, register_queued_snapshot,
    review_queue,
)
from inventory.services.snapshots import pending_count, receive_snapshot
from inventory.snapshot_summary import summarise
from tests.helpers import make_device, make_workshop, sanitise
from tests.inventory.snapshots.helpers import load

STATION = Actor(None, "Poste de réception Lamentin", frozenset())
SERIAL = "RK7TEST"
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)
# On the app's database, as tests/inventory/test_snapshot_service.py: the concurrency test needs the
# app, and once it is imported its tables join the metadata the light domain database lacks.
pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def shop(session):
    return make_workshop(session)


@pytest.fixture
def tech(session, users):
    return Actor(users["technicien"], "Léa Technicienne", frozenset({"Technicien"}))


def snapshot(name: str = "workbench_script", *, without_serial: int | None = None, chassis: str | None = None) -> dict:
    data = load(name)
    if without_serial is not None:
        disks = json.loads(data["data"]["smartctl"])
        disks[without_serial].pop("serial_number")
        data["data"]["smartctl"] = json.dumps(disks)
    if chassis:
        data["data"]["dmidecode"] = data["data"]["dmidecode"].replace("Type: Notebook", f"Type: {chassis}")
    return data


def queued(session, data=None, collection=None) -> DeviceSnapshot:
    record, outcome = receive_snapshot(session, STATION, data or snapshot(), collection)
    assert outcome == "queued"
    return record


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def reread(session, record_id: int) -> DeviceSnapshot:
    session.expire_all()
    record = session.get(DeviceSnapshot, record_id)
    assert record.pending_disks == pending_count(record.ignored)      # the count never drifts from the JSON
    return record


def media_of(device: Device) -> dict:
    return {m.serial_number: (m.kind, m.capacity_gb, m.needs_replacement, m.health_read_at is not None)
            for m in device.media}


# --- the queue as listed --------------------------------------------------------------------------

def test_the_queue_lists_the_queued_snapshots_and_their_disks_set_aside(session, shop, tech):
    record, _ = receive_snapshot(session, tech, snapshot(without_serial=0), None, now=NOW)   # a user's token
    [item] = review_queue(session)
    assert (item.record.id, item.known_device) == (record.id, None)
    assert item.summary.received == "04/12/2026 11:00, par Technicien Test (eReuse workbench-script 0.0.1)"
    assert ("Catégorie", "Ordinateur portable") in item.summary.facts and len(item.summary.disks) == 2
    # Only the disk that may be the machine's own waits for a person: the SSD without serial.
    [disk] = pending_disks(session)
    assert (disk.record.id, disk.position, disk.reason, disk.device) == (record.id, 1, "no-serial", None)
    assert (disk.model, disk.serial_number, disk.capacity_gb) == ("Samsung SSD 860 EVO 250GB", None, Decimal("250.1"))
    # The boot stick and the zram swaps smartctl could not read are noted on the record, not queued.
    noted = {e["position"]: (e["reason"], e["device_name"], e["review"]) for e in record.ignored}
    assert noted == {1: ("no-serial", "/dev/sda", True), 3: ("removable", "/dev/sdc", False),
                     5: ("unreadable", "/dev/zram0", False), 6: ("unreadable", None, False)}
    assert record.pending_disks == 1


# --- registering a queued snapshot -----------------------------------------------------------------

def test_registering_a_queued_snapshot_registers_the_laptop_as_a_direct_post_would(session, shop, tech):
    record = queued(session)
    done, status = register_queued_snapshot(session, tech, record.id, collection=str(shop["collection"].id), now=NOW)
    assert status == "registered"
    record = reread(session, record.id)
    device = session.execute(select(Device).where(Device.serial_number == SERIAL)).scalar_one()
    assert (record.status, record.device_id, record.collection_id) == ("registered", device.id, shop["collection"].id)
    assert (record.reviewed_by_id, record.reviewed_at) == (tech.id, NOW)
    assert "aucune collecte" in record.reason           # why it waited stays on the record
    assert (device.brand, device.model, device.category, device.cpu, device.ram_gb, device.state) == (
        "Dell Inc.", "Latitude 5490", "laptop", "Intel Core i5-8350U", Decimal("16.0"), "received")
    assert media_of(device) == {
        "S3YJNX0RK10001A": ("ssd", Decimal("250.1"), False, True),
        "WD-WX21ARK20002": ("hdd", Decimal("500.1"), True, True),
        "BTNH9RK0000312A": ("nvme", Decimal("512.1"), False, True),
    }
    event = session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device.id)).scalar_one()
    assert (event.kind, event.user_id) == ("received", tech.id)
    assert review_queue(session) == []
    # Its disks set aside (the boot stick, zram swaps) were only noted: nothing left to resolve.
    assert pending_disks(session) == [] and record.pending_disks == 0 and len(record.ignored) == 3


def test_the_technician_chooses_the_category_and_corrects_maker_and_model(session, shop, tech):
    record = queued(session, snapshot(chassis="Docking Station"), shop["collection"].reference)
    assert "catégorie" in record.reason
    with pytest.raises(ValidationFailed) as refused:
        register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference)
    assert "category" in refused.value.errors
    register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference, category="desktop",
                             brand="Dell", model="Latitude 5490 (dock)")
    device = session.execute(select(Device).where(Device.serial_number == SERIAL)).scalar_one()
    assert (device.category, device.brand, device.model) == ("desktop", "Dell", "Latitude 5490 (dock)")


@pytest.mark.parametrize("changes, field, words", [
    ({"collection": None}, "collection", "Collecte obligatoire"),
    ({"collection": "  "}, "collection", "Collecte obligatoire"),
    ({"collection": "COL-1999-0001"}, "collection", "Collecte « COL-1999-0001 » inconnue"),
    ({"category": "fridge"}, "category", "Catégorie"),
    ({"brand": ""}, "brand", ""),
    ({"model": "x" * 121}, "model", ""),
])
def test_bad_input_is_refused_in_french_naming_the_field_and_nothing_is_written(session, shop, tech, changes, field,
                                                                                words):
    record = queued(session)
    arguments = {"collection": shop["collection"].reference, **changes}
    with pytest.raises(ValidationFailed) as refused:
        register_queued_snapshot(session, tech, record.id, **arguments)
    assert field in refused.value.errors and words in refused.value.message
    assert reread(session, record.id).status == "queued" and count(session, Device) == 0


def test_a_snapshot_is_handled_once(session, shop, tech):
    record = queued(session)
    register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference)
    with pytest.raises(Conflict, match="déjà été traité"):
        register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference)
    with pytest.raises(Conflict, match="déjà été traité"):
        dismiss_queued_snapshot(session, tech, record.id, reason="doublon")
    with pytest.raises(NotFound):
        register_queued_snapshot(session, tech, 2_147_483_647, collection=shop["collection"].reference)
    assert count(session, Device) == 1


def test_a_device_registered_since_is_completed_instead(session, shop, tech):
    record = queued(session)
    device = make_device(session, shop["collection"].id, serial_number=SERIAL, brand="Dell", model="Latitude (saisi)",
                         storage=[{"kind": "ssd", "serial_number": "S3YJNX0RK10001A"}])
    sanitise(session, device)
    [item] = review_queue(session)
    assert item.known_device.id == device.id             # the page offers to complete it
    done, status = register_queued_snapshot(session, tech, record.id)   # no collection needed
    assert status == "completed"
    record = reread(session, record.id)
    assert (record.status, record.device_id) == ("completed", device.id)
    device = session.get(Device, device.id)
    assert device.model == "Latitude (saisi)" and device.cpu == "Intel Core i5-8350U"
    erased = next(m for m in device.media if m.serial_number == "S3YJNX0RK10001A")
    assert erased.health_read_at is None                 # it has an erasure record: untouched
    assert sorted(media_of(device)) == ["BTNH9RK0000312A", "S3YJNX0RK10001A", "WD-WX21ARK20002"]


# --- dismissing a queued snapshot ------------------------------------------------------------------

def test_a_queued_snapshot_is_dismissed_with_its_reason(session, shop, tech):
    record = queued(session)
    with pytest.raises(ValidationFailed) as refused:
        dismiss_queued_snapshot(session, tech, record.id, reason="   ")
    assert "reason" in refused.value.errors and "Raison obligatoire" in refused.value.message
    dismiss_queued_snapshot(session, tech, record.id, reason="  Démarrage d'essai  ", now=NOW)
    record = reread(session, record.id)
    assert (record.status, record.status_label, record.dismissal_reason, record.reviewed_by_id, record.device_id) == (
        "dismissed", "Écarté", "Démarrage d'essai", tech.id, None)
    assert review_queue(session) == [] and pending_disks(session) == []
    with pytest.raises(Conflict):
        dismiss_set_aside_disk(session, tech, record.id, 3, reason="clé USB")


# --- disks set aside ----------------------------------------------------------------------------

def registered(session, shop, tech, data=None) -> DeviceSnapshot:
    record = queued(session, data)
    register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference)
    return reread(session, record.id)


def test_a_disk_set_aside_is_dismissed_with_its_reason_and_leaves_the_list(session, shop, tech):
    record = registered(session, shop, tech, snapshot(without_serial=0))
    with pytest.raises(ValidationFailed) as refused:
        dismiss_set_aside_disk(session, tech, record.id, 1, reason="")
    assert "reason" in refused.value.errors
    dismiss_set_aside_disk(session, tech, record.id, 1, reason="disque retiré, gardé pour pièces", now=NOW)
    record = reread(session, record.id)
    ssd = next(e for e in record.ignored if e["position"] == 1)
    assert ssd["resolution"] == {"action": "dismissed", "at": NOW.isoformat(), "by_id": tech.id,
                                 "by": "Léa Technicienne", "medium_id": None, "serial_number": None, "kind": None,
                                 "note": "disque retiré, gardé pour pièces"}
    assert record.pending_disks == 0 and pending_disks(session) == []
    # The device sheet's snapshot summary says what became of it.
    assert summarise(record).set_aside[0] == (
        "Disque n° 1 (/dev/sda) — Samsung SSD 860 EVO 250GB : disque sans numéro de série : à rapprocher à la main"
        " — écarté le 04/12/2026 11:00 par Léa Technicienne : disque retiré, gardé pour pièces")
    with pytest.raises(Conflict, match="déjà été traité"):
        dismiss_set_aside_disk(session, tech, record.id, 1, reason="encore")
    with pytest.raises(NotFound):
        dismiss_set_aside_disk(session, tech, record.id, 4, reason="pas mis de côté")


def test_a_disk_without_serial_is_added_with_the_serial_of_its_label(session, shop, tech):
    record = registered(session, shop, tech, snapshot(without_serial=0))
    device = record.device
    assert sorted(media_of(device)) == ["BTNH9RK0000312A", "WD-WX21ARK20002"]
    entry = next(e for e in record.ignored if e["reason"] == "no-serial")
    assert (entry["kind"], entry["capacity_gb"]) == ("ssd", "250.1")
    _, medium = add_set_aside_disk(session, tech, record.id, entry["position"], serial_number=" s3yjnx0rk10001a ",
                                   kind="ssd", now=NOW)
    record = reread(session, record.id)
    medium = session.get(StorageMedium, medium.id)
    assert (medium.device_id, medium.serial_number, medium.kind, medium.model, medium.capacity_gb) == (
        device.id, "S3YJNX0RK10001A", "ssd", "Samsung SSD 860 EVO 250GB", Decimal("250.1"))
    assert medium.health_read_at == NOW and medium.power_on_hours is not None and medium.origin == "donated"
    resolution = next(e for e in record.ignored if e["position"] == entry["position"])["resolution"]
    assert (resolution["action"], resolution["medium_id"], resolution["serial_number"], resolution["by_id"]) == (
        "added", medium.id, "S3YJNX0RK10001A", tech.id)
    assert entry["position"] not in [d.position for d in pending_disks(session)]
    assert summarise(record).set_aside[0].endswith(
        "— ajouté à l'appareil sous le n° de série S3YJNX0RK10001A le 04/12/2026 11:00 par Léa Technicienne")


@pytest.mark.parametrize("serial, kind, field, words", [
    ("", "ssd", "serial_number", "Numéro de série obligatoire"),
    ("   ", "ssd", "serial_number", "Numéro de série obligatoire"),
    ("NEW-SERIAL", "", "kind", ""),
    ("NEW-SERIAL", "floppy", "kind", "Type de support"),
    ("x" * 101, "ssd", "serial_number", ""),
])
def test_adding_a_disk_refuses_bad_input_naming_the_field(session, shop, tech, serial, kind, field, words):
    record = registered(session, shop, tech, snapshot(without_serial=0))
    with pytest.raises(ValidationFailed) as refused:
        add_set_aside_disk(session, tech, record.id, 1, serial_number=serial, kind=kind)
    assert field in refused.value.errors and words in refused.value.message
    assert reread(session, record.id).pending_disks == 1 and count(session, StorageMedium) == 2


def test_a_serial_already_on_another_device_is_refused_naming_it(session, shop, tech):
    other = make_device(session, shop["collection"].id)
    record = registered(session, shop, tech, snapshot(without_serial=0))
    taken = other.media[0].serial_number
    with pytest.raises(ValidationFailed) as refused:
        add_set_aside_disk(session, tech, record.id, 1, serial_number=taken, kind="ssd")
    assert refused.value.errors["serial_number"] == [
        f"Le numéro de série {taken} est déjà celui d'un support de l'appareil {other.asset_tag} : vérifiez "
        "l'étiquette du disque."]
    assert reread(session, record.id).pending_disks == 1


def test_a_medium_with_an_erasure_record_is_never_changed(session, shop, tech):
    record = registered(session, shop, tech, snapshot(without_serial=0))
    device = record.device
    hdd = next(m for m in device.media if m.serial_number == "WD-WX21ARK20002")
    sanitise(session, device)
    before = (hdd.model, hdd.capacity_gb, hdd.health_read_at, hdd.kind)
    with pytest.raises(ValidationFailed) as refused:
        add_set_aside_disk(session, tech, record.id, 1, serial_number="WD-WX21ARK20002", kind="ssd")
    assert "effacement enregistré" in refused.value.errors["serial_number"][0]
    session.expire_all()
    hdd = session.get(StorageMedium, hdd.id)
    assert (hdd.model, hdd.capacity_gb, hdd.health_read_at, hdd.kind) == before


def test_the_serial_of_a_medium_of_the_same_device_completes_that_medium(session, shop, tech):
    make_device(session, shop["collection"].id, serial_number=SERIAL,
                storage=[{"kind": "ssd", "serial_number": "S3YJNX0RK10001A"}])
    record, outcome = receive_snapshot(session, STATION, snapshot(without_serial=0), None)
    assert outcome == "completed"
    medium = next(m for m in record.device.media if m.serial_number == "S3YJNX0RK10001A")
    assert medium.capacity_gb is None
    _, same = add_set_aside_disk(session, tech, record.id, 1, serial_number="S3YJNX0RK10001A", kind="hdd", now=NOW)
    assert same.id == medium.id
    session.expire_all()
    medium = session.get(StorageMedium, medium.id)
    assert (medium.kind, medium.capacity_gb, medium.health_read_at) == ("ssd", Decimal("250.1"), NOW)
    assert reread(session, record.id).ignored[0]["resolution"]["action"] == "matched"


def test_a_disk_of_a_snapshot_still_queued_waits_for_its_registration(session, shop, tech):
    record = queued(session, snapshot(without_serial=0))
    with pytest.raises(Conflict, match="enregistrez l'appareil d'abord"):
        add_set_aside_disk(session, tech, record.id, 1, serial_number="S3YJNX0RK10001A", kind="ssd")
    # Dismissed while queued, the stick stays dismissed once the snapshot is registered.
    dismiss_set_aside_disk(session, tech, record.id, 3, reason="clé USB de démarrage")
    register_queued_snapshot(session, tech, record.id, collection=shop["collection"].reference)
    record = reread(session, record.id)
    assert [(e["position"], bool(e.get("resolution"))) for e in record.ignored] == [
        (1, False), (3, True), (5, False), (6, False)]
    assert record.pending_disks == 1           # the SSD without serial; the stick and zram were only noted


def test_a_device_that_left_the_workshop_gets_no_disk(session, shop, tech):
    from tests.helpers import advance

    record = registered(session, shop, tech, snapshot(without_serial=0))
    advance(session, record.device, "recycled")
    with pytest.raises(Conflict, match="quitté l'atelier"):
        add_set_aside_disk(session, tech, record.id, 1, serial_number="S3YJNX0RK10001A", kind="ssd")
    dismiss_set_aside_disk(session, tech, record.id, 1, reason="appareil recyclé")
    assert reread(session, record.id).pending_disks == 0


# --- two clicks at once ---------------------------------------------------------------------------

def test_two_technicians_registering_the_same_snapshot_at_once_register_one_device(app, session, shop, tech, race,
                                                                                   monkeypatch):
    record = queued(session)
    reference, key = shop["collection"].reference, record.id
    session.commit()
    contest = race(2)
    real = queue_module._locked

    def meet_then_lock(*args, **kwargs):
        contest.meet_at_guard()
        return real(*args, **kwargs)

    monkeypatch.setattr(queue_module, "_locked", meet_then_lock)

    def attempt(index: int) -> str:
        contest.meet_at_start()
        return register_queued_snapshot(db.session, tech, key, collection=reference)[1]

    outcomes = contest.run(attempt)
    assert sorted(o.value or type(o.error).__name__ for o in outcomes) == ["Conflict", "registered"]
    session.expire_all()
    assert count(session, Device) == 1 and reread(session, key).status == "registered"
