"""The recommendation panel: run it, read each proposal's explanation and why blocks stay uncovered,
accept all or the ticked ones, or a change-out suggestion (split and both parts assigned); re-plan
(services.replan) shows each move of a recommended or imported assignment and what it gains, accepted the
same way by the stored re-plan's id. Nothing is assigned until the operator accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import change_outs, recommendations, replan
from depotdispatch.services import plan as plan_svc
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import OptionalDate, ServiceDate, WebUser

router = APIRouter(include_in_schema=False)


@router.get("/depots/{depot}/recommendation", response_class=HTMLResponse)
def panel(request: Request, depot: str, user: WebUser, date: OptionalDate = None) -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    version = plan_svc.plan_version(dd(request).uow(), depot, day) if day in dates else None
    return page(request, "recommend.html", user, {"depot": d, "day": day, "dates": dates, "version": version,
                                                  "nav": "plan", "tz": d.timezone,
                                                  "can_dispatch": user.can_dispatch(depot)})


@router.post("/depots/{depot}/days/{service_date}/recommendation", response_class=HTMLResponse)
def run(request: Request, depot: str, service_date: ServiceDate, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    result = recommendations.recommend(app.uow(), depot, service_date, app.clock.now(), actor=user.actor)
    return page(request, "_proposals.html", user, {"depot": d, "r": result, "service_date": service_date,
                                                   "tz": d.timezone})


@router.post("/depots/{depot}/days/{service_date}/recommendation/{recommendation_id}/accept",
             response_class=HTMLResponse)
def accept(request: Request, depot: str, service_date: ServiceDate, recommendation_id: int, user: WebUser,
           plan_version: Annotated[int, Form()], block_id: Annotated[list[str] | None, Form()] = None) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    result = recommendations.accept(app.uow(), depot, service_date, recommendation_id,
                                    plan_version=plan_version, actor=user.actor, now=app.clock.now(),
                                    block_ids=block_id or [])
    response = page(request, "_accepted.html", user, {"depot": d, "result": result, "service_date": service_date})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


@router.post("/depots/{depot}/days/{service_date}/recommendation/{recommendation_id}/change-outs/{block_id}/accept",
             response_class=HTMLResponse)
def accept_change_out(request: Request, depot: str, service_date: ServiceDate, recommendation_id: int, block_id: str,
                      user: WebUser, plan_version: Annotated[int, Form()]) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    done = change_outs.accept(app.uow(), depot, service_date, recommendation_id, block_id,
                              plan_version=plan_version, actor=user.actor, now=app.clock.now())
    response = page(request, "_change_out_done.html", user, {"depot": d, "done": done, "service_date": service_date,
                                                             "tz": d.timezone})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


@router.post("/depots/{depot}/days/{service_date}/replan", response_class=HTMLResponse)
def run_replan(request: Request, depot: str, service_date: ServiceDate, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    result = replan.replan(app.uow(), depot, service_date, app.clock.now(), actor=user.actor)
    return page(request, "_replan.html", user, {"depot": d, "r": result, "service_date": service_date})


@router.post("/depots/{depot}/days/{service_date}/replan/{replan_id}/accept", response_class=HTMLResponse)
def accept_replan(request: Request, depot: str, service_date: ServiceDate, replan_id: int, user: WebUser,
                  plan_version: Annotated[int, Form()],
                  block_id: Annotated[list[str] | None, Form()] = None) -> Response:
    """The ticked moves of the stored re-plan (`block_id`); the vehicles are the re-plan's own."""
    d = depot_for(request, user, depot)
    if not block_id:
        raise InvalidInput("tick at least one move")
    app = dd(request)
    result = replan.accept(app.uow(), depot, service_date, replan_id, plan_version=plan_version,
                           actor=user.actor, now=app.clock.now(), block_ids=block_id)
    response = page(request, "_accepted.html", user, {"depot": d, "result": result, "service_date": service_date,
                                                      "what": "move"})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response
