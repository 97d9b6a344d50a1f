"""Deadhead (DESIGN §12a): the drive between the depot and a block's first and last stop.

A block whose times come from its trips (GTFS, a block made from trips, either part of a change-out)
starts at its first revenue departure and ends at its last arrival, with only the trips' distance: the
depot's pull-out and pull-in allowances in km are added to its energy (and, for a block in service, to
what is left of it: the way back to the depot is always still to drive). A block without trips (a blocks
CSV, an operator's ad-hoc block) states its pull-out and pull-in at the yard and its distance from yard
to yard (DESIGN §2, §9): nothing is added, or the deadhead would be counted twice. Which km a block takes
(the depot's, its route's, its first or last stop's) is `Depot.allowance`'s rule (domain/allowances.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from depotdispatch.domain.errors import InvalidInput

MAX_DEADHEAD_KM = 100.0


@dataclass(frozen=True)
class Deadhead:
    out_km: float = 0.0  # depot -> first stop
    in_km: float = 0.0  # last stop -> depot

    @property
    def km(self) -> float:
        return self.out_km + self.in_km


NONE = Deadhead()


def check_km(value: float, what: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) \
            or not 0 <= value <= MAX_DEADHEAD_KM:
        raise InvalidInput(f"{what} {value!r} km: give a distance from 0 to {MAX_DEADHEAD_KM:g} km")
