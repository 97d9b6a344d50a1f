"""The recommendation's one objective and the bounds read from it (domain/objective.py)."""

from __future__ import annotations

from depotdispatch.domain.objective import W_COVER, W_EV, bound_of, value
from depotdispatch.domain.relink import MOVES_PER_COVERED, MOVES_PER_EV, worth_it


def test_a_loose_upper_bound_never_claims_more_ev_blocks_than_blocks() -> None:
    # a random 46-block day: the MILP's bound at 17 covered left room for 76 EV blocks' worth of weight
    assert bound_of(17 * W_COVER + 76 * W_EV, 17, 10) == (17, 17)
    assert bound_of(17 * W_COVER + 12.5 * W_EV, 17, 10) == (17, 12)
    assert bound_of(value(18, 3), 17, 10) == (18, 18)  # more blocks possible: the EV bound says nothing


def test_a_gain_may_cost_a_bounded_number_of_changed_blocks() -> None:
    assert not worth_it(0, 0, 0)  # nothing gained: no change is worth it
    assert not worth_it(0, -1, 0)
    assert worth_it(1, 0, MOVES_PER_COVERED) and not worth_it(1, 0, MOVES_PER_COVERED + 1)
    assert worth_it(0, 2, 2 * MOVES_PER_EV) and not worth_it(0, 2, 2 * MOVES_PER_EV + 1)
    assert worth_it(1, -1, MOVES_PER_COVERED)  # a block more covered, by a diesel freed from an EV's block
