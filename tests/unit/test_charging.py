"""The closed-form charging projection against a plain numerical integration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depotdispatch.domain.charging import ChargingCurve, default_curve
from depotdispatch.domain.errors import InvalidInput


def euler(curve_pts, cap, usable, s0, hours, steps=20000):
    s, dt = s0, hours / steps
    xs, ys = zip(*curve_pts, strict=True)
    for _ in range(steps):
        p = min(np.interp(s, xs, ys), cap)
        s = min(1.0, s + p * dt / usable)
    return s


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1), st.floats(0, 8), st.floats(50, 700), st.floats(20, 400))
def test_closed_form_matches_integration(s0: float, hours: float, usable: float, charger: float) -> None:
    pts = [(0, 250.0), (0.6, 180.0), (0.85, 150.0), (1.0, 20.0)]
    curve = ChargingCurve(usable, pts, charger_kw=charger, efficiency=0.95)
    got = float(curve.soc_after(s0, hours))
    want = euler(pts, charger * 0.95, usable, s0, hours)
    assert got == pytest.approx(want, abs=2e-3)


@given(st.floats(0, 1), st.floats(0, 5), st.floats(0, 5))
def test_charging_is_monotone_and_bounded(s0: float, h1: float, h2: float) -> None:
    curve = ChargingCurve(400, default_curve(150), charger_kw=150)
    a, b = float(curve.soc_after(s0, min(h1, h2))), float(curve.soc_after(s0, max(h1, h2)))
    assert s0 - 1e-12 <= a <= b <= 1.0


def test_vectorised_equals_scalar() -> None:
    curve = ChargingCurve(400, default_curve(150), charger_kw=150)
    s0, hours = np.array([0.1, 0.5, 0.79, 0.95]), np.array([0.5, 1.0, 2.0, 0.1])
    vec = curve.soc_after(s0, hours)
    assert list(vec) == pytest.approx([float(curve.soc_after(a, b)) for a, b in zip(s0, hours, strict=True)])


def test_bad_curves_are_refused() -> None:
    with pytest.raises(InvalidInput):
        ChargingCurve(400, [(0.2, 100), (1.0, 50)])
    with pytest.raises(InvalidInput):
        ChargingCurve(400, [(0, 100), (1.0, -5)])


@given(st.floats(0, 1), st.floats(0, 30), st.sampled_from([None, 100.0, 400.0]))
def test_scalar_path_equals_vector_path(s0: float, hours: float, charger) -> None:
    pts = [(0, 250.0), (0.6, 180.0), (0.85, 150.0), (0.95, 0.0), (1.0, 0.0)]
    curve = ChargingCurve(300, pts, charger_kw=charger)
    assert float(curve.soc_after(s0, hours)) == pytest.approx(
        float(curve.soc_after(np.array([s0]), np.array([hours]))[0]), abs=1e-9)
