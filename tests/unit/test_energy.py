"""Energy estimates: flat and table models, HVAC, the conservative margin."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotdispatch.adapters.energy_table import read_consumption_table
from depotdispatch.domain.energy import (
    P90_Z,
    Conditions,
    EnergyProfile,
    FlatConsumption,
    Hvac,
    estimate_energy,
)
from depotdispatch.domain.errors import InvalidInput
from tests.conftest import shared

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


FLAT = EnergyProfile(FlatConsumption(1.3), Hvac())


@given(st.floats(0, 600), st.floats(0, 600), st.floats(0.5, 20), st.floats(-30, 45))
def test_energy_is_monotone_in_distance(d1: float, d2: float, hours: float, temp: float) -> None:
    a = estimate_energy(min(d1, d2), "stated", hours, FLAT, temp)
    b = estimate_energy(max(d1, d2), "stated", hours, FLAT, temp)
    assert a.expected_kwh <= b.expected_kwh and a.conservative_kwh <= b.conservative_kwh
    assert b.conservative_kwh >= b.expected_kwh


def test_hvac_costs_energy_over_layovers_outside_the_comfort_band() -> None:
    mild = estimate_energy(100, "stated", 10, FLAT, 18)
    cold_short = estimate_energy(100, "stated", 5, FLAT, -10)
    cold_long = estimate_energy(100, "stated", 10, FLAT, -10)
    assert mild.expected_kwh == pytest.approx(130)
    assert cold_long.expected_kwh == pytest.approx(130 + 25 * 10)  # 1 kW per degC below 15 degC
    assert cold_long.expected_kwh - cold_short.expected_kwh == pytest.approx(25 * 5)
    assert cold_long.inputs["hvac_kw"] == 25


def test_deep_cold_costs_more_than_mild_cold_down_to_minus_30() -> None:
    """Issue 10, defect 10: the heating term stopped growing at 5 degC, so -10 and -25 cost the same."""
    per_km = [estimate_energy(18 * 8, "stated", 8, FLAT, t).expected_kwh / (18 * 8) for t in (5, -10, -25, -30, -40)]
    assert per_km[0] < per_km[1] < per_km[2] < per_km[3] == per_km[4]  # grows to -30, flat beyond
    # at -10 degC and 18 km/h a 1.3 kWh/km bus needs ~2.7 kWh/km: SimBA's table says 2.5-2.7 there
    assert 2.4 <= per_km[1] <= 2.9


def test_the_spread_widens_in_cold() -> None:
    from depotdispatch.domain.energy import cv_at

    mild, cold, colder = (estimate_energy(100, "stated", 5, FLAT, t) for t in (10, -10, -30))
    assert mild.inputs["energy_cv"] == FLAT.cv
    assert cold.inputs["energy_cv"] == pytest.approx(FLAT.cv * 1.25)
    assert colder.inputs["energy_cv"] == pytest.approx(FLAT.cv * 1.75) == pytest.approx(cv_at(FLAT.cv, -45))
    ratio = [e.conservative_kwh / e.expected_kwh for e in (mild, cold, colder)]
    assert ratio[0] < ratio[1] < ratio[2]


def test_conservative_margin_is_the_stated_p90() -> None:
    e = estimate_energy(100, "stated", 8, EnergyProfile(FlatConsumption(1.0), None, cv=0.2), 15)
    assert e.conservative_kwh == pytest.approx(100 * (1 + P90_Z * 0.2), abs=1e-3)
    assert e.inputs["energy_cv"] == 0.2 and e.inputs["distance_source"] == "stated"


def test_unknown_distance_gives_no_estimate() -> None:
    assert estimate_energy(None, "unknown", 8, FLAT, 15) is None
