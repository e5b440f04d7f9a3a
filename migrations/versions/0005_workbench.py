"""Curation workbench: pending revisions of published listings, and a version column on listings

Revision ID: 0005_workbench
Revises: 0004_import_placeholders
Create Date: 2026-12-04 02:40:00

"""
from alembic import op
import sqlalchemy as sa

from directory.models.base import UTCDateTime


revision = '0005_workbench'
down_revision = '0004_import_placeholders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service') as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
    op.create_table(
        'service_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.String(36), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('base', sa.JSON(), nullable=False),
        sa.Column('proposed', sa.JSON(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('proposed_by', sa.String(255)),
        sa.Column('proposed_at', UTCDateTime(), nullable=False),
        sa.Column('reviewed_by', sa.String(255)),
        sa.Column('reviewed_at', UTCDateTime()),
        sa.Column('comment', sa.Text()),
        sa.CheckConstraint("status IN ('pending', 'approved', 'returned', 'withdrawn')",
                           name=op.f('ck_service_revision_status')),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE',
                                name=op.f('fk_service_revision_service_id_service')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_revision')),
    )
    op.create_index(op.f('ix_service_revision_service_id'), 'service_revision', ['service_id'])
    op.create_index(op.f('ix_service_revision_status'), 'service_revision', ['status'])


def downgrade():
    op.drop_table('service_revision')
    with op.batch_alter_table('service') as batch_op:
        batch_op.drop_column('version')
