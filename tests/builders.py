"""Small builders for domain objects in unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.fleet import Vehicle, VehicleType

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
DIESEL = VehicleType("D40", "diesel", vehicle_class="12m")


def block(block_id: str = "B1", start: datetime = T0, hours: float = 8, km: float | None = 150,
          **kw: object) -> DayBlock:
    return DayBlock(block_id=block_id, service_date=kw.pop("service_date", date(2026, 11, 25)),  # type: ignore[arg-type]
                    pull_out=start, pull_in=start + timedelta(hours=hours), distance_km=km,
                    distance_source="stated" if km is not None else "unknown", **kw)  # type: ignore[arg-type]


def vehicle(vid: str = "E1", vtype: VehicleType = EV, availability: str = "available") -> Vehicle:
    return Vehicle(vid, "D", vtype.name, availability)
