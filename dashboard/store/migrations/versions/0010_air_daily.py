"""air_daily and data_versions: daily air values kept by the writes, a data version for caches

Revision ID: 0010_air_daily
Revises: 0009_dust_tasks
Create Date: 2026-11-28 16:30:00

The upgrade back-fills ``air_daily`` from the readings already stored (``analytics.air_daily.
rebuild``, a month at a time), so an existing database comes out consistent with ``db check``.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


revision = '0010_air_daily'
down_revision = '0009_dust_tasks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions'))
    )
    op.create_table('air_daily',
    sa.Column('series', sa.String(length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('so2', sa.Float(), nullable=True),
    sa.Column('no2', sa.Float(), nullable=True),
    sa.Column('pm10', sa.Float(), nullable=True),
    sa.Column('pm25', sa.Float(), nullable=True),
    sa.Column('co', sa.Float(), nullable=True),
    sa.Column('o3_1h', sa.Float(), nullable=True),
    sa.Column('o3_8h', sa.Float(), nullable=True),
    sa.Column('aqi', sa.Integer(), nullable=True),
    sa.Column('category', sa.SmallInteger(), nullable=True),
    sa.Column('primary_pollutants', sa.String(length=64), nullable=False),
    sa.Column('standard', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('series', 'date', name=op.f('pk_air_daily'))
    )
    op.create_index('ix_air_daily_date', 'air_daily', ['date'], unique=False)
    op.create_table('air_daily_pending',
    sa.Column('station_code', sa.String(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('station_code', 'date', name=op.f('pk_air_daily_pending'))
    )
    # Back-fill with the code that keeps the table afterwards: one computation, not two.
    from dashboard.analytics.air_daily import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session)
    session.flush()


def downgrade() -> None:
    op.drop_table('air_daily_pending')
    op.drop_index('ix_air_daily_date', table_name='air_daily')
    op.drop_table('air_daily')
    op.drop_table('data_versions')
