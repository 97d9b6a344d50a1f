"""An exact plan for small days: a MILP (scipy's `milp`, which is HiGHS) over the same rules.

It maximises blocks covered, then blocks covered by EVs, then last time's proposals kept. Energy is
modelled without charging between blocks, which only makes it stricter than the viability rule (a
plan it finds is viable; with chargers the heuristics may still find more). Vehicle overlaps are
clique constraints at every block start. Used only when the day is small enough to solve in about a
second; the recommendation compares it with its other constructions and checks every pair with the
full rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock

MAX_BLOCKS = 80
MAX_VARIABLES = 800  # beyond this HiGHS rarely proves an optimum in the time limit
W_COVER, W_EV, W_KEEP = 1_000_000.0, 10_000.0, 100.0


def _overlap(a: DayBlock, b: DayBlock, turn: timedelta) -> bool:
    return a.start_at < b.end_at + turn and b.start_at < a.end_at + turn


def solve_exact(judge: FleetJudge, blocks: Sequence[DayBlock], vehicle_ids: Sequence[str],
                fixed: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str],
                time_limit: float = 2.0) -> dict[int, str] | None:
    """block index -> vehicle (optimal, or the best found within the time limit), or None when the day is
    too big or nothing was found."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    if not blocks or len(blocks) > MAX_BLOCKS:
        return None
    turn = timedelta(minutes=judge.depot.turnaround_min)
    cols: list[tuple[str, int]] = []
    cost: list[float] = []
    for vid in vehicle_ids:
        vehicle = judge.vehicles[vid]
        vtype = judge.types[vehicle.vehicle_type]
        mine = [f for f in fixed.get(vid, []) if f.cancelled_at is None]
        if any(judge.judge(vid, f, mine).status != "ok" for f in mine if f.start_at > judge.now):
            continue  # its own plan already has warnings: the operator decided, leave it alone
        for b, block in enumerate(blocks):
            if block.vehicle_class and vtype.vehicle_class and block.vehicle_class != vtype.vehicle_class:
                continue
            if any(_overlap(block, f, turn) for f in mine):
                continue
            if vtype.is_electric and judge.judge(vid, block, [*mine, block]).status != "ok":
                continue  # not even alone (or stale, missing, unknown distance)
            cols.append((vid, b))
            cost.append(-(W_COVER + (W_EV if vtype.is_electric else 0.0)
                          + (W_KEEP if previous.get(block.block_id) == vid else 0.0)))
    if not cols or len(cols) > MAX_VARIABLES:
        return None if cols else {}
    index = {c: i for i, c in enumerate(cols)}
    upper = np.ones(len(cols))
    rows: list[int] = []
    data: list[float] = []
    colidx: list[int] = []
    lo: list[float] = []
    hi: list[float] = []

    def add_row(entries: list[tuple[int, float]], upper: float) -> None:
        r = len(lo)
        for c, v in entries:
            rows.append(r)
            colidx.append(c)
            data.append(v)
        lo.append(-np.inf)
        hi.append(upper)

    for b in range(len(blocks)):  # a block gets at most one vehicle
        entries = [(index[(v, b)], 1.0) for v in vehicle_ids if (v, b) in index]
        if len(entries) > 1:
            add_row(entries, 1.0)
    by_vehicle: dict[str, list[int]] = {}
    for vid, b in cols:
        by_vehicle.setdefault(vid, []).append(b)
    for vid, mine_b in by_vehicle.items():
        for b in mine_b:  # at any block's start, at most one of the vehicle's blocks is running
            t0 = blocks[b].start_at
            active = [index[(vid, a)] for a in mine_b
                      if blocks[a].start_at <= t0 < blocks[a].end_at + turn]
            if len(active) > 1:
                add_row([(c, 1.0) for c in active], 1.0)
        vehicle = judge.vehicles[vid]
        vtype = judge.types[vehicle.vehicle_type]
        if not vtype.is_electric:
            continue
        th = judge._thresholds[vehicle.vehicle_type]
        soc = judge.readings[vid].soc_pct
        usable = vtype.usable_kwh or 1.0
        mine = [f for f in fixed.get(vid, []) if f.cancelled_at is None and f.end_at > judge.now]
        exp = {b: judge.estimate(blocks[b], vehicle.vehicle_type).expected_kwh for b in mine_b}  # type: ignore[union-attr]
        targets = [(blocks[b], b) for b in mine_b] + [(f, None) for f in mine if f.start_at > judge.now]
        for target, b in targets:
            est = judge.estimate(target, vehicle.vehicle_type)
            prior_fixed = sum(_kwh(judge, f, vehicle.vehicle_type) for f in mine if f.end_at <= target.start_at)
            prior = [(index[(vid, a)], exp[a]) for a in mine_b if blocks[a].end_at <= target.start_at]
            for need, floor in ((est.expected_kwh, th.reserve_pct + th.marginal_band_pct),  # type: ignore[union-attr]
                                (est.conservative_kwh, th.reserve_pct)):  # type: ignore[union-attr]
                if b is None:  # a fixed block later in the day must stay viable
                    if prior:
                        add_row(prior, (soc - floor) / 100 * usable - need - prior_fixed)
                else:
                    # No big-M: with x_b = 0 the row only repeats what the vehicle's last block before b
                    # already guarantees, so it is valid and keeps the relaxation tight.
                    rhs = (soc - floor) / 100 * usable - prior_fixed
                    if rhs < 0:  # the operator's earlier blocks leave nothing: not this block
                        upper[index[(vid, b)]] = 0.0
                    else:
                        add_row([*prior, (index[(vid, b)], need)], rhs)
    matrix = coo_matrix((data, (rows, colidx)), shape=(len(lo), len(cols))).tocsr()
    constraints = [LinearConstraint(matrix, lo, hi)] if lo else []
    res = milp(np.array(cost), integrality=np.ones(len(cols)), bounds=Bounds(np.zeros(len(cols)), upper),
               constraints=constraints, options={"time_limit": time_limit, "disp": False})
    if res.x is None:  # no feasible plan found in time (an incumbent after a time-out is still used)
        return None
    return {b: vid for (vid, b), x in zip(cols, res.x, strict=True) if x > 0.5}


def _kwh(judge: FleetJudge, block: DayBlock, type_name: str) -> float:
    est = judge.estimate(block, type_name)
    return est.expected_kwh if est else 0.0
