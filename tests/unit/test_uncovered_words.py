"""Item 4 in words (DESIGN §12b): among plans of equal coverage the non-EV runs the block only a non-EV can run,
and the block left uncovered is the recoverable one; both explanations say so, and say what would recover it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from tests.builders import T0, block
from tests.unit.test_recommend import TYPES, make_judge

# overlapping: one diesel can take only one. LONG (300 km, 390 kWh) no 300 kWh EV can run even full;
# SHORT (150 km, 65 % of a battery) an EV can run once charged, or once its reading is trusted
LONG = block("LONG", start=T0 + timedelta(hours=1), hours=8, km=300)
SHORT = block("SHORT", start=T0 + timedelta(hours=2), hours=4, km=150)


@pytest.mark.parametrize(("reading", "how"), [
    (SocReading("E1", 30, T0, "telematics"), "once one is charged"),
    (SocReading("E1", 95, T0 - timedelta(hours=30), "telematics"), "once one has a fresh SoC reading"),
])
def test_the_recoverable_block_is_left_and_the_non_ev_runs_what_only_it_can(reading, how) -> None:
    judge = make_judge([Vehicle("D1", "X", "D"), Vehicle("E1", "X", "E")], {"E1": reading})
    rec = Recommender(judge, [SHORT, LONG], {}).solve()
    assert [(p.block_id, p.vehicle_id) for p in rec.proposals] == [("LONG", "D1")]
    assert rec.proposals[0].explanation == (
        "diesel D1: only a non-EV can run it (no EV could, even fully charged: the best EV type for it, E (300 kWh "
        "usable), would run out 30 % short), so a non-EV takes it ahead of the blocks an EV can run")
    assert [u.block_id for u in rec.uncovered] == ["SHORT"]
    words = rec.uncovered[0].explanation
    assert f"an EV could run it {how}: left for last, as the block most easily covered later" in words
    assert "(the non-EVs run blocks that no EV can)" in words


@pytest.mark.parametrize(("km", "said"), [
    (300, "would run out 30 % short"),
    (200, "would pull in at 13 %, below the 20 % reserve"),
    (178, "would pull in at 23 %, too close to the 20 % reserve"),  # the depot's margin is 10 points
])
def test_a_block_only_a_non_ev_can_run_says_how_far_a_full_charge_gets_and_nothing_else_of_the_evs(km, said) -> None:
    """It said "no EV can run it safely (1 EV would run short of charge); the best free EV, E1, would run out
    30 % short; only a non-EV can run it (no EV could, even fully charged)": counting EVs short of charge
    beside "even fully charged" reads as if a charge would do."""
    long = block("L", start=T0 + timedelta(hours=1), hours=8, km=km)
    judge = make_judge([Vehicle("D1", "X", "D"), Vehicle("E1", "X", "E")],
                       {"E1": SocReading("E1", 40, T0, "telematics")})
    [p] = Recommender(judge, [long], {}).solve().proposals
    assert p.vehicle_id == "D1"
    assert p.explanation == ("diesel D1: only a non-EV can run it (no EV could, even fully charged: the best EV type "
                             f"for it, E (300 kWh usable), {said}), so a non-EV takes it ahead of the blocks an EV "
                             "can run")
    assert "short of charge" not in p.explanation and "best free EV" not in p.explanation


def _classed(ev_class: str | None, other_class: str | None) -> FleetJudge:
    types = {"E": replace(TYPES["E"], vehicle_class=ev_class), "D": replace(TYPES["D"], vehicle_class=other_class)}
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10)
    return FleetJudge(depot, types, [Vehicle("D1", "X", "D"), Vehicle("E1", "X", "E")],
                      {"E1": SocReading("E1", 100, T0, "telematics")}, T0)


def test_a_class_no_ev_is_of_is_said_and_a_non_ev_of_another_class_is_not_free() -> None:
    artic = block("A", start=T0 + timedelta(hours=1), hours=3, km=50, vehicle_class="articulated")
    [p] = Recommender(_classed("12m", "articulated"), [artic], {}).solve().proposals
    assert p.explanation == ("diesel D1: only a non-EV can run it (no EV is of the class the block needs, "
                             "articulated), so a non-EV takes it ahead of the blocks an EV can run")
    # the diesel is free then but of another class: it said "the one other vehicle is free then"
    [u] = Recommender(_classed("12m", "12m"), [artic], {}).solve().uncovered
    assert u.explanation == ("no EV can run it safely (1 EV of the wrong class); the one other vehicle is not of "
                             "the class the block needs (articulated)")


def test_an_ev_of_no_class_on_other_work_is_on_other_work_not_of_the_wrong_class() -> None:
    """A vehicle of no class fits every block (viability's rule): one on other work is counted as that."""
    busy = block("B", start=T0 + timedelta(hours=1), hours=3, km=50)
    artic = block("A", start=T0 + timedelta(hours=2), hours=3, km=50, vehicle_class="articulated")
    rec = Recommender(_classed(None, "12m"), [artic], {"E1": [busy]}).solve()  # E1 already has B
    assert rec.proposals == []
    [u] = rec.uncovered
    assert u.block_id == "A" and "1 EV on other work at that time" in u.explanation, u.explanation
    assert "wrong class" not in u.explanation


def test_a_block_no_ev_can_run_is_never_called_recoverable() -> None:
    judge = make_judge([Vehicle("E1", "X", "E")], {"E1": SocReading("E1", 100, T0, "telematics")})
    rec = Recommender(judge, [LONG], {}).solve()
    assert [u.block_id for u in rec.uncovered] == ["LONG"] and "left for last" not in rec.uncovered[0].explanation


def test_the_busy_non_evs_are_counted_as_a_person_says_it() -> None:
    from depotdispatch.domain.explain import _others_busy

    # three overlapping blocks no EV can run and eight diesels on other work: "8 other vehicles, 8 of them busy"
    diesels = [Vehicle(f"D{i}", "X", "D") for i in range(1, 9)]
    blocks = [block(f"L{i}", start=T0 + timedelta(hours=1, minutes=i), hours=8, km=300) for i in range(9)]
    rec = Recommender(make_judge(diesels, {}), blocks, {}).solve()
    assert len(rec.proposals) == 8 and len(rec.uncovered) == 1
    words = rec.uncovered[0].explanation
    assert words.endswith("; all 8 other vehicles are on other work then"), words
    assert "of them busy" not in words
    assert _others_busy(2, 2) == "both other vehicles are on other work then"
    assert _others_busy(1, 1) == "the one other vehicle is on other work then"
    assert _others_busy(8, 1) == "1 of the 8 other vehicles is on other work then"
    assert _others_busy(8, 3) == "3 of the 8 other vehicles are on other work then"
    assert _others_busy(8, 0) == "none of the 8 other vehicles is on other work then"
    assert _others_busy(0, 0) == "no other vehicle available"


def test_a_best_free_ev_short_of_charge_and_with_an_old_reading_is_said_to_be_both() -> None:
    # a replay (U-M, 2022-02-09): "the best free EV, 2118, would pull in at 12 %, but last reading 10 h 35 min
    # ago ...": the "but" read as if 12 % were fine
    judge = make_judge([Vehicle("E1", "X", "E")], {"E1": SocReading("E1", 80, T0 - timedelta(hours=30),
                                                                       "telematics")})
    rec = Recommender(judge, [block("B1", start=T0 + timedelta(hours=1), hours=4, km=150)], {}).solve()
    words = rec.uncovered[0].explanation
    assert "the best free EV, E1, would pull in at 15 %, below the reserve, and last reading 30 h ago" in words
    assert ", but last reading" not in words


@pytest.mark.parametrize(("soc", "said"), [(84.6, "would pull in at 19.6 %, below the reserve"),
                                           (64.7, "would run out less than 1 % short"),
                                           (65.0, "would pull in at 0 %, below the reserve")])
def test_a_best_free_ev_near_a_limit_is_never_said_to_be_at_it(soc: float, said: str) -> None:
    # U-M replay: "would pull in at 20 %, below the reserve" (19.6), "would run out 0 % short" (-0.3), "-0 %" (-0.0)
    judge = make_judge([Vehicle("E1", "X", "E")], {"E1": SocReading("E1", soc, T0, "telematics")})
    rec = Recommender(judge, [block("B1", start=T0 + timedelta(hours=1), hours=4, km=150)], {}).solve()
    assert f"the best free EV, E1, {said}" in rec.uncovered[0].explanation, rec.uncovered[0].explanation
