"""Run Alembic from inside the package, so `depotdispatch db upgrade` works from any folder.

Alembic is imported inside the functions that use it: every CLI command imports `schema_problem` from here,
and importing Alembic at the top cost each of them ~0.3 s CPU (more under load) for a module only
`db upgrade` needs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from depotdispatch.adapters.db.engine import make_engine, normalise_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    engine = make_engine(url, sqlite_foreign_keys=False)  # env.py checks the keys before it commits
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_problem(exc: BaseException) -> str | None:
    """What to tell a person when a database error means the schema is missing or older than this version
    (a new database file, or one not upgraded since the last install); None for any other error."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return None
    text = str(exc.orig) if exc.orig is not None else str(exc)
    missing = ("no such table", "no such column", "does not exist")
    if not any(m in text for m in missing):
        return None
    return (f"the database is not set up for this version of depotdispatch ({text.splitlines()[0]}): "
            "run `depotdispatch db upgrade` (with the same --db) first")
