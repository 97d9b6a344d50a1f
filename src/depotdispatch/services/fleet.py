"""Fleet: the only writer of vehicle types and vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, Unpack

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import InvalidInput, NotFound, RowProblem
from depotdispatch.domain.fleet import FleetEntry, Vehicle, VehicleType
from depotdispatch.domain.plan import Assignment
from depotdispatch.services.changes import announce
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
        announce(uow, depot_id, None, "fleet", vehicles=stored)
        uow.commit()
    problems.sort(key=lambda p: (p.row or 0))
    return FleetResult(vehicle_types=len(type_ids), vehicles=stored, problems=problems, warnings=list(warnings))


class TypeSettings(TypedDict, total=False):
    """The per-type overrides (VehicleType.SETTINGS), typed as the VehicleType fields they replace."""

    reserve_pct: float | None
    marginal_band_pct: float | None
    stale_after_h: float | None
    energy_cv: float | None
    charging_curve: tuple[tuple[float, float], ...] | None
    charging_efficiency: float | None
    hvac: bool | None
    consumption_table: tuple[tuple[float, ...], ...] | None


def set_type_settings(uow: UnitOfWork, depot_id: str, type_name: str, **changes: Unpack[TypeSettings]) -> VehicleType:
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
        curve, table = changes.get("charging_curve"), changes.get("consumption_table")
        if table is not None:
            from depotdispatch.domain.energy import TableConsumption

            TableConsumption(table)  # validates
        stored: dict[str, object] = dict(changes)  # as JSON: the point tuples as lists
        if curve is not None:
            stored["charging_curve"] = [list(p) for p in curve]
        if table is not None:
            stored["consumption_table"] = [list(r) for r in table]
        uow.fleet.set_type_settings(depot_id, type_name, stored)
        announce(uow, depot_id, None, "fleet", vehicle_type=type_name)
        uow.commit()
    return updated


def consumption_model(vtype: VehicleType, temperature_c: float) -> dict[str, object]:
    """What the energy estimates really use for a type: its lookup table when it has one (the kWh/km it
    gives on the flat at the depot's temperature, 18 km/h, half load), else the flat figure."""
    from depotdispatch.domain.assessment import energy_profile
    from depotdispatch.domain.energy import Conditions

    profile = energy_profile(vtype)
    if profile is None:
        return {"model": None, "kwh_per_km": None, "hvac": False}
    per_km, _ = profile.model.kwh_per_km(Conditions(temperature_c=temperature_c))
    label = (f"table ({len(vtype.consumption_table or ())} rows) at {temperature_c:g} degC, 18 km/h"
             if profile.model.name == "table" else "flat")
    return {"model": profile.model.name, "kwh_per_km": round(per_km, 4) if profile.model.name == "table" else per_km,
            "label": label,
            "hvac": profile.hvac is not None, "energy_cv": profile.cv}


def fleet_docs(uow: UnitOfWork, depot_id: str) -> list[dict[str, Any]]:
    with uow:
        depot = require_depot(uow, depot_id)
        types = uow.fleet.types(depot_id)
        vehicles = uow.fleet.vehicles(depot_id)
    models = {n: consumption_model(t, depot.temperature_c) for n, t in types.items()}
    out = []
    for v in vehicles:
        t, m = types[v.vehicle_type], models[v.vehicle_type]
        out.append({"vehicle_id": v.vehicle_id, "vehicle_type": v.vehicle_type, "availability": v.availability,
                    "available_until": v.available_until.isoformat() if v.available_until else None,
                    "availability_reason": v.availability_reason,
                    "propulsion": t.propulsion, "usable_kwh": t.usable_kwh, "kwh_per_km": m["kwh_per_km"],
                    "consumption_model": m, "vehicle_class": t.vehicle_class})
    return out


@dataclass
class AvailabilityChange:
    vehicle: Vehicle
    uncovered: list[dict[str, object]]  # blocks it leaves without a vehicle: {service_date, block_id, status}
    needs_change_out: list[dict[str, object]]  # blocks it is running now: a change-out is needed


def set_availability(uow: UnitOfWork, depot_id: str, vehicle_id: str, status: str, *, reason: str,
                     until: datetime | None, actor: str, now: datetime) -> AvailabilityChange:
    """Take a vehicle out of service (or bring it back) mid-day, without re-importing the fleet: an event,
    and its blocks that have not started before `until` lose it (each an event, the plan version rises),
    so the recommendation covers them at once. Blocks it is running are listed for a change-out."""
    from depotdispatch.domain.events import Event
    from depotdispatch.domain.fleet import AVAILABILITIES
    from depotdispatch.domain.servicetime import to_local, zone
    from depotdispatch.domain.status import block_status
    from depotdispatch.services.plan import unassign_vehicle

    if status not in AVAILABILITIES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(AVAILABILITIES)}", column="status")
    if not (reason or "").strip():
        raise InvalidInput("say why (--reason): it goes into the audit log", column="reason")
    if until is not None and (status == "available" or until <= now):
        raise InvalidInput("--until is the planned end of a maintenance or out-of-service spell, after now")
    with uow:
        depot = require_depot(uow, depot_id)
        old = next((v for v in uow.fleet.vehicles(depot_id) if v.vehicle_id == vehicle_id), None)
        if old is None:
            raise NotFound(f"no vehicle {vehicle_id!r} at depot {depot_id!r}")
        new = replace(old, availability=status, available_until=until,
                      availability_reason=reason.strip() if status != "available" else None)
        uow.fleet.set_availability(vehicle_id, status, until, new.availability_reason)
        uow.plans.add_event(Event(depot_id, "availability_changed", actor, now, None, None, vehicle_id, None,
                                  before={"availability": old.availability, "until": _iso(old.available_until),
                                          "reason": old.availability_reason},
                                  after={"availability": status, "until": _iso(until), "reason": reason.strip()}))
        uncovered: list[dict[str, object]] = []
        running: list[dict[str, object]] = []
        if status != "available":
            tz = zone(depot.timezone)
            today = to_local(now, tz).date()
            last = to_local(until, tz).date() if until else today + timedelta(days=2)
            first, last = today - timedelta(days=1), min(last, today + timedelta(days=14))
            blocks = {b.pk: b for b in uow.days.blocks_for_dates(depot_id, first, last)}
            plan = uow.plans.assignments_for_dates(depot_id, [first + timedelta(days=i)
                                                              for i in range((last - first).days + 1)])
            by_day: dict[date, list[tuple[DayBlock, Assignment]]] = {}
            for pk, a in plan.items():
                b = blocks.get(pk)
                if a.vehicle_id != vehicle_id or b is None or (until is not None and b.pull_out >= until):
                    continue
                state = block_status(b, now, now).status
                if state == "in_service":
                    running.append({"service_date": b.service_date.isoformat(), "block_id": b.block_id,
                                    "status": state})
                elif state in ("upcoming", "later"):
                    by_day.setdefault(b.service_date, []).append((b, a))
            why = f"{vehicle_id} is {status.replace('_', ' ')}: {reason.strip()}"
            for day, items in sorted(by_day.items()):
                unassign_vehicle(uow, depot, day, [b for b, _ in items], actor=actor, now=now, why=why)
                for b, _ in sorted(items, key=lambda x: x[0].pull_out):
                    uncovered.append({"service_date": day.isoformat(), "block_id": b.block_id,
                                      "block_name": getattr(b, "block_name", None), "status": "upcoming",
                                      "pull_out_local": to_local(b.pull_out, tz).isoformat()})
        announce(uow, depot_id, None, "assignment", vehicle_id=vehicle_id, availability=status)
        uow.commit()
    return AvailabilityChange(new, uncovered, running)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None
