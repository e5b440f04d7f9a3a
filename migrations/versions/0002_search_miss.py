"""Daily counts of searches that found nothing (query text, locale, day; no visitor data)

Revision ID: 0002_search_miss
Revises: 0001_initial
Create Date: 2026-11-24 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_search_miss'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_miss',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'locale', 'query', name=op.f('pk_search_miss'))
    )


def downgrade():
    op.drop_table('search_miss')
