"""What a board reads (services/board.py), in parts, and which of them an earlier board's read still holds.

A change reloads only the parts it touched (services/board_cache.py); a part read again that comes out the
same is the very same object, so what was judged from it may be kept (services/board_keep.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import MAX_ACTUAL_SHIFT, DayBlock
from depotdispatch.domain.depot_charging import DepotCharging, plan_anchor
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.energy import EnergyEstimate
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.hints import Hints
from depotdispatch.domain.horizon import horizon
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.readiness import PlugMark
from depotdispatch.domain.readings import SocReading, latest_order
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.status import running_span
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.yard import plug_marks
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


def plan_readings(uow: UnitOfWork, depot_id: str, now: datetime, readings: Readings) -> Readings:
    """The readings the depot's charging plan is made from: each vehicle's latest at the plan's anchor
    (domain/depot_charging.plan_anchor), so the plan (cached on its inputs) stays the same all step."""
    anchor = plan_anchor(now)
    if all(r.measured_at <= anchor for r in readings.values()):
        return readings
    return uow.readings.latest_for_depot(depot_id, anchor)


def depot_chargers(uow: UnitOfWork, depot_id: str) -> list[Charger] | None:
    """The chargers readiness may use (the available ones); None when the depot has no charger list, so
    every vehicle is taken to have a connector of its own (DESIGN §12a, domain/depot_charging.py)."""
    if not uow.yard.chargers(depot_id):
        return None
    return uow.yard.chargers(depot_id, available_only=True)


def odometer_starts(uow: UnitOfWork, by_pk: Mapping[int | None, DayBlock], assignments: dict[int, Assignment],
                    readings: Mapping[str, SocReading], previous: Loaded | None = None,
                    since: datetime | None = None) -> tuple[dict[tuple[str, int | None], float],
                                                            dict[tuple[str, int | None], datetime]]:
    """For a vehicle whose latest reading (with an odometer) was taken during one of its blocks: the
    odometer at that block's pull-out, so the distance left can be measured instead of assumed. With
    `previous` (the same plan) and `since` (every reading stored since was measured at or after it), a
    pull-out before `since` keeps what `previous` looked up: no reading from before it came in."""
    out: dict[tuple[str, int | None], float] = {}
    asked: dict[tuple[str, int | None], datetime] = {}
    ask: list[tuple[str, int | None]] = []
    for pk, block in by_pk.items():
        a = assignments.get(pk or -1)
        vid = runner(block, a.vehicle_id if a else None)
        reading = readings.get(vid) if vid is not None else None
        if vid is None or reading is None or reading.odometer_km is None:
            continue
        start, end = running_span(block)
        if start < reading.measured_at < end:
            key = (vid, pk)
            asked[key] = start
            if previous is not None and since is not None and start < since \
                    and previous.odometer_asked.get(key) == start:
                km = previous.odometer.get(key)
                if km is not None:
                    out[key] = km
            else:
                ask.append(key)
    for looked, km in zip(ask, uow.readings.odometers_at([(v, asked[(v, pk)]) for v, pk in ask]) if ask else [],
                          strict=True):
        if km is not None:
            out[looked] = km
    return out, asked


def dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


Readings = dict[str, SocReading]
Temperatures = dict[date, float | TemperatureProfile]
Plugs = dict[str, tuple[PlugMark, ...]]
Estimates = dict[tuple[str, str, int | None], EnergyEstimate | None]
# What a board reads, in parts: a change reloads only the parts it touched (services/board_cache.py).
PARTS = frozenset({"depot", "blocks", "assignments", "versions", "readings", "fleet", "temperatures", "chargers"})
# Blocks are loaded this far beyond what the window needs, so the window moving with the clock can reuse them.
_BLOCK_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class Loaded:
    """What one board read from the database, at `now`. `blocks` are every block near `span` (planned span
    within ACTUALS_SLACK of it) when `span` is set, else every block of the days `first`..`last`."""

    depot: Depot
    now: datetime
    first: date
    last: date
    span: tuple[datetime, datetime] | None
    blocks: list[DayBlock]
    assignments: dict[int, Assignment]
    versions: dict[date, int]
    readings: Readings
    types: dict[str, VehicleType]
    vehicles: list[Vehicle]
    temperatures: Temperatures
    chargers: list[Charger] | None
    odometer: dict[tuple[str, int | None], float]
    near: list[DayBlock]  # the blocks this board's window needs, from `blocks`
    plugs: Plugs = field(default_factory=dict)  # the yard's plug marks (read with the chargers)
    at_anchor: Readings | None = None  # the readings the charging plan is made from (`plan_readings`)
    # the (vehicle, block) pairs whose odometer at pull-out was looked up (found or not: `odometer` has the found)
    odometer_asked: dict[tuple[str, int | None], datetime] = field(default_factory=dict)
    charging: DepotCharging | None = None  # the depot's charging plan the board was judged with (chargers only)
    # the energy estimates the board's judge made: the next board shares them while what they are made of
    # (the depot, the types, the temperatures, the blocks) is the very same
    estimates: Estimates | None = field(default=None, compare=False)
    hints: dict[date, Hints] = field(default_factory=dict, compare=False)  # what its free-bus hints were made from


def _same(new: _T, previous: Loaded | None, name: str) -> _T:
    """`previous`'s `name` when `new` equals it, else `new`."""
    old = getattr(previous, name) if previous is not None else None
    return old if old is not None and (old is new or new == old) else new


_T = TypeVar("_T")
# the fields of Loaded each part is read into
_FIELDS = {"depot": ("depot",), "blocks": ("blocks",), "assignments": ("assignments",), "versions": ("versions",),
           "readings": ("readings",), "fleet": ("types", "vehicles"), "temperatures": ("temperatures",),
           "chargers": ("chargers", "plugs")}


