"""Each staff member's own time zone

Revision ID: 0009_staff_timezone
Revises: 0008_check_queue
Create Date: 2026-12-04 18:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_staff_timezone'
down_revision = '0008_check_queue'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('timezone')
