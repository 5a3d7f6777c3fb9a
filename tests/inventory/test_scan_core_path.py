"""The scan's Core path (issue 18): the statements a scan sends, the card it answers, the
optimistic lock and the durability of what it writes, on both engines.

A scan reads and writes through SQLAlchemy Core (``inventory.services.scan_store``), not the
ORM: these tests pin what that must keep — the fewest statements (counted, never timed), the
same card as the device API's, no overwrite of a device changed since it was read, a device's
change committed as durably as any other, and a session that holds the device sees the change.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from core.errors import Conflict
from core.unit_of_work import CONCURRENT_CHANGE
from inventory.models import Device, DeviceEvent, ScanContext
from inventory.representations import device_json
from inventory.services import scan_store
from inventory.services.scan import scan
from inventory.services.transitions import transition
from tests.concurrency import meet_after_first_call, one_winner
from tests.helpers import advance, at, make_device, make_workshop, sanitise


@contextmanager
def statements(session):
    """The SQL statements sent on the session's engine inside the block, first word upper-cased
    (``SELECT``, ``INSERT``…, ``BEGIN IMMEDIATE``, ``SET LOCAL …``)."""
    sent: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def kinds(sent: list[str]) -> list[str]:
    """Each statement named by what it does: ``select device`` (named by its first column's
    table), ``upsert context``, ``update device``…"""
    named = []
    for statement in sent:
        if statement.startswith("BEGIN IMMEDIATE"):
            named.append("begin immediate")
        elif statement.startswith("SET LOCAL synchronous_commit TO OFF"):
            named.append("no wait for disk")
        elif statement.startswith("INSERT INTO scan_context"):
            named.append("upsert context")
        elif statement.startswith("INSERT INTO device_event"):
            named.append("insert event")
        elif statement.startswith("UPDATE device SET"):
            named.append("update device")
        elif statement.startswith("SELECT "):
            named.append("select " + statement.split()[1].split(".")[0])
        else:
            named.append(statement[:40])
    return named


def expected(session, *names: str, durable: bool = False) -> list[str]:
    """What a scan sends on this engine: SQLite takes the write lock first; on PostgreSQL a scan
    that changed no device says, after writing the context, that its commit need not wait for
    the disk."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    sent = ["begin immediate"] if sqlite else []
    for name in names:
        sent.append(name)
        if name == "upsert context" and not (sqlite or durable):
            sent.append("no wait for disk")
    return sent


def test_a_look_at_a_device_is_three_statements(session, shop, tech):
    """The device (with its collection, location, media, erasures) and the user's context in
    one statement, the context written in one, the latest events in one."""
    tag = make_device(session, shop["collection"].id).asset_tag
    scan(session, shop["bin_a"].code, user_id=tech, now=at(0))
    scan(session, shop["bin_a"].code, user_id=tech, now=at(3))        # a context, the put-away ended
    with statements(session) as sent:
        outcome = scan(session, tag, user_id=tech, now=at(6))
    assert outcome.kind == "device" and outcome.applied is None
    assert kinds(sent) == expected(session, "select device", "upsert context", "select device_event")


def test_a_first_scan_and_a_put_away_cost_no_more(session, shop, tech):
    """No context yet, then a put-away under way: still one statement reads device and context."""
    tag = make_device(session, shop["collection"].id, storage=None).asset_tag
    with statements(session) as first:
        scan(session, tag, user_id=tech, now=at(0))
    assert kinds(first) == expected(session, "select device", "upsert context", "select device_event")
    with statements(session) as location:
        scan(session, shop["bin_a"].code, user_id=tech, now=at(3))
    assert kinds(location) == expected(session, "select location", "select scan_context", "upsert context")
    stocked = make_device(session, shop["collection"].id, storage=None)
    advance(session, stocked, "in_stock")
    with statements(session) as moved:
        outcome = scan(session, stocked.asset_tag, user_id=tech, now=at(6))
    assert outcome.moved_to.code == shop["bin_a"].code
    assert kinds(moved) == expected(session, "select device", "update device", "insert event",
                                    "upsert context", "select device_event", durable=True)


def test_a_transition_adds_its_two_writes_and_waits_for_the_disk(session, shop, tech):
    """A station's transition: one UPDATE under the optimistic lock, one event, and a commit that
    waits for the disk like any other change of a device."""
    tag = make_device(session, shop["collection"].id).asset_tag
    with statements(session) as sent:
        outcome = scan(session, tag, user_id=tech, station="wiping", now=at(0))
    assert outcome.applied == {"from": "received", "to": "wiping"}
    assert kinds(sent) == expected(session, "select device", "update device", "insert event", "upsert context",
                                   "select device_event", durable=True)
    update = next(s for s in sent if s.startswith("UPDATE device"))
    assert "WHERE device.id = " in update and "AND device.version = " in update


def test_a_refusal_writes_no_device(session, shop, tech):
    tag = make_device(session, shop["collection"].id).asset_tag
    with statements(session) as sent:
        outcome = scan(session, tag, user_id=tech, station="stock", now=at(0))
    assert outcome.level == "error"
    assert kinds(sent) == expected(session, "select device", "upsert context", "select device_event")


