"""issue 13: the change feed table, so live pages on SQLite hear commits made by other processes

Revision ID: i13_change_feed
Revises: i15_events_jsonb
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'i13_change_feed'
down_revision: str | None = 'i15_events_jsonb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('change_feed',
                    sa.Column('change_id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('origin', sa.String(length=32), nullable=False),
                    sa.Column('payload', sa.String(length=4000), nullable=False),
                    sa.PrimaryKeyConstraint('change_id', name=op.f('pk_change_feed')))


def downgrade() -> None:
    op.drop_table('change_feed')
