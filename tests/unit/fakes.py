"""In-memory fakes of our own ports (services/ports.py) and a fake unit of work, for rule tests that need
no database: the same use cases run on them in milliseconds. Only the repositories and methods the plan,
day, block and sheet use cases touch are here; a use case that reaches for another one fails loudly
(AttributeError). mypy checks each fake against its Protocol (`FakeUnitOfWork` is a `UnitOfWork`), so the
methods that are here cannot drift from the ports.

Like the SQLAlchemy unit of work, the fake one keeps nothing unless the use case commits: the state is
copied on enter and put back only by commit.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, NoReturn, Self

from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import DayBlock, find_block
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.events import Event
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.plan import Assignment, StoredRecommendation
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.schedules import Schedule
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.words import ReadingSource
from depotdispatch.domain.yard import YardSpot
from depotdispatch.services.ports import (
    DayPort,
    DepotPort,
    FleetPort,
    IdentityPort,
    KpiPort,
    PlanPort,
    ReadingPort,
    SchedulePort,
    SheetPort,
    TelemetryPort,
    YardPort,
)
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class Store:
    """Everything the fakes hold: what a database would."""

    depots: dict[str, Depot] = field(default_factory=dict)
    types: dict[str, dict[str, VehicleType]] = field(default_factory=dict)  # depot -> name -> type
    vehicles: dict[str, list[Vehicle]] = field(default_factory=dict)  # depot -> vehicles
    days: dict[tuple[str, date], int] = field(default_factory=dict)  # (depot, service date) -> day id
    versions: dict[int, int] = field(default_factory=dict)  # day id -> plan version
    blocks: dict[int, tuple[int, DayBlock]] = field(default_factory=dict)  # pk -> (day id, block)
    assignments: dict[int, tuple[int, Assignment]] = field(default_factory=dict)  # block pk -> (day id, a)
    events: list[Event] = field(default_factory=list)
    readings: dict[str, list[SocReading]] = field(default_factory=dict)  # vehicle -> readings
    schedules: list[Schedule] = field(default_factory=list)
    previews: dict[str, dict[str, Any]] = field(default_factory=dict)  # sheet preview id -> stored preview
    last_key: int = 0

    def key(self) -> int:
        self.last_key += 1
        return self.last_key

    def day_of(self, day_id: int) -> tuple[str, date]:
        return next(k for k, v in self.days.items() if v == day_id)


class Partial:
    """A fake of part of a port: a method it does not fake fails loudly when a use case calls it."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} does not fake {name}(); add it to tests/unit/fakes.py")


