"""Schedules: imports (GTFS zip, blocks CSV) with a progress indicator, and the applicability editor with
the impact preview before a confirmed change (never losing assignments silently)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from depotdispatch.domain.applicability import Applicability, weekdays_from_text
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.identity import NotAllowed
from depotdispatch.domain.servicetime import parse_date, to_local, zone
from depotdispatch.services import applicability as appl
from depotdispatch.services import days, schedules
from depotdispatch.web.common import dd, depot_for, page
from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)
MAX_FEED = 200 * 1024 * 1024
BEHIND_DAYS = 14  # the days from today an import looks at for days set up before it


@router.get("/depots/{depot}/schedules", response_class=HTMLResponse)
def schedules_page(request: Request, depot: str, user: WebUser) -> Response:
    d = depot_for(request, user, depot)
    found = schedules.list_schedules(dd(request).uow(), depot)
    partial = request.headers.get("hx-target") == "schedules-live"
    return page(request, "schedules.html", user, {"depot": d, "schedules": found, "nav": "schedules",
                                                  "is_admin": user.is_admin}, block="live" if partial else None)


@router.post("/depots/{depot}/schedules/import", response_class=HTMLResponse)
async def import_schedule(request: Request, depot: str, user: WebUser, file: UploadFile,
                          kind: Annotated[str, Form()] = "gtfs", start: Annotated[str, Form()] = "",
                          end: Annotated[str, Form()] = "", weekdays: Annotated[str, Form()] = "1234567") -> Response:
    d = depot_for(request, user, depot)
    _admin(user)
    app = dd(request)
    data = await file.read(MAX_FEED + 1)
    if len(data) > MAX_FEED:
        raise InvalidInput("the file is larger than 200 MiB", file=file.filename)
    name = file.filename or "upload"
    if kind == "gtfs":
        from depotdispatch.adapters.gtfs import read_gtfs

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            result = schedules.import_gtfs(app.uow(), depot, read_gtfs(path), app.clock.now(), actor=user.actor)
    elif kind == "blocks":
        from depotdispatch.adapters.blocks_csv import read_blocks

        if not start or not end:
            raise InvalidInput("a blocks CSV needs the first and last date it applies to", column="start")
        applies = Applicability(parse_date(start), parse_date(end), weekdays_from_text(weekdays))
        result = schedules.import_blocks(app.uow(), depot, name, read_blocks(data, name), applies, app.clock.now(),
                                         actor=user.actor)
    else:
        raise InvalidInput(f"kind {kind!r}: use gtfs or blocks")
    now = app.clock.now()
    today = to_local(now, zone(d.timezone)).date()
    behind = days.days_behind(app.uow(), depot, today, today + timedelta(days=BEHIND_DAYS - 1), now)
    response = page(request, "_imported.html", user, {"depot": d, "r": result, "name": name, "behind": behind})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response


def _admin(user: WebUser) -> None:
    if not user.is_admin:
        raise NotAllowed(f"schedules are an administrator's; {user.name} is a {user.role}")


def _dates(text: str, column: str) -> frozenset[date]:
    out = set()
    for part in text.replace(";", ",").split(","):
        if part.strip():
            try:
                out.add(parse_date(part.strip()))
            except Exception:
                raise InvalidInput(f"{part.strip()!r} is not a date such as 2026-12-24", column=column) from None
    return frozenset(out)


def _applicability(start: str, end: str, weekday: list[str] | None, added: str, removed: str) -> Applicability:
    days = "".join(sorted(weekday or []))
    if not days:
        raise InvalidInput("tick at least one weekday", column="weekdays")
    return Applicability(parse_date(start), parse_date(end), weekdays_from_text(days), _dates(added, "added"),
                         _dates(removed, "removed"))


@router.post("/depots/{depot}/schedules/{schedule_id}/applicability", response_class=HTMLResponse)
def applicability(request: Request, depot: str, schedule_id: int, user: WebUser,
                  start: Annotated[str, Form()], end: Annotated[str, Form()],
                  weekday: Annotated[list[str] | None, Form()] = None, added: Annotated[str, Form()] = "",
                  removed: Annotated[str, Form()] = "", step: Annotated[str, Form()] = "preview") -> Response:
    d = depot_for(request, user, depot)
    _admin(user)
    app = dd(request)
    wanted = _applicability(start, end, weekday, added, removed)
    if step == "confirm":
        impact = appl.apply_applicability(app.uow(), depot, schedule_id, wanted, actor=user.actor,
                                          now=app.clock.now(), confirm=True)
        response = page(request, "_impact.html", user, {"depot": d, "i": impact, "done": True,
                                                        "schedule_id": schedule_id, "form": None})
        response.headers["HX-Trigger"] = "dd:planChanged"
        return response
    impact = appl.preview_applicability(app.uow(), depot, schedule_id, wanted, app.clock.now())
    form = {"start": start, "end": end, "weekday": weekday or [], "added": added, "removed": removed}
    return page(request, "_impact.html", user, {"depot": d, "i": impact, "done": False, "schedule_id": schedule_id,
                                                "form": form})
