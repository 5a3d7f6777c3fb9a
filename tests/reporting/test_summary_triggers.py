"""Each trigger of reporting.summaries is needed, and enough, for the write it is there for (issue
18 review), on both engines: with every trigger, the write leaves the summaries equal to their
recomputation (``verify``); with that one trigger dropped, the same write leaves a difference.
A trigger without such a write here fails ``test_every_trigger_has_its_write``.

And the triggers the migrations install are the ones the code creates today: migration 0017
keeps a frozen copy of the generator (a migration never imports code that may change), so a
change to ``reporting.summaries.triggers`` needs a new migration; these tests say when one is
missing."""
from __future__ import annotations

import importlib.util
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, literal, select, text, update

from core.clock import utcnow
from core.territory import Commune, Epci
from distribution.models import Invoice, Reservation, immutability_triggers
from distribution.services.handover import handover
from distribution.services.reservations import reserve
from eligibility.models import Household, Request
from inventory.models import Collection, Device, DeviceEvent
from inventory.services.reference import create_organisation
from reporting.summaries import create_trigger_sql, drop_trigger_sql, triggers
from reporting.upkeep import rebuild, verify
from tests.helpers import (
    actor,
    advance,
    make_device,
    make_session,
    make_workshop,
    settings_for,
    stock_device,
    validated_request,
)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
HOME = "97213"                             # Le Lamentin (CACEM): where the test households live
_people = count(1)


# --- the records every write starts from ---------------------------------------------------------

@dataclass
class Records:
    app: object
    session: object
    shop: dict
    donors: tuple[int, int]
    scrap: int                        # a device with events, recycled, weighed, not handed over
    invoice: int                      # a handover: its invoice, reservation, request, household
    reservation: int
    request: int
    household: int
    waiting: int                      # a validated request holding no device

    def hand_over(self) -> tuple[int, int]:
        """A device reserved for a new validated request, then handed over: (invoice, reservation)."""
        reservation = self.reserve()
        result = handover(self.session, actor(self.app, "technicien"), reservation, settings_for(self.app),
                          payment_method="cash", workshop_session_id=make_session(self.app, self.session).id,
                          internet_access="mobile")
        return result.invoice.id, reservation

    def reserve(self) -> int:
        device = stock_device(self.session, self.shop, "laptop", "B")
        n = next(_people)
        item = validated_request(self.app, self.session, phone=f"0696 10 {n // 100 % 100:02d} {n % 100:02d}",
                                 last_name=f"Déclencheur{n}")
        return reserve(self.session, actor(self.app, "technicien"), item.id, device.asset_tag).id


@pytest.fixture
def records(app, session, users):
    shop = make_workshop(session)
    other = create_organisation(session, kind="donor", name="Autre donateur", commune_insee="97217")
    scrap = advance(session, make_device(session, shop["collection"].id, category="smartphone"), "recycled")
    session.execute(update(Device).where(Device.id == scrap.id).values(weight_kg="0.25"))
    session.commit()
    r = Records(app, session, shop, (shop["donor"].id, other.id), scrap.id, 0, 0, 0, 0, 0)
    r.invoice, r.reservation = r.hand_over()
    r.request = session.execute(select(Reservation.request_id).where(Reservation.id == r.reservation)).scalar_one()
    r.household = session.execute(select(Request.household_id).where(Request.id == r.request)).scalar_one()
    n = next(_people)
    r.waiting = validated_request(app, session, phone=f"0696 20 {n // 100 % 100:02d} {n % 100:02d}",
                                  last_name=f"Attente{n}").id
    session.commit()
    assert verify(session)[0] == []
    epci = session.execute(select(Commune.epci_id).where(Commune.insee_code == HOME)).scalar_one()
    yield r
    session.rollback()                     # the communes are reference data, kept between tests
    session.execute(update(Commune).where(Commune.insee_code == HOME).values(epci_id=epci))
    session.commit()


# --- the writes, one per trigger -------------------------------------------------------------------

def _dialect(session) -> str:
    return session.get_bind().dialect.name


def _exec(session, statement: str) -> None:
    session.connection().exec_driver_sql(statement)


@contextmanager
def _changes_allowed(session, *tables: str):
    """Issued invoices and their lines refuse UPDATE and DELETE (distribution.models): lifted
    for the write, as a person with the database could, then put back."""
    pg = _dialect(session) == "postgresql"
    drops = [f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}" if pg else f"DROP TRIGGER IF EXISTS {table}_{what}"
             for table in tables for what in (("immutable",) if pg else ("no_update", "no_delete"))]
    for statement in drops:
        _exec(session, statement)
    try:
        yield
    finally:
        for statement in drops:
            _exec(session, statement)
        for table in tables:
            for statement in immutability_triggers(_dialect(session), table):
                _exec(session, statement)


