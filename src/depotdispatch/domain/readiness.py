"""Readiness: the vehicle's projected SoC at a block's pull-out, and how fresh that knowledge is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Protocol

from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.readings import SocReading

# a stay's allowances: (pull-in allowance of the block it comes back from, pull-out allowance of the block it
# leaves for), each as `Depot.allowances` decides it for that block (none at a reading or a yard's mark)
Allow = tuple[timedelta, timedelta]
NO_ALLOW: Allow = (timedelta(0), timedelta(0))
_ZERO = timedelta(0)
_PULL_OUT = attrgetter("pull_out")


@dataclass(frozen=True)
class PriorWork:
    """A block the vehicle runs before this one on the same day (from the plan)."""

    block_id: str
    pull_out: datetime
    pull_in: datetime
    kwh: float
    # energy of the part after the reading, when the reading was taken during this block (odometer-based
    # when known); None: the time share of `kwh`
    kwh_after_reading: float | None = None
    out_allowance: timedelta = timedelta(0)  # `Depot.allowances` of the block
    in_allowance: timedelta = timedelta(0)


@dataclass(frozen=True)
class RemainingWork:
    """What is left of a block at an instant: the share of its time and the km still to run."""

    share: float
    hours: float
    km: float | None
    source: str  # "odometer" | "time"


def remaining_part(pull_out: datetime, pull_in: datetime, distance_km: float | None, at: datetime, *,
                   odometer_km: float | None = None, odometer_start_km: float | None = None) -> RemainingWork:
    """The rest of a block after `at`: distance by the odometer when both ends are known (never below 0
    nor above the plan), else the planned distance times the share of the block's time left."""
    total = (pull_in - pull_out).total_seconds()
    left = min(max((pull_in - at).total_seconds(), 0.0), total) if total > 0 else 0.0
    share = left / total if total > 0 else 0.0
    if distance_km is None:
        return RemainingWork(share, left / 3600, None, "time")
    if odometer_km is not None and odometer_start_km is not None and odometer_km >= odometer_start_km:
        km = min(max(distance_km - (odometer_km - odometer_start_km), 0.0), distance_km)
        return RemainingWork(share, left / 3600, km, "odometer")
    return RemainingWork(share, left / 3600, distance_km * share, "time")


@dataclass(frozen=True)
class Readiness:
    soc_pct: float | None  # projected at pull-out; None without a reading
    at: datetime
    reading: SocReading | None
    reading_age: timedelta | None
    charged_kwh: float = 0.0
    prior_kwh: float = 0.0
    plugged_in: bool = False
    during_block: bool = False  # the reading was taken during the judged block itself: soc_pct is at `at`
    # kWh less than a charger of its own would have given in the same stays (the depot's plan serves others)
    charge_shortfall_kwh: float = 0.0


@dataclass(frozen=True)
class PlugMark:
    """The yard said the vehicle was plugged in (into `charger_id`) or unplugged at `at`."""

    at: datetime
    plugged: bool
    charger_id: str | None = None


@dataclass(frozen=True)
class Standing:
    """Where a projection starts: SoC at `since`, standing at the depot plugged in or not until its next
    pull-out (or, read during a block, out on it). From the latest reading, or from a later yard mark."""

    soc_pct: float
    since: datetime
    plugged: bool
    charger_id: str | None = None
    marked: bool = False  # starts at a yard mark after the reading


