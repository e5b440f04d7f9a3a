"""Today's checks: whose queue a listing is in

Revision ID: 0008_check_queue
Revises: 0007_concepts
Create Date: 2026-12-04 18:30:00

"""
from alembic import op
import sqlalchemy as sa



revision = '0008_check_queue'
down_revision = '0007_concepts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_assignee', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('check_assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_check_assignee'), ['check_assignee'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_check_assignee'))
        batch_op.drop_column('check_assigned_at')
        batch_op.drop_column('check_assignee')
