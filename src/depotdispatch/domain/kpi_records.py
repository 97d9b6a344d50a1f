"""The plain records the KPIs are computed over, rebuilt from the audit log (DESIGN §12).

The plan of any moment is reconstructed from events, not read from today's assignments: a KPI about
"the plan as it stood at the block's pull-out" must not see later changes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from depotdispatch.domain.events import Event
from depotdispatch.domain.readings import SocReading

# Where an event does not say the source of the assignment it made or removed.
KIND_SOURCE = {"unassigned": "manual", "sheet_applied": "imported", "recommendation_accepted": "recommended",
               "assigned": "manual", "reassigned": "manual", "override": "manual"}


@dataclass(frozen=True)
class Step:
    """One change of a block's vehicle, as the audit log recorded it."""

    at: datetime
    vehicle_id: str | None  # None: the block lost its vehicle
    source: str
    kind: str
    event_id: int | None = None
    override_reason: str | None = None
    acknowledged: tuple[str, ...] = ()
    verdict: str | None = None  # viability of the vehicle for the block when it was assigned

    @property
    def is_override(self) -> bool:
        return self.override_reason is not None


BlockKey = tuple[date, str]  # (service date, block id)


def steps_from_events(events: Iterable[Event]) -> dict[BlockKey, list[Step]]:
    """Per block, its vehicle changes in time order. An event changes the assignment when its before or
    after names a vehicle (assign, reassign, unassign, sheet, recommendation, cancel, removal)."""
    out: dict[BlockKey, list[Step]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (e.at, e.event_id or 0)):
        if e.block_id is None or e.service_date is None:
            continue
        before, after = e.before or {}, e.after or {}
        if "vehicle_id" not in before and "vehicle_id" not in after:
            continue
        vehicle = after.get("vehicle_id")
        if vehicle == before.get("vehicle_id") and not after.get("override_reason"):
            continue  # nothing changed (e.g. cancelling a block that had no vehicle)
        source = after.get("source") or KIND_SOURCE.get(e.kind, e.kind)
        out[(e.service_date, e.block_id)].append(Step(
            e.at, vehicle, source, e.kind, e.event_id, after.get("override_reason"),
            tuple(after.get("acknowledged") or ()), after.get("viability")))
    return dict(out)


def in_effect(steps: Sequence[Step], t: datetime) -> Step | None:
    """The step in force at `t` (the last one at or before it); None when the block had no vehicle then."""
    if len(steps) == 1:  # most blocks: planned once
        step = steps[0]
        return step if step.at <= t and step.vehicle_id is not None else None
    i = bisect_right([s.at for s in steps], t)
    if i == 0:
        return None
    step = steps[i - 1]
    return step if step.vehicle_id is not None else None


class Availability:
    """A vehicle's availability at a past moment, from the events that changed it (an event whose
    after carries `availability`); without such events, the vehicle's availability today."""

    def __init__(self, current: dict[str, str], events: Iterable[Event]) -> None:
        self.current = current
        self.changes: dict[str, list[tuple[datetime, str | None, str]]] = defaultdict(list)
        changes = [(e, e.vehicle_id, e.after) for e in events
                   if e.vehicle_id and e.after and "availability" in e.after]
        for e, vehicle_id, after in sorted(changes, key=lambda c: (c[0].at, c[0].event_id or 0)):
            if vehicle_id is not None and after is not None:  # as filtered above: said again for the checker
                self.changes[vehicle_id].append((e.at, (e.before or {}).get("availability"), after["availability"]))

    def at(self, vehicle_id: str, t: datetime) -> str:
        changes = self.changes.get(vehicle_id)
        if not changes:
            return self.current.get(vehicle_id, "available")
        i = bisect_right([c[0] for c in changes], t)
        if i:
            return changes[i - 1][2]
        return changes[0][1] or self.current.get(vehicle_id, "available")

    def constant(self, vehicle_id: str) -> bool:
        return not self.changes.get(vehicle_id)


class ReadingLog:
    """Each vehicle's readings in time order: the latest one before a moment, the first one after."""

    def __init__(self, readings: Iterable[SocReading]) -> None:
        by_vehicle: dict[str, list[SocReading]] = defaultdict(list)
        for r in readings:
            by_vehicle[r.vehicle_id].append(r)
        self.readings = {v: sorted(rs, key=lambda r: r.measured_at) for v, rs in by_vehicle.items()}
        self.times = {v: [r.measured_at for r in rs] for v, rs in self.readings.items()}

    def latest(self, vehicle_id: str, t: datetime) -> SocReading | None:
        times = self.times.get(vehicle_id)
        if not times:
            return None
        i = bisect_right(times, t)
        return self.readings[vehicle_id][i - 1] if i else None

    def first_after(self, vehicle_id: str, t: datetime, until: datetime) -> SocReading | None:
        times = self.times.get(vehicle_id)
        if not times:
            return None
        i = bisect_left(times, t)
        if i < len(times) and times[i] <= until:
            return self.readings[vehicle_id][i]
        return None

