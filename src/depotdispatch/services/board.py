"""The board: for a depot at `now`, the window and every block in it, with status, plan and viability.

The one query behind every screen that lists blocks (DESIGN §4): nothing else filters by time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.assessment import Candidate, FleetJudge, thresholds
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import MAX_ACTUAL_SHIFT, DayBlock
from depotdispatch.domain.depot_charging import DepotCharging, plan_anchor
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.energy import EnergyEstimate
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.hints import Hints, free_bus_hints
from depotdispatch.domain.horizon import Window, horizon, on_board
from depotdispatch.domain.live import LiveRisk
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.readiness import PlugMark
from depotdispatch.domain.readings import SocReading, latest_order
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.status import BlockState, block_status, running_span
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.viability import Viability
from depotdispatch.domain.yard import plug_marks
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class BoardRow:
    block: DayBlock
    state: BlockState
    assignment: Assignment | None
    viability: Viability | None  # only for actionable blocks with a vehicle
    candidate: Candidate | None  # only for actionable blocks without one
    live: LiveRisk | None = None  # only for in-service blocks (DESIGN §3), from live data

    @property
    def can_assign(self) -> bool:
        return can_assign(self.state, self.live)


def can_assign(state: BlockState, live: LiveRisk | None) -> bool:
    """A bus can be put on a block still to come, and on one that started with none (a missed pull-out:
    a spare is sent); never on work done, nor changed on work that is running with a bus."""
    return state.actionable or (live is not None and "no_vehicle" in live.codes)


@dataclass
class Board:
    depot: Depot
    now: datetime
    window: Window
    rows: list[BoardRow]
    plan_versions: dict[date, int] = field(default_factory=dict)
    loaded: Loaded | None = field(default=None, repr=False, compare=False)  # kept for the next board's load

    def days_not_set_up(self) -> list[date]:
        """The window's local dates from today on with no dispatch day: the night dispatcher's "why is
        tomorrow empty?" (yesterday's is left alone: its work is over or in the window only by its late end)."""
        tz = zone(self.depot.timezone)
        first, last = to_local(self.now, tz).date(), to_local(self.window.end, tz).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return [d for d in days if d not in self.plan_versions]


@dataclass
class DayContext:
    """What a day's judgement needs, loaded once."""

    depot: Depot
    blocks: list[DayBlock]
    assignments: dict[int, Assignment]
    judge: FleetJudge
    vehicle_blocks: dict[str, list[DayBlock]]


def load_context(uow: UnitOfWork, depot: Depot, first: date, last: date, now: datetime,
                 window: Window | None = None) -> DayContext:
    blocks = (uow.days.blocks_for_dates(depot.depot_id, first, last) if window is None
              else uow.days.blocks_near(depot.depot_id, window.start, window.end))
    assignments = uow.plans.assignments_for_dates(depot.depot_id, _dates(first, last))
    readings = uow.readings.latest_for_depot(depot.depot_id, now)
    by_pk = {b.pk: b for b in blocks}
    return _context(depot, blocks, assignments, readings, uow.fleet.types(depot.depot_id),
                    uow.fleet.vehicles(depot.depot_id), uow.days.temperatures(depot.depot_id, first, last),
                    _odometer_starts(uow, by_pk, assignments, readings)[0], depot_chargers(uow, depot.depot_id), now,
                    plug_marks(uow.yard.spots(depot.depot_id)), plan_readings(uow, depot.depot_id, now, readings))


def plan_readings(uow: UnitOfWork, depot_id: str, now: datetime, readings: Readings) -> Readings:
    """The readings the depot's charging plan is made from: each vehicle's latest at the plan's anchor
    (domain/depot_charging.plan_anchor), so the plan (cached on its inputs) stays the same all step."""
    anchor = plan_anchor(now)
    if all(r.measured_at <= anchor for r in readings.values()):
        return readings
    return uow.readings.latest_for_depot(depot_id, anchor)


