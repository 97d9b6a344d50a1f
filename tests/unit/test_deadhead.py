"""Deadhead in km (DESIGN §12a): a block timed by its trips starts at its first revenue departure, so the
depot's pull-out and pull-in allowances in km are added to its energy, to readiness after it and to the
live risk's km left; a block timed at the yard (blocks CSV, ad-hoc) already states its whole distance."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from tests.builders import T0, block

# 400 kWh, 1.3 kWh/km, no heating, no spread: energy is km x 1.3 exactly
EV = VehicleType("E", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150, hvac=False, energy_cv=0.0)
H = timedelta(hours=1)


def judge(reading: SocReading, plan: list, now=T0 - H, **settings) -> FleetJudge:  # type: ignore[no-untyped-def,type-arg]
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, **settings)
    return FleetJudge(depot, {"E": EV}, [Vehicle("A", "X", "E")], {"A": reading}, now, plan={"A": plan})


def test_a_trip_timed_block_costs_its_deadhead_and_a_yard_timed_one_does_not() -> None:
    gtfs = block("G1", start=T0, hours=4, km=100, trip_ids=("t1", "t2"))
    csv = block("C1", start=T0, hours=4, km=100)
    r = SocReading("A", 90, T0 - H, "telematics")
    plain = judge(r, [gtfs])
    with_dh = judge(r, [gtfs], pull_out_allowance_km=12, pull_in_allowance_km=8)
    assert plain.estimate(gtfs, "E").expected_kwh == pytest.approx(130)  # type: ignore[union-attr]
    est = with_dh.estimate(gtfs, "E")
    assert est is not None and est.expected_kwh == pytest.approx(120 * 1.3)
    assert est.inputs["deadhead_km"] == 20 and est.inputs["distance_km"] == 120
    assert with_dh.estimate(csv, "E").expected_kwh == pytest.approx(130)  # type: ignore[union-attr]
    assert "deadhead_km" not in with_dh.estimate(csv, "E").inputs  # type: ignore[union-attr]


def test_the_deadhead_can_turn_a_verdict_and_drains_the_next_block() -> None:
    # 60 % = 240 kWh; a 110 km block needs 143 kWh: 24.25 % left, marginal against 20 + 10
    first = block("G1", start=T0, hours=4, km=110, trip_ids=("t1",))
    r = SocReading("A", 60, T0 - H, "telematics")
    assert judge(r, [first]).judge("A", first, [first]).status == "marginal"
    # 15 km out and 15 back: 140 km, 182 kWh: 14.5 % left, below the 20 % reserve
    v = judge(r, [first], pull_out_allowance_km=15, pull_in_allowance_km=15).judge("A", first, [first])
    assert v.status == "not_viable" and "soc_below_reserve" in [x.code for x in v.reasons]
    # a later block on the same bus starts from what the first one, deadhead included, left
    later = block("G2", start=T0 + 4 * H, hours=1, km=0, trip_ids=("t9",))
    j = judge(r, [first, later], pull_out_allowance_km=15, pull_in_allowance_km=15)
    ready = j.readiness(j.vehicles["A"], later, [first])
    # back at 16:00 and out again at 16:00: no time to charge
    assert ready is not None and ready.soc_pct == pytest.approx(60 - 100 * (140 * 1.3) / 400)


def test_the_live_risk_counts_the_way_back_to_the_depot() -> None:
    gtfs = block("G1", start=T0, hours=4, km=100, trip_ids=("t1",))
    # read at half time with 40 %: 50 km left = 65 kWh = 16.25 %, ending at 23.75 %: marginal
    r = SocReading("A", 40, T0 + 2 * H, "telematics")
    plain = judge(r, [gtfs], now=T0 + 2 * H).live_risk(gtfs, "A")
    assert plain.status == "watch" and plain.remaining_km == pytest.approx(50)
    # plus 20 km back from the last stop: 70 km = 91 kWh = 22.75 %, ending at 17.25 %: below the reserve
    risk = judge(r, [gtfs], now=T0 + 2 * H, pull_in_allowance_km=20, pull_out_allowance_km=9).live_risk(gtfs, "A")
    assert risk.status == "at_risk" and risk.remaining_km == pytest.approx(70)
    assert risk.end_soc_pct == pytest.approx(17.2, abs=0.06)
    assert "70 km left (planned share, 20 km of them back to the depot)" in risk.reasons[0].message
    # read before the first departure: the way out is still to drive as well
    early = SocReading("A", 80, T0 - 0.1 * H, "telematics")
    before = judge(early, [gtfs], now=T0 + 0.5 * H, pull_in_allowance_km=20, pull_out_allowance_km=9)
    # (a reading from before the block: the whole block is still to run) 100 + 9 out + 20 back
    assert before.live_risk(gtfs, "A").remaining_km == pytest.approx(129)


@pytest.mark.parametrize("value", [-1, 100.5, math.nan, math.inf, True])
def test_a_bad_allowance_in_km_is_refused_with_a_sentence(value: float) -> None:
    for name in ("pull_out_allowance_km", "pull_in_allowance_km"):
        with pytest.raises(InvalidInput, match=r"allowance .* km: give a distance from 0 to 100 km"):
            Depot("X", "X", "UTC", **{name: value})  # type: ignore[arg-type]


def test_the_yard_time_comes_before_the_first_departure_only_for_a_trip_timed_block() -> None:
    depot = Depot("X", "X", "UTC", pull_out_allowance_min=15)
    assert depot.yard_out(T0, ("t1",)) == T0 - timedelta(minutes=15)
    assert depot.yard_out(T0, ()) == T0  # a blocks-CSV or ad-hoc block states its yard time already
    assert Depot("X", "X", "UTC").yard_out(T0, ("t1",)) == T0
