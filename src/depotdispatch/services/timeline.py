"""The vehicle timeline of a day: lanes of vehicles with their blocks, the open blocks, the projected SoC
along the day (at each pull-out and pull-in, as viability judges it) and the gaps between blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.horizon import horizon
from depotdispatch.domain.live import LiveRisk
from depotdispatch.domain.status import block_status
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import day_context, require_day
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class Bar:
    block: DayBlock
    vehicle_id: str | None
    status: str
    actionable: bool
    verdict: str | None  # plan-time viability, only for actionable blocks with a vehicle
    live: LiveRisk | None = None  # in service only (DESIGN §3): from live data, as on the board


@dataclass
class Gap:
    vehicle_id: str
    start: datetime
    end: datetime
    charged_kwh: float  # what readiness counts as charged before the next block


@dataclass
class Lane:
    vehicle_id: str
    vehicle_type: str
    propulsion: str
    availability: str
    soc: list[tuple[datetime, float]] = field(default_factory=list)  # projected, battery-electric only


@dataclass
class Timeline:
    service_date: date
    plan_version: int
    lanes: list[Lane]
    bars: list[Bar]
    gaps: list[Gap]


def timeline(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime) -> Timeline:
    with uow:
        depot = require_depot(uow, depot_id)
        version = uow.plans.version(require_day(uow, depot_id, service_date))
        ctx = day_context(uow, depot, service_date, now)
    judge = ctx.judge
    window = horizon(depot, now)
    day_blocks = sorted((b for b in ctx.blocks if b.service_date == service_date), key=lambda b: b.pull_out)
    bars, lanes, gaps = [], [], []
    for b in day_blocks:
        a = ctx.assignments.get(b.pk or -1)
        state = block_status(b, now, window.end)
        verdict = None
        if a is not None and state.actionable:
            verdict = judge.judge(a.vehicle_id, b, ctx.vehicle_blocks.get(a.vehicle_id, [])).status
        live = None
        if state.status == "in_service":  # the vehicle on it: the one seen on it, else the plan's
            live = judge.live_risk(b, runner(b, a.vehicle_id if a else None))
        bars.append(Bar(b, a.vehicle_id if a else None, state.status, state.actionable, verdict, live))
    for vid, vehicle in sorted(judge.vehicles.items()):
        vtype = judge.types[vehicle.vehicle_type]
        lane = Lane(vid, vtype.name, vtype.propulsion, vehicle.availability)
        mine = sorted((b for b in ctx.vehicle_blocks.get(vid, []) if b.cancelled_at is None), key=lambda b: b.pull_out)
        reading = judge.readings.get(vid)
        if vtype.is_electric and reading is not None:
            lane.soc.append((reading.measured_at, reading.soc_pct))
        for i, b in enumerate(mine):
            if b.service_date != service_date:
                continue
            v = judge.judge(vid, b, mine)
            if vtype.is_electric and v.readiness is not None and v.readiness.soc_pct is not None:
                lane.soc.append((b.pull_out, v.readiness.soc_pct))
                if v.end_soc_pct is not None:
                    lane.soc.append((b.pull_in, v.end_soc_pct))
            if i + 1 < len(mine):
                nxt = judge.judge(vid, mine[i + 1], mine)
                charged = nxt.readiness.charged_kwh if nxt.readiness else 0.0
                gaps.append(Gap(vid, b.pull_in, mine[i + 1].pull_out, charged))
        lane.soc.sort()
        lanes.append(lane)
    return Timeline(service_date, version, lanes, bars, gaps)
