"""The recommendation's constructions: plain functions that fill a `Plan` through `Feasibility.take`
(the full rule), and the portfolio, a list of strategies tried in turn (domain/recommend.py picks the
best by `Feasibility.score`).

- *rounds*: each round gives every vehicle at most one more block, in any gap of its chain, by a
  min-cost assignment (scipy's linear_sum_assignment); a vehicle comes back next round with what its
  chain leaves it, recharging at the depot in between as the depot charging seam allows (allowances,
  minimum dwell, connectors the plan of the fixed assignments leaves free: domain/depot_charging.py).
- *chains*: the classic vehicle-scheduling assignment (rows: vehicles and blocks as predecessors;
  columns: blocks as successors and chain ends), exact for the most blocks covered when energy is
  ignored; chains an EV cannot run are cut where they stop being viable, and the rounds cover the rest.
- *evfirst*: the rounds with EVs alone, then with everyone.
- *evchains*: the vehicle-scheduling assignment with EVs alone, then the rounds with everyone.
- *evgreedy*: in departure order the EV with the least charge that can run the block, then the rounds.
- *greedy*: the plain earliest-start greedy (small days), so the result is never below it.
Every plan is finished by `finish`: rounds, then `upgrade` (a block moves from a non-EV to an EV that
can run it on top of its chain, and the freed vehicle takes a block nobody covers), until nothing moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from depotdispatch.domain.feasibility import PULL_OUT, Feasibility, Plan, ids
from depotdispatch.domain.objective import W_COVER, W_EV
from depotdispatch.domain.turnaround import can_follow, clash

MAX_ROUNDS = 12
BIG_DAY = 200  # open blocks: beyond this only the strategies that won every big benchmark day run
W_ONLY = 500.0  # tie-break within a round: a block only a non-EV can run goes to a non-EV first
W_END = 10.0  # ... and earlier-ending blocks first (per hour)
INFEASIBLE = 1e12


def rounds(f: Feasibility, plan: Plan, only: set[str] | None = None) -> None:
    from scipy.optimize import linear_sum_assignment

    refused: set[tuple[int, int]] = set()
    ev = f.ev_mask
    allowed = None if only is None else np.array([v in only for v in f.vehicle_ids], dtype=bool)[:, None]
    for _ in range(MAX_ROUNDS):
        open_idx = [i for i in range(len(f.blocks)) if i not in plan.chosen]
        if not open_idx:
            return
        ok = f.feasible(plan, open_idx)
        if allowed is not None:
            ok &= allowed
        pos = {i: c for c, i in enumerate(open_idx)}
        for r, i in refused:
            if i in pos:
                ok[r, pos[i]] = False
        if not ok.any():
            return
        # earliest-ending blocks first leaves the most room for more blocks (interval scheduling), and a
        # block no EV could run even fully charged goes to a non-EV first (DESIGN §12b, issue 16); no
        # preference for last time's vehicle: stability comes from relinking last time's plan
        only_non_ev = ~ev[:, None] & ~f.recoverable[open_idx][None, :]
        gain = W_COVER + W_EV * ev[:, None] + W_ONLY * only_non_ev - W_END * f.ends[open_idx][None, :]
        rows, cols = linear_sum_assignment(np.where(ok, -gain, 0.0))
        progress = False
        for r, c in zip(rows, cols, strict=True):
            if ok[r, c]:
                if f.take(plan, f.vehicle_ids[r], open_idx[c]):
                    progress = True
                else:  # the vectorised rule was too kind: the full rule decides
                    refused.add((r, open_idx[c]))
        if not progress and not refused:
            return


def ev_greedy(f: Feasibility, plan: Plan) -> None:
    """In departure order, the EV with the least charge that can still run the block (SimBA-style best
    fit), so charge is kept for the blocks that need it. The rounds then cover the rest."""
    evs = [v for v in f.vehicle_ids if f.is_ev[v]]
    if not evs:
        return
    rows = f.matrix(plan, evs)
    # the SoC each EV's chain leaves, kept up to date as it takes blocks (the sort key of every block)
    charge = np.array([f.charge(plan, v) for v in evs])
    took = np.zeros(len(evs), dtype=bool)  # its row's energy is from before its chain grew
    for bi in range(len(f.blocks)):
        candidates = rows[:, bi].nonzero()[0]
        if not len(candidates):
            continue
        for k in charge[candidates].argsort(kind="stable"):
            i = candidates[k]
            if took[i] and not f.may_take(plan, evs[i], bi):
                continue  # a cheap no, instead of the full rule's
            if f.take(plan, evs[i], bi):
                # it is busy now; its charge is re-checked by the full rule at each later take
                rows[i] &= f.clear[bi]
                charge[i], took[i] = f.charge(plan, evs[i]), True
                break


def greedy(f: Feasibility, plan: Plan) -> None:
    """The plain earliest-start greedy of DESIGN §12b (bench/greedy.py): in departure order, the free EV
    with the lowest SoC at pull-out that is still ok, else the first free non-EV. Small days only (it
    judges every pair in full); finishing it can only add, so the result is never below it."""
    def free(v: str, bi: int) -> bool:  # not even a short turnaround with what it already runs
        block = f.blocks[bi]
        return all(clash(b.pull_out, b.pull_in, block.pull_out, block.pull_in, f.turn) is None for b in plan.chains[v])

    for bi, block in enumerate(f.blocks):
        best = None
        for v in f.vehicle_ids:
            if not f.is_ev[v] or not free(v, bi):
                continue
            verdict = f.verdict(v, block, [*plan.chains[v], block])
            if verdict.status == "ok" and verdict.readiness and verdict.readiness.soc_pct is not None:
                if best is None or (verdict.readiness.soc_pct, v) < best:
                    best = (verdict.readiness.soc_pct, v)
        if best is not None and f.take(plan, best[1], bi):
            continue
        for v in f.vehicle_ids:
            if not f.is_ev[v] and free(v, bi) and f.take(plan, v, bi):
                break


def seed_chains(f: Feasibility, plan: Plan, only_ev: bool = False) -> None:
    """The vehicle-scheduling assignment for vehicles with nothing yet, then cut to viability."""
    from scipy.optimize import linear_sum_assignment

    free = [v for v in f.vehicle_ids if not plan.chains[v] and (f.is_ev[v] or not only_ev)]
    nb, nv = len(f.blocks), len(free)
    if not nb or not nv:
        return
    n = nv + nb
    cost = np.zeros((n, n))
    empty = Plan(dict.fromkeys(f.vehicle_ids, ()))
    gain = W_COVER + W_EV * np.array([f.is_ev[v] for v in free], dtype=float)[:, None]
    cost[:nv, :nb] = np.where(f.matrix(empty, free), -gain, INFEASIBLE)
    # block -> next block: a block covered less the idle hours between them, worked out in place (a day's
    # matrix is big): idle - W_COVER is exactly -(W_COVER - idle)
    follow = cost[nv:, :nb]
    np.subtract(f.starts[None, :], f.ends[:, None], out=follow)
    follow -= W_COVER
    follow[~can_follow(f.ends, f.starts, f.turn_h)] = INFEASIBLE
    cost[nv + np.arange(nb), np.arange(nb)] = 0.0  # a block left out
    rows, cols = linear_sum_assignment(cost)
    succ = {int(r): int(c) for r, c in zip(rows, cols, strict=True)}
    for r, v in enumerate(free):
        row, c = r, succ[r]
        while c < nb and cost[row, c] < INFEASIBLE:
            if not (f.may_take(plan, v, c) and f.take(plan, v, c)):
                break  # cut: the rest of the chain is left to the rounds
            row, c = nv + c, succ[nv + c]


def upgrade(f: Feasibility, plan: Plan) -> None:
    evs = [v for v in f.vehicle_ids if f.is_ev[v]]
    if not evs:
        return
    # busy then or the wrong class; on a big day also the (approximate) energy rule, for speed
    energy = len(f.blocks) > BIG_DAY
    rows = f.matrix(plan, evs, energy)
    for _ in range(3):
        moved = False
        for bi in sorted(plan.chosen):  # in departure order: the blocks are
            vid, _ = plan.chosen[bi]
            if f.is_ev[vid]:
                continue
            block = f.blocks[bi]
            for e in rows[:, bi].nonzero()[0]:
                ev = evs[e]
                chain = sorted([*plan.chains[ev], block], key=PULL_OUT)
                key = ids(chain)
                v = f.chain_ok(ev, chain, block, key)
                if v is None:
                    continue
                plan.set_chain(vid, [b for b in plan.chains[vid] if b is not block])
                plan.set_chain(ev, chain, key)
                plan.chosen[bi] = (ev, v)
                rows[e] = f.row(plan, ev, energy)
                f.rejudge(plan, ev)  # its other proposals, with the block before or after them
                for i in range(len(f.blocks)):  # the freed vehicle takes a block nobody covers
                    if i not in plan.chosen and f.take(plan, vid, i):
                        break
                moved = True
                break
        if not moved:
            return


def finish(f: Feasibility, plan: Plan) -> None:
    """Rounds and upgrades until neither changes anything: a finished plan, re-finished (as last time's
    proposals are on an unchanged day), stays as it is."""
    for _ in range(MAX_ROUNDS):
        before = plan.as_map()
        rounds(f, plan)
        upgrade(f, plan)
        if plan.as_map() == before:
            return


def from_map(f: Feasibility, m: Mapping[int, str]) -> Plan:
    """A plan from block -> vehicle, each pair through the full rule (what fails is left out), then
    finished like any construction."""
    plan = f.new_plan()
    for bi in sorted(m, key=lambda i: (f.blocks[i].pull_out, i)):
        f.take(plan, m[bi], bi)
    finish(f, plan)
    return plan


def eject(f: Feasibility, plan: Plan) -> None:
    """For each block nobody covers, in time order: a vehicle with exactly one open block in its way gives
    that one up and takes this one, and the block given up goes to another vehicle. One more block
    covered for two changed ones: how a re-solve regains coverage with the fewest changes."""
    for u in [i for i in range(len(f.blocks)) if i not in plan.chosen]:
        new = f.blocks[u]
        for v in f.vehicle_ids:
            if not f.row(plan, v, energy=False)[u]:
                in_way = [b for b in plan.chains[v] if clash(b.pull_out, b.pull_in, new.pull_out, new.pull_in, f.turn)]
                ways = [f.index.get((b.block_id, b.pull_out)) for b in in_way]
                if len(ways) != 1 or ways[0] is None or ways[0] not in plan.chosen:
                    continue  # more than one block in the way, or an operator's
                w = ways[0]
                trial = plan.copy()
                f.drop(trial, w)
                if f.take(trial, v, u) and any(f.row(trial, o)[w] and f.take(trial, o, w)
                                               for o in f.vehicle_ids if o != v):
                    plan.chains, plan.chosen, plan.keys = trial.chains, trial.chosen, trial.keys
                    break


MAX_DISPLACE_TRIES = 240  # vehicles `displace` tries, each a take and a finish: a work limit


def displace(f: Feasibility, plan: Plan) -> None:
    """For each block nobody covers, in time order: of the vehicles that can take it by giving up every open
    block in its way, the gaps then filled (`finish`), the one whose plan scores best, when that plan covers
    more blocks, or as many with more on EVs. `eject`'s move with any number of blocks in the way, re-placed
    anywhere: how a re-solve after one reading regains the block it lost with a few changes (a 72-block day:
    2, where the walk towards the plain greedy's plan changed 50)."""
    tries = 0
    for u in [i for i in range(len(f.blocks)) if i not in plan.chosen]:
        if u in plan.chosen:  # covered by an earlier move's finish
            continue
        new, base, best = f.blocks[u], f.score(plan), None
        for v in f.vehicle_ids:
            way = [bi for bi, (w, _) in plan.chosen.items()
                   if w == v and clash(f.blocks[bi].pull_out, f.blocks[bi].pull_in, new.pull_out, new.pull_in, f.turn)]
            if not way:  # nothing of the plan's in its way: `finish` already had the chance
                continue
            if tries >= MAX_DISPLACE_TRIES:
                break
            tries += 1
            trial = plan.copy()
            for bi in way:
                f.drop(trial, bi)
            if not f.take(trial, v, u):  # an operator's block in the way, or not ok even so
                continue
            finish(f, trial)
            score = f.score(trial)
            if score[:2] > base[:2] and (best is None or score > best[0]):
                best = (score, trial)
        if best is not None:
            plan.chains, plan.chosen, plan.keys = best[1].chains, best[1].chosen, best[1].keys


def repair_previous(f: Feasibility, plan: Plan) -> None:
    """Last time's proposals that still hold (only what broke is dropped); `finish` fills the gaps."""
    for bi, block in enumerate(f.blocks):
        vid = f.previous.get(block.block_id)
        if vid in plan.chains:
            f.take(plan, vid, bi)


@dataclass(frozen=True)
class Strategy:
    name: str
    build: Callable[[Feasibility, Plan], None]
    big_days: bool = False  # also on days over BIG_DAY open blocks (each costs ~0.1 s there)


def _ev_rounds(f: Feasibility, plan: Plan) -> None:
    rounds(f, plan, {v for v in f.vehicle_ids if f.is_ev[v]})


PORTFOLIO = (
    Strategy("rounds", lambda f, plan: None),
    Strategy("chains", seed_chains),
    Strategy("evfirst", _ev_rounds),
    Strategy("evchains", lambda f, plan: seed_chains(f, plan, only_ev=True), big_days=True),
    Strategy("evgreedy", ev_greedy, big_days=True),
    Strategy("greedy", greedy),
)


def construct(f: Feasibility, build: Callable[[Feasibility, Plan], None]) -> Plan:
    plan = f.new_plan()
    build(f, plan)
    finish(f, plan)
    return plan


def portfolio(f: Feasibility) -> list[tuple[str, Plan]]:
    big = len(f.blocks) > BIG_DAY
    return [(s.name, construct(f, s.build)) for s in PORTFOLIO if s.big_days or not big]
