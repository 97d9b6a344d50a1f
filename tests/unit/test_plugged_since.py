"""Readiness starts charging when the bus was plugged in: the yard's mark or the reading's own flag, whichever
is known and latest (DESIGN §12a, domain/readiness.standing). Constructed days with known answers.

One bus, 400 kWh, 150 kW flat, no losses: an hour on a charger is 150 kWh = 37.5 %.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readiness import PlugMark
from depotdispatch.domain.readings import SocReading
from tests.builders import T0, block

EV = VehicleType("E", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150, charging_curve=((0, 150), (1, 150)),
                 charging_efficiency=1.0, hvac=False, energy_cv=0.0)
H = timedelta(hours=1)
OUT = T0 + 3 * H  # the next pull-out: 15:00; "now" is 13:30


def soc_at_pull_out(reading: SocReading, mark: PlugMark | None = None, *, blocks=(), chargers=None,  # type: ignore[no-untyped-def]
                    now=T0 + 1.5 * H, others=None, **settings):  # type: ignore[no-untyped-def]
    depot = Depot("X", "X", "UTC", **settings)
    out = block("OUT", start=OUT, hours=2, km=50, trip_ids=("OUT-1",))  # timed by its trips: takes allowances
    mine = [*blocks, out]
    vehicles = [Vehicle("A", "X", "E")] + [Vehicle(v, "X", "E") for v in (others or {})]
    readings = {"A": reading, **{v: r for v, (r, _) in (others or {}).items()}}
    plan = {"A": mine, **{v: bs for v, (_, bs) in (others or {}).items()}}
    j = FleetJudge(depot, {"E": EV}, vehicles, readings, now, plan=plan, chargers=chargers,
                   plugs={"A": [mark]} if mark else {})
    r = j.readiness(j.vehicles["A"], out, list(blocks))
    assert r is not None and r.soc_pct is not None
    return r.soc_pct


def test_a_bus_the_yard_plugged_in_charges_from_the_mark_not_from_the_reading() -> None:
    unplugged = SocReading("A", 50, T0, "telematics", plugged_in=False)  # 12:00, 200 kWh
    assert soc_at_pull_out(unplugged) == 50  # found unplugged: it stays so
    # plugged in at 13:00: 2 h to 15:00 = 300 kWh -> full; at 14:00: 1 h = 150 kWh -> 87.5 %
    assert soc_at_pull_out(unplugged, PlugMark(T0 + 2 * H, True, "C1"), now=T0 + 2.5 * H) == pytest.approx(87.5)
    assert soc_at_pull_out(unplugged, PlugMark(T0 + 1 * H, True, "C1")) == pytest.approx(100)
    # flipping the reading to plugged would have given 3 h (full) for the 14:00 mark: the mark's time counts
    half = SocReading("A", 20, T0, "telematics", plugged_in=False)  # 80 kWh
    assert soc_at_pull_out(half, PlugMark(T0 + 2 * H, True, "C1"), now=T0 + 2.5 * H) == pytest.approx(57.5)
    assert soc_at_pull_out(SocReading("A", 20, T0, "telematics", plugged_in=True)) == pytest.approx(100)


def test_an_unplugged_mark_stops_the_charging_at_the_mark() -> None:
    plugged = SocReading("A", 20, T0, "telematics", plugged_in=True)  # 80 kWh at 12:00, on a charger
    # unplugged at 13:00 after 1 h: 230 kWh = 57.5 %, then nothing until the pull-out
    assert soc_at_pull_out(plugged, PlugMark(T0 + H, False)) == pytest.approx(57.5)
    # a pull-out allowance is for leaving, not for unplugging: the hour still counts in full
    assert soc_at_pull_out(plugged, PlugMark(T0 + H, False), pull_out_allowance_min=30) == pytest.approx(57.5)
    # left on its charger, the allowance does come off the charge before the pull-out: 2.5 h (20 + 375 kWh), not 3
    empty = SocReading("A", 5, T0, "telematics", plugged_in=True)
    assert soc_at_pull_out(empty) == pytest.approx(100)
    assert soc_at_pull_out(empty, pull_out_allowance_min=30) == pytest.approx(98.75)


def test_the_latest_known_state_wins() -> None:
    mark = PlugMark(T0, True, "C1")  # plugged in at 12:00
    # a later reading that says nothing about the plug (a manual one): the mark still holds, from the reading
    manual = SocReading("A", 40, T0 + 0.5 * H, "manual")  # 160 kWh at 12:30; 2.5 h to 15:00 = full
    assert soc_at_pull_out(manual, mark) == pytest.approx(100)
    manual_late = SocReading("A", 40, T0 + 2.5 * H, "manual")  # 14:30: half an hour = 75 kWh
    assert soc_at_pull_out(manual_late, mark, now=T0 + 2.6 * H) == pytest.approx(100 * (160 + 75) / 400)
    # a later reading that says unplugged beats the earlier mark
    said = SocReading("A", 40, T0 + 0.5 * H, "telematics", plugged_in=False)
    assert soc_at_pull_out(said, mark) == 40
    # the mark is older than a pull-out before the reading: the bus left that connector
    trip = block("EARLY", start=T0 + 0.25 * H, hours=0.1, km=1)
    assert soc_at_pull_out(manual, mark, blocks=[trip]) == 40
    # a mark while the bus is out on a block is not about the depot: ignored
    on_block = block("MID", start=T0 - 2 * H, hours=3, km=10)
    read_out = SocReading("A", 60, T0 - H, "telematics", plugged_in=False)  # 11:00, on MID until 13:00
    default = soc_at_pull_out(read_out, blocks=[on_block])
    assert soc_at_pull_out(read_out, PlugMark(T0 - 0.5 * H, False), blocks=[on_block]) == default


def test_a_mark_after_a_block_starts_charging_at_the_mark_instead_of_the_pull_in() -> None:
    on_block = block("MID", start=T0 - 2 * H, hours=3, km=0)  # back at 13:00, nothing spent
    read_out = SocReading("A", 20, T0 - H, "telematics")  # 80 kWh at 11:00, out on MID
    # back at 13:00 it charges as the depot allows (a connector of its own): 2 h -> full
    assert soc_at_pull_out(read_out, blocks=[on_block]) == pytest.approx(95)
    # the yard plugged it in at 14:00: 1 h only
    assert soc_at_pull_out(read_out, PlugMark(T0 + 2 * H, True, "C1"), blocks=[on_block],
                           now=T0 + 2.5 * H) == pytest.approx(57.5)
    # the yard unplugged it at 13:30: half an hour
    assert soc_at_pull_out(read_out, PlugMark(T0 + 1.5 * H, False), blocks=[on_block],
                           now=T0 + 2 * H) == pytest.approx(100 * (80 + 75) / 400)


def test_with_one_connector_a_bus_the_yard_plugged_in_holds_it_in_the_depot_plan() -> None:
    """B (out at 15:00, like A) was read unplugged; the yard plugged it into the one charger at 12:00. The
    depot's charging plan then counts B on the connector, so A, plugged in by its own reading at 12:30, only
    gets what B leaves. Each needs 50 km x 1.3 + 30 % = 185 kWh: B has 20 + 75 by 12:30 (36 min more),
    A has 80 (42 min): A first (less laxity), then B, so A has about 2.5 h - 36 min: some 91 %."""
    one = [Charger("C1", 150)]
    a = SocReading("A", 20, T0 + 0.5 * H, "telematics", plugged_in=True)
    b_read = SocReading("B", 5, T0 - 0.5 * H, "telematics", plugged_in=False)
    b_plan = [block("BOUT", start=OUT, hours=2, km=50)]
    alone = soc_at_pull_out(a, chargers=one, others={"B": (b_read, b_plan)})
    assert alone == pytest.approx(100)  # B unplugged stays so: A has the connector for 2.5 h
    depot = Depot("X", "X", "UTC")
    j = FleetJudge(depot, {"E": EV}, [Vehicle("A", "X", "E"), Vehicle("B", "X", "E")], {"A": a, "B": b_read},
                   T0 + 1.5 * H, plan={"A": [block("OUT", start=OUT, hours=2, km=50)], "B": b_plan}, chargers=one,
                   plugs={"B": [PlugMark(T0, True, "C1")]})
    ra = j.readiness(j.vehicles["A"], j._plan_blocks["A"][0], [])
    rb = j.readiness(j.vehicles["B"], b_plan[0], [])
    assert rb is not None and rb.soc_pct is not None and rb.soc_pct >= 100 * 185 / 400
    assert ra is not None and ra.soc_pct is not None and 88 <= ra.soc_pct <= 93
    assert ra.charge_shortfall_kwh > 0


def test_a_plug_and_an_unplug_with_no_reading_between_count_the_hour_between() -> None:
    from depotdispatch.domain.yard import YardSpot, plug_marks

    unplugged = SocReading("A", 20, T0, "manual")  # 80 kWh at 12:00, plug not said
    spot = YardSpot("A", plugged_at=T0 + 0.5 * H, unplugged_at=T0 + 1.5 * H)  # on 12:30-13:30, then off
    marks = plug_marks({"A": spot})["A"]
    assert [(m.at, m.plugged) for m in marks] == [(T0 + 0.5 * H, True), (T0 + 1.5 * H, False)]
    depot = Depot("X", "X", "UTC")
    out = block("OUT", start=OUT, hours=2, km=50)
    j = FleetJudge(depot, {"E": EV}, [Vehicle("A", "X", "E")], {"A": unplugged}, T0 + 2 * H, plan={"A": [out]},
                   plugs={"A": marks})
    r = j.readiness(j.vehicles["A"], out, [])
    assert r is not None and r.soc_pct == pytest.approx(100 * (80 + 150) / 400) and not r.plugged_in
    # plugged in again (the spot's charger is set and plugged_at moves on): charging from then to 15:00
    again = plug_marks({"A": YardSpot("A", charger_id="C1", plugged_at=T0 + 2 * H, unplugged_at=T0 + 1.5 * H)})
    j = FleetJudge(depot, {"E": EV}, [Vehicle("A", "X", "E")], {"A": unplugged}, T0 + 2 * H, plan={"A": [out]},
                   plugs=again)
    r = j.readiness(j.vehicles["A"], out, [])
    # the unplug at 13:30 before it counts no charge before it (plugged only from 14:00 on, by what is known)
    assert r is not None and r.soc_pct == pytest.approx(100 * (80 + 150) / 400) and r.plugged_in
