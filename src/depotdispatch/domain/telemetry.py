"""Telemetry messages (DESIGN §11): one MQTT message is one reading, or a rejection with a stable code.

Every way a message can be wrong has a code, so a worker counts them per reason and never dies on
input: `too_large`, `malformed`, `wrong_type`, `bad_topic`, `out_of_range`, `future_time`,
`unknown_vehicle`, `wrong_depot`, `not_electric`, `bad_yard_position`, `store_failed`.

A message may say where the bus stands (DESIGN §12a): `bay`, `lane`, `position` (1 = the front of the
lane), checked as the yard view checks them (`yard.checked_place`); together they are the whole place, as
in the yard view's form.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readings import MAX_SKEW, SOURCES, SocReading
from depotdispatch.domain.words import ReadingSource
from depotdispatch.domain.yard import checked_place

MAX_PAYLOAD_BYTES = 8 * 1024
MAX_AGE = timedelta(days=30)
_ID = re.compile(r"^[^\s/+#\x00-\x1f\x7f]{1,64}$")
_TEXT = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
REASONS = ("too_large", "malformed", "wrong_type", "bad_topic", "out_of_range", "future_time",
           "unknown_vehicle", "wrong_depot", "not_electric", "bad_yard_position", "store_failed")
# what each code means, for the people who read the counts (the admin's web page)
REASON_WORDS = {
    "too_large": "payload too large", "malformed": "not a readable JSON object",
    "wrong_type": "a field of the wrong type", "bad_topic": "topic not depots/{depot}/vehicles/{vehicle}/telemetry",
    "out_of_range": "a value out of range", "future_time": "measured in the future",
    "unknown_vehicle": "no such vehicle", "wrong_depot": "vehicle of another depot",
    "not_electric": "not a battery-electric vehicle", "bad_yard_position": "a bay, lane or position the yard refuses",
    "store_failed": "the database refused it",
}


@dataclass(frozen=True)
class Place:
    bay: str | None
    lane: str | None
    lane_order: int | None  # the payload's `position`


@dataclass(frozen=True)
class Telemetry:
    depot_id: str
    reading: SocReading
    block_id: str | None = None  # in service on this block
    at_depot: bool = False  # back at the depot
    place: Place | None = None  # where it stands in the yard, when the message says


class Rejected(Exception):
    def __init__(self, code: str, detail: str, depot_id: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.depot_id = code, detail, depot_id


def _int(text: str) -> int:
    if len(text) > 15:
        raise Rejected("out_of_range", f"number {text[:20]}... has {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > 40:
        raise Rejected("out_of_range", f"number {text[:20]}... is {len(text)} characters long")
    value = float(text)
    if not math.isfinite(value):
        raise Rejected("out_of_range", f"number {text} is not finite")
    return value


def _const(text: str) -> float:
    raise Rejected("out_of_range", f"{text} is not a number")


def parse_message(topic: str, payload: bytes) -> Telemetry:
    """The reading in one message; `Rejected` says why there is none. Never raises anything else."""
    depot = None
    try:
        parts = topic.split("/")
        if len(parts) != 5 or parts[0] != "depots" or parts[2] != "vehicles" or parts[4] != "telemetry" \
                or not _ID.match(parts[1]) or not _ID.match(parts[3]):
            raise Rejected("bad_topic", f"topic {topic[:120]!r} is not depots/{{depot}}/vehicles/{{vehicle}}/telemetry")
        depot, vehicle = parts[1], parts[3]
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise Rejected("too_large", f"payload of {len(payload)} bytes (at most {MAX_PAYLOAD_BYTES})", depot)
        return _parse(depot, vehicle, payload)
    except Rejected as exc:
        exc.depot_id = exc.depot_id or depot
        raise
    except RecursionError:
        raise Rejected("malformed", "payload nests too deep", depot) from None
    except Exception as exc:  # noqa: BLE001 - whatever a hostile payload provokes is a rejection, not a crash
        raise Rejected("malformed", f"payload cannot be read ({type(exc).__name__})", depot) from None


def _parse(depot: str, vehicle: str, payload: bytes) -> Telemetry:
    try:
        doc: Any = json.loads(payload.decode("utf-8"), parse_int=_int, parse_float=_float, parse_constant=_const)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected("malformed", f"payload is not JSON ({str(exc)[:80]})", depot) from None
    if not isinstance(doc, dict):
        raise Rejected("malformed", "payload is not a JSON object", depot)
    soc = doc.get("soc_pct", doc.get("soc"))
    if not isinstance(soc, int | float) or isinstance(soc, bool):
        raise Rejected("wrong_type", "payload has no numeric soc_pct", depot)
    if not 0 <= soc <= 100:
        raise Rejected("out_of_range", f"SoC {soc} % is outside 0-100 %", depot)
    when = doc.get("measured_at", doc.get("timestamp"))
    if not isinstance(when, str) or len(when) > 40:
        raise Rejected("wrong_type", "payload has no measured_at (ISO 8601 with offset)", depot)
    try:
        measured = datetime.fromisoformat(when.strip())
    except ValueError:
        raise Rejected("wrong_type", f"measured_at {when!r} is not ISO 8601 with an offset", depot) from None
    if measured.tzinfo is None:
        raise Rejected("wrong_type", f"measured_at {when!r} has no UTC offset", depot)
    try:
        measured = measured.astimezone(UTC)
    except OverflowError:
        raise Rejected("out_of_range", f"measured_at {when!r} is outside the calendar", depot) from None
    source = doc.get("source", "telematics")
    if not isinstance(source, str) or source.lower() not in SOURCES:
        raise Rejected("wrong_type", f"source must be one of {', '.join(SOURCES)}", depot)
    odometer = doc.get("odometer_km")
    if odometer is not None and (not isinstance(odometer, int | float) or isinstance(odometer, bool)):
        raise Rejected("wrong_type", "odometer_km is not a number", depot)
    if odometer is not None and not 0 <= odometer <= 10_000_000:
        raise Rejected("out_of_range", f"odometer {odometer} km is outside 0-10,000,000", depot)
    plugged = doc.get("plugged_in")
    if plugged is not None and not isinstance(plugged, bool):
        raise Rejected("wrong_type", "plugged_in is not true or false", depot)
    at_depot = doc.get("at_depot", False)
    if not isinstance(at_depot, bool):
        raise Rejected("wrong_type", "at_depot is not true or false", depot)
    charger = _text(doc.get("charger_id"), "charger_id", depot, 64)
    block = _text(doc.get("block_id"), "block_id", depot, 200)
    reading = SocReading(vehicle, float(soc), measured, ReadingSource(source.lower()),
                         float(odometer) if odometer is not None else None, plugged, charger)
    return Telemetry(depot, reading, block, at_depot, _place(doc, depot))


def _place(doc: dict[str, Any], depot: str) -> Place | None:
    """`bay`, `lane`, `position` as the yard view takes them: text (a number is its digits), a whole number
    1-999 for the position (digits as text too), a position only with a lane."""
    given = {k: doc.get(k) for k in ("bay", "lane", "position")}
    if all(v is None or v == "" for v in given.values()):
        return None
    texts = []
    for name in ("bay", "lane"):
        v = given[name]
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        if v is not None and not isinstance(v, str):
            raise Rejected("bad_yard_position", f"{name} is not text", depot)
        texts.append(v)
    pos = given["position"]
    if isinstance(pos, str) and pos.strip().isdigit() and len(pos.strip()) <= 4:
        pos = int(pos.strip())
    if pos == "":
        pos = None
    if pos is not None and (not isinstance(pos, int) or isinstance(pos, bool)):
        raise Rejected("bad_yard_position", f"position {str(pos)[:20]!r} is not a whole number", depot)
    try:
        return Place(*checked_place(texts[0], texts[1], pos))
    except InvalidInput as exc:
        raise Rejected("bad_yard_position", exc.detail, depot) from None


def _text(value: object, name: str, depot: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit or not _TEXT.match(value):
        raise Rejected("wrong_type", f"{name} must be text of at most {limit} printable characters", depot)
    return value


def check_time(measured_at: datetime, now: datetime) -> Rejected | None:
    """A reading from the future (beyond the allowed skew) or from long ago is not stored."""
    ahead = measured_at - now
    if ahead > MAX_SKEW:
        return Rejected("future_time", f"measured_at is {duration_words(ahead)} in the future "
                                       f"(clock skew allowed: {duration_words(MAX_SKEW)})")
    if -ahead > MAX_AGE:
        return Rejected("out_of_range", f"measured_at is more than {MAX_AGE.days} days old")
    return None
