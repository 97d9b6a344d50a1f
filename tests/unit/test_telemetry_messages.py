"""Telemetry messages: hostile payloads are rejections with a stable reason, never anything else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from depotdispatch.domain.telemetry import MAX_PAYLOAD_BYTES, Rejected, check_time, parse_message

TOPIC = "depots/B/vehicles/E1/telemetry"
GOOD = {"soc_pct": 81.5, "measured_at": "2026-11-25T05:59:00+01:00", "plugged_in": True,
        "odometer_km": 120431.2, "block_id": "4187802"}


def test_a_good_message_is_a_reading_with_its_block() -> None:
    t = parse_message(TOPIC, json.dumps(GOOD).encode())
    r = t.reading
    assert (t.depot_id, r.vehicle_id, r.soc_pct, r.source, r.plugged_in, r.odometer_km, t.block_id) == (
        "B", "E1", 81.5, "telematics", True, 120431.2, "4187802")
    assert r.measured_at == datetime(2026, 11, 25, 4, 59, tzinfo=UTC)


HOSTILE = [
    ("year 9999 at -14:00", {**GOOD, "measured_at": "9999-12-31T23:59:59-14:00"}, "out_of_range"),
    ("400-digit number", b'{"soc_pct": ' + b"9" * 400 + b', "measured_at": "2026-11-25T05:59:00+01:00"}',
     "out_of_range"),
    ("5000-digit number", b'{"soc_pct": 1, "odometer_km": ' + b"7" * 5000 + b"}", "out_of_range"),
    ("huge float", b'{"soc_pct": 1e400, "measured_at": "2026-11-25T05:59:00+01:00"}', "out_of_range"),
    ("NaN", b'{"soc_pct": NaN, "measured_at": "2026-11-25T05:59:00+01:00"}', "out_of_range"),
    ("deep arrays", b"[" * 4000 + b"]" * 4000, "malformed"),
    ("deep objects", b'{"a":' * 1000 + b"1" + b"}" * 1000, "malformed"),
    ("100k-deep arrays", b"[" * 100_000 + b"]" * 100_000, "too_large"),
    ("malformed", b"{not json", "malformed"),
    ("not UTF-8", b"\xff\xfe\x00", "malformed"),
    ("not an object", b"[1, 2]", "malformed"),
    ("huge", json.dumps({**GOOD, "note": "x" * (MAX_PAYLOAD_BYTES + 1)}).encode(), "too_large"),
    ("soc as text", {**GOOD, "soc_pct": "high"}, "wrong_type"),
    ("soc as bool", {**GOOD, "soc_pct": True}, "wrong_type"),
    ("time as number", {**GOOD, "measured_at": 1764046740}, "wrong_type"),
    ("time without offset", {**GOOD, "measured_at": "2026-11-25T05:59:00"}, "wrong_type"),
    ("time nonsense", {**GOOD, "measured_at": "yesterday"}, "wrong_type"),
    ("plugged as text", {**GOOD, "plugged_in": "yes"}, "wrong_type"),
    ("odometer as list", {**GOOD, "odometer_km": [1]}, "wrong_type"),
    ("negative odometer", {**GOOD, "odometer_km": -5}, "out_of_range"),
    ("block id with escapes", {**GOOD, "block_id": "B\x1b[31mRED"}, "wrong_type"),
    ("block id as object", {**GOOD, "block_id": {"x": 1}}, "wrong_type"),
    ("unknown source", {**GOOD, "source": "rumour"}, "wrong_type"),
    ("soc out of range", {**GOOD, "soc_pct": 140}, "out_of_range"),
]


@pytest.mark.parametrize(("name", "payload", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_payloads_are_rejected_with_a_reason(name: str, payload: object, code: str) -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with pytest.raises(Rejected) as exc:
        parse_message(TOPIC, raw)
    assert exc.value.code == code, exc.value.detail
    assert exc.value.depot_id == "B" and exc.value.detail


@pytest.mark.parametrize("topic", ["depots/B/E1", "depots/B/vehicles/E1/telemetry/x", "x/B/vehicles/E1/telemetry",
                                   "depots/B/vehicles/" + "E" * 65 + "/telemetry"])
def test_bad_topics_are_rejected(topic: str) -> None:
    with pytest.raises(Rejected) as exc:
        parse_message(topic, json.dumps(GOOD).encode())
    assert exc.value.code == "bad_topic"


def test_time_rules() -> None:
    now = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert check_time(now + timedelta(minutes=4), now) is None
    future = check_time(now + timedelta(hours=3), now)
    assert future is not None and future.code == "future_time" and "3 h in the future" in future.detail
    old = check_time(datetime(1, 1, 1, tzinfo=UTC), now)
    assert old is not None and old.code == "out_of_range"


def test_every_rejection_reason_has_words_for_the_admin() -> None:
    from depotdispatch.domain.telemetry import REASON_WORDS, REASONS

    assert set(REASON_WORDS) == set(REASONS)


def test_a_message_may_say_where_the_bus_stands() -> None:
    from depotdispatch.domain.telemetry import Place

    def place(**extra: object) -> object:
        return parse_message(TOPIC, json.dumps({**GOOD, **extra}).encode()).place

    assert place() is None  # nothing said: the yard keeps what it knows
    assert place(bay="B12", lane="L3", position=2) == Place("B12", "L3", 2)
    assert place(bay=12, lane=" L3 ", position="2") == Place("12", "L3", 2)  # as the yard view's form takes them
    assert place(bay="B12") == Place("B12", None, None)  # the whole place: no lane now
    assert place(bay=None, lane="", position=None) is None


@pytest.mark.parametrize(("extra", "why"), [
    ({"position": 2}, "needs the lane"),
    ({"lane": "L1", "position": 0}, "give 1 (the front) to 999"),
    ({"lane": "L1", "position": 1000}, "give 1 (the front) to 999"),
    ({"lane": "L1", "position": 1.5}, "not a whole number"),
    ({"lane": "L1", "position": True}, "not a whole number"),
    ({"lane": "L1", "position": "first"}, "not a whole number"),
    ({"bay": "x" * 33}, "at most 32 printable characters"),
    ({"bay": "B\u00071"}, "at most 32 printable characters"),
    ({"lane": ["L1"]}, "lane is not text"),
    ({"bay": {"id": 1}}, "bay is not text"),
])
def test_a_yard_position_the_yard_view_would_refuse_is_rejected_with_the_reason(extra: dict[str, object],
                                                                                 why: str) -> None:
    with pytest.raises(Rejected) as exc:
        parse_message(TOPIC, json.dumps({**GOOD, **extra}).encode())
    assert exc.value.code == "bad_yard_position" and why in exc.value.detail and exc.value.depot_id == "B"
