"""Jinja2 templates (with block fragments for htmx partials) and the filters pages share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup, escape

from depotdispatch.domain.blocks import block_label, other_name
from depotdispatch.domain.servicetime import clock_on, to_local, zone
from depotdispatch.domain.viability import pct as domain_pct
from depotdispatch.domain.viability import pct_short

HERE = Path(__file__).parent
templates = Jinja2Blocks(directory=str(HERE / "templates"))

VERDICT_WORDS = {"ok": "OK", "marginal": "Marginal", "not_viable": "Not viable", "unknown": "Unknown"}
VERDICT_MARKS = {"ok": "✓", "marginal": "!", "not_viable": "✕", "unknown": "?"}
INPUT_WORDS = {"distance_km": "Distance (km)", "deadhead_km": "Of which to and from the depot (km)",
               "distance_source": "How the distance was found",
               "model": "Consumption model",
               "kwh_per_km": "kWh per km", "temperature_c": "Temperature (°C)", "duration_h": "Duration (h)",
               "mean_speed_kmh": "Mean speed (km/h)", "hvac_kw": "Heating and cooling (kW)",
               "energy_cv": "Spread used for the conservative value (CV)",
               "energy_cv_base": "Spread before widening for the cold (CV)",
               "extrapolated": "Inputs outside the model's data",
               "remaining_km": "Still to run (km, from the latest reading)", "remaining_h": "Still to run (h)"}
LIVE_WORDS = {"at_risk": "Live risk", "watch": "Live: watch", "unknown": "Live: cannot judge"}
# Codes are for machines (API, CSV, audit JSON); a page says them in words.
REASON_WORDS = {"unavailable": "not available", "class_mismatch": "wrong vehicle class",
                "overlaps_block": "already on another block", "short_turnaround": "turnaround too short",
                "soc_below_reserve": "below the reserve at pull-in", "soc_marginal": "close to the reserve at pull-in",
                "soc_stale": "SoC reading too old", "soc_missing": "no SoC reading",
                "distance_unknown": "distance not known", "energy_extrapolated": "estimate outside the model's data",
                "no_vehicle": "no bus", "live_soc_below_reserve": "live SoC below the reserve",
                "live_soc_marginal": "live SoC close to the reserve", "live_soc_stale": "live SoC too old",
                "vehicle_mismatch": "a different bus reported on it"}
# A dispatch sheet's row problems (domain/reconcile.py, adapters/sheet_csv.py) and the viability warnings on them
PROBLEM_WORDS = {**REASON_WORDS, "unknown_block": "no such block", "ambiguous_block": "could be several blocks",
                 "unknown_vehicle": "no such bus", "duplicate_block": "block on more than one row",
                 "duplicate_row": "repeated row", "block_cancelled": "block cancelled",
                 "block_started": "block already started", "assigned_since_export": "bus assigned after the export",
                 "vehicle_overlap": "bus on overlapping blocks", "malformed_row": "row cannot be read",
                 "other_date": "row for another day", "no_vehicle_yet": "no bus yet"}
SEVERITY_WORDS = {"error": "Error", "warning": "Warning"}
COLUMN_WORDS = {"block_id": "block", "vehicle_id": "bus", "service_date": "date", "date": "date",
                "bus_number": "bus number", "sched_po": "scheduled pull-out"}
# An audit event's kind (domain/words.EventKind) as the log reads it; the rest with spaces for underscores
EVENT_WORDS = {"adhoc_created": "ad-hoc block added", "adhoc_changed": "ad-hoc block changed",
               "adhoc_removed": "ad-hoc block removed", "actuals_recorded": "actual times recorded",
               "charger_availability": "charger in or out of use", "yard_spot_set": "parked in the yard",
               "allowance_changed": "route or stop allowance changed", "day_set_up": "day set up"}
AVAILABILITY_WORDS = {"available": "available", "maintenance": "in maintenance", "out_of_service": "out of service"}
PROPULSION_WORDS = {"bev": "battery-electric", "diesel": "diesel", "hybrid": "hybrid", "cng": "CNG",
                    "fcev": "fuel cell", "trolley": "trolleybus"}
DISTANCE_WORDS = {"stated": "as given with the block", "shape_dist_traveled": "from the feed's shape distances",
                  "shape": "measured along the route shape", "stops": "measured stop to stop",
                  "unknown": "source not known"}
STATUS_WORDS = {"in_service": "In service", "upcoming": "Upcoming", "later": "Later", "completed": "Completed",
                "cancelled": "Cancelled"}


def status_label(status: str, *, has_bus: bool, missed: bool = False) -> str:
    """A block's status as the dispatcher reads it (DESIGN §3): a block that started with no bus is a missed
    pull-out, one whose time passed with no bus was not covered (its outcome), never "completed"."""
    if missed:
        return "Missed pull-out"
    if status == "completed" and not has_bus:
        return "Not covered (no bus)"
    return STATUS_WORDS.get(status, status)


def words(code: str | None, table: dict[str, str]) -> str:
    """A code in words: from its table, else the code with spaces (never a raw snake_case code)."""
    return "" if code is None else table.get(code, code.replace("_", " "))


def local(t: datetime | str | None, tz_name: str, fmt: str = "%H:%M") -> str:
    """An instant (or its ISO text, as events keep them) in the depot's local time."""
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return "" if t is None else to_local(t, zone(tz_name)).strftime(fmt)


