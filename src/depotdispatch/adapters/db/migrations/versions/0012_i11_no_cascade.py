"""i11: no ON DELETE CASCADE. Each kind of state has one writer that deletes what it owns itself (with its
event); a delete that would leave children is a bug the database now refuses instead of hiding.

On SQLite batch mode copies each table, with foreign keys off (migrations run so: make_engine) and all of
them checked before the migration commits (env.py).

Revision ID: i11_no_cascade
Revises: i14_unplugged_at
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'i11_no_cascade'
down_revision: str | None = 'i14_unplugged_at'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table, referred column), children before their parents
CASCADING = [
    ('assignments', 'block_pk', 'blocks', 'block_pk'),
    ('assignments', 'dispatch_day_id', 'dispatch_days', 'dispatch_day_id'),
    ('assignments', 'vehicle_id', 'vehicles', 'vehicle_id'),
    ('soc_readings', 'vehicle_id', 'vehicles', 'vehicle_id'),
    ('vehicle_yard', 'vehicle_id', 'vehicles', 'vehicle_id'),
    ('recommendations', 'dispatch_day_id', 'dispatch_days', 'dispatch_day_id'),
    ('sheet_previews', 'dispatch_day_id', 'dispatch_days', 'dispatch_day_id'),
    ('blocks', 'dispatch_day_id', 'dispatch_days', 'dispatch_day_id'),
    ('schedule_blocks', 'schedule_id', 'schedules', 'schedule_id'),
    ('schedule_services', 'schedule_id', 'schedules', 'schedule_id'),
    ('trips', 'schedule_id', 'schedules', 'schedule_id'),
    ('vehicles', 'depot_id', 'depots', 'depot_id'),
    ('dispatch_days', 'depot_id', 'depots', 'depot_id'),
    ('schedules', 'depot_id', 'depots', 'depot_id'),
    ('vehicle_types', 'depot_id', 'depots', 'depot_id'),
    ('events', 'depot_id', 'depots', 'depot_id'),
    ('chargers', 'depot_id', 'depots', 'depot_id'),
    ('api_tokens', 'user_id', 'users', 'user_id'),
    ('web_sessions', 'user_id', 'users', 'user_id'),
]


def _recreate(ondelete: str | None) -> None:
    tables = list(dict.fromkeys(t for t, _, _, _ in CASCADING))
    for table in tables:
        with op.batch_alter_table(table) as batch:
            for t, column, referred, referred_column in CASCADING:
                if t == table:
                    name = op.f(f'fk_{table}_{column}_{referred}')
                    batch.drop_constraint(name, type_='foreignkey')
                    batch.create_foreign_key(name, referred, [column], [referred_column], ondelete=ondelete)


def upgrade() -> None:
    _recreate(None)


def downgrade() -> None:
    _recreate('CASCADE')
