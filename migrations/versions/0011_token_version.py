"""the accounts' token version: a password change, disabling or sign-out revokes older tokens
and sessions

Revision ID: 0011_token_version
Revises: 0010_login_guard
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011_token_version'
down_revision = '0010_login_guard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('token_version')
