from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from depotdispatch.api import schemas
from depotdispatch.api.deps import Admin, AppDep, Dispatcher, NowDep
from depotdispatch.api.problems import PROBLEM_RESPONSES
from depotdispatch.api.types import (
    AdhocReason,
    BlockId,
    BlockPath,
    Bool,
    Day,
    DepotPath,
    Finite,
    Instant,
    Note,
    OverrideReason,
    Reason,
    RequiredReason,
    ServiceDate,
    VehicleClass,
    VehicleId,
)
from depotdispatch.domain.applicability import Applicability, weekdays_from_text
from depotdispatch.domain.servicetime import ensure_utc
from depotdispatch.services import actuals as facts
from depotdispatch.services import adhoc as svc
from depotdispatch.services import applicability as appl
from depotdispatch.services.views import block_change_doc

router = APIRouter(tags=["blocks and schedules"], responses=PROBLEM_RESPONSES)
DAY = "/depots/{depot}/days/{service_date}/blocks"


class AdhocIn(BaseModel):
    block_id: BlockId
    adhoc_reason: AdhocReason
    pull_out: Instant
    pull_in: Instant
    distance_km: Finite | None = None
    replaces_block: BlockId | None = None
    keep_original: bool = False  # with replaces_block: the replaced block keeps running too
    vehicle_class: VehicleClass | None = None
    note: Note | None = None
    plan_version: int | None = None


class AdhocPatch(BaseModel):
    pull_out: Instant | None = None
    pull_in: Instant | None = None
    distance_km: Finite | None = None
    adhoc_reason: AdhocReason | None = None
    vehicle_class: VehicleClass | None = None
    note: Note | None = None
    plan_version: int | None = None


class CancelIn(BaseModel):
    reason: RequiredReason
    plan_version: int | None = None


class SplitIn(BaseModel):
    at: Instant
    new_block_id: BlockId | None = None
    plan_version: int | None = None  # required with swap_vehicle
    swap_vehicle: VehicleId | None = None  # the bus that takes the new block over, in the same step
    override_reason: OverrideReason | None = None  # with swap_vehicle, against its warnings
    acknowledge: list[Reason] | None = Field(default=None, max_length=50)


class ActualsIn(BaseModel):
    actual_start: Instant | None = None
    actual_end: Instant | None = None


class ApplicabilityIn(BaseModel):
    start: Day
    end: Day
    weekdays: str = Field(default="1234567", max_length=7)
    added: list[Day] = Field(default_factory=list)
    removed: list[Day] = Field(default_factory=list)
    confirm: Bool = False


def _utc(t: datetime | None) -> datetime | None:
    return None if t is None else ensure_utc(t)


def _doc(change: svc.BlockChange) -> dict[str, Any]:
    return block_change_doc(change)


@router.post(DAY, status_code=201, response_model=schemas.BlockChangeOut)
def add_adhoc(depot: DepotPath, service_date: ServiceDate, body: AdhocIn, app: AppDep,
              who: Dispatcher, now: NowDep) -> dict[str, Any]:
    """Ad-hoc work (replacement, extra, missing from the schedule): a block like any other."""
    spec = svc.AdhocSpec(body.block_id, body.adhoc_reason, ensure_utc(body.pull_out), ensure_utc(body.pull_in),
                         body.distance_km, body.replaces_block, body.vehicle_class, body.note, body.keep_original)
    return _doc(svc.create_adhoc(app.uow(), depot, service_date, spec, actor=who.actor, now=now,
                                 plan_version=body.plan_version))


@router.patch(DAY + "/{block_id}", response_model=schemas.BlockChangeOut)
def change_adhoc(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, body: AdhocPatch, app: AppDep,
                 who: Dispatcher,
                 now: NowDep) -> dict[str, Any]:
    return _doc(svc.update_adhoc(app.uow(), depot, service_date, block_id, actor=who.actor, now=now,
                                 plan_version=body.plan_version, pull_out=_utc(body.pull_out),
                                 pull_in=_utc(body.pull_in),
                                 distance_km=body.distance_km, adhoc_reason=body.adhoc_reason,
                                 vehicle_class=body.vehicle_class, note=body.note))


