"""Composition root: the one place that picks concrete adapters."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from depotdispatch.adapters.changes import ChangeHub
from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.engine import make_engine, make_session_factory
from depotdispatch.adapters.db.uow import SqlAlchemyUnitOfWork
from depotdispatch.config import Settings


@dataclass
class App:
    database_url: str
    clock: Clock
    settings: Settings = field(default_factory=Settings)
    # Sessions, tokens and lockouts run on real time even when `clock` is fixed (demos, replays).
    auth_clock: Clock = field(default_factory=Clock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)

    @cached_property
    def _sessions(self):  # type: ignore[no-untyped-def]
        return make_session_factory(self.engine)

    @cached_property
    def _read_sessions(self):  # type: ignore[no-untyped-def]
        return make_session_factory(self.engine, read_only=True)

    @cached_property
    def secret(self) -> bytes:
        """The session secret; without one (loopback only) a random one per process."""
        return self.settings.secret() or secrets.token_bytes(32)

    @cached_property
    def changes(self) -> ChangeHub:
        return ChangeHub()

    def uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work that may write (on SQLite it takes the write lock when it begins)."""
        return SqlAlchemyUnitOfWork(self._sessions, self.changes)

    def listen_for_changes(self) -> None:
        """PostgreSQL: start this process's LISTEN thread once (other workers' commits reach our hub)."""
        if self.engine.dialect.name != "postgresql" or "_listener" in self.__dict__:
            return
        from depotdispatch.adapters.changes_pg import PgListener

        self._listener = PgListener(self.database_url, self.changes)
        self._listener.start()
        self._listener.listening.wait(5)

    def reader(self) -> SqlAlchemyUnitOfWork:
        """A unit of work that only reads: it never waits for a writer, and refuses to write on SQLite."""
        return SqlAlchemyUnitOfWork(self._read_sessions)

    def reading(self) -> App:
        """This App as seen by a read-only caller (a GET request): every unit of work is a reader."""
        return _Reading(self)  # type: ignore[return-value]

    def close(self) -> None:
        if "_listener" in self.__dict__:
            self._listener.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()


class _Reading:
    def __init__(self, app: App) -> None:
        self._app = app

    def uow(self) -> SqlAlchemyUnitOfWork:
        return self._app.reader()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._app, name)
