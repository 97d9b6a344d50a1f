"""The plan: the only writer of assignments. Every write names the version it was made against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from depotdispatch.domain.days import DayBlock, find_block
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput, NotFound, PlanRuleBroken, StaleVersion, UnacknowledgedWarnings
from depotdispatch.domain.events import Event
from depotdispatch.domain.plan import ASSIGNMENT_SOURCES, Assignment
from depotdispatch.domain.status import block_status
from depotdispatch.domain.turnaround import OVERLAP, DoubleBooking, double_bookings
from depotdispatch.domain.viability import REASON_STATUS, Viability, worst
from depotdispatch.services.board import DayContext, load_context
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class PlanChange:
    plan_version: int
    changed: bool
    assignment: Assignment | None
    viability: Viability | None = None
    warnings: list[str] = field(default_factory=list)


def warning_codes(v: Viability) -> list[str]:
    """Codes an operator has to acknowledge: everything that is not plain information."""
    return [r.code for r in v.reasons if REASON_STATUS.get(r.code) != "ok"]


def verdict_of(codes: tuple[str, ...] | list[str]) -> str:
    """The viability status a set of acknowledged codes stands for (no viability reason: ok); codes that
    are not about viability (a duplicate sheet row, say) do not count."""
    return worst([REASON_STATUS[c] for c in codes if c in REASON_STATUS])


def new_double_bookings(ctx: DayContext, after: dict[int, str], changed: set[int]) -> list[DoubleBooking]:
    """Overlapping blocks one vehicle would hold in the plan `after` (block pk -> vehicle), among the pairs
    a change touches (work that was double-booked before, e.g. by old data, does not block other changes)."""
    turn = timedelta(minutes=ctx.depot.turnaround_min)
    return [d for d in double_bookings(after, ctx.blocks, turn, only=OVERLAP)
            if d.first.pk in changed or d.second.pk in changed]


def refuse_double_bookings(found: list[DoubleBooking], hint: str = "") -> None:
    if found:
        raise PlanRuleBroken("; ".join(d.sentence() for d in found[:5]) + ". One vehicle never holds overlapping "
                             "blocks, whatever the reason given" + hint,
                             double_bookings=[{"vehicle_id": d.vehicle_id, "blocks": [d.first.block_id,
                                                                                      d.second.block_id]}
                                              for d in found])


def require_day(uow: UnitOfWork, depot_id: str, service_date: date) -> int:
    day_id = uow.days.day_id(depot_id, service_date)
    if day_id is None:
        raise NotFound(f"{service_date} is not set up at depot {depot_id!r}; run `day setup` first")
    return day_id


def check_version(uow: UnitOfWork, day_id: int, version: int | None) -> int:
    current = uow.plans.version(day_id)
    if version is None:
        raise InvalidInput("say which plan version this change was made against (plan_version / --version)",
                           current_version=current)
    if version != current:
        raise StaleVersion(f"the plan is at version {current}, this change was made against {version}; "
                           "reload the plan and try again", current_version=current)
    return current


def bump_version(uow: UnitOfWork, day_id: int, current: int) -> int:
    if not uow.plans.bump_version(day_id, current):  # a concurrent writer got there first
        raise StaleVersion(f"the plan changed while this change was being made (now version "
                           f"{uow.plans.version(day_id)}); reload and try again",
                           current_version=uow.plans.version(day_id))
    return current + 1


def _block(ctx: DayContext, service_date: date, block_id: str) -> DayBlock:
    """By id, block name or an unambiguous id prefix."""
    found = find_block([b for b in ctx.blocks if b.service_date == service_date], block_id)
    if found is None:
        raise NotFound(f"no block {block_id!r} on {service_date}")
    return found


def day_context(uow: UnitOfWork, depot: Depot, service_date: date, now: datetime) -> DayContext:
    # a vehicle's late block of yesterday can overlap this morning's: judge with both neighbours loaded
    return load_context(uow, depot, service_date - timedelta(days=1), service_date + timedelta(days=1), now)


def assign(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, vehicle_id: str, *,
           version: int | None, actor: str, now: datetime, source: str = "manual",
           override_reason: str | None = None, acknowledge: list[str] | None = None) -> PlanChange:
    """Assign (or reassign) a vehicle. Against warnings it needs a reason and the warnings acknowledged;
    it is then recorded as an override. Operators can always override."""
    if source not in ASSIGNMENT_SOURCES:
        raise InvalidInput(f"source {source!r} is not one of {', '.join(ASSIGNMENT_SOURCES)}")
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        current = check_version(uow, day_id, version)
        ctx = day_context(uow, depot, service_date, now)
        block = _block(ctx, service_date, block_id)
        block_id = block.block_id
        if vehicle_id not in ctx.judge.vehicles:
            raise NotFound(f"no vehicle {vehicle_id!r} at depot {depot_id!r}")
        state = block_status(block, now, now)
        if state.status in ("completed", "cancelled"):
            raise InvalidInput(f"block {block_id} is {state.status}; its vehicle can no longer be changed")
        before = ctx.assignments.get(block.pk or -1)
        if before is not None and before.vehicle_id == vehicle_id and override_reason is None:
            return PlanChange(current, False, before)
        others = [b for b in ctx.vehicle_blocks.get(vehicle_id, []) if b.pk != block.pk]
        viability = ctx.judge.judge(vehicle_id, block, [*others, block])
        plan_after = {pk: a.vehicle_id for pk, a in ctx.assignments.items()} | {block.pk: vehicle_id}
        refuse_double_bookings(new_double_bookings(ctx, plan_after, {block.pk}))  # type: ignore[arg-type]
        codes = warning_codes(viability) if state.actionable else []
        reason = (override_reason or "").strip() or None
        if codes:
            acknowledged = codes if acknowledge is None and reason else (acknowledge or [])
            missing = [c for c in codes if c not in acknowledged]
            if reason is None or missing:
                raise UnacknowledgedWarnings(
                    f"{vehicle_id} on {block_id}: " + "; ".join(r.message for r in viability.reasons
                                                                  if r.code in codes)
                    + ". To assign anyway, acknowledge " + ", ".join(missing or codes) + " and give a reason",
                    reasons=[r.as_dict() for r in viability.reasons], current_version=current)
        else:
            acknowledged, reason = [], None
        new = Assignment(block_id, vehicle_id, source, actor, now, reason, tuple(acknowledged), block.pk)
        # the version first: its compare-and-set makes a concurrent writer of this day wait, then lose
        version_after = bump_version(uow, day_id, current)
        uow.plans.put(day_id, block.pk, new, now)
        kind = "override" if reason else ("reassigned" if before else "assigned")
        uow.plans.add_event(Event(depot_id, kind, actor, now, service_date, block_id, vehicle_id, version_after,
                                  before=_doc(before), after=_doc(new) | {"viability": viability.status}))
        announce(uow, depot_id, service_date, "assignment", block_id=block_id, plan_version=version_after)
        uow.commit()
    return PlanChange(version_after, True, new, viability, codes)


@dataclass(frozen=True)
class Item:
    """One change in a batch: a vehicle for a block, or None to take it off."""

    block_id: str
    vehicle_id: str | None
    acknowledged: tuple[str, ...] = ()
    reason: str | None = None
    verdict: str | None = None  # viability when the change was decided: kept on the event (warning accuracy)


@dataclass
class BatchResult:
    plan_version: int
    applied: list[str] = field(default_factory=list)  # block ids changed
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"block_id", "reason"}


def apply_batch(uow: UnitOfWork, ctx: DayContext, day_id: int, service_date: date, items: list[Item], *,
                current: int, actor: str, now: datetime, source: str, kind: str) -> BatchResult:
    """Write several assignments in the caller's transaction: one version step, one event per change.
    The caller has checked the version and decided what to do about warnings."""
    result = BatchResult(current)
    by_id = {b.block_id: b for b in ctx.blocks if b.service_date == service_date}
    puts: list[tuple[int, Assignment]] = []
    removals: list[int] = []
    events: list[Event] = []
    for item in items:
        block = by_id.get(item.block_id)
        if block is None or block.pk is None:
            result.skipped.append({"block_id": item.block_id, "reason": "no such block on this day"})
            continue
        before = ctx.assignments.get(block.pk)
        if (before.vehicle_id if before else None) == item.vehicle_id:
            result.unchanged.append(item.block_id)
            continue
        if item.vehicle_id is None:
            removals.append(block.pk)
            ctx.assignments.pop(block.pk, None)
            after = None
        else:
            new = Assignment(item.block_id, item.vehicle_id, source, actor, now, item.reason, item.acknowledged,
                             block.pk)
            puts.append((block.pk, new))
            ctx.assignments[block.pk] = new
            after = _doc(new) | ({"viability": item.verdict} if item.verdict else {})
        result.applied.append(item.block_id)
        events.append(Event(ctx.depot.depot_id, kind, actor, now, service_date, item.block_id,
                            item.vehicle_id or (before.vehicle_id if before else None), current + 1,
                            before=_doc(before), after=after))
    # the rule no override relaxes, judged on the plan that would result from the whole batch
    after = {pk: a.vehicle_id for pk, a in ctx.assignments.items()}
    refuse_double_bookings(new_double_bookings(ctx, after, {pk for pk, _ in puts}))
    if result.applied:  # the version first, as in assign
        result.plan_version = bump_version(uow, day_id, current)
    # written in bulk: one statement per kind of row, not three per row
    uow.plans.remove_many(removals)
    uow.plans.put_many(day_id, puts, now)
    uow.plans.add_events(events)
    if result.applied:
        announce(uow, ctx.depot.depot_id, service_date, "assignment", blocks=len(result.applied),
                 plan_version=result.plan_version)
    return result


def unassign(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, version: int | None,
             actor: str, now: datetime) -> PlanChange:
    with uow:
        require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        current = check_version(uow, day_id, version)
        block = uow.days.block(depot_id, service_date, block_id)
        if block is None:
            raise NotFound(f"no block {block_id!r} on {service_date}")
        block_id = block.block_id
        before = uow.plans.assignments_for_dates(depot_id, [service_date]).get(block.pk)
        if before is None:
            return PlanChange(current, False, None)
        version_after = bump_version(uow, day_id, current)
        uow.plans.remove(block.pk)
        uow.plans.add_event(Event(depot_id, "unassigned", actor, now, service_date, block_id, before.vehicle_id,
                                  version_after, before=_doc(before), after=None))
        announce(uow, depot_id, service_date, "assignment", block_id=block_id, plan_version=version_after)
        uow.commit()
    return PlanChange(version_after, True, None)


def plan_version(uow: UnitOfWork, depot_id: str, service_date: date) -> int:
    with uow:
        require_depot(uow, depot_id)
        return uow.plans.version(require_day(uow, depot_id, service_date))


def _doc(a: Assignment | None) -> dict[str, object] | None:
    if a is None:
        return None
    return {"vehicle_id": a.vehicle_id, "source": a.source, "actor": a.actor,
            "assigned_at": a.assigned_at.isoformat() if a.assigned_at else None,
            "override_reason": a.override_reason, "acknowledged": list(a.acknowledged)}
