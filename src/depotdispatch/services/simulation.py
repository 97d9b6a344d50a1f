"""The simulator's use case: a plausible telematics day for a depot's plan (DESIGN §12a, §11)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from depotdispatch.domain.assessment import thresholds
from depotdispatch.domain.charging import DEFAULT_EFFICIENCY
from depotdispatch.domain.charging_plan import Bus, Work
from depotdispatch.domain.depot_charging import charging_buses, need_kwh, yard_rules
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.simulation import SimBlock, SimMessage, runs_low, simulate
from depotdispatch.domain.telemetry import Place, Rejected, parse_message
from depotdispatch.domain.yard import YardSpot
from depotdispatch.services.board import load_context
from depotdispatch.services.depots import require_depot
from depotdispatch.services.telemetry import IntakeResult, take_telemetry
from depotdispatch.services.unit_of_work import UnitOfWork

START_SOC = 92.0  # a bus nobody has read yet starts the day nearly full


@dataclass
class SimulatedDay:
    depot_id: str
    start: datetime
    end: datetime
    messages: list[SimMessage]
    runs_low: str | None

    def topic(self, m: SimMessage) -> str:
        return f"depots/{self.depot_id}/vehicles/{m.vehicle_id}/telemetry"


def yard_places(spots: Mapping[str, YardSpot], vehicle_ids: Sequence[str]) -> dict[str, Place]:
    """Where each bus stands when the simulator has it in the yard: where the yard has it, else a numbered bay
    of its own that no other bus has."""
    places = {v: Place(s.bay, s.lane, s.lane_order) for v, s in spots.items() if s.bay or s.lane}
    taken = {p.bay for p in places.values()}
    free = (str(n) for n in count(1) if str(n) not in taken)
    return {v: places.get(v) or Place(next(free), None, None) for v in sorted(vehicle_ids)}


def simulate_day(uow: UnitOfWork, depot_id: str, service_date: date, *, every: timedelta = timedelta(minutes=1),
                 seed: int = 0) -> SimulatedDay:
    with uow:
        depot = require_depot(uow, depot_id)
        # readings known by the end of the day; only those from before its first pull-out are used
        ctx = load_context(uow, depot, service_date, service_date,
                           datetime.combine(service_date + timedelta(days=2), time(), tzinfo=UTC))
        with_odometer = {v: r.odometer_km for v, r in ctx.judge.readings.items() if r.odometer_km is not None}
        chargers = uow.yard.chargers(depot_id, available_only=True)
        spots = uow.yard.spots(depot_id)
    day_blocks = [b for b in ctx.blocks if b.cancelled_at is None]
    if not day_blocks:
        raise InvalidInput(f"no blocks on {service_date} at {depot_id}; set the day up first")
    start = min(b.pull_out for b in day_blocks) - timedelta(hours=1)
    end = max(b.pull_in for b in day_blocks) + timedelta(minutes=30)
    rules = yard_rules(depot)
    buses, work = [], {}
    for vid, vehicle in ctx.judge.vehicles.items():
        vtype = ctx.judge.types[vehicle.vehicle_type]
        if not vtype.is_electric or not vtype.usable_kwh or not vtype.charge_kw:
            continue
        usable, th = vtype.usable_kwh, thresholds(depot, vtype)
        mine = []
        for b in sorted(ctx.vehicle_blocks.get(vid, []), key=lambda b: b.pull_out):
            est = ctx.judge.estimate(b, vehicle.vehicle_type)
            if b.cancelled_at is None and b.service_date == service_date and est is not None:
                mine.append((b, est))
        work[vid] = [SimBlock(b.block_id, b.pull_out, b.pull_in, b.distance_km or 0.0, e.expected_kwh) for b, e in mine]
        reading = ctx.judge.readings.get(vid)
        soc0 = reading.soc_pct if reading is not None and reading.measured_at <= start else START_SOC
        buses.append(Bus(vid, usable, vtype.charge_kw, soc0, start, True, tuple(
            Work(b.block_id, b.pull_out, b.pull_in, e.expected_kwh, need_kwh(e, usable, th),
                 *depot.allowances(b.trip_ids)) for b, e in mine),
            vtype.charging_curve, vtype.charging_efficiency or DEFAULT_EFFICIENCY))
    messages = simulate(buses, work, chargers, rules, start, end, every=every, seed=seed, odometer_km=with_odometer,
                        places=yard_places(spots, [b.vehicle_id for b in buses]))
    return SimulatedDay(depot_id, start, end, messages, runs_low(buses, work))


def continue_day(uow: UnitOfWork, depot_id: str, since: datetime | None, now: datetime, *,
                 every: timedelta = timedelta(minutes=1), seed: int = 0) -> SimulatedDay:
    """The readings from `since` (None: each bus's latest reading) up to `now`, continuing from what is
    stored: each EV from its latest fresh reading, on the blocks the plan gives it now, charging as the
    depot's charging plan for readiness says (the board's own: domain/depot_charging.py). A bus with no
    fresh reading is left alone (it stays stale on the board)."""
    with uow:
        depot = require_depot(uow, depot_id)
        today = to_local(now, zone(depot.timezone)).date()
        ctx = load_context(uow, depot, today - timedelta(days=1), today + timedelta(days=1), now)
        chargers = uow.yard.chargers(depot_id, available_only=True)
        spots = uow.yard.spots(depot_id)
    judge = ctx.judge
    buses = charging_buses(judge, ctx.vehicle_blocks)
    work, soc_now, odometer = {}, {}, {}
    for bus in buses:
        vtype = judge.types[judge.vehicles[bus.vehicle_id].vehicle_type].name
        reading = judge.readings[bus.vehicle_id]
        soc_now[bus.vehicle_id] = reading.soc_pct
        if reading.odometer_km is not None:
            odometer[bus.vehicle_id] = reading.odometer_km
        work[bus.vehicle_id] = [
            SimBlock(b.block_id, b.pull_out, b.pull_in, b.distance_km or 0.0, e.expected_kwh)
            for b in ctx.vehicle_blocks.get(bus.vehicle_id, []) if b.cancelled_at is None
            and (e := judge.estimate(b, vtype)) is not None and b.pull_in > reading.measured_at]
    start = since if since is not None else min((b.since for b in buses), default=now)
    messages = simulate(buses, work, chargers, yard_rules(depot), start, now, every=every, seed=seed,
                        odometer_km=odometer, soc_now=soc_now, places=yard_places(spots, [b.vehicle_id for b in buses]))
    return SimulatedDay(depot_id, start, now, [m for m in messages if m.at > start], runs_low(buses, work))


def deliver(uow: UnitOfWork, day: SimulatedDay, now: datetime) -> IntakeResult:
    """Hand the messages to the telemetry intake as the MQTT worker would (the same parser, the same
    store): the demo's path when no broker is reachable."""
    items, refused = [], []
    for m in day.messages:
        try:
            items.append(parse_message(day.topic(m), json.dumps(m.payload).encode()))
        except Rejected as exc:
            refused.append(exc)
    return take_telemetry(uow, items, now, refused)
