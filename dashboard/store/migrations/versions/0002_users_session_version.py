"""users.session_version: logout, a password reset, a role change or disabling ends sessions

Revision ID: 0002_session_version
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from alembic import op
import sqlalchemy as sa


# A name rather than "0002", so that a migration another branch adds after 0001 cannot clash.
revision = '0002_session_version'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing users start at 1; sessions from before this column carry no version and end.
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
