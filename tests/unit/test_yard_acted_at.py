"""When a yard action happened: the phone's time when plausible (domain/yard.acted_at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.yard import acted_at

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_the_time_the_person_acted_is_taken_when_plausible() -> None:
    assert acted_at(None, NOW) == NOW  # the phone said nothing
    assert acted_at(NOW - timedelta(minutes=20), NOW) == NOW - timedelta(minutes=20)  # queued offline
    assert acted_at(NOW - timedelta(hours=11, minutes=59), NOW) == NOW - timedelta(hours=11, minutes=59)
    assert acted_at(NOW + timedelta(minutes=4), NOW) == NOW  # a phone a little ahead: not after the server


@pytest.mark.parametrize(("claimed", "why"), [
    (NOW + timedelta(minutes=6), "6 min from now"),
    (NOW - timedelta(hours=13), "entered 13 h ago and waited offline too long"),
    (datetime(2026, 11, 25, 14, 40), "no UTC offset"),
])
def test_an_implausible_time_is_refused_with_the_reason(claimed: datetime, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        acted_at(claimed, NOW)
