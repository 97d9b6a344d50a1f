"""i16: the stops where a schedule's trips start and end, with their names and coordinates, so a change-out
can be suggested at a stop near the depot (DESIGN §12b relief points)

Revision ID: i16_stops
Revises: i16_stored_advice
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'i16_stops'
down_revision: str | None = 'i16_stored_advice'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'schedule_stops',
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('stop_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['schedule_id'], ['schedules.schedule_id'],
                                name=op.f('fk_schedule_stops_schedule_id_schedules')),
        sa.PrimaryKeyConstraint('schedule_id', 'stop_id', name=op.f('pk_schedule_stops')),
    )


def downgrade() -> None:
    op.drop_table('schedule_stops')
