"""Re-plan rules in the plan aggregate (DayPlan.why_not_movable / move: never a manual assignment, never a
started block, all or nothing) and each move's gain in words (domain/moves.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from depotdispatch.domain.errors import PlanRuleBroken
from depotdispatch.domain.moves import Move, with_gains
from depotdispatch.domain.plan import Assignment, DayPlan, Item
from depotdispatch.domain.status import block_status
from tests.unit.fakes import DAY, at, block

NOW = at(5)
FILLER = "frees its vehicle for a block that gains more"  # what every freeing move used to say


def _plan(sources: dict[str, tuple[str, str]], started: str | None = None) -> tuple[DayPlan, dict]:
    blocks = [replace(block("A", 6, 10), pk=1), replace(block("B", 11, 14), pk=2),
              replace(block("L", 6, 18, km=300.0), pk=3)]
    if started:
        blocks = [replace(b, actual_start=NOW - timedelta(minutes=5)) if b.block_id == started else b for b in blocks]
    pk = {b.block_id: b.pk for b in blocks}
    plan = DayPlan("V", DAY, 4, {pk[b]: Assignment(b, v, s, block_pk=pk[b]) for b, (v, s) in sources.items()}, blocks)
    return plan, {b.block_id: block_status(b, NOW, NOW) for b in blocks}


def test_a_replan_moves_recommended_and_imported_work_in_one_step() -> None:
    plan, states = _plan({"A": ("D1", "imported"), "B": ("E1", "recommended")})
    result = plan.move([Item("A", "E2"), Item("L", "D1"), Item("B", None)], states, actor="dana", now=NOW)
    assert sorted(result.applied) == ["A", "B", "L"] and result.plan_version == 5
    assert {e.plan_version for e in plan.events} == {5} and {e.kind for e in plan.events} == {"recommendation_accepted"}
    assert {a.block_id: (a.vehicle_id, a.source) for a in plan.assignments.values()} == {
        "A": ("E2", "recommended"), "L": ("D1", "recommended")}


@pytest.mark.parametrize(("sources", "started", "words"), [
    ({"A": ("D1", "manual")}, None, "D1 was put on block A by hand, and a re-plan never moves that"),
    ({"A": ("D1", "imported")}, "A", "block A has started, ended or been cancelled"),
])
def test_a_manual_assignment_or_a_started_block_refuses_every_move(sources, started, words) -> None:
    plan, states = _plan(sources, started)
    assert plan.why_not_movable(plan.block("A"), states["A"]) == words
    with pytest.raises(PlanRuleBroken, match=words):
        plan.move([Item("B", "E1"), Item("A", "E2")], states, actor="dana", now=NOW)
    assert not plan.changed  # nothing moved, B included


def test_half_a_swap_is_refused_whole() -> None:
    plan, states = _plan({"A": ("D1", "imported")})
    with pytest.raises(PlanRuleBroken, match="overlap"):
        plan.move([Item("L", "D1")], states, actor="dana", now=NOW)  # D1 still on A, which overlaps L


def test_each_move_says_what_it_gains_and_the_gains_add_up() -> None:
    is_ev = {"E2": True, "D1": False, "E1": True}
    moves = with_gains([Move("A", "D1", "E2", "EV E2: 90 % at pull-out"), Move("LONG", None, "D1", ""),
                        Move("B", "E1", None, "")], is_ev, only_non_ev={"LONG"})
    gain = {m.block_id: m.gain for m in moves}
    assert gain["A"] == "EV E2 instead of D1: +1 by EV; frees D1 for LONG, which no EV can run: +1 covered"
    assert gain["LONG"] == "covers it with D1: +1 covered"
    assert gain["B"] == "takes E1 off it: -1 covered, -1 by EV"
    assert (sum(m.covered for m in moves), sum(m.ev_covered for m in moves)) == (0, 0)
    # a move without its own explanation explains itself by its gain, never by a filler sentence
    assert [m.explanation for m in moves] == ["EV E2: 90 % at pull-out", gain["LONG"], gain["B"]]
    assert all(FILLER not in m.gain and FILLER not in m.explanation for m in moves)


def test_a_swap_between_evs_names_the_block_it_frees_the_vehicle_for() -> None:
    moves = with_gains([Move("X", "E1", "E3", ""), Move("Y", None, "E1", "")], {"E1": True, "E3": True}, set())
    assert moves[0].gain == "E3 instead of E1; frees E1 for Y: +1 covered, +1 by EV"
    named = with_gains([Move("X", "E1", "E3", ""), Move("703", None, "E1", "")], {"E1": True, "E3": True}, set(),
                       names={"703": "106"})  # the feed's block name, said as everywhere (blocks.block_label)
    assert named[0].gain == "E3 instead of E1; frees E1 for 106 (id 703): +1 covered, +1 by EV"
    alone = with_gains([Move("X", "E1", "E3", "")], {"E1": True, "E3": True}, set())
    assert alone[0].gain == "E3 instead of E1: no gain by itself"
