"""The yard (DESIGN §12a): where a bus stands, what it is plugged into, and lanes that block a pull-out.

In a lane, order 1 is the front (the exit): a bus due out earlier parked behind one due out later is
`blocked_in_lane`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readiness import PlugMark
from depotdispatch.domain.readings import MAX_SKEW
from depotdispatch.domain.servicetime import clock_on, to_local

_PLACE = re.compile(r"^[^\x00-\x1f\x7f]{1,32}$")
# a yard action queued on a phone that was offline longer than this is refused rather than back-dated:
# by then the bus has moved on, and the person is told to enter it again
MAX_QUEUED = timedelta(hours=12)


def acted_at(claimed: datetime | None, now: datetime) -> datetime:
    """When a yard action happened: the time the person acted, as their phone says (an action queued while
    offline arrives later), when plausible; `now` when the phone said nothing. Not ahead of `now` by more than
    the clock skew readings allow, not older than MAX_QUEUED; otherwise InvalidInput says why."""
    if claimed is None:
        return now
    if claimed.tzinfo is None:
        raise InvalidInput("the time of the action has no UTC offset")
    if claimed - now > MAX_SKEW:
        minutes = round((claimed - now).total_seconds() / 60)
        raise InvalidInput(f"the phone's clock says this was done {minutes} min from now (it may be "
                           f"{int(MAX_SKEW.total_seconds() // 60)} min ahead at most): check the phone's clock")
    if now - claimed > MAX_QUEUED:
        hours = (now - claimed).total_seconds() / 3600
        raise InvalidInput(f"this was entered {hours:.0f} h ago and waited offline too long to be recorded as "
                           f"of then (at most {MAX_QUEUED.total_seconds() / 3600:.0f} h): enter it again")
    return min(claimed, now)  # a phone a little ahead: not after the server has it


@dataclass(frozen=True)
class YardSpot:
    vehicle_id: str
    bay: str | None = None
    lane: str | None = None
    lane_order: int | None = None
    charger_id: str | None = None  # plugged into, as last told
    plugged_at: datetime | None = None  # when the yard last plugged it in
    unplugged_at: datetime | None = None  # when the yard last unplugged it
    updated_at: datetime | None = None  # the yard's (or telematics') last word on this bus, of any kind


def plug_marks(spots: Mapping[str, YardSpot]) -> dict[str, tuple[PlugMark, ...]]:
    """The yard's last plugged-in and last unplugged marks per vehicle, oldest first, as readiness takes them
    (`readiness.standing`): a plug and an unplug with no reading between still count the charge between."""
    out = {}
    for v, s in spots.items():
        marks = []
        if s.plugged_at is not None:
            marks.append(PlugMark(s.plugged_at, True, s.charger_id))
        if s.unplugged_at is not None:
            marks.append(PlugMark(s.unplugged_at, False))
        if marks:
            out[v] = tuple(sorted(marks, key=lambda m: m.at))
    return out


def checked_place(bay: str | None, lane: str | None, lane_order: int | None) -> tuple[str | None, str | None,
                                                                                      int | None]:
    out = []
    for name, value in (("bay", bay), ("lane", lane)):
        value = value.strip() if isinstance(value, str) else value
        if value and not _PLACE.match(value):
            raise InvalidInput(f"{name} {value[:40]!r}: give at most 32 printable characters")
        out.append(value or None)
    if lane_order is not None and not 1 <= lane_order <= 999:
        raise InvalidInput(f"position in lane {lane_order}: give 1 (the front) to 999")
    if lane_order is not None and out[1] is None:
        raise InvalidInput("a position in a lane needs the lane")
    return out[0], out[1], lane_order


@dataclass(frozen=True)
class Blocked:
    vehicle_id: str
    behind: str
    lane: str
    message: str

    code = "blocked_in_lane"


def blocked_in_lane(spots: Sequence[YardSpot], next_pull_out: Mapping[str, datetime], tz: ZoneInfo,
                    now: datetime, away: Collection[str] = ()) -> list[Blocked]:
    """Every bus that must leave before a bus parked in front of it in the same lane. A bus in `away` (out on
    a block now: domain/status.out_on) is not in the lane, whatever its last place says: it blocks nobody."""
    lanes: dict[str, list[YardSpot]] = {}
    today = to_local(now, tz).date()

    def hm(t: datetime) -> str:  # tomorrow's pull-out says its day
        return clock_on(to_local(t, tz), today)

    for s in spots:
        if s.lane is not None and s.lane_order is not None and s.vehicle_id not in away:
            lanes.setdefault(s.lane, []).append(s)
    out = []
    for lane, parked in sorted(lanes.items()):
        parked.sort(key=lambda s: s.lane_order or 0)
        for i, back in enumerate(parked):
            due = next_pull_out.get(back.vehicle_id)
            if due is None:
                continue
            for front in parked[:i]:
                front_due = next_pull_out.get(front.vehicle_id)
                if front_due is None or front_due > due:
                    later = f"out at {hm(front_due)}" if front_due else "not due out"
                    out.append(Blocked(back.vehicle_id, front.vehicle_id, lane,
                                       f"{back.vehicle_id} (out at {hm(due)}) is parked behind "
                                       f"{front.vehicle_id} ({later}) in lane {lane}"))
                    break
    return out
