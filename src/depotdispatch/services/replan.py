"""Re-plan on request (DESIGN §12b): an advisory plan that may move `recommended` and `imported`
assignments of blocks that have not started, never `manual` ones, to cover more blocks with EVs.

Nothing is written: it shows each move and what the moves gain; the dispatcher makes the moves with
`plan assign`, or all the ticked ones at once with `accept_moves` (the web page's button)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.recommend import Change, Recommender
from depotdispatch.domain.status import block_status
from depotdispatch.domain.words import AssignmentSource, EventKind
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import (
    BatchResult,
    Item,
    apply_batch,
    check_version,
    day_context,
    open_plan,
    require_day,
)
from depotdispatch.services.unit_of_work import UnitOfWork

MOVABLE = ("recommended", "imported")


@dataclass(frozen=True)
class Move:
    block_id: str
    from_vehicle: str | None  # None: the block has no vehicle now
    to_vehicle: str | None  # None: the block loses its vehicle (to cover more elsewhere)
    explanation: str


@dataclass
class ReplanResult:
    plan_version: int
    moves: list[Move] = field(default_factory=list)
    before: tuple[int, int] = (0, 0)  # (covered, EV-covered) of the blocks it could change, now
    after: tuple[int, int] = (0, 0)  # ... with the moves
    kept_manual: int = 0
    uncovered: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"plan_version": self.plan_version,
                "moves": [{"block_id": m.block_id, "from_vehicle": m.from_vehicle, "to_vehicle": m.to_vehicle,
                           "explanation": m.explanation} for m in self.moves],
                "proposals": [{"block_id": m.block_id, "vehicle_id": m.to_vehicle, "explanation": m.explanation}
                              for m in self.moves if m.to_vehicle is not None],
                "uncovered": self.uncovered,
                "gain": {"covered": self.after[0] - self.before[0], "ev_covered": self.after[1] - self.before[1]},
                "before": {"covered": self.before[0], "ev_covered": self.before[1]},
                "after": {"covered": self.after[0], "ev_covered": self.after[1]},
                "kept_manual_assignments": self.kept_manual}


def replan(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime) -> ReplanResult:
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        version = uow.plans.version(day_id)
        ctx = day_context(uow, depot, service_date, now)
    day = [b for b in ctx.blocks if b.service_date == service_date and b.cancelled_at is None
           and block_status(b, now, now).actionable]
    movable = {b.pk: ctx.assignments[b.pk] for b in day
               if b.pk in ctx.assignments and ctx.assignments[b.pk].source in MOVABLE}
    open_blocks = [b for b in day if b.pk not in ctx.assignments or b.pk in movable]
    moving = {b.block_id for b in open_blocks if b.pk in movable}
    keep = {v: [b for b in blocks if b.block_id not in moving or b.service_date != service_date]
            for v, blocks in ctx.vehicle_blocks.items()}
    current = {b.block_id: movable[b.pk].vehicle_id for b in open_blocks if b.pk in movable}
    rec = Recommender(ctx.judge, open_blocks, keep, current).solve()
    is_ev = {v: ctx.judge.types[ctx.judge.vehicles[v].vehicle_type].is_electric for v in ctx.judge.vehicles}
    why = {p.block_id: p.explanation for p in rec.proposals}
    after = {p.block_id: p.vehicle_id for p in rec.proposals}
    result = ReplanResult(version, kept_manual=sum(1 for b in day if b.pk in ctx.assignments and b.pk not in movable))
    result.before = (len(current), sum(1 for v in current.values() if is_ev.get(v)))
    result.after = (len(after), sum(1 for v in after.values() if is_ev.get(v)))
    # with nothing movable the recommender has no previous plan and reports no changes: each of its proposals
    # is then a move from no vehicle (else the gain in covered blocks would be shown with no move making it)
    changes = rec.changes if current else [Change(p.block_id, None, p.vehicle_id) for p in rec.proposals]
    for c in changes:
        result.moves.append(Move(c.block_id, c.before, c.after, why.get(c.block_id, "frees its vehicle for "
                                                                     "a block that gains more")))
    result.uncovered = [{"block_id": u.block_id, "explanation": u.explanation} for u in rec.uncovered]
    return result


def accept_moves(uow: UnitOfWork, depot_id: str, service_date: date, moves: list[tuple[str, str | None]], *,
                 plan_version: int | None, actor: str, now: datetime) -> BatchResult:
    """Make the re-plan moves the dispatcher ticked (block, vehicle or None), all in one plan version, each an
    event of kind `recommendation_accepted`. A block that is manual or started by now is skipped with the
    reason; the overlap rule is judged on the plan that results (half a swap never lands alone)."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        current = check_version(uow, day_id, plan_version)
        ctx = day_context(uow, depot, service_date, now)
        by_id = {b.block_id: b for b in ctx.blocks if b.service_date == service_date}
        wanted, skipped = [], []
        for block_id, vehicle_id in moves:
            block = by_id.get(block_id)
            held = ctx.assignments.get(block.pk) if block is not None and block.pk is not None else None
            if block is None or not block_status(block, now, now).actionable or block.cancelled_at is not None:
                skipped.append({"block_id": block_id, "reason": "the block has started, ended or been cancelled"})
            elif held is not None and held.source not in MOVABLE:
                skipped.append({"block_id": block_id, "reason": f"{held.vehicle_id} was put on it by hand"})
            else:
                wanted.append((block, vehicle_id))
        moving = {b.block_id for b, _ in wanted}  # each vehicle judged on the chain it would have after
        chains = {v: [b for b in blocks if b.block_id not in moving] for v, blocks in ctx.vehicle_blocks.items()}
        for block, vehicle_id in wanted:
            if vehicle_id is not None:
                chains.setdefault(vehicle_id, []).append(block)
        items = []
        for block, vehicle_id in wanted:
            if vehicle_id is None:
                items.append(Item(block.block_id, None))
                continue
            v = ctx.judge.judge(vehicle_id, block, chains[vehicle_id])
            if v.status != "ok":
                skipped.append({"block_id": block.block_id, "reason": "; ".join(r.message for r in v.reasons)})
                continue
            items.append(Item(block.block_id, vehicle_id, verdict=v.status))
        plan = open_plan(uow, depot, service_date, day_id, ctx)
        plan.check_version(current)
        result = apply_batch(uow, day_id, plan, items, actor=actor, now=now, source=AssignmentSource.RECOMMENDED,
                             kind=EventKind.RECOMMENDATION_ACCEPTED)
        result.skipped.extend(skipped)
        uow.commit()
    return result
