"""training sessions, attendance, external training, hours requirements, unit targets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:03:38.528003

"""
from alembic import op
import sqlalchemy as sa

import academy.database  # noqa: F401 - UTCDateTime in column types


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: new tables only.
    op.create_table('hours_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_requirements')),
    sa.UniqueConstraint('position', name=op.f('uq_hours_requirements_position'))
    )
    op.create_table('external_trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('provider', sa.String(length=300), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('document_name', sa.String(length=300), nullable=False),
    sa.Column('document_path', sa.String(length=400), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_external_trainings_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_external_trainings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_trainings'))
    )
    with op.batch_alter_table('external_trainings', schema=None) as batch_op:
        batch_op.create_index('ix_external_trainings_user_day', ['user_id', 'completed_on'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('starts_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('requires_sign_out', sa.Boolean(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('created_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', academy.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_sessions_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organiser_id'], ['users.id'], name=op.f('fk_training_sessions_organiser_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_training_sessions_starts', ['starts_at'], unique=False)

    op.create_table('unit_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('track', sa.String(length=40), nullable=True),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_unit_targets_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_unit_targets_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_targets_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_targets'))
    )
    with op.batch_alter_table('unit_targets', schema=None) as batch_op:
        batch_op.create_index('ix_unit_targets_unit_year', ['unit_id', 'year'], unique=False)

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_out_at', academy.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendances_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_attendances_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_attendances_session_id_user_id'))
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendances_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendances_user_id'), ['user_id'], unique=False)

    op.create_table('session_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_invites_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_session_invites_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_invites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_invites'))
    )
    with op.batch_alter_table('session_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_invites_session_id'), ['session_id'], unique=False)

    op.create_table('session_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('responded_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_responses_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_responses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_responses')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_responses_session_id_user_id'))
    )
    with op.batch_alter_table('session_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_responses_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_responses_user_id'), ['user_id'], unique=False)



def downgrade():
    # Reviewed by hand: drops only what upgrade() added; sessions, attendance, recorded training,
    # requirements and targets are lost.
    with op.batch_alter_table('session_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_responses_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_responses_session_id'))

    op.drop_table('session_responses')
    with op.batch_alter_table('session_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_invites_session_id'))

    op.drop_table('session_invites')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendances_user_id'))
        batch_op.drop_index(batch_op.f('ix_attendances_session_id'))

    op.drop_table('attendances')
    with op.batch_alter_table('unit_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_targets_unit_year')

    op.drop_table('unit_targets')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_training_sessions_starts')

    op.drop_table('training_sessions')
    with op.batch_alter_table('external_trainings', schema=None) as batch_op:
        batch_op.drop_index('ix_external_trainings_user_day')

    op.drop_table('external_trainings')
    op.drop_table('hours_requirements')