def moved_parts(data: Loaded, previous: Loaded | None, stale: frozenset[str]) -> frozenset[str]:
    """The parts read again that did not come out the very same (`_same`)."""
    if previous is None:
        return stale
    return frozenset(part for part in stale
                     if any(getattr(data, f) is not getattr(previous, f) for f in _FIELDS.get(part, (part,))))


def _near(blocks: list[DayBlock], start: datetime, end: datetime) -> list[DayBlock]:
    """The blocks `blocks_near(start, end)` returns (the same rule, in memory; order kept)."""
    return [b for b in blocks if b.pull_out <= end + MAX_ACTUAL_SHIFT and b.pull_in >= start - MAX_ACTUAL_SHIFT]


def load(uow: UnitOfWork, depot_id: str, now: datetime, service_date: date | None = None,
         previous: Loaded | None = None, stale: frozenset[str] = PARTS,
         readings_since: datetime | None = None) -> Loaded:
    """Read what a board needs; from `previous` (the same depot and query) keep every part not `stale`
    that still applies at `now` (readings are read again whenever `now` moves: they depend on it).
    `readings_since`: every reading stored since `previous` was measured at or after it (None: unknown), so
    what `previous` read as of an earlier instant (the plan's anchor, a block's pull-out) still holds."""
    keep = previous is not None and "depot" not in stale

    def kept(part: str) -> bool:
        return keep and part not in stale

    with uow:
        p = previous
        # a part read again that came out the same is the same part (what was judged from it may be kept)
        depot = p.depot if keep and p is not None else _same(require_depot(uow, depot_id), p, "depot")
        window = horizon(depot, now)
        if service_date is None:
            # a service day's work starts before its local midnight at the earliest and may run past
            # the next one: look a day either side, then let the horizon decide
            tz = zone(depot.timezone)
            first = to_local(window.start, tz).date() - timedelta(days=2)
            last = to_local(window.end, tz).date() + timedelta(days=1)
        else:
            first = last = service_date
        same_days = previous is not None and (previous.first, previous.last) == (first, last)
        span = None
        if service_date is None:
            if previous is not None and previous.span is not None \
                    and previous.span[0] <= window.start and window.end <= previous.span[1]:
                span = previous.span
                blocks = previous.blocks if kept("blocks") \
                    else _same(uow.days.blocks_near(depot_id, *span), previous, "blocks")
            else:
                span = (window.start - _BLOCK_MARGIN, window.end + _BLOCK_MARGIN)
                blocks = uow.days.blocks_near(depot_id, *span)
            near = previous.near if previous is not None and blocks is previous.blocks and previous.now == now \
                else _near(blocks, window.start, window.end)
        elif kept("blocks") and same_days and previous is not None:
            blocks = near = previous.blocks
        else:
            blocks = near = _same(uow.days.blocks_for_dates(depot_id, first, last),
                                  previous if same_days else None, "blocks")
        assignments = p.assignments if p is not None and kept("assignments") and same_days \
            else _same(uow.plans.assignments_for_dates(depot_id, dates(first, last)), p, "assignments")
        versions = p.versions if p is not None and kept("versions") and same_days \
            else _same(uow.plans.versions(depot_id, first, last), p, "versions")
        if p is not None and kept("readings") and p.now == now:
            readings = p.readings
        elif p is not None and keep and kept("fleet") and readings_since is not None and now >= p.now:
            # the latest as of `previous.now` and what was measured since, or stored since (measured at or after
            # `readings_since`): the latest as of `now`, without asking every vehicle again
            readings = dict(p.readings)
            for r in uow.readings.latest_between(depot_id, min(readings_since, p.now), now).values():
                old = readings.get(r.vehicle_id)
                if old is None or latest_order(r) > latest_order(old):
                    readings[r.vehicle_id] = r
            readings = _same(readings, p, "readings")
        else:
            readings = _same(uow.readings.latest_for_depot(depot_id, now), p, "readings")
        types, vehicles = ((p.types, p.vehicles) if p is not None and kept("fleet")
                           else (_same(uow.fleet.types(depot_id), p, "types"),
                                 _same(uow.fleet.vehicles(depot_id), p, "vehicles")))
        temperatures = p.temperatures if p is not None and kept("temperatures") and same_days \
            else _same(uow.days.temperatures(depot_id, first, last), p, "temperatures")
        chargers = p.chargers if p is not None and kept("chargers") \
            else _same(depot_chargers(uow, depot_id), p, "chargers")
        plugs = p.plugs if p is not None and kept("chargers") \
            else _same(plug_marks(uow.yard.spots(depot_id)), p, "plugs")
        anchor = plan_anchor(now)
        since = readings_since if p is not None else None
        if p is not None and p.at_anchor is not None and plan_anchor(p.now) == anchor and (
                (readings is p.readings and "readings" not in stale) or (since is not None and since > anchor)):
            at_anchor = p.at_anchor  # no reading as of the anchor came in since
        else:
            at_anchor = plan_readings(uow, depot_id, now, readings)
        if p is not None and blocks is p.blocks and assignments is p.assignments and readings is p.readings \
                and "readings" not in stale:
            odometer, asked = p.odometer, p.odometer_asked
        else:
            odometer, asked = odometer_starts(uow, {b.pk: b for b in near}, assignments, readings,
                                              p if p is not None and assignments is p.assignments else None, since)
    return Loaded(depot, now, first, last, span, blocks, assignments, versions, readings, types, vehicles,
                  temperatures, chargers, odometer, near, plugs, at_anchor, asked)


