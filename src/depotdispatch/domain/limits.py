"""Bounds on what people and files give us: one rule per field, checked at the edge, the same on
every database (the column lengths of the tables follow MAX_LEN; a test holds them equal)."""

from __future__ import annotations

import math
import re

from depotdispatch.domain.errors import InvalidInput

MAX_LEN = {
    "depot_id": 64, "vehicle_id": 64, "charger_id": 64, "vehicle_class": 64,
    "block_id": 200, "trip_id": 200, "service_id": 200, "route_id": 200, "stop_id": 200, "name": 200,
    "vehicle_type": 100, "actor": 100, "source": 16, "adhoc_reason": 32,
    "note": 500, "reason": 500, "override_reason": 500, "bus_number": 64,
}
MAX_TEXT = 10_000  # any other cell or field
MAX_BLOCK_S = 30 * 3600  # longer is not one vehicle's day of work
MAX_DISTANCE_KM = 2_000.0  # a block's (or a trip's) distance
MAX_ODOMETER_KM = 10_000_000.0
CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # C0 (but tab and newline) and C1 control characters
CONTROL_IN_ID = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL, _CONTROL_IN_ID = re.compile(CONTROL), re.compile(CONTROL_IN_ID)


def control_character(text: str, *, identifier: bool = False) -> str | None:
    """The first control character in `text` (as a readable escape), or None."""
    m = (_CONTROL_IN_ID if identifier else _CONTROL).search(text)
    return None if m is None else repr(m.group())[1:-1]


def text_problem(value: str, field: str) -> str | None:
    """Why `value` cannot be the `field` (an id, a name, a note ...); None when it is fine."""
    limit, label = MAX_LEN.get(field, MAX_TEXT), field or "the value"
    if len(value) > limit:
        return f"{label} is {len(value)} characters long; at most {limit}"
    bad = control_character(value, identifier=field in MAX_LEN)
    if bad:
        return f"{label} contains the control character {bad}"
    return None


def check_text(value: str, field: str, *, column: str | None = None) -> str:
    problem = text_problem(value, field)
    if problem:
        raise InvalidInput(problem, column=column or field)
    return value


def check_number(value: float, field: str, *, low: float, high: float) -> float:
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidInput(f"{field} {value} is not plausible (give {low:g} to {high:g})", column=field)
    return value
