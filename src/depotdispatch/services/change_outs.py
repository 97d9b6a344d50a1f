"""Accepting a change-out suggestion (DESIGN §12b) stored with its recommendation: the block is split at the
suggested time through the change-out split (services/adhoc.split_in) and both parts get their EVs (the
first part's, and the swap vehicle), in one transaction against the plan version given: all of it or none, in one
version step (the assignments join the split's: `joins_step`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.changeout import ChangeOut
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.domain.plan import BatchResult, Item
from depotdispatch.domain.status import block_status
from depotdispatch.domain.words import AssignmentSource, EventKind
from depotdispatch.services.adhoc import split_in
from depotdispatch.services.plan import day_context, open_advice, open_plan, save_batch
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class ChangeOutAccepted:
    plan_version: int
    first: DayBlock  # the block, now ending at the change-out
    second: DayBlock  # the new block of the rest of its trips
    first_vehicle: str
    swap_vehicle: str
    batch: BatchResult  # the two assignments

    def as_dict(self) -> dict[str, Any]:
        return {"plan_version": self.plan_version,
                "first": {"block_id": self.first.block_id, "vehicle_id": self.first_vehicle,
                          "pull_in": self.first.pull_in.isoformat(), "distance_km": self.first.distance_km},
                "second": {"block_id": self.second.block_id, "vehicle_id": self.swap_vehicle,
                           "pull_out": self.second.pull_out.isoformat(), "distance_km": self.second.distance_km},
                "applied": self.batch.applied}


def change_out_doc(c: ChangeOut) -> dict[str, Any]:
    """A suggestion as the recommendation shows and stores it."""
    return {"block_id": c.block_id, "at": c.at.isoformat(), "relief_stop": c.stop, "relief_point": c.relief,
            "first_vehicle": c.first_vehicle,
            "swap_vehicle": c.swap_vehicle, "first_km": c.first_km, "second_km": c.second_km,
            "explanation": c.explanation, "instead_of": c.instead_of}


def accept(uow: UnitOfWork, depot_id: str, service_date: date, recommendation_id: int, block_id: str, *,
           plan_version: int | None, actor: str, now: datetime) -> ChangeOutAccepted:
    """Split the block as recommendation `recommendation_id` suggested and assign both parts. Refused, with
    nothing written, when the version is stale (409), the block has started, been cancelled or been given a
    vehicle since, or either EV can no longer run its part."""
    with uow:
        depot, day_id, stored = open_advice(uow, depot_id, service_date, recommendation_id, plan_version)
        block = uow.days.block(depot_id, service_date, block_id)
        c = next((c for c in stored.change_outs if block is not None and c["block_id"] == block.block_id), None)
        if block is None or c is None:
            raise NotFound(f"recommendation {recommendation_id} suggests no change-out for block {block_id}")
        at = datetime.fromisoformat(c["at"])
        state = block_status(block, now, now)
        if not state.actionable:
            raise Conflict(f"block {block.block_id} is {state.status.replace('_', ' ')}: a suggested change-out "
                           "is for a block that has not started (split a running block by hand, `block split`)")
        if at <= now:
            raise Conflict(f"the suggested change-out of block {block.block_id} was at {c['at']}, which has passed: "
                           "run the recommendation again")
        plan = open_plan(uow, depot, service_date, day_id)
        held = plan.assignment(block)
        if held is not None:
            raise Conflict(f"block {block.block_id} has {held.vehicle_id} on it now, so the suggestion no longer "
                           "holds: take it off first, or run the recommendation again")
        split = split_in(uow, depot, day_id, plan, block, at, actor=actor, now=now)
        first, second = split.block, split.extra
        assert first is not None and second is not None, "a split gives two blocks"
        # both parts judged on the plan as it now stands, each EV with the rest of its day
        ctx = day_context(uow, depot, service_date, now)
        broken = []
        for part, vid in ((first, c["first_vehicle"]), (second, c["swap_vehicle"])):
            chain = [b for b in ctx.vehicle_blocks.get(vid, []) if b.block_id != part.block_id]
            v = ctx.judge.judge(vid, part, [*chain, part])
            if v.status != "ok":
                broken.append(f"{vid} on {part.block_id}: " + "; ".join(r.message for r in v.reasons))
        if broken:
            raise Conflict("the suggestion no longer holds: " + "; ".join(broken) + ". Nothing was split: run the "
                           "recommendation again")
        # the assignments join the split's version step: one step, one audit step, for the whole change-out
        after = open_plan(uow, depot, service_date, day_id, ctx, joins_step=True)
        result = after.apply([Item(first.block_id, c["first_vehicle"], verdict="ok"),
                              Item(second.block_id, c["swap_vehicle"], verdict="ok")],
                             source=AssignmentSource.RECOMMENDED, kind=EventKind.RECOMMENDATION_ACCEPTED,
                             actor=actor, now=now)
        if result.skipped or len(result.applied) != 2:
            raise InvalidInput("the change-out could not assign both parts: "
                               + "; ".join(f"{s['block_id']}: {s['reason']}" for s in result.skipped))
        save_batch(uow, day_id, after, result, now)
        uow.commit()
    return ChangeOutAccepted(result.plan_version, first, second, c["first_vehicle"], c["swap_vehicle"], result)
