"""Fleet: the only writer of vehicle types and vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from depotdispatch.domain.errors import RowProblem
from depotdispatch.domain.fleet import FleetEntry, Vehicle
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class FleetResult:
    vehicle_types: int
    vehicles: int
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"vehicle_types": self.vehicle_types, "vehicles": self.vehicles,
                "problems": [p.as_dict() for p in self.problems], "warnings": self.warnings}


def import_fleet(uow: UnitOfWork, depot_id: str, entries: Sequence[FleetEntry],
                 problems: Sequence[RowProblem] = (), warnings: Sequence[str] = ()) -> FleetResult:
    """Stores every good row in one transaction; rows with problems are reported, never guessed."""
    problems = list(problems)
    with uow:
        require_depot(uow, depot_id)
        type_ids: dict[str, int] = {}
        stored = 0
        for e in entries:
            elsewhere = uow.fleet.vehicle_depot(e.vehicle_id)
            if elsewhere is not None and elsewhere != depot_id:
                problems.append(RowProblem(e.row, "vehicle_id",
                                           f"vehicle {e.vehicle_id!r} belongs to depot {elsewhere!r}"))
                continue
            if e.vehicle_type.name not in type_ids:
                type_ids[e.vehicle_type.name] = uow.fleet.upsert_type(depot_id, e.vehicle_type)
            uow.fleet.upsert_vehicle(Vehicle(e.vehicle_id, depot_id, e.vehicle_type.name, e.availability),
                                     type_ids[e.vehicle_type.name])
            stored += 1
        uow.commit()
    problems.sort(key=lambda p: (p.row or 0))
    return FleetResult(vehicle_types=len(type_ids), vehicles=stored, problems=problems, warnings=list(warnings))
