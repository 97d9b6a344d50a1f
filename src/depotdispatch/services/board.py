"""The board: for a depot at `now`, the window and every block in it, with status, plan and viability.

The one query behind every screen that lists blocks (DESIGN §4): nothing else filters by time. What it
reads, in parts an earlier board's read may keep: services/board_load.py; which of an earlier board's
judgements still hold: services/board_keep.py; boards shared and made from what changed: board_cache.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.assessment import Candidate, FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depot_charging import DepotCharging
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.hints import Hints, free_bus_hints
from depotdispatch.domain.horizon import Window, horizon, on_board
from depotdispatch.domain.live import LiveRisk
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.status import BlockState, block_status
from depotdispatch.domain.viability import Viability
from depotdispatch.domain.yard import plug_marks
from depotdispatch.services.board_keep import Kept, kept_judgements, moves_since
from depotdispatch.services.board_load import (
    PARTS,
    Estimates,
    Loaded,
    Plugs,
    Readings,
    Temperatures,
    dates,
    depot_chargers,
    load,
    moved_parts,
    odometer_starts,
    plan_readings,
)
from depotdispatch.services.unit_of_work import UnitOfWork

__all__ = ["PARTS", "Board", "BoardRow", "DayContext", "Loaded", "board", "board_rows", "can_assign",
           "depot_chargers", "load", "load_context", "plan_readings"]


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
    assignments = uow.plans.assignments_for_dates(depot.depot_id, dates(first, last))
    readings = uow.readings.latest_for_depot(depot.depot_id, now)
    by_pk = {b.pk: b for b in blocks}
    return _context(depot, blocks, assignments, readings, uow.fleet.types(depot.depot_id),
                    uow.fleet.vehicles(depot.depot_id), uow.days.temperatures(depot.depot_id, first, last),
                    odometer_starts(uow, by_pk, assignments, readings)[0], depot_chargers(uow, depot.depot_id), now,
                    plug_marks(uow.yard.spots(depot.depot_id)), plan_readings(uow, depot.depot_id, now, readings))


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


def board(uow: UnitOfWork, depot_id: str, now: datetime, *, service_date: date | None = None,
          include_later: bool = False, candidates: bool = True, whole_day: bool = False,
          previous: Loaded | None = None, stale: frozenset[str] = PARTS,
          earlier: list[BoardRow] | None = None, readings_since: datetime | None = None,
          defer_hints: bool = False) -> Board:
    """`whole_day` (with a service date): every block of that day, whatever the window; the plan view.
    `previous`/`stale`: what an earlier board of the same query read, and which parts of it changed since;
    `earlier`: that board's rows, whose judgements are kept where nothing they depend on changed.
    `defer_hints`: the free-bus hints' own charging plan, when the hinted buses changed, is not made here
    (domain/hints.py `defer`; the board cache's background makes it)."""
    data = load(uow, depot_id, now, service_date, previous, stale, readings_since)
    window = horizon(data.depot, now)
    moves = moves_since(previous, data, moved_parts(data, previous, stale))
    p = previous
    estimates = p.estimates if p is not None and p.estimates is not None and data.depot is p.depot \
        and data.types is p.types and data.temperatures is p.temperatures and data.blocks is p.blocks else {}
    ctx = _context(data.depot, data.near, data.assignments, data.readings, data.types, data.vehicles,
                   data.temperatures, data.odometer, data.chargers, now, data.plugs, data.at_anchor,
                   charging=p.charging if p is not None and moves is not None and moves.same_plan else None,
                   estimates=estimates)
    kept = kept_judgements(previous, data, moves, earlier, lambda: ctx.judge.charging)
    rows = board_rows(ctx, window, now, include_later=include_later, whole_day=whole_day, kept=kept)
    hints = _add_candidates(rows, ctx, kept, defer_hints) if candidates else {}
    # the plan this board's judgements were made with (chargers only), its estimates and hints, for the next board
    data = replace(data, charging=ctx.judge.charging if data.chargers is not None else None, estimates=estimates,
                   hints=hints)
    return Board(data.depot, now, window, rows, data.versions, data)


def board_rows(ctx: DayContext, window: Window, now: datetime, *, include_later: bool = False,
               whole_day: bool = False, kept: Kept | None = None) -> list[BoardRow]:
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


def _add_candidates(rows: list[BoardRow], ctx: DayContext, kept: Kept | None = None,
                    defer: bool = False) -> dict[date, Hints]:
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
        if kept is not None and earlier is not None and kept.hints and not kept.changed & set(idle) \
                and not (earlier.deferred and not defer):  # deferred hints are made exactly when asked
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
                    r.candidate = c if c is None or v is c.viability or v is None else replace(c, viability=v)
                made[day] = earlier
                continue
        hints = free_bus_hints(ctx.judge, [r.block for r in day_rows], idle, earlier,
                               None if kept is None else kept.same, kept.age if kept is not None else lambda v: v,
                               plan=ctx.vehicle_blocks, same_plan=kept is not None and kept.same_plan,
                               defer=defer)
        for r in day_rows:
            r.candidate = hints.best.get(r.block.block_id)
        made[day] = hints
    return made
