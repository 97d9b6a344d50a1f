"""The recommendation: an advisory plan for the open blocks of a day.

Five constructions, four of them min-cost assignments solved with scipy's linear_sum_assignment, and the
better result (more blocks covered, then more by EVs, then more of last time's proposals kept) wins:

- *rounds*: each round gives every vehicle at most one more block, in any gap of its chain; a
  vehicle comes back next round with what its chain leaves it, recharging at the depot in between.
- *chains*: first the classic vehicle-scheduling assignment (rows: vehicles and blocks as
  predecessors; columns: blocks as successors and chain ends), exact for the most blocks covered when
  energy is ignored; chains an EV cannot run are cut where they stop being viable, and the rounds
  cover what was cut.

- *evfirst*: the rounds with EVs alone, then with everyone.
- *evchains*: the vehicle-scheduling assignment with EVs alone, then the rounds with everyone.
- *evgreedy*: in departure order the EV with the least charge that can run the block, then the rounds.
- *greedy*: the plain earliest-start greedy (small days), so the result is never below it.
- *previous*: last time's proposals that still hold, then the rounds (only when there are some); then
  relinked towards the best plan if that covers more, with the fewest changed blocks (domain/relink.py).

Small days (up to exact.MAX_BLOCKS open blocks) also get an exact MILP (domain/exact.py) over the
same rules, charging between blocks included, within work limits; it competes with the constructions
like any of them, and what it proved (or the bound it reached) is reported as `optimality`.

All constructions finish with an *upgrade* pass that moves a block from a non-EV to an EV that can run it on top of
its chain and lets the freed vehicle take a block nobody covers. Every proposal is checked with the
full viability rule (`FleetJudge.judge`) and is `ok`; the vectorised rule only narrows the search.
Chaining with batteries is NP-hard (the E-VSP): this is fast, not provably optimal; bench/recommend.py
measures the gap to an exact MIP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.explain import explain_proposal, explain_uncovered
from depotdispatch.domain.relink import changed, relink
from depotdispatch.domain.viability import Viability

W_COVER = 1_000_000.0
W_EV = 10_000.0
W_ONLY = 500.0
MAX_ROUNDS = 12
CONSTRUCTIONS = ("rounds", "chains", "evfirst", "evchains", "evgreedy", "greedy")
BIG_DAY = 200  # open blocks


@dataclass(frozen=True)
class Proposal:
    block_id: str
    vehicle_id: str
    explanation: str
    viability: Viability


@dataclass(frozen=True)
class Uncovered:
    block_id: str
    explanation: str


@dataclass(frozen=True)
class Optimality:
    """What the exact mode proved on this day (None on `Recommendation` when the day is beyond it)."""

    proved: bool  # no plan covers more blocks, or as many with more EV blocks
    covered_bound: int
    ev_bound: int


@dataclass(frozen=True)
class Change:
    """A block whose vehicle differs from last time's proposal (None: not covered)."""

    block_id: str
    before: str | None
    after: str | None


@dataclass
class Recommendation:
    proposals: list[Proposal] = field(default_factory=list)
    uncovered: list[Uncovered] = field(default_factory=list)
    construction: str = ""
    optimality: Optimality | None = None
    changes: list[Change] = field(default_factory=list)  # against `previous` (empty without one)
    # (covered, EV-covered) of last time's proposals that still hold, gaps filled: what the changes beyond
    # the forced ones bought is the difference to this plan's
    repaired: tuple[int, int] | None = None


