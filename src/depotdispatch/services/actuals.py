"""Actuals: a block's actual start, end and seen vehicle, from live data (telematics, AVL files) or entered
by hand (CLI `block actual`, API `PUT .../actuals`). `write_actuals` is their only writer.

Each change is an `actuals_recorded` event; a start by another bus than planned is reported as a
`vehicle_mismatch` (and shows on the board for as long as the plan and the sighting disagree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypedDict

from depotdispatch.domain.actuals import Sighting, apply_sightings, starts_to_check
from depotdispatch.domain.days import MAX_ACTUAL_SHIFT, DayBlock
from depotdispatch.domain.errors import InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.readings import MAX_SKEW
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.words import EventKind
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


class RejectedRow(TypedDict):
    row: int | None
    reason: str


@dataclass
class ActualsResult:
    started: int = 0
    ended: int = 0
    unmatched: int = 0
    mismatches: list[dict[str, object]] = field(default_factory=list)  # {"block_id", "planned", "seen"}
    rejected: list[RejectedRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"started": self.started, "ended": self.ended, "unmatched": self.unmatched,
                "mismatches": self.mismatches}


def apply_in(uow: UnitOfWork, depot_id: str, sightings: Sequence[Sighting], now: datetime,
             actor: str = "telematics") -> ActualsResult:
    """Inside an open unit of work (the caller commits): the telemetry intake stores readings and actuals
    in one transaction."""
    result = ActualsResult()
    if not sightings:
        return result
    depot = require_depot(uow, depot_id)
    tz = zone(depot.timezone)
    first = to_local(min(s.at for s in sightings), tz).date() - timedelta(days=1)
    last = to_local(max(s.at for s in sightings), tz).date()
    blocks = uow.days.blocks_for_dates(depot_id, first, last)
    # a bus first seen on a block after its pull-out: was it seen since (a stored reading)? then it left late
    asks = starts_to_check(blocks, sightings)
    seen = uow.readings.seen_before(sorted(asks.items())) if asks else {}
    changes, result.unmatched = apply_sightings(blocks, sightings, seen)
    if not changes:
        return result
    dates = sorted({b.service_date for b in blocks})
    planned = {pk: a.vehicle_id for pk, a in uow.plans.assignments_for_dates(depot_id, dates).items()}
    stored = {b.pk: b for b in blocks}  # as they stand before each change, for its event's `before`
    for c in changes:
        b = c.block
        origin = "live data"
        if c.first_seen is not None:
            origin += (f"; first seen on it at {to_local(c.first_seen, tz):%H:%M}, not seen since its pull-out "
                       "before that, so taken to have left on time")
        write_actuals(uow, depot_id, stored[b.pk], b.actual_start, b.actual_end, b.actual_vehicle_id, actor, now,
                      origin)
        stored[b.pk] = b
        if c.actual_start is not None or c.named:
            result.started += c.actual_start is not None
            plan_vehicle = planned.get(b.pk or -1)
            if plan_vehicle is not None and plan_vehicle != c.vehicle_id:
                result.mismatches.append({"block_id": b.block_id, "service_date": b.service_date.isoformat(),
                                          "planned": plan_vehicle, "seen": c.vehicle_id})
        if c.actual_end is not None:
            result.ended += 1
    return result


def write_actuals(uow: UnitOfWork, depot_id: str, block: DayBlock, start: datetime | None, end: datetime | None,
                  seen_vehicle: str | None, actor: str, now: datetime, origin: str) -> None:
    """The only writer of a block's actuals (`block` as stored), with its `actuals_recorded` event (before and
    after) and the change announced; `origin` says where they came from ("live data", "entered by hand")."""
    assert block.pk is not None, "a stored block has its key"
    uow.days.set_actuals(block.pk, start, end)
    uow.days.set_seen_vehicle(block.pk, seen_vehicle)
    before = {"actual_start": _iso(block.actual_start), "actual_end": _iso(block.actual_end),
              "vehicle_id": block.actual_vehicle_id}
    after = {"actual_start": _iso(start), "actual_end": _iso(end), "vehicle_id": seen_vehicle, "from": origin}
    uow.plans.add_event(Event(depot_id, EventKind.ACTUALS_RECORDED, actor, now, block.service_date, block.block_id,
                              seen_vehicle, before=before, after=after))
    announce(uow, depot_id, block.service_date, "actual", block_id=block.block_id, vehicle_id=seen_vehicle)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def record_actuals(uow: UnitOfWork, depot_id: str, service_date: date, block_id: str, *,
                   actual_start: datetime | None, actual_end: datetime | None, actor: str, now: datetime) -> None:
    """Actuals entered by hand; each one given wins over what was recorded before."""
    with uow:
        require_depot(uow, depot_id)
        block = uow.days.block(depot_id, service_date, block_id)
        if block is None:
            raise NotFound(f"no block {block_id!r} on {service_date} at depot {depot_id!r}")
        start = actual_start or block.actual_start
        end = actual_end or block.actual_end
        if end is not None and start is None:
            raise InvalidInput("record the actual start before the actual end")
        if start is not None and end is not None and end <= start:
            raise InvalidInput("the actual end is not after the actual start")
        for label, t in (("start", actual_start), ("end", actual_end)):
            if t is not None and t > now + MAX_SKEW:
                raise InvalidInput(f"the actual {label} {t.isoformat()} is in the future")
            planned = block.pull_out if label == "start" else block.pull_in
            if t is not None and abs(t - planned) > MAX_ACTUAL_SHIFT:
                raise InvalidInput(f"the actual {label} is more than {MAX_ACTUAL_SHIFT.seconds // 3600} h from the "
                                   f"planned {'pull-out' if label == 'start' else 'pull-in'}; is it the right block?")
        write_actuals(uow, depot_id, block, start, end, block.actual_vehicle_id, actor, now, "entered by hand")
        uow.commit()


def record_sightings(uow: UnitOfWork, depot_id: str, sightings: Sequence[Sighting], now: datetime,
                     actor: str) -> ActualsResult:
    with uow:
        result = apply_in(uow, depot_id, sightings, now, actor)
        uow.commit()
    return result


def import_sightings(uow: UnitOfWork, depot_id: str, rows: Sequence[tuple[int, Sighting]], now: datetime,
                     actor: str, rejected: Sequence[RejectedRow] = ()) -> ActualsResult:
    """AVL rows from a file: rows of vehicles that are not this depot's are rejected with the row."""
    refused = list(rejected)
    with uow:
        require_depot(uow, depot_id)
        depot_of = uow.readings.depots_of([s.vehicle_id for _, s in rows])
        good = []
        for row, s in rows:
            if depot_of.get(s.vehicle_id) != depot_id:
                refused.append({"row": row, "reason": f"vehicle {s.vehicle_id!r} is not in depot {depot_id!r}"})
            elif s.at > now + MAX_SKEW:
                refused.append({"row": row, "reason": "the time is in the future"})
            else:
                good.append(s)
        if refused and not good:
            raise InvalidInput(f"none of the {len(refused)} rows could be used; the first: "
                               f"row {refused[0]['row']}: {refused[0]['reason']}")
        result = apply_in(uow, depot_id, good, now, actor)
        uow.commit()
    result.rejected = sorted(refused, key=lambda r: r["row"] or 0)
    return result
