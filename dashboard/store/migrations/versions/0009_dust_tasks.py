"""dust_tasks: 待核查 tasks opened by site dust monitors' exceedances

Revision ID: 0009_dust_tasks
Revises: 0008_dust_monitors
Create Date: 2026-12-02 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0009_dust_tasks'
down_revision = '0008_dust_monitors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dust_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('monitor_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('opened_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_hour', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_hour', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('peak_value', sa.Float(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_inspection_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('pm10_above', 'pm10_excess', 'offline')", name=op.f('ck_dust_tasks_kind')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_dust_tasks_status')),
    sa.ForeignKeyConstraint(['closed_by_inspection_id'], ['inspections.id'], name=op.f('fk_dust_tasks_closed_by_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['monitor_id'], ['dust_monitors.id'], name=op.f('fk_dust_tasks_monitor_id_dust_monitors')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dust_tasks_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dust_tasks'))
    )
    op.create_index(op.f('ix_dust_tasks_site_id'), 'dust_tasks', ['site_id'], unique=False)
    # One open task per site and kind, whichever receiver or check gets there first.
    op.create_index('uq_dust_tasks_open_site_kind', 'dust_tasks', ['site_id', 'kind'], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('uq_dust_tasks_open_site_kind', table_name='dust_tasks')
    op.drop_index(op.f('ix_dust_tasks_site_id'), table_name='dust_tasks')
    op.drop_table('dust_tasks')
