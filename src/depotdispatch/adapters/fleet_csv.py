"""The fleet CSV: one vehicle per row, its type's columns repeated on each of the type's vehicles."""

from __future__ import annotations

from dataclasses import dataclass, field

from depotdispatch.adapters.csvfiles import parse_float, read_table
from depotdispatch.domain.errors import DomainError, InvalidInput, RowProblem
from depotdispatch.domain.fleet import PROPULSIONS, FleetEntry, Vehicle, VehicleType, kwh_per_km_from_mile

ALIASES = {
    "vehicle_id": "vehicle_id", "vehicle": "vehicle_id", "bus": "vehicle_id", "bus_id": "vehicle_id",
    "bus_number": "vehicle_id", "fleet_no": "vehicle_id", "fleet_number": "vehicle_id", "vid": "vehicle_id",
    "vehicle_type": "vehicle_type", "type": "vehicle_type",
    "propulsion": "propulsion", "fuel": "propulsion", "drive": "propulsion",
    "usable_kwh": "usable_kwh", "capacity": "usable_kwh", "capacity_kwh": "usable_kwh",
    "usable_battery_kwh": "usable_kwh", "usable_capacity_kwh": "usable_kwh", "usable_energy_kwh": "usable_kwh",
    # a battery's nameplate is gross: usable = gross x the usable share (said aloud)
    "battery_kwh": "gross_kwh", "gross_kwh": "gross_kwh", "battery_capacity_kwh": "gross_kwh",
    "nominal_kwh": "gross_kwh", "battery_size_kwh": "gross_kwh", "installed_kwh": "gross_kwh",
    "kwh_per_km": "kwh_per_km", "consumption_kwh_per_km": "kwh_per_km", "kwh_km": "kwh_per_km",
    "kwh_per_kilometre": "kwh_per_km", "kwh_per_kilometer": "kwh_per_km", "consumption_kwh_km": "kwh_per_km",
    "energy_kwh_per_km": "kwh_per_km",
    # GTrans' fleet list calls its kWh/mile figure "energy_efficiency".
    "kwh_per_mile": "kwh_per_mile", "energy_efficiency": "kwh_per_mile", "kwh_mi": "kwh_per_mile",
    "kwh_mile": "kwh_per_mile", "kwh_per_mi": "kwh_per_mile", "consumption_kwh_per_mile": "kwh_per_mile",
    "vehicle_class": "vehicle_class", "class": "vehicle_class",
    "charge_kw": "charge_kw", "charging_kw": "charge_kw", "charger_kw": "charge_kw",
    "availability": "availability", "status": "availability",
    "manufacturer": "manufacturer", "make": "manufacturer", "model": "model",
}
_PROPULSION_WORDS = {"electric": "bev", "battery_electric": "bev", "ev": "bev", "beb": "bev", "be": "bev",
                     "battery": "bev", "hybrid_electric": "hybrid", "hev": "hybrid", "fuel_cell": "fcev",
                     "hydrogen": "fcev", "gas": "cng", "natural_gas": "cng", "diesel_electric": "hybrid"}


DEFAULT_USABLE_SHARE = 0.9  # of a gross (nameplate) battery, when only that is given
ACCEPTED = sorted(set(ALIASES.values()))
# an unknown column with one of these in its name is probably energy data we would silently drop
_ENERGY_WORDS = ("kwh", "kw", "consumption", "battery", "efficiency", "energy", "usable")


@dataclass
class FleetFile:
    rows: list[FleetEntry] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _propulsion(text: str, model: str) -> str:
    word = text.strip().lower().replace(" ", "_").replace("-", "_")
    if not word and model.strip().lower().replace(" ", "_") in PROPULSIONS + tuple(_PROPULSION_WORDS):
        word = model.strip().lower().replace(" ", "_")  # e.g. GTrans: model "BEV"
    word = _PROPULSION_WORDS.get(word, word)
    if not word:
        raise InvalidInput("propulsion is empty: say bev, diesel, hybrid, ...", column="propulsion")
    return word


