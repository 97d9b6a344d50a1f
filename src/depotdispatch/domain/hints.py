"""Free-bus hints: for each open block, the idle vehicle a dispatcher would look at first.

An EV that is ok with the most charge left at pull-in, else any vehicle that is ok (diesel), else the least
bad EV. Blocks are served in pull-out order and a vehicle shown for one block is not shown for another that
overlaps it, so the hints never double-book (the recommendation is still the plan).

With a charger list, an EV's `ok` is then checked as the recommendation checks its proposals (DESIGN §12a:
readiness and the recommendation use the depot's charging plan; domain/charging_fit.py): against the depot's
charging plan that taking the hints would give, the other hinted EVs charging too, not the bus alone on the
connectors the current plan leaves free. A hint that plan cannot charge in time shows its verdict there and
the recommendation's words for it (`Candidate.note`: "E061 could run it on a charger of its own, but the
depot's charging plan cannot charge it in time with the other buses due out"), or gives way to a non-EV
that is ok and free; per vehicle its first such block (the later ones may only fail because of it), then the
plan is made again without those, up to PLAN_ROUNDS plans (a work limit).

What one day's hints were worked out from is kept (`Hints`): each idle EV's SoC at pull-in on each open block
and every (vehicle, block) judged alone, blocks told apart by their key (service date, block id) and equal
content. A later board passes it back with the vehicles whose inputs did not move
(`same`: its reading, its blocks, its availability, the depot's charging plan); their figures and judgements
are taken as they were (the reading's age brought up to date: `aged`), everyone else's are worked out again,
and the rule runs over them all, so the hints are those made afresh. Under telemetry most buses are read
between two boards of a minute apart, but only a few between two boards a second apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from depotdispatch.domain.assessment import Candidate, FleetJudge
from depotdispatch.domain.charging_fit import not_charged_in_time
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depot_charging import DepotCharging
from depotdispatch.domain.turnaround import block_clash
from depotdispatch.domain.viability import SEVERITY, Viability

PLAN_ROUNDS = 2  # depot charging plans made to check one day's hints (each drops what the last could not charge)

BlockKey = tuple[date, str]  # (service date, block id): a block's key on a board
Chains = tuple[tuple[str, tuple[DayBlock, ...]], ...]  # each vehicle's blocks, in vehicle order


def block_key(block: DayBlock) -> BlockKey:
    return (block.service_date, block.block_id)


@dataclass
class Hints:
    """One day's hints (`best`: block_id -> candidate) and what they were worked out from: the open blocks,
    each idle EV's SoC at pull-in on them (its row of `FleetJudge.end_soc_matrix`), each judgement made alone.
    Never changed after it is made; blocks are told apart by key (`block_key`), a block read again counting as
    the same only while it is equal (its times, distance, trips... unchanged)."""

    best: dict[str, Candidate]
    blocks: tuple[DayBlock, ...] = ()
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    judged: dict[tuple[str, BlockKey], tuple[DayBlock, Viability]] = field(default_factory=dict)
    # the hinted EVs judged on the depot's charging plan of the hints, per round, with the plan's seam: kept
    # while the vehicle's inputs and that very seam (cached on its inputs) are the same
    on_plan: dict[tuple[str, BlockKey, int], tuple[DepotCharging, DayBlock, Viability]] = \
        field(default_factory=dict)
    # per round, the chains the hints' charging plan was made for and its seam (kept while the plan's inputs are)
    plans: dict[int, tuple[Chains, DepotCharging]] = field(default_factory=dict)
    # checked on the last plan made for other chains, the exact plan not made (`defer`): for the caller to make
    deferred: bool = False


def free_bus_hints(judge: FleetJudge, blocks: Sequence[DayBlock], idle: Sequence[str],
                   earlier: Hints | None = None, same: Callable[[str], bool] | None = None,
                   aged: Callable[[Viability], Viability] = lambda v: v,
                   plan: Mapping[str, Sequence[DayBlock]] | None = None, same_plan: bool = False,
                   defer: bool = False) -> Hints:
    """The hints for `blocks` among the `idle` vehicles; from `earlier`, what was worked out for a vehicle
    `same` says did not move (see the module docstring). `aged`: a judgement made at another moment as it is
    at `judge.now` (whenever it was made). `plan`: the blocks the plan gives each vehicle (the judge's), which
    the depot's charging plan of the hints is made on top of. `same_plan`: the inputs of the depot's charging plan
    (the readings at its anchor, the marks, the chargers, every vehicle's blocks and availability) are those
    `earlier` was made with, so a plan of the hints made for the same chains then is that plan now. `defer`: when
    the hinted chains changed since that plan, check them on it (the hints one change ago) instead of making the
    plan of the new chains, and say so (`Hints.deferred`): the serving process makes that plan off the request
    path and its next board is exact (services/board_cache.py)."""
    reuse = earlier if earlier is not None and same is not None else None
    idle = [v for v in idle if judge.vehicles[v].availability == "available"]
    evs = [v for v in idle if judge.is_electric(v)]
    ev_set = set(evs)
    others = [v for v in idle if v not in ev_set]
    known: dict[str, np.ndarray] = {}
    if reuse is not None and same is not None:
        column = {block_key(b): k for k, b in enumerate(reuse.blocks)}
        at = [column.get(block_key(b)) for b in blocks]
        if None not in at and all(reuse.blocks[k] == b for k, b in zip(at, blocks, strict=True) if k is not None):
            take = np.array(at, dtype=int)
            known = {v: reuse.rows[v][take] for v in evs if v in reuse.rows and same(v)}
    matrix = judge.end_soc_matrix(blocks, evs, known)
    # the unchanged vehicles' judgements, made by this board or earlier ones (taken whether tried now or not)
    judged = {k: e for k, e in reuse.judged.items() if same(k[0])} if reuse is not None and same is not None else {}

    def judgement(vid: str, block: DayBlock) -> Viability:
        key = (vid, block_key(block))
        old = judged.get(key)
        if old is not None and (old[0] is block or old[0] == block):
            return aged(old[1])
        v = judge.judge(vid, block)
        judged[key] = (block, v)
        return v

    ev_class = [judge.types[judge.vehicles[v].vehicle_type].vehicle_class for v in evs]
    order = np.argsort(-np.nan_to_num(matrix, nan=-1e9), axis=0, kind="stable") if evs else None
    out: dict[str, Candidate] = {}
    shown: dict[str, list[DayBlock]] = {}
    turn = timedelta(minutes=judge.depot.turnaround_min)

    def busy(vid: str, block: DayBlock) -> bool:  # the plan's one rule: not even a short turnaround
        return any(block_clash(b, block, turn) is not None for b in shown.get(vid, []))

    def non_ev(block: DayBlock) -> Candidate | None:
        """The first non-EV that is ok for the block and free of the blocks shown for it."""
        for vid in others:
            if not _fits(block.vehicle_class, judge.types[judge.vehicles[vid].vehicle_type].vehicle_class) \
                    or busy(vid, block):
                continue
            cand = Candidate(vid, judgement(vid, block))
            if cand.viability.status == "ok":
                return cand
        return None

    by_pull_out = sorted(range(len(blocks)), key=lambda k: (blocks[k].pull_out, blocks[k].block_id))
    for j in by_pull_out:
        block = blocks[j]
        tried: list[Candidate] = []
        if order is not None:
            for i in order[:, j]:
                if not _fits(block.vehicle_class, ev_class[i]) or busy(evs[i], block):
                    continue
                tried.append(Candidate(evs[i], judgement(evs[i], block)))
                if tried[-1].viability.status == "ok" or len(tried) == 3:
                    break
        if not tried or tried[-1].viability.status != "ok":
            cand = non_ev(block)
            if cand is not None:
                tried.append(cand)
        if tried:
            best = min(tried, key=lambda c: SEVERITY[c.viability.status])
            out[block.block_id] = best
            shown.setdefault(best.vehicle_id, []).append(block)
    on_plan = {k: e for k, e in reuse.on_plan.items() if same(k[0])} \
        if reuse is not None and same is not None else {}
    plans = dict(reuse.plans) if reuse is not None and same_plan else {}
    deferred = False
    if judge.chargers is not None:
        deferred = _on_the_charging_plan(judge, [blocks[j] for j in by_pull_out], out, shown, plan or {}, non_ev,
                                         on_plan, aged, plans, defer)
    return Hints(out, tuple(blocks), {v: matrix[i] for i, v in enumerate(evs)}, judged, on_plan, plans, deferred)


def _on_the_charging_plan(judge: FleetJudge, ordered: Sequence[DayBlock], out: dict[str, Candidate],
                          shown: dict[str, list[DayBlock]], plan: Mapping[str, Sequence[DayBlock]],
                          non_ev: Callable[[DayBlock], Candidate | None],
                          on_plan: dict[tuple[str, BlockKey, int], tuple[DepotCharging, DayBlock, Viability]],
                          aged: Callable[[Viability], Viability],
                          plans: dict[int, tuple[Chains, DepotCharging]], defer: bool = False) -> bool:
    """Check the EVs hinted `ok` against the depot's charging plan that taking every hint would give (see the
    module docstring); `out` and `shown` are changed in place, `on_plan` keeps (and gives) the judgements,
    `plans` the seams (given: the same inputs as then, so the same chains give the same plan). True when a plan
    was deferred (`defer`: the last plan of other chains used instead)."""
    deferred = False
    for round_ in range(PLAN_ROUNDS):
        hinted = [(b, c) for b in ordered if (c := out.get(b.block_id)) is not None and c.note is None
                  and c.viability.status == "ok" and judge.is_electric(c.vehicle_id)]
        if not hinted:
            return deferred
        chains = {v: list(bs) for v, bs in plan.items()}
        for b, c in hinted:
            chains.setdefault(c.vehicle_id, []).append(b)
        chains = {v: sorted(bs, key=lambda b: b.pull_out) for v, bs in chains.items()}
        signature = tuple(sorted((v, tuple(bs)) for v, bs in chains.items()))
        made = plans.get(round_)
        if defer and made is not None and made[0] != signature:
            deferred = True  # the hints one change ago, on their plan: the exact one is made off the request path
            seam = made[1]
            planned = judge.replanned(chains, seam)
        else:
            planned = judge.replanned(chains, made[1] if made is not None and made[0] == signature else None)
            seam = planned.charging
            plans[round_] = (signature, seam)

        def on(vid: str, b: DayBlock, round_: int = round_, planned: FleetJudge = planned,
               seam: DepotCharging = seam, chains: dict[str, list[DayBlock]] = chains) -> Viability:
            key = (vid, block_key(b), round_)
            old = on_plan.get(key)
            if old is not None and old[0] is seam and (old[1] is b or old[1] == b):
                return aged(old[2])
            v = planned.judge(vid, b, chains[vid])
            on_plan[key] = (seam, b, v)
            return v

        failing = [(b, c, v) for b, c in hinted if (v := on(c.vehicle_id, b)).status != "ok"]
        if not failing:
            return deferred
        last = round_ == PLAN_ROUNDS - 1
        first: dict[str, tuple[DayBlock, Candidate, Viability]] = {}
        for b, c, v in failing:
            if last:  # no plan is made again: every hint it cannot charge says so
                first[f"{c.vehicle_id}\0{b.block_id}"] = (b, c, v)
            else:
                first.setdefault(c.vehicle_id, (b, c, v))
        for b, c, v in first.values():
            shown[c.vehicle_id].remove(b)
            instead = non_ev(b)
            if instead is not None:
                out[b.block_id] = instead
                shown.setdefault(instead.vehicle_id, []).append(b)
            else:
                out[b.block_id] = Candidate(c.vehicle_id, v, note=not_charged_in_time(c.vehicle_id))
    return deferred


def _fits(block_class: str | None, vehicle_class: str | None) -> bool:
    return block_class is None or vehicle_class is None or block_class == vehicle_class
