"""SQLAlchemy unit of work: rolls back unless the use case commits."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

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


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

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
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
