"""Engines and sessions: SQLite pragmas and real transactions, psycopg 3 for PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY = "depotdispatch_read_only"  # execution option of a reading unit of work's connections


def normalise_url(url: str) -> str:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, *, sqlite_foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """`sqlite_foreign_keys=False` only for migrations: SQLite's way to change a table is to copy it, and
    dropping an old parent table with foreign keys on would cascade or fail (its copy is checked instead)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)  # values (password hashes, tokens' hashes) never reach logs
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _sqlite_transactions(engine, sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_transactions(engine: Engine, foreign_keys: bool = True) -> None:
    # Python 3.11's sqlite3 only opens a transaction before DML, so reads and DDL would run outside
    # one. Take over: no implicit transactions, and BEGIN IMMEDIATE so a writer never has to upgrade
    # a read lock (the cause of "database is locked" under WAL). A reading unit of work (READ_ONLY)
    # begins DEFERRED with query_only on: under WAL it never waits for, nor blocks, a writer.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("PRAGMA query_only=ON")
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("PRAGMA query_only=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)
