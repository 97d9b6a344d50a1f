"""Actuals from live data (telematics, AVL files): the only writer of a block's seen vehicle.

Each change is an `actuals_recorded` event; a start by another bus than planned is reported as a
`vehicle_mismatch` (and shows on the board for as long as the plan and the sighting disagree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

from depotdispatch.domain.actuals import Sighting, apply_sightings
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.events import Event
from depotdispatch.domain.readings import MAX_SKEW
from depotdispatch.domain.servicetime import to_local, zone
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
    changes, result.unmatched = apply_sightings(blocks, sightings)
    if not changes:
        return result
    dates = sorted({b.service_date for b in blocks})
    planned = {pk: a.vehicle_id for pk, a in uow.plans.assignments_for_dates(depot_id, dates).items()}
    for c in changes:
        b = c.block
        assert b.pk is not None, "a stored block has its key"
        uow.days.set_actuals(b.pk, b.actual_start, b.actual_end)
        uow.days.set_seen_vehicle(b.pk, b.actual_vehicle_id)
        after = {"actual_start": b.actual_start.isoformat() if b.actual_start else None,
                 "actual_end": b.actual_end.isoformat() if b.actual_end else None,
                 "vehicle_id": b.actual_vehicle_id, "from": "live data"}
        uow.plans.add_event(Event(depot_id, "actuals_recorded", actor, now, b.service_date, b.block_id,
                                  c.vehicle_id, after=after))
        if c.actual_start is not None:
            result.started += 1
            plan_vehicle = planned.get(b.pk or -1)
            if plan_vehicle is not None and plan_vehicle != c.vehicle_id:
                result.mismatches.append({"block_id": b.block_id, "service_date": b.service_date.isoformat(),
                                          "planned": plan_vehicle, "seen": c.vehicle_id})
        if c.actual_end is not None:
            result.ended += 1
        announce(uow, depot_id, b.service_date, "actual", block_id=b.block_id, vehicle_id=c.vehicle_id)
    return result


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
