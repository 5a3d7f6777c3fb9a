"""indexes for the list pages' orders, read a page from either end (issue 18)

Revision ID: 0016_list_indexes
Revises: 0015_snapshot_review
Create Date: 2026-12-04 18:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_list_indexes'
down_revision = '0015_snapshot_review'
branch_labels = None
depends_on = None

# (index, table, columns): each list's order, ending with the id that breaks ties.
INDEXES = [
    ("ix_device_category_id", "device", ["category", "id"]),
    ("ix_device_state_id", "device", ["state", "id"]),
    ("ix_device_grade_id", "device", ["grade", "id"]),
    ("ix_reservation_status_expires_id", "reservation", ["status", "expires_at", "id"]),
    ("ix_eligibility_request_created_id", "eligibility_request", ["created_at", "id"]),
    ("ix_audit_entry_reference_id", "audit_entry", ["household_reference", "id"]),
    ("ix_workshop_session_starts_id", "workshop_session", ["starts_at", "id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
