"""i16: a recommendation keeps its change-out suggestions, and a re-plan is stored too (kind, moves), so both
are accepted later by id against the plan version they were made for

Revision ID: i16_stored_advice
Revises: i11_pull_out_names
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'i16_stored_advice'
down_revision: str | None = 'i11_pull_out_names'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('recommendations') as batch:
        batch.add_column(sa.Column('change_outs', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('moves', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='recommendation'))


def downgrade() -> None:
    with op.batch_alter_table('recommendations') as batch:
        batch.drop_column('kind')
        batch.drop_column('moves')
        batch.drop_column('change_outs')