def _copy(session, table, key: int, **values) -> int:
    """A copy of the row ``key`` of ``table`` under a new id, with ``values`` (as an import in
    SQL would write it)."""
    columns = [c for c in table.c if c.name != "id"]
    chosen = [literal(values[c.name], c.type).label(c.name) if c.name in values else c for c in columns]
    session.execute(insert(table).from_select([c.name for c in columns], select(*chosen).where(table.c.id == key)))
    return session.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar_one()


def _invoice_copy(r: Records) -> int:
    """A copy of the handover's invoice, for a reservation copied too (numbers are unique, and a
    deleted invoice of the chain would break the next one's link)."""
    n = next(_people)
    reservation = _copy(r.session, Reservation.__table__, r.reservation)
    return _copy(r.session, Invoice.__table__, r.invoice, number=f"COPIE-{n}", chain_position=10 ** 6 + n,
                 reservation_id=reservation)


def _shift(session, model, column: str, key: int, days: int) -> None:
    """``column`` of the row ``key`` moved by ``days`` (computed here: SQLite has no interval)."""
    value = session.execute(select(getattr(model, column)).where(model.id == key)).scalar_one()
    session.execute(update(model).where(model.id == key).values({column: value + timedelta(days=days)}))


def _toggle(session, model, column: str, key: int, values: tuple) -> None:
    value = session.execute(select(getattr(model, column)).where(model.id == key)).scalar_one()
    session.execute(update(model).where(model.id == key).values({column: values[values[0] == value]}))


def _graded(r: Records) -> int:
    """A graded event of the recycled device, written with every trigger (for a write to delete)."""
    r.session.execute(insert(DeviceEvent).values(device_id=r.scrap, kind="graded", from_state="recycled",
                                                 to_state="recycled", at=utcnow() - timedelta(days=3)))
    return r.session.execute(select(DeviceEvent.id).order_by(DeviceEvent.id.desc()).limit(1)).scalar_one()


def _events_moved(r: Records) -> None:
    """Every event of the recycled device 40 days earlier (an event corrected in SQL)."""
    for event in r.session.execute(select(DeviceEvent.id).where(DeviceEvent.device_id == r.scrap)).scalars().all():
        _shift(r.session, DeviceEvent, "at", event, -40)


def _delete_invoice(r: Records, invoice: int) -> None:
    with _changes_allowed(r.session, "invoice"):
        r.session.execute(delete(Invoice).where(Invoice.id == invoice))


def _nothing(r: Records):
    return None


# name → (prepare, write): ``prepare`` runs with every trigger, ``write`` with or without the one.
WRITES = {
    "reporting_event_insert": (_nothing, lambda r, _: make_device(r.session, r.shop["collection"].id)),
    "reporting_event_update": (_nothing, lambda r, _: _events_moved(r)),
    "reporting_event_delete": (_graded, lambda r, event: r.session.execute(
        delete(DeviceEvent).where(DeviceEvent.id == event))),
    "reporting_device_counts": (_nothing, lambda r, _: _toggle(r.session, Device, "category", r.scrap,
                                                                ("tablet", "smartphone"))),
    "reporting_device_rows": (_nothing, lambda r, _: _shift(
        r.session, Device, "created_at", r.session.execute(select(Invoice.device_id).where(
            Invoice.id == r.invoice)).scalar_one(), -30)),
    "reporting_collection": (_nothing, lambda r, _: _toggle(r.session, Collection, "donor_id",
                                                             r.shop["collection"].id, r.donors)),
    "reporting_invoice_insert": (lambda r: r.reserve(), lambda r, reservation: handover(
        r.session, actor(r.app, "technicien"), reservation, settings_for(r.app), payment_method="cash",
        workshop_session_id=make_session(r.app, r.session).id)),
    "reporting_invoice_update": (_nothing, lambda r, _: _changed_invoice(r)),
    "reporting_invoice_delete": (_invoice_copy, _delete_invoice),
    "reporting_reservation_insert": (_nothing, lambda r, _: _copy(r.session, Reservation.__table__,
                                                                   r.reservation)),
    "reporting_reservation_update": (_nothing, lambda r, _: _toggle(r.session, Reservation, "internet_access",
                                                                     r.reservation, ("mobile", "broadband"))),
    "reporting_reservation_delete": (lambda r: _copy(r.session, Reservation.__table__, r.reservation),
                                     lambda r, copy: r.session.execute(
                                         delete(Reservation).where(Reservation.id == copy))),
    "reporting_request_insert": (_nothing, lambda r, _: _copy(r.session, Request.__table__, r.waiting)),
    "reporting_request_decision": (_nothing, lambda r, _: _shift(r.session, Request, "decided_at", r.waiting, -2)),
    "reporting_request_equipped": (_nothing, lambda r, _: _shift(r.session, Request, "equipped_at", r.request, -2)),
    "reporting_request_delete": (lambda r: _copy(r.session, Request.__table__, r.waiting),
                                 lambda r, copy: r.session.execute(delete(Request).where(Request.id == copy))),
    "reporting_household": (_nothing, lambda r, _: _toggle(r.session, Household, "commune_insee", r.household,
                                                            ("97217", HOME))),
    "reporting_commune": (_nothing, lambda r, _: _other_epci(r.session)),
}


