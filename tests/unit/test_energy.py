"""Energy estimates: flat and table models, HVAC, the conservative margin (no files: the table adapter on a
real file is tests/integration/test_energy_table.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotdispatch.domain.energy import (
    P90_Z,
    EnergyProfile,
    FlatConsumption,
    Hvac,
    estimate_energy,
)
from depotdispatch.domain.errors import InvalidInput

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


def test_a_table_row_needs_its_five_values() -> None:
    from depotdispatch.domain.energy import TableConsumption

    with pytest.raises(InvalidInput, match="5 values"):  # e.g. a stored table cut short
        TableConsumption([(0.0, 0.0, 0.0, 10.0, 1.0), (0.0, 10.0, 0.0, 10.0)])
