"""The unit of work port: one transaction, the repositories that work inside it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self


class UnitOfWork(Protocol):
    depots: Any
    schedules: Any
    fleet: Any
    days: Any
    readings: Any
    plans: Any
    sheets: Any
    kpis: Any
    yard: Any
    telemetry: Any
    identity: Any

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def announce(self, change: dict[str, Any]) -> None: ...
