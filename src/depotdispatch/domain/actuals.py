"""Actuals from live data: a bus seen in service on a block starts it; back at the depot it ends it.

A sighting names the block as the vehicle's AVL or telematics unit does; it is matched to the day's block
with that id whose run is nearest (within a few hours of its plan). Which bus was seen counts:
- the first bus seen on a block is the one running it (`actual_vehicle_id`), whatever the plan says; a
  block started by hand with no bus takes the first bus seen on it; another bus reporting the same block
  id later changes nothing (the block has its bus);
- a bus first seen on a block after its pull-out started it then only if it was seen since the pull-out
  doing something else (at the depot, on other work, any reading): it left late. A bus that is on the
  block the first time it is seen since the pull-out (live data that begins mid-block: an AVL snapshot,
  a worker or simulator started late) is taken to have left at the pull-out, as nothing says otherwise;
- a return to the depot ends only the blocks that this bus is running (never another bus's on the same
  block id, never one it was not seen on); a bus seen starting other work has ended what it ran before.
A bus other than the planned one seen on a block is `vehicle_mismatch` on the board: the plan and the
street disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    # neither: the bus was seen (a reading), nothing more; it still says the bus was somewhere then


@dataclass(frozen=True)
class ActualChange:
    block: DayBlock
    vehicle_id: str
    actual_start: datetime | None = None  # set when this sighting starts the block
    actual_end: datetime | None = None  # set when this sighting ends it
    first_seen: datetime | None = None  # a start taken as the pull-out: when the bus was first seen on it
    named: bool = False  # the block had started with no bus known: this sighting names it


def runner(block: DayBlock, planned: str | None) -> str | None:
    """The bus on a block: the one live data saw on it, else the plan's; whose live risk it is. (A day's
    chains keep the plan's blocks and add those a bus was seen on: services/board._context.)"""
    return block.actual_vehicle_id or planned


def runs(block: DayBlock, vehicle_id: str) -> bool:
    """Whether `vehicle_id`, given `block` by the plan or seen on it, is the bus out on it: not when live
    data saw another bus on it (the yard has the planned bus at the depot then)."""
    return block.actual_vehicle_id in (None, vehicle_id)


def match_block(blocks: Sequence[DayBlock], block_id: str, at: datetime) -> DayBlock | None:
    """The not-cancelled block with this id running nearest to `at`, if one is within the slack."""
    fits = [b for b in blocks if b.block_id == block_id and b.cancelled_at is None
            and b.pull_out - MATCH_SLACK <= at <= b.pull_in + MATCH_SLACK]
    return min(fits, key=lambda b: abs((b.pull_out - at).total_seconds()), default=None)


def starts_to_check(blocks: Sequence[DayBlock], sightings: Sequence[Sighting]) -> dict[str, datetime]:
    """Per vehicle, its first sighting on a block not started yet and after that block's pull-out: when the
    bus was last seen before it decides when the block started (`apply_sightings`' `seen_before`)."""
    by_id: dict[str, list[DayBlock]] = {}
    for b in blocks:
        by_id.setdefault(b.block_id, []).append(b)
    out: dict[str, datetime] = {}
    for s in sightings:
        if s.block_id is None or (s.vehicle_id in out and out[s.vehicle_id] <= s.at):
            continue
        block = match_block(by_id.get(s.block_id, []), s.block_id, s.at)
        if block is not None and block.actual_start is None and s.at > block.pull_out:
            out[s.vehicle_id] = s.at
    return out


def start_from(block: DayBlock, at: datetime, last_seen: datetime | None) -> datetime:
    """When a block started, its bus first seen on it at `at` and last seen before that at `last_seen`."""
    if at <= block.pull_out or (last_seen is not None and last_seen >= block.pull_out):
        return at  # early or on time as seen; or late: it was seen elsewhere after the pull-out
    return block.pull_out  # on it from the first sighting since the pull-out: nothing says it left late


def apply_sightings(blocks: Sequence[DayBlock], sightings: Sequence[Sighting],
                    seen_before: Mapping[str, datetime] | None = None) -> tuple[list[ActualChange], int]:
    """What the sightings change, in time order; and how many named a block nobody runs then.
    `seen_before`: when each bus was last seen before its first sighting here (any reading), where known."""
    state = {b.pk: b for b in blocks}
    by_id: dict[str, list[int | None]] = {}
    for b in blocks:
        by_id.setdefault(b.block_id, []).append(b.pk)
    last = dict(seen_before or {})
    changes: list[ActualChange] = []
    unmatched = 0

    def running(vid: str, before: datetime, but: int | None = None) -> list[DayBlock]:
        return [b for b in state.values() if b.actual_vehicle_id == vid and b.pk != but
                and b.actual_start is not None and b.actual_end is None and b.actual_start < before]

    def end(vid: str, at: datetime, but: int | None = None) -> None:
        for block in running(vid, at, but):
            new = replace(block, actual_end=at)
            state[block.pk] = new
            changes.append(ActualChange(new, vid, actual_end=at))

    for s in sorted(sightings, key=lambda s: s.at):
        seen = last.get(s.vehicle_id)
        last[s.vehicle_id] = max(seen, s.at) if seen is not None else s.at
        if s.block_id is not None:
            block = match_block([state[pk] for pk in by_id.get(s.block_id, [])], s.block_id, s.at)
            if block is None:
                unmatched += 1
                continue
            if block.actual_start is None:
                start = start_from(block, s.at, seen)
                end(s.vehicle_id, start, but=block.pk)  # this bus has left what it ran before
                new = replace(block, actual_start=start, actual_vehicle_id=s.vehicle_id)
                state[block.pk] = new
                changes.append(ActualChange(new, s.vehicle_id, actual_start=start,
                                            first_seen=s.at if start != s.at else None))
            elif block.actual_vehicle_id is None and block.actual_end is None:
                new = replace(block, actual_vehicle_id=s.vehicle_id)
                state[block.pk] = new
                changes.append(ActualChange(new, s.vehicle_id, named=True))
        elif s.at_depot:
            end(s.vehicle_id, s.at)
    return changes, unmatched


def vehicle_mismatch(block: DayBlock, planned: str | None, tz: ZoneInfo) -> Reason | None:
    seen = block.actual_vehicle_id
    if seen is None or planned is None or seen == planned:
        return None
    when = f" (out since {block.actual_start.astimezone(tz):%H:%M})" if block.actual_start else ""
    return Reason("vehicle_mismatch", f"{seen} is running this block{when}, but the plan has {planned}: "
                                      f"correct the plan or check which bus is out")
