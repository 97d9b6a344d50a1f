"""The depot's charging plan is a pure function of its inputs, cached on them: made from the readings as of
the plan's anchor (now rounded down to the plan's 5-minute step), so a reading arriving within the step
re-plans nothing while each vehicle's own readiness still starts from its latest reading."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.domain import depot_charging
from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from tests.builders import T0, block

EV = VehicleType("E", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150, charging_curve=((0, 150), (1, 150)),
                 charging_efficiency=1.0, hvac=False, energy_cv=0.0)
M = timedelta(minutes=1)
ONE = [Charger("C1", 150)]


def test_plan_anchor_rounds_down_to_the_step_once_the_step_has_settled() -> None:
    settle = depot_charging.PLAN_SETTLE
    assert depot_charging.plan_anchor(T0 + 4 * M + timedelta(seconds=59)) == T0
    assert depot_charging.plan_anchor(T0 + 5 * M + settle) == T0 + 5 * M
    # in the step's first PLAN_SETTLE the previous step's plan is in force, and the new one can be made
    assert depot_charging.plan_anchor(T0 + 5 * M) == T0
    assert depot_charging.next_anchor(T0 + 5 * M) == T0 + 5 * M
    assert depot_charging.next_anchor(T0 + 5 * M + settle - timedelta(microseconds=1)) == T0 + 5 * M
    assert depot_charging.next_anchor(T0 + 5 * M + settle) is None
    assert depot_charging.next_anchor(T0 + 4 * M) is None


def test_readings_within_the_step_reuse_the_plan_and_still_move_readiness(monkeypatch: pytest.MonkeyPatch) -> None:
    depot_charging._seam.cache_clear()
    calls = []
    real = depot_charging.plan_charging
    monkeypatch.setattr(depot_charging, "plan_charging", lambda *a: calls.append(a[3]) or real(*a))
    depot = Depot("X", "X", "UTC")
    vehicles = [Vehicle(v, "X", "E") for v in ("A", "B")]
    plan = {v: [block(f"{v}1", start=T0 + 40 * M, hours=2, km=100)] for v in ("A", "B")}
    old = {v: SocReading(v, 30, T0 - 10 * M, "telematics", plugged_in=True) for v in ("A", "B")}

    def judge(now, readings, at_anchor, blocks=plan):  # type: ignore[no-untyped-def]
        return FleetJudge(depot, {"E": EV}, vehicles, readings, now, plan=blocks, chargers=ONE,
                          plan_readings=at_anchor)

    def soc(j: FleetJudge, vid: str = "A") -> float:
        r = j.readiness(j.vehicles[vid], j._plan_blocks[vid][0], [])
        assert r is not None and r.soc_pct is not None
        return r.soc_pct

    j1 = judge(T0 + 2 * M, old, old)
    first = soc(j1)
    assert len(calls) == 1
    # 12:03: A reads 45 %: its readiness moves, the plan (as of 12:00) is the one already made
    new = {**old, "A": SocReading("A", 45, T0 + 3 * M, "telematics", plugged_in=True)}
    j2 = judge(T0 + 4 * M, new, old)
    assert soc(j2) > first and len(calls) == 1
    assert j2.charging is j1.charging
    # the same inputs give the same plan: a judge of its own (another request, another board) asks nothing new
    assert soc(judge(T0 + 4 * M, new, old)) == soc(j2) and len(calls) == 1
    # 12:05: the anchor moves and the 12:03 reading is in the plan's inputs now: made again, once
    j3 = judge(T0 + 6 * M, new, new)
    soc(j3)
    soc(judge(T0 + 9 * M, new, new))
    assert len(calls) == 2
    # an assignment change is a new input
    moved = {"A": plan["A"], "B": [block("B2", start=T0 + 4 * 60 * M, hours=2, km=100)]}
    soc(judge(T0 + 9 * M, new, new, moved))
    assert len(calls) == 3


def test_the_cached_plan_equals_the_plan_made_afresh() -> None:
    """The cache changes nothing but the cost: the seam from the cache and one made with the cache emptied
    give every vehicle the same readiness."""
    depot = Depot("X", "X", "UTC")
    vehicles = [Vehicle(v, "X", "E") for v in ("A", "B", "C")]
    plan = {v: [block(f"{v}1", start=T0 + (2 + i) * 60 * M, hours=2, km=150)] for i, v in enumerate("ABC")}
    readings = {v: SocReading(v, 20 + 10 * i, T0 - 30 * M, "telematics", plugged_in=True) for i, v in enumerate("ABC")}

    def all_soc() -> list[float | None]:
        j = FleetJudge(depot, {"E": EV}, vehicles, readings, T0 + 7 * M, plan=plan, chargers=ONE,
                       plan_readings=readings)
        return [j.readiness(j.vehicles[v], plan[v][0], []).soc_pct for v in "ABC"]  # type: ignore[union-attr]

    cached = all_soc()
    again = all_soc()
    depot_charging._seam.cache_clear()
    assert cached == again == all_soc()
