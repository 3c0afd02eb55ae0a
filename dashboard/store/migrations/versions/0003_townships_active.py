"""townships.active: a township is retired, never deleted

Revision ID: 0003_townships_active
Revises: 0002_session_version
Create Date: 2026-11-28 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_townships_active'
down_revision = '0002_session_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every township that exists today is in use.
    op.add_column('townships', sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.drop_column('active')
