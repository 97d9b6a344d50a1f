"""issue 15: the audit log's before/after as JSONB on PostgreSQL (SQLite keeps JSON text)

A KPI over a year reads a few fields out of some 100,000 events; from `json` PostgreSQL parses the
whole document again for each field asked (1.6 s for a year), from `jsonb` it does not (0.17 s).

Revision ID: i15_events_jsonb
Revises: i10_trust
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'i15_events_jsonb'
down_revision: str | None = 'i10_trust'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("before", "after")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.alter_column("events", column, type_=postgresql.JSONB(), existing_type=sa.JSON(),
                        postgresql_using=f'"{column}"::jsonb')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.alter_column("events", column, type_=sa.JSON(), existing_type=postgresql.JSONB(),
                        postgresql_using=f'"{column}"::json')
