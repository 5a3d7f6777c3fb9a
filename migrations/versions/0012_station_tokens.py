"""station tokens: the long-lived tokens (their SHA-256 only) that workshop stations send to post
hardware snapshots and wiping reports, created and revoked by Admin

Revision ID: 0012_station_tokens
Revises: 0011_token_version
Create Date: 2026-12-04 15:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_station_tokens'
down_revision = '0011_token_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('station_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], name=op.f('fk_station_token_created_by_id_ab_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_token')),
    sa.UniqueConstraint('name', name=op.f('uq_station_token_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_station_token_token_hash'))
    )


def downgrade():
    op.drop_table('station_token')
