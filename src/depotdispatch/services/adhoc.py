"""Late changes to a day's blocks: ad-hoc work, change-outs, cancel and restore. Each is an event
and a step of the plan version (a sheet previewed before the change must be previewed again)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from depotdispatch.domain.adhoc import adhoc_block, split_block
from depotdispatch.domain.blocks import Trip
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound, UnacknowledgedWarnings
from depotdispatch.domain.events import Event
from depotdispatch.domain.plan import Assignment, DayPlan
from depotdispatch.domain.servicetime import at_service_time, clock_on, to_local, zone
from depotdispatch.domain.status import block_status
from depotdispatch.domain.words import BlockStatus, EventKind, Origin
from depotdispatch.services.changes import announce
from depotdispatch.services.days import replace_day_blocks
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import PlanChange, assign_in, check_version, open_plan, require_day
from depotdispatch.services.unit_of_work import UnitOfWork
from depotdispatch.services.views import block_doc


@dataclass
class BlockChange:
    plan_version: int
    block: DayBlock | None
    freed_vehicle: str | None = None
    extra: DayBlock | None = None  # the new block of a change-out
    swap: PlanChange | None = None  # the bus a change-out gave its new block in the same step


@dataclass(frozen=True)
class AdhocSpec:
    block_id: str
    adhoc_reason: str
    pull_out: datetime
    pull_in: datetime
    distance_km: float | None = None
    replaces_block: str | None = None
    vehicle_class: str | None = None
    note: str | None = None
    keep_original: bool = False  # with replaces_block: keep the replaced block running too


def _open(uow: UnitOfWork, depot_id: str, service_date: date, version: int | None) -> tuple[int, DayPlan]:
    depot = require_depot(uow, depot_id)
    day_id = require_day(uow, depot_id, service_date)
    if version is not None:
        check_version(uow, day_id, version)
    return day_id, open_plan(uow, depot, service_date, day_id)


def _block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str) -> DayBlock:
    block = uow.days.block(depot_id, service_date, block_id)
    if block is None:
        raise NotFound(f"no block {block_id!r} on {service_date}")
    return block


def _freed_doc(a: Assignment | None) -> dict[str, Any]:
    return {"vehicle_id": a.vehicle_id if a else None, "source": a.source if a else None}


def create_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, spec: AdhocSpec, *, actor: str,
                 now: datetime, plan_version: int | None = None) -> BlockChange:
    with uow:
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        if uow.days.block(depot_id, service_date, spec.block_id, exact=True) is not None:
            raise Conflict(f"block {spec.block_id!r} already exists on {service_date}; pick another id")
        replaces = _block(uow, depot_id, service_date, spec.replaces_block) if spec.replaces_block else None
        block = adhoc_block(block_id=spec.block_id, service_date=service_date, pull_out=spec.pull_out,
                            pull_in=spec.pull_in, adhoc_reason=spec.adhoc_reason, distance_km=spec.distance_km,
                            replaces=replaces,
                            vehicle_class=spec.vehicle_class, note=spec.note)
        retire = replaces is not None and not spec.keep_original
        freed, retired = _retire(plan, replaces, block.block_id, actor, now) if retire and replaces else (None, None)
        plan.record(Event(depot_id, EventKind.ADHOC_CREATED, actor, now, service_date, block.block_id,
                          after=block_doc(block) | {"replaced_cancelled": retire}))
        v = replace_day_blocks(uow, day_id, plan, added=[block], changed=[retired] if retired else [],
                               actor=actor, now=now, why=None)
        announce(uow, depot_id, service_date, "block", block_id=block.block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, block, freed)


def _retire(plan: DayPlan, old: DayBlock, by: str, actor: str, now: datetime) -> tuple[str | None, DayBlock | None]:
    """The block a replacement takes over is cancelled with reason `replaced`, its vehicle freed (DESIGN §5);
    returns the freed vehicle and the cancelled block (None, None: it was cancelled already)."""
    if old.cancelled_at is not None:
        return None, None
    if block_status(old, now, now).status == BlockStatus.COMPLETED:
        raise InvalidInput(f"block {old.block_id} is completed; a replacement cannot take it over (keep the "
                           "original, or add the work without --replaces)")
    assignment = plan.release(old)
    plan.record(Event(plan.depot_id, EventKind.BLOCK_CANCELLED, actor, now, plan.service_date, old.block_id,
                      assignment.vehicle_id if assignment else None, before=_freed_doc(assignment),
                      after={"cancel_reason": "replaced", "replaced_by": by}))
    return (assignment.vehicle_id if assignment else None), replace(old, cancelled_at=now, cancel_reason="replaced")


def update_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str, now: datetime,
                 plan_version: int | None = None, **changes: Any) -> BlockChange:
    with uow:
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        old = _block(uow, depot_id, service_date, block_id)
        block_id = old.block_id
        if old.origin != Origin.ADHOC:
            raise InvalidInput(f"block {block_id} comes from a schedule; correct the schedule, or cancel it and "
                               "add an ad-hoc block")
        allowed = {"pull_out", "pull_in", "distance_km", "vehicle_class", "note", "adhoc_reason"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InvalidInput(f"cannot change {unknown[0]!r} of an ad-hoc block")
        merged = {"pull_out": old.pull_out, "pull_in": old.pull_in, "distance_km": old.distance_km,
                  "vehicle_class": old.vehicle_class, "note": old.note, "adhoc_reason": old.adhoc_reason,
                  **{k: v for k, v in changes.items() if v is not None}}
        new = adhoc_block(block_id=old.block_id, service_date=service_date, pull_out=merged["pull_out"],
                          pull_in=merged["pull_in"], adhoc_reason=merged["adhoc_reason"],
                          distance_km=merged["distance_km"],
                          vehicle_class=merged["vehicle_class"], note=merged["note"], routes=old.routes,
                          trip_ids=old.trip_ids)
        new = replace(new, pk=old.pk, replaces_block=old.replaces_block, cancelled_at=old.cancelled_at,
                      cancel_reason=old.cancel_reason, actual_start=old.actual_start, actual_end=old.actual_end)
        plan.with_block(new)  # refused if its vehicle would then hold overlapping blocks
        plan.record(Event(depot_id, EventKind.ADHOC_CHANGED, actor, now, service_date, block_id,
                          before=block_doc(old), after=block_doc(new)))
        v = replace_day_blocks(uow, day_id, plan, changed=[new], actor=actor, now=now, why=None)
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new)


def remove_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str, now: datetime,
                 confirm: bool = False, plan_version: int | None = None) -> BlockChange:
    with uow:
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.origin != Origin.ADHOC:
            raise InvalidInput(f"block {block_id} comes from a schedule: cancel it instead of removing it")
        assignment = plan.assignment(block)
        if assignment is not None and not confirm:
            raise Conflict(f"block {block_id} has vehicle {assignment.vehicle_id}; confirm to remove it with its "
                           "assignment", vehicle_id=assignment.vehicle_id)
        plan.record(Event(depot_id, EventKind.ADHOC_REMOVED, actor, now, service_date, block_id,
                          assignment.vehicle_id if assignment else None,
                          before=block_doc(block) | {"vehicle_id": assignment.vehicle_id if assignment else None}))
        v = replace_day_blocks(uow, day_id, plan, removed=[block], actor=actor, now=now, why=None)
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, None, assignment.vehicle_id if assignment else None)


def cancel_block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, reason: str, *, actor: str,
                 now: datetime, plan_version: int | None = None) -> BlockChange:
    """Cancelled: greyed, no warnings, its vehicle freed (the assignment is kept in the event)."""
    if not (reason or "").strip():
        raise InvalidInput("say why the block is cancelled", column="reason")
    with uow:
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.cancelled_at is not None:
            return BlockChange(plan.version, block)
        if block_status(block, now, now).status == BlockStatus.COMPLETED:
            raise InvalidInput(f"block {block_id} is completed; it can no longer be cancelled")
        assignment = plan.release(block)
        new = replace(block, cancelled_at=now, cancel_reason=reason.strip())
        plan.record(Event(depot_id, EventKind.BLOCK_CANCELLED, actor, now, service_date, block_id,
                          assignment.vehicle_id if assignment else None, before=_freed_doc(assignment),
                          after={"cancel_reason": new.cancel_reason}))
        v = replace_day_blocks(uow, day_id, plan, changed=[new], actor=actor, now=now, why=None)
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new, assignment.vehicle_id if assignment else None)


def restore_block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str,
                  now: datetime, plan_version: int | None = None) -> BlockChange:
    """Back in the plan, without a vehicle: the one it had may have been given other work meanwhile."""
    with uow:
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.cancelled_at is None:
            return BlockChange(plan.version, block)
        new = replace(block, cancelled_at=None, cancel_reason=None)
        plan.record(Event(depot_id, EventKind.BLOCK_RESTORED, actor, now, service_date, block_id,
                          before={"cancel_reason": block.cancel_reason}))
        v = replace_day_blocks(uow, day_id, plan, changed=[new], actor=actor, now=now, why=None)
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new)


def split_for_change_out(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, at: datetime, *,
                         actor: str, now: datetime, new_id: str | None = None, plan_version: int | None = None,
                         swap_vehicle: str | None = None, override_reason: str | None = None,
                         acknowledge: Sequence[str] | None = None) -> BlockChange:
    """A change-out during service: the original ends at `at`, its remaining trips become an ad-hoc
    block that another vehicle can take. The original keeps its vehicle for the part it ran.

    With `swap_vehicle` the new block gets that bus in the same transaction and version step (the plan
    version checked, the rules and warnings of `plan assign`): the way to record a change-out that is
    happening now; against its warnings, `override_reason` and each code named in `acknowledge`. Without
    one, a split whose rest would already have started is refused: it would be a missed pull-out at once."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id, plan = _open(uow, depot_id, service_date, plan_version)
        if swap_vehicle is not None:
            check_version(uow, day_id, plan_version)  # it writes an assignment: never against an unknown plan
        change = split_in(uow, depot, day_id, plan, _block(uow, depot_id, service_date, block_id), at, actor=actor,
                          now=now, new_id=new_id, covered=swap_vehicle is not None)
        if swap_vehicle is not None and change.extra is not None:
            try:
                change.swap = assign_in(uow, depot_id, service_date, change.extra.block_id, swap_vehicle,
                                        plan_version=change.plan_version, actor=actor, now=now,
                                        override_reason=override_reason, acknowledge=acknowledge, joins_step=True)
            except UnacknowledgedWarnings as exc:  # all is rolled back: the plan is where it was
                exc.extra["current_version"] = plan.version
                raise
        uow.commit()
    return change


