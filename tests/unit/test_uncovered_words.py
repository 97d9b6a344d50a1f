"""Item 4 in words (DESIGN §12b): among plans of equal coverage the non-EV runs the block only a non-EV can run,
and the block left uncovered is the recoverable one; both explanations say so, and say what would recover it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.domain.fleet import Vehicle
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from tests.builders import T0, block
from tests.unit.test_recommend import make_judge

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
    only = ("only a non-EV can run it (no EV could, even fully charged), so a non-EV takes it ahead of "
            "the blocks an EV can run")
    assert only in rec.proposals[0].explanation
    assert [u.block_id for u in rec.uncovered] == ["SHORT"]
    words = rec.uncovered[0].explanation
    assert f"an EV could run it {how}: left for last, as the block most easily covered later" in words
    assert "(the non-EVs run blocks that no EV can)" in words


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
