"""dust_readings: no foreign key on monitor_id (the receiver's insert checks the monitor itself)

Revision ID: 0011_dust_readings_no_fk
Revises: 0010_air_daily
Create Date: 2026-11-28 20:00:00

The per-row foreign-key check doubled PostgreSQL's server time of the receiver's insert (8.5 against
4.5 µs a row, measured with COPY into a temporary table and INSERT … ON CONFLICT DO NOTHING).
``store.site_dust.insert_readings`` stores only rows whose monitor exists, and monitors are never
deleted. SQLite rebuilds the table (batch mode); PostgreSQL drops the constraint in place.
"""

from alembic import op


revision = '0011_dust_readings_no_fk'
down_revision = '0010_air_daily'
branch_labels = None
depends_on = None

FK = 'fk_dust_readings_monitor_id_dust_monitors'


def upgrade() -> None:
    with op.batch_alter_table('dust_readings', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('dust_readings', schema=None) as batch_op:
        batch_op.create_foreign_key(FK, 'dust_monitors', ['monitor_id'], ['id'])
