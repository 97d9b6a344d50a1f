"""The printable pull-out sheet of a day (services.pullout): block, routes, pull-out in local time, bus, bay
when known; 40 rows to a printed page (static/print.css breaks after each)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.services import pullout as pullout_svc
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import OptionalDate, WebUser

router = APIRouter(include_in_schema=False)
ROWS_PER_PAGE = 40


@router.get("/depots/{depot}/pullout", response_class=HTMLResponse)
def pullout(request: Request, depot: str, user: WebUser, date: OptionalDate = None) -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    app = dd(request)
    rows = pullout_svc.pullout_sheet(app.uow(), depot, day, app.clock.now()).rows if day in dates else []
    pages = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    return page(request, "pullout.html", user, {"depot": d, "tz": d.timezone, "day": day, "dates": dates,
                                                "pages": pages, "total": len(rows), "nav": "print",
                                                "per_page": ROWS_PER_PAGE})
