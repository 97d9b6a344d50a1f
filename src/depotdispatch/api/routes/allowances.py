"""Pull-out and pull-in allowances per route and per first/last stop over HTTP (DESIGN §12a); the depot's own
are charging settings (`.../yard/settings`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from depotdispatch.api import schemas
from depotdispatch.api.deps import Admin, AppDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import allowances as svc

router = APIRouter(tags=["yard"], responses=PROBLEM_RESPONSES)
ALLOWANCES = "/depots/{depot}/allowances"


class AllowanceIn(BaseModel):
    """Only the values given change; null: that value is the next rule's again (the route's, the depot's)."""

    model_config = ConfigDict(extra="forbid")
    pull_out_min: int | None = None
    pull_out_km: float | None = None
    pull_in_min: int | None = None
    pull_in_km: float | None = None


# a route's document has no stop_id nor name, a stop's no route_id: not null, absent
@router.get(ALLOWANCES, response_model=schemas.AllowancesOut, response_model_exclude_unset=True)
def get_allowances(depot: str, app: AppDep) -> dict[str, Any]:
    """The depot's allowances and each route's and stop's own: a stop beats a route, a route the depot;
    a block's pull-out side is its first trip's, its pull-in side its last trip's."""
    return svc.allowances_doc(app.uow(), depot)


def _set(app: AppDep, depot: str, scope: str, ref: str, body: AllowanceIn, actor: str) -> dict[str, Any]:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if not changes:
        raise InvalidInput("give at least one of pull_out_min, pull_out_km, pull_in_min, pull_in_km")
    o = svc.set_allowance(app.uow(), depot, scope, ref, app.clock.now(), actor, **changes)
    return svc.named_doc(app.uow(), depot, o)


@router.patch(ALLOWANCES + "/routes/{route}", response_model=schemas.AllowanceOut, response_model_exclude_unset=True)
def set_route_allowance(depot: str, route: str, body: AllowanceIn, app: AppDep, who: Admin) -> dict[str, Any]:
    """Set a route's allowances; the route must be one the depot's trips run on."""
    return _set(app, depot, "route", route, body, who.actor)


@router.patch(ALLOWANCES + "/stops/{stop}", response_model=schemas.AllowanceOut, response_model_exclude_unset=True)
def set_stop_allowance(depot: str, stop: str, body: AllowanceIn, app: AppDep, who: Admin) -> dict[str, Any]:
    """Set a stop's allowances: its pull-out values for blocks that start there, its pull-in values for
    blocks that end there."""
    return _set(app, depot, "stop", stop, body, who.actor)


@router.delete(ALLOWANCES + "/routes/{route}", status_code=204)
def clear_route_allowance(depot: str, route: str, app: AppDep, who: Admin) -> Response:
    svc.clear_allowance(app.uow(), depot, "route", route, app.clock.now(), who.actor)
    return Response(status_code=204)


@router.delete(ALLOWANCES + "/stops/{stop}", status_code=204)
def clear_stop_allowance(depot: str, stop: str, app: AppDep, who: Admin) -> Response:
    svc.clear_allowance(app.uow(), depot, "stop", stop, app.clock.now(), who.actor)
    return Response(status_code=204)
