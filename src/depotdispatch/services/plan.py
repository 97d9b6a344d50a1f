"""The plan: the only writer of assignments. Every write names the version it was made against.

The rules live on the aggregate (domain.plan.DayPlan); this module loads a day's plan, calls it, and
saves what it decided with `save_plan`, the one function that writes assignments and steps the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from depotdispatch.domain import plan as plan_rules
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import NotFound, StaleVersion
from depotdispatch.domain.plan import (
    Assignment,
    BatchResult,
    DayPlan,
    Item,
    StoredRecommendation,
    assignment_doc,
    refuse_double_bookings,
    verdict_of,
    warning_codes,
)
from depotdispatch.domain.status import block_status
from depotdispatch.domain.viability import Reason, Viability
from depotdispatch.services.board import DayContext, load_context
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork

# re-exported: the edges name these through the plan service
__all__ = ["BatchResult", "Item", "PlanChange", "assign", "assign_in", "assignment_doc", "day_context", "open_plan",
           "override_warnings", "plan_version", "refuse_double_bookings", "require_day", "save_plan", "unassign",
           "verdict_of", "warning_codes"]


@dataclass
class PlanChange:
    plan_version: int
    changed: bool
    assignment: Assignment | None
    viability: Viability | None = None
    warnings: list[str] = field(default_factory=list)


def require_day(uow: UnitOfWork, depot_id: str, service_date: date) -> int:
    day_id = uow.days.day_id(depot_id, service_date)
    if day_id is None:
        raise NotFound(f"{service_date} is not set up at depot {depot_id!r}; run `day setup` first")
    return day_id


def check_version(uow: UnitOfWork, day_id: int, version: int | None) -> int:
    """The day's current version, when `version` is it (before anything is loaded: a stale change fails fast)."""
    current = uow.plans.version(day_id)
    plan_rules.check_version(current, version)
    return current


def open_advice(uow: UnitOfWork, depot_id: str, service_date: date, recommendation_id: int,
                plan_version: int | None, kind: str = "recommendation") -> tuple[Depot, int, StoredRecommendation]:
    """The depot, the day and stored advice (a recommendation or a re-plan) to accept, the version checked first."""
    depot = require_depot(uow, depot_id)
    day_id = require_day(uow, depot_id, service_date)
    check_version(uow, day_id, plan_version)
    stored = uow.plans.recommendation(day_id, recommendation_id, kind=kind)
    if stored is None:
        raise NotFound(f"no {kind.replace('_', '-')} {recommendation_id} for {service_date}")
    return depot, day_id, stored


def day_context(uow: UnitOfWork, depot: Depot, service_date: date, now: datetime) -> DayContext:
    # a vehicle's late block of yesterday can overlap this morning's: judge with both neighbours loaded
    return load_context(uow, depot, service_date - timedelta(days=1), service_date + timedelta(days=1), now)


def open_plan(uow: UnitOfWork, depot: Depot, service_date: date, day_id: int,
              ctx: DayContext | None = None, *, joins_step: bool = False) -> DayPlan:
    """The day's plan with its neighbours' blocks and assignments (from `ctx` when one is loaded);
    `joins_step`: its changes join the version step this transaction already took (DayPlan)."""
    if ctx is None:
        first, last = service_date - timedelta(days=1), service_date + timedelta(days=1)
        blocks = uow.days.blocks_for_dates(depot.depot_id, first, last)
        assignments = uow.plans.assignments_for_dates(depot.depot_id, [first, service_date, last])
    else:
        blocks, assignments = ctx.blocks, ctx.assignments
    return DayPlan(depot.depot_id, service_date, uow.plans.version(day_id), assignments, blocks,
                   timedelta(minutes=depot.turnaround_min), joins_step=joins_step)


def save_plan(uow: UnitOfWork, day_id: int, plan: DayPlan, now: datetime) -> int:
    """Write what the plan decided, in one version step; the only writer of assignments."""
    if not plan.changed:
        return plan.version
    # the version first: its compare-and-set makes a concurrent writer of this day wait, then lose (a plan
    # that joins a step this transaction took holds that lock already)
    if not plan.joins_step and not uow.plans.bump_version(day_id, plan.version):
        now_at = uow.plans.version(day_id)
        raise StaleVersion(f"the plan changed while this change was being made (now version {now_at}); "
                           "reload and try again", current_version=now_at)
    # written in bulk: one statement per kind of row, not three per row
    uow.plans.remove_many(sorted(plan.removals))
    uow.plans.put_many(day_id, list(plan.puts.items()), now)
    uow.plans.add_events(plan.events)
    return plan.version_after


def _judged(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, vehicle_id: str,
            now: datetime, *, version_check: bool = False, plan_version: int | None = None,
            joins_step: bool = False) -> tuple[int, DayPlan, DayBlock, Viability]:
    """Inside the caller's `with uow`: the day's plan (at `plan_version`, when checked), the block and the
    vehicle's judgement for it."""
    depot = require_depot(uow, depot_id)
    day_id = require_day(uow, depot_id, service_date)
    if version_check:
        check_version(uow, day_id, plan_version)
    ctx = day_context(uow, depot, service_date, now)
    plan = open_plan(uow, depot, service_date, day_id, ctx, joins_step=joins_step)
    block = plan.block(block_id)
    if vehicle_id not in ctx.judge.vehicles:
        raise NotFound(f"no vehicle {vehicle_id!r} at depot {depot_id!r}")
    others = [b for b in ctx.vehicle_blocks.get(vehicle_id, []) if b.pk != block.pk]
    return day_id, plan, block, ctx.judge.judge(vehicle_id, block, [*others, block])