def clock(t: datetime | None, tz_name: str, today: datetime | date) -> str:
    """HH:MM on the local day of `today` (an instant, or a service date), other days with their day
    (servicetime.clock_on): a pull-in after midnight reads "Wed 2 Dec 00:31", never a bare 00:31."""
    if t is None:
        return ""
    tz = zone(tz_name)
    day = to_local(today, tz).date() if isinstance(today, datetime) else today
    return clock_on(to_local(t, tz), day)


def pct(x: float | None) -> str:
    return "—" if x is None else domain_pct(x)


def soc_in(x: float | None) -> str:
    """SoC at pull-in: below zero the bus does not get there, so it says so instead of "-21 %"."""
    if x is not None and x < 0:
        return f"runs out ({pct_short(-x)} short)"
    return pct(x)


def km(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def block_ref(block_id: str | None, block_name: str | None = None) -> Markup:
    """A block in a page, as block_label says it, the id set quieter beside the name: "106 (id 703)"."""
    if not block_id:
        return Markup("")
    name = other_name(block_id, block_name)
    if name is None:
        return escape(block_id)
    return escape(name) + Markup(' <span class="also-id">(id ') + escape(block_id) + Markup(")</span>")


def _id_and_name(block: object) -> tuple[str | None, str | None]:
    if isinstance(block, Mapping):  # a document (views.block_doc, an event's before/after)
        return block.get("block_id"), block.get("block_name")
    return getattr(block, "block_id", None), getattr(block, "block_name", None)


def named(block: object) -> Markup:
    """block_ref of a block or a block's document."""
    return block_ref(*_id_and_name(block))


def label(block: object) -> str:
    """block_label of a block or a block's document, as plain text (a title, an aria-label, a confirm)."""
    block_id, name = _id_and_name(block)
    return block_label(block_id, name) if block_id else ""


templates.env.filters.update(named=named, label=label, local=local, clock=clock, pct=pct, soc_in=soc_in, km=km,
                             words=words,
                             reason=lambda c: words(c, REASON_WORDS), propulsion=lambda c: words(c, PROPULSION_WORDS),
                             availability=lambda c: words(c, AVAILABILITY_WORDS),
                             distance_source=lambda c: words(c, DISTANCE_WORDS),
                             problem=lambda c: words(c, PROBLEM_WORDS), severity=lambda c: words(c, SEVERITY_WORDS),
                             column=lambda c: words(c, COLUMN_WORDS), event=lambda c: words(c, EVENT_WORDS))
templates.env.globals.update(INPUT_WORDS=INPUT_WORDS, VERDICT_WORDS=VERDICT_WORDS, VERDICT_MARKS=VERDICT_MARKS,
                             STATUS_WORDS=STATUS_WORDS, LIVE_WORDS=LIVE_WORDS,
                             status_label=status_label, block_ref=block_ref, block_label=block_label)
