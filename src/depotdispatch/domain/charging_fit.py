"""The recommendation against the depot's charging plan (DESIGN §12a, §12b).

The depot's charging plan depends on the assignments being decided, so the recommendation works in two
steps. While it builds chains, each vehicle charges between its blocks on what the charging plan of the
*current* assignments leaves free (allowances and minimum dwell included; `FleetJudge.charging`): the
chain model, in which proposals do not yet compete for connectors. Then this post-check plans the
depot's charging for the current assignments *plus* the proposals and judges every proposal again
with the full rule; a proposal the plan cannot charge in time is dropped (per vehicle the first that
fails: the later ones may only have failed because of it), and the check repeats on what is left,
until every proposal is `ok` under the plan that accepting them would give. Each dropped block then
gets one repair try: the vehicles free at its time, EVs first, each judged with the depot's charging
planned for that repair (a non-EV needs no charger). Work limits, never wall-clock ones.

Accepting what survives gives exactly the plan this check judged, so the board shows those blocks `ok`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.turnaround import block_clash
from depotdispatch.domain.viability import Viability

MAX_ROUNDS = 6
MAX_REPAIR_PLANS = 24  # charging plans made for repair tries, in all


@dataclass
class Fit:
    judge: FleetJudge  # planned for the current assignments plus the kept proposals
    kept: dict[str, tuple[str, Viability]] = field(default_factory=dict)  # block_id -> vehicle, verdict
    dropped: dict[str, str] = field(default_factory=dict)  # block_id -> why (a sentence)
    repaired: dict[str, str] = field(default_factory=dict)  # block_id -> vehicle that took it instead


def _chains(fixed: Mapping[str, Sequence[DayBlock]], chosen: Mapping[str, tuple[str, DayBlock]]
            ) -> dict[str, list[DayBlock]]:
    out = {v: list(bs) for v, bs in fixed.items()}
    for vid, b in chosen.values():
        out.setdefault(vid, []).append(b)
    return {v: sorted(bs, key=lambda b: b.pull_out) for v, bs in out.items()}


def _failures(judge: FleetJudge, chosen: Mapping[str, tuple[str, DayBlock]],
              chains: Mapping[str, list[DayBlock]]) -> dict[str, Viability]:
    out = {}
    for bid, (vid, b) in chosen.items():
        v = judge.judge(vid, b, chains[vid])
        if v.status != "ok":
            out[bid] = v
    return out


def fit_to_charging(judge: FleetJudge, fixed: Mapping[str, Sequence[DayBlock]],
                    chosen: Mapping[str, tuple[str, DayBlock]], vehicle_ids: Sequence[str]) -> Fit | None:
    """`chosen`: block_id -> (vehicle, block) proposed on top of `fixed` (what operators assigned).
    None when there is nothing to check: without a charger list every vehicle has a connector of its own,
    so the chain model already is the plan."""
    if judge.chargers is None:
        return None
    current = dict(chosen)
    dropped: dict[str, str] = {}
    planned = judge
    for _ in range(MAX_ROUNDS):
        chains = _chains(fixed, current)
        planned = judge.replanned(chains)
        failing = _failures(planned, current, chains)
        if not failing:
            break
        first: dict[str, str] = {}  # per vehicle, its first failing block
        for bid in sorted(failing, key=lambda b: (current[b][1].pull_out, b)):
            first.setdefault(current[bid][0], bid)
        for vid, bid in sorted(first.items()):
            dropped[bid] = _why(vid, failing[bid])
            del current[bid]
    else:  # out of rounds: drop whatever still fails
        chains = _chains(fixed, current)
        planned = judge.replanned(chains)
        for bid, v in _failures(planned, current, chains).items():
            dropped[bid] = _why(current[bid][0], v)
            del current[bid]
        planned = judge.replanned(_chains(fixed, current))
    fit = Fit(planned, dropped=dropped)
    _repair(fit, judge, fixed, current, dict(chosen), vehicle_ids)
    chains = _chains(fixed, current)
    fit.kept = {bid: (vid, fit.judge.judge(vid, b, chains[vid])) for bid, (vid, b) in current.items()}
    return fit


def _why(vid: str, v: Viability) -> str:
    first = v.reasons[0].message if v.reasons else v.status
    return f"{not_charged_in_time(vid)} ({first})"


def not_charged_in_time(vid: str) -> str:
    """The words for a bus that is ok for a block on its own but not once the depot's charging plan charges
    the other buses due out too: the recommendation's, and the board's free-bus hint's (domain/hints.py)."""
    return (f"{vid} could run it on a charger of its own, but the depot's charging plan cannot charge it in "
            "time with the other buses due out")


