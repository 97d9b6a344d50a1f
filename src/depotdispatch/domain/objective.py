"""What the recommendation maximises, written once for the constructions, the plan selection
(`Feasibility.score`) and the exact MILP.

Lexicographic (DESIGN §12b, issue 16): blocks covered, then covered by EVs, then the fewest blocks
changed against last time's proposals, then (item 4) the blocks left uncovered are the most recoverable
ones (an EV could run it once charged or read: `Feasibility.recoverable`, the one rule); at equal coverage, leaving
more of them uncovered is covering more of the others, the blocks only a non-EV can run, so that level
is a sum over pairs too (`hard`, W_HARD each). Changes are a sum over pairs: a block kept on last time's
vehicle saves one (`keep` +1), a block moved to another vehicle costs what leaving it uncovered costs
(0), and a block last time left uncovered that is now covered is one more (-1); so over a plan the
keep terms sum to (last time's blocks) - (changes). As one linear objective the weights must keep the
levels apart: a block covered is worth more than every EV and keep term of a day together (which span
n * W_EV + 2n * W_KEEP), an EV block more than every keep term (2n * W_KEEP). With W_COVER = 1e6,
W_EV = 1e4 and W_KEEP = 1 that holds for days of up to MAX_LEXICOGRAPHIC open blocks, which is more
than the exact model takes (exact.MAX_BLOCKS). The hard level, W_HARD = 0.01 a block, sums to less
than one keep term (n * W_HARD < W_KEEP) and leaves the sums above as they were: every level above it is
a whole number of W_KEEP, so a bound read from the MILP is a bound on them once rounded down (`levels`).
"""

from __future__ import annotations

import math

W_COVER = 1_000_000.0
W_EV = 10_000.0
W_KEEP = 1.0
W_HARD = 0.01
MAX_LEXICOGRAPHIC = 98  # n * (W_EV + 2 W_KEEP + W_HARD) < W_COVER, 2n * W_KEEP + n * W_HARD < W_EV, n * W_HARD < W_KEEP


def value(covered: int, ev_covered: int, kept: int = 0, hard: int = 0) -> float:
    """`kept`: the sum of `keep` over the plan's pairs (0 without last time's proposals); `hard`: the
    covered blocks that are not recoverable (only a non-EV can run them)."""
    return covered * W_COVER + ev_covered * W_EV + kept * W_KEEP + hard * W_HARD


def levels(upper: float) -> float:
    """An upper bound on `value` as a bound on the levels above the hard one (each a whole W_KEEP)."""
    return math.floor(upper / W_KEEP + 1e-6) * W_KEEP


def keep(before: str | None, vehicle: str) -> int:
    """A pair's keep term: +1 on last time's vehicle, 0 moved from another, -1 last time uncovered."""
    return 1 if before == vehicle else 0 if before is not None else -1


def pair_gain(is_ev: bool, kept: int = 0, hard: bool = False) -> float:
    """One (vehicle, block) pair's share of `value`."""
    return W_COVER + (W_EV if is_ev else 0.0) + kept * W_KEEP + (W_HARD if hard else 0.0)


def bound_of(upper: float, covered: int, ev_covered: int) -> tuple[int, int]:
    """(covered, EV-covered) no plan can beat, from an upper bound on `value` and a plan that reached
    (covered, ev_covered): the EV bound only means something at the plan's coverage."""
    covered_bound = max(math.floor(upper / W_COVER + 1e-9), covered)
    if covered_bound > covered:
        return covered_bound, covered_bound
    # never more EV blocks than blocks (a loose upper bound would otherwise say e.g. 76 EV blocks of 46)
    ev_bound = min(math.floor((upper - covered_bound * W_COVER) / W_EV + 1e-9), covered_bound)
    return covered_bound, max(ev_bound, ev_covered)
