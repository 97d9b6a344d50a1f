"""SoC readings (DESIGN §11): what a vehicle's battery said, when, and who said it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.fleet import ELECTRIC
from depotdispatch.domain.limits import MAX_ODOMETER_KM, text_problem
from depotdispatch.domain.words import ReadingSource, word

SOURCES = tuple(ReadingSource)  # most trusted first
MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SocReading:
    vehicle_id: str
    soc_pct: float
    measured_at: datetime
    source: ReadingSource = ReadingSource.MANUAL  # a plain string is taken and checked (below)
    odometer_km: float | None = None
    plugged_in: bool | None = None
    charger_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.source, ReadingSource):  # DESIGN §2: checked where made, in a sentence
            object.__setattr__(self, "source", word(ReadingSource, self.source, "source"))

    @property
    def trust(self) -> int:
        return SOURCES.index(self.source)


def latest_order(reading: SocReading) -> tuple[bool, datetime, int]:
    """Which of a vehicle's readings is its latest (the greatest): a measured one before any estimate, then the
    newest, then the more trusted source (the order `latest_for_depot` picks by)."""
    return reading.source != "estimate", reading.measured_at, -reading.trust


def rejection(reading: SocReading, now: datetime, known_vehicle: bool, propulsion: str | None = None) -> str | None:
    """Why a reading must not be stored, in words an operator understands; None when it is fine.
    `propulsion`: the vehicle's (None: not known here, not checked)."""
    if not known_vehicle:
        return f"unknown vehicle {reading.vehicle_id!r}"
    not_ev = not_electric(reading.vehicle_id, propulsion)
    if not_ev:
        return not_ev
    if not (0 <= reading.soc_pct <= 100) or reading.soc_pct != reading.soc_pct:
        return f"SoC {reading.soc_pct} % is outside 0-100 %"
    if reading.measured_at.tzinfo is None:
        return "measured_at has no UTC offset"
    if reading.measured_at > now + MAX_SKEW:
        ahead = reading.measured_at - now
        return f"measured_at is {duration_words(ahead)} in the future (clock skew allowed: {duration_words(MAX_SKEW)})"
    if reading.odometer_km is not None and not 0 <= reading.odometer_km <= MAX_ODOMETER_KM:
        return f"odometer {reading.odometer_km} km is not plausible (0 to {MAX_ODOMETER_KM:,.0f} km)"
    for what, text in (("vehicle_id", reading.vehicle_id), ("charger_id", reading.charger_id or "")):
        problem = text_problem(text, what)
        if problem:
            return problem
    return None


def not_electric(vehicle_id: str, propulsion: str | None) -> str | None:
    """A state of charge belongs to a battery-electric bus: one for a diesel (or any non-EV) is a mistake
    of the file or the feed (a wrong fleet number, a fuel level), never a reading to store."""
    if propulsion is None or propulsion in ELECTRIC:
        return None
    return (f"{vehicle_id} is a {propulsion} vehicle, not battery-electric: it has no state of charge to "
            "record (check the fleet number)")


def latest_trusted(readings: Iterable[SocReading], at: datetime | None = None) -> SocReading | None:
    """The newest reading (at or before `at`); on a tie the more trusted source.

    Estimates only count when nothing measured exists: an estimate never hides a real reading.
    """
    usable = [r for r in readings if at is None or r.measured_at <= at]
    measured = [r for r in usable if r.source != "estimate"]
    pool = measured or usable
    if not pool:
        return None
    return max(pool, key=lambda r: (r.measured_at, -r.trust))
