"""The yard over HTTP: plug-in order, the yard view's data, chargers, spots, plugged/unplugged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from depotdispatch.adapters.chargers_csv import read_chargers
from depotdispatch.api import schemas
from depotdispatch.api.deps import Admin, AppDep, Dispatcher, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import yard as svc

router = APIRouter(tags=["yard"], responses=PROBLEM_RESPONSES)
YARD = "/depots/{depot}/yard"
MAX_CHARGERS_FILE = 1024 * 1024


class PlugInEntry(BaseModel):
    vehicle_id: str
    charger_id: str | None
    next_block_id: str
    next_block_name: str | None = None  # the feed's human name for it, where it has another
    pull_out: str
    needs_pct: float
    reason: str
    plug_in_at: str | None
    not_ready_in_time: bool
    short_on_plan: bool  # could be ready alone; the depot's charging plan leaves it short at pull-out


class PlugInOrder(BaseModel):
    now: str
    order: list[PlugInEntry]


class SpotIn(BaseModel):
    bay: str | None = Field(default=None, max_length=32)
    lane: str | None = Field(default=None, max_length=32)
    position: int | None = Field(default=None, ge=1, le=999)


class PlugIn(BaseModel):
    charger_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChargerAvailability(BaseModel):
    available: bool


class ChargingSettingsIn(BaseModel):
    """Only the settings given change; `site_cap_kw: null` removes the cap. The depot checks the values."""

    model_config = ConfigDict(extra="forbid")
    site_cap_kw: float | None = None
    pull_in_allowance_min: int | None = None
    pull_out_allowance_min: int | None = None
    min_dwell_min: int | None = None
    pull_in_allowance_km: float | None = None
    pull_out_allowance_km: float | None = None


@router.get(YARD + "/plug-in-order")
def plug_in_order(depot: str, app: AppDep, now: NowDep) -> PlugInOrder:
    """Which bus to plug in on which charger next, with a sentence each; `not_ready_in_time` to swap early."""
    return PlugInOrder.model_validate(svc.plug_in(app.uow(), depot, now))


@router.get(YARD, response_model=schemas.YardOut)
def yard_view(depot: str, app: AppDep, now: NowDep) -> dict[str, Any]:
    """Next pull-outs with bus, bay and SoC; the plug-in order; lanes that block a pull-out."""
    return svc.yard_view(app.uow(), depot, now)


@router.put(YARD + "/vehicles/{vehicle}/spot", response_model=schemas.SpotOut)
def set_spot(depot: str, vehicle: str, body: SpotIn, app: AppDep, now: NowDep, who: Dispatcher) -> dict[str, Any]:
    s = svc.set_spot(app.uow(), depot, vehicle, bay=body.bay, lane=body.lane, lane_order=body.position,
                     now=now, actor=who.actor)
    return {"vehicle_id": vehicle, "bay": s.bay, "lane": s.lane, "position": s.lane_order}


@router.put(YARD + "/vehicles/{vehicle}/plug", response_model=schemas.PlugOut)
def set_plug(depot: str, vehicle: str, body: PlugIn, app: AppDep, now: NowDep, who: Dispatcher) -> dict[str, Any]:
    """Plugged into `charger_id`, or unplugged with null."""
    s = svc.set_plugged(app.uow(), depot, vehicle, body.charger_id, now, who.actor)
    return {"vehicle_id": vehicle, "charger_id": s.charger_id}


@router.get(YARD + "/settings", response_model=schemas.ChargingSettingsOut)
def get_settings(depot: str, app: AppDep) -> dict[str, object]:
    """Site power cap, pull-in/pull-out allowances (minutes and deadhead km), minimum charging dwell."""
    from depotdispatch.services.depots import get_depot

    return svc.charging_settings(get_depot(app.uow(), depot))


@router.patch(YARD + "/settings", response_model=schemas.ChargingSettingsOut)
def set_settings(depot: str, body: ChargingSettingsIn, app: AppDep, who: Admin) -> dict[str, object]:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    nulls = sorted(k for k, v in changes.items() if v is None and k != "site_cap_kw")
    if nulls:
        raise InvalidInput(f"{nulls[0]} cannot be empty: give a number (0 for none)")
    return svc.charging_settings(svc.set_charging_settings(app.uow(), depot, app.clock.now(), who.actor, **changes))


@router.get("/depots/{depot}/chargers", response_model=schemas.ChargersOut)
def list_chargers(depot: str, app: AppDep) -> dict[str, Any]:
    return {"chargers": svc.chargers(app.uow(), depot)}


@router.post("/depots/{depot}/chargers", openapi_extra={"requestBody": {"content": {"text/csv": {}}}},
             response_model=schemas.ChargerImportOut)
async def import_chargers(depot: str, request: Request, app: AppDep, who: Admin) -> dict[str, object]:
    """The chargers CSV (charger_id, max_kw, connectors) as the request body."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_CHARGERS_FILE:
            raise InvalidInput(f"a chargers file of more than {MAX_CHARGERS_FILE} bytes")
    chargers = read_chargers(data, "chargers.csv")
    return svc.import_chargers(app.uow(), depot, chargers, app.clock.now(), who.actor).as_dict()


@router.put("/depots/{depot}/chargers/{charger}/availability", response_model=schemas.ChargerAvailabilityOut)
def charger_availability(depot: str, charger: str, body: ChargerAvailability, app: AppDep,
                         now: NowDep, who: Dispatcher) -> dict[str, object]:
    svc.set_charger_available(app.uow(), depot, charger, body.available, now, who.actor)
    return {"charger_id": charger, "available": body.available}
