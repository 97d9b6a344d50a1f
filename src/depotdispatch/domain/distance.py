"""Distances: great-circle length and the unit a feed's shape_dist_traveled is in."""

from __future__ import annotations

import math
from collections.abc import Iterable

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344

# Units a feed may use for shape_dist_traveled, as "units per km".
UNITS_PER_KM = {"km": 1.0, "m": 1000.0, "ft": 3280.839895, "mi": 1 / KM_PER_MILE}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def detect_unit(ratios: Iterable[float]) -> str | None:
    """The unit whose units-per-km is nearest (on a log scale) to the median stated/measured ratio.

    `ratios` are shape_dist_traveled spans divided by the geometric length in km of the same path.
    Returns None when nothing usable was given.
    """
    usable = sorted(r for r in ratios if r > 0 and math.isfinite(r))
    if not usable:
        return None
    median = usable[len(usable) // 2]
    return min(UNITS_PER_KM, key=lambda u: abs(math.log(median / UNITS_PER_KM[u])))


def to_km(value: float, unit: str) -> float:
    return value / UNITS_PER_KM[unit]
