"""Relief points of a change-out (DESIGN §12b): the block's own ends, and stops near the depot when its
location is known."""

from __future__ import annotations

from dataclasses import replace

import pytest

from depotdispatch.domain.blocks import Stop, Trip
from depotdispatch.domain.changeout import relief_points
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput

# a depot in Barrie, Ontario; stops 0.3 km, 0.9 km and 5 km away (1e-3 degrees of latitude is ~111 m)
LAT, LON = 44.3894, -79.6903
STOPS = {
    "T": Stop("T", "Downtown Terminal", LAT + 0.05, LON),
    "NEAR": Stop("NEAR", "Allandale Station", LAT + 0.0027, LON),
    "EDGE": Stop("EDGE", None, LAT + 0.0081, LON),
    "FAR": Stop("FAR", "Georgian College", LAT + 0.045, LON),
    "NOWHERE": Stop("NOWHERE", "No coordinates", None, None),
}


def trip(k: int, start: str, end: str) -> Trip:
    return Trip(f"t{k}", "S", "B1", "R", 3600 * k, 3600 * k + 3000, start, end, 20.0, "stated")


TRIPS = [trip(1, "T", "NEAR"), trip(2, "NEAR", "FAR"), trip(3, "FAR", "EDGE"), trip(4, "EDGE", "NOWHERE"),
         trip(5, "NOWHERE", "T")]


def test_without_a_location_only_the_blocks_own_ends() -> None:
    out = relief_points(Depot("D", "D", "America/Toronto"), TRIPS, STOPS)
    assert out == {"T": "Downtown Terminal, where it joins its depot run"}


def test_with_a_location_the_stops_within_the_relief_distance() -> None:
    depot = Depot("D", "D", "America/Toronto", latitude=LAT, longitude=LON)  # relief_km 1 by default
    out = relief_points(depot, TRIPS, STOPS)
    assert set(out) == {"T", "NEAR", "EDGE"}  # FAR is 5 km off; NOWHERE has no coordinates
    assert out["NEAR"] == "Allandale Station, 0.3 km from the depot"
    assert out["EDGE"] == "0.9 km from the depot"  # no name: why alone
    assert set(relief_points(replace(depot, relief_km=0.5), TRIPS, STOPS)) == {"T", "NEAR"}


def test_a_stop_the_feed_does_not_name_is_said_by_why_alone() -> None:
    out = relief_points(Depot("D", "D", "UTC"), [trip(1, "A", "X"), trip(2, "X", "B")], {})
    assert out == {"A": "where it joins its depot run", "B": "where it joins its depot run"}


@pytest.mark.parametrize("kw, says", [
    ({"latitude": 44.0}, "needs both latitude and longitude"),
    ({"latitude": 91.0, "longitude": 0.0}, "latitude 91.0"),
    ({"latitude": 0.0, "longitude": -181.0}, "longitude -181.0"),
    ({"relief_km": -1.0}, "relief distance -1.0 km"),
    ({"relief_km": 25.0}, "relief distance 25.0 km"),
])
def test_a_bad_location_or_distance_is_refused(kw: dict[str, float], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        Depot("D", "D", "UTC", **kw)  # type: ignore[arg-type]