def _context(depot: Depot, blocks: list[DayBlock], assignments: dict[int, Assignment], readings: Readings,
             types: dict[str, VehicleType], vehicles: list[Vehicle], temperatures: Temperatures,
             odometer: dict[tuple[str, int | None], float], chargers: list[Charger] | None,
             now: datetime, plugs: Plugs | None = None, at_anchor: Readings | None = None,
             charging: DepotCharging | None = None, estimates: Estimates | None = None) -> DayContext:
    by_pk = {b.pk: b for b in blocks}
    vehicle_blocks: dict[str, list[DayBlock]] = defaultdict(list)
    for pk, a in assignments.items():
        if pk in by_pk:
            vehicle_blocks[a.vehicle_id].append(by_pk[pk])
    for b in blocks:  # a bus seen on a block the plan gives another is out on it all the same (domain/actuals)
        planned = assignments.get(b.pk or -1)
        if b.actual_vehicle_id is not None and (planned is None or planned.vehicle_id != b.actual_vehicle_id):
            vehicle_blocks[b.actual_vehicle_id].append(b)
    judge = FleetJudge(depot, types, vehicles, readings, now, temperatures, odometer, plan=vehicle_blocks,
                       chargers=chargers, plugs=plugs, plan_readings=at_anchor, charging=charging,
                       estimates=estimates)
    return DayContext(depot, blocks, assignments, judge, vehicle_blocks)


def depot_chargers(uow: UnitOfWork, depot_id: str) -> list[Charger] | None:
    """The chargers readiness may use (the available ones); None when the depot has no charger list, so
    every vehicle is taken to have a connector of its own (DESIGN §12a, domain/depot_charging.py)."""
    if not uow.yard.chargers(depot_id):
        return None
    return uow.yard.chargers(depot_id, available_only=True)


