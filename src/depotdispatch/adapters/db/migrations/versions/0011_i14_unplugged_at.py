"""i14: when the yard last unplugged a bus (beside when it last plugged it in), so readiness knows both

Revision ID: i14_unplugged_at
Revises: i13_change_feed
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import depotdispatch.adapters.db.types

revision: str = 'i14_unplugged_at'
down_revision: str | None = 'i13_change_feed'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('vehicle_yard') as batch:
        batch.add_column(sa.Column('unplugged_at', depotdispatch.adapters.db.types.UTCDateTime(timezone=True), nullable=True))
    # until now an unplugging overwrote plugged_at: such a row says when it was unplugged
    op.execute("UPDATE vehicle_yard SET unplugged_at = plugged_at, plugged_at = NULL WHERE charger_id IS NULL")


def downgrade() -> None:
    op.execute("UPDATE vehicle_yard SET plugged_at = unplugged_at WHERE charger_id IS NULL")
    with op.batch_alter_table('vehicle_yard') as batch:
        batch.drop_column('unplugged_at')
