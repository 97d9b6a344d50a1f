"""The admin's page of the telemetry intake: the messages the worker refused, counted per reason (DESIGN §11)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.identity import NotAllowed
from depotdispatch.domain.telemetry import REASON_WORDS
from depotdispatch.services import telemetry
from depotdispatch.web.common import dd, depot_for, page
from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)


@router.get("/depots/{depot}/telemetry", response_class=HTMLResponse)
def telemetry_page(request: Request, depot: str, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    if not user.is_admin:
        raise NotAllowed(f"the telemetry intake is an administrator's; {user.name} is a {user.role}")
    uow = dd(request).uow
    mine = telemetry.rejection_summary(uow(), depot)
    # a message whose topic names no depot cannot be counted against one: shown beside every depot's counts
    nowhere = [r for r in telemetry.rejection_summary(uow()).rows if r["depot_id"] is None]
    ctx = {"depot": d, "tz": d.timezone, "summary": mine, "nowhere": nowhere, "words": REASON_WORDS,
           "nav": "telemetry"}
    return page(request, "telemetry.html", user, ctx)