def _odometer_starts(uow: UnitOfWork, by_pk: Mapping[int | None, DayBlock], assignments: dict[int, Assignment],
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


def _dates(first: date, last: date) -> list[date]:
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


def _moved(data: Loaded, previous: Loaded | None, stale: frozenset[str]) -> frozenset[str]:
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
            else _same(uow.plans.assignments_for_dates(depot_id, _dates(first, last)), p, "assignments")
        versions = p.versions if p is not None and kept("versions") and same_days \
            else _same(uow.plans.versions(depot_id, first, last), p, "versions")
        if p is not None and kept("readings") and p.now == now:
            readings = p.readings
        elif p is not None and keep and kept("fleet") and readings_since is not None and now >= p.now:
            # the latest as of `previous.now` and what was measured since, or stored since (measured at or after
            # `readings_since`): the latest as of `now`, without asking every vehicle again
            readings = dict(p.readings)
            for r in uow.readings.measured_between(depot_id, min(readings_since, p.now), now):
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
            odometer, asked = _odometer_starts(uow, {b.pk: b for b in near}, assignments, readings,
                                               p if p is not None and assignments is p.assignments else None, since)
    return Loaded(depot, now, first, last, span, blocks, assignments, versions, readings, types, vehicles,
                  temperatures, chargers, odometer, near, plugs, at_anchor, asked)


def board(uow: UnitOfWork, depot_id: str, now: datetime, *, service_date: date | None = None,
          include_later: bool = False, candidates: bool = True, whole_day: bool = False,
          previous: Loaded | None = None, stale: frozenset[str] = PARTS,
          earlier: list[BoardRow] | None = None, readings_since: datetime | None = None) -> Board:
    """`whole_day` (with a service date): every block of that day, whatever the window; the plan view.
    `previous`/`stale`: what an earlier board of the same query read, and which parts of it changed since;
    `earlier`: that board's rows, whose judgements are kept where nothing they depend on changed."""
    data = load(uow, depot_id, now, service_date, previous, stale, readings_since)
    window = horizon(data.depot, now)
    moves = _moves(previous, data, _moved(data, previous, stale))
    p = previous
    estimates = p.estimates if p is not None and p.estimates is not None and data.depot is p.depot \
        and data.types is p.types and data.temperatures is p.temperatures and data.blocks is p.blocks else {}
    ctx = _context(data.depot, data.near, data.assignments, data.readings, data.types, data.vehicles,
                   data.temperatures, data.odometer, data.chargers, now, data.plugs, data.at_anchor,
                   charging=p.charging if p is not None and moves is not None and moves.same_plan else None,
                   estimates=estimates)
    kept = _kept(previous, data, moves, earlier, lambda: ctx.judge.charging)
    rows = board_rows(ctx, window, now, include_later=include_later, whole_day=whole_day, kept=kept)
    hints = _add_candidates(rows, ctx, kept) if candidates else {}
    # the plan this board's judgements were made with (chargers only), its estimates and hints, for the next board
    data = replace(data, charging=ctx.judge.charging if data.chargers is not None else None, estimates=estimates,
                   hints=hints)
    return Board(data.depot, now, window, rows, data.versions, data)


@dataclass
class _Kept:
    """An earlier board's rows that still hold, but for the vehicles in `changed`. Taken at `then`: a row kept
    at another `now` gets the one now-dependent figure of a fresh judgement, the reading's age, at `now`."""

    rows: dict[int | None, BoardRow]
    changed: set[str]
    now: datetime
    then: datetime
    hints: bool = True  # the same vehicles busy per day: the free-bus hints may be kept
    hints_of: dict[date, Hints] = field(default_factory=dict)  # what the earlier board's hints were made from

    def same(self, vehicle_id: str) -> bool:
        """The vehicle's inputs did not move: what was worked out for it holds (its reading's age aside)."""
        return vehicle_id not in self.changed

    def row(self, block: DayBlock, state: BlockState, assignment: Assignment | None) -> BoardRow | None:
        old = self.rows.get(block.pk)
        if old is None or old.block is not block or old.state != state or old.assignment != assignment:
            return None
        vid = runner(block, assignment.vehicle_id if assignment else None)
        return None if vid in self.changed else old

    def age(self, viability: Viability) -> Viability:
        """`viability`, judged at any earlier moment, as at `now` (a free-bus hint's judgement may be older than
        `then`): the reading's age brought up to date, the same object when it is."""
        r = viability.readiness
        if r is None or r.reading is None:
            return viability
        age = max(self.now - r.reading.measured_at, timedelta(0))
        return viability if r.reading_age == age else replace(viability, readiness=replace(r, reading_age=age))

    def aged(self, viability: Viability | None) -> Viability | None:
        """`viability` as judged at `now`: only the reading's age moves (the vehicle's reading is fresh at both)."""
        r = viability.readiness if viability is not None else None
        if self.now == self.then or r is None or r.reading is None or viability is None:
            return viability
        return replace(viability, readiness=replace(r, reading_age=max(self.now - r.reading.measured_at,
                                                                       timedelta(0))))


@dataclass
class _Moves:
    """Between an earlier board and this one, when only readings and the clock moved: the vehicles whose blocks
    (in the window) or availability moved, the blocks that came into or left the window, and whether the depot's
    charging plan is made of the very same inputs (then it is the very same plan: it is not asked again)."""

    changed: set[str]
    moved_pks: set[int | None]
    same_plan: bool


def _moves(previous: Loaded | None, data: Loaded, stale: frozenset[str]) -> _Moves | None:
    """None when more than readings (and the clock) changed, or the plan did: nothing is kept then."""
    if previous is None or not stale <= {"readings"} or data.assignments is not previous.assignments:
        return None
    then, now = previous.now, data.now
    was = {b.pk: b for b in previous.near}
    moved_pks = set(was) ^ {b.pk for b in data.near} | {b.pk for b in data.near if was.get(b.pk, b) is not b}
    changed = {a.vehicle_id for pk, a in data.assignments.items() if pk in moved_pks}  # its chain moved
    # and the bus seen on such a block, before and after (its day holds the block: domain/actuals.runner)
    changed |= {b.actual_vehicle_id for b in (*previous.near, *data.near)
                if b.pk in moved_pks and b.actual_vehicle_id is not None}
    changed |= {v.vehicle_id for v in data.vehicles if v.availability_at(then) != v.availability_at(now)}
    # the plan's inputs (issue 14's plan cache): the chargers and marks, the anchor, the readings at it, every
    # vehicle's blocks and availability (the depot, fleet and temperatures did not move: `stale`)
    same_plan = (data.chargers is None and previous.chargers is None) or (
        previous.charging is not None and data.chargers == previous.chargers and data.at_anchor == previous.at_anchor
        and plan_anchor(then) == plan_anchor(now) and not changed)
    return _Moves(changed, moved_pks, same_plan)


def _kept(previous: Loaded | None, data: Loaded, moves: _Moves | None,
          earlier: list[BoardRow] | None, charging: Callable[[], DepotCharging] | None = None) -> _Kept | None:
    """When only readings (and the clock) changed, a judgement depends on its vehicle's own inputs: its reading
    (and odometer at pull-out), its blocks in the plan, its availability, and on `now` only through whether
    its reading is stale (`stale_after`, hours) and the reading's age; plus, with a charger list, the depot's
    charging plan, the same while its inputs are (`_moves`). Keep the earlier judgements of every vehicle
    whose inputs did not move and whose reading is fresh at both moments (status and horizon are worked out
    anew each time)."""
    if previous is None or earlier is None or moves is None:
        return None
    then, now = previous.now, data.now
    changed = set(moves.changed)
    if not moves.same_plan:
        # the plan's inputs moved (a block left the window, the anchor moved...): the same plan all the same?
        # (it is cached on its inputs as the plan sees them: the very same object when they are the same)
        if charging is None or previous.charging is None or charging() is not previous.charging:
            return None
    changed |= {v for v in set(previous.readings) | set(data.readings)
                if previous.readings.get(v) != data.readings.get(v)}
    changed |= {v for (v, pk) in set(previous.odometer) | set(data.odometer)
                if previous.odometer.get((v, pk)) != data.odometer.get((v, pk))}
    if then != now:
        types = {v.vehicle_id: data.types.get(v.vehicle_type) for v in data.vehicles}
        for vid, reading in data.readings.items():
            vtype = types.get(vid)
            limit = thresholds(data.depot, vtype).stale_after if vtype is not None else None
            if limit is None or max(then, now) - reading.measured_at > limit:
                changed.add(vid)  # stale at one of the moments: its words say how old: judged again
    return _Kept({r.block.pk: r for r in earlier}, changed, now, then, hints=not moves.moved_pks,
                 hints_of=previous.hints)


def board_rows(ctx: DayContext, window: Window, now: datetime, *, include_later: bool = False,
               whole_day: bool = False, kept: _Kept | None = None) -> list[BoardRow]:
    """The rows of the board: pure, so the status and horizon rules can be checked on their own.
    Plan-time viability only for blocks that are still actionable (DESIGN §3)."""
    rows = []
    for block in ctx.blocks:
        state = block_status(block, now, window.end)
        if not (whole_day or on_board(block, window) or (include_later and state.status == "later")):
            continue
        assignment = ctx.assignments.get(block.pk or -1)
        old = kept.row(block, state, assignment) if kept is not None else None
        viability = live = None
        if old is not None and kept is not None:
            viability, live = kept.aged(old.viability), old.live
        else:
            if assignment is not None and state.actionable:
                viability = ctx.judge.judge(assignment.vehicle_id, block, ctx.vehicle_blocks[assignment.vehicle_id])
            if state.status == "in_service":
                # the vehicle on it: the one live data saw on it, else the plan's (no_vehicle only when neither)
                live = ctx.judge.live_risk(block, runner(block, assignment.vehicle_id if assignment else None))
        rows.append(BoardRow(block, state, assignment, viability, None, live))
    # a block that started with no vehicle is a missed pull-out: first on the board (stable otherwise)
    rows.sort(key=lambda r: 0 if r.live is not None and "no_vehicle" in r.live.codes else 1)
    return rows


def _add_candidates(rows: list[BoardRow], ctx: DayContext, kept: _Kept | None = None) -> dict[date, Hints]:
    """Each open row's free-bus hint (domain/hints.py), per service day; returns what each day's were worked
    out from, for the next board (from `kept`'s, for the vehicles whose inputs did not move)."""
    open_rows = [r for r in rows if r.state.actionable and r.assignment is None]
    busy_on: dict[date, set[str]] = defaultdict(set)
    by_pk = {b.pk: b for b in ctx.blocks}
    for pk, a in ctx.assignments.items():
        if pk in by_pk:
            busy_on[by_pk[pk].service_date].add(a.vehicle_id)
    by_date: dict[date, list[BoardRow]] = defaultdict(list)
    for r in open_rows:
        by_date[r.block.service_date].append(r)
    made: dict[date, Hints] = {}
    for day, day_rows in by_date.items():
        idle = [v for v in ctx.judge.vehicles if v not in busy_on[day]]
        earlier = kept.hints_of.get(day) if kept is not None else None
        if kept is not None and earlier is not None and kept.hints and not kept.changed & set(idle):
            # the same open blocks (the plan did not change, nor did the clock open or close one) and no idle
            # vehicle read anew: the same hints
            olds = [kept.rows.get(r.block.pk) for r in day_rows]
            was_open = {r.block.pk for r in kept.rows.values() if r.block.service_date == day
                        and r.state.actionable and r.assignment is None}
            if was_open == {r.block.pk for r in day_rows} and all(
                    o is not None and o.block is r.block for o, r in zip(olds, day_rows, strict=True)):
                for r, o in zip(day_rows, olds, strict=True):
                    c = o.candidate if o is not None else None
                    v = kept.aged(c.viability) if c is not None else None
                    r.candidate = c if c is None or v is c.viability or v is None else Candidate(c.vehicle_id, v)
                made[day] = earlier
                continue
        hints = free_bus_hints(ctx.judge, [r.block for r in day_rows], idle, earlier,
                               None if kept is None else kept.same, kept.age if kept is not None else lambda v: v)
        for r in day_rows:
            r.candidate = hints.best.get(r.block.block_id)
        made[day] = hints
    return made
