"""the per-row summaries' period indexes carry the columns the indicators read (PostgreSQL
INCLUDE), so that a period's rows come from the index alone (issue 18: a third less time on
100,000 handovers a year); SQLite keeps the plain indexes

Revision ID: 0018_reporting_covering_indexes
Revises: 0017_reporting_summaries
Create Date: 2026-12-04 20:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_reporting_covering_indexes'
down_revision = '0017_reporting_summaries'
branch_labels = None
depends_on = None

# (index, table, column, included columns)
INDEXES = [
    ("ix_reporting_handover_issued_at", "reporting_handover", "issued_at",
     ["epci_id", "donor_id", "category", "weight_g", "wait_days", "reference_value", "amount_paid", "aide_solidaire"]),
    ("ix_reporting_equipment_equipped_at", "reporting_equipment", "equipped_at",
     ["epci_id", "household_id", "donor_id", "category"]),
    ("ix_reporting_equipment_ended_at", "reporting_equipment", "ended_at",
     ["epci_id", "donor_id", "category", "internet_access", "internet_offer_referred"]),
    ("ix_reporting_validated_request_decided_at", "reporting_validated_request", "decided_at",
     ["household_id", "epci_id", "category"]),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column, included in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], unique=False, postgresql_include=included)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column, _ in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], unique=False)
