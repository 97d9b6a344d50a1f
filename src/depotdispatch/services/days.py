"""Dispatch days: setting a day up from its schedules, and listing its blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from depotdispatch.domain.applicability import active_services
from depotdispatch.domain.blocks import other_name
from depotdispatch.domain.days import DayBlock, DayChanges, diff_day, keep_started, keep_taken_over, place_block
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.horizon import Window, horizon
from depotdispatch.domain.plan import DayPlan
from depotdispatch.domain.schedules import Schedule
from depotdispatch.domain.servicetime import zone
from depotdispatch.domain.status import block_status
from depotdispatch.domain.temperature import TemperatureProfile, check_temperature
from depotdispatch.domain.words import EventKind
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import open_plan, save_plan
from depotdispatch.services.schedules import blocks_for_day
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class SetupResult:
    service_date: date
    blocks: int
    trips: int
    added: int
    changed: int
    removed: int
    unchanged: int
    warnings: list[str] = field(default_factory=list)
    adhoc: int = 0  # of `blocks`, the ad-hoc ones (the rest came from the schedules)
    cancelled: int = 0  # not in `blocks`

    def as_dict(self) -> dict[str, object]:
        return {"service_date": self.service_date.isoformat(), "blocks": self.blocks, "trips": self.trips,
                "added": self.added, "changed": self.changed, "removed": self.removed,
                "unchanged": self.unchanged, "adhoc": self.adhoc, "cancelled": self.cancelled,
                "warnings": self.warnings}


def wanted_blocks(uow: UnitOfWork, depot_id: str, service_date: date, tz: ZoneInfo,
                  schedules: list[Schedule] | None = None) -> tuple[list[DayBlock], list[str]]:
    """The blocks the depot's schedules give a day (`schedules`: as they would be after a correction)."""
    wanted: dict[str, DayBlock] = {}
    warnings: list[str] = []
    for schedule in schedules if schedules is not None else uow.schedules.for_depot(depot_id):
        assert schedule.schedule_id is not None, "a stored schedule has its id"
        if schedule.source_kind == "gtfs":
            sids = active_services(service_date, schedule.applicability, schedule.services)
            work = blocks_for_day(uow.schedules.trips_for_services(schedule.schedule_id, sids))
        elif schedule.applicability.applies(service_date):
            work = uow.schedules.stated_blocks(schedule.schedule_id)
        else:
            work = []
        for w in work:
            if w.block_id in wanted:
                warnings.append(f"block {w.block_id!r} comes from schedules {wanted[w.block_id].schedule_id} and "
                                f"{schedule.schedule_id}; kept the first, check the schedules' applicability")
                continue
            wanted[w.block_id] = place_block(w, service_date, tz, schedule.schedule_id)
    return list(wanted.values()), warnings


def day_changes(uow: UnitOfWork, day_id: int, service_date: date, wanted: list[DayBlock],
                now: datetime) -> DayChanges:
    """What setting the day up again would change: started work and blocks an operator took over stay."""
    existing = uow.days.blocks(day_id, service_date)
    return keep_taken_over(keep_started(diff_day(existing, wanted), now), existing)


def replace_day_blocks(uow: UnitOfWork, day_id: int, plan: DayPlan, *, added: Sequence[DayBlock] = (),
                       changed: Sequence[DayBlock] = (), removed: Sequence[DayBlock] = (), actor: str,
                       now: datetime, why: str | None, step: bool = True) -> int:
    """The only writer of a day's blocks. Never drops an assignment silently (DESIGN §5): one that goes with
    its block is an `unassigned` event saying `why` (why=None: the caller's own event about the block
    carries it), written before its block goes; the plan steps one version for the whole change (`step`:
    unless this is the day's first set-up), so an older sheet preview no longer applies. Returns the version."""
    if not (added or changed or removed):
        return plan.version_after
    for b in removed:
        if why is None:
            plan.release(b)
        else:
            plan.unassign(b, actor=actor, now=now, why=why)
    if step:
        plan.step()
    version = save_plan(uow, day_id, plan, now)
    uow.days.remove_blocks(removed)
    uow.days.replace_blocks(day_id, changed)
    uow.days.add_blocks(day_id, added)
    return version


def resetup_day(uow: UnitOfWork, depot: Depot, service_date: date, day_id: int, wanted: list[DayBlock], *,
                actor: str, now: datetime, why: str, first: bool = False) -> DayChanges:
    """Set a day up again from the blocks its schedules now give: started work and blocks an operator
    took over stay."""
    changes = day_changes(uow, day_id, service_date, wanted, now)
    replace_day_blocks(uow, day_id, open_plan(uow, depot, service_date, day_id), added=changes.added,
                       changed=changes.changed, removed=changes.removed, actor=actor, now=now, why=why,
                       step=not first)
    return changes


