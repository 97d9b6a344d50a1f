"""Actuals from sightings, and the simulator's day, on constructed data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.actuals import Sighting, apply_sightings, vehicle_mismatch
from depotdispatch.domain.charging_plan import Bus, Charger, Work, YardRules
from depotdispatch.domain.simulation import SimBlock, simulate
from tests.builders import T0, block

TZ = ZoneInfo("Europe/Berlin")


def test_sightings_start_and_end_blocks_and_name_the_bus() -> None:
    a = block("A", T0, hours=4, pk=1)
    b = block("B", T0 + timedelta(hours=5), hours=3, pk=2)
    changes, unmatched = apply_sightings([a, b], [
        Sighting("E1", T0 + timedelta(minutes=2), "A"),
        Sighting("E1", T0 + timedelta(minutes=30), "A"),  # already started: nothing new
        Sighting("E1", T0 + timedelta(hours=4, minutes=5), at_depot=True),
        Sighting("E9", T0 + timedelta(hours=5, minutes=1), "B"),
        Sighting("E9", T0 + timedelta(hours=20), "B"),  # far from B's run: no block
        Sighting("E1", T0, "NOPE"),
    ])
    assert unmatched == 2
    assert [(c.block.block_id, c.actual_start, c.actual_end, c.vehicle_id) for c in changes] == [
        ("A", T0 + timedelta(minutes=2), None, "E1"),
        ("A", None, T0 + timedelta(hours=4, minutes=5), "E1"),
        ("B", T0 + timedelta(hours=5, minutes=1), None, "E9")]
    started_b = changes[-1].block
    reason = vehicle_mismatch(started_b, "E2", TZ)
    assert reason is not None and reason.code == "vehicle_mismatch"
    assert reason.message.startswith("E9 was seen on this block at 18:01, but the plan has E2")
    assert vehicle_mismatch(started_b, "E9", TZ) is None and vehicle_mismatch(started_b, None, TZ) is None


def test_the_simulated_day_falls_on_blocks_rises_on_chargers_and_one_bus_runs_low() -> None:
    start = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    buses, blocks = [], {}
    for i, km in enumerate((120, 200)):
        s, e = start + timedelta(hours=2), start + timedelta(hours=8)
        kwh = km * 1.3
        buses.append(Bus(f"E{i}", 400, 150, 80, start, True, (Work(f"W{i}", s, e, kwh, kwh + 120),)))
        blocks[f"E{i}"] = [SimBlock(f"W{i}", s, e, km, kwh)]
    msgs = simulate(buses, blocks, [Charger("C1", 150)], YardRules(), start, start + timedelta(hours=12),
                    every=timedelta(minutes=5), seed=1)
    by = {v: [m for m in msgs if m.vehicle_id == v] for v in ("E0", "E1")}
    for v, km in (("E0", 120), ("E1", 200)):
        on = [m for m in by[v] if m.payload.get("block_id") == f"W{v[1]}"]
        assert on
        assert on[-1].payload["soc_pct"] < on[0].payload["soc_pct"]  # falls along the block
        odo = [m.payload["odometer_km"] for m in on]
        assert odo == sorted(odo) and 0.9 * km < odo[-1] - by[v][0].payload["odometer_km"] <= km + 1e-6
        after = [m for m in by[v] if m.at > start + timedelta(hours=8)]
        charging = [m for m in after if m.payload["plugged_in"]]
        assert charging and charging[-1].payload["soc_pct"] > after[0].payload["soc_pct"]  # rises on a charger
        assert all(m.payload["at_depot"] for m in after)
    # the longer block's bus is the one that runs low: it uses a third more than the energy model says
    e1 = [m for m in by["E1"] if m.payload.get("block_id") == "W1"]
    used = e1[0].payload["soc_pct"] - e1[-1].payload["soc_pct"]
    assert used > 1.2 * 100 * 200 * 1.3 / 400 * (1 - 5 / 360)
    assert all(m.at.second == by["E0"][0].at.second for m in by["E0"])  # a steady reporting interval
