"""The audit log page: every event, newest first, filterable by day, block, vehicle, actor and kind."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.words import EventKind
from depotdispatch.services import audit, days, depots
from depotdispatch.web.common import dd, page
from depotdispatch.web.deps import OptionalDate, WebUser

router = APIRouter(include_in_schema=False)
LIMIT = 500  # the newest this many; the filters narrow the rest down
KINDS = tuple(EventKind)  # every kind the audit log holds, from the one vocabulary


@router.get("/depots/{depot}/audit", response_class=HTMLResponse)
def audit_page(request: Request, depot: str, user: WebUser, date: OptionalDate = None, block: str = "",
               vehicle: str = "", actor: str = "", kind: str = "") -> Response:
    app = dd(request)
    d = depots.get_depot(app.uow(), depot)
    events = audit.events(app.uow(), depot, service_date=date, block_id=block or None,
                          vehicle_id=vehicle or None, actor=actor or None, kind=kind or None, limit=LIMIT)
    # newest first by when they happened (actuals of a past day are written with their own time)
    events = sorted(events, key=lambda e: (e.at, e.event_id or 0), reverse=True)
    shown = {"date": date.isoformat() if date else "", "block": block, "vehicle": vehicle, "actor": actor,
             "kind": kind}
    dates = [e.service_date for e in events if e.service_date is not None]
    names = days.block_names(app.uow(), depot, min(dates), max(dates)) if dates else {}
    ctx = {"depot": d, "tz": d.timezone, "events": events, "f": shown, "names": names,
           "kinds": KINDS, "nav": "audit", "limit": LIMIT}
    partial = request.headers.get("hx-target") == "audit-live"
    return page(request, "audit.html", user, ctx, block="live" if partial else None)
