"""The exact model's shared columns (domain/exact.py): non-EVs that nothing tells apart share one column per
block, at most as many of them holding at any block start as there are such buses; `decode` hands the blocks out."""

from __future__ import annotations

from datetime import timedelta

from depotdispatch.domain.exact import solve_exact
from depotdispatch.domain.feasibility import Feasibility
from depotdispatch.domain.fleet import Vehicle
from tests.builders import T0, block
from tests.unit.test_recommend import make_judge


def test_interchangeable_diesels_share_columns_and_are_never_double_booked() -> None:
    """Three diesels of one type, no operator blocks: one column per block for all three (exact._Model), at
    most three blocks holding at any start. A-D overlap at 4-5 h, so one of them stays uncovered; E starts
    exactly a turnaround after A ends. The optimum covers 5 of 6 and each bus's blocks are clear of each other."""
    at = [(1, 4), (2, 4), (3, 4), (4, 4), (5 + 1 / 6, 3.8), (9.5, 0.5)]
    blocks = [block(name, start=T0 + timedelta(hours=h), hours=d, km=50)
              for name, (h, d) in zip("ABCDEF", at, strict=True)]
    j = make_judge([Vehicle(f"D{k}", "X", "D") for k in (1, 2, 3)], {})
    f = Feasibility(j, blocks, {})
    result = solve_exact(j, f.blocks, f.vehicle_ids, f.fixed, {})
    assert result is not None and result.proved and len(result.chosen) == 5
    assert "E" in {f.blocks[i].block_id for i in result.chosen}
    for vid in {"D1", "D2", "D3"}:
        mine = [f.blocks[i] for i, v in result.chosen.items() if v == vid]
        assert all(j.judge(vid, b, mine).status == "ok" for b in mine)
    assert set(result.chosen.values()) <= {"D1", "D2", "D3"}
