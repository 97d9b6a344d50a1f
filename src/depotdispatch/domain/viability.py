"""Viability of a vehicle for a block: ok | marginal | not_viable | unknown, with reasons in words.

Energy rule (research/open_source_anchors.md §6.3): not viable when the expected estimate ends below
the reserve or the conservative one ends below 0 %; marginal when the expected one ends within the
marginal band above the reserve or the conservative one below the reserve. Statuses combine by
severity ok < marginal < unknown < not_viable, so less charge or older data never looks better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.energy import EnergyEstimate
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readiness import Readiness
from depotdispatch.domain.servicetime import clock_on, to_local, zone
from depotdispatch.domain.turnaround import OVERLAP, clashes_with
from depotdispatch.domain.words import ReasonCode, ViabilityStatus

SEVERITY: dict[str, int] = {s: i for i, s in enumerate(ViabilityStatus)}
_R, _V = ReasonCode, ViabilityStatus
REASON_STATUS: dict[str, ViabilityStatus] = {  # what each viability reason makes of the status
    _R.UNAVAILABLE: _V.NOT_VIABLE, _R.CLASS_MISMATCH: _V.NOT_VIABLE, _R.OVERLAPS_BLOCK: _V.NOT_VIABLE,
    _R.SHORT_TURNAROUND: _V.MARGINAL,
    _R.SOC_BELOW_RESERVE: _V.NOT_VIABLE, _R.SOC_MARGINAL: _V.MARGINAL, _R.SOC_STALE: _V.UNKNOWN,
    _R.SOC_MISSING: _V.UNKNOWN, _R.DISTANCE_UNKNOWN: _V.UNKNOWN, _R.ENERGY_EXTRAPOLATED: _V.OK,
}


@dataclass(frozen=True)
class Thresholds:
    reserve_pct: float = 20.0
    marginal_band_pct: float = 10.0
    stale_after: timedelta = timedelta(hours=6)
    turnaround: timedelta = timedelta(minutes=10)
    timezone: str = "UTC"  # the depot's: sentences give local times


@dataclass(frozen=True)
class Reason:
    code: str  # a ReasonCode, checked below
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", ReasonCode(self.code))  # a code nobody named is a bug: fail here

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Viability:
    status: ViabilityStatus
    reasons: tuple[Reason, ...] = ()
    end_soc_pct: float | None = None  # at pull-in, expected estimate
    end_soc_pct_conservative: float | None = None
    estimate: EnergyEstimate | None = None
    readiness: Readiness | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def deciding(self) -> Reason | None:
        """The first reason that makes the status what it is: the one to name when only one is shown (a bus
        with an old reading that would also run out is not viable because it runs out)."""
        return next((r for r in self.reasons if REASON_STATUS[r.code] == self.status),
                    self.reasons[0] if self.reasons else None)


_STATUS: dict[str, ViabilityStatus] = {s.value: s for s in ViabilityStatus}


def worst(statuses: Sequence[str]) -> ViabilityStatus:
    if not statuses:  # most verdicts have nothing to say (and this is asked for every one)
        return ViabilityStatus.OK
    return _STATUS[max(statuses, key=SEVERITY.__getitem__)]


def pct(x: float) -> str:
    return f"{round(x) + 0:.0f} %"  # + 0 turns -0 into 0


def pct_short(x: float) -> str:
    """How far short a bus that runs out is: never "0 % short" (under half a point short is still short)."""
    return "less than 1 %" if round(x) == 0 else pct(x)


def pct_below(x: float, limit: float) -> str:
    """`x` under `limit` never reads as `limit` ("pulls in at 20 %, below the 20 % reserve"): where whole
    points would round it up to it, one decimal, rounded down."""
    if x < limit <= round(x):
        return f"{math.floor(x * 10) / 10 + 0:.1f} %"
    return pct(x)


_pct = pct


def _when(t: datetime, now: datetime, tz_name: str) -> str:
    """HH:MM today, with its day otherwise: a stale reading is often yesterday's ("at Tue 17 Feb 22:48")."""
    tz = zone(tz_name)
    return clock_on(to_local(t, tz), to_local(now, tz).date())


def unavailable_words(vehicle: Vehicle, at: datetime, timezone: str) -> str | None:
    """"E002 is out of service (door fault)", when the vehicle is not available at `at`; else None."""
    status = vehicle.availability_at(at)
    if status == "available":
        return None
    # with its day when not the day of `at`: "until 06:00" of a bus back tomorrow reads as this morning
    until = f" until {_when(vehicle.available_until, at, timezone)}" if vehicle.available_until else ""
    why = f" ({vehicle.availability_reason})" if vehicle.availability_reason else ""
    state = "in maintenance" if status == "maintenance" else status.replace("_", " ")
    return f"{vehicle.vehicle_id} is {state}{until}{why}"


