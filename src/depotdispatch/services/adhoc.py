"""Late changes to a day's blocks: ad-hoc work, change-outs, cancel and restore. Each is an event
and a step of the plan version (a sheet previewed before the change must be previewed again)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.adhoc import adhoc_block, split_block
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.servicetime import at_service_time, zone
from depotdispatch.domain.status import block_status
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import (
    bump_version,
    check_version,
    day_context,
    new_double_bookings,
    refuse_double_bookings,
    require_day,
)
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class BlockChange:
    plan_version: int
    block: DayBlock | None
    freed_vehicle: str | None = None
    extra: DayBlock | None = None  # the new block of a change-out


@dataclass(frozen=True)
class AdhocSpec:
    block_id: str
    adhoc_reason: str
    start_at: datetime
    end_at: datetime
    distance_km: float | None = None
    replaces_block: str | None = None
    vehicle_class: str | None = None
    note: str | None = None
    keep_original: bool = False  # with replaces_block: keep the replaced block running too


def block_doc(b: DayBlock | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {"block_id": b.block_id, "block_name": b.block_name, "origin": b.origin, "pull_out": b.start_at.isoformat(),
            "pull_in": b.end_at.isoformat(), "distance_km": b.distance_km, "adhoc_reason": b.adhoc_reason,
            "replaces_block": b.replaces_block, "vehicle_class": b.vehicle_class, "note": b.note,
            "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None, "cancel_reason": b.cancel_reason,
            "actual_start": b.actual_start.isoformat() if b.actual_start else None,
            "actual_end": b.actual_end.isoformat() if b.actual_end else None}


def _open(uow: UnitOfWork, depot_id: str, service_date: date, version: int | None) -> tuple[int, int]:
    require_depot(uow, depot_id)
    day_id = require_day(uow, depot_id, service_date)
    current = uow.plans.version(day_id) if version is None else check_version(uow, day_id, version)
    return day_id, current


def _block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str) -> DayBlock:
    block = uow.days.block(depot_id, service_date, block_id)
    if block is None:
        raise NotFound(f"no block {block_id!r} on {service_date}")
    return block


def _refuse_overlap(uow: UnitOfWork, depot_id: str, service_date: date, new: DayBlock, now: datetime) -> None:
    """New times for a block with a vehicle: refused if that vehicle would then hold overlapping blocks."""
    ctx = day_context(uow, require_depot(uow, depot_id), service_date, now)
    ctx.blocks = [new if b.pk == new.pk else b for b in ctx.blocks]
    after = {pk: a.vehicle_id for pk, a in ctx.assignments.items()}
    if new.pk in after:
        refuse_double_bookings(new_double_bookings(ctx, after, {new.pk}))  # type: ignore[arg-type]


def _step(uow: UnitOfWork, day_id: int, current: int, event: Event) -> int:
    version = bump_version(uow, day_id, current)
    uow.plans.add_event(replace(event, plan_version=version))
    return version


def create_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, spec: AdhocSpec, *, actor: str,
                 now: datetime, version: int | None = None) -> BlockChange:
    with uow:
        day_id, current = _open(uow, depot_id, service_date, version)
        if uow.days.block(depot_id, service_date, spec.block_id, exact=True) is not None:
            raise Conflict(f"block {spec.block_id!r} already exists on {service_date}; pick another id")
        replaces = _block(uow, depot_id, service_date, spec.replaces_block) if spec.replaces_block else None
        block = adhoc_block(block_id=spec.block_id, service_date=service_date, start_at=spec.start_at,
                            end_at=spec.end_at, adhoc_reason=spec.adhoc_reason, distance_km=spec.distance_km,
                            replaces=replaces,
                            vehicle_class=spec.vehicle_class, note=spec.note)
        uow.days.add_blocks(day_id, [block])
        retire = replaces is not None and not spec.keep_original
        freed = _retire(uow, day_id, depot_id, service_date, replaces, block.block_id, actor, now,
                        current + 1) if retire and replaces is not None else None
        v = _step(uow, day_id, current, Event(depot_id, "adhoc_created", actor, now, service_date, block.block_id,
                                              after=block_doc(block) | {"replaced_cancelled": retire}))
        announce(uow, depot_id, service_date, "block", block_id=block.block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, block, freed)


def _retire(uow: UnitOfWork, day_id: int, depot_id: str, service_date: date, old: DayBlock, by: str, actor: str,
            now: datetime, version: int) -> str | None:
    """The block a replacement takes over is cancelled with reason `replaced`, its vehicle freed (DESIGN §5);
    returns the freed vehicle."""
    if old.cancelled_at is not None:
        return None
    if block_status(old, now, now).status == "completed":
        raise InvalidInput(f"block {old.block_id} is completed; a replacement cannot take it over (keep the "
                           "original, or add the work without --replaces)")
    assignment = uow.plans.assignments_for_dates(depot_id, [service_date]).get(old.pk)
    if assignment is not None:
        uow.plans.remove(old.pk)
    uow.days.replace_blocks(day_id, [replace(old, cancelled_at=now, cancel_reason="replaced")])
    uow.plans.add_event(Event(depot_id, "block_cancelled", actor, now, service_date, old.block_id,
                              assignment.vehicle_id if assignment else None, version,
                              before={"vehicle_id": assignment.vehicle_id if assignment else None,
                                      "source": assignment.source if assignment else None},
                              after={"cancel_reason": "replaced", "replaced_by": by}))
    return assignment.vehicle_id if assignment else None


def update_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str, now: datetime,
                 version: int | None = None, **changes: Any) -> BlockChange:
    with uow:
        day_id, current = _open(uow, depot_id, service_date, version)
        old = _block(uow, depot_id, service_date, block_id)
        block_id = old.block_id
        if old.origin != "adhoc":
            raise InvalidInput(f"block {block_id} comes from a schedule; correct the schedule, or cancel it and "
                               "add an ad-hoc block")
        allowed = {"start_at", "end_at", "distance_km", "vehicle_class", "note", "adhoc_reason"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InvalidInput(f"cannot change {unknown[0]!r} of an ad-hoc block")
        merged = {"start_at": old.start_at, "end_at": old.end_at, "distance_km": old.distance_km,
                  "vehicle_class": old.vehicle_class, "note": old.note, "adhoc_reason": old.adhoc_reason,
                  **{k: v for k, v in changes.items() if v is not None}}
        new = adhoc_block(block_id=old.block_id, service_date=service_date, start_at=merged["start_at"],
                          end_at=merged["end_at"], adhoc_reason=merged["adhoc_reason"],
                          distance_km=merged["distance_km"],
                          vehicle_class=merged["vehicle_class"], note=merged["note"], routes=old.routes,
                          trip_ids=old.trip_ids)
        new = replace(new, pk=old.pk, replaces_block=old.replaces_block, cancelled_at=old.cancelled_at,
                      cancel_reason=old.cancel_reason, actual_start=old.actual_start, actual_end=old.actual_end)
        _refuse_overlap(uow, depot_id, service_date, new, now)
        uow.days.replace_blocks(day_id, [new])
        v = _step(uow, day_id, current, Event(depot_id, "adhoc_changed", actor, now, service_date, block_id,
                                              before=block_doc(old), after=block_doc(new)))
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new)


def remove_adhoc(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str, now: datetime,
                 confirm: bool = False, version: int | None = None) -> BlockChange:
    with uow:
        day_id, current = _open(uow, depot_id, service_date, version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.origin != "adhoc":
            raise InvalidInput(f"block {block_id} comes from a schedule: cancel it instead of removing it")
        assignment = uow.plans.assignments_for_dates(depot_id, [service_date]).get(block.pk)
        if assignment is not None and not confirm:
            raise Conflict(f"block {block_id} has vehicle {assignment.vehicle_id}; confirm to remove it with its "
                           "assignment", vehicle_id=assignment.vehicle_id)
        uow.days.remove_blocks([block])
        v = _step(uow, day_id, current, Event(depot_id, "adhoc_removed", actor, now, service_date, block_id,
                                              assignment.vehicle_id if assignment else None,
                                              before=block_doc(block) | {"vehicle_id": assignment.vehicle_id
                                                                         if assignment else None}))
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, None, assignment.vehicle_id if assignment else None)


def cancel_block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, reason: str, *, actor: str,
                 now: datetime, version: int | None = None) -> BlockChange:
    """Cancelled: greyed, no warnings, its vehicle freed (the assignment is kept in the event)."""
    if not (reason or "").strip():
        raise InvalidInput("say why the block is cancelled", column="reason")
    with uow:
        day_id, current = _open(uow, depot_id, service_date, version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.cancelled_at is not None:
            return BlockChange(current, block)
        if block_status(block, now, now).status == "completed":
            raise InvalidInput(f"block {block_id} is completed; it can no longer be cancelled")
        assignment = uow.plans.assignments_for_dates(depot_id, [service_date]).get(block.pk)
        if assignment is not None:
            uow.plans.remove(block.pk)
        new = replace(block, cancelled_at=now, cancel_reason=reason.strip())
        uow.days.replace_blocks(day_id, [new])
        v = _step(uow, day_id, current, Event(
            depot_id, "block_cancelled", actor, now, service_date, block_id,
            assignment.vehicle_id if assignment else None,
            before={"vehicle_id": assignment.vehicle_id if assignment else None,
                    "source": assignment.source if assignment else None},
            after={"cancel_reason": new.cancel_reason}))
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new, assignment.vehicle_id if assignment else None)


def restore_block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, actor: str,
                  now: datetime, version: int | None = None) -> BlockChange:
    """Back in the plan, without a vehicle: the one it had may have been given other work meanwhile."""
    with uow:
        day_id, current = _open(uow, depot_id, service_date, version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.cancelled_at is None:
            return BlockChange(current, block)
        new = replace(block, cancelled_at=None, cancel_reason=None)
        uow.days.replace_blocks(day_id, [new])
        v = _step(uow, day_id, current, Event(depot_id, "block_restored", actor, now, service_date, block_id,
                                              before={"cancel_reason": block.cancel_reason}))
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, new)


def split_for_change_out(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, at: datetime, *,
                         actor: str, now: datetime, new_id: str | None = None,
                         version: int | None = None) -> BlockChange:
    """A change-out during service: the original ends at `at`, its remaining trips become an ad-hoc
    block that another vehicle can take. The original keeps its vehicle for the part it ran."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id, current = _open(uow, depot_id, service_date, version)
        block = _block(uow, depot_id, service_date, block_id)
        block_id = block.block_id
        if block.origin != "scheduled" or block.schedule_id is None:
            raise InvalidInput(f"block {block_id} has no schedule trips to split")
        tz = zone(depot.timezone)
        trips = uow.schedules.trips_by_ids(block.schedule_id, block.trip_ids)
        new_id = new_id or f"{block_id}-R"
        if uow.days.block(depot_id, service_date, new_id, exact=True) is not None:
            raise Conflict(f"block {new_id!r} already exists; give the new block another id")
        done, rest = split_block(block, trips, at, new_id, lambda t: at_service_time(service_date, t.start_s, tz),
                                 lambda t: at_service_time(service_date, t.end_s, tz))
        uow.days.replace_blocks(day_id, [done])
        uow.days.add_blocks(day_id, [rest])
        v = _step(uow, day_id, current, Event(depot_id, "adhoc_created", actor, now, service_date, new_id,
                                              before=block_doc(block), after=block_doc(rest) | {
                                                  "change_out_of": block_id, "at": at.isoformat()}))
        announce(uow, depot_id, service_date, "block", block_id=block_id, plan_version=v)
        uow.commit()
    return BlockChange(v, done, None, rest)