def _hours(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 3600


@dataclass
class _Plan:
    """A construction's working state: each vehicle's chain and the open blocks it took."""

    chains: dict[str, list[DayBlock]]
    chosen: dict[int, tuple[str, Viability]] = field(default_factory=dict)

    def score(self, rec: Recommender) -> tuple[int, int, int, int, int]:
        """Lexicographic (DESIGN §12b, issue 16): blocks covered, covered by EVs, fewest changes against
        last time's proposals, then the most recoverable blocks among those left uncovered (an EV could
        run them once charged or read: so non-EVs get the blocks only they can run), then energy margin."""
        ev = sum(1 for vid, _ in self.chosen.values() if rec.is_ev[vid])
        changes = changed({bi: vid for bi, (vid, _) in self.chosen.items()}, rec.prev_by_index)
        recoverable = sum(1 for bi in np.nonzero(rec.recoverable)[0] if int(bi) not in self.chosen)
        margin = round(sum(v.end_soc_pct or 0.0 for vid, v in self.chosen.values() if rec.is_ev[vid]))
        return len(self.chosen), ev, -changes, recoverable, margin

    def as_map(self) -> dict[int, str]:
        return {bi: vid for bi, (vid, _) in self.chosen.items()}


class Recommender:
    def __init__(self, judge: FleetJudge, open_blocks: Sequence[DayBlock],
                 vehicle_blocks: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str] | None = None) -> None:
        """`vehicle_blocks`: what the plan already gives each vehicle (kept as it is).
        `previous`: block_id -> vehicle_id of the last proposal, preferred when as good."""
        self.judge = judge
        self.blocks = sorted(open_blocks, key=lambda b: (b.start_at, b.block_id))
        self.vehicle_ids = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available")
        self.is_ev = {v: judge.types[judge.vehicles[v].vehicle_type].is_electric for v in self.vehicle_ids}
        self.fixed = {v: sorted((b for b in vehicle_blocks.get(v, []) if b.cancelled_at is None),
                                key=lambda b: b.start_at) for v in self.vehicle_ids}
        self.previous = dict(previous or {})
        self.turn = timedelta(minutes=judge.depot.turnaround_min)
        self.starts = np.array([_hours(b.start_at, judge.now) for b in self.blocks])
        self.ends = np.array([_hours(b.end_at, judge.now) for b in self.blocks])
        self._need: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # type -> (expected, conservative) kWh
        for name in {judge.vehicles[v].vehicle_type for v in self.vehicle_ids if self.is_ev[v]}:
            est = [judge.estimate(b, name) for b in self.blocks]
            self._need[name] = (np.array([e.expected_kwh if e else np.nan for e in est]),
                                np.array([e.conservative_kwh if e else np.nan for e in est]))
        self._left_cache: dict[tuple[str, tuple[str, ...]], float | None] = {}
        self._rows: dict[tuple[str, tuple[str, ...], bool], np.ndarray] = {}
        self._rows_by_id: dict[tuple[int, bool], tuple[list[DayBlock], np.ndarray]] = {}
        classes = {judge.types[judge.vehicles[v].vehicle_type].vehicle_class for v in self.vehicle_ids} - {None}
        self._class_ok = {c: np.array([b.vehicle_class in (None, c) for b in self.blocks], dtype=bool)
                          for c in classes}
        self.exact_result = None
        self.prev_by_index = {bi: self.previous[b.block_id] for bi, b in enumerate(self.blocks)
                              if b.block_id in self.previous}
        self.recoverable = self._recoverable()

    # -- the full rule ---------------------------------------------------------------------------
    def _left(self, vid: str, chain: list[DayBlock]) -> float | None:
        """SoC % the chain leaves (after its last block), cached per chain."""
        key = (vid, tuple(b.block_id for b in chain))
        if key not in self._left_cache:
            self._left_cache[key] = self.judge.judge(vid, chain[-1], chain).end_soc_pct
        return self._left_cache[key]

    def _chain_ok(self, vid: str, chain: list[DayBlock], new: DayBlock) -> Viability | None:
        """The new block's viability if it and every later block of the chain stay ok, else None."""
        v = self.judge.judge(vid, new, chain)
        if v.status != "ok":
            return None
        for b in chain:
            if b.start_at > new.start_at and self.judge.judge(vid, b, chain).status != "ok":
                return None
        return v

    def _take(self, plan: _Plan, vid: str, bi: int) -> bool:
        block = self.blocks[bi]
        chain = sorted([*plan.chains[vid], block], key=lambda b: b.start_at)
        v = self._chain_ok(vid, chain, block)
        if v is None:
            return False
        plan.chains[vid] = chain
        plan.chosen[bi] = (vid, v)
        return True

    # -- the vectorised rule ---------------------------------------------------------------------
    def _feasible(self, plan: _Plan, open_idx: list[int]) -> np.ndarray:
        """Vehicles x open blocks: could the vehicle take the block on top of its chain?"""
        if not open_idx or not self.vehicle_ids:
            return np.zeros((len(self.vehicle_ids), len(open_idx)), dtype=bool)
        idx = np.asarray(open_idx)
        return np.vstack([self._row(v, plan.chains[v])[idx] for v in self.vehicle_ids])

    def _row(self, vid: str, chain: list[DayBlock], energy: bool = True) -> np.ndarray:
        """Over all blocks, for this vehicle with this chain; cached, so a row is only recomputed when the
        vehicle's chain changes (and the empty-chain rows are shared by every construction)."""
        fast = self._rows_by_id.get((id(chain), energy))
        if fast is not None and fast[0] is chain:  # chains are replaced, never changed in place
            return fast[1]
        key = (vid, tuple(b.block_id for b in chain), energy)
        row = self._rows.get(key)
        if row is not None:
            self._rows_by_id[(id(chain), energy)] = (chain, row)
            return row
        j = self.judge
        vtype = j.types[j.vehicles[vid].vehicle_type]
        if energy:
            row = self._row(vid, chain, energy=False).copy()
            if vtype.is_electric and row.any():
                idx = np.nonzero(row)[0]  # the energy rule only where time and class allow
                row[idx] &= self._energy_ok(vid, chain, idx)
        else:
            row = (self._class_ok[vtype.vehicle_class].copy() if vtype.vehicle_class
                   else np.ones(len(self.blocks), bool))
            turn_h = self.turn.total_seconds() / 3600
            for b in chain:
                row &= ~((self.starts < _hours(b.end_at, j.now) + turn_h)
                         & (self.ends > _hours(b.start_at, j.now) - turn_h))
        self._rows[key] = row
        self._rows_by_id[(id(chain), energy)] = (chain, row)  # holding `chain` keeps its id from being reused
        return row

    def _energy_ok(self, vid: str, chain: list[DayBlock], open_idx: list[int] | np.ndarray) -> np.ndarray:
        j = self.judge
        vehicle = j.vehicles[vid]
        vtype = j.types[vehicle.vehicle_type]
        th = j._thresholds[vehicle.vehicle_type]
        reading = j.readings.get(vid)
        if reading is None or j.now - reading.measured_at > th.stale_after:
            return np.zeros(len(open_idx), dtype=bool)
        exp_all, p90_all = self._need[vehicle.vehicle_type]
        exp, p90 = exp_all[open_idx], p90_all[open_idx]
        usable = vtype.usable_kwh or 1.0
        curve = j._curves.get(vehicle.vehicle_type)
        starts = self.starts[open_idx]
        if chain:
            last = chain[-1]
            left = self._left(vid, chain)
            if left is None:
                return np.zeros(len(open_idx), dtype=bool)
            since, soc0, plugged = _hours(last.end_at, j.now), left, True
            after = starts >= _hours(last.end_at, j.now)
        else:
            since, soc0, plugged = _hours(reading.measured_at, j.now), reading.soc_pct, bool(reading.plugged_in)
            after = np.ones(len(open_idx), dtype=bool)
        ready = np.full(len(open_idx), soc0, dtype=float)
        if plugged and curve is not None:
            charged = curve.soc_after(np.full(len(open_idx), max(soc0, 0.0) / 100), starts - since) * 100
            ready = np.where(after, charged, soc0)  # before or between its blocks: what the chain leaves
        with np.errstate(invalid="ignore"):
            return ((ready - 100 * exp / usable >= th.reserve_pct + th.marginal_band_pct)
                    & (ready - 100 * p90 / usable >= th.reserve_pct) & ~np.isnan(exp))

    # -- constructions ---------------------------------------------------------------------------
    def _rounds(self, plan: _Plan, only: set[str] | None = None) -> None:
        from scipy.optimize import linear_sum_assignment

        refused: set[tuple[int, int]] = set()
        ev = np.array([self.is_ev[v] for v in self.vehicle_ids])
        for _ in range(MAX_ROUNDS):
            open_idx = [i for i in range(len(self.blocks)) if i not in plan.chosen]
            if not open_idx:
                return
            ok = self._feasible(plan, open_idx)
            if only is not None:
                ok &= np.array([v in only for v in self.vehicle_ids], dtype=bool).reshape(-1, 1)
            for r, i in refused:
                if i in open_idx:
                    ok[r, open_idx.index(i)] = False
            if not ok.any():
                return
            # earliest-ending blocks first leaves the most room for more blocks (interval scheduling)
            # and a block no EV could run even fully charged goes to a non-EV first (DESIGN §12b, issue 16)
            only = ~ev[:, None] & ~self.recoverable[open_idx][None, :]
            # (no preference for last time's vehicle here: the constructions pose the same problem on the
            # same day, and stability comes from relinking last time's plan, see solve)
            gain = (W_COVER + W_EV * ev[:, None] + W_ONLY * only
                    - 10 * self.ends[open_idx][None, :])
            rows, cols = linear_sum_assignment(np.where(ok, -gain, 0.0))
            progress = False
            for r, c in zip(rows, cols, strict=True):
                if ok[r, c]:
                    if self._take(plan, self.vehicle_ids[r], open_idx[c]):
                        progress = True
                    else:  # the vectorised rule was too kind: the full rule decides
                        refused.add((r, open_idx[c]))
            if not progress and not refused:
                return

    def _ev_greedy(self, plan: _Plan) -> None:
        """In departure order, the EV with the least charge that can still run the block (SimBA-style best
        fit), so charge is kept for the blocks that need it. The rounds then cover the rest."""
        evs = [v for v in self.vehicle_ids if self.is_ev[v]]
        if not evs:
            return
        rows = np.vstack([self._row(v, plan.chains[v]) for v in evs])
        turn_h = self.turn.total_seconds() / 3600
        for bi in range(len(self.blocks)):
            candidates = np.nonzero(rows[:, bi])[0]
            if not len(candidates):
                continue
            charge = [self._charge(evs[i], plan.chains[evs[i]]) for i in candidates]
            for k in np.argsort(charge, kind="stable"):
                i = candidates[k]
                if self._take(plan, evs[i], bi):
                    # it is busy now; its charge is re-checked by the full rule at each later take
                    b = self.blocks[bi]
                    rows[i] &= ~((self.starts < _hours(b.end_at, self.judge.now) + turn_h)
                                 & (self.ends > _hours(b.start_at, self.judge.now) - turn_h))
                    break

    def _greedy(self, plan: _Plan) -> None:
        """The plain earliest-start greedy of DESIGN §12b (bench/greedy.py): in departure order, the free EV
        with the lowest SoC at pull-out that is still ok, else the first free non-EV. Small days only (it
        judges every pair in full); finishing it can only add, so the result is never below it."""
        turn = self.turn
        for bi, block in enumerate(self.blocks):
            best: tuple[float, str, Viability] | None = None
            for v in self.vehicle_ids:
                chain = plan.chains[v]
                if not self.is_ev[v] or (chain and chain[-1].end_at + turn > block.start_at):
                    continue
                verdict = self.judge.judge(v, block, [*chain, block])
                if verdict.status == "ok" and verdict.readiness and verdict.readiness.soc_pct is not None:
                    if best is None or (verdict.readiness.soc_pct, v) < best[:2]:
                        best = (verdict.readiness.soc_pct, v, verdict)
            if best is not None and self._take(plan, best[1], bi):
                continue
            for v in self.vehicle_ids:
                chain = plan.chains[v]
                if not self.is_ev[v] and not (chain and chain[-1].end_at + turn > block.start_at) \
                        and self._take(plan, v, bi):
                    break

    def _charge(self, vid: str, chain: list[DayBlock]) -> float:
        if chain:
            return self._left(vid, chain) or 0.0
        reading = self.judge.readings.get(vid)
        return reading.soc_pct if reading else 0.0

    def _seed_chains(self, plan: _Plan, only_ev: bool = False) -> None:
        """The vehicle-scheduling assignment for vehicles with nothing yet, then cut to viability."""
        from scipy.optimize import linear_sum_assignment

        free = [v for v in self.vehicle_ids if not plan.chains[v] and (self.is_ev[v] or not only_ev)]
        nb, nv = len(self.blocks), len(free)
        if not nb or not nv:
            return
        n = nv + nb
        cost = np.zeros((n, n))
        turn_h = self.turn.total_seconds() / 3600
        start_ok = self._feasible(_Plan({v: [] for v in self.vehicle_ids}), list(range(nb)))
        rows_of = {v: self.vehicle_ids.index(v) for v in free}
        for r, v in enumerate(free):
            cost[r, :nb] = np.where(start_ok[rows_of[v]], -(W_COVER + W_EV * self.is_ev[v]), 1e12)
            cost[r, nb:] = 0.0
        link = self.starts[None, :] >= self.ends[:, None] + turn_h
        cost[nv:, :nb] = np.where(link, -(W_COVER - (self.starts[None, :] - self.ends[:, None])), 1e12)
        cost[nv + np.arange(nb), np.arange(nb)] = 0.0  # a block left out
        cost[nv:, nb:] = 0.0  # a block ends its chain
        rows, cols = linear_sum_assignment(cost)
        succ = {int(r): int(c) for r, c in zip(rows, cols, strict=True)}
        for r, v in enumerate(free):
            row, c = r, succ[r]
            while c < nb and cost[row, c] < 1e12:
                if not self._take(plan, v, c):
                    break  # cut: the rest of the chain is left to the rounds
                row, c = nv + c, succ[nv + c]

    def _why_not(self, plan: _Plan, bi: int) -> Callable[[str], str | None]:
        """Why a vehicle is not on block `bi`, from the cached rows (None: it could run it)."""
        block = self.blocks[bi]
        j = self.judge

        def why(vid: str) -> str | None:
            chain = plan.chains[vid]
            if any(b is block for b in chain):
                chain = [b for b in chain if b is not block]
            if not self._row(vid, chain, energy=False)[bi]:
                vclass = j.types[j.vehicles[vid].vehicle_type].vehicle_class
                return "class_mismatch" if block.vehicle_class not in (None, vclass) else "overlaps_block"
            reading = j.readings.get(vid)
            if reading is None:
                return "soc_missing"
            if j.now - reading.measured_at > j._thresholds[j.vehicles[vid].vehicle_type].stale_after:
                return "soc_stale"
            return None if self._row(vid, chain)[bi] else "soc_below_reserve"

        return why

    def _exact(self) -> _Plan | None:
        """The MILP's plan for a small day, if it proves an optimum and every pair passes the full rule."""
        from depotdispatch.domain.exact import solve_exact

        # without `previous`: the same day poses the same problem, so it gets the same answer (stability
        # comes from relinking, not from the objective)
        result = solve_exact(self.judge, self.blocks, self.vehicle_ids, self.fixed, {})
        self.exact_result = result
        if result is None:
            return None
        chosen = result.chosen
        plan = _Plan({v: list(self.fixed[v]) for v in self.vehicle_ids})
        for bi in sorted(chosen, key=lambda i: (self.blocks[i].start_at, i)):
            if not self._take(plan, chosen[bi], bi):
                return None  # the stricter model and the full rule disagree: trust the other plans
        return plan

    def _upgrade(self, plan: _Plan) -> None:
        j = self.judge
        evs = [v for v in self.vehicle_ids if self.is_ev[v]]
        for _ in range(3):
            moved = False
            for bi in sorted(plan.chosen, key=lambda i: (self.blocks[i].start_at, self.blocks[i].block_id)):
                vid, _ = plan.chosen[bi]
                if self.is_ev[vid]:
                    continue
                block = self.blocks[bi]
                for ev in evs:
                    # busy then or the wrong class; on a big day also the (approximate) energy rule, for speed
                    if not self._row(ev, plan.chains[ev], energy=len(self.blocks) > BIG_DAY)[bi]:
                        continue
                    chain = sorted([*plan.chains[ev], block], key=lambda b: b.start_at)
                    v = self._chain_ok(ev, chain, block)
                    if v is None:
                        continue
                    plan.chains[vid] = [b for b in plan.chains[vid] if b is not block]
                    plan.chains[ev] = chain
                    plan.chosen[bi] = (ev, v)
                    for i, (cv, _) in list(plan.chosen.items()):
                        if cv == ev and i != bi:
                            plan.chosen[i] = (ev, j.judge(ev, self.blocks[i], chain))
                    for i in range(len(self.blocks)):  # the freed vehicle takes a block nobody covers
                        if i not in plan.chosen and self._take(plan, vid, i):
                            break
                    moved = True
                    break
            if not moved:
                return

    def _recoverable(self) -> np.ndarray:
        """Per block: could some available EV run it on a full charge (so it is the one to leave uncovered
        when something must be: a reading or a charge away from covered)?"""
        out = np.zeros(len(self.blocks), dtype=bool)
        j = self.judge
        for v in self.vehicle_ids:
            if not self.is_ev[v]:
                continue
            vtype = j.types[j.vehicles[v].vehicle_type]
            th = j._thresholds[vtype.name]
            exp, p90 = self._need[vtype.name]
            usable = vtype.usable_kwh or 1.0
            cls = self._class_ok[vtype.vehicle_class] if vtype.vehicle_class else True
            with np.errstate(invalid="ignore"):
                out |= cls & (100 - 100 * exp / usable >= th.reserve_pct + th.marginal_band_pct) \
                    & (100 - 100 * p90 / usable >= th.reserve_pct)
        return out

    def _construct(self, name: str) -> _Plan:
        plan = _Plan({v: list(self.fixed[v]) for v in self.vehicle_ids})
        if name == "previous":  # last time's proposals that still hold: repair only what broke
            for bi, block in enumerate(self.blocks):
                vid = self.previous.get(block.block_id)
                if vid in plan.chains:
                    self._take(plan, vid, bi)
        if name in ("chains", "evchains"):
            self._seed_chains(plan, only_ev=name == "evchains")
        if name == "evfirst":
            self._rounds(plan, {v for v in self.vehicle_ids if self.is_ev[v]})
        if name == "evgreedy":
            self._ev_greedy(plan)
        if name == "greedy":
            self._greedy(plan)
        self._finish(plan)
        return plan

    def _finish(self, plan: _Plan) -> None:
        """Rounds and upgrades until neither changes anything: a finished plan, re-finished (as last time's
        proposals are on an unchanged day), stays as it is."""
        for _ in range(MAX_ROUNDS):
            before = plan.as_map()
            self._rounds(plan)
            self._upgrade(plan)
            if plan.as_map() == before:
                return

    def _from_map(self, m: dict[int, str]) -> _Plan:
        """A plan from block -> vehicle, each pair through the full rule (what fails is left out), then
        finished like any construction."""
        plan = _Plan({v: list(self.fixed[v]) for v in self.vehicle_ids})
        for bi in sorted(m, key=lambda i: (self.blocks[i].start_at, i)):
            self._take(plan, m[bi], bi)
        self._finish(plan)
        return plan

    def solve(self) -> Recommendation:
        results = []
        # On a big day every construction costs ~0.1 s; the EV-chains one won every big benchmark day.
        portfolio = CONSTRUCTIONS if len(self.blocks) <= BIG_DAY else ("evchains", "evgreedy")
        for name in portfolio:
            results.append((name, self._construct(name)))
        exact = self._exact()
        if exact is not None:
            self._finish(exact)
            results.append(("exact", exact))
        name, plan = max(results, key=lambda x: (x[1].score(self)[:2], x[1].score(self)[3:], x[0] == "rounds"))
        plan = self._from_map(plan.as_map())  # finished again, so that re-running on it changes nothing
        if self.previous:
            repaired = self._construct("previous")
            repaired_score = repaired.score(self)[:2]
            target = plan.score(self)[:2]
            if repaired.score(self)[:2] < target:  # move towards the better plan with the fewest changes

                def goal(m: dict[int, str]) -> bool:
                    return (len(m), sum(1 for v in m.values() if self.is_ev[v])) >= target

                linked = self._from_map(relink(repaired.as_map(), plan.as_map(), self.is_ev.__getitem__, goal))
                if linked.score(self) > repaired.score(self):
                    repaired, name = linked, f"previous+{name}"
            if repaired.score(self) >= plan.score(self):
                plan = repaired
                name = name if name.startswith("previous+") else "previous"
        out = Recommendation(construction=name)
        if self.previous:
            out.repaired = repaired_score
        out.changes = [] if not self.previous else [Change(self.blocks[bi].block_id, self.prev_by_index.get(bi), vid)
                       for bi in range(len(self.blocks))
                       if (vid := plan.chosen[bi][0] if bi in plan.chosen else None) != self.prev_by_index.get(bi)]
        x = self.exact_result
        if x is not None:
            score = plan.score(self)
            proved = x.proved or (score[0], score[1]) >= (x.covered_bound, x.ev_bound)
            out.optimality = Optimality(proved, max(x.covered_bound, score[0]), max(x.ev_bound, score[1])
                                        if x.covered_bound <= score[0] else x.ev_bound)
        for bi, (vid, v) in sorted(plan.chosen.items()):
            text = explain_proposal(self.judge, vid, self.blocks[bi], v, plan.chains, self.vehicle_ids,
                                    self._why_not(plan, bi))
            if not self.is_ev[vid] and not self.recoverable[bi]:
                text += "; only a non-EV can run it (no EV could, even fully charged), so it goes first"
            out.proposals.append(Proposal(self.blocks[bi].block_id, vid, text, v))
        for bi in range(len(self.blocks)):
            if bi not in plan.chosen:
                text = explain_uncovered(self.judge, self.blocks[bi], plan.chains, self.vehicle_ids,
                                         self._why_not(plan, bi))
                if self.recoverable[bi]:
                    text += ("; left uncovered rather than a block only a non-EV can run: an EV could run it "
                             "once charged or read")
                out.uncovered.append(Uncovered(self.blocks[bi].block_id, text))
        return out
