"""The unit of work port: one transaction, the repositories that work inside it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self

from depotdispatch.services.ports import (
    DayPort,
    DepotPort,
    FleetPort,
    IdentityPort,
    KpiPort,
    PlanPort,
    ReadingPort,
    SchedulePort,
    SheetPort,
    TelemetryPort,
    YardPort,
)


class UnitOfWork(Protocol):
    # read-only members: a unit of work may hold any repository that satisfies the port (covariant)
    @property
    def depots(self) -> DepotPort: ...
    @property
    def schedules(self) -> SchedulePort: ...
    @property
    def fleet(self) -> FleetPort: ...
    @property
    def days(self) -> DayPort: ...
    @property
    def readings(self) -> ReadingPort: ...
    @property
    def plans(self) -> PlanPort: ...
    @property
    def sheets(self) -> SheetPort: ...
    @property
    def kpis(self) -> KpiPort: ...
    @property
    def yard(self) -> YardPort: ...
    @property
    def telemetry(self) -> TelemetryPort: ...
    @property
    def identity(self) -> IdentityPort: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def announce(self, change: dict[str, Any]) -> None: ...
