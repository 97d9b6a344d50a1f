"""The printable pull-out sheet of a day: block, routes, pull-out in local time, bus, bay when known;
40 rows to a printed page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.services import board as board_svc
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)
ROWS_PER_PAGE = 40


@router.get("/depots/{depot}/pullout", response_class=HTMLResponse)
def pullout(request: Request, depot: str, user: WebUser, date: str = "") -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    app = dd(request)
    rows = []
    if day in dates:
        b = board_svc.board(app.uow(), depot, app.clock.now(), service_date=day, whole_day=True, candidates=False)
        rows = sorted((r for r in b.rows if r.block.cancelled_at is None), key=lambda r: (r.block.start_at,
                                                                                         r.block.block_id))
    pages = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    return page(request, "pullout.html", user, {"depot": d, "tz": d.timezone, "day": day, "dates": dates,
                                                "pages": pages, "total": len(rows), "nav": "print"})
