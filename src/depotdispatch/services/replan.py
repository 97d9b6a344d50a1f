"""Re-plan on request (DESIGN §12b): moves of `recommended` and `imported` assignments of blocks that have not
started, never `manual` ones (the rule is DayPlan's), to cover more blocks, or more with EVs.

The re-plan is stored with an id and the plan version it was made against; it writes no assignment. The
dispatcher accepts all its moves or chosen ones (`accept`: CLI `plan replan --accept`, the API, the web
button) in one version-checked, all-or-nothing step, each a `recommended` assignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.blocks import block_label, other_name
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from depotdispatch.domain.moves import Move, with_gains
from depotdispatch.domain.plan import BatchResult, Item
from depotdispatch.domain.recommend import Recommender
from depotdispatch.domain.recommendation import Change
from depotdispatch.domain.status import block_status
from depotdispatch.services.cycles import no_cycle_collection
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import check_version, day_context, open_plan, require_day, save_batch
from depotdispatch.services.unit_of_work import UnitOfWork

KIND = "replan"  # how a stored re-plan is told from a stored recommendation


@dataclass
class ReplanResult:
    replan_id: int
    plan_version: int
    moves: list[Move] = field(default_factory=list)
    before: tuple[int, int] = (0, 0)  # (covered, EV-covered) of the blocks it could change, now
    after: tuple[int, int] = (0, 0)  # ... with the moves
    kept_manual: int = 0
    uncovered: list[dict[str, str]] = field(default_factory=list)
    not_ok_fixed: int = 0  # moves that take a block off a bus not ok for it now, onto another
    names: dict[str, str] = field(default_factory=dict)  # block id -> the feed's name, as RecommendResult.names

    def label(self, block_id: str) -> str:
        """A block of this re-plan as people read it (blocks.block_label)."""
        return block_label(block_id, self.names.get(block_id))

    def as_dict(self) -> dict[str, Any]:
        return {"replan_id": self.replan_id, "plan_version": self.plan_version,
                "moves": [move_doc(m) for m in self.moves],
                "proposals": [{"block_id": m.block_id, "vehicle_id": m.to_vehicle, "explanation": m.explanation}
                              for m in self.moves if m.to_vehicle is not None],
                "uncovered": self.uncovered,
                "gain": {"covered": self.after[0] - self.before[0], "ev_covered": self.after[1] - self.before[1]},
                "before": {"covered": self.before[0], "ev_covered": self.before[1]},
                "after": {"covered": self.after[0], "ev_covered": self.after[1]},
                "moved_off_not_ok": self.not_ok_fixed,
                "kept_manual_assignments": self.kept_manual}


def _not_ok_now(judge: FleetJudge, blocks: Sequence[DayBlock], current: Mapping[str, str],
                chains: Mapping[str, Sequence[DayBlock]]) -> dict[str, str]:
    """Block id -> why the bus the plan has on it now is not ok for it (its verdict and deciding reason)."""
    out = {}
    for b in blocks:
        vid = current.get(b.block_id)
        if vid is None:
            continue
        v = judge.judge(vid, b, list(chains.get(vid, ())))
        if v.status != "ok":
            why = v.deciding.message if v.deciding is not None else ""
            out[b.block_id] = f"{v.status.replace('_', ' ')} on it" + (f": {why}" if why else "")
    return out


def _anchor(uow: UnitOfWork, day_id: int, current: Mapping[str, str], open_blocks: Sequence[DayBlock]
            ) -> dict[str, str]:
    """What the re-plan keeps to where it can: the buses the plan has on the movable blocks now, and for a block
    with no bus the last re-plan's move onto it, else the last recommendation's proposal. Without that, the
    blocks with no bus were planned afresh at each re-plan, and a night where nothing changed got a different
    re-plan every few minutes (the Big Blue Bus replay: 60 of ~280 moves differed from 23:35 to 23:40, as the
    charging plan's 5-minute step moved)."""
    open_ids = {b.block_id for b in open_blocks}
    anchor: dict[str, str] = {}
    last = uow.plans.recommendation(day_id)
    for p in last.proposals if last else ():
        anchor[p["block_id"]] = p["vehicle_id"]
    last_replan = uow.plans.recommendation(day_id, kind=KIND)
    for m in last_replan.moves if last_replan else ():
        if m.get("to_vehicle"):
            anchor[m["block_id"]] = m["to_vehicle"]
    anchor = {b: v for b, v in anchor.items() if b in open_ids}
    anchor.update(current)
    return anchor


def move_doc(m: Move) -> dict[str, Any]:
    return {"block_id": m.block_id, "from_vehicle": m.from_vehicle, "to_vehicle": m.to_vehicle,
            "explanation": m.explanation, "gain": m.gain, "gains": {"covered": m.covered, "ev_covered": m.ev_covered}}


def replan(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime, *,
           actor: str = "local-admin") -> ReplanResult:
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        ctx = day_context(uow, depot, service_date, now)
        plan = open_plan(uow, depot, service_date, day_id, ctx)
        day = [b for b in plan.day_blocks() if b.cancelled_at is None and block_status(b, now, now).actionable]
        movable = {b.pk: a for b in day if (a := plan.assignment(b)) is not None
                   and plan.why_not_movable(b, block_status(b, now, now)) is None}
        open_blocks = [b for b in day if plan.assignment(b) is None or b.pk in movable]
        moving = {b.block_id for b in open_blocks if b.pk in movable}
        keep = {v: [b for b in blocks if b.block_id not in moving or b.service_date != service_date]
                for v, blocks in ctx.vehicle_blocks.items()}
        current = {b.block_id: movable[b.pk].vehicle_id for b in open_blocks if b.pk in movable}
        recommender = Recommender(ctx.judge, open_blocks, keep, _anchor(uow, day_id, current, open_blocks))
        with no_cycle_collection():  # its passes would find nothing: services/cycles.py
            rec = recommender.solve()
        judge = ctx.judge
        is_ev = {v: judge.types[judge.vehicles[v].vehicle_type].is_electric for v in judge.vehicles}
        only_non_ev = {b.block_id for bi, b in enumerate(recommender.blocks)
                       if not recommender.recoverable[bi] and b.distance_km is not None}
        why = {p.block_id: p.explanation for p in rec.proposals}
        after = {p.block_id: p.vehicle_id for p in rec.proposals}
        # a move is a block whose bus differs from the one the plan has on it now (none for a block with no bus),
        # whatever the re-solve was anchored on
        changes = [Change(b.block_id, current.get(b.block_id), after.get(b.block_id)) for b in recommender.blocks
                   if after.get(b.block_id) != current.get(b.block_id)]
        not_ok = _not_ok_now(judge, [b for b in open_blocks if b.pk in movable], current, ctx.vehicle_blocks)
        names = {b.block_id: n for b in day if (n := other_name(b.block_id, b.block_name))}
        moves = with_gains([Move(c.block_id, c.before, c.after, why.get(c.block_id, "")) for c in changes],
                           is_ev, only_non_ev, not_ok, names)
        moves = _kept_ok(moves, judge, keep, rec.proposals, {b.block_id: b for b in open_blocks})
        uncovered = [{"block_id": u.block_id, "explanation": u.explanation} for u in rec.uncovered]
        replan_id = uow.plans.save_recommendation(day_id, plan.version, now, actor, [], uncovered,
                                                  moves=[move_doc(m) for m in moves], kind=KIND)
        uow.commit()
    result = ReplanResult(replan_id, plan.version, moves, uncovered=uncovered, names=names,
                          kept_manual=sum(1 for b in day if plan.assignment(b) is not None and b.pk not in movable))
    result.not_ok_fixed = sum(1 for m in moves if m.block_id in not_ok and m.to_vehicle is not None)
    result.before = (len(current), sum(1 for v in current.values() if is_ev.get(v)))
    result.after = (len(after), sum(1 for v in after.values() if is_ev.get(v)))
    return result


def accept(uow: UnitOfWork, depot_id: str, service_date: date, replan_id: int, *, plan_version: int | None,
           actor: str, now: datetime, block_ids: list[str] | None = None) -> BatchResult:
    """Make all the moves of a stored re-plan, or those of `block_ids`, in one plan version, each an event of
    kind `recommendation_accepted`, or none: a block the re-plan proposed no move for, a plan changed since
    the re-plan, a block started or put on by hand by now, or a vehicle that can no longer run its block
    refuses them all, with why."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        current = check_version(uow, day_id, plan_version)
        stored = uow.plans.recommendation(day_id, replan_id, kind=KIND)
        if stored is None:
            raise NotFound(f"no re-plan {replan_id} for {service_date}")
        if stored.plan_version != current:
            raise StaleVersion(f"re-plan {replan_id} was made against plan version {stored.plan_version}; the plan "
                               f"is at version {current} now: re-plan again", current_version=current)
        proposed = {m["block_id"]: m for m in stored.moves}
        chosen = list(stored.moves) if block_ids is None else [proposed[b] for b in dict.fromkeys(block_ids)
                                                                if b in proposed]
        never = sorted(set(block_ids or ()) - set(proposed))
        if never:
            raise InvalidInput(f"re-plan {replan_id} proposed no move for block {', '.join(never)}: only the moves it "
                               "proposed can be accepted (assign by hand with `plan assign`)", blocks=never)
        if not chosen:
            raise InvalidInput(f"choose at least one move of re-plan {replan_id}" if stored.moves
                               else f"re-plan {replan_id} proposed no move")
        ctx = day_context(uow, depot, service_date, now)
        plan = open_plan(uow, depot, service_date, day_id, ctx)
        by_id = {b.block_id: b for b in plan.day_blocks()}
        moving = {m["block_id"] for m in chosen}  # each vehicle judged on the chain it would have after
        chains = {v: [b for b in blocks if b.block_id not in moving] for v, blocks in ctx.vehicle_blocks.items()}
        for m in chosen:
            if m["to_vehicle"] is not None and m["block_id"] in by_id:
                chains.setdefault(m["to_vehicle"], []).append(by_id[m["block_id"]])
        items, broken = [], []
        for m in chosen:
            block = by_id.get(m["block_id"])
            if block is None or m["to_vehicle"] is None:
                items.append(Item(m["block_id"], None))
                continue
            v = ctx.judge.judge(m["to_vehicle"], block, chains[m["to_vehicle"]])
            if v.status != "ok" and block_status(block, now, now).actionable:
                broken.append(f"{m['to_vehicle']} on {block.block_id}: " + "; ".join(r.message for r in v.reasons))
            items.append(Item(block.block_id, m["to_vehicle"], verdict=v.status))
        if broken:
            raise Conflict("the re-plan no longer holds: " + "; ".join(broken) + ". Nothing was moved: re-plan again",
                           current_version=current)
        stranded = _stranded(ctx.judge, ctx.vehicle_blocks, chains, chosen, proposed, service_date, now)
        if stranded:
            left = sorted({b for b, _ in stranded})
            raise Conflict("these moves without the re-plan's moves of " + ", ".join(left) + " leave "
                           + "; ".join(why for _, why in stranded) + ". Accept those too ("
                           + " ".join(f"--block {b}" for b in left) + ") or all the moves. Nothing was moved",
                           current_version=current)
        states = {b.block_id: block_status(b, now, now) for b in plan.day_blocks()}
        result = save_batch(uow, day_id, plan, plan.move(items, states, actor=actor, now=now), now)
        uow.commit()
    return result


def _stranded(judge: FleetJudge, before: Mapping[str, Sequence[DayBlock]], after: Mapping[str, Sequence[DayBlock]],
              chosen: Sequence[Mapping[str, Any]], proposed: Mapping[str, Mapping[str, Any]], service_date: date,
              now: datetime) -> list[tuple[str, str]]:
    """The blocks that chosen moves leave not ok on a bus they change, where the re-plan moves them too (a move not
    chosen): (block, why). A bus that loses its first block of the day no longer charges after it, so its later
    block may fail (Big Blue Bus replay: E004 taken off its 07:28 block, the accept said "4 moves made" and its
    13:33 and 16:25 blocks, ok before, were marginal and not viable on the board)."""
    moving = {m["block_id"] for m in chosen}
    touched = sorted({v for m in chosen for v in (m["from_vehicle"], m["to_vehicle"]) if v is not None})
    out = []
    for v in touched:
        for b in after.get(v, ()):
            if (b.block_id in moving or b.block_id not in proposed or b.service_date != service_date
                    or not block_status(b, now, now).actionable):
                continue
            was, will = judge.judge(v, b, list(before.get(v, ()))), judge.judge(v, b, list(after[v]))
            if was.status == "ok" and will.status != "ok":
                out.append((b.block_id, f"{v} on {b.block_id} {will.status.replace('_', ' ')}: "
                            + "; ".join(r.message for r in will.reasons)))
    return out


NO_GAIN = ": no gain by itself"


def _kept_ok(moves: list[Move], judge: FleetJudge, keep: Mapping[str, Sequence[DayBlock]],
             proposals: Sequence[Any], blocks: Mapping[str, DayBlock]) -> list[Move]:
    """A move that changes no count is often what keeps its block ok: the bus it leaves is short on it now, or
    would be once its other blocks move (Big Blue Bus replay: E004 read 40 % and the re-plan moved its 07:28
    block and, "no gain by itself", its 13:33 and 16:25 ones, on which E004 would no longer charge in time).
    Such a move says so, with the bus's verdict on the plan the re-plan makes."""
    after: dict[str, list[DayBlock]] = {v: list(bs) for v, bs in keep.items()}
    for p in proposals:
        if p.block_id in blocks:
            after.setdefault(p.vehicle_id, []).append(blocks[p.block_id])
    out = []
    for m in moves:
        block = blocks.get(m.block_id)
        if m.gain.endswith(NO_GAIN) and m.from_vehicle is not None and m.to_vehicle is not None and block:
            stay = judge.judge(m.from_vehicle, block, [*after.get(m.from_vehicle, ()), block])
            if stay.status != "ok":
                first = stay.reasons[0].message if stay.reasons else stay.status
                gain = (m.gain[: -len(NO_GAIN)] + f": keeps it ok ({m.from_vehicle} would be "
                        f"{stay.status.replace('_', ' ')} on it: {first})")
                m = replace(m, gain=gain, explanation=gain if m.explanation == m.gain else m.explanation)
        out.append(m)
    return out
