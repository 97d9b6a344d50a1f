"""Viability with reasons: codes, operator sentences with numbers, and monotonicity."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readings import SocReading, latest_trusted, rejection
from depotdispatch.domain.viability import SEVERITY
from tests.builders import DIESEL, EV, T0, block, vehicle

DEPOT = Depot("D", "Depot", "UTC", reserve_pct=20, marginal_band_pct=10, stale_after_h=6, temperature_c=15)


def judge(soc: float | None, age_h: float = 1.0, vehicles=None, plugged: bool = False) -> FleetJudge:
    vs = vehicles or [vehicle("E1"), vehicle("D1", DIESEL)]
    readings = {} if soc is None else {"E1": SocReading("E1", soc, T0 - timedelta(hours=age_h), "telematics",
                                                        plugged_in=plugged)}
    return FleetJudge(DEPOT, {"XE40": EV, "D40": DIESEL}, vs, readings, T0)


def test_ok_pair_says_nothing_alarming() -> None:
    v = judge(95).judge("E1", block(km=100))
    assert v.status == "ok" and v.reasons == ()
    assert v.end_soc_pct == pytest.approx(95 - 100 * 130 / 400, abs=0.1)


def test_below_reserve_sentence_has_the_numbers() -> None:
    v = judge(60).judge("E1", block(km=150))  # needs 195 kWh = 49 %, ends at 11 %
    assert v.status == "not_viable" and v.codes == ("soc_below_reserve",)
    msg = v.reasons[0].message
    assert "arrives at pull-in with 11 %" in msg and "20 % reserve" in msg and "60 % at pull-out" in msg


def test_a_bus_that_runs_out_is_said_to_run_out_not_to_arrive_below_zero() -> None:
    v = judge(30).judge("E1", block(km=150))  # needs 49 %: 19 % short of a full battery
    msg = v.reasons[0].message
    assert v.status == "not_viable" and "runs out of charge before pull-in (19 % of a battery short)" in msg
    assert not re.search(r"-\d", msg)


def test_a_bus_that_runs_out_on_earlier_work_is_not_said_to_start_below_zero() -> None:
    # a replay (U-M, 2022-02-09): "... (it lacks 55 % of a full battery): -18 % at pull-out, needs 37 %"
    first = block("A", T0 + timedelta(hours=1), hours=3, km=150)
    later = block("B", T0 + timedelta(hours=5), hours=3, km=50)
    msg = judge(30).judge("E1", later, [first, later]).reasons[0].message
    assert msg.startswith("runs out of charge before pull-in (35 % of a battery short): it runs out on its "
                          "earlier work (19 % short), so it is not back to start this one, needs 16 %"), msg
    assert not re.search(r"-\d", msg)


def test_marginal_band() -> None:
    v = judge(75).judge("E1", block(km=150))  # ends at 26 %: inside reserve + 10
    assert v.status == "marginal" and v.codes == ("soc_marginal",)


def test_stale_missing_and_unknown_distance() -> None:
    assert judge(95, age_h=9).judge("E1", block(km=50)).codes == ("soc_stale",)
    assert "last reading 9 h ago" in judge(95, age_h=9).judge("E1", block(km=50)).reasons[0].message
    assert judge(None).judge("E1", block(km=50)).status == "unknown"
    v = judge(95).judge("E1", block(km=None))
    assert v.status == "unknown" and "distance_unknown" in v.codes


def test_diesel_is_judged_on_everything_but_energy() -> None:
    v = judge(None).judge("D1", block(km=900, hours=20))
    assert v.status == "ok" and v.reasons == ()
    v = judge(None).judge("D1", block(vehicle_class="18m"))
    assert v.codes == ("class_mismatch",) and v.status == "not_viable"


def test_unavailable_and_overlap() -> None:
    j = judge(95, vehicles=[vehicle("E1", availability="maintenance")])
    assert j.judge("E1", block(km=10)).codes == ("unavailable",)
    other = block("B0", start=T0 - timedelta(hours=2), hours=2.05)  # ends 3 min before: under the turnaround
    v = judge(95).judge("E1", block(km=10), [other])
    assert v.codes == ("overlaps_block",) and "B0" in v.reasons[0].message


def test_the_other_blocks_times_name_their_day_when_not_today() -> None:
    # T0 is Wed 25 Nov 12:00 (UTC depot): a block to 00:30 tomorrow is not "20:00-00:30" of today
    late = block("NIGHT", start=T0 + timedelta(hours=8), hours=4.5)
    msg = judge(95).judge("E1", block(km=10, start=T0 + timedelta(hours=9)), [late]).reasons[0].message
    assert "runs block NIGHT (20:00-Thu 26 Nov 00:30), which overlaps" in msg, msg
    soon = block("B0", start=T0 - timedelta(hours=26), hours=2)  # yesterday, 3 min before
    turn = judge(95).judge("E1", block(km=10, start=T0 - timedelta(hours=24) + timedelta(minutes=3)), [soon])
    assert "runs block B0 (Tue 24 Nov 10:00-Tue 24 Nov 12:00), leaving under" in turn.reasons[0].message


def test_charging_until_pull_out_counts() -> None:
    later = block(start=T0 + timedelta(hours=3), km=150)
    assert judge(60).judge("E1", later).status == "not_viable"
    charged = judge(60, plugged=True).judge("E1", later)
    assert charged.status == "ok" and charged.readiness.charged_kwh > 100


def test_earlier_blocks_of_the_plan_drain_the_battery() -> None:
    first = block("A", start=T0, hours=3, km=200)
    second = block("B", start=T0 + timedelta(hours=3, minutes=15), hours=3, km=120)
    alone = judge(95).judge("E1", second)
    chained = judge(95).judge("E1", second, [first, second])
    assert alone.status == "ok" and chained.status == "not_viable"
    assert chained.readiness.prior_kwh == pytest.approx(260)
    # back on a charger for the 15 min between the blocks: at most 150 kW x 0.95 x 0.25 h
    assert 0 < chained.readiness.charged_kwh <= 150 * 0.95 * 0.25 + 0.01


@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 20), st.floats(0, 20), st.floats(5, 400))
def test_viability_never_improves_when_soc_drops_or_the_reading_ages(s1, s2, a1, a2, km) -> None:
    hi, lo = max(s1, s2), min(s1, s2)
    young, old = min(a1, a2), max(a1, a2)
    b = block(start=T0 + timedelta(hours=1), km=km)
    best = judge(hi, young).judge("E1", b).status
    assert SEVERITY[judge(lo, young).judge("E1", b).status] >= SEVERITY[best]
    assert SEVERITY[judge(hi, old).judge("E1", b).status] >= SEVERITY[best]


def test_reading_rejections_say_why() -> None:
    ok = SocReading("E1", 50, T0, "telematics")
    assert rejection(ok, T0, True) is None
    assert "unknown vehicle" in rejection(ok, T0, False)
    assert "outside 0-100" in rejection(replace(ok, soc_pct=101), T0, True)
    assert "in the future" in rejection(replace(ok, measured_at=T0 + timedelta(hours=1)), T0, True)
    assert rejection(replace(ok, measured_at=T0 + timedelta(minutes=2)), T0, True) is None  # small skew
    with pytest.raises(InvalidInput, match="source 'rumour' is not one of"):  # checked where the reading is made
        replace(ok, source="rumour")


def test_latest_trusted_prefers_measurements_and_trust_on_ties() -> None:
    t = SocReading("E1", 50, T0, "manual")
    tel = SocReading("E1", 52, T0, "telematics")
    est = SocReading("E1", 90, T0 + timedelta(hours=1), "estimate")
    older = SocReading("E1", 40, T0 - timedelta(hours=1), "telematics")
    assert latest_trusted([t, tel, est, older]) == tel
    assert latest_trusted([est]) == est
    assert latest_trusted([t, older], at=T0 - timedelta(minutes=1)) == older


def test_a_reading_just_past_the_threshold_does_not_read_as_equal_to_it() -> None:
    from datetime import timedelta

    from depotdispatch.domain.durations import duration_words as describe_age

    # "last reading 6 h ago ..., older than 6 h" contradicted itself on a real day (6 h 12 min)
    assert describe_age(timedelta(hours=6, minutes=12), exact=True) == "6 h 12 min"
    assert describe_age(timedelta(hours=6, minutes=12)) == "6 h"  # the yard's "read 6 h ago" stays round
    assert describe_age(timedelta(hours=6), exact=True) == "6 h" and describe_age(timedelta(minutes=90)) == "90 min"
    assert describe_age(timedelta(hours=33), exact=True) == "33 h" and describe_age(timedelta(days=3)) == "3 days"
    message = judge(95, age_h=6.2).judge("E1", block(km=50)).reasons[0].message
    assert "last reading 6 h 12 min ago" in message and "older than 6 h" in message


def test_a_stale_reading_from_another_day_names_its_day() -> None:
    # T0 is Wed 25 Nov 12:00 (UTC depot): 9 h ago is today's 03:00, 30 h ago is Tue 24 Nov 06:00
    today = judge(95, age_h=9).judge("E1", block(km=50)).reasons[0].message
    yesterday = judge(95, age_h=30).judge("E1", block(km=50)).reasons[0].message
    assert "(at 03:00," in today
    assert "(at Tue 24 Nov 06:00," in yesterday and "30 h ago" in yesterday


def test_a_charge_just_under_the_reserve_never_reads_as_the_reserve() -> None:
    # U-M replay: "would pull in at 20 %, below the reserve" against a 20 % reserve (19.6 rounded)
    v = judge(52.1).judge("E1", block(km=100))  # needs 32.5 %: ends at 19.6 %
    assert v.status == "not_viable"
    msg = v.reasons[0].message
    assert "arrives at pull-in with 19.6 % (" in msg and "against a 20 % reserve" in msg, msg


def test_a_bus_that_runs_out_by_a_hair_is_short_by_less_than_1_point_not_0() -> None:
    # U-M replay: "would run out 0 % short" (-0.3 %), and "-0 %" for -0.0
    v = judge(32.2).judge("E1", block(km=100))  # ends at -0.3 %
    assert "runs out of charge before pull-in (less than 1 % of a battery short)" in v.reasons[0].message


def test_percent_words() -> None:
    from depotdispatch.domain.viability import pct, pct_below, pct_short

    assert pct(-0.0) == "0 %" and pct(-0.4) == "0 %" and pct(19.6) == "20 %"
    assert pct_below(19.6, 20) == "19.6 %" and pct_below(19.96, 20) == "19.9 %" and pct_below(11.2, 20) == "11 %"
    assert pct_below(-0.0, 20) == "0 %" and pct_below(20.4, 20) == "20 %"  # not below: as pct
    assert pct_short(0.3) == "less than 1 %" and pct_short(0.6) == "1 %" and pct_short(21.4) == "21 %"
