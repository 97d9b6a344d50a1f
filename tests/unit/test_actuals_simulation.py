"""Actuals from sightings, and the simulator's day, on constructed data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.actuals import Sighting, apply_sightings, runner, runs, starts_to_check, vehicle_mismatch
from depotdispatch.domain.charging_plan import Bus, Charger, Work, YardRules
from depotdispatch.domain.simulation import SimBlock, simulate
from depotdispatch.domain.telemetry import Place
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
        ("B", T0 + timedelta(hours=5), None, "E9")]  # first seen a minute after its pull-out: left on time
    assert changes[-1].first_seen == T0 + timedelta(hours=5, minutes=1) and changes[0].first_seen is None
    started_b = changes[-1].block
    reason = vehicle_mismatch(started_b, "E2", TZ)
    assert reason is not None and reason.code == "vehicle_mismatch"
    assert reason.message.startswith("E9 is running this block (out since 18:00), but the plan has E2")
    assert vehicle_mismatch(started_b, "E9", TZ) is None and vehicle_mismatch(started_b, None, TZ) is None


def _m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_bus_first_seen_on_a_block_long_after_its_pull_out_left_on_time_unless_seen_since() -> None:
    a, b, c = block("A", T0, hours=8, pk=1), block("B", T0, hours=8, pk=2), block("C", T0, hours=8, pk=3)
    sightings = [
        Sighting("E1", _m(120), "A"),  # an AVL snapshot two hours in: nothing says it left late
        Sighting("E2", _m(80), at_depot=True), Sighting("E2", _m(95), "B"),  # at the depot after the pull-out
        Sighting("E3", _m(100), "C"),  # a stored reading after the pull-out (seen_before): late too
    ]
    assert starts_to_check([a, b, c], sightings) == {"E1": _m(120), "E2": _m(95), "E3": _m(100)}
    changes, _ = apply_sightings([a, b, c], sightings, {"E3": _m(30), "E1": _m(-20)})
    starts = {ch.block.block_id: (ch.actual_start, ch.first_seen) for ch in changes if ch.actual_start}
    assert starts == {"A": (T0, _m(120)), "B": (_m(95), None), "C": (_m(100), None)}
    early = apply_sightings([a], [Sighting("E1", _m(-4), "A")])[0]
    assert early[0].actual_start == _m(-4)  # before the pull-out: as seen
    assert starts_to_check([replace(a, actual_start=T0)], sightings[:1]) == {}  # started: nothing to ask


def test_the_bus_seen_on_a_block_runs_it_and_only_its_return_ends_it() -> None:
    a = block("A", T0, hours=4, pk=1)
    by_hand = block("H", T0, hours=4, pk=2, actual_start=_m(3))  # started by hand, no bus known
    changes, _ = apply_sightings([a, by_hand], [
        Sighting("X", _m(1), "A"),  # planned for Y, perhaps: X runs it
        Sighting("Z", _m(10), "A"),  # another bus on the same block id: A has its bus
        Sighting("W", _m(12), "H"),  # names the bus of the block started by hand
        Sighting("Y", _m(60), at_depot=True),  # the planned bus, never seen on A: ends nothing
        Sighting("Z", _m(70), at_depot=True),  # nor the other one
        Sighting("X", _m(200), at_depot=True),  # the bus running it
        Sighting("W", _m(210), at_depot=True),
    ])
    assert [(ch.block.block_id, ch.vehicle_id, ch.actual_start, ch.actual_end, ch.named) for ch in changes] == [
        ("A", "X", T0, None, False), ("H", "W", None, None, True),
        ("A", "X", None, _m(200), False), ("H", "W", None, _m(210), False)]
    final = {ch.block.block_id: ch.block for ch in changes}
    assert final["A"].actual_vehicle_id == "X" and final["H"].actual_start == _m(3)
    assert runner(final["A"], "Y") == "X" and runner(a, "Y") == "Y" and runner(a, None) is None
    assert runs(final["A"], "X") and not runs(final["A"], "Y") and runs(a, "Y")


def test_a_bus_seen_starting_other_work_has_ended_what_it_ran() -> None:
    a, b = block("A", T0, hours=4, pk=1), block("B", T0 + timedelta(hours=4, minutes=10), hours=4, pk=2)
    changes, _ = apply_sightings([a, b], [Sighting("X", _m(2), "A"), Sighting("X", _m(239), "A"),
                                          Sighting("X", _m(262), "B")])  # interlined: straight on to B
    assert [(ch.block.block_id, ch.actual_start, ch.actual_end) for ch in changes] == [
        ("A", T0, None), ("A", None, _m(250)), ("B", _m(250), None)]


def test_the_simulated_day_falls_on_blocks_rises_on_chargers_and_one_bus_runs_low() -> None:
    start = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    buses, blocks = [], {}
    for i, km in enumerate((120, 200)):
        s, e = start + timedelta(hours=2), start + timedelta(hours=8)
        kwh = km * 1.3
        buses.append(Bus(f"E{i}", 400, 150, 80, start, True, (Work(f"W{i}", s, e, kwh, kwh + 120),)))
        blocks[f"E{i}"] = [SimBlock(f"W{i}", s, e, km, kwh)]
    msgs = simulate(buses, blocks, [Charger("C1", 150)], YardRules(), start, start + timedelta(hours=12),
                    every=timedelta(minutes=5), seed=1, places={"E0": Place("7", "A", 2), "E1": Place("9", None, None)})
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
        # in the yard it says where it stands; on the road it does not
        place = {k: after[0].payload.get(k) for k in ("bay", "lane", "position")}
        assert place == ({"bay": "7", "lane": "A", "position": 2} if v == "E0" else
                         {"bay": "9", "lane": None, "position": None})
        assert all({k: m.payload.get(k) for k in place} == place for m in by[v] if "block_id" not in m.payload)
        assert not any("bay" in m.payload for m in on)
    # the longer block's bus is the one that runs low: it uses a third more than the energy model says
    e1 = [m for m in by["E1"] if m.payload.get("block_id") == "W1"]
    used = e1[0].payload["soc_pct"] - e1[-1].payload["soc_pct"]
    assert used > 1.2 * 100 * 200 * 1.3 / 400 * (1 - 5 / 360)
    assert all(m.at.second == by["E0"][0].at.second for m in by["E0"])  # a steady reporting interval
