"""What every page module shares: the App, rendering with the signed-in user, the day being looked at."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from depotdispatch.bootstrap import App
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import NotFound
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import days, depots
from depotdispatch.web.deps import csrf_token, get_app
from depotdispatch.web.templating import templates


def dd(request: Request) -> App:
    return get_app(request)


def page(request: Request, name: str, user: Any, ctx: dict[str, Any], *, block: str | None = None,
         status_code: int = 200) -> Response:
    base = {"user": user, "csrf": csrf_token(request)}
    if block:
        return templates.TemplateResponse(request, name, base | ctx, block_name=block, status_code=status_code)
    return templates.TemplateResponse(request, name, base | ctx, status_code=status_code)


def depot_for(request: Request, user: Any, depot_id: str) -> Depot:
    if not user.can_see(depot_id):
        raise NotFound(f"no depot {depot_id!r}")
    return depots.get_depot(dd(request).uow(), depot_id)


def pick_day(request: Request, depot: Depot, asked: date | None) -> tuple[date, list[date]]:
    """The service date asked for, else today's in the depot's zone; with the days that are set up."""
    app = dd(request)
    dates = days.set_up_dates(app.uow(), depot.depot_id)
    if asked is not None:
        return asked, dates
    today = to_local(app.clock.now(), zone(depot.timezone)).date()
    return today, dates
