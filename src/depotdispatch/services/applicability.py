"""Correcting when a schedule applies, after upload: first the impact, then (confirmed) the change.

Never loses assignments silently: a set-up day whose blocks would go away with their vehicles is only
changed when the operator confirms, and every removed assignment is kept in an event. Days already
past are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.applicability import Applicability, active_services, feed_range
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.schedules import Schedule
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services.changes import announce
from depotdispatch.services.days import day_changes, resetup_day, wanted_blocks
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import require_day
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class DayImpact:
    service_date: date
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    assignments_lost: list[dict[str, str]] = field(default_factory=list)  # {"block_id", "vehicle_id"}
    past: bool = False


@dataclass
class Impact:
    schedule_id: int
    before: Applicability
    after: Applicability
    dates_added: list[date]
    dates_removed: list[date]
    days: list[DayImpact]
    conflicts: list[str]

    @property
    def assignments_lost(self) -> int:
        return sum(len(d.assignments_lost) for d in self.days if not d.past)

    def as_dict(self) -> dict[str, Any]:
        def appl(a: Applicability) -> dict[str, Any]:
            return {"start": a.start.isoformat(), "end": a.end.isoformat(),
                    "weekdays": "".join(str(d) for d in sorted(a.weekdays)),
                    "added": sorted(d.isoformat() for d in a.added),
                    "removed": sorted(d.isoformat() for d in a.removed),
                    "like": {d.isoformat(): t for d, t in a.like}}

        return {"schedule_id": self.schedule_id, "before": appl(self.before), "after": appl(self.after),
                "dates_added": [d.isoformat() for d in self.dates_added],
                "dates_removed": [d.isoformat() for d in self.dates_removed],
                "set_up_days": [{"service_date": d.service_date.isoformat(), "blocks_added": d.added,
                                 "blocks_removed": d.removed, "blocks_changed": d.changed,
                                 "assignments_lost": d.assignments_lost, "past": d.past} for d in self.days],
                "assignments_lost": self.assignments_lost, "conflicts": self.conflicts}


def _service_dates(schedule: Schedule, a: Applicability) -> set[date]:
    if schedule.source_kind != "gtfs":
        return set(a.dates())
    span = feed_range(schedule.services.values())
    return {d for d in a.dates() if active_services(d, a, schedule.services, span)}


def _impact(uow: UnitOfWork, depot_id: str, schedule: Schedule, after: Applicability, now: datetime) -> Impact:
    depot = require_depot(uow, depot_id)
    tz = zone(depot.timezone)
    today = to_local(now, tz).date()
    old_dates, new_dates = _service_dates(schedule, schedule.applicability), _service_dates(schedule, after)
    days: list[DayImpact] = []
    conflicts: list[str] = []
    for day in uow.days.set_up_dates(depot_id):
        if day not in old_dates and day not in new_dates:
            continue
        day_id = require_day(uow, depot_id, day)
        corrected = [replace(s, applicability=after) if s.schedule_id == schedule.schedule_id else s
                     for s in uow.schedules.for_depot(depot_id)]
        wanted, warnings = wanted_blocks(uow, depot_id, day, tz, corrected)
        conflicts.extend(f"{day}: {w}" for w in warnings)
        changes = day_changes(uow, day_id, day, wanted, now)
        if not (changes.added or changes.removed or changes.changed):
            continue
        assignments = uow.plans.assignments_for_dates(depot_id, [day])
        lost = [{"block_id": b.block_id, "vehicle_id": assignments[b.pk].vehicle_id}
                for b in changes.removed if b.pk in assignments]
        days.append(DayImpact(day, [b.block_id for b in changes.added], [b.block_id for b in changes.removed],
                              [b.block_id for b in changes.changed], lost, past=day < today))
    return Impact(schedule.schedule_id or 0, schedule.applicability, after, sorted(new_dates - old_dates),
                  sorted(old_dates - new_dates), days, conflicts)


def _schedule(uow: UnitOfWork, depot_id: str, schedule_id: int) -> Schedule:
    for s in uow.schedules.for_depot(depot_id):
        if s.schedule_id == schedule_id:
            return s
    raise NotFound(f"depot {depot_id!r} has no schedule {schedule_id}")


def schedule_applicability(uow: UnitOfWork, depot_id: str, schedule_id: int) -> Applicability:
    """When a schedule applies now (what a correction starts from)."""
    with uow:
        require_depot(uow, depot_id)
        return _schedule(uow, depot_id, schedule_id).applicability


def preview_applicability(uow: UnitOfWork, depot_id: str, schedule_id: int, after: Applicability,
                          now: datetime) -> Impact:
    """Which service days appear or disappear, and on set-up days which blocks and assignments."""
    with uow:
        require_depot(uow, depot_id)
        return _impact(uow, depot_id, _schedule(uow, depot_id, schedule_id), after, now)


def apply_applicability(uow: UnitOfWork, depot_id: str, schedule_id: int, after: Applicability, *, actor: str,
                        now: datetime, confirm: bool = False) -> Impact:
    with uow:
        depot = require_depot(uow, depot_id)
        schedule = _schedule(uow, depot_id, schedule_id)
        impact = _impact(uow, depot_id, schedule, after, now)
        if impact.assignments_lost and not confirm:
            n_days = len([d for d in impact.days if d.assignments_lost and not d.past])
            raise Conflict(f"{impact.assignments_lost} assignment(s) on {n_days} set-up day(s) would be removed "
                           "with their blocks; confirm to go ahead (each is kept in the audit log)",
                           impact=impact.as_dict())
        uow.schedules.set_applicability(schedule_id, after)
        uow.plans.add_event(Event(depot_id, "applicability_changed", actor, now, None, None, None, None,
                                  before=impact.as_dict()["before"] | {"schedule_id": schedule_id},
                                  after=impact.as_dict()["after"]))
        for day in impact.days:
            if day.past:
                continue  # what already ran is history
            _resetup(uow, depot, day.service_date, actor, now)
        announce(uow, depot_id, None, "schedule", schedule_id=schedule_id)
        uow.commit()
    return impact


def _resetup(uow: UnitOfWork, depot: Depot, day: date, actor: str, now: datetime) -> None:
    day_id = require_day(uow, depot.depot_id, day)
    wanted, warnings = wanted_blocks(uow, depot.depot_id, day, zone(depot.timezone))
    resetup_day(uow, depot, day, day_id, wanted, actor=actor, now=now,
                why="the block left the day with a schedule correction")
    uow.days.mark_set_up(day_id, now, warnings)
