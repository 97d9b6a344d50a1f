"""The plan of a dispatch day: assignments block -> vehicle, versioned for optimistic concurrency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from depotdispatch.domain.words import AssignmentSource

ASSIGNMENT_SOURCES = tuple(AssignmentSource)


@dataclass(frozen=True)
class Assignment:
    block_id: str
    vehicle_id: str
    source: AssignmentSource = AssignmentSource.MANUAL
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
