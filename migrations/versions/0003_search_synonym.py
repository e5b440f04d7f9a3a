"""Synonym groups curated in the back office, per language

Revision ID: 0003_search_synonym
Revises: 0002_search_miss
Create Date: 2026-11-24 16:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_search_synonym'
down_revision = '0002_search_miss'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_synonym',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonym'))
    )
    op.create_index(op.f('ix_search_synonym_locale'), 'search_synonym', ['locale'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_search_synonym_locale'), table_name='search_synonym')
    op.drop_table('search_synonym')
