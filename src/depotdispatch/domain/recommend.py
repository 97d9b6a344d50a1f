"""The recommendation: an advisory plan for the open blocks of a day (DESIGN §12b).

In parts: `feasibility.py` says who can run what (the full rule per pair, the vectorised rule over
all blocks), `constructions.py` holds the constructions and the portfolio (a list of strategies),
`exact.py` the MILP for small days, `relink.py` the walk towards a better plan with the fewest
changes, `objective.py` the one set of weights. Here: run the portfolio (and the exact model when the
day is small enough for it), keep the best by `Feasibility.score` (more blocks covered, then more by
EVs, ...), then, with `previous`, repair last time's proposals and relink them towards the best plan
only as far as needed to reach its coverage; explain each proposal and each block left uncovered.

Charging (DESIGN §12a): while building chains a vehicle charges between its blocks on what the depot's
charging plan of the current assignments leaves free, allowances and minimum dwell included (the
`FleetJudge.charging` seam, domain/depot_charging.py); the proposals do not yet compete for connectors
there. So the chosen plan is then checked against the charging plan that accepting it would give, and
what that cannot charge in time is repaired or dropped, with why (domain/charging_fit.py).

Every proposal is checked with the full viability rule (`FleetJudge.judge`) and is `ok`; the vectorised
rule only narrows the search. Chaining with batteries is NP-hard (the E-VSP): above the exact model's
size this is fast, not provably optimal; bench/recommend.py measures the gap to an independent MIP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging_fit import fit_to_charging, greedy_on_charging
from depotdispatch.domain.constructions import (
    construct,
    displace,
    eject,
    finish,
    from_map,
    portfolio,
    repair_previous,
)
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.exact import ExactResult, solve_exact
from depotdispatch.domain.explain import by_charge, explain_proposal, explain_uncovered, why_left
from depotdispatch.domain.feasibility import Feasibility, Plan
from depotdispatch.domain.recommendation import (
    Change,
    Optimality,
    Proposal,
    Recommendation,
    Uncovered,
    fresh,
    is_below,
    is_better,
    plan_of,
)
from depotdispatch.domain.relink import prefix, walk, worth_it

CHARGING_PASSES = 2  # fresh solves again from what the charging check kept (`solve`)
MAX_FLOOR_PASSES = 3  # re-solves from the greedy's plan on connector days it is below (`_floored`)
MAX_FLOOR_STEPS = 4  # steps of each walk towards the greedy checked with the charging plan (`_floored_resolve`)
MAX_RELINK_TRIES = 3  # steps of the walk checked with the full rule (each is a full re-take and finish)


class Recommender:
    def __init__(self, judge: FleetJudge, open_blocks: Sequence[DayBlock],
                 vehicle_blocks: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str] | None = None) -> None:
        """`vehicle_blocks`: what the plan already gives each vehicle (kept as it is).
        `previous`: block_id -> vehicle_id of the last proposal, preferred when as good."""
        self.f = Feasibility(judge, open_blocks, vehicle_blocks, previous)
        self._vehicle_blocks = vehicle_blocks
        self.judge, self.blocks, self.vehicle_ids = judge, self.f.blocks, self.f.vehicle_ids
        self.recoverable = self.f.recoverable
        self.exact_result: ExactResult | None = None
        self.resolve_result: ExactResult | None = None  # the lexicographic re-solve (with `previous`)
        self.fewest_changes = False  # ... proved no plan of the optimum's coverage changes fewer blocks
        # the plain greedy on these connectors, made once and shared with the re-solves of `_again` (it does not
        # depend on `previous`): a 1-list when made, its one entry None where it does not run
        self._floor_memo: list[tuple[dict[str, str], tuple[int, int]] | None] = []

    def _exact(self, incumbent: Plan, previous: Mapping[str, str] | None = None) -> Plan | None:
        """The MILP's plan for a small day, if every pair passes the full rule. Each solve's plan, broken
        EV blocks dropped, is finished by the constructions: when that reaches the bound it is proved.
        Without `previous` the same day poses the same problem, so it gets the same answer; with it the
        objective's third level is the fewest changes against it (objective.keep)."""
        f = self.f

        def repair(chosen: dict[int, str]) -> dict[int, str]:
            return from_map(f, chosen).as_map()

        result = solve_exact(self.judge, f.blocks, f.vehicle_ids, f.fixed, previous or {},
                             repair=repair, incumbent=incumbent.as_map(), hard=[not r for r in f.recoverable])
        if previous is None:
            self.exact_result = result
        else:
            self.resolve_result = result
        if result is None:
            return None
        plan = f.new_plan()
        for bi in sorted(result.chosen, key=lambda i: (f.blocks[i].pull_out, i)):
            if not f.take(plan, result.chosen[bi], bi):
                return None  # the stricter model and the full rule disagree: trust the other plans
        finish(f, plan)
        return plan

    def _best(self) -> tuple[str, Plan, list[tuple[str, Plan]]]:
        """The best plan of the portfolio (and the exact model), and all of them (re-solves with `previous`
        walk towards each)."""
        f = self.f
        results = portfolio(f)
        scores = [f.score(p) for _, p in results]  # each plan's, once (a score walks the whole plan)
        exact = self._exact(results[max(range(len(results)), key=lambda i: scores[i])][1])
        if exact is not None:
            results.append(("exact", exact))
            scores.append(f.score(exact))
        # DESIGN §12b: never fewer blocks, nor fewer with EVs, than the plain greedy (where it runs): only
        # plans at or above it on both counts are candidates (the greedy's own plan always is), so a plan
        # with more blocks but fewer on EVs than the greedy cannot win on the first level alone
        floor = max((scores[i][:2] for i, (n, _) in enumerate(results) if n == "greedy"), default=(0, 0))
        fit = [i for i in range(len(results)) if not is_below(scores[i][:2], floor)]
        name, plan = results[max(fit, key=lambda i: (scores[i][:2], scores[i][3:], results[i][0] == "rounds"))]
        return name, from_map(f, plan.as_map()), results  # finished again: re-running on it changes nothing

    def _keep_previous(self, name: str, plan: Plan, results: Sequence[tuple[str, Plan]]
                       ) -> tuple[str, Plan, tuple[int, int, int]]:
        """Last time's proposals that still hold, gaps filled; then, only where a gain is worth its changed
        blocks (relink.worth_it: large moves only to cover more), a block in the way moved elsewhere
        (`eject`) or a step of a walk towards one of the portfolio's plans. Never below the plain greedy's
        score (small days, where it runs)."""
        f = self.f
        floor = max((f.score(p)[:2] for n, p in results if n == "greedy"), default=(0, 0))
        repaired = construct(f, repair_previous)
        c, e, d = f.score(repaired)[:3]
        repaired_score = (c, e, -d)
        kept = "previous"
        if (c, e) < f.score(plan)[:2]:
            # a block in the way moved elsewhere, or every block in the way re-placed anywhere: the better plan
            # (eject's on a tie), if its gain is worth its changes
            moved = []
            for how, move in (("eject", eject), ("displace", displace)):
                trial = repaired.copy()
                move(f, trial)
                finish(f, trial)
                moved.append((f.score(trial), how, trial))
            for _, how, trial in sorted(moved, key=lambda m: m[0], reverse=True):
                if self._worth(trial, repaired, floor):
                    repaired, kept = trial, f"previous+{how}"
                    break
        if f.score(repaired)[:2] < f.score(plan)[:2] or is_below(f.score(repaired)[:2], floor):
            linked = self._relinked(repaired, [(name, plan), *results], floor)
            if linked is not None:
                repaired, kept = linked[1], f"previous+{linked[0]}"
        if is_below(f.score(repaired)[:2], floor) and not is_below(f.score(plan)[:2], floor):
            repaired, kept = plan, name  # never below the plain greedy (DESIGN §12b), whatever it changes
        x = self.exact_result
        if x is not None and (x.proved or f.score(plan)[:2] >= (x.covered_bound, x.ev_bound)):
            # a day the exact mode proves: the re-solve is lexicographic, the fewest changes third (at the
            # proved optimum, so an unchanged day keeps last time's plan, which reaches it)
            optimum = (*f.score(plan)[:2], 0)
            self.fewest_changes = self._lexicographic(repaired) == optimum
            if not self.fewest_changes:
                exact = self._exact(repaired, f.previous)
                if exact is not None:
                    # a tie on the three levels goes on by the score's next ones (the recoverable blocks left
                    # uncovered, item 4, which the MILP weighs too but does not prove; then the margin)
                    if f.score(exact) > f.score(repaired):
                        repaired, kept = exact, "previous+exact"
                    y = self.resolve_result
                    self.fewest_changes = bool(y and y.proved) and (
                        self._lexicographic(repaired) >= self._lexicographic(exact))
        return kept, repaired, repaired_score

    def _lexicographic(self, plan: Plan) -> tuple[int, int, int]:
        """(covered, EV-covered, minus the changes against last time's proposals)."""
        return self.f.score(plan)[:3]

    def _worth(self, new: Plan, kept: Plan, floor: tuple[int, int]) -> bool:
        f = self.f
        (c, e, d), (c0, e0, d0) = f.score(new)[:3], f.score(kept)[:3]
        if is_below((c0, e0), floor):  # below the greedy: whatever it takes to reach it, fewest changes first
            return (c, e) > (c0, e0)
        return worth_it(c - c0, e - e0, d0 - d)  # score's third entry is minus the changes

    def _relinked(self, kept: Plan, targets: Sequence[tuple[str, Plan]], floor: tuple[int, int]
                  ) -> tuple[str, Plan] | None:
        """The best step, over the walks from `kept` towards each target, whose gain is worth its changes (by
        counts), checked with the full rule and finished; the next best when that no longer is (a few)."""
        f = self.f
        start, is_ev = kept.as_map(), f.is_ev.__getitem__
        c0, e0, _ = f.score(kept)[:3]
        below = is_below((c0, e0), floor)
        steps = []
        for t, (name, plan) in enumerate(targets):
            if (is_below(f.score(plan)[:2], floor) if below else f.score(plan)[:2] <= (c0, e0)):
                continue
            scores = walk(start, plan.as_map(), is_ev, f.prev_by_index)
            d0 = scores[0][2]
            steps += [(c, e, -d, -i, -t, name) for i, (c, e, d) in enumerate(scores)
                      if (not is_below((c, e), floor) if below else worth_it(c - c0, e - e0, d - d0))]
        for _, _, _, i, t, name in sorted(steps, reverse=True)[:MAX_RELINK_TRIES]:
            linked = from_map(f, prefix(start, targets[-t][1].as_map(), is_ev, -i))
            if self._worth(linked, kept, floor):
                return name, linked
        return None

    def solve(self) -> Recommendation:
        out, untouched = self._solve()
        if self.f.previous:
            return self._floored_resolve(out)
        if not untouched:
            # fewer connectors than buses and the charging check dropped or moved proposals: solve again from what
            # it kept, as a re-solve with last time's plan does, so an unchanged day re-solved keeps this answer
            # (AUDIT A16-11); taken only when better on both counts (DESIGN §12b), the bound stays this solve's
            for _ in range(CHARGING_PASSES):
                again, untouched = self._again(plan_of(out))._solve()
                if not is_better(self._counts(again), self._counts(out)):
                    break
                out = fresh(again, f"{out.construction.split('+charging')[0]}+charging")
                if untouched:
                    break
        return self._floored(out)

    def _counts(self, rec: Recommendation) -> tuple[int, int]:
        return len(rec.proposals), sum(1 for p in rec.proposals if self.f.is_ev[p.vehicle_id])

    def _again(self, previous: Mapping[str, str]) -> Recommender:
        """This day re-solved with `previous`, sharing the plain greedy on these connectors."""
        again = Recommender(self.judge, self.blocks, self._vehicle_blocks, previous)
        again._floor_memo = self._floor_memo
        return again

    def _charging_floor(self) -> tuple[dict[str, str], tuple[int, int]] | None:
        """The plain greedy on these connectors and its counts (None where it does not run: charging_fit.py)."""
        if not self._floor_memo:
            f = self.f
            greedy = greedy_on_charging(self.judge, f.fixed, f.blocks, f.vehicle_ids)
            self._floor_memo.append(None if greedy is None else
                                    (greedy, (len(greedy), sum(1 for v in greedy.values() if f.is_ev[v]))))
        return self._floor_memo[0]

    def _floored(self, out: Recommendation) -> Recommendation:
        """Never below the plain greedy on these connectors (DESIGN §12b): the chains were built as if each bus
        had a charger, and what the charging check then dropped can leave the plan below a greedy that shared
        the connectors from the start (about 1 day in 18 of tests/unit/test_recommend_connectors.py's). Then, or
        when this answer is not proved best, the greedy's plan improved by re-solves from it (each never below
        it; taken unless below, or not better on both counts when not below) until one changes nothing: so that
        an unchanged day re-solved with this answer keeps it (A16-11). From the greedy the re-solve reaches what
        the fresh search missed (A16-14: tight 137 of that file, 23/11 -> 24/12, the MIP's optimum)."""
        floor = self._charging_floor()
        if floor is None:
            return out
        below = is_below(self._counts(out), floor[1])
        if not below and out.optimality is not None and out.optimality.proved:
            return out
        again = self._again(floor[0]).solve()
        if not below and not is_better(self._counts(again), self._counts(out)):
            return out
        for _ in range(MAX_FLOOR_PASSES):
            nxt = self._again(plan_of(again)).solve()
            if plan_of(nxt) == plan_of(again):
                break
            again = nxt
        return fresh(again, "greedy+charging")

    def _floored_resolve(self, out: Recommendation) -> Recommendation:
        """A re-solve below the plain greedy on these connectors (DESIGN §12b: a must): the plan with the fewest
        changes that is not below it, of last time's proposals that still hold, the greedy that tries last
        time's vehicle first for each block, the plain greedy (never below it), and the steps of the walks
        from this re-solve's plan towards either greedy (relink.py), a few, fewest changes first."""
        floor = self._charging_floor()
        if floor is None or not is_below(self._counts(out), floor[1]):
            return out
        f = self.f
        assert f.previous is not None
        index = {b.block_id: bi for bi, b in enumerate(f.blocks)}
        kept = f.new_plan()
        repair_previous(f, kept)
        best: Recommendation | None = None

        def consider(name: str, plan: Plan) -> bool:
            nonlocal best
            again, _ = self._settle(name, plan, Recommendation(), alternative=False)
            if is_below(self._counts(again), floor[1]):
                return False
            if best is None or len(again.changes) < len(best.changes):
                best = again
            return True

        consider("floor:previous", kept)
        targets = []
        near = greedy_on_charging(self.judge, f.fixed, f.blocks, f.vehicle_ids, prefer=f.previous)
        for name, greedy in (("floor:previous+greedy", near), ("floor:greedy", floor[0])):
            if greedy is not None:
                target = {index[bid]: vid for bid, vid in greedy.items()}
                plan = f.new_plan()  # as it is, not finished: a block added can cost a greedy one its charging
                for bi in sorted(target):
                    f.take(plan, target[bi], bi)
                consider(name, plan)
                targets.append((name, target))
        start, is_ev = {index[p.block_id]: p.vehicle_id for p in out.proposals}, f.is_ev.__getitem__
        for name, target in targets:
            scores = walk(start, target, is_ev, f.prev_by_index)
            steps = sorted((d, i) for i, (c, e, d) in enumerate(scores) if i and not is_below((c, e), floor[1]))
            for d, i in steps[:MAX_FLOOR_STEPS]:
                if best is not None and d >= len(best.changes):
                    break
                if consider(f"{name}+walk", from_map(f, prefix(start, target, is_ev, i))):
                    break
        return best if best is not None else out  # not reached: the plain greedy's plan holds as it is

    def _solve(self) -> tuple[Recommendation, bool]:
        """The recommendation, and whether the charging check left the chosen plan as it was."""
        f = self.f
        name, plan, results = self._best()
        out = Recommendation()
        if f.previous:
            name, plan, out.repaired = self._keep_previous(name, plan, results)
        return self._settle(name, plan, out)

    def _settle(self, name: str, plan: Plan, out: Recommendation, alternative: bool = True
                ) -> tuple[Recommendation, bool]:
        """`plan` through the charging check, then its changes, optimality and explanations on `out`
        (`alternative`: with `previous`, last time's proposals instead where they do as well after the check)."""
        f = self.f
        out.construction = name
        before = plan.as_map()
        kept = None
        if f.previous and self.judge.chargers is not None and alternative:
            kept = f.new_plan()
            repair_previous(f, kept)  # no gaps filled: a block added there can cost a kept one its charging
        plan, judge, unfit = self._fit_charging(plan)
        untouched = plan.as_map() == before  # the charging check neither dropped nor moved a proposal
        if kept is not None and kept.as_map() != before:
            # what was added to last time's plan gained in the chain model; after the charging check it may not
            # have: then last time's proposals that still hold, checked the same way, with fewer changes (A16-11)
            alt = self._fit_charging(kept)
            if f.score(alt[0])[:3] >= f.score(plan)[:3]:
                (plan, judge, unfit), name = alt, "previous"
                out.construction, untouched = name, alt[0].as_map() == kept.as_map()
        if f.previous:  # against the proposals returned: the charging check may have dropped or moved some
            out.changes = [Change(f.blocks[bi].block_id, f.prev_by_index.get(bi), vid)
                           for bi in range(len(f.blocks))
                           if (vid := plan.chosen[bi][0] if bi in plan.chosen else None) != f.prev_by_index.get(bi)]
        x = self.exact_result
        if x is not None:
            score = f.score(plan)
            # proved only at the bound: the charging check may have given an EV's block to a non-EV (a repair, not
            # a drop) or kept last time's plan below the optimum, and then the MILP's proof is of another plan
            proved = (score[0], score[1]) >= (x.covered_bound, x.ev_bound)
            fewest = None if not f.previous else self.fewest_changes and untouched
            out.optimality = Optimality(proved, max(x.covered_bound, score[0]), max(x.ev_bound, score[1])
                                        if x.covered_bound <= score[0] else x.ev_bound, fewest)
        self._explain(plan, out, judge, unfit)
        return out, untouched

    def _fit_charging(self, plan: Plan) -> tuple[Plan, FleetJudge, dict[int, str]]:
        """The proposals against the depot charging plan that accepting them would give: what it cannot
        charge in time is repaired or dropped (domain/charging_fit.py). Returns the plan, the judge planned
        for it, and block index -> why for what was dropped."""
        f = self.f
        chosen = {f.blocks[bi].block_id: (vid, f.blocks[bi]) for bi, (vid, _) in plan.chosen.items()}
        fit = fit_to_charging(self.judge, f.fixed, chosen, f.vehicle_ids)
        if fit is None:
            return plan, self.judge, {}
        index = {b.block_id: bi for bi, b in enumerate(f.blocks)}
        out = f.new_plan()
        for bid, (vid, v) in fit.kept.items():
            out.chosen[index[bid]] = (vid, v)
            out.set_chain(vid, sorted([*out.chains[vid], f.blocks[index[bid]]], key=lambda b: b.pull_out))
        return out, fit.judge, {index[b]: why for b, why in fit.dropped.items()}

    def _explain(self, plan: Plan, out: Recommendation, judge: FleetJudge, unfit: Mapping[int, str]) -> None:
        f = self.f
        chains = {v: list(c) for v, c in plan.chains.items()}
        codes = f.ev_codes(plan)
        # EV rows in the order the best free EV is looked for in
        charged = np.array([codes[0][v] for v in by_charge(judge, list(codes[0]))], dtype=int)
        for bi, (vid, v) in sorted(plan.chosen.items()):
            # an EV's own proposal rarely needs the others' reasons: asked lazily then
            only_non_ev = not f.is_ev[vid] and not f.recoverable[bi] and f.blocks[bi].distance_km is not None
            why = (f.why_not(plan, bi, codes) if f.is_ev[vid] else None if only_non_ev
                   else f.ev_reasons(plan, bi, codes, charged))
            text = explain_proposal(judge, vid, f.blocks[bi], v, chains, f.vehicle_ids, why,
                                    only_non_ev, f.best_full_charge(bi) if only_non_ev else None)
            out.proposals.append(Proposal(f.blocks[bi].block_id, vid, text, v))
        non_ev_only = any(not f.is_ev[vid] and not f.recoverable[bi] and f.blocks[bi].distance_km is not None
                          for bi, (vid, _) in plan.chosen.items())
        for bi in range(len(f.blocks)):
            if bi not in plan.chosen:
                why_not = f.ev_reasons(plan, bi, codes, charged)
                text = explain_uncovered(judge, f.blocks[bi], chains, f.vehicle_ids, why_not)
                if bi in unfit:
                    text = f"{unfit[bi]}; {text}"
                if f.recoverable[bi]:
                    text += "; " + why_left(judge, f.blocks[bi], chains, f.vehicle_ids, why_not,
                                            non_ev_only_covered=non_ev_only)
                out.uncovered.append(Uncovered(f.blocks[bi].block_id, text))