def split_in(uow: UnitOfWork, depot: Depot, day_id: int, plan: DayPlan, block: DayBlock, at: datetime, *,
             actor: str, now: datetime, new_id: str | None = None, covered: bool = False) -> BlockChange:
    """The change-out split in the caller's transaction (the caller commits): checks, splits, writes the two blocks and
    the event, one version step; the new block is returned stored (with its key). `covered`: the caller gives the
    new block a bus in the same transaction; without one, a rest that would already have started is refused."""
    depot_id, service_date, block_id = depot.depot_id, plan.service_date, block.block_id
    if block.origin != Origin.SCHEDULED or block.schedule_id is None:
        raise InvalidInput(f"block {block_id} has no schedule trips to split")
    state = block_status(block, now, now).status
    if state in (BlockStatus.COMPLETED, BlockStatus.CANCELLED):
        raise InvalidInput(f"block {block_id} is {state}: there is nothing left to hand over (record what "
                           "happened as the block's actuals)")
    tz = zone(depot.timezone)
    trips = uow.schedules.trips_by_ids(block.schedule_id, block.trip_ids)
    new_id = new_id or f"{block_id}-R"
    if uow.days.block(depot_id, service_date, new_id, exact=True) is not None:
        raise Conflict(f"block {new_id!r} already exists; give the new block another id")

    def departs(t: Trip) -> datetime:
        return at_service_time(service_date, t.start_s, tz)

    done, rest = split_block(block, trips, at, new_id, departs, lambda t: at_service_time(service_date, t.end_s, tz))
    if rest.pull_out < now and not covered:
        _refuse_uncovered(block_id, rest, [departs(t) for t in trips if t.trip_id in rest.trip_ids], now, tz)
    plan.record(Event(depot_id, EventKind.ADHOC_CREATED, actor, now, service_date, new_id, before=block_doc(block),
                      after=block_doc(rest) | {"change_out_of": block_id, "at": at.isoformat()}))
    v = replace_day_blocks(uow, day_id, plan, changed=[done], added=[rest], actor=actor, now=now, why=None)
    announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
    stored = uow.days.block(depot_id, service_date, new_id, exact=True)
    return BlockChange(v, done, None, stored or rest)


def _refuse_uncovered(block_id: str, rest: DayBlock, departures: list[datetime], now: datetime, tz: ZoneInfo) -> None:
    """A rest that started already with no bus would be a missed pull-out the moment it is made: say so, and
    what would work (the bus that takes over now, or the next trip still to come)."""
    today = to_local(now, tz).date()
    later = sorted(d for d in departures if d >= now)
    then = f"; the next trip of the block starts at {clock_on(to_local(later[0], tz), today)}" if later else ""
    raise InvalidInput(f"the rest of block {block_id} would start at {clock_on(to_local(rest.pull_out, tz), today)}, "
                       f"before now ({clock_on(to_local(now, tz), today)}): no bus could pull out for it, so it "
                       "would be a missed pull-out at once. Name the bus that takes over now (it gets the new block "
                       f"in the same step), or split at a trip still to come{then}", column="swap_vehicle")
