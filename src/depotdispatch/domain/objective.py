"""What the recommendation maximises, written once for the constructions and the exact MILP.

Lexicographic (DESIGN §12b, issue 16): blocks covered, then covered by EVs, then last time's proposals
kept. As one linear objective the weights must keep the levels apart: a block covered is worth more
than every EV and keep bonus of a day together, an EV block more than every keep bonus. With
W_COVER = 1e6, W_EV = 1e4 and W_KEEP = 1 that holds for days of up to MAX_LEXICOGRAPHIC open blocks,
which is more than the exact model takes (exact.MAX_BLOCKS).
"""

from __future__ import annotations

import math

W_COVER = 1_000_000.0
W_EV = 10_000.0
W_KEEP = 1.0
MAX_LEXICOGRAPHIC = 98  # n * (W_EV + W_KEEP) < W_COVER and n * W_KEEP < W_EV


def value(covered: int, ev_covered: int, kept: int = 0) -> float:
    return covered * W_COVER + ev_covered * W_EV + kept * W_KEEP


def pair_gain(is_ev: bool, kept: bool = False) -> float:
    """One (vehicle, block) pair's share of `value`."""
    return W_COVER + (W_EV if is_ev else 0.0) + (W_KEEP if kept else 0.0)


def bound_of(upper: float, covered: int, ev_covered: int) -> tuple[int, int]:
    """(covered, EV-covered) no plan can beat, from an upper bound on `value` and a plan that reached
    (covered, ev_covered): the EV bound only means something at the plan's coverage."""
    covered_bound = max(math.floor(upper / W_COVER + 1e-9), covered)
    if covered_bound > covered:
        return covered_bound, covered_bound
    # never more EV blocks than blocks (a loose upper bound would otherwise say e.g. 76 EV blocks of 46)
    ev_bound = min(math.floor((upper - covered_bound * W_COVER) / W_EV + 1e-9), covered_bound)
    return covered_bound, max(ev_bound, ev_covered)
