"""Ad-hoc blocks (replacement, extra or missing work) and change-outs: first-class blocks of a day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime

from depotdispatch.domain.blocks import Trip
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import MAX_BLOCK_S, MAX_DISTANCE_KM, check_text
from depotdispatch.domain.words import AdhocReason, Origin

ADHOC_REASONS = tuple(AdhocReason)


def adhoc_block(*, block_id: str, service_date: date, pull_out: datetime, pull_in: datetime, adhoc_reason: str,
                distance_km: float | None, distance_source: str = "stated", replaces: DayBlock | None = None,
                vehicle_class: str | None = None, note: str | None = None, routes: Sequence[str] = (),
                trip_ids: Sequence[str] = ()) -> DayBlock:
    """An operator's block. Without a distance it copies the one of the block it replaces."""
    block_id = (block_id or "").strip()
    if not block_id:
        raise InvalidInput("an ad-hoc block needs an id", column="block_id")
    check_text(block_id, "block_id")
    for field, value in (("vehicle_class", vehicle_class), ("note", note)):
        if value is not None:
            check_text(value, field)
    if adhoc_reason not in ADHOC_REASONS:
        raise InvalidInput(f"reason {adhoc_reason!r} is not one of {', '.join(ADHOC_REASONS)}", column="adhoc_reason")
    if adhoc_reason == AdhocReason.OTHER and not (note or "").strip():
        raise InvalidInput("reason 'other' needs a note saying what the work is", column="note")
    if pull_in <= pull_out:
        raise InvalidInput("the pull-in is not after the pull-out", column="pull_in")
    if (pull_in - pull_out).total_seconds() > MAX_BLOCK_S:
        raise InvalidInput(f"a block longer than {MAX_BLOCK_S // 3600} h is not one vehicle's day of work",
                           column="pull_in")
    if distance_km is None and replaces is not None:
        distance_km, distance_source = replaces.distance_km, replaces.distance_source
    if distance_km is not None and not 0 <= distance_km <= MAX_DISTANCE_KM:
        raise InvalidInput(f"distance {distance_km} km is not plausible", column="distance_km")
    return DayBlock(block_id=block_id, service_date=service_date, pull_out=pull_out, pull_in=pull_in,
                    distance_km=distance_km, distance_source=distance_source if distance_km is not None else "unknown",
                    trip_ids=tuple(trip_ids), routes=tuple(routes or (replaces.routes if replaces else ())),
                    vehicle_class=vehicle_class or (replaces.vehicle_class if replaces else None), origin=Origin.ADHOC,
                    adhoc_reason=AdhocReason(adhoc_reason), replaces_block=replaces.block_id if replaces else None,
                    note=note)


def split_block(block: DayBlock, trips: Sequence[Trip], at: datetime, new_id: str,
                trip_start: Callable[[Trip], datetime],
                trip_end: Callable[[Trip], datetime] | None = None) -> tuple[DayBlock, DayBlock]:
    """A change-out at `at` (DESIGN §5): the trips starting at or after `at` become an ad-hoc block another
    vehicle can take; the original keeps the trips before, their distance (so the two add up to the
    original) and so their energy, and now ends when its last kept trip does. Planned times only: what
    actually happened is recorded as actuals, never invented here."""
    if not block.trip_ids:
        raise InvalidInput(f"block {block.block_id} has no trips to split; add a replacement block instead")
    if not block.pull_out < at < block.pull_in:
        raise InvalidInput("the change-out time is not inside the block")
    by_id = {t.trip_id: t for t in trips}
    ordered = [by_id[t] for t in block.trip_ids if t in by_id]
    rest = [t for t in ordered if trip_start(t) >= at]
    kept = [t for t in ordered if trip_start(t) < at]
    if not rest:
        raise InvalidInput("no trip of the block starts after the change-out time")
    if not kept:
        raise InvalidInput("every trip starts after that time: reassign the block instead of splitting it")
    known = [t.distance_km for t in rest if t.distance_km is not None]
    distance = round(sum(known), 3) if len(known) == len(rest) else None
    remaining = adhoc_block(block_id=new_id, service_date=block.service_date, pull_out=trip_start(rest[0]),
                            pull_in=block.pull_in, adhoc_reason=AdhocReason.REPLACEMENT, distance_km=distance,
                            distance_source=block.distance_source, replaces=block,
                            note=f"change-out of {block.block_id}",
                            trip_ids=[t.trip_id for t in rest], routes=tuple(dict.fromkeys(t.route_id for t in rest)))
    if distance is None:
        remaining = replace(remaining, distance_km=None, distance_source="unknown")
    if block.distance_km is not None and distance is not None:
        kept_km: float | None = round(max(block.distance_km - distance, 0.0), 3)
    else:
        known_kept = [t.distance_km for t in kept if t.distance_km is not None]
        kept_km = round(sum(known_kept), 3) if len(known_kept) == len(kept) else None
    ends = min(max(trip_end(t) for t in kept) if trip_end else at, remaining.pull_out)
    done = replace(block, pull_in=ends if ends > block.pull_out else at, trip_ids=tuple(
        t.trip_id for t in kept), routes=tuple(dict.fromkeys(t.route_id for t in kept)), distance_km=kept_km,
        distance_source=block.distance_source if kept_km is not None else "unknown")
    return done, remaining
