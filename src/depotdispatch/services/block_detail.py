"""One block in full: its trips, the energy estimate with its inputs, every vehicle's verdict, its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from depotdispatch.domain.blocks import Trip
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.events import Event
from depotdispatch.domain.servicetime import at_service_time, zone
from depotdispatch.services import audit, picker
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class TripRow:
    trip: Trip
    departs_at: datetime
    arrives_at: datetime


@dataclass
class BlockDetail:
    options: picker.BlockOptions  # the block, its status, its vehicle, every vehicle judged
    trips: list[TripRow]
    events: list[Event]


def block_detail(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, now: datetime) -> BlockDetail:
    opts = picker.vehicle_options(uow, depot_id, service_date, block_id, now)
    block = opts.block
    trips: list[TripRow] = []
    with uow:
        tz = zone(require_depot(uow, depot_id).timezone)
        schedule_id, seen = block.schedule_id, {block.block_id}
        source: DayBlock | None = block
        # a change-out part keeps trips of the block it was split from (the schedule's): find them there
        while schedule_id is None and source is not None and source.replaces_block not in (None, *seen):
            seen.add(source.replaces_block or "")
            source = uow.days.block(depot_id, service_date, source.replaces_block or "", exact=True)
            schedule_id = source.schedule_id if source is not None else None
        if schedule_id is not None and block.trip_ids:
            found = uow.schedules.trips_by_ids(schedule_id, block.trip_ids)
            ordered = sorted(found, key=lambda t: t.start_s)
            trips = [TripRow(t, at_service_time(service_date, t.start_s, tz),
                             at_service_time(service_date, t.end_s, tz)) for t in ordered]
    events = audit.events(uow, depot_id, service_date=service_date, block_id=block_id, limit=200)
    return BlockDetail(opts, trips, events)
