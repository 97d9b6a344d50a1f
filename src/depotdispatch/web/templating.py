"""Jinja2 templates (with block fragments for htmx partials) and the filters pages share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks

from depotdispatch.domain.servicetime import to_local, zone

HERE = Path(__file__).parent
templates = Jinja2Blocks(directory=str(HERE / "templates"))

VERDICT_WORDS = {"ok": "OK", "marginal": "Marginal", "not_viable": "Not viable", "unknown": "Unknown"}
VERDICT_MARKS = {"ok": "✓", "marginal": "!", "not_viable": "✕", "unknown": "?"}
INPUT_WORDS = {"distance_km": "Distance (km)", "distance_source": "Distance from", "model": "Consumption model",
               "kwh_per_km": "kWh per km", "temperature_c": "Temperature (°C)", "duration_h": "Duration (h)",
               "mean_speed_kmh": "Mean speed (km/h)", "hvac_kw": "Heating and cooling (kW)",
               "energy_cv": "Spread used for the conservative value (CV)",
               "energy_cv_base": "Spread before widening for the cold (CV)",
               "extrapolated": "Inputs outside the model's data"}
LIVE_WORDS = {"at_risk": "Live risk", "watch": "Live: watch", "unknown": "Live: cannot judge"}
STATUS_WORDS = {"in_service": "In service", "upcoming": "Upcoming", "later": "Later", "completed": "Completed",
                "cancelled": "Cancelled"}


def local(t: datetime | None, tz_name: str, fmt: str = "%H:%M") -> str:
    return "" if t is None else to_local(t, zone(tz_name)).strftime(fmt)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f} %"


def km(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


templates.env.filters.update(local=local, pct=pct, km=km)
templates.env.globals.update(INPUT_WORDS=INPUT_WORDS, VERDICT_WORDS=VERDICT_WORDS, VERDICT_MARKS=VERDICT_MARKS,
                             STATUS_WORDS=STATUS_WORDS, LIVE_WORDS=LIVE_WORDS)
