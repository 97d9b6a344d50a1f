"""SoC readings: the only writer. Bad readings are rejected with a reason and counted, never stored."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from depotdispatch.domain.readings import SocReading, rejection
from depotdispatch.services.changes import announce
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class ReadingsResult:
    stored: int
    duplicates: int
    rejected: list[dict[str, object]] = field(default_factory=list)  # {"row", "reason"}

    def as_dict(self) -> dict[str, object]:
        return {"stored": self.stored, "duplicates": self.duplicates, "rejected": self.rejected}


def add_readings(uow: UnitOfWork, readings: Sequence[tuple[int | None, SocReading]], now: datetime,
                 already_rejected: Sequence[dict[str, object]] = (), depot_id: str | None = None,
                 depots: Collection[str] | None = None) -> ReadingsResult:
    """`readings` are (row or index, reading). Duplicates of stored readings are counted, not stored again.
    With `depot_id` (e.g. from an MQTT topic) a vehicle of another depot counts as unknown; so does, with
    `depots` (the caller's), a vehicle of a depot not among them."""
    rejected = list(already_rejected)
    with uow:
        ids = [r.vehicle_id for _, r in readings]
        known = uow.readings.known_vehicles(ids, depot_id)
        if depots is not None:
            known &= set().union(*(uow.readings.known_vehicles(ids, d) for d in depots))
        propulsion = uow.readings.propulsions(sorted(known))
        good = []
        for row, r in readings:
            why = rejection(r, now, r.vehicle_id in known, propulsion.get(r.vehicle_id))
            if why:
                rejected.append({"row": row, "reason": why})
            else:
                good.append(r)
        stored = uow.readings.add_new(good, now)
        if stored:
            # the earliest measured: a board knows which of its figures as of an earlier instant still hold
            announce(uow, depot_id, None, "reading", stored=stored,
                     earliest=min(r.measured_at for r in good).isoformat())
        uow.commit()
    rejected.sort(key=lambda x: (x["row"] is None, x["row"] or 0))
    return ReadingsResult(stored=stored, duplicates=len(good) - stored, rejected=rejected)


def add_reading(uow: UnitOfWork, reading: SocReading, now: datetime) -> ReadingsResult:
    return add_readings(uow, [(None, reading)], now)
