"""Stability: reach a better plan from the current one with as few changed blocks as possible.

A plan here is block -> vehicle. Walking from `start` (last time's proposals, repaired) to `target`
(a plan that covers more, or more with EVs) one vehicle at a time: the vehicle takes its target chain,
whoever had those blocks loses them, and what it ran before and no longer runs is left uncovered. After
every vehicle has moved the walk is at `target`; vehicles that buy the most per changed block go first
(path relinking). `walk` scores every step of it (covered, EV-covered, changed blocks against last
time's proposals) without building the plans, `prefix` builds one step's plan, and `worth_it` is the
rule of what a gain may cost in changed blocks (DESIGN §12b "stable": large moves only to buy coverage).
Each step only ever gives a vehicle a part of a chain it already had (start or target), so the
intermediate plans are viable except where a dropped first block mattered; the recommendation re-checks
the one it picks with the full rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

# What a gain may cost, in blocks changed beyond what keeping last time's proposals changes: a block
# more covered up to MOVES_PER_COVERED (a missed trip is worth re-planning several buses), a block more
# on an EV (same coverage) up to MOVES_PER_EV (a dispatcher would not reshuffle the yard for it).
MOVES_PER_COVERED = 16
MOVES_PER_EV = 3


def _chains(plan: Mapping[int, str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for b, v in plan.items():
        out.setdefault(v, set()).add(b)
    return out


def changed(plan: Mapping[int, str], previous: Mapping[int, str]) -> int:
    """Blocks whose vehicle differs (covered by one and not the other counts)."""
    return sum(1 for b in set(plan) | set(previous) if plan.get(b) != previous.get(b))


def worth_it(gain_covered: int, gain_ev: int, extra_changes: int) -> bool:
    """May a plan that covers `gain_covered` more blocks and `gain_ev` more EV blocks than the kept one
    change `extra_changes` more blocks? Only for a gain, and at most the bound per block gained."""
    if (gain_covered, gain_ev) <= (0, 0):
        return False
    return extra_changes <= MOVES_PER_COVERED * max(gain_covered, 0) + MOVES_PER_EV * max(gain_ev, 0)


def _steps(start: Mapping[int, str], target: Mapping[int, str], is_ev: Callable[[str], bool]
           ) -> Iterator[tuple[dict[int, str], str, set[int], set[int]]]:
    """The walk: after each step the plan (changed in place), the vehicle that moved, the blocks it gave up
    and the blocks it took."""
    plan = dict(start)
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
        gave = now.pop(best, set())
        for b in gave:
            del plan[b]
        took = set(tchains.get(best, set()))
        for b in took:
            if b in plan:
                now[plan[b]].discard(b)
            plan[b] = best
        now[best] = set(took)
        yield plan, best, gave, took


def walk(start: Mapping[int, str], target: Mapping[int, str], is_ev: Callable[[str], bool],
         previous: Mapping[int, str]) -> list[tuple[int, int, int]]:
    """(covered, EV-covered, changed against `previous`) at the start and after each step, kept up to date
    block by block (the plans themselves are not kept)."""
    plan = dict(start)
    covered, ev = len(plan), sum(1 for v in plan.values() if is_ev(v))
    diff = changed(plan, previous)
    out = [(covered, ev, diff)]
    for now, _, gave, took in _steps(start, target, is_ev):
        for b in gave | took:  # what changed at this step: undo the old state of each block, count the new
            old, new = plan.get(b), now.get(b)
            if old == new:
                continue
            covered += (new is not None) - (old is not None)
            ev += (new is not None and is_ev(new)) - (old is not None and is_ev(old))
            diff += (new != previous.get(b)) - (old != previous.get(b))
            if new is None:
                del plan[b]
            else:
                plan[b] = new
        out.append((covered, ev, diff))
    return out


def prefix(start: Mapping[int, str], target: Mapping[int, str], is_ev: Callable[[str], bool],
           steps: int) -> dict[int, str]:
    """The plan after the first `steps` steps of the walk (0: `start`)."""
    if steps <= 0:
        return dict(start)
    for i, (plan, _, _, _) in enumerate(_steps(start, target, is_ev), 1):
        if i == steps:
            return dict(plan)
    return dict(target)
