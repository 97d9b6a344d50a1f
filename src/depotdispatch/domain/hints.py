"""Free-bus hints: for each open block, the idle vehicle a dispatcher would look at first.

An EV that is ok with the most charge left at pull-in, else any vehicle that is ok (diesel), else the least
bad EV. Blocks are served in pull-out order and a vehicle shown for one block is not shown for another that
overlaps it, so the hints never double-book (the recommendation is still the plan).

What one day's hints were worked out from is kept (`Hints`): each idle EV's SoC at pull-in on each open block
and every (vehicle, block) judged. A later board passes it back with the vehicles whose inputs did not move
(`same`: its reading, its blocks, its availability, the depot's charging plan); their figures and judgements
are taken as they were (the reading's age brought up to date: `aged`), everyone else's are worked out again,
and the rule runs over them all, so the hints are those made afresh. Under telemetry most buses are read
between two boards of a minute apart, but only a few between two boards a second apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from depotdispatch.domain.assessment import Candidate, FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.turnaround import block_clash
from depotdispatch.domain.viability import SEVERITY, Viability


@dataclass
class Hints:
    """One day's hints (`best`: block_id -> candidate) and what they were worked out from: the open blocks,
    each idle EV's SoC at pull-in on them (its row of `FleetJudge.end_soc_matrix`), each judgement made. Never
    changed after it is made; blocks are told apart by identity (a block read again is another block)."""

    best: dict[str, Candidate]
    blocks: tuple[DayBlock, ...] = ()
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    judged: dict[tuple[str, int], tuple[DayBlock, Viability]] = field(default_factory=dict)


def free_bus_hints(judge: FleetJudge, blocks: Sequence[DayBlock], idle: Sequence[str],
                   earlier: Hints | None = None, same: Callable[[str], bool] | None = None,
                   aged: Callable[[Viability], Viability] = lambda v: v) -> Hints:
    """The hints for `blocks` among the `idle` vehicles; from `earlier`, what was worked out for a vehicle
    `same` says did not move (see the module docstring). `aged`: a judgement made at another moment as it is
    at `judge.now` (whenever it was made)."""
    reuse = earlier if earlier is not None and same is not None else None
    idle = [v for v in idle if judge.vehicles[v].availability == "available"]
    evs = [v for v in idle if judge.is_electric(v)]
    ev_set = set(evs)
    others = [v for v in idle if v not in ev_set]
    known: dict[str, np.ndarray] = {}
    if reuse is not None and same is not None:
        column = {id(b): k for k, b in enumerate(reuse.blocks)}
        at = [column.get(id(b)) for b in blocks]
        if None not in at:
            take = np.array(at, dtype=int)
            known = {v: reuse.rows[v][take] for v in evs if v in reuse.rows and same(v)}
    matrix = judge.end_soc_matrix(blocks, evs, known)
    # the unchanged vehicles' judgements, made by this board or earlier ones (taken whether tried now or not)
    judged = {k: e for k, e in reuse.judged.items() if same(k[0])} if reuse is not None and same is not None else {}

    def judgement(vid: str, block: DayBlock) -> Viability:
        key = (vid, id(block))
        old = judged.get(key)
        if old is not None and old[0] is block:
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

    for j in sorted(range(len(blocks)), key=lambda k: (blocks[k].pull_out, blocks[k].block_id)):
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
            for vid in others:
                if not _fits(block.vehicle_class, judge.types[judge.vehicles[vid].vehicle_type].vehicle_class) \
                        or busy(vid, block):
                    continue
                cand = Candidate(vid, judgement(vid, block))
                if cand.viability.status == "ok":
                    tried.append(cand)
                    break
        if tried:
            best = min(tried, key=lambda c: SEVERITY[c.viability.status])
            out[block.block_id] = best
            shown.setdefault(best.vehicle_id, []).append(block)
    return Hints(out, tuple(blocks), {v: matrix[i] for i, v in enumerate(evs)}, judged)


def _fits(block_class: str | None, vehicle_class: str | None) -> bool:
    return block_class is None or vehicle_class is None or block_class == vehicle_class
