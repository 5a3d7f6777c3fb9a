"""Erasure records hold what a NIST SP 800-88 certificate of sanitisation needs; media get their
manufacturer, model and origin (donated or fitted by the workshop).

Revision ID: 0002_erasure_details
Revises: 0001_initial
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_erasure_details'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

RESULTS_BEFORE = "result IN ('pass', 'fail')"
RESULTS_AFTER = "result IN ('pass', 'pass_with_warnings', 'fail')"


def upgrade():
    with op.batch_alter_table('erasure_record', schema=None) as batch_op:
        # The person who sanitised keeps the name the operator had.
        batch_op.alter_column('operator', new_column_name='sanitised_by',
                              existing_type=sa.String(length=120), existing_nullable=True)
        batch_op.add_column(sa.Column('method', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('tool_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('passes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verification_method', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('hpa_dco', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('bytes_erased', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sanitised_by_role', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('verified_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('verified_by_role', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('destination', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False, server_default='manual'))
        batch_op.alter_column('result', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.drop_constraint(op.f('ck_erasure_record_result'), type_='check')
        batch_op.create_check_constraint(op.f('ck_erasure_record_result'), RESULTS_AFTER)
        batch_op.create_check_constraint(
            op.f('ck_erasure_record_destination'),
            "destination IS NULL OR destination IN ('reuse', 'recycling', 'destruction')")
        batch_op.create_check_constraint(op.f('ck_erasure_record_source'), "source IN ('manual', 'nwipe', 'generic')")
        batch_op.create_check_constraint(op.f('ck_erasure_record_passes_nonnegative'), 'passes IS NULL OR passes >= 0')
        batch_op.create_check_constraint(op.f('ck_erasure_record_bytes_nonnegative'),
                                         'bytes_erased IS NULL OR bytes_erased >= 0')
    with op.batch_alter_table('erasure_record', schema=None) as batch_op:
        batch_op.alter_column('source', server_default=None, existing_type=sa.String(length=10),
                              existing_nullable=False)

    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manufacturer', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('model', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=10), nullable=False, server_default='donated'))
        batch_op.create_check_constraint(op.f('ck_storage_medium_origin'), "origin IN ('donated', 'fitted')")
    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.alter_column('origin', server_default=None, existing_type=sa.String(length=10),
                              existing_nullable=False)

    # Records made before this revision: who verified is who sanitised; destination from the level.
    op.execute("UPDATE erasure_record SET verified_by = sanitised_by WHERE verified")
    op.execute("UPDATE erasure_record SET destination = 'destruction' WHERE level = 'destroy' AND result = 'pass'")
    op.execute("UPDATE erasure_record SET destination = 'reuse' WHERE level <> 'destroy' AND result = 'pass'")


def downgrade():
    op.execute("DELETE FROM erasure_record WHERE result = 'pass_with_warnings'")
    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_storage_medium_origin'), type_='check')
        batch_op.drop_column('origin')
        batch_op.drop_column('model')
        batch_op.drop_column('manufacturer')

    with op.batch_alter_table('erasure_record', schema=None) as batch_op:
        for name in ('bytes_nonnegative', 'passes_nonnegative', 'source', 'destination', 'result'):
            batch_op.drop_constraint(op.f(f'ck_erasure_record_{name}'), type_='check')
        batch_op.create_check_constraint(op.f('ck_erasure_record_result'), RESULTS_BEFORE)
        batch_op.alter_column('result', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
        for name in ('source', 'destination', 'verified_by_role', 'verified_by', 'sanitised_by_role',
                     'bytes_erased', 'hpa_dco', 'verification_method', 'passes', 'tool_version', 'method'):
            batch_op.drop_column(name)
        batch_op.alter_column('sanitised_by', new_column_name='operator',
                              existing_type=sa.String(length=120), existing_nullable=True)
