"""Freshness: checks per listing, provider links, public problem reports, hours exceptions,
and the plan columns on listings and categories

Revision ID: 0006_freshness
Revises: 0005_workbench
Create Date: 2026-12-04 14:53:29.720759

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_freshness'
down_revision = '0005_workbench'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hours_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=True),
    sa.Column('closes_at', sa.Time(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_hours_exception_dates')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_hours_exception_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_exception'))
    )
    with op.batch_alter_table('hours_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_exception_service_id'), ['service_id'], unique=False)

    op.create_table('problem_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_by', sa.String(length=255), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('phone', 'address_hours', 'closed', 'not_as_described', 'other')", name=op.f('ck_problem_report_kind')),
    sa.CheckConstraint("status IN ('open', 'resolved', 'dismissed')", name=op.f('ck_problem_report_status')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_problem_report_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_report'))
    )
    with op.batch_alter_table('problem_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_report_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_problem_report_status'), ['status'], unique=False)

    op.create_table('verification_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'used', 'expired', 'bounced', 'failed')", name=op.f('ck_verification_request_status')),
    sa.ForeignKeyConstraint(['revision_id'], ['service_revision.id'], name=op.f('fk_verification_request_revision_id_service_revision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_verification_request_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_request')),
    sa.UniqueConstraint('nonce', name=op.f('uq_verification_request_nonce'))
    )
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_request_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_request_status'), ['status'], unique=False)

    op.create_table('verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('checked_by', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("method IN ('phone', 'email', 'website', 'provider', 'in_person')", name=op.f('ck_verification_method')),
    sa.CheckConstraint("outcome IN ('confirmed', 'changed', 'unreachable')", name=op.f('ck_verification_outcome')),
    sa.ForeignKeyConstraint(['request_id'], ['verification_request.id'], name=op.f('fk_verification_request_id_verification_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_verification_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification'))
    )
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_service_id'), ['service_id'], unique=False)

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_interval_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_verified_method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('due_now_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_now_reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lead_flag', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('capacity', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('capacity_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('capacity_updated_by', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('alert_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('taxonomy_term', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_interval_days', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('taxonomy_term', schema=None) as batch_op:
        batch_op.drop_column('verify_interval_days')

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('alert_until')
        batch_op.drop_column('capacity_updated_by')
        batch_op.drop_column('capacity_updated_at')
        batch_op.drop_column('capacity')
        batch_op.drop_column('lead_flag')
        batch_op.drop_column('due_now_reason')
        batch_op.drop_column('due_now_at')
        batch_op.drop_column('last_verified_method')
        batch_op.drop_column('verify_interval_days')

    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_service_id'))
        batch_op.drop_index(batch_op.f('ix_verification_checked_at'))

    op.drop_table('verification')
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_request_status'))
        batch_op.drop_index(batch_op.f('ix_verification_request_service_id'))

    op.drop_table('verification_request')
    with op.batch_alter_table('problem_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_report_status'))
        batch_op.drop_index(batch_op.f('ix_problem_report_service_id'))

    op.drop_table('problem_report')
    with op.batch_alter_table('hours_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_exception_service_id'))

    op.drop_table('hours_exception')
