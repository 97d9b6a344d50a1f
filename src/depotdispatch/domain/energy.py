"""Energy a block needs on a vehicle type: expected and conservative kWh, with the inputs shown.

Where the numbers come from (so nobody has to dig them out of the code):
- Conservative = expected x (1 + 1.2816 x CV): the 90th percentile of a normal spread. The default
  CV of 0.12 is the spread of a year of 40-ft battery-bus operation (2.6 +/- 0.3 kWh/mile, Perugu
  et al. 2023). Configurable per vehicle type (`energy_cv`).
- HVAC, for the flat model: heating grows with the difference below the 15 degC comfort limit, 1.0 kW
  per degC, down to -30 degC (45 kW), so deep cold costs more than mild cold. The figure is what both
  temperature-aware sources in ../shared/data/energy imply for a 12 m bus at 18-20 km/h:
  SimBA's example table (SB, load 0.3, flat, 18 km/h: 1.17 kWh/km at 15 degC, 1.70 at 5, 2.32 at -5,
  3.04 at -15, i.e. 0.95-1.12 kW per degC) and RouteZero's fit on real Sydney trips
  (bayes_lin_reg_model_2: 0.93 kWh/km at 15 degC, 1.96 at -5 at 20 km/h, i.e. 1.03 kW per degC).
  So at -10 degC a 1.2 kWh/km bus at 18 km/h needs about 2.6 kWh/km (SimBA: 2.5-2.7). Cooling: 3.2 kW
  at full load (Ji et al. 2022, as used by eflips), ramping in over 10 degC above 24 degC. HVAC runs for
  the whole block, layovers included. The flat kWh/km is the mild-weather figure, so inside the band
  nothing is added. A lookup table already prices temperature per km, so it gets no HVAC term unless
  the vehicle type asks for one.
- The spread widens in cold: below 0 degC the CV grows by 2.5 % of itself per degC, to 1.75x at -30 degC
  (`cv_at`). Cold adds uncertainty that mild weather does not have: heater duty, pre-heating, snow.
  RouteZero's posterior predictive spread grows from 1.8 % of the mean at 0 degC to 2.8 % at -10 and
  3.9 % at -30 (out of its fitted range); Vepsalainen et al. 2018 (Energies 11(12) 3267) saw a trip-to-trip
  spread above 1 kWh/km around a 0.78 kWh/km mean in a southern-Finland winter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from depotdispatch.domain.errors import InvalidInput

P90_Z = 1.2816
DEFAULT_CV = 0.12
DEFAULT_TEMPERATURE_C = 15.0
DEFAULT_LOADING = 0.5  # SimBA's default passenger load profile is 0.5 all day
TABLE_AXES = ("incline", "t_amb", "level_of_loading", "mean_speed_kmh")


COLD_CV_SLOPE = 0.025  # of the base CV, per degC below 0 degC (see the module docstring)
COLDEST_C = -30.0  # heating and the spread stop growing here: colder is outside every source


def cv_at(base_cv: float, temperature_c: float) -> float:
    """The coefficient of variation at a temperature: the type's own, widening below 0 degC."""
    below = min(max(-temperature_c, 0.0), -COLDEST_C)
    return base_cv * (1 + COLD_CV_SLOPE * below)


@dataclass(frozen=True)
class Hvac:
    heat_kw_per_c: float = 1.0
    cool_kw: float = 3.2
    comfort_low_c: float = 15.0
    comfort_high_c: float = 24.0
    ramp_c: float = 10.0  # cooling only

    def kw(self, temperature_c: float) -> float:
        if temperature_c < self.comfort_low_c:
            return self.heat_kw_per_c * (self.comfort_low_c - max(temperature_c, COLDEST_C))
        if temperature_c > self.comfort_high_c:
            return self.cool_kw * min(1.0, (temperature_c - self.comfort_high_c) / self.ramp_c)
        return 0.0


@dataclass(frozen=True)
class Conditions:
    temperature_c: float = DEFAULT_TEMPERATURE_C
    mean_speed_kmh: float = 18.0
    level_of_loading: float = DEFAULT_LOADING
    incline: float = 0.0


_UNWEIGHED = Conditions()


class FlatConsumption:
    name = "flat"
    weighs_conditions = False

    def __init__(self, kwh_per_km: float) -> None:
        if not kwh_per_km > 0:
            raise InvalidInput(f"consumption {kwh_per_km} kWh/km must be positive")
        self.value = kwh_per_km

    def kwh_per_km(self, conditions: Conditions) -> tuple[float, list[str]]:
        return self.value, []


