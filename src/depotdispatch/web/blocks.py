"""Block detail: trips, energy estimate and its inputs, every vehicle's verdict, the block's events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.services.block_detail import block_detail
from depotdispatch.web.common import dd, depot_for, page
from depotdispatch.web.deps import ServiceDate, WebUser

router = APIRouter(include_in_schema=False)


@router.get("/depots/{depot}/days/{service_date}/blocks/{block_id}", response_class=HTMLResponse)
def block_page(request: Request, depot: str, service_date: ServiceDate, block_id: str, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    app = dd(request)
    detail = block_detail(app.uow(), depot, service_date, block_id, app.clock.now())
    o = detail.options
    current = next((x for x in o.options if x.current), None)
    # the estimate shown: the block's vehicle's, else the best candidate's (each type has its own)
    shown = current or next((x for x in o.options if x.viability.estimate is not None), None)
    ctx = {"depot": d, "tz": d.timezone, "d": detail, "o": o, "b": o.block, "current": current, "shown": shown,
           "service_date": service_date, "nav": "board", "can_dispatch": user.can_dispatch(depot)}
    partial = request.headers.get("hx-target") == "block-live"
    return page(request, "block.html", user, ctx, block="live" if partial else None)