class FakeDepots(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def get(self, depot_id: str) -> Depot | None:
        return self.s.depots.get(depot_id)

    def list(self) -> list[Depot]:
        return sorted(self.s.depots.values(), key=lambda d: d.depot_id)

    def add(self, depot: Depot, now: datetime) -> None:
        self.s.depots[depot.depot_id] = depot

    def update(self, depot: Depot) -> None:
        self.s.depots[depot.depot_id] = depot


class FakeFleet(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def types(self, depot_id: str) -> dict[str, VehicleType]:
        return dict(self.s.types.get(depot_id, {}))

    def vehicles(self, depot_id: str) -> list[Vehicle]:
        return list(self.s.vehicles.get(depot_id, []))

    def set_availability(self, vehicle_id: str, availability: str, until: datetime | None,
                         reason: str | None) -> None:
        for depot_id, vs in self.s.vehicles.items():
            self.s.vehicles[depot_id] = [replace(v, availability=availability, available_until=until,
                                                 availability_reason=reason) if v.vehicle_id == vehicle_id else v
                                         for v in vs]


class FakeDays(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def get_or_create(self, depot_id: str, service_date: date, now: datetime) -> int:
        if (depot_id, service_date) not in self.s.days:
            day_id = self.s.key()
            self.s.days[(depot_id, service_date)] = day_id
            self.s.versions[day_id] = 0
        return self.s.days[(depot_id, service_date)]

    def day_id(self, depot_id: str, service_date: date) -> int | None:
        return self.s.days.get((depot_id, service_date))

    def set_up_dates(self, depot_id: str) -> list[date]:
        return sorted(d for dep, d in self.s.days if dep == depot_id)

    def mark_set_up(self, day_id: int, now: datetime, warnings: list[str]) -> None:
        pass

    def blocks(self, day_id: int, service_date: date) -> list[DayBlock]:
        return _ordered(b for d, b in self.s.blocks.values() if d == day_id)

    def blocks_for_dates(self, depot_id: str, first: date, last: date) -> list[DayBlock]:
        days = {v for (dep, d), v in self.s.days.items() if dep == depot_id and first <= d <= last}
        return _ordered(b for d, b in self.s.blocks.values() if d in days)

    def temperatures(self, depot_id: str, first: date, last: date) -> dict[date, float | TemperatureProfile]:
        return {}

    def block(self, depot_id: str, service_date: date, block_id: str, *, exact: bool = False) -> DayBlock | None:
        day_id = self.day_id(depot_id, service_date)
        blocks = [] if day_id is None else self.blocks(day_id, service_date)
        found = next((b for b in blocks if b.block_id == block_id), None)
        return found if found is not None or exact else find_block(blocks, block_id)

    def add_blocks(self, day_id: int, blocks: Sequence[DayBlock]) -> None:
        for b in blocks:
            pk = self.s.key()
            self.s.blocks[pk] = (day_id, replace(b, pk=pk))

    def replace_blocks(self, day_id: int, blocks: Sequence[DayBlock]) -> None:
        for b in blocks:
            assert b.pk in self.s.blocks, "replacing a block that is not stored"
            self.s.blocks[b.pk] = (day_id, b)

    def remove_blocks(self, blocks: Sequence[DayBlock]) -> None:
        for b in blocks:
            # the database would cascade; the fake refuses, so a test shows who forgot the assignment
            assert b.pk is not None, "removing a block that was never stored"
            assert b.pk not in self.s.assignments, f"block {b.block_id} removed with its assignment still on it"
            self.s.blocks.pop(b.pk, None)


class FakePlans(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def assignments_for_dates(self, depot_id: str, dates: Iterable[date]) -> dict[int, Assignment]:
        days = {self.s.days[(depot_id, d)] for d in dates if (depot_id, d) in self.s.days}
        return {pk: a for pk, (d, a) in self.s.assignments.items() if d in days}

    def versions(self, depot_id: str, first: date, last: date) -> dict[date, int]:
        return {d: self.s.versions[v] for (dep, d), v in self.s.days.items() if dep == depot_id and first <= d <= last}

    def version(self, day_id: int) -> int:
        return self.s.versions.get(day_id, 0)

    def bump_version(self, day_id: int, expected: int) -> bool:
        if self.s.versions.get(day_id) != expected:
            return False
        self.s.versions[day_id] = expected + 1
        return True

    def put_many(self, day_id: int, items: list[tuple[int, Assignment]], now: datetime) -> None:
        for pk, a in items:
            assert pk in self.s.blocks, "an assignment for a block that is not stored"
            self.s.assignments[pk] = (day_id, replace(a, assigned_at=a.assigned_at or now, block_pk=pk))

    def remove_many(self, pks: list[int]) -> None:
        for pk in pks:
            self.s.assignments.pop(pk, None)

    def add_events(self, events: list[Event]) -> None:
        self.s.events.extend(replace(e, event_id=self.s.key()) for e in events)

    def add_event(self, e: Event) -> None:
        self.add_events([e])

    def events(self, depot_id: str, *, service_date: date | None = None, block_id: str | None = None,
               vehicle_id: str | None = None, limit: int = 500, actor: str | None = None,
               kind: str | None = None) -> list[Event]:
        wanted = {"service_date": service_date, "block_id": block_id, "vehicle_id": vehicle_id, "actor": actor,
                  "kind": kind}
        found = [e for e in reversed(self.s.events) if e.depot_id == depot_id
                 and all(v is None or getattr(e, k) == v for k, v in wanted.items())]
        return found[:limit]

    def recommendation(self, day_id: int, recommendation_id: int | None = None, *,
                       kind: str = "recommendation") -> StoredRecommendation | None:
        return None


class FakeReadings(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def latest_for_depot(self, depot_id: str, at: datetime) -> dict[str, SocReading]:
        ids = {v.vehicle_id for v in self.s.vehicles.get(depot_id, [])}
        out = {}
        for vid in ids:
            taken = [r for r in self.s.readings.get(vid, []) if r.measured_at <= at]
            if taken:
                out[vid] = max(taken, key=lambda r: (r.source != "estimate", r.measured_at, -r.trust))
        return out

    def latest_between(self, depot_id: str, start: datetime, at: datetime) -> dict[str, SocReading]:
        ids = {v.vehicle_id for v in self.s.vehicles.get(depot_id, [])}
        out = {}
        for vid in ids:
            taken = [r for r in self.s.readings.get(vid, []) if start <= r.measured_at <= at]
            if taken:
                out[vid] = max(taken, key=lambda r: (r.source != "estimate", r.measured_at, -r.trust))
        return out

    def odometers_at(self, asks: Sequence[tuple[str, datetime]]) -> list[float | None]:
        return [None for _ in asks]

    def seen_before(self, asks: Sequence[tuple[str, datetime]]) -> dict[str, datetime]:
        out = {}
        for vid, at in asks:
            taken = [r.measured_at for r in self.s.readings.get(vid, [])
                     if r.measured_at < at and r.source != "estimate"]
            if taken:
                out[vid] = max(taken)
        return out


class FakeSchedules(Partial):
    def __init__(self, s: Store) -> None:
        self.s = s

    def for_depot(self, depot_id: str) -> list[Schedule]:
        return [x for x in self.s.schedules if x.depot_id == depot_id]


class FakeSheets:
    def __init__(self, s: Store) -> None:
        self.s = s

    def add_preview(self, preview_id: str, day_id: int, plan_version: int, now: datetime, fmt: str,
                    items: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.s.previews[preview_id] = {"preview_id": preview_id, "dispatch_day_id": day_id,
                                       "plan_version": plan_version, "created_at": now, "format": fmt, "items": items,
                                       "summary": summary, "applied_at": None, "applied_version": None}

    def preview(self, preview_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.s.previews.get(preview_id))

    def lock_preview(self, preview_id: str) -> None:
        pass  # one writer at a time in memory

    def mark_applied(self, preview_id: str, now: datetime, version: int) -> None:
        self.s.previews[preview_id] |= {"applied_at": now, "applied_version": version}


class FakeYard(Partial):
    def chargers(self, depot_id: str, *, available_only: bool = False) -> list[Charger]:
        return []  # no charger list: a connector per bus (DESIGN §12a)

    def spots(self, depot_id: str) -> dict[str, YardSpot]:
        return {}  # nobody marked a bus plugged in on the yard


class FakeUnitOfWork:
    """Commits copy the working state back into the store; leaving without a commit drops it."""

    # declared, never set: a use case that reaches for one of these fails loudly (AttributeError)
    kpis: KpiPort
    telemetry: TelemetryPort
    identity: IdentityPort

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.commits = 0
        self.announced: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        self._work = work = copy.deepcopy(self.store)
        self.depots: DepotPort = FakeDepots(work)
        self.fleet: FleetPort = FakeFleet(work)
        self.days: DayPort = FakeDays(work)
        self.plans: PlanPort = FakePlans(work)
        self.readings: ReadingPort = FakeReadings(work)
        self.schedules: SchedulePort = FakeSchedules(work)
        self.sheets: SheetPort = FakeSheets(work)
        self.yard: YardPort = FakeYard()
        self._pending: list[dict[str, Any]] = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    def commit(self) -> None:
        self.store.__dict__.update(copy.deepcopy(self._work).__dict__)
        self.announced.extend(self._pending)
        self._pending = []
        self.commits += 1

    def rollback(self) -> None:
        self._pending = []  # the store itself only changes on commit

    def announce(self, change: dict[str, Any]) -> None:
        self._pending.append(change)


def _conforms(u: FakeUnitOfWork) -> UnitOfWork:
    return u  # for mypy: the fake is a unit of work as the use cases see it


# -- a small depot the rule tests share -----------------------------------------------------------------
DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)  # before every block


def at(h: float) -> datetime:
    return datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=h)


def block(block_id: str, start_h: float, end_h: float, km: float = 50.0) -> DayBlock:
    return DayBlock(block_id, DAY, at(start_h), at(end_h), km, "stated")


def small_depot() -> FakeUnitOfWork:
    """Depot V: E1 (a BEV at 90 %), E2 (a BEV at 25 %, below the reserve for a long block), D1 and D2 diesel;
    blocks A 06-10, B 09-12 (overlaps A), C 10:05-13 (a 5-minute turnaround after A), L 06-18 (300 km)."""
    s = Store()
    s.depots["V"] = Depot("V", "Test depot", "UTC")
    s.types["V"] = {"XE": VehicleType("XE", "bev", 400.0, 1.2), "D": VehicleType("D", "diesel")}
    s.vehicles["V"] = [Vehicle("E1", "V", "XE"), Vehicle("E2", "V", "XE"), Vehicle("D1", "V", "D"),
                       Vehicle("D2", "V", "D")]
    s.readings = {"E1": [SocReading("E1", 90.0, NOW - timedelta(minutes=10), ReadingSource.TELEMATICS)],
                  "E2": [SocReading("E2", 25.0, NOW - timedelta(minutes=10), ReadingSource.TELEMATICS)]}
    u = FakeUnitOfWork(s)
    with u:
        day_id = u.days.get_or_create("V", DAY, NOW)
        u.days.add_blocks(day_id, [block("A", 6, 10), block("B", 9, 12), block("C", 10 + 5 / 60, 13),
                                   block("L", 6, 18, km=300.0)])
        u.commit()
    return u


def _ordered(blocks: Iterable[DayBlock]) -> list[DayBlock]:
    return sorted(blocks, key=lambda b: (b.pull_out, b.block_id))
