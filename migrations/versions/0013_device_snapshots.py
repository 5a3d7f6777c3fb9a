"""hardware snapshots: the snapshots received (device_snapshot) and each storage medium's health as
the last snapshot read it (power-on hours, SMART result, reallocated and pending sectors, NVMe
wear, « disque à remplacer »)

Revision ID: 0013_device_snapshots
Revises: 0012_station_tokens
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013_device_snapshots'
down_revision = '0012_station_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('software_version', sa.String(length=80), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('collected_at', sa.DateTime(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('maker', sa.String(length=80), nullable=True),
    sa.Column('model', sa.String(length=120), nullable=True),
    sa.Column('serial_number', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('processor', sa.String(length=120), nullable=True),
    sa.Column('memory_gb', sa.Numeric(precision=8, scale=1), nullable=True),
    sa.Column('battery_health', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('disks', sa.JSON(), nullable=False),
    sa.Column('ignored', sa.JSON(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('station_token_id', sa.Integer(), nullable=True),
    sa.Column('station_name', sa.String(length=120), nullable=True),
    sa.CheckConstraint("status IN ('registered', 'completed', 'unchanged', 'queued')",
                       name=op.f('ck_device_snapshot_status')),
    sa.CheckConstraint("status = 'queued' OR device_id IS NOT NULL",
                       name=op.f('ck_device_snapshot_device_unless_queued')),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_device_snapshot_collection_id_collection')),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_snapshot_device_id_device')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['ab_user.id'], name=op.f('fk_device_snapshot_posted_by_id_ab_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_snapshot')),
    sa.UniqueConstraint('uuid', name=op.f('uq_device_snapshot_uuid'))
    )
    with op.batch_alter_table('device_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_snapshot_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_snapshot_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_snapshot_serial_number'), ['serial_number'], unique=False)
        batch_op.create_index('ix_device_snapshot_status', ['status'], unique=False)

    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.add_column(sa.Column('power_on_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('smart_passed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('reallocated_sectors', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('pending_sectors', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('nvme_percentage_used', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('needs_replacement', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('health_read_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.drop_column('health_read_at')
        batch_op.drop_column('needs_replacement')
        batch_op.drop_column('nvme_percentage_used')
        batch_op.drop_column('pending_sectors')
        batch_op.drop_column('reallocated_sectors')
        batch_op.drop_column('smart_passed')
        batch_op.drop_column('power_on_hours')

    with op.batch_alter_table('device_snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_device_snapshot_status')
        batch_op.drop_index(batch_op.f('ix_device_snapshot_serial_number'))
        batch_op.drop_index(batch_op.f('ix_device_snapshot_device_id'))
        batch_op.drop_index(batch_op.f('ix_device_snapshot_content_hash'))

    op.drop_table('device_snapshot')
