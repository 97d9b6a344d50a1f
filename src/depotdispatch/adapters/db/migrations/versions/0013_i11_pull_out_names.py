"""i11: a block's planned times take the names the API, the CSV and the pages use (pull_out, pull_in)

Revision ID: i11_pull_out_names
Revises: i11_no_cascade
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'i11_pull_out_names'
down_revision: str | None = 'i11_no_cascade'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# RENAME COLUMN is plain SQL on PostgreSQL and on SQLite (3.25+), and keeps every key and index in place.
RENAMES = (("start_at", "pull_out"), ("end_at", "pull_in"))


def upgrade() -> None:
    for old, new in RENAMES:
        op.execute(f"ALTER TABLE blocks RENAME COLUMN {old} TO {new}")


def downgrade() -> None:
    for old, new in RENAMES:
        op.execute(f"ALTER TABLE blocks RENAME COLUMN {new} TO {old}")
