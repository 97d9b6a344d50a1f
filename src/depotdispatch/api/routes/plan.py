from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from depotdispatch.api import schemas
from depotdispatch.api.deps import AppDep, Dispatcher, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import (
    BlockId,
    BlockPath,
    Day,
    DepotPath,
    OverrideReason,
    Reason,
    ServiceDate,
    VehicleId,
)
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import audit, change_outs, recommendations, replan
from depotdispatch.services import board as board_svc
from depotdispatch.services import plan as svc
from depotdispatch.services.views import batch_doc, change_doc, event_doc, plan_doc

router = APIRouter(tags=["plan"], responses=PROBLEM_RESPONSES)
DAY = "/depots/{depot}/days/{service_date}"


def _version(body_version: int | None, if_match: str | None) -> int | None:
    """The version a write was made against: the body's plan_version or an If-Match ETag ("3", W/"3")."""
    if body_version is not None:
        return body_version
    if if_match:
        text = if_match.strip().removeprefix("W/").strip('"')
        if not text.isdigit():
            raise InvalidInput(f"If-Match {if_match!r} is not a plan version such as \"3\"")
        return int(text)
    return None


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


class AssignIn(BaseModel):
    vehicle_id: VehicleId
    plan_version: int | None = None
    override_reason: OverrideReason | None = None
    acknowledge: list[Reason] | None = Field(default=None, max_length=50)


class AcceptIn(BaseModel):
    plan_version: int | None = None
    block_ids: list[BlockId] | None = Field(default=None, max_length=10_000)


def _change(change: svc.PlanChange, response: Response) -> dict[str, Any]:
    _etag(response, change.plan_version)
    return change_doc(change)


@router.get(DAY + "/plan", response_model=schemas.PlanOut)
def get_plan(depot: DepotPath, service_date: ServiceDate, app: AppDep, now: NowDep, response: Response) -> dict[str,
             Any]:
    """Every block of the day with its vehicle, status and viability, and the plan version."""
    day = service_date
    doc = plan_doc(board_svc.board(app.uow(), depot, now, service_date=day, whole_day=True), day)
    _etag(response, doc["plan_version"])
    return doc


@router.put(DAY + "/plan/assignments/{block_id}", response_model=schemas.ChangeOut)
def put_assignment(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, body: AssignIn, app: AppDep,
                   who: Dispatcher,
                   now: NowDep,
                   response: Response, if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Assign or reassign; against warnings it needs `override_reason` and the codes in `acknowledge`."""
    change = svc.assign(app.uow(), depot, service_date, block_id, body.vehicle_id,
                        plan_version=_version(body.plan_version, if_match), actor=who.actor, now=now,
                        override_reason=body.override_reason, acknowledge=body.acknowledge or [])
    return _change(change, response)


@router.delete(DAY + "/plan/assignments/{block_id}", response_model=schemas.ChangeOut)
def delete_assignment(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, app: AppDep,
                      who: Dispatcher, now: NowDep,
                      response: Response,
                      plan_version: int | None = None,
                      if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    change = svc.unassign(app.uow(), depot, service_date, block_id,
                          plan_version=_version(plan_version, if_match), actor=who.actor, now=now)
    return _change(change, response)


@router.post(DAY + "/plan/recommendations", response_model=schemas.RecommendationOut)
def post_recommendation(depot: DepotPath, service_date: ServiceDate, app: AppDep,
                        who: Dispatcher, now: NowDep) -> dict[str, Any]:
    """An advisory plan for the open blocks; nothing is assigned until it is accepted."""
    return recommendations.recommend(app.uow(), depot, service_date, now, actor=who.actor).as_dict()


@router.post(DAY + "/plan/replans", response_model=schemas.ReplanOut)
def post_replan(depot: DepotPath, service_date: ServiceDate, app: AppDep, who: Dispatcher,
                now: NowDep) -> dict[str, Any]:
    """Moves of recommended/imported assignments of blocks not started (never manual) that cover more
    blocks or more with EVs, each with what it gains. Stored with `replan_id`; no assignment is written
    until it is accepted."""
    return replan.replan(app.uow(), depot, service_date, now, actor=who.actor).as_dict()


@router.post(DAY + "/plan/replans/{replan_id}/accept", response_model=schemas.BatchOut)
def accept_replan(depot: DepotPath, service_date: ServiceDate, replan_id: int, body: AcceptIn, app: AppDep,
                  who: Dispatcher, now: NowDep, response: Response,
                  if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Make all the re-plan's moves (or those of `block_ids`) as recommended assignments, in one version, or
    none: a block it proposed no move for is refused (422); a changed plan is a 409."""
    result = replan.accept(app.uow(), depot, service_date, replan_id,
                           plan_version=_version(body.plan_version, if_match), actor=who.actor, now=now,
                           block_ids=body.block_ids)
    _etag(response, result.plan_version)
    return batch_doc(result)


class VersionIn(BaseModel):
    plan_version: int | None = None


@router.post(DAY + "/plan/recommendations/{recommendation_id}/change-outs/{block_id}/accept",
             response_model=schemas.ChangeOutAcceptedOut)
def accept_change_out(depot: DepotPath, service_date: ServiceDate, recommendation_id: int, block_id: BlockPath,
                      body: VersionIn, app: AppDep, who: Dispatcher, now: NowDep, response: Response,
                      if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Accept the change-out the recommendation suggested for this block: split it and assign both parts (the
    first part's EV and the swap EV) in one transaction, or nothing."""
    done = change_outs.accept(app.uow(), depot, service_date, recommendation_id, block_id,
                              plan_version=_version(body.plan_version, if_match), actor=who.actor, now=now)
    _etag(response, done.plan_version)
    return done.as_dict()


@router.post(DAY + "/plan/recommendations/{recommendation_id}/accept", response_model=schemas.BatchOut)
def accept_recommendation(depot: DepotPath, service_date: ServiceDate, recommendation_id: int, body: AcceptIn,
                          app: AppDep, who: Dispatcher,
                          now: NowDep, response: Response,
                          if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    result = recommendations.accept(app.uow(), depot, service_date, recommendation_id,
                                    plan_version=_version(body.plan_version, if_match), actor=who.actor, now=now,
                                    block_ids=body.block_ids)
    _etag(response, result.plan_version)
    return batch_doc(result)


@router.get("/depots/{depot}/events", response_model=schemas.EventsOut)
def get_events(depot: DepotPath, app: AppDep, service_date: Day | None = None, block_id: BlockId | None = None,
               vehicle_id: VehicleId | None = None, limit: int = 500) -> dict[str, Any]:
    """The audit log, newest first; filter by day, block or vehicle."""
    events = audit.events(app.uow(), depot, service_date=service_date,
                          block_id=block_id, vehicle_id=vehicle_id, limit=min(max(limit, 1), 5000))
    return {"events": [event_doc(e) for e in events]}
