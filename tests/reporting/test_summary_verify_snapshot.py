"""``flask reporting verify`` on a live database (issue 18 review): it compares each stored summary
with its recomputation, two reads per summary and 49 s at a million devices, while the workshop
keeps writing. Both reads must see the same moment of the database, or a write committed between
them (its summaries kept by its triggers, all in order) shows as a difference and the operator is
told to rebuild. On both engines."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from core.clock import utcnow
from inventory.models import Device, DeviceEvent
from reporting import upkeep
from reporting.upkeep import verify
from tests.helpers import make_device, make_workshop


@pytest.fixture
def device(session):
    shop = make_workshop(session)
    return make_device(session, shop["collection"].id)


def _graded_event(engine, device_id: int) -> None:
    """Another transaction, on its own connection, that grades the device and commits."""
    with engine.begin() as other:
        other.execute(insert(DeviceEvent).values(device_id=device_id, kind="graded", from_state="received",
                                                 to_state="received", at=utcnow() - timedelta(minutes=1)))


def test_a_write_committed_while_verify_reads_is_no_difference(session, device, monkeypatch):
    engine, device_id = session.get_bind(), device.id
    read = upkeep._rows
    writes = []

    def then_another_transaction_writes(connection, name, select_sql):
        rows = read(connection, name, select_sql)
        if not writes:                     # between the stored rows and their recomputation
            _graded_event(engine, device_id)
            writes.append(name)
        return rows

    monkeypatch.setattr(upkeep, "_rows", then_another_transaction_writes)
    problems, _ = verify(session)
    assert writes == ["reporting_device_day"]
    assert problems == []
    monkeypatch.setattr(upkeep, "_rows", read)
    assert verify(session)[0] == []        # the next run sees the write, its summary with it


def test_verify_after_the_session_has_read_and_written(session, device):
    """A session that has read, and written without committing, in its transaction: verify
    compares what is committed (what the session had not committed is rolled back, as verify
    always did at its end), and the session remains usable."""
    session.execute(select(Device)).scalars().all()
    session.add(DeviceEvent(device_id=device.id, kind="graded", from_state="received", to_state="received",
                            at=utcnow()))
    session.flush()
    assert verify(session)[0] == []
    assert session.execute(select(func.count()).select_from(DeviceEvent)
                           .where(DeviceEvent.kind == "graded")).scalar_one() == 0
