"""Actuals from live data: a bus seen in service on a block starts it; back at the depot it ends it.

A sighting names the block as the vehicle's AVL or telematics unit does; it is matched to the day's block
with that id whose run is nearest (within a few hours of its plan). A bus other than the planned one
seen on a block is `vehicle_mismatch` on the board: the plan and the street disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.viability import Reason

MATCH_SLACK = timedelta(hours=3)


@dataclass(frozen=True)
class Sighting:
    vehicle_id: str
    at: datetime
    block_id: str | None = None  # in service on this block
    at_depot: bool = False  # back at the depot (plugged in counts)


@dataclass(frozen=True)
class ActualChange:
    block: DayBlock
    vehicle_id: str
    actual_start: datetime | None = None  # set when this sighting starts the block
    actual_end: datetime | None = None  # set when this sighting ends it


def match_block(blocks: Sequence[DayBlock], block_id: str, at: datetime) -> DayBlock | None:
    """The not-cancelled block with this id running nearest to `at`, if one is within the slack."""
    fits = [b for b in blocks if b.block_id == block_id and b.cancelled_at is None
            and b.pull_out - MATCH_SLACK <= at <= b.pull_in + MATCH_SLACK]
    return min(fits, key=lambda b: abs((b.pull_out - at).total_seconds()), default=None)


def apply_sightings(blocks: Sequence[DayBlock], sightings: Sequence[Sighting]) -> tuple[list[ActualChange], int]:
    """What the sightings change, in time order; and how many named a block nobody runs then."""
    state = {b.pk: b for b in blocks}
    changes: list[ActualChange] = []
    unmatched = 0
    for s in sorted(sightings, key=lambda s: s.at):
        if s.block_id is not None:
            block = match_block(list(state.values()), s.block_id, s.at)
            if block is None:
                unmatched += 1
                continue
            if block.actual_start is None:
                new = replace(block, actual_start=s.at, actual_vehicle_id=s.vehicle_id)
                state[block.pk] = new
                changes.append(ActualChange(new, s.vehicle_id, actual_start=s.at))
        elif s.at_depot:
            running = [b for b in state.values() if b.actual_vehicle_id == s.vehicle_id
                       and b.actual_start is not None and b.actual_end is None and b.actual_start < s.at]
            for block in running:
                new = replace(block, actual_end=s.at)
                state[block.pk] = new
                changes.append(ActualChange(new, s.vehicle_id, actual_end=s.at))
    return changes, unmatched


def vehicle_mismatch(block: DayBlock, planned: str | None, tz: ZoneInfo) -> Reason | None:
    seen = block.actual_vehicle_id
    if seen is None or planned is None or seen == planned:
        return None
    when = f" at {block.actual_start.astimezone(tz):%H:%M}" if block.actual_start else ""
    return Reason("vehicle_mismatch", f"{seen} was seen on this block{when}, but the plan has {planned}: "
                                      f"correct the plan or check which bus is out")
