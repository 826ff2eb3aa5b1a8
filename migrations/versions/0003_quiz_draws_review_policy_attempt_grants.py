"""quiz draws, review policy, attempt grants

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import academy.database  # noqa: F401 - UTCDateTime in column types


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: one new table; new columns carry server defaults so existing rows read as
    # before (review once settled, no wait, every question, no time limit, unpinned choices).
    op.create_table('attempt_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_attempt_grants_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_attempt_grants_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempt_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grants'))
    )
    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_grants_module_id'), ['module_id'], unique=False)
        batch_op.create_index('ix_attempt_grants_user_module', ['user_id', 'module_id'], unique=False)

    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_pinned', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_policy', sa.String(length=20), server_default='settled', nullable=False))
        batch_op.add_column(sa.Column('attempt_wait_minutes', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_draw', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quiz_time_limit', sa.Integer(), nullable=True))

    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choice_order', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))



def downgrade():
    # Reviewed by hand: drops only what upgrade() added; granted attempts and choice orders are lost.
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('choice_order')

    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_column('quiz_time_limit')
        batch_op.drop_column('quiz_draw')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('attempt_wait_minutes')
        batch_op.drop_column('review_policy')

    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.drop_column('is_pinned')

    with op.batch_alter_table('attempt_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_grants_user_module')
        batch_op.drop_index(batch_op.f('ix_attempt_grants_module_id'))

    op.drop_table('attempt_grants')
