"""Alembic environment: batch mode on SQLite, the shared naming convention, one transaction."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from depotdispatch.adapters.db.engine import make_engine
from depotdispatch.adapters.db.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database URL: run migrations through `depotdispatch db upgrade`")
    engine = make_engine(url, sqlite_foreign_keys=False)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            # foreign keys are off while SQLite copies tables (make_engine): check them all before committing
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration leaves {len(broken)} rows without their parent: {broken[:5]}")


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `depotdispatch db upgrade`")
run_migrations_online()
