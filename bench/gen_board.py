"""A seeded synthetic depot for the board benchmark: blocks, a mixed fleet, SoC readings and a half-made plan.

`make_depot(...)` only draws numbers (no database); `seed(app, spec)` stores them through the services,
except the plan, which has no service yet and goes straight into the assignments table.
Same seed, same depot, on any backend.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from depotdispatch.adapters.db.tables import AssignmentRow, BlockRow, DispatchDayRow
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.blocks import BlockWork
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules

DEPOT = Depot("BENCH", "Synthetic board depot", "Europe/Vilnius")
SERVICE_DATE = date(2026, 3, 10)  # a Tuesday, away from DST changes
H = 3600

EV_TYPES = (
    VehicleType("E12-A", "bev", usable_kwh=400.0, kwh_per_km=1.2, vehicle_class="12m", charge_kw=150.0),
    VehicleType("E12-B", "bev", usable_kwh=400.0, kwh_per_km=1.35, vehicle_class="12m", charge_kw=150.0),
    VehicleType("E12-C", "bev", usable_kwh=400.0, kwh_per_km=1.5, vehicle_class="12m", charge_kw=150.0),
)
DIESEL = VehicleType("D12", "diesel", vehicle_class="12m")
DIESEL_ARTIC = VehicleType("D18", "diesel", vehicle_class="18m")

# (share, pull-out window in hours since the service day's origin, duration range in hours)
BLOCK_KINDS = (
    (0.15, (4.0, 6.5), (14.0, 18.0)),  # all day
    (0.25, (5.5, 8.0), (2.0, 5.0)),  # morning peak tripper
    (0.20, (6.0, 10.0), (8.0, 12.0)),  # day
    (0.10, (9.0, 13.0), (5.0, 9.0)),  # midday
    (0.15, (14.0, 17.0), (3.0, 6.0)),  # afternoon peak
    (0.10, (16.0, 20.0), (6.0, 9.0)),  # evening
    (0.05, (21.0, 26.0), (2.0, 5.0)),  # late / night
)


@dataclass
class DepotSpec:
    seed: int
    depot: Depot
    dates: list[date]
    blocks: list[BlockWork]
    entries: list[FleetEntry]
    early: list[SocReading]  # visible at the early `now`
    later: list[SocReading]  # measured between the early and the mid-day `now`
    plan: dict[date, dict[str, str]]  # service date -> block_id -> vehicle_id
    now_early: datetime
    now_mid: datetime
    notes: dict[str, int] = field(default_factory=dict)


def local(day: date, hour: float, tz: ZoneInfo) -> datetime:
    return (datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hour)).astimezone(UTC)


def make_blocks(rng: random.Random, n: int, artic_share: float) -> list[BlockWork]:
    weights = [k[0] for k in BLOCK_KINDS]
    out = []
    for i in range(n):
        _, (s0, s1), (d0, d1) = rng.choices(BLOCK_KINDS, weights)[0]
        start = round(rng.uniform(s0, s1) * 60) * 60
        duration = round(rng.uniform(max(d0, 2.0), min(d1, 18.0)) * 60) * 60
        km = min(300.0, max(40.0, duration / H * rng.uniform(14.0, 20.0)))
        vclass = "18m" if rng.random() < artic_share else ("12m" if rng.random() < 0.9 else None)
        out.append(BlockWork(block_id=f"B{i + 1:04d}", start_s=start, end_s=start + duration,
                             distance_km=round(km, 1), distance_source="stated", trip_ids=(), routes=("1",),
                             vehicle_class=vclass))
    return sorted(out, key=lambda b: (b.start_s, b.block_id))


def make_fleet(rng: random.Random, n: int, artic_share: float) -> list[FleetEntry]:
    evs = round(n * 2 / 3)
    artics = round(n * artic_share * 1.5) if artic_share > 0 else 0
    diesels = n - evs - artics
    vtypes = ([EV_TYPES[i % len(EV_TYPES)] for i in range(evs)] + [DIESEL] * diesels + [DIESEL_ARTIC] * artics)
    out = []
    for i, vt in enumerate(vtypes):
        prefix = "E" if vt.is_electric else "D"
        availability = "maintenance" if rng.random() < 0.03 else "available"
        out.append(FleetEntry(i + 1, f"{prefix}{i + 1:04d}", vt, availability))
    return out


def make_readings(rng: random.Random, entries: list[FleetEntry], now_early: datetime, now_mid: datetime,
                  history: int) -> tuple[list[SocReading], list[SocReading], int]:
    early: list[SocReading] = []
    later: list[SocReading] = []
    missing = 0
    for e in entries:
        if not e.vehicle_type.is_electric:
            continue
        if rng.random() < 0.03:
            missing += 1
            continue
        at = now_early - timedelta(seconds=round(rng.uniform(0, 8 * H)))
        plugged = rng.random() < 0.4
        source = "charger" if plugged and rng.random() < 0.5 else ("manual" if rng.random() < 0.1 else "telematics")
        soc = round(rng.uniform(30.0, 100.0), 1)
        early.append(SocReading(e.vehicle_id, soc, at, source, plugged_in=plugged if rng.random() < 0.9 else None))
        # older telematics history, every 15 minutes before the latest reading
        for k in range(1, history + 1):
            early.append(SocReading(e.vehicle_id, max(0.0, soc - k * 0.3), at - timedelta(minutes=15 * k),
                                    "telematics", plugged_in=plugged))
        mid_at = now_mid - timedelta(seconds=round(rng.uniform(0, 3 * H)))
        later.append(SocReading(e.vehicle_id, round(rng.uniform(30.0, 100.0), 1), mid_at, "telematics",
                                plugged_in=rng.random() < 0.4))
    return early, later, missing


def make_plan(rng: random.Random, blocks: list[BlockWork], entries: list[FleetEntry], dates: list[date],
              share: float) -> dict[date, dict[str, str]]:
    """About `share` of each day's blocks get a vehicle; a vehicle runs at most two blocks a day,
    never two that overlap (with 30 min to turn around, across midnight too)."""
    vids = [e.vehicle_id for e in entries]
    artic = {e.vehicle_id for e in entries if e.vehicle_type.vehicle_class == "18m"}
    busy: dict[str, list[tuple[int, int]]] = {v: [] for v in vids}
    plan: dict[date, dict[str, str]] = {}
    turn = 1800
    for d_index, day in enumerate(dates):
        count: dict[str, int] = dict.fromkeys(vids, 0)
        chosen = rng.sample(blocks, round(len(blocks) * share))
        chosen.sort(key=lambda b: b.end_s - b.start_s, reverse=True)  # long blocks first, as a planner would
        plan[day] = {}
        offset = d_index * 24 * H
        for b in chosen:
            s, e = b.start_s + offset, b.end_s + offset
            pool = [v for v in vids if (v in artic) == (b.vehicle_class == "18m")]
            fresh = [v for v in pool if count[v] == 0]
            second = [v for v in pool if count[v] == 1]
            order = (rng.sample(fresh, len(fresh)) + rng.sample(second, len(second))) if rng.random() < 0.75 \
                else (rng.sample(second, len(second)) + rng.sample(fresh, len(fresh)))
            for v in order:
                if all(s >= be + turn or bs >= e + turn for bs, be in busy[v]):
                    busy[v].append((s, e))
                    count[v] += 1
                    plan[day][b.block_id] = v
                    break
    return plan


def make_depot(seed: int = 1, blocks: int = 500, vehicles: int = 300, n_days: int = 1, history: int = 0,
               assigned_share: float = 0.5, artic_share: float = 0.0) -> DepotSpec:
    rng = random.Random(seed)
    tz = ZoneInfo(DEPOT.timezone)
    dates = [SERVICE_DATE + timedelta(days=i - (n_days - 1) // 2) for i in range(n_days)]
    now_early, now_mid = local(SERVICE_DATE, 3.0, tz), local(SERVICE_DATE, 13.0, tz)
    work = make_blocks(rng, blocks, artic_share)
    entries = make_fleet(rng, vehicles, artic_share)
    early, later, missing = make_readings(rng, entries, now_early, now_mid, history)
    plan = make_plan(rng, work, entries, dates, assigned_share)
    notes = {"evs": sum(e.vehicle_type.is_electric for e in entries),
             "maintenance": sum(e.availability != "available" for e in entries),
             "evs_without_reading": missing}
    return DepotSpec(seed, DEPOT, dates, work, entries, early, later, plan, now_early, now_mid, notes)


def seed(app: App, spec: DepotSpec) -> dict[str, int]:
    """Store the depot through the services; returns what went in."""
    setup_at = spec.now_early - timedelta(days=2)
    depots.add_depot(app.uow(), spec.depot, setup_at)
    fleet_result = fleet.import_fleet(app.uow(), spec.depot.depot_id, spec.entries)
    if fleet_result.problems:
        raise RuntimeError(f"fleet import problems: {fleet_result.problems[:3]}")
    applicability = Applicability(min(spec.dates) - timedelta(days=1), max(spec.dates) + timedelta(days=1))
    schedules.import_blocks(app.uow(), spec.depot.depot_id, "bench blocks", spec.blocks, applicability, setup_at)
    n_blocks = 0
    for day in spec.dates:
        n_blocks += days.setup_day(app.uow(), spec.depot.depot_id, day, setup_at).blocks
    stored = 0
    for batch, at in ((spec.early, spec.now_early), (spec.later, spec.now_mid)):
        result = readings.add_readings(app.uow(), list(enumerate(batch, 1)), at)
        if result.rejected:
            raise RuntimeError(f"readings rejected: {result.rejected[:3]}")
        stored += result.stored
    with app.uow() as uow:
        q = (select(BlockRow.block_pk, BlockRow.dispatch_day_id, BlockRow.block_id, DispatchDayRow.service_date)
             .join(DispatchDayRow, BlockRow.dispatch_day_id == DispatchDayRow.dispatch_day_id)
             .where(DispatchDayRow.depot_id == spec.depot.depot_id))
        rows = []
        for pk, day_id, block_id, service_date in uow.session.execute(q):
            vid = spec.plan.get(service_date, {}).get(block_id)
            if vid is not None:
                rows.append({"block_pk": pk, "dispatch_day_id": day_id, "vehicle_id": vid, "source": "manual",
                             "actor": "bench", "assigned_at": setup_at, "acknowledged": []})
        if rows:
            uow.session.execute(insert(AssignmentRow), rows)
        uow.commit()
    return {"blocks": n_blocks, "vehicles": fleet_result.vehicles, "readings": stored, "assignments": len(rows)}
