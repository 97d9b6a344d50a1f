"""An exact plan for small days: a MILP (scipy's `milp`, which is HiGHS) over the full viability rule,
charging between blocks included.

One binary per (vehicle, block) it could run alone; at most one of a vehicle's blocks running at any
block start (interval cliques, turnaround included); each block at most once. The objective is the
recommendation's own (domain/objective.py): blocks covered, then covered by EVs, then last time's
proposals kept, one set of weights for both.

Energy with charging is not linear, so it enters as cuts, with the product's own rule as the oracle
(a combinatorial Benders scheme): a set of blocks an EV cannot run (some block not `ok` under
readiness with charging between blocks, and the energy thresholds of `assess`) stays impossible with
any block added, because an added block only takes charge away from the later ones. So for each
infeasible pair, and for each infeasible chain a solve proposes (shrunk to a minimal infeasible set),
"not all of these" is a valid row. Solve, check every EV's chain, cut, re-solve: when no chain is
infeasible, the plan is optimal for the real rule. Every solve is a relaxation, so its bound holds.

Work limits, never wall-clock ones (DESIGN §12b): MAX_ROUNDS re-solves, a node limit per solve, and
MAX_PAIR_CHECKS pair checks. A day that runs out of rounds gets the last plan with the broken blocks
dropped, marked not proved, with the bound, so the gap can be reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.objective import MAX_LEXICOGRAPHIC, bound_of, pair_gain
from depotdispatch.domain.turnaround import clash

MAX_BLOCKS = 80
assert MAX_BLOCKS <= MAX_LEXICOGRAPHIC  # the objective's weights keep its levels apart
MAX_BLOCKS_CHARGING = 40  # with charging EVs: beyond this the cut rounds rarely prove an optimum
MAX_VARIABLES = 1_200
MAX_ROUNDS = 8  # solve, cut, re-solve
MAX_PAIR_CHECKS = 40_000
NODE_LIMIT = 50  # branch-and-bound nodes per solve


@dataclass(frozen=True)
class ExactResult:
    chosen: dict[int, str]  # block index -> vehicle
    proved: bool  # optimal for the full rule
    covered_bound: int  # no plan covers more blocks than this
    ev_bound: int  # ... nor, at the plan's coverage, more with EVs


def _overlap(a: DayBlock, b: DayBlock, turn: timedelta) -> bool:
    """Not on one vehicle: they overlap or leave less than the turnaround (the plan's one rule)."""
    return clash(a.start_at, a.end_at, b.start_at, b.end_at, turn) is not None


def _fits(block: DayBlock, vehicle_class: str | None) -> bool:
    return not (block.vehicle_class and vehicle_class and block.vehicle_class != vehicle_class)


class EvOracle:
    """Can EV `vid` run these open blocks (in time order) on top of its operator blocks `mine`?

    Without operator blocks the chain is followed from its state (SoC, when it pulled in, on a
    charger?) with the steps of `readiness_at` and the thresholds of `assess`; with them, each block is
    asked of `FleetJudge.judge`. Either way the recommendation re-checks every pair with the full rule."""

    def __init__(self, judge: FleetJudge, vid: str, blocks: Sequence[DayBlock], mine: Sequence[DayBlock]) -> None:
        self.judge, self.vid, self.blocks, self.mine = judge, vid, blocks, list(mine)
        vehicle = judge.vehicles[vid]
        self.th = judge.thresholds_for(vehicle.vehicle_type)
        self.usable = judge.types[vehicle.vehicle_type].usable_kwh or 1.0
        self.curve = judge.curve_for(vehicle.vehicle_type)
        self.reading = judge.readings.get(vid)
        self.est = [judge.estimate(b, vehicle.vehicle_type) for b in blocks]
        self.stale = self.reading is None or judge.now - self.reading.measured_at > self.th.stale_after
        # On a charger now (or never charging) and no operator blocks: a block added anywhere only takes
        # charge away, so what it cannot run stays impossible. Otherwise a block added before the first
        # one can help (the vehicle charges only after it): a cut then holds only while no earlier block
        # is run.
        self.monotone = (self.curve is None or bool(self.reading and self.reading.plugged_in)) and not self.mine

    def first_failure(self, chain: Sequence[int]) -> int | None:
        """Position in `chain` of the first block that is not ok, None when all are."""
        if self.stale:
            return 0
        if self.mine:
            return self._judged(chain)
        r = self.reading
        assert r is not None
        soc, cursor, plugged, first = r.soc_pct / 100, r.measured_at, bool(r.plugged_in), True
        for k, i in enumerate(chain):
            b, e = self.blocks[i], self.est[i]
            if e is None:  # no distance: "unknown", never ok
                return k
            if plugged and self.curve is not None and b.start_at > cursor:  # the depot charging seam
                soc = self.judge.charging.after_stay(self.vid, soc, cursor, b.start_at, plugged=first)
            pct = round(soc * 100, 2)
            end = round(pct - 100 * e.expected_kwh / self.usable, 1)
            end_p90 = round(pct - 100 * e.conservative_kwh / self.usable, 1)
            if end < self.th.reserve_pct + self.th.marginal_band_pct or end_p90 < max(self.th.reserve_pct, 0.0):
                return k
            soc, cursor, plugged, first = soc - e.expected_kwh / self.usable, b.end_at, True, False
        return None

    def _judged(self, chain: Sequence[int]) -> int | None:
        run = [*self.mine, *(self.blocks[i] for i in chain)]
        later: list[tuple[datetime, int | None, DayBlock]] = [
            (f.start_at, None, f) for f in self.mine if f.start_at > self.judge.now]
        later += [(self.blocks[i].start_at, k, self.blocks[i]) for k, i in enumerate(chain)]
        for _, k, b in sorted(later, key=lambda x: x[0]):
            if self.judge.judge(self.vid, b, run).status != "ok":
                # an operator block broken by the open blocks before it: blame the last of those
                return k if k is not None else max((j for j, i in enumerate(chain)
                                                    if self.blocks[i].start_at < b.start_at), default=0)
        return None

    def minimal_infeasible(self, chain: Sequence[int]) -> tuple[int, ...] | None:
        """A minimal subset of `chain` the EV cannot run (None when it can run all of it)."""
        k = self.first_failure(chain)
        if k is None:
            return None
        core = list(chain[: k + 1])
        # drop what is not needed to break it (not the first block where order matters: see add_cut)
        for i in list(core[0 if self.monotone else 1:-1]):
            trial = [j for j in core if j != i]
            if self.first_failure(trial) is not None:
                core = trial
        return tuple(core)


def linear_energy(oracle: EvOracle, cand: Sequence[int], x: Mapping[int, int], add_row) -> None:  # type: ignore[no-untyped-def]
    """For an EV that does not charge: before each of its blocks, the energy of its earlier blocks and
    this one leaves the reserve (expected) and the marginal band (conservative). No big-M: with x_b = 0
    the row only repeats what the vehicle's last block before b already guarantees."""
    th, usable, blocks = oracle.th, oracle.usable, oracle.blocks
    soc = oracle.reading.soc_pct if oracle.reading else 0.0
    for b in cand:
        e = oracle.est[b]
        prior = [(x[a], oracle.est[a].expected_kwh) for a in cand  # type: ignore[union-attr]
                 if blocks[a].end_at <= blocks[b].start_at]
        for need, floor in ((e.expected_kwh, th.reserve_pct + th.marginal_band_pct),  # type: ignore[union-attr]
                            (e.conservative_kwh, th.reserve_pct)):  # type: ignore[union-attr]
            add_row([c for c, _ in prior] + [x[b]], (soc - floor) / 100 * usable,
                     [k for _, k in prior] + [need])


def solve_exact(judge: FleetJudge, blocks: Sequence[DayBlock], vehicle_ids: Sequence[str],
                fixed: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str],
                node_limit: int = NODE_LIMIT, max_rounds: int = MAX_ROUNDS) -> ExactResult | None:
    """The best plan within the work limits, or None when the day is beyond them (or nothing was found).
    `blocks` are the open blocks in time order; `fixed` what operators gave each vehicle."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n = len(blocks)
    charging = any(judge.curve_for(judge.vehicles[v].vehicle_type) is not None for v in vehicle_ids)
    if not n or n > (MAX_BLOCKS_CHARGING if charging else MAX_BLOCKS):
        return None
    turn = timedelta(minutes=judge.depot.turnaround_min)
    cols: list[tuple[str, int]] = []
    cost: list[float] = []
    rows: list[list[int]] = []  # columns of each row (coefficients in `coef`, right-hand side in `upper`)
    upper: list[float] = []
    oracles: dict[str, EvOracle] = {}
    pair_checks = 0
    coef: list[list[float]] = []
    xs: dict[str, dict[int, int]] = {}  # vehicle -> block -> column  # per row, the coefficient of each of its columns

    def add_row(entries: list[int], bound: float, values: list[float] | None = None) -> None:
        rows.append(entries)
        upper.append(bound)
        coef.append(values or [1.0] * len(entries))

    def add_cut(vid: str, core: Sequence[int], x: Mapping[int, int]) -> None:
        """Not all of `core` (in time order); for a vehicle that is not `monotone`, unless it also runs a
        block before the first of them."""
        entries, values = [x[i] for i in core], [1.0] * len(core)
        if not oracles[vid].monotone:
            earlier = [c for i, c in x.items() if blocks[i].start_at < blocks[core[0]].start_at]
            entries += earlier
            values += [-1.0] * len(earlier)
        add_row(entries, float(len(core) - 1), values)
    for vid in vehicle_ids:
        vehicle = judge.vehicles[vid]
        vtype = judge.types[vehicle.vehicle_type]
        mine = [f for f in fixed.get(vid, []) if f.cancelled_at is None]
        if any(judge.judge(vid, f, mine).status != "ok" for f in mine if f.start_at > judge.now):
            continue  # its own plan already has warnings: the operator decided, leave it alone
        cand = [i for i, b in enumerate(blocks)
                if _fits(b, vtype.vehicle_class) and not any(_overlap(b, f, turn) for f in mine)]
        if vtype.is_electric:
            oracle = oracles[vid] = EvOracle(judge, vid, blocks, mine)
            if oracle.stale:
                continue
            alone = {i: oracle.first_failure([i]) is None for i in cand}
            if oracle.monotone:
                cand = [i for i in cand if alone[i]]
        x = xs[vid] = {}
        for i in cand:
            x[i] = len(cols)
            cols.append((vid, i))
            cost.append(-pair_gain(vtype.is_electric, previous.get(blocks[i].block_id) == vid))
        for i in cand:  # at this block's start, at most one of the vehicle's blocks is running
            t0 = blocks[i].start_at
            active = [x[a] for a in cand if blocks[a].start_at <= t0 < blocks[a].end_at + turn]
            if len(active) > 1:
                add_row(active, 1.0)
        if vtype.is_electric and oracle.curve is None and not mine:
            linear_energy(oracle, cand, x, add_row)  # no charging: energy adds up, exact rows
        elif vtype.is_electric:  # blocks it cannot run alone, pairs it cannot run together
            pair_checks += len(cand) * (len(cand) - 1) // 2
            if pair_checks > MAX_PAIR_CHECKS:
                return None
            cut_sets = [(i,) for i in cand if not alone[i]]
            for a_pos, a in enumerate(cand):
                for b in cand[a_pos + 1:]:
                    pair = tuple(sorted((a, b), key=lambda i: blocks[i].start_at))
                    if not _overlap(blocks[a], blocks[b], turn) and oracle.first_failure(pair) is not None:
                        cut_sets.append(pair)
            for core in cut_sets:
                add_cut(vid, core, x)
    if not cols:
        return ExactResult({}, True, 0, 0)
    if len(cols) > MAX_VARIABLES:
        return None
    for i in range(n):
        here = [k for k, (_, b) in enumerate(cols) if b == i]
        if len(here) > 1:
            add_row(here, 1.0)
    nc = len(cols)
    bound = None
    chosen: dict[int, str] = {}
    for _ in range(max_rounds):
        r_idx = [r for r, entries in enumerate(rows) for _ in entries]
        c_idx = [c for entries in rows for c in entries]
        constraints = []
        if rows:
            vals = [v for values in coef for v in values]
            matrix = coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), nc)).tocsr()
            constraints = [LinearConstraint(matrix, -np.inf, np.array(upper))]
        res = milp(np.array(cost), integrality=np.ones(nc), bounds=Bounds(np.zeros(nc), np.ones(nc)),
                   constraints=constraints, options={"node_limit": node_limit, "disp": False})
        if res.x is None:
            return None
        # every solve is a relaxation of the real problem: its dual bound holds for it
        solve_bound = -float(res.fun) if res.status == 0 else -float(res.mip_dual_bound)
        bound = solve_bound if bound is None else min(bound, solve_bound)
        chosen = {cols[k][1]: cols[k][0] for k in range(nc) if res.x[k] > 0.5}
        cuts = []
        for vid, oracle in oracles.items():
            chain = sorted((i for i, v in chosen.items() if v == vid), key=lambda i: blocks[i].start_at)
            core = oracle.minimal_infeasible(chain) if chain else None
            if core is not None:
                cuts.append((vid, core))
        if not cuts:
            return _result(judge, chosen, res.status == 0, bound)
        for vid, core in cuts:
            add_cut(vid, core, xs[vid])
    # out of rounds: keep what each EV can run of its last chain, and say how far from the bound it may be
    for vid, oracle in oracles.items():
        chain = sorted((i for i, v in chosen.items() if v == vid), key=lambda i: blocks[i].start_at)
        while chain and (k := oracle.first_failure(chain)) is not None:
            del chosen[chain.pop(k)]
    return _result(judge, chosen, False, bound)


def _result(judge: FleetJudge, chosen: dict[int, str], proved: bool, bound: float | None) -> ExactResult:
    ev_covered = sum(1 for vid in chosen.values() if judge.is_electric(vid))
    if proved or bound is None:
        return ExactResult(chosen, proved, len(chosen), ev_covered)
    covered_bound, ev_bound = bound_of(bound, len(chosen), ev_covered)
    return ExactResult(chosen, False, covered_bound, ev_bound)
