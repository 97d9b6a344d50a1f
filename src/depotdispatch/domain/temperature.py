"""The outside temperature a block runs in: the depot's default, a day's figure, or a day's hourly profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import service_day_origin

PLAUSIBLE_C = (-60.0, 60.0)
STEP = timedelta(minutes=10)


def check_temperature(value: float, where: str = "temperature") -> float:
    if not PLAUSIBLE_C[0] <= value <= PLAUSIBLE_C[1]:
        raise InvalidInput(f"{where} {value} degC is not plausible (give {PLAUSIBLE_C[0]:.0f} to {PLAUSIBLE_C[1]:.0f})")
    return value


@dataclass(frozen=True)
class TemperatureProfile:
    """degC per local hour of the service day (0-23; an hour the profile lacks takes the one before it,
    and the first hour's value stands for the hours before it; past 24:00 the hours wrap)."""

    hours: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        if not self.hours:
            raise InvalidInput("a temperature profile needs at least one hour")
        seen = set()
        for hour, temp in self.hours:
            if not 0 <= hour <= 23:
                raise InvalidInput(f"hour {hour} is not 0-23", column="hour")
            if hour in seen:
                raise InvalidInput(f"hour {hour} is given twice", column="hour")
            seen.add(hour)
            check_temperature(temp, f"hour {hour}:")

    @classmethod
    def of(cls, rows: Sequence[tuple[int, float]]) -> TemperatureProfile:
        return cls(tuple(sorted((int(h), float(t)) for h, t in rows)))

    def at_hour(self, hour: float) -> float:
        h = int(hour) % 24
        value = self.hours[0][1]
        for hh, t in self.hours:
            if hh <= h:
                value = t
        return value

    def over(self, block: DayBlock, tz: ZoneInfo) -> float:
        """The mean over the block's time, in 10-minute steps of the hour each falls in."""
        origin = service_day_origin(block.service_date, tz)
        t, values = block.pull_out, []
        while t < block.pull_in:
            values.append(self.at_hour((t - origin).total_seconds() / 3600))
            t += STEP
        return round(sum(values) / len(values), 2) if values else self.at_hour(0)

    def as_rows(self) -> list[list[float]]:
        return [[h, t] for h, t in self.hours]
