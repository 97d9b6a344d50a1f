"""The plain records the KPIs are computed over, rebuilt from the audit log (DESIGN §12).

The plan of any moment is reconstructed from events, not read from today's assignments: a KPI about
"the plan as it stood at the block's pull-out" must not see later changes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import numpy as np

from depotdispatch.domain.events import Event
from depotdispatch.domain.readings import SocReading

# Where an event does not say the source of the assignment it made or removed.
KIND_SOURCE = {"unassigned": "manual", "sheet_applied": "imported", "recommendation_accepted": "recommended",
               "assigned": "manual", "reassigned": "manual", "override": "manual"}


class Step(NamedTuple):
    """One change of a block's vehicle, as the audit log recorded it. (A named tuple: a year holds
    some 110,000 of them, and a frozen dataclass takes four times as long to make.)"""

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


class VehicleChange(NamedTuple):
    """The fields of an event that say how it changed a block's vehicle (all the KPIs read of it)."""

    at: datetime
    event_id: int | None
    service_date: date | None
    block_id: str | None
    kind: str
    before_vehicle: str | None
    vehicle_id: str | None  # the vehicle after the event
    source: str | None
    override_reason: str | None
    acknowledged: tuple[str, ...]
    viability: str | None


def vehicle_change(e: Event) -> VehicleChange:
    before, after = e.before or {}, e.after or {}
    return VehicleChange(e.at, e.event_id, e.service_date, e.block_id, e.kind, before.get("vehicle_id"),
                         after.get("vehicle_id"), after.get("source"), after.get("override_reason"),
                         tuple(after.get("acknowledged") or ()), after.get("viability"))


def steps_from_events(events: Iterable[Event]) -> dict[BlockKey, list[Step]]:
    return steps_from_changes(vehicle_change(e) for e in events)


def steps_from_changes(changes: Iterable[VehicleChange]) -> dict[BlockKey, list[Step]]:
    """Per block, its vehicle changes in time order. An event changes the assignment when its before or
    after names a vehicle (assign, reassign, unassign, sheet, recommendation, cancel, removal)."""
    out: dict[BlockKey, list[Step]] = {}
    kind_source, make = KIND_SOURCE.get, Step._make
    # unpacked, not read by attribute, and the Step made from a tuple (a year: 114,000 of them)
    for at, event_id, service_date, block_id, kind, before, vehicle, source, reason, acknowledged, viability in sorted(
            changes, key=_change_order):
        if block_id is None or service_date is None:
            continue
        if before is None and vehicle is None:
            continue
        if vehicle == before and not reason:
            continue  # nothing changed (e.g. cancelling a block that had no vehicle)
        step = make((at, vehicle, source or kind_source(kind, kind), kind, event_id, reason, acknowledged, viability))
        mine = out.get((service_date, block_id))
        if mine is None:
            out[(service_date, block_id)] = [step]
        else:
            mine.append(step)
    return out


def _change_order(c: VehicleChange) -> tuple[datetime, int]:
    return c[0], c[1] or 0  # (at, event_id)


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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def micros(t: datetime) -> int:
    """An aware instant as whole microseconds since the epoch: exact, so ties compare as instants do."""
    return (t - EPOCH) // _US


class ReadingLog:
    """Each vehicle's readings in time order, held as columns: a year's readings are ~10^5 rows, and a
    reading object is made only for the few the rules quote (the outcome sentence, the judge)."""

    def __init__(self, readings: Iterable[SocReading]) -> None:
        rs = list(readings)
        self._set([r.vehicle_id for r in rs], [micros(r.measured_at) for r in rs], [r.soc_pct for r in rs],
                  [(r.source, r.odometer_km, r.plugged_in, r.charger_id) for r in rs])

    @classmethod
    def from_columns(cls, vehicle_ids: Sequence[str], at_us: Sequence[int], soc_pct: Sequence[float],
                     rest: Sequence[tuple[str, float | None, bool | None, str | None]]) -> ReadingLog:
        """`rest`: source, odometer_km, plugged_in, charger_id of each reading."""
        log = cls.__new__(cls)
        log._set(vehicle_ids, at_us, soc_pct, rest)
        return log

    def _set(self, vehicle_ids: Sequence[str], at_us: Sequence[int], soc_pct: Sequence[float],
             rest: Sequence[tuple[str, float | None, bool | None, str | None]]) -> None:
        codes: dict[str, int] = {}
        code = np.array([codes.setdefault(v, len(codes)) for v in vehicle_ids], dtype=np.int64)
        at = np.array(at_us, dtype=np.int64)
        order = np.lexsort((at, code))  # by vehicle, then time
        self.vehicle_ids = [vehicle_ids[i] for i in order.tolist()]
        self.at_us = at[order]
        self.soc = np.array(soc_pct, dtype=float)[order]
        self._rest = [rest[i] for i in order.tolist()]
        self.at_list = self.at_us.tolist()
        bounds = np.searchsorted(code[order], np.arange(len(codes) + 1))
        self.span = {v: (int(bounds[c]), int(bounds[c + 1])) for v, c in codes.items()}

    def __len__(self) -> int:
        return len(self.at_list)

    def first_after_index(self, vehicle_id: str, t: datetime, within: timedelta) -> int | None:
        """The position of the vehicle's first reading at or after `t`, if it is no later than t + within."""
        span = self.span.get(vehicle_id)
        if span is None:
            return None
        u = micros(t)
        i = bisect_left(self.at_list, u, *span)
        return i if i < span[1] and self.at_list[i] <= u + within // _US else None

    def reading(self, i: int) -> SocReading:
        source, odometer, plugged, charger = self._rest[i]
        return SocReading(self.vehicle_ids[i], float(self.soc[i]), EPOCH + int(self.at_us[i]) * _US, source,
                          odometer, plugged, charger)

    def timeline(self, vehicle_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The given vehicles' readings in one time line (ties by their order in `vehicle_ids`): epoch
        seconds (as datetime.timestamp() gives them), the vehicle's index, and the reading's position."""
        parts = [(k, *self.span[v]) for k, v in enumerate(vehicle_ids) if v in self.span]
        pos = np.concatenate([np.arange(lo, hi) for _, lo, hi in parts]) if parts else np.empty(0, dtype=np.int64)
        who = np.repeat([k for k, _, _ in parts], [hi - lo for _, lo, hi in parts]).astype(np.int64)
        ts = self.at_us[pos] / 1e6
        order = np.lexsort((who, ts))
        return ts[order], who[order], pos[order]
