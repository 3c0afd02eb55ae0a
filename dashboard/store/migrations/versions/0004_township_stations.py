"""township_stations: the stations that speak for each township's air

Revision ID: 0004_township_stations
Revises: 0003_townships_active
Create Date: 2026-11-29 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0004_township_stations'
down_revision = '0003_townships_active'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: every township's stations are computed on the fly until an admin stores them.
    op.create_table('township_stations',
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('station_code', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('set_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('computed', 'admin')", name=op.f('ck_township_stations_source')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_township_stations_township_id_townships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_code'], ['stations.code'], name=op.f('fk_township_stations_station_code_stations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_township_stations_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('township_id', 'station_code', name=op.f('pk_township_stations'))
    )


def downgrade() -> None:
    op.drop_table('township_stations')
