"""Open Badges 3.0 credentials of certificates: the signed token and the status list place

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import academy.database  # noqa: F401 - UTCDateTime in column types

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: one new table. Certificates issued before it get their credential when
    # first downloaded (their stored PDF stays as issued, so its hash still matches).
    op.create_table('certificate_credentials',
    sa.Column('certificate_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status_list', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('issued_at', academy.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ['certificate_id'], ['certificates.id'],
        name=op.f('fk_certificate_credentials_certificate_id_certificates'), ondelete='CASCADE',
    ),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_credentials')),
    sa.UniqueConstraint(
        'status_list', 'status_index',
        name=op.f('uq_certificate_credentials_status_list_status_index'),
    )
    )


def downgrade():
    op.drop_table('certificate_credentials')
