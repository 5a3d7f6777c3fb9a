"""the indicators' derived summaries (issue 18): counts of device events per Martinique day and
month × donor × site × category with the stock's net changes, one row per handover, per
reservation handed over and per validated request; the triggers that keep them in the same
transaction as every write on SQLite and PostgreSQL; filled from the records already there

Revision ID: 0017_reporting_summaries
Revises: 0016_list_indexes
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017_reporting_summaries'
down_revision = '0016_list_indexes'
branch_labels = None
depends_on = None

# A frozen copy of reporting.summaries as written then (a migration must not change when the
# code does): the states, the counted events, the triggers' SQL and the recomputation.
STATES = ("received", "wiping", "repair", "grading", "in_stock", "reserved", "distributed", "parts", "recycled")
COUNTED_EVENTS = {
    "received": {"kind": "received"},
    "sanitised": {"kind": "transition", "from_state": "wiping"},
    "graded": {"kind": "graded"},
    "recycled": {"kind": "transition", "to_state": "recycled"},
}
KEYS = ["span", "day", "donor_id", "site_id", "category"]
VALUES = [*COUNTED_EVENTS, "recycled_g", *(f"stock_{state}" for state in STATES)]
TABLES = ("reporting_device_day", "reporting_handover", "reporting_equipment", "reporting_validated_request")


class Sql:
    def __init__(self, dialect):
        self.pg = dialect == "postgresql"

    def bucket(self, at):
        if self.pg:
            return (f"CASE s.span WHEN 'day' THEN ({at} - INTERVAL '4 hours')::date "
                    f"ELSE date_trunc('month', {at} - INTERVAL '4 hours')::date END")
        return f"CASE s.span WHEN 'day' THEN date({at}, '-4 hours') ELSE date({at}, '-4 hours', 'start of month') END"

    def grams(self, kg):
        return f"round({kg} * 1000)::bigint" if self.pg else f"CAST(round({kg} * 1000) AS INTEGER)"

    def days(self, later, earlier):
        if self.pg:
            return f"extract(epoch FROM {later} - {earlier})::float8 / 86400.0::float8"
        return f"julianday({later}) - julianday({earlier})"

    def changed(self, *columns):
        test = "IS DISTINCT FROM" if self.pg else "IS NOT"
        return " OR ".join(f"OLD.{c} {test} NEW.{c}" for c in columns)


def counted(name, e):
    return " AND ".join(f"{e}.{column} = '{value}'" for column, value in COUNTED_EVENTS[name].items())


def device_day_select(sql, *, source, where, e="e", donor="c.donor_id", site="c.site_id", category="d.category",
                      weight="d.weight_kg", sign=1):
    one = "1" if sign > 0 else "-1"
    total = (lambda x: f"sum({x})") if e == "e" else (lambda x: f"({x})")
    values = [total(f"CASE WHEN {counted(name, e)} THEN {one} ELSE 0 END") for name in COUNTED_EVENTS]
    values.append(total(f"CASE WHEN {counted('recycled', e)} THEN {one} * coalesce({sql.grams(weight)}, 0) ELSE 0 END"))
    values += [total(f"CASE WHEN {e}.kind IN ('received', 'transition') AND {e}.to_state = '{state}' THEN {one} ELSE 0 END"
                   f" - CASE WHEN {e}.kind IN ('received', 'transition') AND {e}.from_state = '{state}' THEN {one} ELSE 0 END")
               for state in STATES]
    return (f"SELECT s.span, {sql.bucket(f'{e}.at')}, {donor}, {site}, {category}, {', '.join(values)} "
            f"FROM {source} CROSS JOIN (SELECT 'day' AS span UNION ALL SELECT 'month' AS span) s "
            f"WHERE {where} AND {e}.kind IN ('received', 'transition', 'graded')" + (" GROUP BY 1, 2, 3, 4, 5" if e == "e" else ""))


def device_day_add(sql, **select):
    added = ", ".join(f"{v} = reporting_device_day.{v} + excluded.{v}" for v in VALUES)
    return (f"INSERT INTO reporting_device_day ({', '.join(KEYS + VALUES)}) {device_day_select(sql, **select)} "
            f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {added}")


class Projection:
    def __init__(self, table, source, where, columns):
        self.table, self.source, self.where, self.columns = table, source, where, columns

    def select(self, scope="1 = 1"):
        return f"SELECT {', '.join(expr for _, expr in self.columns)} FROM {self.source} WHERE {self.where} AND {scope}"

    def refresh(self, column, match):
        source = dict(self.columns)[column]
        names = ", ".join(name for name, _ in self.columns)
        return [f"DELETE FROM {self.table} WHERE {column} {match}",
                f"INSERT INTO {self.table} ({names}) {self.select(f'{source} {match}')}"]


def projections(sql):
    return {
        "handover": Projection(
            "reporting_handover",
            "invoice i JOIN device d ON d.id = i.device_id JOIN collection c ON c.id = d.collection_id "
            "JOIN household h ON h.id = i.household_id JOIN commune hc ON hc.insee_code = h.commune_insee",
            "1 = 1",
            (("invoice_id", "i.id"), ("issued_at", "i.issued_at"), ("epci_id", "hc.epci_id"),
             ("household_id", "i.household_id"), ("device_id", "i.device_id"), ("donor_id", "c.donor_id"),
             ("category", "d.category"), ("weight_g", sql.grams("d.weight_kg")),
             ("wait_days", sql.days("i.issued_at", "d.created_at")), ("reference_value", "i.reference_value"),
             ("amount_paid", "i.amount_paid"), ("aide_solidaire", "i.aide_solidaire"))),
        "equipment": Projection(
            "reporting_equipment",
            "reservation rv JOIN eligibility_request r ON r.id = rv.request_id JOIN household h ON h.id = r.household_id "
            "JOIN commune hc ON hc.insee_code = h.commune_insee JOIN device d ON d.id = rv.device_id "
            "JOIN collection c ON c.id = d.collection_id",
            "rv.status = 'handed_over'",
            (("reservation_id", "rv.id"), ("request_id", "rv.request_id"), ("household_id", "r.household_id"),
             ("epci_id", "hc.epci_id"), ("device_id", "rv.device_id"), ("donor_id", "c.donor_id"),
             ("category", "d.category"), ("equipped_at", "r.equipped_at"), ("ended_at", "rv.ended_at"),
             ("internet_access", "rv.internet_access"), ("internet_offer_referred", "rv.internet_offer_referred"))),
        "validated_request": Projection(
            "reporting_validated_request",
            "eligibility_request r JOIN household h ON h.id = r.household_id "
            "JOIN commune hc ON hc.insee_code = h.commune_insee",
            "r.status IN ('validated', 'equipped') AND r.decided_at IS NOT NULL",
            (("request_id", "r.id"), ("household_id", "r.household_id"), ("epci_id", "hc.epci_id"),
             ("category", "r.category"), ("decided_at", "r.decided_at"))),
    }


EVENTS = "device_event e JOIN device d ON d.id = e.device_id JOIN collection c ON c.id = d.collection_id"
DEVICE_OF_NEW = "device d JOIN collection c ON c.id = d.collection_id"


def triggers(dialect):
    """(name, table, timing, when, statements) of every trigger."""
    sql = Sql(dialect)
    p = projections(sql)
    of_collection = "IN (SELECT id FROM device WHERE collection_id = NEW.id)"
    return [
        ("reporting_event_insert", "device_event", "INSERT", "NEW.kind <> 'move'",
         [device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = NEW.device_id", e="NEW")]),
        ("reporting_event_update", "device_event", "UPDATE", None,
         [device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = OLD.device_id", e="OLD", sign=-1),
          device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = NEW.device_id", e="NEW")]),
        ("reporting_event_delete", "device_event", "DELETE", "OLD.kind <> 'move'",
         [device_day_add(sql, source=DEVICE_OF_NEW, where="d.id = OLD.device_id", e="OLD", sign=-1)]),
        ("reporting_device_counts", "device", "UPDATE OF category, collection_id, weight_kg",
         sql.changed("category", "collection_id", "weight_kg"),
         [device_day_add(sql, source="device_event e JOIN collection c ON c.id = OLD.collection_id",
                         where="e.device_id = OLD.id", category="OLD.category", weight="OLD.weight_kg", sign=-1),
          device_day_add(sql, source=EVENTS, where="e.device_id = NEW.id")]),
        ("reporting_device_rows", "device", "UPDATE OF category, collection_id, weight_kg, created_at",
         sql.changed("category", "collection_id", "weight_kg", "created_at"),
         [*p["handover"].refresh("device_id", "= NEW.id"), *p["equipment"].refresh("device_id", "= NEW.id")]),
        ("reporting_collection", "collection", "UPDATE OF donor_id, site_id", sql.changed("donor_id", "site_id"),
         [device_day_add(sql, source="device_event e JOIN device d ON d.id = e.device_id",
                         where="d.collection_id = OLD.id", donor="OLD.donor_id", site="OLD.site_id", sign=-1),
          device_day_add(sql, source=EVENTS, where="d.collection_id = NEW.id"),
          *p["handover"].refresh("device_id", of_collection), *p["equipment"].refresh("device_id", of_collection)]),
        ("reporting_invoice_insert", "invoice", "INSERT", None, p["handover"].refresh("invoice_id", "= NEW.id")),
        ("reporting_invoice_update", "invoice", "UPDATE", None, p["handover"].refresh("invoice_id", "= NEW.id")),
        ("reporting_invoice_delete", "invoice", "DELETE", None,
         ["DELETE FROM reporting_handover WHERE invoice_id = OLD.id"]),
        ("reporting_reservation_insert", "reservation", "INSERT", "NEW.status = 'handed_over'",
         p["equipment"].refresh("reservation_id", "= NEW.id")),
        ("reporting_reservation_update", "reservation", "UPDATE",
         "OLD.status = 'handed_over' OR NEW.status = 'handed_over'", p["equipment"].refresh("reservation_id", "= NEW.id")),
        ("reporting_reservation_delete", "reservation", "DELETE", "OLD.status = 'handed_over'",
         ["DELETE FROM reporting_equipment WHERE reservation_id = OLD.id"]),
        ("reporting_request_insert", "eligibility_request", "INSERT", "NEW.status IN ('validated', 'equipped')",
         p["validated_request"].refresh("request_id", "= NEW.id")),
        ("reporting_request_decision", "eligibility_request", "UPDATE OF status, decided_at, category, household_id",
         sql.changed("status", "decided_at", "category", "household_id"),
         p["validated_request"].refresh("request_id", "= NEW.id")),
        ("reporting_request_equipped", "eligibility_request", "UPDATE OF equipped_at, household_id",
         sql.changed("equipped_at", "household_id"), p["equipment"].refresh("request_id", "= NEW.id")),
        ("reporting_request_delete", "eligibility_request", "DELETE", None,
         ["DELETE FROM reporting_validated_request WHERE request_id = OLD.id"]),
        ("reporting_household", "household", "UPDATE OF commune_insee", sql.changed("commune_insee"),
         [*p["handover"].refresh("household_id", "= NEW.id"), *p["equipment"].refresh("household_id", "= NEW.id"),
          *p["validated_request"].refresh("household_id", "= NEW.id")]),
    ]


def upgrade():
    op.create_table(
        'reporting_device_day',
        sa.Column('span', sa.String(length=5), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTED_EVENTS),
        sa.Column('recycled_g', sa.BigInteger(), nullable=False),
        *(sa.Column(f'stock_{state}', sa.Integer(), nullable=False) for state in STATES),
        sa.CheckConstraint("span IN ('day', 'month')", name=op.f('ck_reporting_device_day_span')),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_reporting_device_day')),
    )
    op.create_table(
        'reporting_handover',
        sa.Column('invoice_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('epci_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('weight_g', sa.BigInteger(), nullable=True),
        sa.Column('wait_days', sa.Double(), nullable=False),
        sa.Column('reference_value', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('amount_paid', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('aide_solidaire', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_reporting_handover')),
    )
    for column in ("issued_at", "device_id", "household_id"):
        op.create_index(f'ix_reporting_handover_{column}', 'reporting_handover', [column], unique=False)
    op.create_table(
        'reporting_equipment',
        sa.Column('reservation_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('epci_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('equipped_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('internet_access', sa.String(length=20), nullable=True),
        sa.Column('internet_offer_referred', sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint('reservation_id', name=op.f('pk_reporting_equipment')),
    )
    for column in ("request_id", "household_id", "device_id", "equipped_at", "ended_at"):
        op.create_index(f'ix_reporting_equipment_{column}', 'reporting_equipment', [column], unique=False)
    op.create_table(
        'reporting_validated_request',
        sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('epci_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_reporting_validated_request')),
    )
    for column in ("household_id", "decided_at"):
        op.create_index(f'ix_reporting_validated_request_{column}', 'reporting_validated_request', [column],
                        unique=False)

    dialect = op.get_bind().dialect.name
    for name, table, timing, when, statements in triggers(dialect):
        body = "; ".join(statements)
        if dialect == "postgresql":
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body}; RETURN NULL; END $$")
            op.execute(f"CREATE TRIGGER {name} AFTER {timing} ON {table} FOR EACH ROW"
                       + (f" WHEN ({when})" if when else "") + f" EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {timing} ON {table} FOR EACH ROW"
                       + (f" WHEN {when}" if when else "") + f" BEGIN {body}; END")

    # The records already there.
    sql = Sql(dialect)
    op.execute(f"INSERT INTO reporting_device_day ({', '.join(KEYS + VALUES)}) "
               + device_day_select(sql, source=EVENTS, where="1 = 1"))
    for projection in projections(sql).values():
        names = ", ".join(name for name, _ in projection.columns)
        op.execute(f"INSERT INTO {projection.table} ({names}) {projection.select()}")


def downgrade():
    dialect = op.get_bind().dialect.name
    for name, table, *_ in triggers(dialect):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in reversed(TABLES):
        op.drop_table(table)
