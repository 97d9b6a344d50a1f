"""The board: for a depot at `now`, the window and every block in it, with status, plan and viability.

The one query behind every screen that lists blocks (DESIGN §4): nothing else filters by time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from depotdispatch.domain.assessment import Candidate, FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.horizon import Window, horizon, on_board
from depotdispatch.domain.live import LiveRisk, running_span
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.status import BlockState, block_status
from depotdispatch.domain.viability import Viability
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
    vehicle_blocks: dict[str, list[DayBlock]] = defaultdict(list)
    for pk, a in assignments.items():
        if pk in by_pk:
            vehicle_blocks[a.vehicle_id].append(by_pk[pk])
    judge = FleetJudge(depot, uow.fleet.types(depot.depot_id), uow.fleet.vehicles(depot.depot_id), readings, now,
                       uow.days.temperatures(depot.depot_id, first, last),
                       _odometer_starts(uow, by_pk, assignments, readings), plan=vehicle_blocks,
                       chargers=depot_chargers(uow, depot.depot_id))
    return DayContext(depot, blocks, assignments, judge, vehicle_blocks)


def depot_chargers(uow: UnitOfWork, depot_id: str) -> list[Charger] | None:
    """The chargers readiness may use (the available ones); None when the depot has no charger list, so
    every vehicle is taken to have a connector of its own (DESIGN §12a, domain/depot_charging.py)."""
    if not uow.yard.chargers(depot_id):
        return None
    return uow.yard.chargers(depot_id, available_only=True)


def _odometer_starts(uow: UnitOfWork, by_pk: dict, assignments: dict[int, Assignment],  # type: ignore[type-arg]
                     readings: dict) -> dict[tuple[str, int | None], float]:  # type: ignore[type-arg]
    """For a vehicle whose latest reading (with an odometer) was taken during one of its blocks: the
    odometer at that block's pull-out, so the distance left can be measured instead of assumed."""
    out: dict[tuple[str, int | None], float] = {}
    for pk, a in assignments.items():
        block, reading = by_pk.get(pk), readings.get(a.vehicle_id)
        if block is None or reading is None or reading.odometer_km is None:
            continue
        start, end = running_span(block)
        if start < reading.measured_at < end:
            km = uow.readings.odometer_at(a.vehicle_id, start)
            if km is not None:
                out[(a.vehicle_id, pk)] = km
    return out


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def board(uow: UnitOfWork, depot_id: str, now: datetime, *, service_date: date | None = None,
          include_later: bool = False, candidates: bool = True, whole_day: bool = False) -> Board:
    """`whole_day` (with a service date): every block of that day, whatever the window; the plan view."""
    with uow:
        depot = require_depot(uow, depot_id)
        window = horizon(depot, now)
        tz = zone(depot.timezone)
        if service_date is None:
            # a service day's work starts before its local midnight at the earliest and may run past
            # the next one: look a day either side, then let the horizon decide
            first = to_local(window.start, tz).date() - timedelta(days=2)
            last = to_local(window.end, tz).date() + timedelta(days=1)
        else:
            first = last = service_date
        ctx = load_context(uow, depot, first, last, now, window if service_date is None else None)
        versions = uow.plans.versions(depot_id, first, last)
    rows = board_rows(ctx, window, now, include_later=include_later, whole_day=whole_day)
    if candidates:
        _add_candidates(rows, ctx)
    return Board(depot, now, window, rows, versions)


def board_rows(ctx: DayContext, window: Window, now: datetime, *, include_later: bool = False,
               whole_day: bool = False) -> list[BoardRow]:
    """The rows of the board: pure, so the status and horizon rules can be checked on their own.
    Plan-time viability only for blocks that are still actionable (DESIGN §3)."""
    rows = []
    for block in ctx.blocks:
        state = block_status(block, now, window.end)
        if not (whole_day or on_board(block, window) or (include_later and state.status == "later")):
            continue
        assignment = ctx.assignments.get(block.pk or -1)
        viability = live = None
        if assignment is not None and state.actionable:
            viability = ctx.judge.judge(assignment.vehicle_id, block, ctx.vehicle_blocks[assignment.vehicle_id])
        if state.status == "in_service":
            # the vehicle on it: the plan's, else the one live data saw on it (no_vehicle only when neither)
            live = ctx.judge.live_risk(block, assignment.vehicle_id if assignment else block.actual_vehicle_id)
        rows.append(BoardRow(block, state, assignment, viability, None, live))
    # a block that started with no vehicle is a missed pull-out: first on the board (stable otherwise)
    rows.sort(key=lambda r: 0 if r.live is not None and "no_vehicle" in r.live.codes else 1)
    return rows


def _add_candidates(rows: list[BoardRow], ctx: DayContext) -> None:
    open_rows = [r for r in rows if r.state.actionable and r.assignment is None]
    busy_on: dict[date, set[str]] = defaultdict(set)
    by_pk = {b.pk: b for b in ctx.blocks}
    for pk, a in ctx.assignments.items():
        if pk in by_pk:
            busy_on[by_pk[pk].service_date].add(a.vehicle_id)
    by_date: dict[date, list[BoardRow]] = defaultdict(list)
    for r in open_rows:
        by_date[r.block.service_date].append(r)
    for day, day_rows in by_date.items():
        idle = [v for v in ctx.judge.vehicles if v not in busy_on[day]]
        best = ctx.judge.best_candidates([r.block for r in day_rows], idle)
        for r in day_rows:
            r.candidate = best.get(r.block.block_id)


class BoardCache:
    """Boards computed once and shared: keyed on the change feed's position (every committed announce moves
    it, whichever process made it), the depot, the query and `now` to the second. Requests that ask for
    the same board at once wait for the first one's result (a change reaching N open boards costs one
    board, not N). An entry also expires after `max_age_s` of wall time: a writer that forgot to announce
    is seen all the same. Callers get the same Board object: they read it, never change it."""

    def __init__(self, version: Callable[[], int], *, size: int = 16, max_age_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, compute: Callable[..., Board] | None = None) -> None:
        self._version = version
        self._compute = compute or board
        self._size = size
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: OrderedDict[tuple[object, ...], _Slot] = OrderedDict()
        self.hits = self.misses = 0

    def board(self, uow: UnitOfWork, depot_id: str, now: datetime, **options: Any) -> Board:
        at = now.replace(microsecond=0)
        key = (self._version(), depot_id, at, tuple(sorted(options.items())))
        with self._lock:
            slot = self._slots.get(key)
            if slot is not None and slot.done.is_set() and self._clock() - slot.made > self._max_age_s:
                slot = None
            mine = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot(self._clock())
                while len(self._slots) > self._size:
                    self._slots.popitem(last=False)
                self.misses += 1
            else:
                self._slots.move_to_end(key)
                self.hits += 1
        if mine:
            try:
                slot.value = self._compute(uow, depot_id, at, **options)
            except BaseException as exc:
                slot.error = exc
                with self._lock:
                    self._slots.pop(key, None)
                raise
            finally:
                slot.made = self._clock()
                slot.done.set()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.value is not None
        return slot.value


@dataclass
class _Slot:
    made: float
    done: threading.Event = field(default_factory=threading.Event)
    value: Board | None = None
    error: BaseException | None = None