class TableConsumption:
    """A SimBA/eflips lookup table: kWh/km on a regular grid of incline, temperature, load and speed.

    Linear interpolation inside the grid; outside it the inputs are clipped to the bounds and the
    estimate says which ones were (`extrapolated`), as SimBA clips and eflips warns.
    """

    name = "table"
    weighs_conditions = True

    def __init__(self, rows: Sequence[Sequence[float]], label: str = "table") -> None:
        """rows: (incline, t_amb, level_of_loading, mean_speed_kmh, consumption_kwh_per_km)."""
        if not rows:
            raise InvalidInput("the consumption table has no rows")
        if any(len(r) != 5 for r in rows):
            raise InvalidInput("each consumption table row has 5 values: incline, t_amb, level_of_loading, "
                               "mean_speed_kmh, kWh/km")
        self.rows = tuple(tuple(float(x) for x in r) for r in rows)
        data = np.asarray(rows, dtype=float)
        self.axes = [np.unique(data[:, i]) for i in range(4)]
        shape = tuple(len(a) for a in self.axes)
        if len(data) != math.prod(shape):
            raise InvalidInput(f"the consumption table is not a full grid: {len(data)} rows for "
                               f"{' x '.join(str(n) for n in shape)} axis values")
        values = np.full(shape, np.nan)
        idx = tuple(np.searchsorted(self.axes[i], data[:, i]) for i in range(4))
        values[idx] = data[:, 4]
        if np.isnan(values).any():
            raise InvalidInput("the consumption table repeats some grid points and misses others")
        # values <= 0 are legitimate: downhill at low load a bus recovers energy
        from scipy.interpolate import RegularGridInterpolator  # lazily: only tables need it

        self.label = label
        self._interp = RegularGridInterpolator(self.axes, values, method="linear")

    def kwh_per_km(self, conditions: Conditions) -> tuple[float, list[str]]:
        point = (conditions.incline, conditions.temperature_c, conditions.level_of_loading,
                 conditions.mean_speed_kmh)
        clipped, flags = [], []
        for axis_name, value, axis in zip(TABLE_AXES, point, self.axes, strict=True):
            bounded = min(max(value, float(axis[0])), float(axis[-1]))
            if bounded != value:
                flags.append(axis_name)
            clipped.append(bounded)
        return float(self._interp([clipped])[0]), flags


@dataclass(frozen=True)
class EnergyProfile:
    """How a vehicle type uses energy."""

    model: FlatConsumption | TableConsumption
    hvac: Hvac | None = None
    cv: float = DEFAULT_CV

    def __post_init__(self) -> None:
        if not 0 <= self.cv < 2:
            raise InvalidInput(f"energy_cv {self.cv} is not a plausible coefficient of variation (0 to 2)")


@dataclass(frozen=True)
class EnergyEstimate:
    expected_kwh: float
    conservative_kwh: float
    inputs: dict[str, object] = field(default_factory=dict)

    @property
    def extrapolated(self) -> bool:
        return bool(self.inputs.get("extrapolated"))


def estimate_energy(distance_km: float | None, distance_source: str, duration_h: float, profile: EnergyProfile,
                    temperature_c: float = DEFAULT_TEMPERATURE_C,
                    level_of_loading: float = DEFAULT_LOADING) -> EnergyEstimate | None:
    """None when the distance is unknown: no number is better than an invented one."""
    if distance_km is None:
        return None
    speed = distance_km / duration_h if duration_h > 0 else 0.0
    model = profile.model
    # a flat model weighs no conditions: none made for it (an estimate is made per block and type)
    per_km, extrapolated = model.kwh_per_km(
        Conditions(temperature_c=temperature_c, mean_speed_kmh=speed, level_of_loading=level_of_loading)
        if model.weighs_conditions else _UNWEIGHED)
    traction = per_km * distance_km
    hvac_kw = profile.hvac.kw(temperature_c) if profile.hvac else 0.0
    expected = traction + hvac_kw * max(duration_h, 0.0)
    cv = cv_at(profile.cv, temperature_c)
    conservative = expected * (1 + P90_Z * cv)
    inputs: dict[str, object] = {
        "distance_km": round(distance_km, 3), "distance_source": distance_source, "model": profile.model.name,
        "kwh_per_km": round(per_km, 4), "temperature_c": temperature_c, "duration_h": round(duration_h, 3),
        "mean_speed_kmh": round(speed, 2), "hvac_kw": round(hvac_kw, 3), "energy_cv": round(cv, 4),
        "energy_cv_base": profile.cv,
        "extrapolated": extrapolated,
    }
    return EnergyEstimate(round(expected, 3), round(conservative, 3), inputs)


def _number(inputs: dict[str, object], key: str) -> float:
    """A figure estimate_energy put in `inputs` (0 when it has none)."""
    value = inputs.get(key, 0.0)
    if not isinstance(value, int | float):
        raise TypeError(f"energy input {key!r} is {value!r}, not a number")
    return float(value)


def remaining_energy(estimate: EnergyEstimate, remaining_km: float, remaining_h: float) -> EnergyEstimate:
    """The part of a block's energy still to be spent: traction for the km left, HVAC for the hours left,
    the same spread. Used for a reading taken during a block (DESIGN §3: only the rest of it counts)."""
    per_km, hvac_kw = _number(estimate.inputs, "kwh_per_km"), _number(estimate.inputs, "hvac_kw")
    expected = max(per_km * max(remaining_km, 0.0) + hvac_kw * max(remaining_h, 0.0), 0.0)
    ratio = estimate.conservative_kwh / estimate.expected_kwh if estimate.expected_kwh > 0 else 1.0
    inputs = dict(estimate.inputs) | {"remaining_km": round(remaining_km, 3), "remaining_h": round(remaining_h, 3)}
    return EnergyEstimate(round(expected, 3), round(expected * ratio, 3), inputs)