def setup_day(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime, *,
              actor: str = "local-admin") -> SetupResult:
    """Idempotent: blocks whose schedule data did not change are kept as they are."""
    with uow:
        depot = require_depot(uow, depot_id)
        wanted, warnings = wanted_blocks(uow, depot_id, service_date, zone(depot.timezone))
        existed = uow.days.day_id(depot_id, service_date) is not None
        day_id = uow.days.get_or_create(depot_id, service_date, now)
        changes = resetup_day(uow, depot, service_date, day_id, wanted, actor=actor, now=now, first=not existed,
                              why="the block is no longer in the schedule for this day (day set up again)")
        if not wanted:
            warnings = [*warnings, *no_service_reasons(uow, depot_id, service_date)]
        uow.days.mark_set_up(day_id, now, warnings)
        if not existed or changes.added or changes.changed or changes.removed:  # a set-up again that changes
            # nothing is no change to log (a nightly job would fill the log)
            uow.plans.add_event(Event(depot_id, EventKind.DAY_SET_UP, actor, now, service_date=service_date,
                                      after={"first": not existed, "blocks": len(wanted),
                                             "added": len(changes.added), "changed": len(changes.changed),
                                             "removed": len(changes.removed), "warnings": warnings}))
        announce(uow, depot_id, service_date, "schedule")
        uow.commit()
        blocks = uow.days.blocks(day_id, service_date)
    scheduled = [b for b in blocks if b.cancelled_at is None]
    return SetupResult(
        service_date=service_date, blocks=len(scheduled), trips=sum(b.trips for b in scheduled),
        added=len(changes.added), changed=len(changes.changed), removed=len(changes.removed),
        unchanged=len(changes.unchanged), warnings=warnings,
        adhoc=sum(1 for b in scheduled if b.origin == "adhoc"), cancelled=len(blocks) - len(scheduled))


@dataclass
class DayBlocks:
    service_date: date
    blocks: list[tuple[DayBlock, str]]  # (block, status at now)
    set_up: bool
    window: Window  # the horizon the statuses were judged against; the list itself is the whole day


def day_blocks(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime) -> DayBlocks:
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = uow.days.day_id(depot_id, service_date)
        blocks = [] if day_id is None else uow.days.blocks(day_id, service_date)
    window = horizon(depot, now)
    return DayBlocks(service_date=service_date,
                     blocks=[(b, block_status(b, now, window.end).status) for b in blocks],
                     set_up=day_id is not None, window=window)


def no_service_reasons(uow: UnitOfWork, depot_id: str, service_date: date) -> list[str]:
    """Why a day has no work: said aloud, never an empty day with no explanation."""
    schedules = uow.schedules.for_depot(depot_id)
    if not schedules:
        return ["no service: the depot has no schedule; import one first"]
    out = []
    for s in schedules:
        a = s.applicability
        if service_date in a.removed:
            out.append(f"schedule {s.schedule_id} ({s.name}): {service_date} is removed by its applicability")
        elif not a.start <= service_date <= a.end and service_date not in a.added:
            out.append(f"schedule {s.schedule_id} ({s.name}): {service_date} is outside its dates "
                       f"{a.start} to {a.end}")
        elif service_date.isoweekday() not in a.weekdays and service_date not in a.added:
            out.append(f"schedule {s.schedule_id} ({s.name}): it does not run on {service_date:%A}s")
        else:
            out.append(f"schedule {s.schedule_id} ({s.name}): the feed has no service on {service_date} "
                       "(its calendars run nothing that day); add the date with --like to borrow a day type")
    return ["no service on this day: " + "; ".join(out)]


def set_temperature(uow: UnitOfWork, depot_id: str, service_date: date, temperature_c: float | None,
                    profile: TemperatureProfile | None = None) -> None:
    """The operator's temperature for a day: one figure, or an hourly profile used per block (neither:
    back to the depot's default)."""
    if temperature_c is not None:
        check_temperature(temperature_c)
    if temperature_c is not None and profile is not None:
        raise InvalidInput("give one temperature or an hourly profile, not both")
    with uow:
        require_depot(uow, depot_id)
        day_id = uow.days.day_id(depot_id, service_date)
        if day_id is None:
            raise NotFound(f"{service_date} is not set up at depot {depot_id!r}; run `day setup` first")
        uow.days.set_temperature(day_id, temperature_c, profile)
        announce(uow, depot_id, service_date, "depot", what="temperature")
        uow.commit()


def days_behind(uow: UnitOfWork, depot_id: str, first: date, last: date, now: datetime
                ) -> list[tuple[date, DayChanges]]:
    """The days of `first`..`last` already set up whose schedules now give other blocks (an import since, or
    a correction elsewhere): a day keeps its blocks until it is set up again, so an import says which."""
    out = []
    with uow:
        depot = require_depot(uow, depot_id)
        tz = zone(depot.timezone)
        for day in sorted(d for d in uow.days.set_up_dates(depot_id) if first <= d <= last):
            day_id = uow.days.day_id(depot_id, day)
            assert day_id is not None
            wanted, _ = wanted_blocks(uow, depot_id, day, tz)
            changes = day_changes(uow, day_id, day, wanted, now)
            if changes.added or changes.changed or changes.removed:
                out.append((day, changes))
    return out


def set_up_dates(uow: UnitOfWork, depot_id: str) -> list[date]:
    with uow:
        require_depot(uow, depot_id)
        return sorted(uow.days.set_up_dates(depot_id))


def block_names(uow: UnitOfWork, depot_id: str, first: date, last: date) -> dict[tuple[date, str], str]:
    """The feed's names of the blocks of `first`..`last` (where they say more than the id), for pages and
    tables that list blocks by id (KPI drill-downs, the audit log) to say them as the board does."""
    with uow:
        return {k: n for k, n in uow.days.block_names(depot_id, first, last).items() if other_name(k[1], n)}
