"""Schedules: an imported timetable for a depot and when it applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.blocks import Stop, Trip

SOURCE_KINDS = ("gtfs", "blocks_csv")


@dataclass
class Schedule:
    schedule_id: int | None
    depot_id: str
    name: str
    source_kind: str
    applicability: Applicability
    services: dict[str, Applicability] = field(default_factory=dict)
    blocks_generated: bool = False
    distance_unit: str | None = None
    warnings: list[str] = field(default_factory=list)
    content_hash: str | None = None  # of the file it came from: the same file is one schedule


@dataclass
class FeedContent:
    """What a GTFS reader hands over: services' calendars and one record per trip."""

    name: str
    services: dict[str, Applicability]
    trips: list[Trip]
    distance_unit: str | None
    has_block_ids: bool
    warnings: list[str] = field(default_factory=list)
    content_hash: str | None = None
    stops: dict[str, Stop] = field(default_factory=dict)  # the trips' first and last stops, by id
