"""Composition root: the one place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.engine import make_engine, make_session_factory
from depotdispatch.adapters.db.uow import SqlAlchemyUnitOfWork


@dataclass
class App:
    database_url: str
    clock: Clock

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)

    @cached_property
    def _sessions(self):  # type: ignore[no-untyped-def]
        return make_session_factory(self.engine)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
