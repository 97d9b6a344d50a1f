"""One way to say a duration (domain/durations.py): under 2 h in minutes on every sentence, whatever made it
(a charging time in the plug-in order, a reading's age, a late start, a reading from the future)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.readings import SocReading, rejection
from depotdispatch.domain.telemetry import check_time


def test_under_two_hours_in_minutes_then_hours_then_days() -> None:
    assert duration_words(timedelta(minutes=65)) == "65 min"  # the plug-in order said "1 h 05 min"
    assert duration_words(timedelta(minutes=119, seconds=59)) == "119 min"
    assert duration_words(timedelta(minutes=120)) == "2 h"
    assert duration_words(timedelta(minutes=125), exact=True) == "2 h 5 min"
    assert duration_words(timedelta(hours=12, minutes=5), exact=True) == "12 h"
    assert duration_words(timedelta(hours=47)) == "47 h" and duration_words(timedelta(hours=50)) == "2 days"
    assert duration_words(timedelta(seconds=-30)) == "0 min"


def test_a_time_still_needed_counts_a_started_minute() -> None:
    assert duration_words(timedelta(minutes=32, seconds=10)) == "32 min"
    assert duration_words(timedelta(minutes=32, seconds=10), round_up=True) == "33 min"
    assert duration_words(timedelta(minutes=33), round_up=True) == "33 min"  # float noise is not a minute more


def test_both_front_doors_of_a_reading_from_the_future_say_it_alike() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    ahead = now + timedelta(minutes=95)
    said = rejection(SocReading("E1", 50, ahead), now, known_vehicle=True)
    rejected = check_time(ahead, now)
    assert said == "measured_at is 95 min in the future (clock skew allowed: 5 min)"
    assert rejected is not None and rejected.detail == said


def test_the_plug_in_order_says_a_charge_under_two_hours_in_minutes() -> None:
    from depotdispatch.domain.charging_plan import Charger, YardRules, plan_charging
    from depotdispatch.domain.plug_in import plug_in_order
    from tests.unit.test_charging_plan import TZ, at, bus

    long = bus("S", 20, 3, 85)  # 65 kWh short at 60 kW: 65 min ("1 h 05 min" before)
    longer = bus("T", 0, 4, 100, usable=200)  # 100 kWh: 100 min; a two-hour charge reads in hours and minutes
    longest = bus("U", 0, 6, 130, usable=200)  # 130 kWh: 130 min
    chargers = [Charger("C1", 150, 3)]
    plan = plan_charging([long, longer, longest], chargers, YardRules(), at(8))
    order = {e.vehicle_id: e.reason for e in plug_in_order(plan, [long, longer, longest], chargers, YardRules(),
                                                           at(0), TZ)}
    assert "needs 65 % more, 65 min at 60 kW" in order["S"], order
    assert "100 min at 60 kW" in order["T"] and "2 h 10 min at 60 kW" in order["U"], order
