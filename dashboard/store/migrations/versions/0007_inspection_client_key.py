"""inspections.client_key: the form's idempotency key, so a retried submit saves one inspection

Revision ID: 0007_inspection_client_key
Revises: 0006_photo_evidence
Create Date: 2026-11-28 13:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_inspection_client_key'
down_revision = '0006_photo_evidence'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_inspections_client_key'), ['client_key'])


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inspections_client_key'), type_='unique')
        batch_op.drop_column('client_key')