@router.delete(DAY + "/{block_id}", response_model=schemas.BlockChangeOut)
def remove_adhoc(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, app: AppDep,
                 who: Dispatcher, now: NowDep,
                 confirm: bool = False,
                 plan_version: int | None = None) -> dict[str, Any]:
    """Remove an ad-hoc block; one with a vehicle needs `confirm=true`."""
    return _doc(svc.remove_adhoc(app.uow(), depot, service_date, block_id, actor=who.actor, now=now,
                                 confirm=confirm, plan_version=plan_version))


@router.post(DAY + "/{block_id}/cancel", response_model=schemas.BlockChangeOut)
def cancel(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, body: CancelIn, app: AppDep,
           who: Dispatcher,
           now: NowDep) -> dict[str, Any]:
    return _doc(svc.cancel_block(app.uow(), depot, service_date, block_id, body.reason, actor=who.actor,
                                 now=now, plan_version=body.plan_version))


@router.post(DAY + "/{block_id}/restore", response_model=schemas.BlockChangeOut)
def restore(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, app: AppDep, who: Dispatcher, now: NowDep,
            plan_version: int | None = None) -> dict[str, Any]:
    return _doc(svc.restore_block(app.uow(), depot, service_date, block_id, actor=who.actor, now=now,
                                  plan_version=plan_version))


@router.post(DAY + "/{block_id}/split", response_model=schemas.BlockChangeOut)
def split(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, body: SplitIn, app: AppDep, who: Dispatcher,
          now: NowDep) -> dict[str, Any]:
    """A change-out: the trips from `at` on become an ad-hoc block another vehicle can take. With
    `swap_vehicle` (and `plan_version`) that bus gets the new block in the same step, under the rules of an
    assignment (`override_reason` and `acknowledge` against its warnings). A split whose rest would already
    have started needs it: without a bus it would be a missed pull-out at once (422)."""
    return _doc(svc.split_for_change_out(app.uow(), depot, service_date, block_id, ensure_utc(body.at),
                                         actor=who.actor, now=now, new_id=body.new_block_id,
                                         plan_version=body.plan_version, swap_vehicle=body.swap_vehicle,
                                         override_reason=body.override_reason, acknowledge=body.acknowledge or []))


@router.put(DAY + "/{block_id}/actuals", response_model=schemas.ActualsOut)
def actuals(depot: DepotPath, service_date: ServiceDate, block_id: BlockPath, body: ActualsIn, app: AppDep,
            who: Dispatcher, now: NowDep) -> dict[str, Any]:
    """Record the actual start and/or end; they win over the plan."""
    facts.record_actuals(app.uow(), depot, service_date, block_id, actual_start=_utc(body.actual_start),
                         actual_end=_utc(body.actual_end), actor=who.actor, now=now)
    return {"block_id": block_id, "recorded": True}


def _appl(body: ApplicabilityIn) -> Applicability:
    return Applicability(body.start, body.end, weekdays_from_text(body.weekdays), frozenset(body.added),
                         frozenset(body.removed))


@router.post("/depots/{depot}/schedules/{schedule_id}/applicability/preview", response_model=schemas.ImpactOut)
def preview_applicability(depot: DepotPath, schedule_id: int, body: ApplicabilityIn, app: AppDep, _: Admin,
                          now: NowDep) -> dict[str, Any]:
    """Which service days appear or disappear, and which blocks and assignments would be affected."""
    return appl.preview_applicability(app.uow(), depot, schedule_id, _appl(body), now).as_dict()


@router.put("/depots/{depot}/schedules/{schedule_id}/applicability", response_model=schemas.ImpactOut)
def set_applicability(depot: DepotPath, schedule_id: int, body: ApplicabilityIn, app: AppDep, who: Admin,
                      now: NowDep) -> dict[str, Any]:
    """Correct the applicability; 409 with the impact when assignments would go and `confirm` is false."""
    return appl.apply_applicability(app.uow(), depot, schedule_id, _appl(body), actor=who.actor, now=now,
                                    confirm=body.confirm).as_dict()
