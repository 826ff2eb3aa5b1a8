"""relative and cancelled mandates, unit history, search names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 04:39:23.794302

"""
from alembic import op
import sqlalchemy as sa

import academy.database  # noqa: F401 - UTCDateTime in column types
from academy.search_text import fold


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand. Existing people get their folded search name and one open stay in their
    # current unit (from their creation); existing mandates stay active with their fixed due date.
    op.create_table('unit_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('started_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', academy.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_memberships_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unit_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_memberships'))
    )
    with op.batch_alter_table('unit_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_memberships_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_unit_memberships_user', ['user_id', 'started_at'], unique=False)

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', academy.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_assignments_cancelled_by_id_users'), 'users', ['cancelled_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=700), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_users_search_name'), ['search_name'], unique=False)

    users = sa.table(
        'users',
        sa.column('id', sa.Integer), sa.column('full_name', sa.String), sa.column('email', sa.String),
        sa.column('employee_code', sa.String), sa.column('search_name', sa.String),
        sa.column('unit_id', sa.Integer), sa.column('created_at', academy.database.UTCDateTime),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.full_name, users.c.email, users.c.employee_code)).all()
    if rows:
        connection.execute(
            users.update().where(users.c.id == sa.bindparam('uid')).values(search_name=sa.bindparam('folded')),
            [{'uid': r.id, 'folded': fold(' '.join(p for p in (r.full_name, r.email, r.employee_code) if p))} for r in rows],
        )
    # Mandates deleted before this revision left their unfinished enrolments "assigned" with a
    # due date and no mandate: they are voluntary now, as a cancelled mandate's are, and leave
    # every overdue count.
    enrollments = sa.table(
        'enrollments', sa.column('assignment_id', sa.Integer), sa.column('source', sa.String),
        sa.column('due_at', academy.database.UTCDateTime),
        sa.column('completed_at', academy.database.UTCDateTime),
    )
    connection.execute(
        enrollments.update()
        .where(enrollments.c.assignment_id.is_(None), enrollments.c.source == 'assigned',
               enrollments.c.completed_at.is_(None))
        .values(source='self', due_at=None)
    )
    memberships = sa.table(
        'unit_memberships', sa.column('user_id', sa.Integer), sa.column('unit_id', sa.Integer),
        sa.column('started_at', academy.database.UTCDateTime),
    )
    connection.execute(memberships.insert().from_select(
        ['user_id', 'unit_id', 'started_at'],
        sa.select(users.c.id, users.c.unit_id, users.c.created_at).where(users.c.unit_id.is_not(None)),
    ))


def downgrade():
    # Reviewed by hand: drops only what upgrade() added; the unit history and relative due dates
    # are lost, cancelled mandates read as active again.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_search_name'))
        batch_op.drop_column('search_name')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_cancelled_by_id_users'), type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('due_days')

    with op.batch_alter_table('unit_memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_memberships_user')
        batch_op.drop_index(batch_op.f('ix_unit_memberships_unit_id'))

    op.drop_table('unit_memberships')
