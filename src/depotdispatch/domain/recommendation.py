"""What a recommendation answers (DESIGN §12b): the proposals, the blocks left uncovered with why, what the
exact mode proved, the changes against last time's proposals; and the two counts every answer is compared
on (blocks covered, blocks covered by EVs), one rule for the recommender and the re-plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from depotdispatch.domain.viability import Viability


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
    # re-solved with `previous`: no plan of this coverage changes fewer blocks (None without `previous`)
    fewest_changes: bool | None = None


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
    # (covered, EV-covered, changes) of last time's proposals that still hold, gaps filled: what the changes
    # beyond those bought is the difference to this plan's (bounded per block gained: relink.worth_it)
    repaired: tuple[int, int, int] | None = None


def is_better(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """At least as many blocks and as many on EVs, and more of one."""
    return a[0] >= b[0] and a[1] >= b[1] and a != b


def plan_of(rec: Recommendation) -> dict[str, str]:
    return {p.block_id: p.vehicle_id for p in rec.proposals}


def fresh(rec: Recommendation, construction: str) -> Recommendation:
    """A re-solve's answer given as a fresh solve's: no changes against a previous plan (there was none)."""
    rec.changes, rec.repaired, rec.construction = [], None, construction
    if rec.optimality is not None:
        rec.optimality = replace(rec.optimality, fewest_changes=None)
    return rec


def is_below(score: tuple[int, int], floor: tuple[int, int]) -> bool:
    """Fewer blocks covered, or fewer with EVs, than `floor` (the plain greedy's): DESIGN §12b."""
    return score[0] < floor[0] or score[1] < floor[1]
