"""The consumption table adapter on SIMBA's published example (a real file from ../shared): every grid point
read back exactly, interpolation and clipping, and the tables it refuses."""

from __future__ import annotations

import csv

import pytest

from depotdispatch.adapters.energy_table import read_consumption_table
from depotdispatch.domain.energy import Conditions
from depotdispatch.domain.errors import InvalidInput
from tests.helpers import shared

SIMBA = ("energy", "simba", "energy_consumption_example.csv")


@pytest.fixture(scope="module")
def simba_sb():
    return read_consumption_table(shared(*SIMBA).read_bytes(), vehicle_type="SB")


def test_simba_table_reproduces_every_grid_point_exactly() -> None:
    with open(shared(*SIMBA)) as f:
        rows = list(csv.DictReader(f))
    for vt in ("SB", "AB"):
        table = read_consumption_table(shared(*SIMBA).read_bytes(), vehicle_type=vt)
        for r in (r for r in rows if r["vehicle_type"] == vt):
            value, flags = table.kwh_per_km(Conditions(
                temperature_c=float(r["t_amb"]), mean_speed_kmh=float(r["mean_speed_kmh"]),
                level_of_loading=float(r["level_of_loading"]), incline=float(r["incline"])))
            assert value == float(r["consumption_kwh_per_km"]) and flags == []


def test_simba_published_example_and_u_shape(simba_sb) -> None:
    at = {t: simba_sb.kwh_per_km(Conditions(temperature_c=t, mean_speed_kmh=18, level_of_loading=0.3))[0]
          for t in (-15, 15, 35)}
    assert at == pytest.approx({-15: 3.04, 15: 1.17, 35: 1.60}, abs=0.01)  # energy/README.md


def test_table_interpolates_between_and_clips_outside(simba_sb) -> None:
    lo = simba_sb.kwh_per_km(Conditions(temperature_c=5, mean_speed_kmh=18, level_of_loading=0.3))[0]
    hi = simba_sb.kwh_per_km(Conditions(temperature_c=15, mean_speed_kmh=18, level_of_loading=0.3))[0]
    mid, flags = simba_sb.kwh_per_km(Conditions(temperature_c=10, mean_speed_kmh=18, level_of_loading=0.3))
    assert mid == pytest.approx((lo + hi) / 2) and flags == []
    cold, flags = simba_sb.kwh_per_km(Conditions(temperature_c=-30, mean_speed_kmh=50, level_of_loading=0.3))
    edge, _ = simba_sb.kwh_per_km(Conditions(temperature_c=-15, mean_speed_kmh=37.1, level_of_loading=0.3))
    assert cold == edge and flags == ["t_amb", "mean_speed_kmh"]


def test_table_needs_a_vehicle_type_when_it_has_several() -> None:
    with pytest.raises(InvalidInput, match="several vehicle types"):
        read_consumption_table(shared(*SIMBA).read_bytes())


def test_incomplete_grid_is_refused() -> None:
    data = (b"incline,t_amb,level_of_loading,mean_speed_kmh,consumption_kwh_per_km\n"
            b"0,0,0,10,1\n0,10,0,10,1\n0,0,0,20,1\n")
    with pytest.raises(InvalidInput, match="not a full grid"):
        read_consumption_table(data)