def assess(vehicle: Vehicle, vtype: VehicleType, block: DayBlock, *, now: datetime, thresholds: Thresholds,
           estimate: EnergyEstimate | None, readiness: Readiness | None,
           other_blocks: Sequence[DayBlock] = ()) -> Viability:
    """Judge one vehicle for one block. Non-electric vehicles are judged on everything but energy."""
    reasons: list[Reason] = []
    if (words := unavailable_words(vehicle, block.pull_out, thresholds.timezone)) is not None:
        reasons.append(Reason("unavailable", words))
    if block.vehicle_class and vtype.vehicle_class and block.vehicle_class != vtype.vehicle_class:
        reasons.append(Reason("class_mismatch", f"the block needs a vehicle of class {block.vehicle_class}; "
                                                f"{vehicle.vehicle_id} is of class {vtype.vehicle_class}"))
    turn, tz = thresholds.turnaround, thresholds.timezone
    found = clashes_with(block, other_blocks, turn)
    if found:  # the one rule of domain.turnaround: overlap refuses, a short turnaround warns
        other, code = found[0]
        # with their day when not today: "07:33-00:00" reads as a block that ends before it starts
        span = f"{_when(other.pull_out, now, tz)}-{_when(other.pull_in, now, tz)}"
        if code == OVERLAP:
            reasons.append(Reason(code, f"{vehicle.vehicle_id} runs block {label_of(other)} ({span}), which "
                                        "overlaps this one"))
        else:
            reasons.append(Reason(code, f"{vehicle.vehicle_id} runs block {label_of(other)} ({span}), leaving under "
                                        f"{int(turn.total_seconds() // 60)} min to turn around"))
    end = end_p90 = None
    if vtype.is_electric:
        end, end_p90 = _energy_reasons(vehicle, vtype, now, thresholds, estimate, readiness, reasons)
    status = worst([REASON_STATUS[r.code] for r in reasons])
    return Viability(status, tuple(reasons), end, end_p90, estimate, readiness)


def _energy_reasons(vehicle: Vehicle, vtype: VehicleType, now: datetime, th: Thresholds,
                    estimate: EnergyEstimate | None, readiness: Readiness | None,
                    reasons: list[Reason]) -> tuple[float | None, float | None]:
    if readiness is None or readiness.reading is None or readiness.soc_pct is None:
        reasons.append(Reason("soc_missing", f"no SoC reading for {vehicle.vehicle_id}"))
    elif readiness.reading_age is not None and readiness.reading_age > th.stale_after:
        reasons.append(Reason("soc_stale", f"last reading {duration_words(readiness.reading_age, exact=True)} ago (at "
                                           f"{_when(readiness.reading.measured_at, now, th.timezone)}, "
                                           f"{readiness.reading.source}), older than {duration_words(th.stale_after)}:"
                                           f" its charge now is not known; get a reading"))
    if estimate is None:
        reasons.append(Reason("distance_unknown", "the block's distance is unknown, so its energy is too"))
        return None, None
    if estimate.extrapolated:
        clipped = estimate.inputs.get("extrapolated")
        reasons.append(Reason("energy_extrapolated", "consumption table clipped at its bounds for "
                              + ", ".join(str(x) for x in (clipped if isinstance(clipped, list) else []))))
    if readiness is None or readiness.soc_pct is None:
        return None, None
    usable = vtype.usable_kwh or 1.0
    need = 100 * estimate.expected_kwh / usable
    end = round(readiness.soc_pct - need, 1)
    end_p90 = round(readiness.soc_pct - 100 * estimate.conservative_kwh / usable, 1)
    if end < th.reserve_pct or end_p90 < 0:
        reasons.append(Reason("soc_below_reserve", f"{_arrival(end, end_p90, th.reserve_pct)}: "
                                                   f"{_facts(readiness, estimate, need)}"))
    elif end < th.reserve_pct + th.marginal_band_pct or end_p90 < th.reserve_pct:
        reasons.append(Reason("soc_marginal", f"arrives at pull-in with {_pct(end)} ({_pct(end_p90)} conservative), "
                                              f"close to the {_pct(th.reserve_pct)} reserve: "
                                              f"{_facts(readiness, estimate, need)}"))
    return end, end_p90


def _facts(readiness: Readiness, estimate: EnergyEstimate, need: float) -> str:
    """The figures behind an energy reason (only worded when there is one: most verdicts are ok)."""
    assert readiness.soc_pct is not None
    where = "at the reading during the block" if readiness.during_block else "at pull-out"
    start = (f"{_pct(readiness.soc_pct)} {where}" if readiness.soc_pct >= 0 else  # never "-18 % at pull-out"
             f"it runs out on its earlier work ({_pct(-readiness.soc_pct)} short), so it is not back to start this "
             "one")
    facts = (f"{start}, needs {_pct(need)} "
             f"({estimate.expected_kwh:.0f} kWh, {estimate.conservative_kwh:.0f} kWh conservative)")
    if readiness.charge_shortfall_kwh >= 1:
        facts += (f"; the depot's chargers give it {readiness.charged_kwh:.0f} kWh before then, "
                  f"{readiness.charge_shortfall_kwh:.0f} kWh less than a charger of its own would "
                  "(the charging plan serves earlier pull-outs first)")
    return facts


def _arrival(end: float, end_p90: float, reserve_pct: float) -> str:
    """A charge below zero is not a charge a person can picture: say the bus runs out, and by how much."""
    if end < 0:
        return f"runs out of charge before pull-in ({pct_short(-end)} of a battery short)"
    if end_p90 < 0:
        return (f"arrives at pull-in with {pct_below(end, reserve_pct)} against a {_pct(reserve_pct)} reserve, "
                "and runs out on the conservative estimate")
    return (f"arrives at pull-in with {pct_below(end, reserve_pct)} ({_pct(end_p90)} conservative) against a "
            f"{_pct(reserve_pct)} reserve")
