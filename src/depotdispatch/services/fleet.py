"""Fleet: the only writer of vehicle types and vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from depotdispatch.domain.errors import InvalidInput, NotFound, RowProblem
from depotdispatch.domain.fleet import FleetEntry, Vehicle, VehicleType
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
        depots_of = uow.fleet.vehicle_depots([e.vehicle_id for e in entries])
        items: list[tuple[Vehicle, int]] = []
        for e in entries:
            elsewhere = depots_of.get(e.vehicle_id)
            if elsewhere is not None and elsewhere != depot_id:
                problems.append(RowProblem(e.row, "vehicle_id",
                                           f"vehicle {e.vehicle_id!r} belongs to depot {elsewhere!r}"))
                continue
            if e.vehicle_type.name not in type_ids:
                type_ids[e.vehicle_type.name] = uow.fleet.upsert_type(depot_id, e.vehicle_type)
            items.append((Vehicle(e.vehicle_id, depot_id, e.vehicle_type.name, e.availability),
                          type_ids[e.vehicle_type.name]))
        uow.fleet.upsert_vehicles(items, set(depots_of))
        stored = len(items)
        uow.commit()
    problems.sort(key=lambda p: (p.row or 0))
    return FleetResult(vehicle_types=len(type_ids), vehicles=stored, problems=problems, warnings=list(warnings))


def set_type_settings(uow: UnitOfWork, depot_id: str, type_name: str, **changes: object) -> VehicleType:
    """Per-type overrides (reserve, energy spread, charging curve, HVAC, a consumption table). None clears."""
    with uow:
        require_depot(uow, depot_id)
        current = uow.fleet.types(depot_id).get(type_name)
        if current is None:
            raise NotFound(f"depot {depot_id!r} has no vehicle type {type_name!r}")
        unknown = sorted(set(changes) - set(VehicleType.SETTINGS))
        if unknown:
            raise InvalidInput(f"unknown vehicle type setting {unknown[0]!r}")
        updated = replace(current, **changes)  # validates
        if "consumption_table" in changes and changes["consumption_table"] is not None:
            from depotdispatch.domain.energy import TableConsumption

            TableConsumption(changes["consumption_table"])  # type: ignore[arg-type]
        stored = {k: ([list(p) for p in v] if k in ("charging_curve", "consumption_table") and v is not None else v)
                  for k, v in changes.items()}
        uow.fleet.set_type_settings(depot_id, type_name, stored)
        uow.commit()
    return updated
