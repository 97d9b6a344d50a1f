"""An exact plan for small days: a MILP (scipy's `milp`, which is HiGHS) over the full viability rule,
charging between blocks included.

One binary per (vehicle, block) it could run alone; at most one of a vehicle's blocks running at any
block start (interval cliques, turnaround included); each block at most once. Non-EVs that nothing tells
apart (one type, no operator blocks, none of last time's proposals) share one binary per block, at most
as many of them running at any block start as there are such vehicles: blocks are intervals, so that
many vehicles can run them (`decode` gives them out), and the model loses the symmetry of identical
buses, a third of its columns on the bench's 50-block days. The objective is the recommendation's own
(domain/objective.py): blocks covered, then covered by EVs, then (re-solved with last time's proposals)
the fewest blocks changed, then the blocks only a non-EV can run given to non-EVs (item 4: what is left
uncovered is what an EV could run once charged or read; a tie-break, not proved), one set of weights.

Energy with charging is not linear, so it enters as cuts, with the product's own rule as the oracle
(a combinatorial Benders scheme): a set of blocks an EV cannot run (some block not `ok` under
readiness with charging between blocks, and the energy thresholds of `assess`) stays impossible with
any block added, because an added block only takes charge away from the later ones. So for each
infeasible pair, and for each infeasible chain a solve proposes (shrunk to a minimal infeasible set),
"not all of these" is a valid row (for an EV that charges only after its first block, "unless it runs
an earlier block", through a continuous "this is its first block" column: `first_of`). Solve, check
every EV's chain, cut, re-solve: when no chain is infeasible, the plan is optimal for the real rule.
Every solve is a relaxation, so its bound holds.
A linear envelope of the charging (domain/exact_energy.py: no faster than the curve's top power, only
while standing, never above a full battery) adds rows that cut off many such chains at once: from each
EV's reading up front, from a block wherever a proposed chain breaks one (for every EV of the type).

Work limits, never wall-clock ones (DESIGN §12b): MAX_ROUNDS re-solves, a node limit per solve, a
work budget over all of them (matrix entries times nodes), and MAX_PAIR_CHECKS pair checks. A day that
runs out of work gets the best feasible plan seen, marked not proved, with the bound, so the gap can be
reported. Each solve's plan, broken EV blocks dropped, is finished by the recommendation's
constructions (`repair`): when that reaches the bound, it is proved optimal and the rounds stop.
Each cut found for one EV is also tried on the others (the same blocks, their own oracle), so the
rounds needed do not grow with the fleet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.exact_energy import KINDS, linear_energy, max_kw, violated, window
from depotdispatch.domain.objective import MAX_LEXICOGRAPHIC, W_KEEP, bound_of, keep, levels, pair_gain, value
from depotdispatch.domain.turnaround import clash, holds_at

MAX_BLOCKS = 80
assert MAX_BLOCKS <= MAX_LEXICOGRAPHIC  # the objective's weights keep its levels apart
MAX_BLOCKS_CHARGING = 60  # with charging EVs: beyond this the cut rounds rarely prove an optimum
MAX_VARIABLES = 1_200  # (vehicle, block) columns
FIRST = -1  # the block of a column that says which block is a vehicle's first (`first_of`)
MAX_ROUNDS = 40  # solve, cut, re-solve
MAX_PAIR_CHECKS = 40_000
NODE_LIMIT = 200  # branch-and-bound nodes per solve
# work over all solves of a day, counted as matrix entries times nodes (at least 1) per solve: most days
# prove in 1-3 solves (a 42-block day in ~80,000); the hardest random 57-60-block days with charging
# prove in 9-16 solves of ~45,000 (310,000 and 476,000: tests/unit/test_recommend_vs_mip.a_day seeds 33
# and 54); a day that needs more (seed 14: ~30 solves and a few thousand nodes) stops unproved here
WORK_BUDGET = 600_000


@dataclass(frozen=True)
class ExactResult:
    chosen: dict[int, str]  # block index -> vehicle
    proved: bool  # optimal for the full rule
    covered_bound: int  # no plan covers more blocks than this
    ev_bound: int  # ... nor, at the plan's coverage, more with EVs
    work: int = 0  # what the solves cost, in the unit of WORK_BUDGET


def _overlap(a: DayBlock, b: DayBlock, turn: timedelta) -> bool:
    """Not on one vehicle: they overlap or leave less than the turnaround (the plan's one rule)."""
    return clash(a.pull_out, a.pull_in, b.pull_out, b.pull_in, turn) is not None


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
        start = judge.standing(vid)  # the reading, or the yard's later plug mark
        self.monotone = (self.curve is None or bool(start and start.plugged)) and not self.mine

    def first_failure(self, chain: Sequence[int]) -> int | None:
        """Position in `chain` of the first block that is not ok, None when all are."""
        if self.stale:
            return 0
        if self.mine:
            return self._judged(chain)
        st = self.judge.standing(self.vid)  # the reading, or the yard's later plug mark (readiness' own start)
        assert st is not None
        soc, cursor, plugged, first = st.soc_pct / 100, st.since, st.plugged, True
        back_allowance = timedelta(0)  # the pull-in allowance of the block it came back from (Depot.allowances)
        for k, i in enumerate(chain):
            b, e = self.blocks[i], self.est[i]
            if e is None:  # no distance: "unknown", never ok
                return k
            if plugged and self.curve is not None and b.pull_out > cursor:  # the depot charging seam
                soc = self.judge.charging.after_stay(self.vid, soc, cursor, b.pull_out, plugged=first, allow=(
                    back_allowance, self.judge.depot.allowances(b.trip_ids)[0]))
            pct = round(soc * 100, 2)
            end = round(pct - 100 * e.expected_kwh / self.usable, 1)
            end_p90 = round(pct - 100 * e.conservative_kwh / self.usable, 1)
            if end < self.th.reserve_pct + self.th.marginal_band_pct or end_p90 < max(self.th.reserve_pct, 0.0):
                return k
            soc, cursor, plugged, first = soc - e.expected_kwh / self.usable, b.pull_in, True, False
            back_allowance = self.judge.depot.allowances(b.trip_ids)[1]
        return None

    def _judged(self, chain: Sequence[int]) -> int | None:
        run = [*self.mine, *(self.blocks[i] for i in chain)]
        later: list[tuple[datetime, int | None, DayBlock]] = [
            (f.pull_out, None, f) for f in self.mine if f.pull_out > self.judge.now]
        later += [(self.blocks[i].pull_out, k, self.blocks[i]) for k, i in enumerate(chain)]
        for _, k, b in sorted(later, key=lambda x: x[0]):
            if self.judge.judge(self.vid, b, run).status != "ok":
                # an operator block broken by the open blocks before it: blame the last of those
                return k if k is not None else max((j for j, i in enumerate(chain)
                                                    if self.blocks[i].pull_out < b.pull_out), default=0)
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


class _Model:
    """The MILP as it grows: columns (vehicle, block), rows `entries . coef <= upper`, and the cuts."""

    def __init__(self, judge: FleetJudge, blocks: Sequence[DayBlock], previous: Mapping[str, str],
                 hard: Sequence[bool] = ()) -> None:
        self.judge, self.blocks, self.previous = judge, blocks, previous
        self.hard = list(hard) or [False] * len(blocks)  # only a non-EV can run it (objective.W_HARD)
        self.turn = timedelta(minutes=judge.depot.turnaround_min)
        self.cols: list[tuple[str, int]] = []
        self.cost: list[float] = []
        self.rows: list[list[int]] = []
        self.coef: list[list[float]] = []
        self.upper: list[float] = []
        self.xs: dict[str, dict[int, int]] = {}  # vehicle -> block -> column
        self.oracles: dict[str, EvOracle] = {}
        self.cut_keys: set[tuple[str, tuple[int, ...]]] = set()
        self.window_keys: set[tuple[str, int | None, int, int]] = set()
        self.kw: dict[str, float] = {}  # a charging EV without operator blocks -> its envelope's kW
        self.pair_checks = 0
        # interchangeable non-EVs (one type, no operator blocks, none of last time's proposals) share columns:
        # owner (the first of them) -> all of them; a plan gives the group's blocks to them in `decode`
        self.groups: dict[str, list[str]] = {}
        self.aux = 0  # columns that are not (vehicle, block) pairs: `first_of`
        self.first: dict[tuple[str, int], int] = {}  # (EV, block) -> column: it is the EV's first block

    def keep(self, i: int, vid: str) -> int:
        """The pair's keep term (objective.keep), 0 for every pair without last time's proposals."""
        return keep(self.previous.get(self.blocks[i].block_id), vid) if self.previous else 0

    def value(self, chosen: Mapping[int, str], tie: bool = True) -> float:
        """The objective's value of a plan; without `tie`, of its levels above the hard one."""
        ev = sum(1 for vid in chosen.values() if self.judge.is_electric(vid))
        hard = sum(1 for i in chosen if self.hard[i]) if tie else 0
        return value(len(chosen), ev, sum(self.keep(i, vid) for i, vid in chosen.items()), hard)

    def reaches(self, chosen: Mapping[int, str], bound: float) -> bool:
        """No plan beats this one above the hard level (a tie-break the rounds do not prove)."""
        return self.value(chosen, tie=False) >= levels(bound) - 1e-6

    def add_row(self, entries: list[int], bound: float, values: list[float] | None = None) -> None:
        self.rows.append(entries)
        self.upper.append(bound)
        self.coef.append(values or [1.0] * len(entries))

    def add_cut(self, vid: str, core: Sequence[int]) -> bool:
        """Not all of `core` (in time order); for a vehicle that is not `monotone`, unless it also runs a
        block before the first of them. False when the vehicle has that cut already."""
        key = (vid, tuple(core))
        if key in self.cut_keys:
            return False
        self.cut_keys.add(key)
        x = self.xs[vid]
        entries = [x[i] for i in core]
        if not self.oracles[vid].monotone:  # the first of them, when it is the vehicle's first block
            entries[0] = self.first_of(vid, core[0])
        self.add_row(entries, float(len(core) - 1))
        return True

    def first_of(self, vid: str, a: int) -> int:
        """A binary column that is 1 when block `a` is the vehicle's first (it runs `a` and nothing that
        starts earlier): `x_a - first_a - sum of the earlier blocks' x <= 0`, one row per (vehicle, block)
        shared by all its cuts. It replaces the "minus every earlier block" each cut carried, most of the
        matrix on the bench's 50-block days, with the same LP relaxation."""
        if (vid, a) not in self.first:
            x, blocks = self.xs[vid], self.blocks
            col = self.first[(vid, a)] = len(self.cols)
            self.cols.append((vid, FIRST))
            self.cost.append(0.0)
            self.aux += 1
            earlier = [c for i, c in x.items() if blocks[i].pull_out < blocks[a].pull_out]
            self.add_row([x[a], col, *earlier], 0.0, [1.0, -1.0] + [-1.0] * len(earlier))
        return self.first[(vid, a)]

    def add_window(self, vid: str, a: int | None, b: int, kind: int) -> bool:
        """The envelope's row of the window from `a` to `b` for this EV (False: it has it, or there is none)."""
        key = (vid, a, b, kind)
        if key in self.window_keys:
            return False
        self.window_keys.add(key)
        row = window(self.oracles[vid], self.kw[vid], self.xs[vid], a, b, kind)
        if row is None:
            return False
        self.add_row(*row)
        return True

    def add_vehicle(self, vid: str, mine: Sequence[DayBlock], members: Sequence[str] = ()) -> bool:
        """Its columns, its one-block-at-a-time rows and, for an EV, its energy rows or first cuts. False
        when the pair checks run out (the day is beyond the exact model). `members`: non-EVs
        interchangeable with it (itself first), which share its columns: at most that many of their blocks
        hold at any block start (intervals, so that many vehicles can run them)."""
        judge, blocks, turn = self.judge, self.blocks, self.turn
        if len(members) > 1:
            self.groups[vid] = list(members)
        vtype = judge.types[judge.vehicles[vid].vehicle_type]
        cand = [i for i, b in enumerate(blocks)
                if _fits(b, vtype.vehicle_class) and not any(_overlap(b, f, turn) for f in mine)]
        oracle = None
        if vtype.is_electric:
            oracle = self.oracles[vid] = EvOracle(judge, vid, blocks, mine)
            if oracle.stale:
                del self.oracles[vid]
                return True
            alone = {i: oracle.first_failure([i]) is None for i in cand}
            if oracle.monotone:
                cand = [i for i in cand if alone[i]]
        x = self.xs[vid] = {}
        for i in cand:
            x[i] = len(self.cols)
            self.cols.append((vid, i))
            self.cost.append(-pair_gain(vtype.is_electric, self.keep(i, vid), self.hard[i]))
        for i in cand:  # at this block's start, at most one of the vehicle's blocks is running
            t0 = blocks[i].pull_out
            active = [x[a] for a in cand if holds_at(blocks[a].pull_out, blocks[a].pull_in, t0, turn)]
            if len(active) > max(len(members), 1):
                self.add_row(active, float(max(len(members), 1)))
        if oracle is None:
            return True
        if oracle.curve is None and not mine:
            linear_energy(oracle, cand, x, self.add_row)  # no charging: energy adds up, exact rows
            return True
        if not mine:  # charging: the linear envelope from the reading (exact_energy.window)
            self.kw[vid] = max_kw(oracle)
            for i in cand:
                for kind in KINDS:
                    self.add_window(vid, None, i, kind)
        self.pair_checks += len(cand) * (len(cand) - 1) // 2  # blocks it cannot run alone, pairs together
        if self.pair_checks > MAX_PAIR_CHECKS:
            return False
        for i in cand:
            if not alone[i]:
                self.add_cut(vid, (i,))
        for a_pos, a in enumerate(cand):
            for b in cand[a_pos + 1:]:
                pair = tuple(sorted((a, b), key=lambda i: blocks[i].pull_out))
                if not _overlap(blocks[a], blocks[b], turn) and oracle.first_failure(pair) is not None:
                    self.add_cut(vid, pair)
        return True

    def add_cover_rows(self) -> None:
        by_block: dict[int, list[int]] = {}
        for k, (_, b) in enumerate(self.cols):
            if b >= 0:
                by_block.setdefault(b, []).append(k)
        for _, here in sorted(by_block.items()):
            if len(here) > 1:
                self.add_row(here, 1.0)

    def solve(self, node_limit: int) -> tuple[Any, int]:
        """scipy's result (an OptimizeResult: scipy has no type stubs) and the number of matrix entries (the
        measure of work)."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        nc = len(self.cols)
        constraints = []
        if self.rows:
            r_idx = [r for r, entries in enumerate(self.rows) for _ in entries]
            c_idx = [c for entries in self.rows for c in entries]
            vals = [v for values in self.coef for v in values]
            matrix = coo_matrix((vals, (r_idx, c_idx)), shape=(len(self.rows), nc)).tocsr()
            constraints = [LinearConstraint(matrix, -np.inf, np.array(self.upper))]
        options: dict[str, Any] = {"node_limit": node_limit, "disp": False}
        if self.previous:  # the change level: HiGHS's default relative gap (1e-4) would stop short of it
            options["mip_rel_gap"] = 0.0
        res = milp(np.array(self.cost), integrality=np.ones(nc), bounds=Bounds(np.zeros(nc), np.ones(nc)),
                   constraints=constraints, options=options)
        return res, sum(len(entries) for entries in self.rows)

    def decode(self, x: np.ndarray) -> dict[int, str]:
        """A solve's columns as block index -> vehicle; a group's blocks in time order, each to the first of
        its vehicles free by then (intervals: at most as many hold at once as it has vehicles, so one is)."""
        chosen: dict[int, str] = {}
        pooled: dict[str, list[int]] = {}
        for k, (vid, b) in enumerate(self.cols):
            if b >= 0 and x[k] > 0.5:
                if vid in self.groups:
                    pooled.setdefault(vid, []).append(b)
                else:
                    chosen[b] = vid
        for owner, taken in pooled.items():
            last: dict[str, DayBlock] = {}
            for b in sorted(taken, key=lambda i: (self.blocks[i].pull_out, i)):
                for vid in self.groups[owner]:
                    if vid not in last or not _overlap(last[vid], self.blocks[b], self.turn):
                        chosen[b], last[vid] = vid, self.blocks[b]
                        break
        return chosen

    def chains(self, chosen: Mapping[int, str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {vid: [] for vid in self.oracles}
        for i in sorted(chosen, key=lambda i: (self.blocks[i].pull_out, i)):
            if chosen[i] in out:
                out[chosen[i]].append(i)
        return out

    def drop_broken(self, chosen: dict[int, str]) -> None:
        """Keep what each EV can run of its chain in `chosen`."""
        for vid, chain in self.chains(chosen).items():
            while chain and (k := self.oracles[vid].first_failure(chain)) is not None:
                del chosen[chain.pop(k)]

    def cut_broken_chains(self, chosen: Mapping[int, str]) -> int:
        """For each EV chain of the solve that breaks the rule: every minimal infeasible set found by
        dropping failing blocks one at a time, for that EV and for every other EV that cannot run it
        either (a cut lifted to the fleet). The number of new cuts (0: every chain is feasible)."""
        added = 0
        for vid, chain in self.chains(chosen).items():
            oracle = self.oracles[vid]
            while chain and (k := oracle.first_failure(chain)) is not None:
                if vid in self.kw:  # the envelope's windows it breaks, for every EV of its type
                    vtype = self.judge.vehicles[vid].vehicle_type
                    for a, b, kind in violated(oracle, self.kw[vid], self.xs[vid], chain, k):
                        for other in self.kw:
                            if other == vid or (a is not None and self.judge.vehicles[other].vehicle_type == vtype):
                                added += self.add_window(other, a, b, kind)
                core = oracle.minimal_infeasible(chain[: k + 1]) or tuple(chain[: k + 1])
                for other, o in self.oracles.items():
                    if (other == vid or all(i in self.xs[other] for i in core)
                            and (other, core) not in self.cut_keys and o.first_failure(core) is not None):
                        added += self.add_cut(other, core)
                chain = chain[:k] + chain[k + 1:]
        return added


def solve_exact(judge: FleetJudge, blocks: Sequence[DayBlock], vehicle_ids: Sequence[str],
                fixed: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str],
                work_budget: int = WORK_BUDGET, max_rounds: int = MAX_ROUNDS,
                repair: Callable[[dict[int, str]], dict[int, str]] | None = None,
                incumbent: Mapping[int, str] | None = None, hard: Sequence[bool] = ()) -> ExactResult | None:
    """The best plan within the work limits, or None when the day is beyond them (or nothing was found).
    `blocks` are the open blocks in time order; `fixed` what operators gave each vehicle.

    `repair` (optional) turns a solve's plan, its broken EV blocks dropped, into a feasible plan (the
    recommendation's constructions finish it); when that plan reaches a solve's bound it is optimal
    and the rounds stop early, as they do when `incumbent` (a feasible plan found otherwise) does.
    Without them the rounds go on until no chain is broken. `hard`: per block, only a non-EV can run it
    (the objective's last level, item 4: among equal plans those give non-EVs these blocks; not proved)."""
    n = len(blocks)
    charging = any(judge.curve_for(judge.vehicles[v].vehicle_type) is not None for v in vehicle_ids)
    if not n or n > (MAX_BLOCKS_CHARGING if charging else MAX_BLOCKS):
        return None
    model = _Model(judge, blocks, previous, hard)
    kept = set(previous.values())
    groups: dict[str, list[str]] = {}  # non-EVs with nothing to tell them apart, by type
    for vid in vehicle_ids:
        mine = [f for f in fixed.get(vid, []) if f.cancelled_at is None]
        if not mine and vid not in kept and not judge.is_electric(vid):
            groups.setdefault(judge.vehicles[vid].vehicle_type, []).append(vid)
            continue
        if any(judge.judge(vid, f, mine).status != "ok" for f in mine if f.pull_out > judge.now):
            continue  # its own plan already has warnings: the operator decided, leave it alone
        if not model.add_vehicle(vid, mine):
            return None
    for _, members in sorted(groups.items()):
        model.add_vehicle(members[0], [], members)
    if not model.cols:
        return ExactResult({}, True, 0, 0)
    if len(model.cols) - model.aux > MAX_VARIABLES:
        return None
    model.add_cover_rows()
    bound, work = None, 0
    best: dict[int, str] = dict(incumbent or {})
    for _ in range(max_rounds):
        res, nnz = model.solve(NODE_LIMIT)
        if res.x is None:
            return None
        work += nnz * max(int(getattr(res, "mip_node_count", 0) or 0), 1)
        # every solve is a relaxation of the real problem: its dual bound holds for it
        solve_bound = -float(res.fun) if res.status == 0 else -float(res.mip_dual_bound)
        bound = solve_bound if bound is None else min(bound, solve_bound)
        chosen = model.decode(res.x)
        if model.reaches(best, bound):  # what was found otherwise reaches the bound
            return _result(model, best, True, bound, work)
        if not model.cut_broken_chains(chosen):
            return _result(model, chosen, res.status == 0, bound, work)
        model.drop_broken(chosen)
        if repair is not None:
            fixed_up = repair(chosen)
            if model.value(fixed_up) > model.value(best):
                best = fixed_up
            if model.reaches(best, bound):
                return _result(model, best, True, bound, work)
        if model.value(chosen) > model.value(best):
            best = dict(chosen)
        if work >= work_budget:
            break
    # out of work: the best feasible plan seen, and how far from the bound it may be
    return _result(model, best, False, bound, work)


def _result(model: _Model, chosen: dict[int, str], proved: bool, bound: float | None, work: int) -> ExactResult:
    ev_covered = sum(1 for vid in chosen.values() if model.judge.is_electric(vid))
    if proved or bound is None:
        return ExactResult(chosen, proved, len(chosen), ev_covered, work)
    # the keep terms of a plan sum to at least -n: what is left of the bound for covered and EV blocks
    slack = len(model.blocks) * W_KEEP if model.previous else 0.0
    covered_bound, ev_bound = bound_of(bound + slack, len(chosen), ev_covered)
    return ExactResult(chosen, False, covered_bound, ev_bound, work)
