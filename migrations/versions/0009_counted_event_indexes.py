"""partial indexes on device_event for the events the indicators count

Revision ID: 0009_counted_event_indexes
Revises: 0008_distribution
Create Date: 2026-11-29 22:30:00

"""
from alembic import op
import sqlalchemy as sa

# A frozen copy of inventory.models.COUNTED_EVENTS (a migration must not change when the models do).
COUNTED_EVENTS = {
    "received": "kind = 'received'",
    "sanitised": "kind = 'transition' AND from_state = 'wiping'",
    "graded": "kind = 'graded'",
    "recycled": "kind = 'transition' AND to_state = 'recycled'",
}

# revision identifiers, used by Alembic.
revision = '0009_counted_event_indexes'
down_revision = '0008_distribution'
branch_labels = None
depends_on = None


def upgrade():
    for name, where in COUNTED_EVENTS.items():
        op.create_index(f"ix_device_event_{name}_at", "device_event", ["at", "device_id"], unique=False,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade():
    for name in reversed(list(COUNTED_EVENTS)):
        op.drop_index(f"ix_device_event_{name}_at", table_name="device_event")
