"""compliance_daily and compliance_daily_items: compliance per township per day, kept by the writes

Revision ID: 0012_compliance_daily
Revises: 0011_dust_readings_no_fk
Create Date: 2026-11-28 19:40:00

The upgrade back-fills both tables from the inspections already stored (``analytics.
compliance_daily.rebuild``), so an existing database comes out consistent with ``db check``; and
indexes inspections by time, which every period view bounds by.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


revision = '0012_compliance_daily'
down_revision = '0011_dust_readings_no_fk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compliance_daily',
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.Column('failed_inspections', sa.Integer(), nullable=False),
    sa.Column('working_during_stop', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('na', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('township_id', 'date', name=op.f('pk_compliance_daily'))
    )
    op.create_index('ix_compliance_daily_date', 'compliance_daily', ['date'], unique=False)
    op.create_index('ix_compliance_daily_week', 'compliance_daily', ['week'], unique=False)
    op.create_table('compliance_daily_items',
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('item_key', sa.String(length=32), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('na', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('township_id', 'date', 'item_key', name=op.f('pk_compliance_daily_items'))
    )
    op.create_index('ix_compliance_daily_items_date', 'compliance_daily_items', ['date'], unique=False)
    op.create_index('ix_inspections_time', 'inspections', ['inspected_at'], unique=False)
    # Back-fill with the code that keeps the tables afterwards: one computation, not two.
    from dashboard.analytics.compliance_daily import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_inspections_time', table_name='inspections')
    op.drop_index('ix_compliance_daily_items_date', table_name='compliance_daily_items')
    op.drop_table('compliance_daily_items')
    op.drop_index('ix_compliance_daily_week', table_name='compliance_daily')
    op.drop_index('ix_compliance_daily_date', table_name='compliance_daily')
    op.drop_table('compliance_daily')
