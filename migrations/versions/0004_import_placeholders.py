"""Placeholder flags on organizations and taxonomies created by an import from a reference only

Revision ID: 0004_import_placeholders
Revises: 0003_search_synonym
Create Date: 2026-12-03 23:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_import_placeholders'
down_revision = '0003_search_synonym'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization') as batch_op:
        batch_op.add_column(sa.Column('placeholder', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('taxonomy') as batch_op:
        batch_op.add_column(sa.Column('placeholder', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('taxonomy') as batch_op:
        batch_op.drop_column('placeholder')
    with op.batch_alter_table('organization') as batch_op:
        batch_op.drop_column('placeholder')
