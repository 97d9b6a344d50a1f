"""The recommendation's one-line summary (services/recommendations.summary_text): what a dispatcher reads first."""

from __future__ import annotations

from depotdispatch.services.recommendations import summary_text


def test_the_summary_counts_covered_ev_uncovered_and_change_outs() -> None:
    assert summary_text(83, 81, 59, 0, ["307934", "309112"], 3, 0) == (
        "Covers 81 of 83 blocks, 59 with EVs; 2 uncovered: 307934, 309112; 3 change-outs suggested")


def test_the_summary_names_a_few_uncovered_blocks_and_counts_the_rest() -> None:
    text = summary_text(10, 5, 2, 0, ["a", "b", "c", "d", "e"], 0, 0)
    assert text == "Covers 5 of 10 blocks, 2 with EVs; 5 uncovered: a, b, c and 2 more"


def test_the_summary_says_what_is_already_in_the_plan_and_which_change_outs_replace_a_proposal() -> None:
    assert summary_text(4, 4, 1, 1, [], 1, 1) == (
        "Covers 4 of 4 blocks (1 already in the plan, 3 proposed), 1 with EVs; none uncovered; 1 change-out "
        "suggested (1 of them instead of a proposed non-EV: one or the other, not both)")
    assert summary_text(1, 0, 0, 0, ["x"], 0, 0) == "Covers 0 of 1 block, 0 with EVs; 1 uncovered: x"


def test_the_summary_says_how_many_started_with_no_bus_and_how_many_can_be_taken_over() -> None:
    # replay (U-M at 18:10): "0 left uncovered" with ten missed pull-outs on the board was false to the reader
    assert summary_text(69, 69, 40, 69, [], 0, 0, missed=10, taken=8) == (
        "Covers 69 of 69 blocks (69 already in the plan, 0 proposed), 40 with EVs; none uncovered; 10 blocks "
        "started with no bus (missed pull-outs, not planned here): 8 can be taken over")
    assert summary_text(1, 1, 0, 1, [], 0, 0, missed=1, taken=0).endswith(
        "1 block started with no bus (missed pull-out, not planned here): 0 can be taken over")
