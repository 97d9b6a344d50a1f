"""The recommendation's one-line summary (services/recommendations.summary_text): what a dispatcher reads first."""

from __future__ import annotations

from depotdispatch.services.recommendations import summary_text


def test_the_summary_counts_covered_ev_uncovered_and_change_outs() -> None:
    assert summary_text(83, 81, 59, 0, ["307934", "309112"], 3, 0) == (
        "Covers 81 of 83 blocks, 59 with EVs; 2 uncovered: 307934, 309112; 3 change-outs suggested")


def test_the_summary_names_a_few_uncovered_blocks_and_counts_the_rest() -> None:
    text = summary_text(10, 5, 2, 0, ["a", "b", "c", "d", "e"], 0, 0)
    assert text == "Covers 5 of 10 blocks, 2 with EVs; 5 uncovered: a, b, c and 2 more"


def test_the_summary_says_what_operators_assigned_and_which_change_outs_replace_a_proposal() -> None:
    assert summary_text(4, 4, 1, 1, [], 1, 1) == (
        "Covers 4 of 4 blocks (1 as operators assigned it, 3 proposed), 1 with EVs; none uncovered; 1 change-out "
        "suggested (1 of them instead of a proposed non-EV: one or the other, not both)")
    assert summary_text(1, 0, 0, 0, ["x"], 0, 0) == "Covers 0 of 1 block, 0 with EVs; 1 uncovered: x"
