"""The demo's past week, so the KPI page has something to show: each day set up, planned the evening
before by accepting the recommendation, a few hand changes (a diesel put on EV work, overrides on low
buses, a block left open, a change-out), readings after each EV block, actual times.

Everything goes through the services with `now` set to the moment it would have happened, so the
events, verdicts and readings are the ones a real week leaves behind. Seeded: same week every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import DomainError
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import zone
from depotdispatch.domain.words import ReadingSource
from depotdispatch.services import actuals, adhoc, days, plan, readings, recommendations
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork

DAYS = 7
UowFactory = Callable[[], UnitOfWork]


def seed_past_week(uow_factory: UowFactory, depot_id: str, today: date, now: datetime) -> int:
    """Returns the number of past days seeded."""
    rng = random.Random(15)
    with uow_factory() as uow:
        depot = require_depot(uow, depot_id)
        vehicles = uow.fleet.vehicles(depot_id)
        types = uow.fleet.types(depot_id)
    tz = zone(depot.timezone)
    evs = [v.vehicle_id for v in vehicles if types[v.vehicle_type].is_electric and v.availability == "available"]
    diesels = [v.vehicle_id for v in vehicles if not types[v.vehicle_type].is_electric
               and v.availability == "available"]
    usable = {v.vehicle_id: types[v.vehicle_type].usable_kwh or 1.0 for v in vehicles}
    kwh_km = {v.vehicle_id: types[v.vehicle_type].kwh_per_km or 1.3 for v in vehicles}
    seeded = 0
    for back in range(DAYS, 0, -1):
        d = today - timedelta(days=back)
        evening = datetime.combine(d - timedelta(days=1), time(20), tzinfo=tz)
        try:
            setup = days.setup_day(uow_factory(), depot_id, d, evening - timedelta(hours=1))
        except DomainError:
            continue
        if not setup.blocks:
            continue
        soc = {v: 70 + rng.random() * 30 for v in evs}
        readings.add_readings(uow_factory(), [(None, SocReading(v, round(s, 1), evening - timedelta(minutes=30),
                                                                ReadingSource.TELEMATICS, plugged_in=True))
                                              for v, s in soc.items()], now)
        rec = recommendations.recommend(uow_factory(), depot_id, d, evening, actor="demo")
        recommendations.accept(uow_factory(), depot_id, d, rec.recommendation_id, plan_version=rec.plan_version,
                               actor="night dispatcher", now=evening)
        # `seeded` counts the days with work, so every kind of change happens whatever weekday it is
        _hand_changes(uow_factory, depot_id, d, seeded, evening, set(evs), diesels, rng)
        _the_day_runs(uow_factory, depot_id, d, now, soc, usable, kwh_km, seeded, rng)
        _yard_walks(uow_factory, depot_id, d, tz, now, set(evs), rng)
        seeded += 1
    return seeded


def _day(uow_factory: UowFactory, depot_id: str, d: date) -> tuple[list[DayBlock], dict[int, Assignment]]:
    with uow_factory() as uow:
        day_blocks = sorted(uow.days.blocks_for_dates(depot_id, d, d), key=lambda b: b.pull_out)
        plan_now = uow.plans.assignments_for_dates(depot_id, [d])
    return day_blocks, plan_now


def _assign(uow_factory: UowFactory, depot_id: str, d: date, block: str, vehicle: str, at: datetime,
            reason: str | None = None) -> bool:
    version = plan.plan_version(uow_factory(), depot_id, d)
    try:
        # the day's dispatcher read the warnings and overrides them, naming each (as every front end does)
        shown = plan.override_warnings(uow_factory(), depot_id, d, block, vehicle, now=at) if reason else []
        plan.assign(uow_factory(), depot_id, d, block, vehicle, plan_version=version, actor="day dispatcher",
                    now=at, override_reason=reason, acknowledge=[r.code for r in shown])
    except DomainError:
        return False
    return True


def _hand_changes(uow_factory: UowFactory, depot_id: str, d: date, nth: int, evening: datetime,
                  evs: set[str], diesels: list[str], rng: random.Random) -> None:
    day_blocks, assigned = _day(uow_factory, depot_id, d)
    by_vehicle: dict[str, list[DayBlock]] = {}
    for b in day_blocks:
        if b.pk in assigned:
            by_vehicle.setdefault(assigned[b.pk].vehicle_id, []).append(b)
    ev_blocks = [b for b in day_blocks if b.pk in assigned and assigned[b.pk].vehicle_id in evs]
    idle_diesels = [v for v in diesels if v not in by_vehicle]
    # a diesel put on EV work by hand, with the EV left idle: a substitution, most days
    if ev_blocks and idle_diesels and nth % 3 != 2:
        b = rng.choice(ev_blocks)
        _assign(uow_factory, depot_id, d, b.block_id, idle_diesels[0], evening + timedelta(hours=1))
    # one block left open on the second day: it starts with no vehicle
    if nth == 1 and day_blocks:
        version = plan.plan_version(uow_factory(), depot_id, d)
        left_open = next((x for x in day_blocks if x.pk in assigned), None)
        if left_open is not None:
            plan.unassign(uow_factory(), depot_id, d, left_open.block_id, plan_version=version,
                          actor="night dispatcher",
                          now=evening + timedelta(hours=1, minutes=5))


def _the_day_runs(uow_factory: UowFactory, depot_id: str, d: date, now: datetime, soc: dict[str, float],
                  usable: dict[str, float], kwh_km: dict[str, float], nth: int, rng: random.Random) -> None:
    """Overrides on low buses in the morning, readings after each EV block, actual times."""
    day_blocks, assigned = _day(uow_factory, depot_id, d)
    ev_of = {b.pk: assigned[b.pk].vehicle_id for b in day_blocks if b.pk is not None and b.pk in assigned}
    # two overrides a day on alternate days: a low EV swapped onto a long block an hour before it starts
    came_back_low: set[int | None] = set()
    if nth % 2 == 0:
        on_evs = [(x, ev_of[x.pk]) for x in day_blocks if x.pk is not None and x.pk in ev_of and ev_of[x.pk] in soc]
        for k, (b, vid) in enumerate(on_evs[-2:]):
            if k == 0:
                came_back_low.add(b.pk)  # one of the two warnings proves right: it returns below reserve
            low = SocReading(vid, 29.0, b.pull_out - timedelta(hours=1), ReadingSource.TELEMATICS, plugged_in=False)
            readings.add_readings(uow_factory(), [(None, low)], now)
            soc[vid] = 29.0
            _assign(uow_factory, depot_id, d, b.block_id, vid, b.pull_out - timedelta(minutes=50),
                    reason=("no other bus", "driver swap, short run")[k])
    if nth == 2:
        _change_out(uow_factory, depot_id, d, [x for x in day_blocks if x.pk in ev_of and ev_of[x.pk] in soc],
                    set(ev_of.values()))
    day_blocks, assigned = _day(uow_factory, depot_id, d)
    out = []
    for b in day_blocks:
        a = assigned.get(b.pk) if b.pk is not None else None
        if a is None or b.cancelled_at is not None or b.actual_end is not None:
            continue
        start = b.pull_out + timedelta(minutes=rng.randrange(0, 6))
        end = b.pull_in + timedelta(minutes=rng.randrange(-5, 10))
        try:
            actuals.record_actuals(uow_factory(), depot_id, d, b.block_id, actual_start=start, actual_end=end,
                                   actor="day dispatcher", now=end + timedelta(minutes=1))
        except DomainError:
            pass
        if a.vehicle_id in usable and a.vehicle_id in soc and b.distance_km:
            used = 100 * b.distance_km * kwh_km[a.vehicle_id] * rng.uniform(0.85, 1.25) / usable[a.vehicle_id]
            soc[a.vehicle_id] = 12.0 if b.pk in came_back_low else max(3.0, soc[a.vehicle_id] - used)
            out.append((None, SocReading(a.vehicle_id, round(soc[a.vehicle_id], 1), end + timedelta(minutes=10),
                                         ReadingSource.TELEMATICS, plugged_in=True)))
            soc[a.vehicle_id] = min(100.0, soc[a.vehicle_id] + 40)  # on a charger until its next block
    readings.add_readings(uow_factory(), out, now)



def _change_out(uow_factory: UowFactory, depot_id: str, d: date, ev_blocks: list[DayBlock], busy: set[str]) -> None:
    """An EV taken off its block half-way (a fault): its remaining trips go to another bus."""
    for b in ev_blocks:
        if len(b.trip_ids) < 4:
            continue
        at = b.pull_out + (b.pull_in - b.pull_out) / 2
        try:
            change = adhoc.split_for_change_out(uow_factory(), depot_id, d, b.block_id, at, actor="day dispatcher",
                                                now=at)
        except DomainError:
            continue
        # the split changes planned times only: what the bus really did is recorded, as a dispatcher would
        actuals.record_actuals(uow_factory(), depot_id, d, b.block_id, actual_start=b.pull_out, actual_end=at,
                               actor="day dispatcher", now=at)
        if change.extra is not None:
            with uow_factory() as uow:
                spare = next((v.vehicle_id for v in uow.fleet.vehicles(depot_id) if v.vehicle_id not in busy
                              and v.availability == "available"), None)
            if spare is not None:
                _assign(uow_factory, depot_id, d, change.extra.block_id, spare, at + timedelta(minutes=2))
        return


def _yard_walks(uow_factory: UowFactory, depot_id: str, d: date, tz: tzinfo, now: datetime,
                evs: set[str], rng: random.Random) -> None:
    """Telematics every four hours from the EVs standing in the depot, so that at any pull-out the
    KPIs know which idle EV was fit to go."""
    day_blocks, assigned = _day(uow_factory, depot_id, d)
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for b in day_blocks:
        if b.pk in assigned:
            busy.setdefault(assigned[b.pk].vehicle_id, []).append((b.pull_out - timedelta(hours=1),
                                                                   b.pull_in + timedelta(hours=1)))
    out = []
    for hour in (2, 6, 10, 14, 18):
        t = datetime.combine(d, time(hour, 30), tzinfo=tz)
        for v in sorted(evs):
            if not any(s <= t <= e for s, e in busy.get(v, [])):
                out.append((None, SocReading(v, round(80 + rng.random() * 20, 1), t, ReadingSource.TELEMATICS,
                                             plugged_in=True)))
    readings.add_readings(uow_factory(), out, now)
