from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from depotdispatch.api.deps import Admin, AppDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.services import telemetry as svc

router = APIRouter(tags=["telemetry"], responses=PROBLEM_RESPONSES)


class RejectionCount(BaseModel):
    depot_id: str | None
    reason: str
    count: int
    last_detail: str
    last_at: str


class Rejections(BaseModel):
    total: int
    by_reason: dict[str, int]
    rows: list[RejectionCount]


@router.get("/telemetry/rejections")
def telemetry_rejections(app: AppDep, _: Admin,
                         depot: Annotated[str | None, Query(max_length=64)] = None) -> Rejections:
    """Telemetry messages the worker refused, counted per depot (as the topic said) and reason (for admins)."""
    rows = svc.rejection_counts(app.uow(), depot)
    by_reason: dict[str, int] = {}
    for r in rows:
        by_reason[str(r["reason"])] = by_reason.get(str(r["reason"]), 0) + int(r["count"])  # type: ignore[call-overload]
    return Rejections(total=sum(by_reason.values()), by_reason=dict(sorted(by_reason.items())),
                      rows=[RejectionCount(**r) for r in rows])  # type: ignore[arg-type]
