"""Missed pull-outs in the recommendation: each block that started with no bus, with the bus that can take
the rest over (domain/takeover.py). Advice only: it is taken with the change-out split and that bus."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.servicetime import at_service_time, clock_on, to_local, zone
from depotdispatch.domain.status import out_on
from depotdispatch.domain.takeover import Takeover, suggest_takeover
from depotdispatch.domain.words import Origin
from depotdispatch.services.unit_of_work import UnitOfWork


def missed(blocks: Sequence[DayBlock], assigned: Collection[int], service_date: date,
           now: datetime) -> list[DayBlock]:
    """The day's blocks out on the road by the clock or by actuals with no bus (keys of `assigned`): missed
    pull-outs."""
    return [b for b in blocks if b.service_date == service_date and b.pk not in assigned and out_on(b, now)]


def takeovers(uow: UnitOfWork, depot: Depot, service_date: date, judge: FleetJudge, blocks: Sequence[DayBlock],
              chains: Mapping[str, Sequence[DayBlock]], now: datetime, busy_note: str = "") -> list[Takeover]:
    """In the caller's unit of work: a takeover for each missed pull-out, the buses each one takes counted
    busy for the next (the same bus is never offered twice). `busy_note`: what the chains hold besides the
    plan, said where a bus is on other work (domain/takeover.suggest_takeover)."""
    tz = zone(depot.timezone)
    today = to_local(now, tz).date()
    busy = {v: list(bs) for v, bs in chains.items()}
    out = []
    for block in sorted(blocks, key=lambda b: (b.pull_out, b.block_id)):
        if block.origin != Origin.SCHEDULED or block.schedule_id is None or not block.trip_ids:
            out.append(Takeover(block.block_id, None, None, "", None, block.distance_km,
                                "it has no schedule trips to hand over: assign a bus to it, or cancel it"))
            continue
        trips = uow.schedules.trips_by_ids(block.schedule_id, block.trip_ids)
        stops = uow.schedules.stops(block.schedule_id, sorted({t.start_stop for t in trips} |
                                                              {t.end_stop for t in trips}))
        t = suggest_takeover(judge, depot, block, trips, now, lambda t: at_service_time(service_date, t.start_s, tz),
                             lambda t: at_service_time(service_date, t.end_s, tz), busy, stops,
                             lambda at: clock_on(to_local(at, tz), today), busy_note)
        if t.vehicle_id is not None:
            busy.setdefault(t.vehicle_id, []).append(block)
        out.append(t)
    return out


def takeover_doc(t: Takeover) -> dict[str, Any]:
    return {"block_id": t.block_id, "at": t.at.isoformat() if t.at else None, "relief_stop": t.stop,
            "relief_point": t.relief or None, "vehicle_id": t.vehicle_id, "km": t.km, "explanation": t.explanation}
