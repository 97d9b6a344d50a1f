"""Vehicle types and vehicles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from depotdispatch.domain.distance import KM_PER_MILE
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import check_text

PROPULSIONS = ("bev", "diesel", "hybrid", "cng", "fcev", "trolley")
ELECTRIC = frozenset({"bev"})
AVAILABILITIES = ("available", "maintenance", "out_of_service")
_HIGHEST = {"usable_kwh": 5_000.0, "kwh_per_km": 20.0, "charge_kw": 5_000.0}  # beyond any bus
_ID = re.compile(r"^[^\s,;\x00-\x1f\x7f-\x9f]{1,64}$")  # no spaces, separators or control characters


@dataclass(frozen=True)
class VehicleType:
    name: str
    propulsion: str
    usable_kwh: float | None = None
    kwh_per_km: float | None = None
    vehicle_class: str | None = None
    charge_kw: float | None = None
    # Per-type overrides of depot thresholds and energy settings (None = the depot's / the default).
    reserve_pct: float | None = None
    marginal_band_pct: float | None = None
    stale_after_h: float | None = None
    energy_cv: float | None = None
    charging_curve: tuple[tuple[float, float], ...] | None = None
    charging_efficiency: float | None = None
    hvac: bool | None = None
    # A SimBA/eflips lookup table: rows (incline, t_amb, level_of_loading, mean_speed_kmh, kWh/km).
    consumption_table: tuple[tuple[float, ...], ...] | None = None

    SETTINGS = ("reserve_pct", "marginal_band_pct", "stale_after_h", "energy_cv", "charging_curve",
                "charging_efficiency", "hvac", "consumption_table")

    def settings(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.SETTINGS if getattr(self, k) is not None}

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a vehicle type needs a name", column="vehicle_type")
        check_text(self.name, "vehicle_type")
        if self.vehicle_class is not None:
            check_text(self.vehicle_class, "vehicle_class")
        if self.propulsion not in PROPULSIONS:
            raise InvalidInput(
                f"propulsion {self.propulsion!r} is not one of {', '.join(PROPULSIONS)}", column="propulsion"
            )
        for col, value in (("usable_kwh", self.usable_kwh), ("kwh_per_km", self.kwh_per_km),
                           ("charge_kw", self.charge_kw)):
            if value is not None and not 0 < value <= _HIGHEST[col]:
                raise InvalidInput(f"{col} must be a positive number up to {_HIGHEST[col]:g}, not {value}",
                                   column=col)
        if self.charging_efficiency is not None and not 0 < self.charging_efficiency <= 1:
            raise InvalidInput(f"charging efficiency {self.charging_efficiency} must be in (0, 1]")
        if self.reserve_pct is not None and not 0 <= self.reserve_pct < 100:
            raise InvalidInput(f"reserve {self.reserve_pct} %: give a percentage from 0 to 99")
        if self.is_electric:
            if self.usable_kwh is None:
                raise InvalidInput(f"battery-electric type {self.name!r} needs usable_kwh", column="usable_kwh")
            if self.kwh_per_km is None and self.consumption_table is None:
                raise InvalidInput(
                    f"battery-electric type {self.name!r} needs kwh_per_km (or kwh_per_mile)", column="kwh_per_km"
                )

    @property
    def is_electric(self) -> bool:
        return self.propulsion in ELECTRIC


def kwh_per_km_from_mile(kwh_per_mile: float) -> float:
    return kwh_per_mile / KM_PER_MILE


@dataclass(frozen=True)
class Vehicle:
    vehicle_id: str
    depot_id: str
    vehicle_type: str
    availability: str = "available"
    available_until: datetime | None = None  # the planned end of a maintenance / out-of-service spell
    availability_reason: str | None = None

    def availability_at(self, t: datetime) -> str:
        """Its availability at `t`: a spell with an end is over from then on."""
        if self.availability != "available" and self.available_until is not None and t >= self.available_until:
            return "available"
        return self.availability

    def __post_init__(self) -> None:
        if not _ID.match(self.vehicle_id):
            raise InvalidInput(f"vehicle id {self.vehicle_id!r} is empty, too long or has spaces", column="vehicle_id")
        if self.availability not in AVAILABILITIES:
            raise InvalidInput(
                f"availability {self.availability!r} is not one of {', '.join(AVAILABILITIES)}", column="availability"
            )


@dataclass(frozen=True)
class FleetEntry:
    """One vehicle as read from a fleet list, with its type."""

    row: int
    vehicle_id: str
    vehicle_type: VehicleType
    availability: str = "available"
