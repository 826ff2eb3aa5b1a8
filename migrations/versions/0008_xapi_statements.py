"""xAPI statements outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import academy.database  # noqa: F401 - UTCDateTime in column types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: one new table.
    op.create_table('xapi_statements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('verb', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('next_try_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', academy.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', academy.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_statements'))
    )
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statements_due', ['state', 'next_try_at'], unique=False)
        batch_op.create_index('ix_xapi_statements_order', ['occurred_at', 'rank', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statements_order')
        batch_op.drop_index('ix_xapi_statements_due')

    op.drop_table('xapi_statements')