def _other_epci(session) -> None:
    """The households' commune given to another EPCI (the territory's list loaded again)."""
    epcis = tuple(session.execute(select(Epci.id).where(Epci.short_name.in_(("CACEM", "Espace Sud")))
                                  .order_by(Epci.short_name)).scalars())
    now = session.execute(select(Commune.epci_id).where(Commune.insee_code == HOME)).scalar_one()
    session.execute(update(Commune).where(Commune.insee_code == HOME).values(epci_id=epcis[epcis[0] == now]))


def _changed_invoice(r: Records) -> None:
    with _changes_allowed(r.session, "invoice"):
        _toggle(r.session, Invoice, "amount_paid", r.invoice, (1, 2))


@contextmanager
def _dropped(session, name: str):
    """Trigger ``name`` (and its function) dropped for the block, then created again as the code
    creates it."""
    dialect = _dialect(session)
    table = next(t.table for t in triggers(dialect) if t.name == name)
    drop = f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else "")
    _exec(session, drop)
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        _exec(session, drop)
        for statement in create_trigger_sql(dialect):
            if statement.startswith((f"CREATE OR REPLACE FUNCTION {name}()", f"CREATE TRIGGER {name} ")):
                _exec(session, statement)
        session.commit()


def test_every_trigger_has_its_write():
    for dialect in ("sqlite", "postgresql"):
        assert {t.name for t in triggers(dialect)} == set(WRITES)


@pytest.mark.parametrize("name", list(WRITES))
def test_each_trigger_is_enough_and_needed_for_its_write(records, name):
    session = records.session
    prepare, write = WRITES[name]

    made = prepare(records)
    session.commit()
    write(records, made)
    session.commit()
    assert verify(session)[0] == [], f"{name} present: the summaries follow the write"

    made = prepare(records)
    session.commit()
    with _dropped(session, name):
        write(records, made)
        session.commit()
        problems, _ = verify(session)
    assert problems, f"{name} dropped, and no difference: its write is not what the trigger is for"
    rebuild(session)
    assert verify(session)[0] == []


# --- the migrations install the code's triggers ----------------------------------------------------

def _migration(filename: str):
    spec = importlib.util.spec_from_file_location(f"migration_{filename[:4]}", MIGRATIONS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_frozen_generators_of_the_migrations_are_the_code_s(dialect):
    """Migration 0017's copy of the generator, and 0019's of the trigger it adds, give the
    triggers, the recomputation and the projections ``reporting.summaries`` gives today (a
    difference: a new migration, not an edit of theirs)."""
    from reporting import summaries

    frozen, added = _migration("0017_reporting_summaries.py"), _migration("0019_reporting_commune_trigger.py")
    code = [(t.name, t.table, t.timing, t.when, list(t.statements)) for t in summaries.triggers(dialect)]
    assert [(name, table, timing, when, list(statements)) for name, table, timing, when, statements
            in frozen.triggers(dialect) + added.triggers(dialect)] == code
    assert frozen.device_day_select(frozen.Sql(dialect), source=frozen.EVENTS, where="1 = 1") \
        == summaries.recompute_sql(dialect)["reporting_device_day"]
    assert {p.table: p.select() for p in frozen.projections(frozen.Sql(dialect)).values()} \
        == {name: sql for name, sql in summaries.recompute_sql(dialect).items() if name != "reporting_device_day"}


def _installed(connection) -> dict[str, tuple]:
    """The reporting triggers in the database's catalog: name → (table, definition[, function body])."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'reporting%'"))
    else:
        rows = connection.execute(text(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reporting%'"))
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_migrations_install_the_triggers_the_code_creates(empty_database):
    """Upgraded with the migrations, the database holds the triggers ``create_trigger_sql`` creates
    today, to the character (read back from the catalog, before and after replacing them)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    application = create_app(TestConfig(empty_database))
    with application.app_context():
        upgrade()
        with db.engine.begin() as connection:
            migrated = _installed(connection)
            for statement in drop_trigger_sql(connection.dialect.name) + create_trigger_sql(connection.dialect.name):
                connection.exec_driver_sql(statement)
            created = _installed(connection)
        db.session.remove()
        db.engine.dispose()
    assert sorted(migrated) == sorted(created)
    assert migrated == created
