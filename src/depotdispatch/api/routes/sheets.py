from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from depotdispatch.api import schemas
from depotdispatch.api.deps import AppDep, Dispatcher, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import DepotPath, ServiceDate
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import sheets as svc
from depotdispatch.services.depots import get_depot
from depotdispatch.services.views import batch_doc

router = APIRouter(tags=["dispatch sheet"], responses=PROBLEM_RESPONSES)
DAY = "/depots/{depot}/days/{service_date}/sheet"
MAX_UPLOAD = 20 * 1024 * 1024


class ApplyIn(BaseModel):
    rows: list[int] | None = Field(default=None, description="Only these rows (default: every actionable row).")


@router.get(DAY, response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_sheet(depot: DepotPath, service_date: ServiceDate, app: AppDep, now: NowDep,
                 format: Literal["csv", "tods"] = "csv") -> Response:
    """The day's plan as a dispatch sheet (`csv`) or TODS `vehicle_assignments.txt` (`tods`)."""
    from depotdispatch.adapters.sheet_export import export_csv, export_tods

    if format not in ("csv", "tods"):
        raise InvalidInput(f"format {format!r}: use csv or tods")
    day = service_date
    rows = svc.export_rows(app.uow(), depot, day, now)
    if format == "csv":
        body = export_csv(rows, get_depot(app.uow(), depot).timezone)
        name = f"{depot}-{day}-dispatch.csv"
    else:
        body, name = export_tods(rows), "vehicle_assignments.txt"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(DAY + "/previews", response_model=schemas.PreviewOut)
async def preview_sheet(depot: DepotPath, service_date: ServiceDate, file: UploadFile, request: Request, app: AppDep,
                        now: NowDep, rows_offset: Annotated[int, Query(ge=0)] = 0,
                        rows_limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> dict[str, Any]:
    """Upload a sheet: what each row would do and what is wrong with it. The plan does not change.
    The summary covers every row; `rows` is one page of them (`next_offset` says where the next starts)."""
    from depotdispatch.adapters.sheet_csv import read_sheet

    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, "the file is larger than 20 MiB")
    def work() -> dict[str, Any]:  # off the event loop: a big sheet must not hold up every other request
        sheet = read_sheet(data, file.filename or "sheet.csv", service_date)
        result = svc.preview_sheet(app.uow(), depot, service_date, sheet.rows, sheet.format, now, sheet.warnings,
                                   source=file.filename)
        return result.as_dict(rows_offset, rows_limit)

    return await run_in_threadpool(work)


@router.post(DAY + "/previews/{preview_id}/apply", response_model=schemas.BatchOut)
def apply_sheet(depot: DepotPath, service_date: ServiceDate, preview_id: Annotated[str, Path(max_length=64)],
                body: ApplyIn, app: AppDep, who: Dispatcher, now: NowDep) -> dict[str, Any]:
    """Apply the preview's actionable rows in one transaction; 409 if the plan changed since."""
    result = svc.apply_sheet(app.uow(), depot, service_date, preview_id, actor=who.actor, now=now,
                             rows=body.rows)
    return batch_doc(result)
