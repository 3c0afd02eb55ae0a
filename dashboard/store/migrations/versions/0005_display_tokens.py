"""display_tokens: credentials of unattended wall displays

Revision ID: 0005_display_tokens
Revises: 0004_township_stations
Create Date: 2026-11-30 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0005_display_tokens'
down_revision = '0004_township_stations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('display_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_display_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_display_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_display_tokens_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('display_tokens')
