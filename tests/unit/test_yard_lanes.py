"""Blocked lanes (domain/yard.blocked_in_lane): a bus out on the road blocks nobody; times say their day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from depotdispatch.domain.yard import YardSpot, blocked_in_lane

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 2, 11, 0, tzinfo=TZ)


def _t(day: int, hhmm: str) -> datetime:
    return datetime(2026, 11, day, int(hhmm[:2]), int(hhmm[3:]), tzinfo=TZ)


def test_a_bus_out_on_a_block_is_not_in_front_of_anyone() -> None:
    spots = [YardSpot("E2", "1", "A", 1), YardSpot("E3", "2", "A", 2)]  # E2's last place; it is out on MID
    due = {"E3": _t(2, "17:00")}
    assert [b.message for b in blocked_in_lane(spots, due, TZ, NOW)] == [
        "E3 (out at 17:00) is parked behind E2 (not due out) in lane A"]  # as if E2 stood there
    assert blocked_in_lane(spots, due, TZ, NOW, away={"E2"}) == []
    # nor is it behind anyone: it is not in the lane
    assert blocked_in_lane([YardSpot("E3", "2", "A", 1), YardSpot("E2", "1", "A", 2)],
                           {"E2": _t(2, "12:00"), "E3": _t(2, "17:00")}, TZ, NOW, away={"E2"}) == []


def test_a_pull_out_on_another_day_says_its_day() -> None:
    spots = [YardSpot("P", "1", "B", 1), YardSpot("Q", "2", "B", 2)]
    [b] = blocked_in_lane(spots, {"P": _t(3, "05:04"), "Q": _t(2, "20:00")}, TZ, NOW)
    assert b.message == "Q (out at 20:00) is parked behind P (out at Tue 3 Nov 05:04) in lane B"
