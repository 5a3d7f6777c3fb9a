"""the review queue of hardware snapshots: a queued snapshot may be dismissed (status « dismissed »
with its reason, no device), who reviewed it and when, and the count of disks set aside still to
resolve (pending_disks, indexed: the queue reads it rather than every snapshot's JSON), filled
from the disks set aside of the snapshots already received

Revision ID: 0015_snapshot_review
Revises: 0014_laptop_storage_check
Create Date: 2026-12-04 17:30:00

"""
import re

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015_snapshot_review'
down_revision = '0014_laptop_storage_check'
branch_labels = None
depends_on = None

STATUSES_BEFORE = "status IN ('registered', 'completed', 'unchanged', 'queued')"
STATUSES_AFTER = "status IN ('registered', 'completed', 'unchanged', 'queued', 'dismissed')"
DEVICE_BEFORE = "status = 'queued' OR device_id IS NOT NULL"
DEVICE_AFTER = "status IN ('queued', 'dismissed') OR device_id IS NOT NULL"

snapshots = sa.table("device_snapshot", sa.column("id", sa.Integer), sa.column("ignored", sa.JSON),
                     sa.column("pending_disks", sa.Integer))


VIRTUAL_DEVICE = re.compile(r"(zram|loop|ram|sr|fd|md|dm-|nbd)\d*$")


def _needs_review(entry: dict) -> bool:
    reason, name = entry.get("reason"), entry.get("device_name")
    if reason == "unreadable":
        key = name.rsplit("/", 1)[-1] if isinstance(name, str) and name else None
        return key is not None and not VIRTUAL_DEVICE.match(key)
    return reason not in ("removable", "duplicate")


def upgrade():
    with op.batch_alter_table('device_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_disks', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dismissal_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_device_snapshot_reviewed_by_id_ab_user'), 'ab_user',
                                    ['reviewed_by_id'], ['id'])
        batch_op.create_index('ix_device_snapshot_pending_disks', ['pending_disks'], unique=False)
        batch_op.drop_constraint(op.f('ck_device_snapshot_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_device_snapshot_status'), STATUSES_AFTER)
        batch_op.drop_constraint(op.f('ck_device_snapshot_device_unless_queued'), type_='check')
        batch_op.create_check_constraint(op.f('ck_device_snapshot_device_unless_queued'), DEVICE_AFTER)
        batch_op.create_check_constraint(op.f('ck_device_snapshot_dismissed_with_reason'),
                                         "status <> 'dismissed' OR dismissal_reason IS NOT NULL")
        batch_op.create_check_constraint(op.f('ck_device_snapshot_pending_disks_nonnegative'), 'pending_disks >= 0')
    # No disk set aside had a resolution before: each one that may be the machine's own is still
    # to resolve (the rule of inventory.snapshots.envelopes.needs_review as it was written then).
    connection = op.get_bind()
    for key, ignored in connection.execute(sa.select(snapshots.c.id, snapshots.c.ignored)).all():
        entries = [dict(entry, review=_needs_review(entry)) for entry in ignored or []]
        count = sum(1 for entry in entries if entry["review"])
        if entries:
            connection.execute(snapshots.update().where(snapshots.c.id == key)
                               .values(ignored=entries, pending_disks=count))


def downgrade():
    # A dismissed snapshot goes back to the queue rather than being lost.
    op.execute("UPDATE device_snapshot SET status = 'queued' WHERE status = 'dismissed'")
    with op.batch_alter_table('device_snapshot', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_device_snapshot_pending_disks_nonnegative'), type_='check')
        batch_op.drop_constraint(op.f('ck_device_snapshot_dismissed_with_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_device_snapshot_device_unless_queued'), type_='check')
        batch_op.create_check_constraint(op.f('ck_device_snapshot_device_unless_queued'), DEVICE_BEFORE)
        batch_op.drop_constraint(op.f('ck_device_snapshot_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_device_snapshot_status'), STATUSES_BEFORE)
        batch_op.drop_index('ix_device_snapshot_pending_disks')
        batch_op.drop_constraint(batch_op.f('fk_device_snapshot_reviewed_by_id_ab_user'), type_='foreignkey')
        batch_op.drop_column('dismissal_reason')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('pending_disks')
