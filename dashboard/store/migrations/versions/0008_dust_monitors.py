"""dust_monitors, dust_readings: site dust monitors over HJ 212-2017

Revision ID: 0008_dust_monitors
Revises: 0007_inspection_client_key
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0008_dust_monitors'
down_revision = '0007_inspection_client_key'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dust_monitors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mn', sa.String(length=32), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('password', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dust_monitors_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dust_monitors')),
    sa.UniqueConstraint('mn', name=op.f('uq_dust_monitors_mn'))
    )
    op.create_index(op.f('ix_dust_monitors_site_id'), 'dust_monitors', ['site_id'], unique=False)
    op.create_table('dust_readings',
    sa.Column('monitor_id', sa.Integer(), nullable=False),
    sa.Column('data_time', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cn', sa.SmallInteger(), nullable=False),
    sa.Column('pollutant', sa.String(length=16), nullable=False),
    sa.Column('field', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('flag', sa.String(length=1), nullable=True),
    sa.CheckConstraint('cn IN (2011, 2051, 2061, 2031)', name=op.f('ck_dust_readings_cn')),
    sa.ForeignKeyConstraint(['monitor_id'], ['dust_monitors.id'], name=op.f('fk_dust_readings_monitor_id_dust_monitors')),
    sa.PrimaryKeyConstraint('monitor_id', 'data_time', 'cn', 'pollutant', 'field', name=op.f('pk_dust_readings'))
    )


def downgrade() -> None:
    op.drop_table('dust_readings')
    op.drop_index(op.f('ix_dust_monitors_site_id'), table_name='dust_monitors')
    op.drop_table('dust_monitors')
