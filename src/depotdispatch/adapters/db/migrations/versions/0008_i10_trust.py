"""issue 10: block names, hourly temperature profiles, availability until/reason, added dates like a day type

Revision ID: i10_trust
Revises: i12_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import depotdispatch.adapters.db.types

revision: str = 'i10_trust'
down_revision: str | None = 'i12_identity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block_name', sa.String(length=200), nullable=True))
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block_name', sa.String(length=200), nullable=True))
    with op.batch_alter_table('dispatch_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('temperature_profile', sa.JSON(), nullable=True))
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available_until',
                                      depotdispatch.adapters.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('availability_reason', sa.String(length=500), nullable=True))
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('added_like', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_column('added_like')
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.drop_column('availability_reason')
        batch_op.drop_column('available_until')
    with op.batch_alter_table('dispatch_days', schema=None) as batch_op:
        batch_op.drop_column('temperature_profile')
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.drop_column('block_name')
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.drop_column('block_name')
