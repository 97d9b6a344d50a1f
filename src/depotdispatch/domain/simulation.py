"""A plausible telematics day for a plan, for demos and load: SoC falls along the assigned blocks by the
energy model (plus noise), rises on chargers as the depot's charging plan says, the odometer counts the
km, block ids ride along, a bus in the yard says where it stands (bay, lane, position), and one bus uses a
third more than planned so that it runs low.

Pure: the caller gives the plan, the chargers and a seed; out come timed messages (topic parts and a
payload in the MQTT format of DESIGN §11).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.charging_plan import Bus, Charger, ChargingPlan, YardRules, plan_charging
from depotdispatch.domain.telemetry import Place

RUNS_LOW_FACTOR = 1.35


@dataclass(frozen=True)
class SimBlock:
    block_id: str
    pull_out: datetime
    pull_in: datetime
    distance_km: float
    kwh: float  # expected energy on the bus's type


@dataclass(frozen=True)
class SimMessage:
    at: datetime
    vehicle_id: str
    payload: dict[str, object]


def runs_low(buses: Sequence[Bus], blocks: dict[str, list[SimBlock]]) -> str | None:
    """The bus whose day asks most of its battery: the one made to run low."""
    def load(b: Bus) -> float:
        return max((x.kwh / b.usable_kwh for x in blocks.get(b.vehicle_id, [])), default=0.0)
    with_work = [b for b in buses if blocks.get(b.vehicle_id)]
    return max(with_work, key=lambda b: (load(b), b.vehicle_id)).vehicle_id if with_work else None


def simulate(buses: Sequence[Bus], blocks: dict[str, list[SimBlock]], chargers: Sequence[Charger],
             rules: YardRules, start: datetime, end: datetime, *, every: timedelta = timedelta(minutes=1),
             seed: int = 0, odometer_km: dict[str, float] | None = None,
             soc_now: dict[str, float] | None = None, places: Mapping[str, Place] | None = None) -> list[SimMessage]:
    """`soc_now`: a bus's SoC % at its `since` where it differs from `Bus.soc_pct` (a bus read during a
    block: the charging plan takes the block's rest as spent, the readings spend it along the block).
    `places`: where each bus stands when it is in the yard (sent with every message from the depot)."""
    rng = random.Random(seed)
    low = runs_low(buses, blocks)
    plan = plan_charging(buses, chargers, rules, end)
    out: list[SimMessage] = []
    for i, bus in enumerate(buses):
        factor = RUNS_LOW_FACTOR if bus.vehicle_id == low else 1.0
        odo = (odometer_km or {}).get(bus.vehicle_id, 20_000.0 + 1_234.5 * i)
        soc = (soc_now or {}).get(bus.vehicle_id, bus.soc_pct)
        out.extend(_one_bus(bus, sorted(blocks.get(bus.vehicle_id, []), key=lambda b: b.pull_out), plan, start,
                            end, every, rng, factor, odo, soc, (places or {}).get(bus.vehicle_id)))
    out.sort(key=lambda m: (m.at, m.vehicle_id))
    return out


def _one_bus(bus: Bus, work: list[SimBlock], plan: ChargingPlan, start: datetime, end: datetime,
             every: timedelta, rng: random.Random, factor: float, odometer: float,
             soc_pct: float, place: Place | None) -> list[SimMessage]:
    sessions = plan.sessions_of(bus.vehicle_id)
    curves: dict[float, ChargingCurve] = {}
    soc = soc_pct / 100
    t = max(start, bus.since)
    offset = timedelta(seconds=rng.randrange(int(every.total_seconds()) or 1))
    t += offset
    out = []
    while t <= end:
        block = next((b for b in work if b.pull_out <= t < b.pull_in), None)
        step_h = every.total_seconds() / 3600
        charger = None
        if block is not None:
            share = step_h / max((block.pull_in - block.pull_out).total_seconds() / 3600, 1e-9)
            soc -= block.kwh * factor * share * rng.uniform(0.85, 1.15) / bus.usable_kwh
            odometer += block.distance_km * share
        else:
            s = next((s for s in sessions if s.start <= t < s.end), None)
            if s is not None:
                charger = s.charger_id
                if s.kw not in curves:
                    curves[s.kw] = ChargingCurve(bus.usable_kwh, bus.points(), charger_kw=s.kw,
                                                 efficiency=bus.efficiency)
                soc = float(curves[s.kw].soc_after(max(soc, 0.0), step_h))
        soc = min(max(soc, 0.0), 1.0)
        shown = min(max(soc * 100 + rng.gauss(0, 0.3), 0.0), 100.0)
        payload: dict[str, object] = {"soc_pct": round(shown, 1), "measured_at": t.isoformat(),
                                      "odometer_km": round(odometer, 2), "plugged_in": charger is not None}
        if charger is not None:
            payload["charger_id"] = charger
        if block is not None:
            payload["block_id"] = block.block_id
        else:
            payload["at_depot"] = True
            if place is not None:
                payload.update({k: v for k, v in (("bay", place.bay), ("lane", place.lane),
                                                  ("position", place.lane_order)) if v is not None})
        out.append(SimMessage(t, bus.vehicle_id, payload))
        t += every
    return out
