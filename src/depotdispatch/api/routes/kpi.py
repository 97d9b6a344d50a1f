"""KPIs for operations managers (DESIGN §12): every number with the blocks and events behind it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from depotdispatch.api.deps import AppDep, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import Day, DepotPath
from depotdispatch.services import kpi as svc

router = APIRouter(tags=["kpi"], responses=PROBLEM_RESPONSES)

FromQ = Annotated[Day, Query(alias="from", description="First service date, YYYY-MM-DD.")]
ToQ = Annotated[Day, Query(description="Last service date, YYYY-MM-DD.")]


class BlockRef(BaseModel):
    service_date: str
    block_id: str


class Substitution(BlockRef):
    vehicle_id: str
    ev_available: str = Field(description="An EV that was ok, available and unassigned at the block's pull-out.")
    reason: str
    event_id: int | None = Field(description="The event that put the vehicle on the block.")


class OverrideItem(BlockRef):
    event_id: int | None
    vehicle_id: str
    reason: str
    acknowledged: list[str]
    verdict: str = Field(description="proved_right | proved_wrong | unknown")
    outcome: str = Field(description="below_reserve | cut_short | changed_out | fine | unknown")
    outcome_detail: str


class Overrides(BaseModel):
    count: int
    by_reason: dict[str, int]
    proved_right: int
    proved_wrong: int
    unknown: int
    by_code: dict[str, int]
    items: list[OverrideItem]


class WeekAccuracy(BaseModel):
    week: str
    warned: int
    warned_right: int
    warned_wrong: int
    warned_unknown: int
    ok: int
    ok_failed: int
    ok_held: int
    ok_unknown: int
    blocks: dict[str, list[BlockRef]]


class DayKpi(BaseModel):
    service_date: str
    blocks: int
    ev_blocks: int
    ev_share_blocks: float | None
    km: float
    ev_km: float
    ev_share_km: float | None
    block_ids: list[str]
    ev_block_ids: list[str]


class Change(BlockRef):
    event_id: int | None
    vehicle_id: str | None
    source: str
    kind: str
    at: str


class Drilldown(BaseModel):
    uncovered: list[BlockRef]
    plan_churn: list[Change]


class KpiReport(BaseModel):
    """The `kpi --json` document: the DESIGN §9 keys, then the detail behind them."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    blocks: int = Field(description="Blocks that ran (completed or in service) with a vehicle.")
    ev_blocks: int
    ev_share_blocks: float | None
    ev_share_km: float | None
    diesel_substitutions: list[Substitution]
    overrides: Overrides
    plan_churn: int
    uncovered: int
    depot: str
    now: str
    km: float
    ev_km: float
    substitutions_by_reason: dict[str, int]
    plan_churn_by_source: dict[str, int]
    warning_accuracy: list[WeekAccuracy]
    days: list[DayKpi]
    drilldown: Drilldown


@router.get("/depots/{depot}/kpis", response_model=KpiReport, response_model_by_alias=True)
def get_kpis(depot: DepotPath, first: FromQ, to: ToQ, app: AppDep, now: NowDep) -> KpiReport:
    """EV utilisation, diesel substitutions, overrides and their outcome, warning accuracy per week,
    plan churn and uncovered blocks over a date range, as at `now`."""
    report = svc.report(app.uow(), depot, first, to, now)
    return KpiReport.model_validate(svc.report_doc(report, depot))


@router.get("/depots/{depot}/kpis.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per day and a total."}})
def get_kpis_csv(depot: DepotPath, first: FromQ, to: ToQ, app: AppDep, now: NowDep) -> Response:
    """The same numbers per day as a CSV a spreadsheet opens."""
    report = svc.report(app.uow(), depot, first, to, now)
    name = f"kpi-{depot}-{report.first.isoformat()}-{report.last.isoformat()}.csv"  # all checked ids and dates
    return Response("\ufeff" + svc.report_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