def _repair(fit: Fit, judge: FleetJudge, fixed: Mapping[str, Sequence[DayBlock]],
            current: dict[str, tuple[str, DayBlock]], proposed: Mapping[str, tuple[str, DayBlock]],
            vehicle_ids: Sequence[str]) -> None:
    plans = 0
    turn = timedelta(minutes=judge.depot.turnaround_min)
    for bid in sorted(fit.dropped, key=lambda b: proposed[b][1].pull_out):
        block, was = proposed[bid][1], proposed[bid][0]
        chains = _chains(fixed, current)
        free = [v for v in vehicle_ids if v != was and judge.vehicles[v].availability == "available"
                and not any(block_clash(b, block, turn) for b in chains.get(v, []))]
        free.sort(key=lambda v: (not judge.types[judge.vehicles[v].vehicle_type].is_electric, v))
        for vid in free:
            ev = judge.types[judge.vehicles[vid].vehicle_type].is_electric
            if ev and plans >= MAX_REPAIR_PLANS:
                continue
            trial = {**current, bid: (vid, block)}
            trial_chains = _chains(fixed, trial)
            # quick: with the plan as it is (a non-EV changes nothing; an EV must at least pass this)
            if fit.judge.judge(vid, block, trial_chains[vid]).status != "ok":
                continue
            planned = fit.judge
            if ev:
                plans += 1
                planned = judge.replanned(trial_chains)
                if _failures(planned, trial, trial_chains):
                    continue
            current[bid] = (vid, block)
            fit.judge = planned
            fit.repaired[bid] = vid
            del fit.dropped[bid]
            break


def _with(chains: Mapping[str, list[DayBlock]], vid: str, b: DayBlock) -> list[DayBlock]:
    return sorted([*chains.get(vid, []), b], key=lambda x: x.pull_out)


MAX_GREEDY_WORK = 6_000  # blocks x EVs of a day `greedy_on_charging` runs on; its charging plans are 2x that / EVs


def greedy_on_charging(judge: FleetJudge, fixed: Mapping[str, Sequence[DayBlock]], blocks: Sequence[DayBlock],
                       vehicle_ids: Sequence[str], prefer: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The plain earliest-start greedy of DESIGN §12b where buses share the depot's connectors: in departure
    order, the free EV with the lowest SoC at pull-out that is `ok` with every proposal so far still `ok`,
    under the depot charging plan of what it gave out plus that block; else the first free non-EV that is
    `ok`. Its plan holds as it is, so it is the floor the recommendation must not go below once the charging
    check has had its say (the chain model's greedy need not hold on these chargers).

    The free EVs are ranked by the SoC the plan so far projects for them at the block's pull-out, and a
    charging plan is made for each in that order until one holds: about one plan per EV block, so the floor
    runs on a real depot's day (U-M's 83 blocks x 30 EVs). A work limit, never a clock: None past
    MAX_GREEDY_WORK blocks x EVs, or after 2 x that / EVs charging plans; None too without a charger list
    (the chain model is the plan). block_id -> vehicle. `prefer`: block_id -> vehicle tried first for that
    block (last time's proposals, for a re-solve that must reach the floor with few changes)."""
    evs = {v for v in vehicle_ids if judge.is_electric(v)}
    if judge.chargers is None or len(blocks) * len(evs) > MAX_GREEDY_WORK:
        return None
    budget = 2 * MAX_GREEDY_WORK // max(1, len(evs))
    turn = timedelta(minutes=judge.depot.turnaround_min)
    current: dict[str, tuple[str, DayBlock]] = {}
    planned = judge.replanned(_chains(fixed, current))
    for b in sorted(blocks, key=lambda b: (b.pull_out, b.block_id)):
        chains = _chains(fixed, current)
        free = [v for v in vehicle_ids if not any(block_clash(x, b, turn) for x in chains.get(v, []))]
        first = (prefer or {}).get(b.block_id)
        if first in free and first not in evs and planned.judge(first, b, _with(chains, first, b)).status == "ok":
            current[b.block_id] = (first, b)
            continue
        ranked = []
        for vid in (v for v in free if v in evs):
            # not ok on what the chargers leave free before the greedy's proposals take any: not ok with them
            if judge.judge(vid, b, _with(chains, vid, b)).status != "ok":
                continue
            soc = planned.judge(vid, b, _with(chains, vid, b)).readiness
            ranked.append((vid != first, soc.soc_pct if soc is not None and soc.soc_pct is not None else 0.0, vid))
        taken = False
        for _, _, vid in sorted(ranked):
            if budget <= 0:
                return None
            budget -= 1
            trial = {**current, b.block_id: (vid, b)}
            trial_chains = _chains(fixed, trial)
            that = judge.replanned(trial_chains)
            if not _failures(that, trial, trial_chains):
                current[b.block_id], planned, taken = (vid, b), that, True
                break
        if taken:
            continue
        for vid in (v for v in free if v not in evs):
            if planned.judge(vid, b, _with(chains, vid, b)).status == "ok":
                current[b.block_id] = (vid, b)
                break
    return {bid: vid for bid, (vid, _) in current.items()}
