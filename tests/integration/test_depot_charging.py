"""The board and the recommendation charge on the depot's chargers, through the services, on both databases:
fewer connectors than buses changes a verdict, allowances shorten the charge, and a depot without a
charger list charges as before (a connector per bus)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import board, days, depots, fleet, readings, recommendations, schedules, yard
from depotdispatch.services import plan as plan_svc
from tests.helpers import timed_by_trips

# 400 kWh, 150 kW flat, no losses, no heating, no spread: 200 km is 260 kWh; 2 h on a charger is 300 kWh
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150,
                 charging_curve=((0, 150), (1, 150)), charging_efficiency=1.0, hvac=False, energy_cv=0.0)
BLOCKS = ("block_id,pull_out,pull_in,distance_km\nA1,05:00,09:00,200\nB1,05:00,09:00,200\n"
          "A2,11:00,15:00,200\nB2,11:00,15:00,200\n")
DAY = date(2026, 11, 2)
NOW = datetime.fromisoformat("2026-11-02T04:55:00-05:00")


@pytest.fixture
def depot(app) -> str:  # type: ignore[no-untyped-def]
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS.encode()),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "NY", DAY, t0)
    fleet.import_fleet(app.uow(), "NY", [FleetEntry(i, f"E{i}", EV) for i in (1, 2)])
    at = datetime.fromisoformat("2026-11-02T04:50:00-05:00")
    # full at 04:50, unplugged: 140 kWh left at 09:00, 240 kWh short of what 11:00 needs (65 % + 30 %)
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i}", 100, at, "telematics", plugged_in=False))
                                      for i in (1, 2)], at)
    return "NY"


def _assign_all(app) -> None:  # type: ignore[no-untyped-def]
    v = 0
    for block, vid in (("A1", "E1"), ("A2", "E1"), ("B1", "E2"), ("B2", "E2")):
        v = plan_svc.assign(app.uow(), "NY", DAY, block, vid, plan_version=v, actor="t", now=NOW,
                            override_reason="test", acknowledge=["soc_below_reserve"]).plan_version


def _verdicts(app) -> dict[str, tuple[str, float | None]]:  # type: ignore[no-untyped-def]
    b = board.board(app.uow(), "NY", NOW, service_date=DAY, whole_day=True, candidates=False)
    return {r.block.block_id: (r.viability.status, r.viability.readiness.soc_pct if r.viability.readiness else None)
            for r in b.rows if r.viability is not None}


def test_fewer_connectors_than_buses_change_the_board(app, depot) -> None:  # type: ignore[no-untyped-def]
    _assign_all(app)
    # no charger list: a connector each, both full again by 11:00
    assert _verdicts(app) == {"A1": ("ok", 100.0), "B1": ("ok", 100.0), "A2": ("ok", 100.0), "B2": ("ok", 100.0)}
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150), Charger("C2", 150)], NOW, "t")
    assert _verdicts(app)["B2"] == ("ok", 100.0)
    # one connector: E1 keeps it until it has what 11:00 needs (1 h 40 min on the plan's 5-minute step),
    # E2 gets the 20 minutes left: 140 + 50 kWh
    yard.set_charger_available(app.uow(), "NY", "C2", False, NOW, "t")
    got = _verdicts(app)
    assert got["A2"] == ("ok", pytest.approx(97.5, abs=0.01))
    assert got["B2"] == ("not_viable", pytest.approx(47.5, abs=0.01))
    # a shared site cap of 150 kW over two chargers: the same as one charger
    yard.set_charger_available(app.uow(), "NY", "C2", True, NOW, "t")
    yard.set_charging_settings(app.uow(), "NY", NOW, "t", site_cap_kw=150.0)
    assert _verdicts(app)["B2"] == ("not_viable", pytest.approx(47.5, abs=0.01))


def test_allowances_do_not_shorten_a_yard_timed_block_twice(app, depot) -> None:  # type: ignore[no-untyped-def]
    """Blocks from a blocks CSV state their pull-out and pull-in at the yard, allowances included (DESIGN
    §12a, Depot.allowances): the 2 h between them all charge, on a connector each and on the depot's plan;
    the yard view's due-out time is the stated pull-out. (Taking them again gave 1 h: 72.5 %, not viable.)
    The same blocks timed by their trips do take them."""
    _assign_all(app)
    yard.set_charging_settings(app.uow(), "NY", NOW, "t", pull_in_allowance_min=30, pull_out_allowance_min=30)
    assert _verdicts(app)["A2"] == ("ok", 100.0)
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150), Charger("C2", 150)], NOW, "t")
    assert _verdicts(app)["A2"] == ("ok", 100.0)
    state = yard.yard_state(app.uow(), "NY", NOW)
    assert {v: t.astimezone(NOW.tzinfo).strftime("%H:%M") for v, (_, t) in state.next_out.items()} == {
        "E1": "05:00", "E2": "05:00"}
    # the same day timed by its trips (as GTFS blocks are: first departure to last arrival): 30 min before
    # and after each block, 1 h of charging instead of 2: 140 + 150 kWh, short of what 11:00 needs
    timed_by_trips(app, "NY")
    assert _verdicts(app)["A2"] == ("not_viable", pytest.approx(72.5, abs=0.01))
    state = yard.yard_state(app.uow(), "NY", NOW)
    assert {v: t.astimezone(NOW.tzinfo).strftime("%H:%M") for v, (_, t) in state.next_out.items()} == {
        "E1": "04:30", "E2": "04:30"}
    yard.set_charging_settings(app.uow(), "NY", NOW, "t", pull_in_allowance_min=0, pull_out_allowance_min=0,
                               min_dwell_min=150)
    assert _verdicts(app)["A2"] == ("not_viable", pytest.approx(35.0, abs=0.01))  # 2 h is below the dwell


def test_the_recommendation_keeps_to_the_depot_charging_plan(app, depot) -> None:  # type: ignore[no-untyped-def]
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150)], NOW, "t")
    rec = recommendations.recommend(app.uow(), "NY", DAY, NOW).as_dict()
    # two EVs could each run two blocks on a charger of their own; one connector charges only one in time
    assert len(rec["proposals"]) == 3 and len(rec["uncovered"]) == 1
    assert "cannot charge it in time" in rec["uncovered"][0]["explanation"]
    # accepted as proposed, the board shows every one of them ok: the check judged that very plan
    v = 0
    for p in rec["proposals"]:
        v = plan_svc.assign(app.uow(), "NY", DAY, p["block_id"], p["vehicle_id"], plan_version=v, actor="t",
                            now=NOW).plan_version
    assert {s for s, _ in _verdicts(app).values()} == {"ok"}


def test_assigning_against_a_busy_charger_asks_for_the_warning(app, depot) -> None:  # type: ignore[no-untyped-def]
    from depotdispatch.domain.errors import UnacknowledgedWarnings

    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150)], NOW, "t")
    v = 0
    for block, vid in (("A1", "E1"), ("A2", "E1"), ("B1", "E2")):
        v = plan_svc.assign(app.uow(), "NY", DAY, block, vid, plan_version=v, actor="t", now=NOW).plan_version
    # E2 on B2 too: the plan that assignment gives has one connector for two buses back at 09:00
    with pytest.raises(UnacknowledgedWarnings) as err:
        plan_svc.assign(app.uow(), "NY", DAY, "B2", "E2", plan_version=v, actor="t", now=NOW)
    assert "acknowledge soc_below_reserve" in err.value.detail
    assert "the depot's chargers give it" in err.value.detail  # and says why
    with app.uow() as uow:  # nothing written
        assert len(uow.plans.assignments_for_dates("NY", [DAY])) == 3
    # a second charger: the same assignment is ok without any acknowledgement
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150), Charger("C2", 150)], NOW, "t")
    plan_svc.assign(app.uow(), "NY", DAY, "B2", "E2", plan_version=v, actor="t", now=NOW)
