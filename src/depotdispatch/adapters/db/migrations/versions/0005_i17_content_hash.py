"""schedules remember the content hash of the feed they came from (re-import is idempotent)

Revision ID: i17_content_hash
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i17_content_hash"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_schedules_content_hash", ["content_hash"])


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_index("ix_schedules_content_hash")
        batch.drop_column("content_hash")
