"""The plan of a dispatch day: assignments block -> vehicle, versioned for optimistic concurrency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ASSIGNMENT_SOURCES = ("manual", "recommended", "imported")


@dataclass(frozen=True)
class Assignment:
    block_id: str
    vehicle_id: str
    source: str = "manual"
    actor: str = "local-admin"
    assigned_at: datetime | None = None
    override_reason: str | None = None
    acknowledged: tuple[str, ...] = field(default_factory=tuple)  # reason codes the operator accepted
    block_pk: int | None = None

    @property
    def is_override(self) -> bool:
        return self.override_reason is not None


@dataclass(frozen=True)
class StoredRecommendation:
    recommendation_id: int
    plan_version: int
    created_at: datetime
    proposals: tuple[dict[str, str], ...]  # {"block_id", "vehicle_id", "explanation"}
    uncovered: tuple[dict[str, str], ...]