def test_a_collection_is_one_statement_with_its_count(session, shop, tech):
    make_device(session, shop["collection"].id)
    with statements(session) as sent:
        outcome = scan(session, shop["collection"].reference, user_id=tech, now=at(0))
    assert (outcome.registered, outcome.obj.donor.name) == (1, "Donateur Test")
    assert kinds(sent) == expected(session, "select collection", "select scan_context", "upsert context")


def test_the_card_is_the_device_apis(session, shop, tech):
    """The scan's card, read by Core, equals the device API's representation of the ORM device:
    every field, media in order with their erasure records, location and collection; after a
    transition and a move too (state, location, version and time as written)."""
    device = make_device(session, shop["collection"].id, storage=[
        {"kind": "hdd", "serial_number": "HDD-A", "capacity_gb": 500, "manufacturer": "Seagate"},
        {"kind": "ssd", "serial_number": "SSD-B", "capacity_gb": 256}],
        specs={"cpu": "Intel Core i5-8350U", "ram_gb": 8, "screen_in": 14, "os": "Windows 11"}, weight_kg=1.6)
    sanitise(session, device)
    sanitise(session, device)                                         # two records per medium
    scan(session, shop["bin_b"].code, user_id=tech, now=at(0))
    outcome = scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(3))
    assert (outcome.applied, outcome.moved_to.code) == ({"from": "received", "to": "wiping"}, shop["bin_b"].code)
    session.expire_all()
    stored = session.get(Device, device.id)
    assert len(stored.media) == 2 and all(len(m.erasures) == 2 for m in stored.media)
    assert device_json(outcome.obj) == device_json(stored)
    again = scan(session, device.asset_tag, user_id=tech, now=at(9))
    assert device_json(again.obj) == device_json(stored)


def test_a_code_naming_two_devices_resolves_as_before(session, shop, tech):
    """An asset tag wins over another device's serial number that reads the same."""
    first = make_device(session, shop["collection"].id)
    second = make_device(session, shop["collection"].id)
    session.execute(Device.__table__.update().where(Device.__table__.c.id == second.id)
                    .values(serial_number=first.asset_tag))
    session.commit()
    assert scan(session, first.asset_tag, user_id=tech, now=at(0)).obj.id == first.id


def test_a_device_changed_since_it_was_read_is_not_overwritten(session, shop, tech, monkeypatch):
    """The optimistic lock: the UPDATE names the version read; had another transaction moved it
    on, no row matches, the scan answers Conflict and writes nothing (no event, no context)."""
    device = make_device(session, shop["collection"].id)
    device_id, version = device.id, device.version
    real = scan_store.find_device

    def read_an_older_version(conn, code, user_id):
        found, context = real(conn, code, user_id)
        found.version -= 1                                            # as read before another change
        return found, context

    monkeypatch.setattr(scan_store, "find_device", read_an_older_version)
    events = session.execute(select(func.count()).select_from(DeviceEvent)).scalar()
    with pytest.raises(Conflict) as refused:
        scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(0))
    assert refused.value.message == CONCURRENT_CHANGE
    session.expire_all()
    stored = session.get(Device, device_id)
    assert (stored.state, stored.version) == ("received", version)
    assert session.execute(select(func.count()).select_from(DeviceEvent)).scalar() == events
    assert session.execute(select(ScanContext).where(ScanContext.user_id == tech)).first() is None


def test_the_session_sees_what_the_scan_wrote(session, shop, tech):
    """The scan writes without the ORM: the copy of the device this session holds is expired,
    so that it reads the new state, location and version, and a later change through the ORM
    is not refused as stale."""
    device = make_device(session, shop["collection"].id)
    version = device.version
    scan(session, shop["bin_a"].code, user_id=tech, now=at(0))
    scan(session, device.asset_tag, user_id=tech, station="wiping", now=at(3))
    assert (device.state, device.location.code, device.version) == ("wiping", shop["bin_a"].code, version + 1)
    sanitise(session, device)
    assert transition(session, device.asset_tag, "grading").state == "grading"


@pytest.mark.concurrency
def test_two_scans_of_one_device_at_once_apply_once(app, session, race, monkeypatch):
    """Two stations scan the same device at the wiping station at once. PostgreSQL: both read
    « Réceptionné », the version stops the second (Conflict). SQLite: the second waits for the
    first's write lock, then reads « Effacement » (information, nothing written)."""
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    tag, device_id = device.asset_tag, device.id
    sm = app.appbuilder.sm
    scanners = [sm.find_user("technicien").id, sm.find_user("admin").id]
    session.commit()
    contest = race(2)
    meet_after_first_call(monkeypatch, scan_store, "find_device", contest)

    def attempt(index: int) -> str:
        contest.meet_at_start()
        outcome = scan(db.session, tag, user_id=scanners[index], station="wiping", now=at(index))
        return "applied" if outcome.applied else outcome.message

    outcomes = contest.run(attempt)
    if contest.serialised:
        assert sorted(o.value for o in outcomes) == sorted(["applied", f"{tag} est déjà à l'état « Effacement »."])
    else:
        assert one_winner(outcomes, Conflict, CONCURRENT_CHANGE) == "applied"
    session.expire_all()
    assert session.get(Device, device_id).state == "wiping"
    events = session.execute(select(DeviceEvent.to_state).where(DeviceEvent.device_id == device_id)
                             .order_by(DeviceEvent.id)).scalars().all()
    assert events == ["received", "wiping"]
