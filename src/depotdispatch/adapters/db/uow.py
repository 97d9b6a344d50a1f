"""SQLAlchemy unit of work: rolls back unless the use case commits."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from depotdispatch.adapters.changes import CHANNEL, ChangeHub
from depotdispatch.adapters.db.engine import READ_ONLY
from depotdispatch.adapters.db.identity_repo import IdentityRepository
from depotdispatch.adapters.db.kpi_repo import KpiRepository
from depotdispatch.adapters.db.plan_repo import PlanRepository
from depotdispatch.adapters.db.readings_repo import SocReadingRepository
from depotdispatch.adapters.db.repositories import (
    DayRepository,
    DepotRepository,
    FleetRepository,
    ScheduleRepository,
)
from depotdispatch.adapters.db.sheets_repo import SheetRepository
from depotdispatch.adapters.db.tables import ChangeFeedRow
from depotdispatch.adapters.db.yard_repo import TelemetryRepository, YardRepository
from depotdispatch.domain.errors import Conflict, DomainError, InvalidInput


def translate(exc: BaseException) -> DomainError | None:
    """What a database refusal means to the caller; None when it is our bug, not their input."""
    if isinstance(exc, IntegrityError):
        # the checks ran before the write, so a concurrent writer made the same change first
        return Conflict("a concurrent change got there first; reload and try again")
    if isinstance(exc, DataError):
        return InvalidInput("a value is out of range for the database (too long, too large or with a NUL byte)")
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig):
        return Conflict("the database is busy with another change; try again")
    return None


PRUNE_EVERY, KEEP = 500, 2000


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], hub: ChangeHub | None = None) -> None:
        self.session_factory = session_factory
        self.hub = hub
        self._pending: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.depots = DepotRepository(self.session)
        self.schedules = ScheduleRepository(self.session)
        self.fleet = FleetRepository(self.session)
        self.days = DayRepository(self.session)
        self.readings = SocReadingRepository(self.session)
        self.plans = PlanRepository(self.session)
        self.sheets = SheetRepository(self.session)
        self.kpis = KpiRepository(self.session)
        self.yard = YardRepository(self.session)
        self.telemetry = TelemetryRepository(self.session)
        self.identity = IdentityRepository(self.session)
        self._pending = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()
        self.session.close()
        meant = translate(exc) if exc is not None else None
        if meant is not None:
            raise meant from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception as exc:
            meant = translate(exc)
            if meant is None:
                raise
            raise meant from exc
        pending, self._pending = self._pending, []
        if self.hub is not None:
            for change in pending:
                self.hub.publish(change)

    def rollback(self) -> None:
        self.session.rollback()
        self._pending = []

    def announce(self, change: dict[str, Any]) -> None:
        """Tell live pages what changed, in this transaction. A row of the change feed (its position keys
        the caches of read results; on SQLite other processes poll it), and on PostgreSQL a NOTIFY too
        (delivered on commit to every worker's LISTEN); on SQLite this process's hub hears it after the
        commit."""
        payload = json.dumps(change, default=str)
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        if postgresql:
            self.session.execute(text("SELECT pg_notify(:channel, :payload)"),
                                 {"channel": CHANNEL, "payload": payload})
        else:
            self._pending.append(change)
        if len(payload) > 4000:  # the pages only need to know that something of this depot changed
            payload = json.dumps({k: change.get(k) for k in ("depot_id", "service_date", "kind")})
        change_id = self.session.execute(insert(ChangeFeedRow).values(
            origin=self.hub.origin if self.hub is not None else "", payload=payload).returning(
            ChangeFeedRow.change_id)).scalar_one()
        if change_id % PRUNE_EVERY == 0:  # keep the last few thousand: a poller is never that far behind
            self.session.execute(delete(ChangeFeedRow).where(ChangeFeedRow.change_id <= change_id - KEEP))


def feed_position(engine: Engine) -> int:
    """The last change announced and committed: read results computed after it stay right until it moves."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        return conn.execute(select(func.max(ChangeFeedRow.change_id))).scalar() or 0


def feed_since(engine: Engine, after: int, seen: frozenset[int] = frozenset()
               ) -> list[tuple[int, dict[str, Any] | None]] | None:
    """The changes committed with a position above `after`, oldest first, each with its payload (None for
    those in `seen`: the caller has them already); None when the feed may no longer hold all of them
    (pruned since: a gap just above `after` may also be a rolled-back write, so None only means "do not
    rely on it")."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        oldest = conn.execute(select(func.min(ChangeFeedRow.change_id))).scalar()
        if oldest is not None and oldest > after + 1 and after > 0:
            return None
        rows = conn.execute(select(ChangeFeedRow.change_id, ChangeFeedRow.payload)
                            .where(ChangeFeedRow.change_id > after).order_by(ChangeFeedRow.change_id)).all()
    return [(cid, None if cid in seen else json.loads(payload)) for cid, payload in rows]
