"""Derived summaries of the records, read by the programme's indicators (``reporting.indicators``).

``../shared/DESIGN.md`` allows them on four conditions, and this module is how each holds:

- **maintained in the same transaction as the write that changes them**: database triggers
  (``triggers``), on SQLite and PostgreSQL alike, on every table whose rows they derive from.
  A trigger sees every write: a service's, a Core statement's, a script's, a correction made in
  SQL. It refreshes what the written row changes, from the records themselves;
- **rebuildable from the records at any time**: each summary is one SELECT over the records
  (``recompute_sql``), which ``reporting.upkeep.rebuild`` writes back (``flask reporting
  rebuild``);
- **verified against a recomputation**: ``reporting.upkeep.verify`` (``flask reporting
  verify``) compares each stored row with that SELECT's, and the tests do after random
  histories;
- never edited by hand, never read as evidence: nothing but the triggers and ``rebuild``
  writes them, and no page shows them as records (certificates, invoices and the history
  read the records).

The summaries:

``reporting_device_day``
    Per Martinique day **and** per Martinique month (``span``), per donor, collecting site and
    category: the counted device events (``inventory.models.COUNTED_EVENTS``), the recycled
    devices' weight in grams, and each state's net change (``stock_<state>``: +1 for every
    reception or transition into it, −1 for every transition out of it). A period of whole months
    reads the month rows, the days at its edges the day rows; the stock at the end of a period is
    the sum of the net changes up to it (the history replayed, as ``inventory`` guarantees a
    device's state is its last event's).
``reporting_handover``
    One row per invoice (one per handover): when, the household's EPCI, the device's donor and
    category, its weight in grams, the amounts, and the days from reception to handover as the
    indicators compute them, so that the median stays exact.
``reporting_equipment``
    One row per reservation handed over: the request's household (for distinct households), its
    EPCI, when the request was equipped, the device's donor and category, the internet access.
``reporting_validated_request``
    One row per request validated or equipped, with its decision date, household and EPCI.

The per-row summaries keep a distinct count exact (``count(DISTINCT household_id)`` over narrow
rows with the EPCI, donor and category beside them) where a histogram could not, and cost a
fraction of the joins they replace.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    event,
)

from core.base import Model
from core.types import UTCDateTime
from inventory.lifecycle import State
from inventory.models import COUNTED_EVENTS

DAY, MONTH = "day", "month"
STATES = tuple(State.values())
COUNTED = tuple(COUNTED_EVENTS)          # received, sanitised, graded, recycled
# Device events that change the stock (the others keep the device's state).
STATE_CHANGES = ("received", "transition")
SUMMARISED_KINDS = ("received", "transition", "graded")   # moves change no figure

device_day = Table(
    "reporting_device_day", Model.metadata,
    Column("span", String(5), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("donor_id", Integer, primary_key=True),
    Column("site_id", Integer, primary_key=True),
    Column("category", String(20), primary_key=True),
    *(Column(name, Integer, nullable=False) for name in COUNTED),
    Column("recycled_g", BigInteger, nullable=False),
    *(Column(f"stock_{state}", Integer, nullable=False) for state in STATES),
    CheckConstraint("span IN ('day', 'month')", name="span"),
)

handover = Table(
    "reporting_handover", Model.metadata,
    Column("invoice_id", Integer, primary_key=True, autoincrement=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("epci_id", Integer, nullable=False),
    Column("household_id", Integer, nullable=False),
    Column("device_id", Integer, nullable=False),
    Column("donor_id", Integer, nullable=False),
    Column("category", String(20), nullable=False),
    Column("weight_g", BigInteger),
    Column("wait_days", Double, nullable=False),
    Column("reference_value", Numeric(12, 2), nullable=False),
    Column("amount_paid", Numeric(12, 2), nullable=False),
    Column("aide_solidaire", Numeric(12, 2), nullable=False),
    # On PostgreSQL the period's rows are read from the index alone (INCLUDE): a third less time.
    Index("ix_reporting_handover_issued_at", "issued_at",
          postgresql_include=["epci_id", "donor_id", "category", "weight_g", "wait_days", "reference_value",
                              "amount_paid", "aide_solidaire"]),
    Index("ix_reporting_handover_device_id", "device_id"),
    Index("ix_reporting_handover_household_id", "household_id"),
)

equipment = Table(
    "reporting_equipment", Model.metadata,
    Column("reservation_id", Integer, primary_key=True, autoincrement=False),
    Column("request_id", Integer, nullable=False, index=True),
    Column("household_id", Integer, nullable=False, index=True),
    Column("epci_id", Integer, nullable=False),
    Column("device_id", Integer, nullable=False, index=True),
    Column("donor_id", Integer, nullable=False),
    Column("category", String(20), nullable=False),
    Column("equipped_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("internet_access", String(20)),
    Column("internet_offer_referred", Boolean),
    Index("ix_reporting_equipment_equipped_at", "equipped_at",
          postgresql_include=["epci_id", "household_id", "donor_id", "category"]),
    Index("ix_reporting_equipment_ended_at", "ended_at",
          postgresql_include=["epci_id", "donor_id", "category", "internet_access", "internet_offer_referred"]),
)

validated_request = Table(
    "reporting_validated_request", Model.metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=False),
    Column("household_id", Integer, nullable=False, index=True),
    Column("epci_id", Integer, nullable=False),
    Column("category", String(20), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Index("ix_reporting_validated_request_decided_at", "decided_at",
          postgresql_include=["household_id", "epci_id", "category"]),
)

TABLES = (device_day, handover, equipment, validated_request)


# --- SQL, for either database -----------------------------------------------------------------

class Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def bucket(self, at: str) -> str:
        """The first day of the row's span (``s.span``) holding the instant ``at``, in Martinique
        time (UTC−4 all year, as ``reporting.filters`` reads a period)."""
        if self.pg:
            return (f"CASE s.span WHEN 'day' THEN ({at} - INTERVAL '4 hours')::date "
                    f"ELSE date_trunc('month', {at} - INTERVAL '4 hours')::date END")
        return f"CASE s.span WHEN 'day' THEN date({at}, '-4 hours') ELSE date({at}, '-4 hours', 'start of month') END"

    def grams(self, kg: str) -> str:
        """A weight in kg (3 decimals) as whole grams: sums of integers are exact on both."""
        return f"round({kg} * 1000)::bigint" if self.pg else f"CAST(round({kg} * 1000) AS INTEGER)"

    def days(self, later: str, earlier: str) -> str:
        """(later − earlier) in days, as ``reporting.records.days_between`` computes it (on
        PostgreSQL the epoch as float8 divided by a float8, as SQLAlchemy binds 86400.0)."""
        if self.pg:
            return f"extract(epoch FROM {later} - {earlier})::float8 / 86400.0::float8"
        return f"julianday({later}) - julianday({earlier})"

    def changed(self, *columns: str) -> str:
        test = "IS DISTINCT FROM" if self.pg else "IS NOT"
        return " OR ".join(f"OLD.{c} {test} NEW.{c}" for c in columns)


def _counted_predicate(name: str, e: str) -> str:
    return " AND ".join(f"{e}.{column} = '{value}'" for column, value in COUNTED_EVENTS[name].items())


def device_day_select(sql: Sql, *, source: str, where: str, e: str = "e", donor: str = "c.donor_id",
                      site: str = "c.site_id", category: str = "d.category", weight: str = "d.weight_kg",
                      sign: int = 1) -> str:
    """The device-day rows of the events ``e`` of ``source`` meeting ``where``, each counted
    ``sign`` times, with the device described by ``donor``, ``site``, ``category``, ``weight``.
    One event (``e`` is a trigger's NEW or OLD) needs no grouping: its day and month rows."""
    one = "1" if sign > 0 else "-1"
    total = (lambda x: f"sum({x})") if e == "e" else (lambda x: f"({x})")
    changes = ", ".join(f"'{k}'" for k in STATE_CHANGES)
    values = [total(f"CASE WHEN {_counted_predicate(name, e)} THEN {one} ELSE 0 END") for name in COUNTED]
    values.append(total(f"CASE WHEN {_counted_predicate('recycled', e)} THEN {one} * coalesce({sql.grams(weight)}, 0) "
                      "ELSE 0 END"))
    values += [total(f"CASE WHEN {e}.kind IN ({changes}) AND {e}.to_state = '{state}' THEN {one} ELSE 0 END"
                   f" - CASE WHEN {e}.kind IN ({changes}) AND {e}.from_state = '{state}' THEN {one} ELSE 0 END")
               for state in STATES]
    kinds = ", ".join(f"'{k}'" for k in SUMMARISED_KINDS)
    return (f"SELECT s.span, {sql.bucket(f'{e}.at')}, {donor}, {site}, {category}, {', '.join(values)} "
            f"FROM {source} CROSS JOIN (SELECT 'day' AS span UNION ALL SELECT 'month' AS span) s "
            f"WHERE {where} AND {e}.kind IN ({kinds})" + (" GROUP BY 1, 2, 3, 4, 5" if e == "e" else ""))


def device_day_add(sql: Sql, **select) -> str:
    """Add the rows of ``device_day_select(**select)`` to the stored ones (an upsert)."""
    keys = [c.name for c in device_day.primary_key.columns]
    values = [c.name for c in device_day.columns if c.name not in keys]
    added = ", ".join(f"{v} = reporting_device_day.{v} + excluded.{v}" for v in values)
    return (f"INSERT INTO reporting_device_day ({', '.join(keys + values)}) {device_day_select(sql, **select)} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}")


@dataclass(frozen=True)
class Projection:
    """A summary of one row per record: ``columns`` (name → SQL over ``source``) of the rows
    meeting ``where``."""
    table: Table
    source: str
    where: str
    columns: tuple[tuple[str, str], ...]

    def select(self, scope: str = "1 = 1") -> str:
        return (f"SELECT {', '.join(expr for _, expr in self.columns)} FROM {self.source} "
                f"WHERE {self.where} AND {scope}")

    def refresh(self, column: str, match: str) -> list[str]:
        """Statements that rewrite, from the records, the rows whose ``column`` ``match``es
        (``= NEW.id``, ``IN (SELECT …)``): deleted, then selected again."""
        source = dict(self.columns)[column]
        names = ", ".join(name for name, _ in self.columns)
        return [f"DELETE FROM {self.table.name} WHERE {column} {match}",
                f"INSERT INTO {self.table.name} ({names}) {self.select(f'{source} {match}')}"]


def projections(sql: Sql) -> dict[str, Projection]:
    return {
        "handover": Projection(
            handover,
            "invoice i JOIN device d ON d.id = i.device_id JOIN collection c ON c.id = d.collection_id "
            "JOIN household h ON h.id = i.household_id JOIN commune hc ON hc.insee_code = h.commune_insee",
            "1 = 1",
            (("invoice_id", "i.id"), ("issued_at", "i.issued_at"), ("epci_id", "hc.epci_id"),
             ("household_id", "i.household_id"), ("device_id", "i.device_id"), ("donor_id", "c.donor_id"),
             ("category", "d.category"), ("weight_g", sql.grams("d.weight_kg")),
             ("wait_days", sql.days("i.issued_at", "d.created_at")), ("reference_value", "i.reference_value"),
             ("amount_paid", "i.amount_paid"), ("aide_solidaire", "i.aide_solidaire"))),
        "equipment": Projection(
            equipment,
            "reservation rv JOIN eligibility_request r ON r.id = rv.request_id JOIN household h ON h.id = r.household_id "
            "JOIN commune hc ON hc.insee_code = h.commune_insee JOIN device d ON d.id = rv.device_id "
            "JOIN collection c ON c.id = d.collection_id",
            "rv.status = 'handed_over'",
            (("reservation_id", "rv.id"), ("request_id", "rv.request_id"), ("household_id", "r.household_id"),
             ("epci_id", "hc.epci_id"), ("device_id", "rv.device_id"), ("donor_id", "c.donor_id"),
             ("category", "d.category"), ("equipped_at", "r.equipped_at"), ("ended_at", "rv.ended_at"),
             ("internet_access", "rv.internet_access"), ("internet_offer_referred", "rv.internet_offer_referred"))),
        "validated_request": Projection(
            validated_request,
            "eligibility_request r JOIN household h ON h.id = r.household_id "
            "JOIN commune hc ON hc.insee_code = h.commune_insee",
            "r.status IN ('validated', 'equipped') AND r.decided_at IS NOT NULL",
            (("request_id", "r.id"), ("household_id", "r.household_id"), ("epci_id", "hc.epci_id"),
             ("category", "r.category"), ("decided_at", "r.decided_at"))),
    }


EVENTS = "device_event e JOIN device d ON d.id = e.device_id JOIN collection c ON c.id = d.collection_id"
DEVICE_OF_NEW = "device d JOIN collection c ON c.id = d.collection_id"


def recompute_sql(dialect: str) -> dict[str, str]:
    """Each summary's rows recomputed from the records, in its columns' order."""
    sql = Sql(dialect)
    out = {"reporting_device_day": device_day_select(sql, source=EVENTS, where="1 = 1")}
    out.update({p.table.name: p.select() for p in projections(sql).values()})
    return out


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    timing: str                      # INSERT, UPDATE [OF …] or DELETE
    when: str | None
    statements: tuple[str, ...]


def triggers(dialect: str) -> list[Trigger]:
    """Every trigger that keeps the summaries equal to their recomputation."""
    sql = Sql(dialect)
    p = projections(sql)
    events_of_device = "device_event e JOIN device d ON d.id = e.device_id JOIN collection c ON c.id = d.collection_id"
    of_collection = "IN (SELECT id FROM device WHERE collection_id = NEW.id)"
    of_commune = "IN (SELECT id FROM household WHERE commune_insee = NEW.insee_code)"
    return [
        # A device event: added when written, taken back when corrected or deleted.
        Trigger("reporting_event_insert", "device_event", "INSERT", "NEW.kind <> 'move'",
                (device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = NEW.device_id", e="NEW"),)),
        Trigger("reporting_event_update", "device_event", "UPDATE", None,
                (device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = OLD.device_id", e="OLD", sign=-1),
                 device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = NEW.device_id", e="NEW"))),
        Trigger("reporting_event_delete", "device_event", "DELETE", "OLD.kind <> 'move'",
                (device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = OLD.device_id", e="OLD", sign=-1),)),
        # A device described again: its events counted under its new category, collection, weight.
        Trigger("reporting_device_counts", "device", "UPDATE OF category, collection_id, weight_kg",
                sql.changed("category", "collection_id", "weight_kg"),
                (device_day_add(sql, source="device_event e JOIN collection c ON c.id = OLD.collection_id",
                                where="e.device_id = OLD.id", category="OLD.category", weight="OLD.weight_kg",
                                sign=-1),
                 device_day_add(sql, source=events_of_device, where="e.device_id = NEW.id"))),
        Trigger("reporting_device_rows", "device", "UPDATE OF category, collection_id, weight_kg, created_at",
                sql.changed("category", "collection_id", "weight_kg", "created_at"),
                (*p["handover"].refresh("device_id", "= NEW.id"), *p["equipment"].refresh("device_id", "= NEW.id"))),
        # A collection given another donor or site (its reference says them: not a service's use case).
        Trigger("reporting_collection", "collection", "UPDATE OF donor_id, site_id", sql.changed("donor_id", "site_id"),
                (device_day_add(sql, source="device_event e JOIN device d ON d.id = e.device_id",
                                where="d.collection_id = OLD.id", donor="OLD.donor_id", site="OLD.site_id", sign=-1),
                 device_day_add(sql, source=events_of_device, where="d.collection_id = NEW.id"),
                 *p["handover"].refresh("device_id", of_collection),
                 *p["equipment"].refresh("device_id", of_collection))),
        # Invoices are immutable (distribution.models): only an insert happens, but a change made
        # behind their triggers' back is followed too.
        Trigger("reporting_invoice_insert", "invoice", "INSERT", None, tuple(p["handover"].refresh("invoice_id", "= NEW.id"))),
        Trigger("reporting_invoice_update", "invoice", "UPDATE", None, tuple(p["handover"].refresh("invoice_id", "= NEW.id"))),
        Trigger("reporting_invoice_delete", "invoice", "DELETE", None,
                (f"DELETE FROM {handover.name} WHERE invoice_id = OLD.id",)),
        Trigger("reporting_reservation_insert", "reservation", "INSERT", "NEW.status = 'handed_over'",
                tuple(p["equipment"].refresh("reservation_id", "= NEW.id"))),
        Trigger("reporting_reservation_update", "reservation", "UPDATE",
                "OLD.status = 'handed_over' OR NEW.status = 'handed_over'",
                tuple(p["equipment"].refresh("reservation_id", "= NEW.id"))),
        Trigger("reporting_reservation_delete", "reservation", "DELETE", "OLD.status = 'handed_over'",
                (f"DELETE FROM {equipment.name} WHERE reservation_id = OLD.id",)),
        Trigger("reporting_request_insert", "eligibility_request", "INSERT", "NEW.status IN ('validated', 'equipped')",
                tuple(p["validated_request"].refresh("request_id", "= NEW.id"))),
        Trigger("reporting_request_decision", "eligibility_request",
                "UPDATE OF status, decided_at, category, household_id",
                sql.changed("status", "decided_at", "category", "household_id"),
                tuple(p["validated_request"].refresh("request_id", "= NEW.id"))),
        Trigger("reporting_request_equipped", "eligibility_request", "UPDATE OF equipped_at, household_id",
                sql.changed("equipped_at", "household_id"), tuple(p["equipment"].refresh("request_id", "= NEW.id"))),
        Trigger("reporting_request_delete", "eligibility_request", "DELETE", None,
                (f"DELETE FROM {validated_request.name} WHERE request_id = OLD.id",)),
        # A household moved to another commune (so maybe another EPCI).
        Trigger("reporting_household", "household", "UPDATE OF commune_insee", sql.changed("commune_insee"),
                (*p["handover"].refresh("household_id", "= NEW.id"), *p["equipment"].refresh("household_id", "= NEW.id"),
                 *p["validated_request"].refresh("household_id", "= NEW.id"))),
        # A commune given to another EPCI (``core.territory.load_territory`` applies the bundled list
        # at every start): the rows of its households carry the EPCI. Migration 0019.
        Trigger("reporting_commune", "commune", "UPDATE OF epci_id", sql.changed("epci_id"),
                (*p["handover"].refresh("household_id", of_commune), *p["equipment"].refresh("household_id", of_commune),
                 *p["validated_request"].refresh("household_id", of_commune))),
    ]


def create_trigger_sql(dialect: str) -> list[str]:
    """The statements creating every trigger (and, on PostgreSQL, its function)."""
    out = []
    for t in triggers(dialect):
        body = "; ".join(t.statements)
        if dialect == "postgresql":
            when = f" WHEN ({t.when})" if t.when else ""
            out += [f"CREATE OR REPLACE FUNCTION {t.name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {body}; RETURN NULL; END $$",
                    f"CREATE TRIGGER {t.name} AFTER {t.timing} ON {t.table} FOR EACH ROW{when} EXECUTE FUNCTION {t.name}()"]
        else:
            when = f" WHEN {t.when}" if t.when else ""
            out.append(f"CREATE TRIGGER {t.name} AFTER {t.timing} ON {t.table} FOR EACH ROW{when} BEGIN {body}; END")
    return out


def drop_trigger_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [statement for t in triggers(dialect) for statement in
                (f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}", f"DROP FUNCTION IF EXISTS {t.name}()")]
    return [f"DROP TRIGGER IF EXISTS {t.name}" for t in triggers(dialect)]


@event.listens_for(Model.metadata, "after_create")
def _install_triggers(metadata, connection, tables=(), **kw) -> None:
    """A schema built from the models (the tests') gets the triggers the migrations create, once
    the summaries are among the tables just created."""
    if {table.name for table in TABLES} <= {table.name for table in tables}:
        for statement in create_trigger_sql(connection.dialect.name):
            connection.exec_driver_sql(statement)
