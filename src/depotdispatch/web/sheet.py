"""The reconciliation wizard: export the day's sheet, upload the edited one, preview it (nothing is written),
tick the rows to apply, apply them all or nothing; stale previews and bad files explained in words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from depotdispatch.adapters.sheet_csv import read_sheet
from depotdispatch.adapters.sheet_export import export_csv, export_tods
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.reconcile import ACTIONS, REFUSED
from depotdispatch.services import sheets
from depotdispatch.web.common import dd, depot_for, page, pick_day
from depotdispatch.web.deps import OptionalDate, ServiceDate, WebUser

router = APIRouter(include_in_schema=False)
DAY = "/depots/{depot}/days/{service_date}/sheet"
MAX_UPLOAD = 20 * 1024 * 1024


@router.get("/depots/{depot}/sheet", response_class=HTMLResponse)
def wizard(request: Request, depot: str, user: WebUser, date: OptionalDate = None) -> Response:
    d = depot_for(request, user, depot)
    day, dates = pick_day(request, d, date)
    return page(request, "sheet.html", user, {"depot": d, "day": day, "dates": dates, "nav": "sheet",
                                              "can_dispatch": user.can_dispatch(depot)})


@router.get(DAY + "/export")
def export(request: Request, depot: str, service_date: ServiceDate, user: WebUser, format: str = "csv") -> Response:
    d = depot_for(request, user, depot)
    if format not in ("csv", "tods"):
        raise InvalidInput(f"format {format!r}: use csv or tods")
    app = dd(request)
    day = service_date
    rows = sheets.export_rows(app.uow(), depot, day, app.clock.now())
    body, name = ((export_csv(rows, d.timezone), f"{depot}-{day}-dispatch.csv") if format == "csv"
                  else (export_tods(rows), "vehicle_assignments.txt"))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(DAY + "/preview", response_class=HTMLResponse)
async def preview(request: Request, depot: str, service_date: ServiceDate, user: WebUser, file: UploadFile) -> Response:
    d = depot_for(request, user, depot)
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("the file is larger than 20 MiB", file=file.filename)
    day = service_date
    sheet = read_sheet(data, file.filename or "sheet.csv", day)
    app = dd(request)
    result = sheets.preview_sheet(app.uow(), depot, day, sheet.rows, sheet.format, app.clock.now(), sheet.warnings,
                                  source=file.filename)
    codes = sorted({p.code for r in result.preview.rows for p in r.problems})
    return page(request, "_sheet_preview.html", user, {"depot": d, "p": result, "service_date": service_date,
                                                       "file": file.filename, "actions": (*ACTIONS, REFUSED),
                                                       "codes": codes})


@router.post(DAY + "/preview/{preview_id}/apply", response_class=HTMLResponse)
def apply(request: Request, depot: str, service_date: ServiceDate, preview_id: str, user: WebUser,
          row: Annotated[list[int] | None, Form()] = None) -> Response:
    d = depot_for(request, user, depot)
    if not row:
        raise InvalidInput("tick at least one row to apply")
    app = dd(request)
    result = sheets.apply_sheet(app.uow(), depot, service_date, preview_id, actor=user.actor,
                                now=app.clock.now(), rows=row)
    response = page(request, "_sheet_applied.html", user, {"depot": d, "result": result,
                                                           "service_date": service_date})
    response.headers["HX-Trigger"] = "dd:planChanged"
    return response
