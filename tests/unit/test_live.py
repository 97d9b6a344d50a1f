"""Readings during a block count only its rest; the live risk; the one overlap-and-turnaround rule."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.readiness import remaining_part
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.turnaround import (
    OVERLAP,
    SHORT,
    block_clash,
    clash,
    clash_matrix,
    double_bookings,
)
from depotdispatch.domain.viability import SEVERITY
from tests.builders import DIESEL, EV, T0, block, vehicle

DEPOT = Depot("D", "Depot", "America/Toronto", reserve_pct=20, marginal_band_pct=10, stale_after_h=6)
CURRENT = block("B1", T0, hours=8, km=160)  # 208 kWh on the XE40 (400 kWh usable)
NEXT = block("B2", T0 + timedelta(hours=9), hours=2, km=40)


NO_CHARGER = replace(EV, charge_kw=None)  # nothing charges between blocks: the arithmetic shows


PLAN = {"E1": [CURRENT, NEXT]}


def judge(readings: dict[str, SocReading], now) -> FleetJudge:  # type: ignore[no-untyped-def]
    return FleetJudge(DEPOT, {"XE40": NO_CHARGER, "D40": DIESEL}, [vehicle("E1"), vehicle("D1", DIESEL)], readings,
                      now, plan=PLAN)


def read(soc: float, at, odometer: float | None = None) -> SocReading:  # type: ignore[no-untyped-def]
    return SocReading("E1", soc, at, "telematics", odometer_km=odometer)


def test_a_reading_mid_block_subtracts_only_the_rest_of_the_block() -> None:
    at = T0 + timedelta(hours=6)  # 2 of 8 h left: a quarter of 208 kWh
    j = judge({"E1": read(60, at)}, at)
    v = j.judge("E1", NEXT, [CURRENT, NEXT])
    assert v.readiness.soc_pct == pytest.approx(60 - 100 * 52 / 400)
    assert v.status == "ok"
    here = j.judge("E1", CURRENT, [CURRENT, NEXT])  # the block itself: the reading against what is left
    assert here.end_soc_pct == pytest.approx(60 - 13, abs=0.1) and here.readiness.during_block
    # the same reading seen from a vehicle the plan does not put on B1: it was doing something else
    other = FleetJudge(DEPOT, {"XE40": NO_CHARGER}, [vehicle("E1")], {"E1": read(60, at)}, at)
    assert other.judge("E1", NEXT, [CURRENT, NEXT]).readiness.soc_pct == pytest.approx(60 - 100 * 208 / 400)


@settings(max_examples=200, deadline=None)
@given(t1=st.floats(0.01, 0.98), dt=st.floats(0.0, 0.5), soc1=st.floats(5, 95), up=st.floats(0, 40),
       plugged_curve=st.booleans())
def test_a_fresher_higher_reading_never_lowers_the_next_pull_out(t1: float, dt: float, soc1: float, up: float,
                                                                plugged_curve: bool) -> None:
    """Property (issue 10, must show): readings at random points during a block; a fresher, higher one
    never makes the projected SoC at the next pull-out fall."""
    vtype = EV if plugged_curve else NO_CHARGER
    hours = 8
    first = T0 + timedelta(hours=hours * t1)
    second = T0 + timedelta(hours=hours * min(t1 + dt, 0.99))
    soc2 = min(soc1 + up, 100)
    now = T0 + timedelta(hours=hours)
    j1 = FleetJudge(DEPOT, {"XE40": vtype}, [vehicle("E1")], {"E1": read(soc1, first)}, now, plan=PLAN)
    j2 = FleetJudge(DEPOT, {"XE40": vtype}, [vehicle("E1")], {"E1": read(soc2, second)}, now, plan=PLAN)
    r1 = j1.judge("E1", NEXT, [CURRENT, NEXT])
    r2 = j2.judge("E1", NEXT, [CURRENT, NEXT])
    assert r2.readiness.soc_pct >= r1.readiness.soc_pct - 1e-6
    assert SEVERITY[r2.status] <= SEVERITY[r1.status] or r2.status == "unknown"


def test_remaining_part_by_odometer_and_by_time() -> None:
    end = T0 + timedelta(hours=10)
    by_time = remaining_part(T0, end, 200, T0 + timedelta(hours=6))
    assert (by_time.source, by_time.km, by_time.share) == ("time", pytest.approx(80), pytest.approx(0.4))
    by_odo = remaining_part(T0, end, 200, T0 + timedelta(hours=6), odometer_km=1150, odometer_start_km=1000)
    assert (by_odo.source, by_odo.km) == ("odometer", pytest.approx(50))
    beyond = remaining_part(T0, end, 200, T0 + timedelta(hours=6), odometer_km=1300, odometer_start_km=1000)
    assert beyond.km == 0  # further than planned: nothing left, never negative


def test_live_risk_codes() -> None:
    now = T0 + timedelta(hours=5)
    low = judge({"E1": read(30, now - timedelta(minutes=5))}, now).live_risk(CURRENT, "E1")
    assert low.codes == ("live_soc_below_reserve",) and low.status == "at_risk"
    assert "11:55" in low.reasons[0].message and "UTC" not in low.reasons[0].message  # 16:55 UTC
    marginal = judge({"E1": read(48, now)}, now).live_risk(CURRENT, "E1")  # 3 h left = 78 kWh = 19.5 %
    assert marginal.codes == ("live_soc_marginal",)
    fine = judge({"E1": read(80, now)}, now).live_risk(CURRENT, "E1")
    assert fine.codes == () and fine.status == "ok" and fine.end_soc_pct == pytest.approx(80 - 19.5, abs=0.1)
    stale = judge({"E1": read(80, now - timedelta(hours=7))}, now).live_risk(CURRENT, "E1")
    assert stale.codes == ("live_soc_stale",) and "7 h ago" in stale.reasons[0].message
    assert "get a reading" in stale.reasons[0].message
    overnight = judge({"E1": read(80, now - timedelta(hours=20, minutes=10))}, now).live_risk(CURRENT, "E1")
    assert "20 h ago (at Tue 24 Nov 15:50)" in overnight.reasons[0].message  # yesterday's, said so
    assert judge({}, now).live_risk(CURRENT, "E1").codes == ("live_soc_stale",)
    assert judge({}, now).live_risk(CURRENT, None).codes == ("no_vehicle",)
    assert judge({}, now).live_risk(CURRENT, "D1").codes == ()  # a diesel has no charge to run out of


def test_a_bus_that_runs_out_is_said_to_run_out_never_to_pull_in_with_a_negative_charge() -> None:
    now = T0 + timedelta(hours=5)  # 3 h left need 19.5 %
    out = judge({"E1": read(12, now)}, now).live_risk(CURRENT, "E1")
    message = out.reasons[0].message
    assert out.codes == ("live_soc_below_reserve",) and out.end_soc_pct == pytest.approx(12 - 19.5, abs=0.1)
    assert message.startswith("runs out of charge before its 15:00 pull-in (8 % short")
    assert not re.search(r"-\d", message)
    low = judge({"E1": read(30, now)}, now).live_risk(CURRENT, "E1")  # 10.5 % left: still said as a charge
    assert low.reasons[0].message.startswith("pulls in at 15:00 with 10 %")


def test_one_overlap_and_turnaround_rule_scalar_and_vectorised() -> None:
    turn = timedelta(minutes=10)
    a = block("A", T0, hours=2)
    touching = block("T", T0 + timedelta(hours=2), hours=1)
    inside = block("I", T0 + timedelta(hours=1), hours=3)
    later = block("L", T0 + timedelta(hours=2, minutes=10), hours=1)
    assert block_clash(a, inside, turn) == OVERLAP
    assert block_clash(a, touching, turn) == SHORT
    assert block_clash(a, later, turn) is None
    assert clash(a.pull_out, a.pull_in, a.pull_out, a.pull_in, timedelta(0)) == OVERLAP
    blocks = [a, touching, inside, later]
    h = np.array([(b.pull_out - T0).total_seconds() / 3600 for b in blocks])
    e = np.array([(b.pull_in - T0).total_seconds() / 3600 for b in blocks])
    m = clash_matrix(h, e, h, e, 10 / 60)
    code = {None: 0, SHORT: 1, OVERLAP: 2}
    for i, x in enumerate(blocks):
        for k, y in enumerate(blocks):
            if i != k:
                assert m[i, k] == code[clash(x.pull_out, x.pull_in, y.pull_out, y.pull_in, turn)]


def test_double_bookings_finds_every_overlapping_pair() -> None:
    bs = [replace(block(f"B{i}", T0 + timedelta(hours=i), hours=2), pk=i) for i in range(4)]
    found = double_bookings({0: "E1", 1: "E1", 3: "E1", 2: "E2"}, bs, timedelta(minutes=10))
    assert [(d.first.block_id, d.second.block_id) for d in found] == [("B0", "B1")]
    assert double_bookings({0: "E1", 2: "E1"}, bs, timedelta(minutes=10)) == []
    short = double_bookings({0: "E1", 2: "E1"}, bs, timedelta(minutes=10), only=None)
    assert [d.code for d in short] == [SHORT]


def test_a_late_start_says_why_the_pull_in_is_later_than_the_boards_column() -> None:
    # the board's Pull-in column is the planned 15:00; the live sentence names the running one, 17:32
    now = T0 + timedelta(hours=5)
    late = replace(CURRENT, actual_start=CURRENT.pull_out + timedelta(hours=2, minutes=32))
    msg = judge({"E1": read(60, now)}, now).live_risk(late, "E1").reasons[0].message
    assert msg.startswith("pulls in at 17:32 (it started 2 h 32 min late) with "), msg
    out = judge({"E1": read(20, now)}, now).live_risk(late, "E1").reasons[0].message
    assert out.startswith("runs out of charge before its 17:32 pull-in (it started 2 h 32 min late) ("), out
    on_time = judge({"E1": read(20, now)}, now).live_risk(CURRENT, "E1").reasons[0].message
    assert "late" not in on_time


def test_a_clock_of_another_day_says_its_day() -> None:
    # a night block that started at 23:40 local (Toronto) with no bus, seen at 00:30: "started at 23:40" read as
    # tonight's; and a pull-in past midnight seen the evening before
    night = block("N1", T0 - timedelta(hours=7, minutes=20), hours=3, km=60)  # 23:40 local on 24 Nov
    now = night.pull_out + timedelta(minutes=50)
    missed = judge({}, now).live_risk(night, None).reasons[0].message
    assert missed.startswith("started at Tue 24 Nov 23:40 with no vehicle on it"), missed
    evening = block("N2", T0 + timedelta(hours=13), hours=6, km=100)  # 20:00 to 02:00 local
    at = evening.pull_out + timedelta(hours=1)
    msg = judge({"E1": read(30, at)}, at).live_risk(evening, "E1").reasons[0].message
    assert msg.startswith("pulls in at Thu 26 Nov 02:00 with ") and "read 30 % at 21:00;" in msg, msg
    today = judge({"E1": read(30, T0)}, T0 + timedelta(hours=1)).live_risk(CURRENT, "E1").reasons[0].message
    assert "before its 15:00 pull-in" in today and "read 30 % at 07:00;" in today, today  # today's stays bare


def test_a_reading_before_the_start_counts_the_charging_and_the_work_in_between() -> None:
    """Replay (U-M, issue 14): a bus read 85 % plugged in at 03:58 and out at 05:40 was called short on the
    road from the 85 %, while readiness (and the recommendation) had it at 100 % at pull-out. The live risk
    starts from what the reading became by the block's start, and says so."""
    later = block("B3", T0 + timedelta(hours=2), hours=6, km=120)  # 14:00-20:00 UTC
    plan = {"E1": [later]}
    read_at = T0 - timedelta(hours=1)  # 3 h before the start
    now = later.pull_out + timedelta(hours=1)
    unplugged = SocReading("E1", 55, read_at, "telematics", plugged_in=False)
    short = FleetJudge(DEPOT, {"XE40": EV}, [vehicle("E1")], {"E1": unplugged}, now, plan=plan).live_risk(later, "E1")
    need = 55 - short.end_soc_pct  # not plugged in: nothing charged, the reading is the start
    assert 20 < need < 60 and "so about" not in short.reasons[0].message
    plugged = replace(unplugged, plugged_in=True)  # plugged in: 150 kW for 3 h fills it
    j = FleetJudge(DEPOT, {"XE40": EV}, [vehicle("E1")], {"E1": plugged}, now, plan=plan)
    ready = j.readiness(vehicle("E1"), later).soc_pct
    risk = j.live_risk(later, "E1")
    assert ready == pytest.approx(100) and risk.end_soc_pct == pytest.approx(ready - need, abs=0.1)
    assert risk.status == "ok" and risk.codes == ()
    # an earlier block after the reading is spent before this one starts (it was ignored before)
    first = block("B0", T0 - timedelta(minutes=30), hours=2, km=60)
    alone = FleetJudge(DEPOT, {"XE40": NO_CHARGER}, [vehicle("E1")], {"E1": replace(unplugged, soc_pct=70)}, now,
                       plan=plan).live_risk(later, "E1")
    j3 = FleetJudge(DEPOT, {"XE40": NO_CHARGER}, [vehicle("E1")], {"E1": replace(unplugged, soc_pct=70)}, now,
                    plan={"E1": [first, later]})
    worked = j3.live_risk(later, "E1")
    spent = 70 - j3.readiness(vehicle("E1"), later, [first]).soc_pct
    assert spent > 10 and worked.end_soc_pct == pytest.approx(alone.end_soc_pct - spent, abs=0.1)
    msg = worked.reasons[0].message
    assert re.search(r"read 70 % at 06:00, so about \d+ % at its 09:00 start after its earlier work; ", msg), msg
