"""Applicability and service days, as pure functions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotdispatch.domain.applicability import Applicability, active_services, reference_date
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_service_time, service_day_origin, zone

WEEKDAY = Applicability(date(2026, 1, 5), date(2026, 3, 29), frozenset({1, 2, 3, 4, 5}),
                        removed=frozenset({date(2026, 1, 19)}))
WEEKEND = Applicability(date(2026, 1, 5), date(2026, 3, 29), frozenset({6, 7}), added=frozenset({date(2026, 1, 19)}))
SERVICES = {"wk": WEEKDAY, "we": WEEKEND}
FEED = Applicability(date(2026, 1, 5), date(2026, 3, 29))


def test_exceptions_win_over_weekdays() -> None:
    assert active_services(date(2026, 1, 19), FEED, SERVICES) == {"we"}  # a holiday runs the weekend service
    assert active_services(date(2026, 1, 20), FEED, SERVICES) == {"wk"}


def test_extended_schedule_borrows_the_same_weekday_of_the_feed() -> None:
    extended = Applicability(date(2026, 1, 5), date(2026, 4, 5))
    assert active_services(date(2026, 4, 1), extended, SERVICES) == {"wk"}  # a Wednesday after the feed
    assert active_services(date(2026, 4, 4), extended, SERVICES) == {"we"}
    assert active_services(date(2026, 4, 6), extended, SERVICES) == frozenset()  # past the new end


def test_removed_weekday_and_date_stop_the_schedule() -> None:
    no_fridays = Applicability(FEED.start, FEED.end, frozenset({1, 2, 3, 4, 6, 7}),
                               removed=frozenset({date(2026, 2, 4)}))
    assert active_services(date(2026, 2, 6), no_fridays, SERVICES) == frozenset()
    assert active_services(date(2026, 2, 4), no_fridays, SERVICES) == frozenset()
    assert active_services(date(2026, 2, 5), no_fridays, SERVICES) == {"wk"}


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)))
def test_reference_date_keeps_the_weekday_and_lands_in_the_feed(day: date) -> None:
    ref = reference_date(day, FEED)
    assert ref.isoweekday() == day.isoweekday()
    assert FEED.start <= ref <= FEED.end
    if FEED.start <= day <= FEED.end:
        assert ref == day


def test_invalid_applicability_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before start"):
        Applicability(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="both added and removed"):
        Applicability(FEED.start, FEED.end, added=frozenset({FEED.start}), removed=frozenset({FEED.start}))


@given(st.dates(date(2000, 1, 1), date(2040, 1, 1)),
       st.sampled_from(["Europe/Vilnius", "America/New_York", "Australia/Lord_Howe", "UTC"]))
def test_service_day_origin_is_noon_minus_12h(day: date, tz_name: str) -> None:
    tz = zone(tz_name)
    origin = service_day_origin(day, tz)
    noon = origin + timedelta(hours=12)
    assert noon.astimezone(tz).hour == 12 and noon.astimezone(tz).date() == day


@pytest.mark.parametrize(("text", "seconds"), [("5:30:00", 19800), ("25:10", 90600), ("100:00:01", 360001)])
def test_service_times_may_pass_24h(text: str, seconds: int) -> None:
    assert parse_service_time(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "12:60", "ab:cd", "-1:00:00", "12:00:61"])
def test_malformed_service_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_service_time(text)


def test_a_correction_adds_and_removes_dates_and_the_added_ones_borrow_a_day_type() -> None:
    from depotdispatch.domain.applicability import amended

    a = Applicability(date(2026, 12, 1), date(2026, 12, 31), added=frozenset({date(2027, 1, 2)}),
                      removed=frozenset({date(2026, 12, 24)}))
    new = amended(a, add=[date(2026, 12, 26)], remove=[date(2027, 1, 2), date(2026, 12, 25)], like="sunday")
    assert new.added == {date(2026, 12, 26)} and new.removed == {date(2026, 12, 24), date(2026, 12, 25),
                                                                   date(2027, 1, 2)}
    assert dict(new.like) == {date(2026, 12, 26): "sunday"} and (new.start, new.end) == (a.start, a.end)
    assert amended(a, clear_dates=True).added == frozenset() and amended(a, clear_dates=True).removed == frozenset()
    with pytest.raises(InvalidInput, match="--like goes with --add-date"):
        amended(a, like="sunday")
    with pytest.raises(InvalidInput, match="both added and removed"):
        amended(a, add=[date(2026, 12, 24)])
