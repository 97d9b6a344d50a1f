"""Telemetry intake: a batch of parsed messages stored in one transaction, rejections counted per reason.

The MQTT worker acknowledges a batch only after this returns, so a reading is never acknowledged and
then lost. A vehicle of another depot than its topic says is `wrong_depot`; one nobody knows is
`unknown_vehicle`; a state of charge of a non-EV is `not_electric` (not stored, but where the bus is, on a
block or back at the depot, still counts for the actuals); the time and value rules are the same as for
every other intake path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from depotdispatch.domain.actuals import Sighting
from depotdispatch.domain.readings import not_electric, rejection
from depotdispatch.domain.telemetry import Place, Rejected, Telemetry, check_time
from depotdispatch.services import yard
from depotdispatch.services.actuals import apply_in
from depotdispatch.services.changes import announce
from depotdispatch.services.ports import RejectionRow
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class IntakeResult:
    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    details: list[dict[str, object]] = field(default_factory=list)  # the first few, for people

    def add(self, other: IntakeResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)
        self.details.extend(other.details[: max(0, 50 - len(self.details))])

    def as_dict(self) -> dict[str, object]:
        return {"stored": self.stored, "duplicates": self.duplicates, "rejected": dict(sorted(self.rejected.items()))}


def take_telemetry(uow: UnitOfWork, items: Sequence[Telemetry], now: datetime,
                   rejected: Sequence[Rejected] = ()) -> IntakeResult:
    """Store what is good, count what is not (`rejected` are messages refused before they got here)."""
    refused: list[Rejected] = list(rejected)
    with uow:
        ids = [t.reading.vehicle_id for t in items]
        depot_of, propulsion = uow.readings.depots_of(ids), uow.readings.propulsions(ids)
        good, sightings = [], []
        for t in items:
            why = _why(t, depot_of.get(t.reading.vehicle_id), propulsion.get(t.reading.vehicle_id), now)
            if why is None:
                good.append(t)
            else:
                why.depot_id = t.depot_id
                refused.append(why)
                if why.code == "not_electric":
                    sightings.append(t)
        stored = uow.readings.add_new([t.reading for t in good], now) if good else 0
        _actuals(uow, [*good, *sightings], now)
        _places(uow, [*good, *sightings])
        if stored:
            for depot_id in sorted({t.depot_id for t in good}):
                # the earliest measured: a board knows which of its figures as of an earlier instant still hold
                earliest = min(t.reading.measured_at for t in good if t.depot_id == depot_id)
                announce(uow, depot_id, None, "reading", source="telematics", earliest=earliest.isoformat())
        if refused:
            uow.telemetry.count_rejections([(r.depot_id, r.code, r.detail) for r in refused], now)
        uow.commit()
    result = IntakeResult(stored, len(good) - stored, Counter(r.code for r in refused))
    result.details = [{"depot_id": r.depot_id, "reason": r.code, "detail": r.detail} for r in refused[:50]]
    return result


def _actuals(uow: UnitOfWork, good: Sequence[Telemetry], now: datetime) -> None:
    """A bus in service on a block starts it; one back at the depot (or on a charger) ends it."""
    by_depot: dict[str, list[Sighting]] = {}
    for t in good:
        r = t.reading
        if t.block_id is not None:
            by_depot.setdefault(t.depot_id, []).append(Sighting(r.vehicle_id, r.measured_at, t.block_id))
        elif t.at_depot or r.plugged_in:
            by_depot.setdefault(t.depot_id, []).append(Sighting(r.vehicle_id, r.measured_at, at_depot=True))
        else:  # seen, nothing more: it still says the bus was not on a block it is seen on later
            by_depot.setdefault(t.depot_id, []).append(Sighting(r.vehicle_id, r.measured_at))
    for depot_id, sightings in by_depot.items():
        if any(s.block_id is not None or s.at_depot for s in sightings):
            apply_in(uow, depot_id, sightings, now)


def _places(uow: UnitOfWork, good: Sequence[Telemetry]) -> None:
    """Where the messages say the buses stand (a diesel's place counts too: it parks in the same lanes)."""
    by_depot: dict[str, list[tuple[str, Place, datetime]]] = {}
    for t in good:
        if t.place is not None:
            by_depot.setdefault(t.depot_id, []).append((t.reading.vehicle_id, t.place, t.reading.measured_at))
    for depot_id, places in sorted(by_depot.items()):
        yard.place_from_telematics(uow, depot_id, places)


def count_rejections(uow: UnitOfWork, rejected: Sequence[Rejected], now: datetime) -> None:
    """Messages that could not be stored at all (the database refused them) are counted too."""
    with uow:
        uow.telemetry.count_rejections([(r.depot_id, r.code, r.detail) for r in rejected], now)
        uow.commit()


def _why(t: Telemetry, vehicle_depot: str | None, propulsion: str | None, now: datetime) -> Rejected | None:
    vid = t.reading.vehicle_id
    if vehicle_depot is None:
        return Rejected("unknown_vehicle", f"unknown vehicle {vid!r}")
    if vehicle_depot != t.depot_id:
        return Rejected("wrong_depot", f"vehicle {vid!r} belongs to depot {vehicle_depot!r}, "
                                       f"not {t.depot_id!r} as the topic says")
    when = check_time(t.reading.measured_at, now)
    if when is not None:
        return when
    not_ev = not_electric(vid, propulsion)
    if not_ev:
        return Rejected("not_electric", not_ev)
    other = rejection(t.reading, now, True)
    return Rejected("out_of_range", other) if other else None


def rejection_counts(uow: UnitOfWork, depot_id: str | None = None) -> list[RejectionRow]:
    with uow:
        return uow.telemetry.rejections(depot_id)


@dataclass(frozen=True)
class RejectionSummary:
    """The rejection counts as the CLI --json, the API and the admin's web page give them: the total, per
    reason, and per depot (as the topic said) and reason with the latest example."""

    total: int
    by_reason: dict[str, int]
    rows: list[RejectionRow]

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "by_reason": self.by_reason, "rows": self.rows}


def rejection_summary(uow: UnitOfWork, depot_id: str | None = None) -> RejectionSummary:
    rows = rejection_counts(uow, depot_id)
    by_reason: Counter[str] = Counter()
    for r in rows:
        by_reason[r["reason"]] += r["count"]
    return RejectionSummary(sum(by_reason.values()), dict(sorted(by_reason.items())), rows)
