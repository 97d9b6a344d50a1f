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
    depots: DepotPort
    schedules: SchedulePort
    fleet: FleetPort
    days: DayPort
    readings: ReadingPort
    plans: PlanPort
    sheets: SheetPort
    kpis: KpiPort
    yard: YardPort
    telemetry: TelemetryPort
    identity: IdentityPort

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def announce(self, change: dict[str, Any]) -> None: ...