def override_warnings(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, vehicle_id: str, *,
                      now: datetime) -> list[Reason]:
    """What assigning the vehicle now would ask to acknowledge (DayPlan.override_warnings), judged as
    `assign` judges: a front end shows these and then names the ones the operator accepts."""
    with uow:
        _, plan, block, viability = _judged(uow, depot_id, service_date, block_id, vehicle_id, now)
        return plan.override_warnings(block, vehicle_id, viability, block_status(block, now, now))


def assign(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, vehicle_id: str, *,
           plan_version: int | None, actor: str, now: datetime, source: str = "manual",
           override_reason: str | None = None, acknowledge: Sequence[str] | None = None) -> PlanChange:
    """Assign (or reassign) a vehicle; the rules are DayPlan.assign's. `acknowledge`: the warning codes
    the operator accepts, each named (None: none)."""
    with uow:
        change = assign_in(uow, depot_id, service_date, block_id, vehicle_id, plan_version=plan_version,
                           actor=actor, now=now, source=source, override_reason=override_reason,
                           acknowledge=acknowledge)
        if change.changed:
            uow.commit()
    return change


def assign_in(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, vehicle_id: str, *,
              plan_version: int | None, actor: str, now: datetime, source: str = "manual",
              override_reason: str | None = None, acknowledge: Sequence[str] | None = None,
              joins_step: bool = False) -> PlanChange:
    """`assign` in the caller's transaction; the caller commits. `joins_step`: in the version step the
    caller's change took already (a change-out split gives its new block the swap bus in its own step)."""
    day_id, plan, block, viability = _judged(uow, depot_id, service_date, block_id, vehicle_id, now,
                                             version_check=True, plan_version=plan_version, joins_step=joins_step)
    new = plan.assign(block, vehicle_id, viability, block_status(block, now, now), actor=actor, now=now,
                      source=source, override_reason=override_reason, acknowledge=acknowledge or ())
    if new is None:
        return PlanChange(plan.version, False, plan.assignment(block))
    version_after = save_plan(uow, day_id, plan, now)
    announce(uow, depot_id, service_date, "assignment", block_id=block.block_id, plan_version=version_after)
    codes = warning_codes(viability) if new.override_reason else []
    return PlanChange(version_after, True, new, viability, codes)


def apply_batch(uow: UnitOfWork, day_id: int, plan: DayPlan, items: list[Item], *, actor: str, now: datetime,
                source: str, kind: str) -> BatchResult:
    """Several assignments in the caller's transaction: one version step, one event per change (the plan
    rules are DayPlan.apply's). The caller has checked the version and decided what to do about warnings."""
    return save_batch(uow, day_id, plan, plan.apply(items, source=source, kind=kind, actor=actor, now=now), now)


def save_batch(uow: UnitOfWork, day_id: int, plan: DayPlan, result: BatchResult, now: datetime) -> BatchResult:
    result.plan_version = save_plan(uow, day_id, plan, now)
    if result.applied:
        announce(uow, plan.depot_id, plan.service_date, "assignment", blocks=len(result.applied),
                 plan_version=result.plan_version)
    return result


def accept_proposals(uow: UnitOfWork, ctx: DayContext, day_id: int, service_date: date,
                     proposals: Sequence[dict[str, str]], *, plan_version: int | None, actor: str,
                     now: datetime) -> BatchResult:
    """Recommended assignments, each judged again now with the chains the earlier ones give (DayPlan.accept)."""
    plan = open_plan(uow, ctx.depot, service_date, day_id, ctx)
    plan.check_version(plan_version)
    by_id = {b.block_id: b for b in plan.day_blocks()}
    chains = {v: list(bs) for v, bs in ctx.vehicle_blocks.items()}
    judged: list[tuple[dict[str, str], Viability | None]] = []
    for p in proposals:
        block = by_id.get(p["block_id"])
        if block is None or plan.assignment(block) is not None:
            judged.append((p, None))
            continue
        v = ctx.judge.judge(p["vehicle_id"], block, [*chains.get(p["vehicle_id"], []), block])
        judged.append((p, v))
        if v.status == "ok":
            chains.setdefault(p["vehicle_id"], []).append(block)
    return save_batch(uow, day_id, plan, plan.accept(judged, actor=actor, now=now), now)


def unassign(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *, plan_version: int | None,
             actor: str, now: datetime) -> PlanChange:
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        check_version(uow, day_id, plan_version)
        plan = open_plan(uow, depot, service_date, day_id)
        block = _block(uow, depot_id, service_date, block_id)
        if plan.unassign(block, actor=actor, now=now) is None:
            return PlanChange(plan.version, False, None)
        version_after = save_plan(uow, day_id, plan, now)
        announce(uow, depot_id, service_date, "assignment", block_id=block.block_id, plan_version=version_after)
        uow.commit()
    return PlanChange(version_after, True, None)


def unassign_vehicle(uow: UnitOfWork, depot: Depot, day: date, blocks: Sequence[DayBlock], *, actor: str,
                     now: datetime, why: str) -> None:
    """Take a vehicle off some of a day's blocks, in the caller's transaction (it became unavailable)."""
    day_id = require_day(uow, depot.depot_id, day)
    plan = open_plan(uow, depot, day, day_id)
    for b in sorted(blocks, key=lambda b: b.pull_out):
        plan.unassign(b, actor=actor, now=now, why=why)
    save_plan(uow, day_id, plan, now)


def _block(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str) -> DayBlock:
    block = uow.days.block(depot_id, service_date, block_id)
    if block is None:
        raise NotFound(f"no block {block_id!r} on {service_date}")
    return block


def plan_version(uow: UnitOfWork, depot_id: str, service_date: date) -> int:
    with uow:
        require_depot(uow, depot_id)
        return uow.plans.version(require_day(uow, depot_id, service_date))
