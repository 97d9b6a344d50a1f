"""Events: every change, with who, when, before and after. The audit log is their list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

KINDS = ("assigned", "reassigned", "unassigned", "override", "recommendation_accepted", "sheet_applied",
         "block_cancelled", "block_restored", "adhoc_created", "adhoc_changed", "adhoc_removed",
         "applicability_changed", "actuals_recorded")


@dataclass(frozen=True)
class Event:
    depot_id: str
    kind: str
    actor: str
    at: datetime
    service_date: date | None = None
    block_id: str | None = None
    vehicle_id: str | None = None
    plan_version: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    event_id: int | None = field(default=None, compare=False)
