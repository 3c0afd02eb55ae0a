"""photo_meta: EXIF time and GPS position of inspection photos

Revision ID: 0006_photo_evidence
Revises: 0005_display_tokens
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0006_photo_evidence'
down_revision = '0005_display_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('photo_meta',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('taken_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photo_meta_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_photo_meta'))
    )


def downgrade() -> None:
    op.drop_table('photo_meta')
