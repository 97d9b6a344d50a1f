"""allowances: pull-out/pull-in allowances per route and per first/last stop of a depot (DESIGN §12a)

Revision ID: allowances
Revises: i16_stops
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from depotdispatch.adapters.db.types import UTCDateTime

revision: str = 'allowances'
down_revision: str | None = 'i16_stops'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'depot_allowances',
        sa.Column('depot_id', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('ref', sa.String(length=200), nullable=False),
        sa.Column('pull_out_min', sa.Integer(), nullable=True),
        sa.Column('pull_out_km', sa.Float(), nullable=True),
        sa.Column('pull_in_min', sa.Integer(), nullable=True),
        sa.Column('pull_in_km', sa.Float(), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['depot_id'], ['depots.depot_id'],
                                name=op.f('fk_depot_allowances_depot_id_depots')),
        sa.PrimaryKeyConstraint('depot_id', 'scope', 'ref', name=op.f('pk_depot_allowances')),
    )


def downgrade() -> None:
    op.drop_table('depot_allowances')
