"""Composition root: the one place that picks concrete adapters."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from depotdispatch.adapters.changes import ChangeHub, ListenerThread
from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.engine import make_engine, make_session_factory
from depotdispatch.adapters.db.uow import SqlAlchemyUnitOfWork, feed_position, feed_since
from depotdispatch.config import Settings
from depotdispatch.services import identity
from depotdispatch.services.board_cache import BoardCache


@dataclass
class App:
    database_url: str
    clock: Clock
    settings: Settings = field(default_factory=Settings)
    # Sessions, tokens and lockouts run on real time even when `clock` is fixed (demos, replays).
    auth_clock: Clock = field(default_factory=Clock)
    # the serving process: the board cache does its costly predictable work on a thread of its own
    # (services/board_cache.py: the periodic full read, the next step's charging plan, gc.freeze after warm-up)
    background_boards: bool = False

    def __post_init__(self) -> None:
        identity.use_argon2_profile(self.settings.argon2_profile)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)

    @cached_property
    def _sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def _read_sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine, read_only=True)

    @cached_property
    def secret(self) -> bytes:
        """The session secret; without one (loopback only) a random one per process."""
        return self.settings.secret() or secrets.token_bytes(32)

    _listener_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @cached_property
    def changes(self) -> ChangeHub:
        return ChangeHub()

    @cached_property
    def boards(self) -> BoardCache:
        """Boards shared by the requests of this process until the change feed moves on (any process's
        committed change, read from the database: no listener needs to be running)."""
        return BoardCache(lambda: feed_position(self.engine),
                          feed=lambda after, seen: feed_since(self.engine, after, seen),
                          background=self.reader if self.background_boards else None,
                          freeze=self.background_boards)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work that may write (on SQLite it takes the write lock when it begins)."""
        return SqlAlchemyUnitOfWork(self._sessions, self.changes)

    def listen_for_changes(self) -> None:
        """Start this process's change listener once, so other processes' commits reach our hub:
        LISTEN on PostgreSQL, a poll of the change feed table on a SQLite file."""
        if "_listener" in self.__dict__:
            return
        with self._listener_lock:
            if "_listener" in self.__dict__:
                return
            if self.engine.dialect.name == "postgresql":
                from depotdispatch.adapters.changes_pg import PgListener

                listener: ListenerThread = PgListener(self.database_url, self.changes)
            elif self.engine.url.database not in (None, "", ":memory:"):
                from depotdispatch.adapters.changes_sqlite import SqlitePoller

                listener = SqlitePoller(self.engine.url.database, self.changes)
            else:
                return  # an in-memory database has no other process
            listener.start()
            listener.listening.wait(5)
            self._listener = listener

    def reader(self) -> SqlAlchemyUnitOfWork:
        """A unit of work that only reads: it never waits for a writer, and refuses to write on SQLite."""
        return SqlAlchemyUnitOfWork(self._read_sessions)

    def reading(self) -> App:
        """This App as seen by a read-only caller (a GET request): every unit of work is a reader."""
        # a proxy, not an App: every attribute is this App's (one engine, one cache), only uow() differs
        return cast(App, _Reading(self))

    def close(self) -> None:
        if "boards" in self.__dict__:
            self.boards.close()
        if "_listener" in self.__dict__:
            self._listener.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()


class _Reading:
    def __init__(self, app: App) -> None:
        self._app = app

    def uow(self) -> SqlAlchemyUnitOfWork:
        return self._app.reader()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)
