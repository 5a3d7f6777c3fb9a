"""the indicators' per-row summaries follow a commune given to another EPCI (issue 18 review): the
handovers', reservations' and validated requests' rows of its households carry the EPCI, and no
trigger saw ``commune.epci_id`` change (``core.territory.load_territory`` applies the bundled list
of communes at every start). One more trigger, and the rows of every household refreshed once
from the records, for a change made before it

Revision ID: 0019_reporting_commune_trigger
Revises: 0018_reporting_covering_indexes
Create Date: 2026-12-05 10:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_reporting_commune_trigger'
down_revision = '0018_reporting_covering_indexes'
branch_labels = None
depends_on = None

# A frozen copy of what reporting.summaries generated then (a migration must not change when the
# code does): the three per-row summaries' SELECT and the trigger.
NAME, TABLE = "reporting_commune", "commune"
OF_COMMUNE = "IN (SELECT id FROM household WHERE commune_insee = NEW.insee_code)"


def grams(pg, kg):
    return f"round({kg} * 1000)::bigint" if pg else f"CAST(round({kg} * 1000) AS INTEGER)"


def days(pg, later, earlier):
    if pg:
        return f"extract(epoch FROM {later} - {earlier})::float8 / 86400.0::float8"
    return f"julianday({later}) - julianday({earlier})"


def projections(pg):
    """(table, source, where, columns) of each per-row summary."""
    return [
        ("reporting_handover",
         "invoice i JOIN device d ON d.id = i.device_id JOIN collection c ON c.id = d.collection_id "
         "JOIN household h ON h.id = i.household_id JOIN commune hc ON hc.insee_code = h.commune_insee",
         "1 = 1",
         (("invoice_id", "i.id"), ("issued_at", "i.issued_at"), ("epci_id", "hc.epci_id"),
          ("household_id", "i.household_id"), ("device_id", "i.device_id"), ("donor_id", "c.donor_id"),
          ("category", "d.category"), ("weight_g", grams(pg, "d.weight_kg")),
          ("wait_days", days(pg, "i.issued_at", "d.created_at")), ("reference_value", "i.reference_value"),
          ("amount_paid", "i.amount_paid"), ("aide_solidaire", "i.aide_solidaire"))),
        ("reporting_equipment",
         "reservation rv JOIN eligibility_request r ON r.id = rv.request_id JOIN household h ON h.id = r.household_id "
         "JOIN commune hc ON hc.insee_code = h.commune_insee JOIN device d ON d.id = rv.device_id "
         "JOIN collection c ON c.id = d.collection_id",
         "rv.status = 'handed_over'",
         (("reservation_id", "rv.id"), ("request_id", "rv.request_id"), ("household_id", "r.household_id"),
          ("epci_id", "hc.epci_id"), ("device_id", "rv.device_id"), ("donor_id", "c.donor_id"),
          ("category", "d.category"), ("equipped_at", "r.equipped_at"), ("ended_at", "rv.ended_at"),
          ("internet_access", "rv.internet_access"), ("internet_offer_referred", "rv.internet_offer_referred"))),
        ("reporting_validated_request",
         "eligibility_request r JOIN household h ON h.id = r.household_id "
         "JOIN commune hc ON hc.insee_code = h.commune_insee",
         "r.status IN ('validated', 'equipped') AND r.decided_at IS NOT NULL",
         (("request_id", "r.id"), ("household_id", "r.household_id"), ("epci_id", "hc.epci_id"),
          ("category", "r.category"), ("decided_at", "r.decided_at"))),
    ]


def refresh(projection, match):
    """Delete the rows whose household ``match``es, then select them again from the records."""
    table, source, where, columns = projection
    household = dict(columns)["household_id"]
    names = ", ".join(name for name, _ in columns)
    return [f"DELETE FROM {table} WHERE household_id {match}",
            f"INSERT INTO {table} ({names}) SELECT {', '.join(expr for _, expr in columns)} FROM {source} "
            f"WHERE {where} AND {household} {match}"]


def triggers(dialect):
    """(name, table, timing, when, statements) of the trigger, as migration 0017 lists its own."""
    pg = dialect == "postgresql"
    test = "IS DISTINCT FROM" if pg else "IS NOT"
    return [(NAME, TABLE, "UPDATE OF epci_id", f"OLD.epci_id {test} NEW.epci_id",
             [statement for projection in projections(pg) for statement in refresh(projection, OF_COMMUNE)])]


def upgrade():
    dialect = op.get_bind().dialect.name
    for name, table, timing, when, statements in triggers(dialect):
        body = "; ".join(statements)
        if dialect == "postgresql":
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body}; RETURN NULL; END $$")
            op.execute(f"CREATE TRIGGER {name} AFTER {timing} ON {table} FOR EACH ROW WHEN ({when}) "
                       f"EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {timing} ON {table} FOR EACH ROW WHEN {when} BEGIN {body}; END")
    # A commune changed before this trigger: every household's rows, once, from the records.
    for statement in (s for projection in projections(dialect == "postgresql")
                      for s in refresh(projection, "IN (SELECT id FROM household)")):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {NAME}()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}")
