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
    return Rejections.model_validate(svc.rejection_summary(app.uow(), depot).as_dict())
