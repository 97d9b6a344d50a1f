"""Depots and their settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.allowances import NO_OVERRIDES, Chosen, Overrides
from depotdispatch.domain.deadhead import NONE, Deadhead, check_km
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import check_text
from depotdispatch.domain.servicetime import zone

_NO_ALLOWANCE = (timedelta(0), timedelta(0))
_DEPOT = ("depot", "depot", "depot", "depot")
_NONE_CHOSEN = Chosen(0, 0.0, 0, 0.0, ("yard-timed", "yard-timed", "yard-timed", "yard-timed"))
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Depot:
    depot_id: str
    name: str
    timezone: str
    lookback_min: int = 120
    lookahead_min: int = 24 * 60
    reserve_pct: float = 20.0
    marginal_band_pct: float = 10.0
    stale_after_h: float = 6.0
    turnaround_min: int = 10
    temperature_c: float = 15.0
    # charging and the yard (DESIGN §12a)
    site_cap_kw: float | None = None
    pull_in_allowance_min: int = 0
    pull_out_allowance_min: int = 0
    min_dwell_min: int = 0
    # deadhead between the depot and a block's first/last stop, for blocks timed by their trips (domain/deadhead.py)
    pull_in_allowance_km: float = 0.0
    pull_out_allowance_km: float = 0.0
    # where the depot is (WGS84), and how near it a stop must be to relieve a bus there (domain/changeout.py)
    latitude: float | None = None
    longitude: float | None = None
    relief_km: float = 1.0
    # per route and per first/last stop (domain/allowances.py; stored apart from the settings, in their table)
    overrides: Overrides = NO_OVERRIDES

    SETTINGS = ("marginal_band_pct", "stale_after_h", "turnaround_min", "temperature_c", "site_cap_kw",
                "pull_in_allowance_min", "pull_out_allowance_min", "min_dwell_min", "pull_in_allowance_km",
                "pull_out_allowance_km", "latitude", "longitude", "relief_km")

    def settings(self) -> dict[str, float | None]:
        return {k: getattr(self, k) for k in self.SETTINGS}

    def allowance(self, trip_ids: tuple[str, ...]) -> Chosen:
        """The four allowances (minutes and km, pull-out and pull-in) of a block with these trips, in order
        of departure, and the rule each came from (DESIGN §12a): the one rule, which the yard's pull-out
        time, the energy (deadhead km), the charging window (plan, seam, yard view) and the exact model all
        take, through `allowances` and `deadhead`. A block timed by its trips (GTFS, made from trips, a
        change-out part) starts at its first revenue departure and ends at its last arrival: its allowances
        come before and after it, the first trip's stop or route or else the depot's on the pull-out side,
        the last trip's on the pull-in side (domain/allowances.py). A yard-timed block (blocks CSV, ad-hoc)
        states its pull-out and pull-in at the yard and its distance from yard to yard: none, or they would
        be taken twice."""
        if not trip_ids:
            return _NONE_CHOSEN
        if not self.overrides:
            return self.default_allowance()
        return self.overrides.choose(trip_ids[0], trip_ids[-1], (
            self.pull_out_allowance_min, self.pull_out_allowance_km, self.pull_in_allowance_min,
            self.pull_in_allowance_km))

    def default_allowance(self) -> Chosen:
        """The depot's own allowances: what a block timed by trips no override touches takes."""
        return Chosen(self.pull_out_allowance_min, self.pull_out_allowance_km, self.pull_in_allowance_min,
                      self.pull_in_allowance_km, _DEPOT)

    def deadhead(self, trip_ids: tuple[str, ...]) -> Deadhead:
        """The km to add to a block with these trips (domain/deadhead.py), as `allowance` chooses them."""
        if not trip_ids:
            return NONE
        if not self.overrides:
            return Deadhead(self.pull_out_allowance_km, self.pull_in_allowance_km)
        a = self.allowance(trip_ids)
        return Deadhead(a.pull_out_km, a.pull_in_km)

    def allowances(self, trip_ids: tuple[str, ...]) -> tuple[timedelta, timedelta]:
        """(pull-out, pull-in) allowance of a block with these trips, as `allowance` chooses them."""
        if not trip_ids:
            return _NO_ALLOWANCE
        if not self.overrides:  # the common case, on the judge's hot path: no lookup
            return timedelta(minutes=self.pull_out_allowance_min), timedelta(minutes=self.pull_in_allowance_min)
        a = self.allowance(trip_ids)
        return timedelta(minutes=a.pull_out_min), timedelta(minutes=a.pull_in_min)

    def yard_out(self, pull_out: datetime, trip_ids: tuple[str, ...]) -> datetime:
        """When the bus leaves the yard for a block starting at `pull_out` (DESIGN §12a; `allowances`)."""
        return pull_out - self.allowances(trip_ids)[0]

    def yard_in(self, pull_in: datetime, trip_ids: tuple[str, ...]) -> datetime:
        """When the bus is back in the yard from a block ending at `pull_in` (`allowances`)."""
        return pull_in + self.allowances(trip_ids)[1]

    def __post_init__(self) -> None:
        if not _ID.match(self.depot_id):
            raise InvalidInput(
                f"depot id {self.depot_id!r}: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if not self.name.strip():
            raise InvalidInput("a depot needs a name")
        check_text(self.name, "name")
        zone(self.timezone)
        if self.lookback_min < 0 or self.lookahead_min <= 0:
            raise InvalidInput("the horizon needs lookback >= 0 h and lookahead > 0 h")
        if not 0 <= self.reserve_pct < 100:
            raise InvalidInput(f"reserve {self.reserve_pct} %: give a percentage from 0 to 99")
        if not 0 <= self.marginal_band_pct <= 50:
            raise InvalidInput(f"marginal band {self.marginal_band_pct} points: give 0 to 50")
        if not self.stale_after_h > 0:
            raise InvalidInput("the staleness threshold must be more than 0 h")
        if not 0 <= self.turnaround_min <= 240:
            raise InvalidInput("turnaround must be 0 to 240 minutes")
        if not -60 <= self.temperature_c <= 60:
            raise InvalidInput(f"temperature {self.temperature_c} degC is not plausible")
        if self.site_cap_kw is not None and not 0 < self.site_cap_kw <= 100_000:
            raise InvalidInput(f"site power cap {self.site_cap_kw} kW: give more than 0 and at most 100000")
        for name in ("pull_in_allowance_min", "pull_out_allowance_min", "min_dwell_min"):
            if not 0 <= getattr(self, name) <= 240:
                raise InvalidInput(f"{name.replace('_', ' ').replace(' min', '')} {getattr(self, name)} min: "
                                   "give 0 to 240 minutes")
        check_km(self.pull_in_allowance_km, "pull-in allowance")
        check_km(self.pull_out_allowance_km, "pull-out allowance")
        if (self.latitude is None) != (self.longitude is None):
            raise InvalidInput("a depot's location needs both latitude and longitude")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise InvalidInput(f"latitude {self.latitude}: give -90 to 90 degrees")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise InvalidInput(f"longitude {self.longitude}: give -180 to 180 degrees")
        if not 0 <= self.relief_km <= 20:
            raise InvalidInput(f"relief distance {self.relief_km} km: give 0 to 20 km")
