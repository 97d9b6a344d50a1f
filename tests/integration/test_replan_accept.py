"""Accepting re-plan moves (the web page's button): one plan version, an event per move, manual blocks and a
half swap refused, a stale version refused with nothing written."""

from __future__ import annotations

import pytest

from depotdispatch.domain.errors import StaleVersion
from depotdispatch.services import audit, replan
from depotdispatch.services import plan as plan_svc
from tests.integration.test_plan import DAY, NOW, day  # noqa: F401  (the day fixture)


def test_accepting_the_moves_makes_them_in_one_version_and_keeps_manual(app, day) -> None:  # noqa: F811
    plan_svc.assign(app.uow(), "V", DAY, "A", "D1", plan_version=0, actor="sheet", now=NOW, source="imported")
    plan_svc.assign(app.uow(), "V", DAY, "C", "E1", plan_version=1, actor="op", now=NOW)  # manual
    r = replan.replan(app.uow(), "V", DAY, NOW)
    moves = [(m.block_id, m.to_vehicle) for m in r.moves]
    result = replan.accept_moves(app.uow(), "V", DAY, [*moves, ("C", "D1")], plan_version=r.plan_version, actor="dana",
                                 now=NOW)
    assert result.plan_version == r.plan_version + 1
    assert sorted(result.applied) == sorted(b for b, _ in moves)
    assert result.skipped == [{"block_id": "C", "reason": "E1 was put on it by hand"}]
    events = audit.events(app.uow(), "V", kind="recommendation_accepted")
    assert sorted(e.block_id for e in events) == sorted(b for b, _ in moves)
    assert {e.plan_version for e in events} == {result.plan_version} and {e.actor for e in events} == {"dana"}
    # the same moves again change nothing
    again = replan.accept_moves(app.uow(), "V", DAY, moves, plan_version=result.plan_version, actor="dana", now=NOW)
    assert again.applied == [] and again.plan_version == result.plan_version


def test_stale_version_and_half_a_swap_are_refused_and_write_nothing(app, day) -> None:  # noqa: F811
    plan_svc.assign(app.uow(), "V", DAY, "A", "D1", plan_version=0, actor="sheet", now=NOW, source="imported")
    r = replan.replan(app.uow(), "V", DAY, NOW)
    moves = [(m.block_id, m.to_vehicle) for m in r.moves]
    with pytest.raises(StaleVersion):
        replan.accept_moves(app.uow(), "V", DAY, moves, plan_version=r.plan_version - 1, actor="dana", now=NOW)
    # D1 onto LONG without taking it off A (half of the swap): A and LONG overlap, so it is not made
    long_only = [m for m in moves if m[0] == "LONG"]
    assert long_only == [("LONG", "D1")]
    half = replan.accept_moves(app.uow(), "V", DAY, long_only, plan_version=r.plan_version, actor="dana", now=NOW)
    assert half.applied == [] and half.plan_version == r.plan_version
    assert [s["block_id"] for s in half.skipped] == ["LONG"] and "overlap" in half.skipped[0]["reason"]
    assert audit.events(app.uow(), "V", kind="recommendation_accepted") == []
    assert plan_svc.plan_version(app.uow(), "V", DAY) == r.plan_version
