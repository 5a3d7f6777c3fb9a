"""Importing wiping reports: matching by serial, the review queue, duplicates, bad input."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, ValidationFailed
from inventory.models import ErasureImport, ErasureRecord, ImportedDrive
from inventory.services.erasure_import import (
    assign_imported_drive,
    dismiss_imported_drive,
    import_erasure_report,
    review_queue,
)
from inventory.services.transitions import transition
from tests.helpers import advance, make_device, make_workshop

DATA = Path(__file__).resolve().parents[1] / "data"


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def shop(session):
    return make_workshop(session)


def station_report() -> bytes:
    return (DATA / "reports" / "station.json").read_bytes()


def test_json_report_matches_by_serial_and_queues_the_unknown(session, shop, users):
    laptop = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "disk-laptop-1"}])
    transition(session, laptop.asset_tag, "wiping")
    outcome = import_erasure_report(session, station_report(), filename="station.json", user_id=users["technicien"],
                                    operator_name="Théo", operator_role="Technicien")
    assert (outcome.format, outcome.matched, outcome.queued, outcome.duplicates) == ("json", 1, 1, 0)
    assert [(l.serial_number, l.status, l.asset_tag) for l in outcome.lines] == [
        ("DISK-LAPTOP-1", "matched", laptop.asset_tag), ("UNKNOWN-DISK-9", "queued", None)]
    assert outcome.lines[1].reason == "Aucun support enregistré sous le numéro de série UNKNOWN-DISK-9."
    record = session.execute(select(ErasureRecord)).scalar_one()
    assert (record.level, record.technique, record.method, record.tool, record.tool_version, record.passes) == (
        "purge", "ata-secure-erase", "Enhanced Secure Erase", "Station d'effacement Rekonekt", "2.1", 1)
    assert (record.sanitised_by, record.sanitised_by_role, record.verified_by, record.verified_by_role) == (
        "Léa Marie", "Technicienne", "Joël Bellay", "Responsable atelier")
    assert (record.bytes_erased, record.hpa_dco, record.destination, record.source) == (256060514304, "aucun", "reuse", "generic")
    assert record.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)  # 09:00 in Martinique
    # The report taught us the medium's maker and model.
    assert (record.medium.manufacturer, record.medium.model) == ("Samsung", "Samsung SSD 860 EVO 256GB")
    # The device may now leave wiping.
    transition(session, laptop.asset_tag, "grading")


def test_same_report_twice_writes_nothing_more(session, shop):
    make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "DISK-LAPTOP-1"}])
    first = import_erasure_report(session, station_report())
    again = import_erasure_report(session, station_report())
    assert (again.report_id, again.matched, again.queued, again.duplicates) == (first.report_id, 0, 0, 2)
    assert all(line.status == "duplicate" for line in again.lines)
    assert again.lines[0].reason.startswith("Rapport déjà importé le ")
    assert count(session, ErasureImport) == 1 and count(session, ErasureRecord) == 1 and count(session, ImportedDrive) == 2


def test_csv_report(session, shop):
    make_device(session, shop["collection"].id, category="smartphone", storage=[{"kind": "flash", "serial_number": "PHONE-FLASH-1"}])
    csv_report = (
        "serial_number;model;level;technique;result;verified;tool;tool_version;started_at;ended_at\n"
        "PHONE-FLASH-1;Galaxy A52;purge;factory-reset;pass;oui;Android;14;2026-03-03T10:00:00-04:00;2026-03-03T10:05:00-04:00\n"
    ).encode()
    outcome = import_erasure_report(session, csv_report, filename="phones.csv")
    assert (outcome.format, outcome.matched, outcome.queued) == ("csv", 1, 0)
    record = session.execute(select(ErasureRecord)).scalar_one()
    assert (record.technique, record.verified, record.tool, record.tool_version) == ("factory-reset", True, "Android", "14")


def test_ambiguous_and_contradicting_drives_wait_for_review(session, shop):
    other = make_workshop_collection(session, shop)
    first = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "TWIN"}])
    make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "TWIN"}])
    elsewhere = make_device(session, other.id, storage=[{"kind": "hdd", "serial_number": "ELSEWHERE"}])
    gone = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "GONE"}])
    advance(session, gone, "recycled")
    nvme = make_device(session, shop["collection"].id, storage=[{"kind": "nvme", "serial_number": "NV"}])
    report = {"drives": [
        {"serial_number": "TWIN", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True},
        {"serial_number": "ELSEWHERE", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True},
        {"serial_number": "GONE", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True},
        {"serial_number": "NV", "level": "purge", "technique": "ata-secure-erase", "result": "pass", "verified": True},
        {"serial_number": "DISK", "asset_tag": first.asset_tag, "level": "clear", "technique": "overwrite",
         "result": "pass", "verified": True},
    ]}
    make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "DISK"}])
    outcome = import_erasure_report(session, json.dumps(report).encode(), collection_id=shop["collection"].id)
    assert (outcome.matched, outcome.queued) == (0, 5)
    reasons = [line.reason for line in outcome.lines]
    assert reasons[0].startswith("2 supports portent le numéro de série TWIN (appareils ")
    assert reasons[1] == (f"Le support ELSEWHERE appartient à l'appareil {elsewhere.asset_tag} de la collecte "
                          f"{other.reference}, pas à la collecte de cet import.")
    assert reasons[2] == f"L'appareil {gone.asset_tag} est à l'état « Recyclé » : il a quitté l'atelier."
    assert "ne s'applique pas à un support « nvme »" in reasons[3]
    assert reasons[4].startswith("Le support DISK appartient à l'appareil RK-")
    assert reasons[4].endswith(f"pas à {first.asset_tag} comme le dit le rapport.")
    assert count(session, ErasureRecord) == 1  # only the one `advance` wrote for the recycled device
    assert len(review_queue(session)) == 5
    assert nvme.media[0].erasures == []


def make_workshop_collection(session, shop):
    from datetime import date

    from inventory.services.collections import create_collection

    return create_collection(session, donor=shop["donor"].id, collected_on=date(2026, 4, 1), site=shop["site"].id)


def test_assign_and_dismiss_from_the_queue(session, shop, users):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": None}])
    other = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "OTHER"}])
    report = {"drives": [
        {"serial_number": "WD-NEW", "model": "WDC WD5000", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True},
        {"serial_number": "TESTDISK", "level": "clear", "technique": "overwrite", "result": "fail", "verified": False},
    ]}
    import_erasure_report(session, json.dumps(report).encode())
    first, second = review_queue(session)
    with pytest.raises(ValidationFailed) as wrong:
        assign_imported_drive(session, first.id, asset_tag=other.asset_tag, medium_id=other.media[0].id)
    assert wrong.value.errors["medium"] == ["Le support choisi porte le numéro OTHER ; le rapport parle du disque WD-NEW."]
    with pytest.raises(ValidationFailed):
        assign_imported_drive(session, first.id, asset_tag=device.asset_tag, medium_id=other.media[0].id)
    assigned = assign_imported_drive(session, first.id, asset_tag=device.asset_tag, medium_id=device.media[0].id,
                                     user_id=users["technicien"], operator_name="Théo", note="Étiquette illisible à la réception")
    assert assigned.status == "assigned" and assigned.erasure.medium_id == device.media[0].id
    assert device.media[0].serial_number == "WD-NEW" and device.media[0].model == "WDC WD5000"
    with pytest.raises(Conflict):
        assign_imported_drive(session, first.id, asset_tag=device.asset_tag, medium_id=device.media[0].id)
    with pytest.raises(ValidationFailed) as no_reason:
        dismiss_imported_drive(session, second.id, note=" ")
    assert no_reason.value.errors["note"] == ["Dites pourquoi ce disque est écarté."]
    dismissed = dismiss_imported_drive(session, second.id, note="Disque de test de la station", user_id=users["technicien"])
    assert dismissed.status == "dismissed" and review_queue(session) == []


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "Fichier vide : un journal nwipe ou un rapport JSON/CSV est attendu."),
        (b"hello world", "Format non reconnu : un journal nwipe/ShredOS, ou un rapport JSON ou CSV (avec une colonne serial_number) est attendu."),
        (b'{"drives": [', "JSON mal formé"),
        (b'{"disks": []}', "Rapport JSON : un objet avec une liste « drives » (un élément par disque) est attendu."),
    ],
)
def test_unreadable_reports_are_refused_and_nothing_is_written(session, shop, content, message):
    with pytest.raises(ValidationFailed) as refused:
        import_erasure_report(session, content)
    assert refused.value.errors["file"][0].startswith(message)
    assert count(session, ErasureImport) == 0


def test_an_invalid_entry_refuses_the_whole_report(session, shop):
    make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "A1"}])
    report = {"drives": [
        {"serial_number": "A1", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True},
        {"serial_number": "A2", "level": "wipe-it", "technique": "overwrite", "result": "pass"},
    ]}
    with pytest.raises(ValidationFailed) as refused:
        import_erasure_report(session, json.dumps(report).encode())
    assert refused.value.errors["drives.2.level"][0].startswith("disque 2 : Niveau inconnu(e)")
    assert refused.value.errors["drives.2.verified"] == ["disque 2 : Champ obligatoire."]
    assert refused.value.message.startswith("Rapport refusé, rien n'a été importé.")
    assert count(session, ErasureImport) == 0 and count(session, ErasureRecord) == 0
