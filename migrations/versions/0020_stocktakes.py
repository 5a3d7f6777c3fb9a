"""stocktakes (issue 19): a stocktake of a site or of chosen locations, each location's count,
what was expected in each when it was opened, every code counted, the location each counter is
counting, what applying it did, the devices found missing, and the device's ``missing_since``

Revision ID: 0020_stocktakes
Revises: 0019_reporting_commune_trigger
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_stocktakes'
down_revision = '0019_reporting_commune_trigger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stocktake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('whole_site', sa.Boolean(), nullable=False),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'applied', 'cancelled')", name=op.f('ck_stocktake_status')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['ab_user.id'], name=op.f('fk_stocktake_ended_by_id_ab_user')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['ab_user.id'], name=op.f('fk_stocktake_opened_by_id_ab_user')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_stocktake_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake')),
    sa.UniqueConstraint('reference', name=op.f('uq_stocktake_reference'))
    )
    with op.batch_alter_table('stocktake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_site_id'), ['site_id'], unique=False)

    op.create_table('stocktake_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'counting', 'closed')", name=op.f('ck_stocktake_location_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['ab_user.id'], name=op.f('fk_stocktake_location_closed_by_id_ab_user')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_stocktake_location_location_id_location')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_location_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_location')),
    sa.UniqueConstraint('stocktake_id', 'location_id', name=op.f('uq_stocktake_location_stocktake_id_location_id'))
    )
    with op.batch_alter_table('stocktake_location', schema=None) as batch_op:
        batch_op.create_index('uq_stocktake_location_live', ['location_id'], unique=True, sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))

    op.create_table('missing_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('found_at', sa.DateTime(), nullable=True),
    sa.Column('found_by_id', sa.Integer(), nullable=True),
    sa.Column('found_how', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_missing_device_device_id_device')),
    sa.ForeignKeyConstraint(['found_by_id'], ['ab_user.id'], name=op.f('fk_missing_device_found_by_id_ab_user')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_missing_device_location_id_location')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['ab_user.id'], name=op.f('fk_missing_device_marked_by_id_ab_user')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_missing_device_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_device'))
    )
    with op.batch_alter_table('missing_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_missing_device_device_id'), ['device_id'], unique=False)
        batch_op.create_index('uq_missing_device_open', ['device_id'], unique=True, sqlite_where=sa.text('found_at IS NULL'), postgresql_where=sa.text('found_at IS NULL'))

    op.create_table('stocktake_counter',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stocktake_location_id', sa.Integer(), nullable=True),
    sa.Column('last_code', sa.String(length=120), nullable=True),
    sa.Column('last_scan_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['stocktake_location_id'], ['stocktake_location.id'], name=op.f('fk_stocktake_counter_stocktake_location_id_stocktake_location')),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_stocktake_counter_user_id_ab_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_stocktake_counter'))
    )
    op.create_table('stocktake_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('spare_part_id', sa.Integer(), nullable=True),
    sa.Column('from_location_id', sa.Integer(), nullable=True),
    sa.Column('to_location_id', sa.Integer(), nullable=True),
    sa.Column('quantity_before', sa.Integer(), nullable=True),
    sa.Column('quantity_after', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('move', 'missing', 'part', 'part_added', 'conflict')", name=op.f('ck_stocktake_adjustment_kind')),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_stocktake_adjustment_device_id_device')),
    sa.ForeignKeyConstraint(['event_id'], ['device_event.id'], name=op.f('fk_stocktake_adjustment_event_id_device_event')),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], name=op.f('fk_stocktake_adjustment_from_location_id_location')),
    sa.ForeignKeyConstraint(['spare_part_id'], ['spare_part.id'], name=op.f('fk_stocktake_adjustment_spare_part_id_spare_part')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_adjustment_stocktake_id_stocktake')),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], name=op.f('fk_stocktake_adjustment_to_location_id_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_adjustment'))
    )
    with op.batch_alter_table('stocktake_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_adjustment_stocktake_id'), ['stocktake_id'], unique=False)

    op.create_table('stocktake_count',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=120), nullable=False),
    sa.Column('outcome', sa.String(length=15), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('spare_part_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=5), nullable=True),
    sa.Column('recorded_location_id', sa.Integer(), nullable=True),
    sa.Column('recorded_state', sa.String(length=20), nullable=True),
    sa.Column('device_version', sa.Integer(), nullable=True),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("mode IS NULL OR mode IN ('add', 'set')", name=op.f('ck_stocktake_count_mode')),
    sa.CheckConstraint("outcome IN ('found', 'moved_in', 'not_on_shelf', 'unknown', 'repeat', 'part')", name=op.f('ck_stocktake_count_outcome')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stocktake_count_quantity_nonnegative')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['ab_user.id'], name=op.f('fk_stocktake_count_counted_by_id_ab_user')),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_stocktake_count_device_id_device')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_stocktake_count_location_id_location')),
    sa.ForeignKeyConstraint(['recorded_location_id'], ['location.id'], name=op.f('fk_stocktake_count_recorded_location_id_location')),
    sa.ForeignKeyConstraint(['spare_part_id'], ['spare_part.id'], name=op.f('fk_stocktake_count_spare_part_id_spare_part')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_count_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_count'))
    )
    with op.batch_alter_table('stocktake_count', schema=None) as batch_op:
        batch_op.create_index('ix_stocktake_count_stocktake_location', ['stocktake_id', 'location_id', 'id'], unique=False)
        batch_op.create_index('uq_stocktake_count_device', ['stocktake_id', 'device_id'], unique=True, sqlite_where=sa.text("outcome IN ('found', 'moved_in', 'not_on_shelf')"), postgresql_where=sa.text("outcome IN ('found', 'moved_in', 'not_on_shelf')"))

    op.create_table('stocktake_expected',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('spare_part_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('(device_id IS NULL) <> (spare_part_id IS NULL)', name=op.f('ck_stocktake_expected_one_item')),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_stocktake_expected_device_id_device')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_stocktake_expected_location_id_location')),
    sa.ForeignKeyConstraint(['spare_part_id'], ['spare_part.id'], name=op.f('fk_stocktake_expected_spare_part_id_spare_part')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_expected_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_expected'))
    )
    with op.batch_alter_table('stocktake_expected', schema=None) as batch_op:
        batch_op.create_index('ix_stocktake_expected_stocktake_device', ['stocktake_id', 'device_id'], unique=False)

    # A plain ALTER TABLE, not a batch copy of the table: the device table carries the reporting
    # summaries' triggers, which a copy would drop.
    op.add_column('device', sa.Column('missing_since', sa.DateTime(), nullable=True))



def downgrade():
    op.drop_column('device', 'missing_since')      # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): triggers kept

    with op.batch_alter_table('stocktake_expected', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktake_expected_stocktake_device')

    op.drop_table('stocktake_expected')
    with op.batch_alter_table('stocktake_count', schema=None) as batch_op:
        batch_op.drop_index('uq_stocktake_count_device', sqlite_where=sa.text("outcome IN ('found', 'moved_in', 'not_on_shelf')"), postgresql_where=sa.text("outcome IN ('found', 'moved_in', 'not_on_shelf')"))
        batch_op.drop_index('ix_stocktake_count_stocktake_location')

    op.drop_table('stocktake_count')
    with op.batch_alter_table('stocktake_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktake_adjustment_stocktake_id'))

    op.drop_table('stocktake_adjustment')
    op.drop_table('stocktake_counter')
    with op.batch_alter_table('missing_device', schema=None) as batch_op:
        batch_op.drop_index('uq_missing_device_open', sqlite_where=sa.text('found_at IS NULL'), postgresql_where=sa.text('found_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_missing_device_device_id'))

    op.drop_table('missing_device')
    with op.batch_alter_table('stocktake_location', schema=None) as batch_op:
        batch_op.drop_index('uq_stocktake_location_live', sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))

    op.drop_table('stocktake_location')
    with op.batch_alter_table('stocktake', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktake_site_id'))

    op.drop_table('stocktake')
