"""Concept words and everyday phrases curated in the back office

Revision ID: 0007_concepts
Revises: 0006_freshness
Create Date: 2026-12-04 15:02:29.520202

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_concepts'
down_revision = '0006_freshness'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_concept_term',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('concept_id', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('word', 'phrase')", name=op.f('ck_search_concept_term_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_concept_term')),
    sa.UniqueConstraint('concept_id', 'locale', 'kind', 'text', name=op.f('uq_search_concept_term_concept_id'))
    )
    with op.batch_alter_table('search_concept_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_concept_term_concept_id'), ['concept_id'], unique=False)



def downgrade():
    with op.batch_alter_table('search_concept_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_concept_term_concept_id'))

    op.drop_table('search_concept_term')
