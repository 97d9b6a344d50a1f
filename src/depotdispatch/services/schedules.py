"""Schedules: the only writer of schedules, their services, trips and stated blocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from depotdispatch.domain.applicability import Applicability, active_services, feed_range
from depotdispatch.domain.blocks import BlockWork, Trip, chain_trips, group_blocks
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.events import Event
from depotdispatch.domain.schedules import FeedContent, Schedule
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.domain.words import EventKind
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork

MIN_LAYOVER_S = 300


@dataclass
class ImportResult:
    schedule_id: int
    trips: int
    blocks: int
    generated_blocks: int
    service_dates: int
    warnings: list[str] = field(default_factory=list)
    already_imported: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"schedule_id": self.schedule_id, "trips": self.trips, "blocks": self.blocks,
                "generated_blocks": self.generated_blocks, "service_dates": self.service_dates,
                "warnings": self.warnings, "already_imported": self.already_imported}


def blocks_for_day(trips: Sequence[Trip], min_layover_s: int = MIN_LAYOVER_S) -> list[BlockWork]:
    """A service day's blocks: grouped by block_id, and chained for trips that have none."""
    with_id = [t for t in trips if t.block_id]
    without = [t for t in trips if not t.block_id]
    blocks = group_blocks(with_id)
    if without:
        blocks += chain_trips(without, min_layover_s=min_layover_s)
    return blocks


def _imported(uow: UnitOfWork, schedule: Schedule, schedule_id: int, actor: str, now: datetime, *, trips: int,
              blocks: int) -> None:
    a = schedule.applicability
    uow.plans.add_event(Event(schedule.depot_id, EventKind.SCHEDULE_IMPORTED, actor, now, after={
        "schedule_id": schedule_id, "name": schedule.name, "source_kind": schedule.source_kind, "trips": trips,
        "blocks": blocks, "start": a.start.isoformat(), "end": a.end.isoformat()}))


def import_gtfs(uow: UnitOfWork, depot_id: str, feed: FeedContent, now: datetime, *,
                again: bool = False, actor: str = "local-admin") -> ImportResult:
    """A feed becomes a schedule. The same file (by content hash) again is "already imported" and changes
    nothing, unless `again` asks for a second schedule from it."""
    if not feed.trips:
        raise InvalidInput("the feed has no trips with stop times", file="trips.txt")
    span = feed_range(feed.services.values())
    if span is None:
        raise InvalidInput("the feed's calendars give no service dates", file="calendar.txt")
    schedule = Schedule(schedule_id=None, depot_id=depot_id, name=feed.name, source_kind="gtfs",
                        applicability=Applicability(span.start, span.end), services=feed.services,
                        blocks_generated=not feed.has_block_ids, distance_unit=feed.distance_unit,
                        warnings=list(feed.warnings), content_hash=feed.content_hash)
    running = {t.service_id for t in feed.trips}
    dates = [d for d in span.dates() if active_services(d, schedule.applicability, feed.services, span) & running]
    if not dates:
        raise InvalidInput("no trip of the feed runs on any date of its calendars", file="calendar.txt")
    block_ids = {t.block_id for t in feed.trips if t.block_id}
    generated: set[str] = set()
    if any(not t.block_id for t in feed.trips):
        # Chains depend on which services run together: one chaining per distinct set of services.
        by_service: dict[str, list[Trip]] = {}
        for t in feed.trips:
            if not t.block_id:
                by_service.setdefault(t.service_id, []).append(t)
        for combo in {active_services(d, schedule.applicability, feed.services, span) for d in dates}:
            day_trips = [t for sid in sorted(combo) for t in by_service.get(sid, [])]
            generated.update(b.block_id for b in chain_trips(day_trips, min_layover_s=MIN_LAYOVER_S))
    with uow:
        require_depot(uow, depot_id)
        known = uow.schedules.with_content(depot_id, feed.content_hash) if feed.content_hash else None
        if known is not None and not again:
            schedule_id = known
        else:
            schedule_id = uow.schedules.add(schedule, now)
            uow.schedules.add_trips(schedule_id, feed.trips)
            uow.schedules.add_stops(schedule_id, list(feed.stops.values()))
            _imported(uow, schedule, schedule_id, actor, now, trips=len(feed.trips),
                      blocks=len(block_ids) + len(generated))
            announce(uow, depot_id, None, "schedule", schedule_id=schedule_id)
            uow.commit()
    return ImportResult(schedule_id=schedule_id, trips=len(feed.trips), blocks=len(block_ids) + len(generated),
                        generated_blocks=len(generated), service_dates=len(dates), warnings=list(feed.warnings),
                        already_imported=known is not None and not again)


def import_blocks(uow: UnitOfWork, depot_id: str, name: str, blocks: Sequence[BlockWork],
                  applicability: Applicability, now: datetime, *, actor: str = "local-admin") -> ImportResult:
    service_dates = sum(1 for _ in applicability.dates())  # everything that can fail, before the write
    if not service_dates:
        raise InvalidInput("the dates and weekdays given select no day")
    schedule = Schedule(schedule_id=None, depot_id=depot_id, name=name, source_kind="blocks_csv",
                        applicability=applicability)
    with uow:
        require_depot(uow, depot_id)
        schedule_id = uow.schedules.add(schedule, now)
        uow.schedules.add_stated_blocks(schedule_id, blocks)
        _imported(uow, schedule, schedule_id, actor, now, trips=0, blocks=len(blocks))
        announce(uow, depot_id, None, "schedule", schedule_id=schedule_id)
        uow.commit()
    return ImportResult(schedule_id=schedule_id, trips=0, blocks=len(blocks), generated_blocks=0,
                        service_dates=service_dates, warnings=[])


def import_day_sheet(uow: UnitOfWork, depot_id: str, name: str, row_dates: Iterable[str],
                     blocks: Sequence[BlockWork], now: datetime, *, file: str,
                     actor: str = "local-admin") -> tuple[ImportResult, date]:
    """A pull-out sheet (the MTA UTS kind) holds one service date's runs: refused when its rows name no date
    or several; its blocks then apply on that date only."""
    dates = sorted({d for d in row_dates if d})
    if len(dates) != 1:
        raise InvalidInput(f"a UTS sheet imports one service date; this one has {len(dates)}: {', '.join(dates[:5])}",
                           file=file, column="date")
    day = parse_date(dates[0])
    if not blocks:
        raise InvalidInput("no run could be read", file=file)
    return import_blocks(uow, depot_id, name, blocks, Applicability(day, day), now, actor=actor), day


def list_schedules(uow: UnitOfWork, depot_id: str) -> list[Schedule]:
    with uow:
        require_depot(uow, depot_id)
        return list(uow.schedules.for_depot(depot_id))