def read_fleet(data: bytes, name: str = "fleet.csv", *, usable_share: float = DEFAULT_USABLE_SHARE) -> FleetFile:
    """`usable_share`: the part of a gross battery (`Battery kWh`) that may be used, when no usable figure
    is given."""
    if not 0.5 <= usable_share <= 1:
        raise InvalidInput(f"usable share {usable_share} must be between 0.5 and 1 (e.g. 0.9 for 90 %)")
    table = read_table(data, name, aliases=ALIASES, required=("vehicle_id",))
    out = FleetFile(warnings=table.warnings)
    unknown = [c for c in table.columns if c and c not in ACCEPTED]
    energy_like = [c for c in unknown if any(w in c for w in _ENERGY_WORDS)]
    if energy_like:
        raise InvalidInput(f"column {energy_like[0]!r} not recognised; accepted names: {', '.join(ACCEPTED)} "
                           "(any case; e.g. 'kWh/km', 'kWh per mile', 'Battery kWh')", file=name, row=1,
                           column=energy_like[0])
    if unknown:
        out.warnings.append(f"columns ignored (not recognised): {', '.join(unknown)}; accepted names: "
                            f"{', '.join(ACCEPTED)}")
    grossed: set[str] = set()
    if "vehicle_type" not in table.columns and "manufacturer" not in table.columns:
        raise InvalidInput("needs a vehicle_type column (or manufacturer and model)", file=name, row=1,
                           column="vehicle_type")
    seen_types: dict[str, tuple[int, VehicleType]] = {}
    seen_vehicles: dict[str, int] = {}
    for row, cells in table.rows:
        try:
            vid = cells.get("vehicle_id", "")
            if not vid:
                raise InvalidInput("vehicle_id is empty", column="vehicle_id")
            if vid in seen_vehicles:
                raise InvalidInput(f"vehicle {vid!r} is listed twice (first on row {seen_vehicles[vid]})",
                                   column="vehicle_id")
            model = cells.get("model", "")
            type_name = cells.get("vehicle_type") or " ".join(
                p for p in (cells.get("manufacturer", ""), model) if p)
            per_km = parse_float(cells.get("kwh_per_km", ""), column="kwh_per_km", row=row, file=name)
            per_mile = parse_float(cells.get("kwh_per_mile", ""), column="kwh_per_mile", row=row, file=name)
            if per_km is not None and per_mile is not None:
                raise InvalidInput("give kwh_per_km or kwh_per_mile, not both", column="kwh_per_mile")
            usable = parse_float(cells.get("usable_kwh", ""), column="usable_kwh", row=row, file=name)
            gross = parse_float(cells.get("gross_kwh", ""), column="gross_kwh", row=row, file=name)
            if usable is None and gross is not None:
                usable = round(gross * usable_share, 3)
                grossed.add(type_name)
            vtype = VehicleType(
                name=type_name,
                propulsion=_propulsion(cells.get("propulsion", ""), model),
                usable_kwh=usable,
                kwh_per_km=per_km if per_mile is None else round(kwh_per_km_from_mile(per_mile), 6),
                vehicle_class=cells.get("vehicle_class") or None,
                charge_kw=parse_float(cells.get("charge_kw", ""), column="charge_kw", row=row, file=name),
            )
            if type_name in seen_types and seen_types[type_name][1] != vtype:
                raise InvalidInput(
                    f"type {type_name!r} has other specs here than on row {seen_types[type_name][0]}",
                    column="vehicle_type")
            availability = (cells.get("availability") or "available").lower().replace(" ", "_").replace("-", "_")
            Vehicle(vehicle_id=vid, depot_id="-", vehicle_type=type_name, availability=availability)
        except DomainError as err:
            out.problems.append(RowProblem(row, err.column, err.detail))
            continue
        seen_types.setdefault(type_name, (row, vtype))
        seen_vehicles[vid] = row
        out.rows.append(FleetEntry(row=row, vehicle_id=vid, vehicle_type=vtype, availability=availability))
    if grossed:
        out.warnings.append(f"usable_kwh taken as {usable_share * 100:.0f} % of the gross battery kWh for "
                            f"{', '.join(sorted(grossed))}: give a usable_kwh column, or --usable-share, if that "
                            "is not what these buses may use")
    return out
