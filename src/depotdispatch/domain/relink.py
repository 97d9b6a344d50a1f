"""Stability: reach a better plan from the current one with as few changed blocks as possible.

A plan here is block -> vehicle. Walking from `start` (last time's proposals, repaired) to `target`
(a plan that covers more, or more with EVs) one vehicle at a time: the vehicle takes its target chain,
whoever had those blocks loses them, and what it ran before and no longer runs is left uncovered. After
every vehicle has moved the walk is at `target`, so some prefix of the walk reaches the target's score;
vehicles that buy the most per changed block go first (path relinking). Each step only ever gives a
vehicle a part of a chain it already had (start or target), so the intermediate plans are viable except
where a dropped first block mattered; the recommendation re-checks each with the full rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def _chains(plan: Mapping[int, str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for b, v in plan.items():
        out.setdefault(v, set()).add(b)
    return out


def changed(plan: Mapping[int, str], previous: Mapping[int, str]) -> int:
    """Blocks whose vehicle differs (covered by one and not the other counts)."""
    return sum(1 for b in set(plan) | set(previous) if plan.get(b) != previous.get(b))


def relink(start: Mapping[int, str], target: Mapping[int, str], is_ev: Callable[[str], bool],
           goal: Callable[[Mapping[int, str]], bool]) -> dict[int, str]:
    """The first plan on the walk from `start` to `target` that meets `goal` (`target` itself at worst)."""
    plan = dict(start)
    if goal(plan):
        return plan
    now = _chains(plan)
    tchains = _chains(target)
    movers = sorted(v for v in set(now) | set(tchains) if now.get(v, set()) != tchains.get(v, set()))

    def gain(v: str) -> tuple[int, int, int]:
        mine, new = now.get(v, set()), tchains.get(v, set())
        touched = mine | new
        covered = len(new) - sum(1 for b in touched if b in plan)
        ev = (len(new) if is_ev(v) else 0) - sum(1 for b in touched if b in plan and is_ev(plan[b]))
        moved = sum(1 for b in new if plan.get(b) != v) + len(mine - new)
        return covered, ev, -moved

    while movers:
        best = max(movers, key=lambda v: (gain(v), v))
        movers.remove(best)
        for b in now.pop(best, set()):
            del plan[b]
        for b in tchains.get(best, set()):
            if b in plan:
                now[plan[b]].discard(b)
            plan[b] = best
        now[best] = set(tchains.get(best, set()))
        if goal(plan):
            return plan
    return dict(target)
