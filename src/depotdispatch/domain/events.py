"""Events: every change, with who, when, before and after. The audit log is their list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.words import EventKind

KINDS = tuple(EventKind)


@dataclass(frozen=True)
class Event:
    depot_id: str
    kind: str  # an EventKind: checked below, so callers may pass the plain string
    actor: str
    at: datetime
    service_date: date | None = None
    block_id: str | None = None
    vehicle_id: str | None = None
    plan_version: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    event_id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))  # an unnamed kind of change is a bug: fail here