def _inside(t: datetime, spans: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(s < t < e for s, e in spans)


def standing(reading: SocReading, marks: Sequence[PlugMark], blocks: Sequence[tuple[datetime, datetime]],
             project: Callable[[Standing, datetime, bool], float]) -> Standing:
    """The plug state readiness starts from: the yard's marks or the reading's own flag, whichever is known
    and latest (DESIGN §12a: the yard and the board agree about a bus the yard plugged in).

    - Each mark after the reading starts a new stay at the mark: plugged (charging from then, already on
      its connector) or unplugged (no charging from then until its next pull-out), with the SoC
      `project(previous, mark time, plugging)` gives. The reading's own flag never counts as plugged for
      the time before a later plug mark (that would give it charge it did not get).
    - A reading that says nothing about the plug takes the state of the latest mark before it, unless a
      pull-out came in between (the bus left that connector).
    - A mark inside one of the vehicle's `blocks` (start, end) is not about the depot: ignored.
    Unknown stays not plugged (the safe assumption).
    """
    marks = sorted((m for m in marks if not _inside(m.at, blocks)), key=lambda m: m.at)
    before = [m for m in marks if m.at <= reading.measured_at]
    plugged, charger = reading.plugged_in, reading.charger_id
    if plugged is None and before and not any(before[-1].at < s <= reading.measured_at for s, _ in blocks):
        plugged, charger = before[-1].plugged, before[-1].charger_id or charger
    st = Standing(reading.soc_pct, reading.measured_at, bool(plugged), charger if plugged else None)
    for m in marks:
        if m.at > reading.measured_at:
            st = Standing(project(st, m.at, m.plugged), m.at, m.plugged, m.charger_id if m.plugged else None, True)
    return st


class StayCharging(Protocol):
    """How much a vehicle charges standing at the depot: `depot_charging.VehicleCharging` (the depot's
    chargers and charging plan, allowances, minimum dwell) or `OwnCharger` (a charger of its own).
    `plugged`: already on its connector at `arrive`; `leaves=False`: unplugged at `depart` (not a pull-out,
    so no pull-out allowance). `own_connectors`: every vehicle is on a connector of its own, so `after_stay`
    is `own_charger` (readiness then asks each stay once)."""

    @property
    def own_connectors(self) -> bool: ...

    def after_stay(self, soc: float, arrive: datetime, depart: datetime, *, plugged: bool = False,
                   leaves: bool = True, allow: Allow = NO_ALLOW) -> float: ...

    def own_charger(self, soc: float, arrive: datetime, depart: datetime, *, plugged: bool = False,
                    leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        """The same stay on a charger of its own (same allowances): what the depot's plan is measured by."""
        ...


@dataclass(frozen=True)
class OwnCharger:
    """A charger of its own the whole time it stands at the depot, no allowances."""

    curve: ChargingCurve
    own_connectors = True  # a class attribute, not a field

    def after_stay(self, soc: float, arrive: datetime, depart: datetime, *, plugged: bool = False,
                   leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        return float(self.curve.soc_after(max(soc, 0.0), max((depart - arrive).total_seconds(), 0.0) / 3600))

    own_charger = after_stay


def readiness_at(at: datetime, now: datetime, reading: SocReading | None, usable_kwh: float,
                 charging: StayCharging | ChargingCurve | None, prior: Sequence[PriorWork] = (), *,
                 start: Standing | None = None, until: str = "pull_out",
                 out_allowance: timedelta = timedelta(0)) -> Readiness:
    """Project from the latest reading (or `start`, see `standing`) to `at`: charge while standing plugged
    in, spend on earlier blocks. The reading's age is always the reading's.

    Standing where the reading (or the yard's later mark) found it, the vehicle charges only when plugged
    in (unknown = not charging: the safe assumption), already on its connector. Back at the depot after an
    earlier block it charges as `charging` allows: on the depot's chargers as the charging plan leaves them
    free, after the pull-in allowance, until the pull-out allowance, in stays of at least the minimum dwell.
    `until`: what happens at `at`: a "pull_out"; an "unplug" (no pull-out allowance before it); a "plug"
    (the yard plugged it in then: after a block it is taken not to have charged before that).
    The allowances are each block's (`PriorWork`; `out_allowance` for the pull-out at `at`).
    """
    if reading is None:
        return Readiness(None, at, None, None)
    if isinstance(charging, ChargingCurve):
        charging = OwnCharger(charging)
    if start is None:
        start = Standing(reading.soc_pct, reading.measured_at, bool(reading.plugged_in), reading.charger_id)
    age = max(now - reading.measured_at, _ZERO)
    soc = start.soc_pct / 100
    charged = short = 0.0
    prior_kwh = 0.0
    cursor = start.since
    plugged = start.plugged
    first = True  # still standing where the reading (or mark) found it (already on its connector, if plugged)
    back_allowance = _ZERO  # the pull-in allowance of the block it came back from
    own = charging is not None and charging.own_connectors  # the shortfall is then 0: not asked
    for work in sorted(prior, key=_PULL_OUT):
        if work.pull_in <= start.since or work.pull_out >= at:
            continue
        if plugged and charging is not None and work.pull_out > cursor:
            before = soc
            allow = (back_allowance, work.out_allowance)
            soc = charging.after_stay(soc, cursor, work.pull_out, plugged=first, allow=allow)
            charged += (soc - before) * usable_kwh
            alone = soc if own else charging.own_charger(before, cursor, work.pull_out, plugged=first, allow=allow)
            short += max(alone - soc, 0.0) * usable_kwh
        spent = work.kwh
        if work.pull_out < start.since:  # read during this block: only its rest is still to spend
            spent = work.kwh_after_reading if work.kwh_after_reading is not None else work.kwh * remaining_part(
                work.pull_out, work.pull_in, 1.0, start.since).share
        soc -= spent / usable_kwh
        prior_kwh += spent
        cursor, back_allowance = work.pull_in, work.in_allowance
        plugged, first = True, False  # back at the depot after a block: it may charge, as `charging` allows
    if until == "plug" and not first:
        plugged = False
    if plugged and charging is not None and at > cursor:
        before = soc
        leaves = until != "unplug"
        if soc > 0:
            allow = (back_allowance, out_allowance)
            soc = charging.after_stay(soc, cursor, at, plugged=first, leaves=leaves, allow=allow)
            alone = soc if own else charging.own_charger(before, cursor, at, plugged=first, leaves=leaves,
                                                         allow=allow)
            short += max(alone - soc, 0.0) * usable_kwh
        charged += max(soc - before, 0.0) * usable_kwh
    return Readiness(round(soc * 100, 2), at, reading, age, round(charged, 2), round(prior_kwh, 2), bool(plugged),
                     charge_shortfall_kwh=round(short, 1))
