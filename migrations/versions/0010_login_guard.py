"""the login guard's counts: failed sign-ins and lockouts, per account or address (as digests)

Revision ID: 0010_login_guard
Revises: 0009_counted_event_indexes
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_login_guard'
down_revision = '0009_counted_event_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ab_login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_login_failure'))
    )
    op.create_index('ix_ab_login_failure_key_at', 'ab_login_failure', ['key', 'at'], unique=False)
    op.create_table('ab_login_lockout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_login_lockout'))
    )
    op.create_index('ix_ab_login_lockout_key_until', 'ab_login_lockout', ['key', 'until'], unique=False)


def downgrade():
    op.drop_index('ix_ab_login_lockout_key_until', table_name='ab_login_lockout')
    op.drop_table('ab_login_lockout')
    op.drop_index('ix_ab_login_failure_key_at', table_name='ab_login_failure')
    op.drop_table('ab_login_failure')
