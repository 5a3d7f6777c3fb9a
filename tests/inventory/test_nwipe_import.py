"""nwipe/ShredOS logs through the import service, with the sample logs of tests/data/nwipe."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.errors import TransitionRefused, ValidationFailed
from inventory.models import ErasureImport, ErasureRecord
from inventory.services.erasure_import import assign_imported_drive, import_erasure_report, review_queue
from inventory.services.erasures import record_erasure
from inventory.services.transitions import transition
from tests.helpers import make_device, make_workshop

LOGS = Path(__file__).resolve().parents[1] / "data" / "nwipe"


def log(name: str) -> bytes:
    return (LOGS / name).read_bytes()


@pytest.fixture
def shop(session):
    return make_workshop(session)


def in_wiping(session, collection_id, kind, serial, **extra):
    device = make_device(session, collection_id, storage=[{"kind": kind, "serial_number": serial}], **extra)
    transition(session, device.asset_tag, "wiping")
    return device


def test_complete_run_lets_the_laptop_leave_wiping(session, shop, users):
    laptop = in_wiping(session, shop["collection"].id, "ssd", "VS87A23105K4Q9M")
    outcome = import_erasure_report(session, log("complete_single.txt"), filename="nwipe_log_20240312-082137.txt",
                                    user_id=users["technicien"], operator_name="Théo Technicien", operator_role="Technicien")
    assert (outcome.format, outcome.matched, outcome.queued) == ("nwipe", 1, 0)
    record = session.execute(select(ErasureRecord)).scalar_one()
    assert (record.level, record.technique, record.method, record.tool, record.tool_version, record.passes) == (
        "clear", "overwrite", "DoD Short", "nwipe", "0.38", 1)
    assert (record.verification_method, record.verified, record.result, record.source) == ("Verify Last", True, "pass", "nwipe")
    assert (record.hpa_dco, record.bytes_erased, record.sanitised_by, record.sanitised_by_role) == (
        "No hidden sectors", 500107862016, "Théo Technicien", "Technicien")
    # The log's times are Martinique time: 08:21:37 there is 12:21:37 UTC.
    assert record.started_at == datetime(2024, 3, 12, 12, 21, 37, tzinfo=timezone.utc)
    assert record.medium.model == "VELTRA VS870 500GB"
    transition(session, laptop.asset_tag, "grading")


def test_multi_drive_run_queues_the_drive_without_serial(session, shop):
    nvme = in_wiping(session, shop["collection"].id, "nvme", "KN34N2312000417")
    hdd = in_wiping(session, shop["collection"].id, "hdd", "OM71ZC4RQ", category="desktop")
    usb = in_wiping(session, shop["collection"].id, "hdd", None, category="other")
    outcome = import_erasure_report(session, log("multi_drive.txt"))
    assert (outcome.matched, outcome.queued, outcome.duplicates) == (2, 1, 0)
    by_position = {line.position: line for line in outcome.lines}
    assert {line.asset_tag for line in outcome.lines if line.status == "matched"} == {nvme.asset_tag, hdd.asset_tag}
    queued = next(line for line in outcome.lines if line.status == "queued")
    assert queued.reason == ("Le rapport ne donne pas de numéro de série pour ce disque "
                             "(/dev/sdc, ORBIX PortaDisk) : rattachez-le à la main.")
    assert queued.result == "pass_with_warnings" and by_position
    # A technician recognises the USB disk and assigns it; warnings but verified: it counts.
    (waiting,) = review_queue(session)
    assign_imported_drive(session, waiting.id, asset_tag=usb.asset_tag, medium_id=usb.media[0].id, operator_name="Théo")
    assert usb.media[0].erasures[0].hpa_dco == "HIDDEN AREA INDETERMINATE!"
    for device in (nvme, hdd, usb):
        transition(session, device.asset_tag, "grading")


def test_failed_run_keeps_the_device_in_wiping_until_the_disk_is_destroyed(session, shop):
    device = in_wiping(session, shop["collection"].id, "hdd", "OM2B7H41KD", category="desktop")
    outcome = import_erasure_report(session, log("failed.txt"))
    assert (outcome.matched, outcome.lines[0].result) == (1, "fail")
    with pytest.raises(TransitionRefused) as kept:
        transition(session, device.asset_tag, "grading")
    assert "OM2B7H41KD" in kept.value.message
    record_erasure(session, device.asset_tag, {"medium_serial": "OM2B7H41KD", "level": "destroy", "technique": "drill",
                                               "result": "pass", "verified": False})
    transition(session, device.asset_tag, "repair", note="Disque détruit, un SSD neuf sera posé")


def test_truncated_log_is_refused_and_nothing_written(session, shop):
    in_wiping(session, shop["collection"].id, "hdd", "ANY")
    with pytest.raises(ValidationFailed) as refused:
        import_erasure_report(session, log("truncated.txt"))
    assert refused.value.errors["file"][0].startswith("Journal nwipe tronqué : le résumé de fin de passage manque")
    assert session.execute(select(func.count()).select_from(ErasureImport)).scalar_one() == 0


def test_the_same_log_twice_is_a_duplicate(session, shop):
    in_wiping(session, shop["collection"].id, "ssd", "VS87A23105K4Q9M")
    import_erasure_report(session, log("complete_single.txt"))
    # The same log saved again on Windows (CRLF, extra final newline) is still the same report.
    again = import_erasure_report(session, log("complete_single.txt").replace(b"\n", b"\r\n") + b"\r\n")
    assert (again.matched, again.queued, again.duplicates) == (0, 0, 1)
    assert session.execute(select(func.count()).select_from(ErasureRecord)).scalar_one() == 1
