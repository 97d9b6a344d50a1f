"""What an earlier board's judgements still hold for the next one (services/board.py): when only readings
and the clock moved, a judgement depends on its vehicle's own inputs, and on the depot's charging plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from depotdispatch.domain.actuals import runner
from depotdispatch.domain.assessment import thresholds
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depot_charging import DepotCharging, plan_anchor
from depotdispatch.domain.hints import Hints
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.status import BlockState
from depotdispatch.domain.viability import Viability
from depotdispatch.services.board_load import Loaded

if TYPE_CHECKING:
    from depotdispatch.services.board import BoardRow


@dataclass
class Kept:
    """An earlier board's rows that still hold, but for the vehicles in `changed`. Taken at `then`: a row kept
    at another `now` gets the one now-dependent figure of a fresh judgement, the reading's age, at `now`."""

    rows: dict[int | None, BoardRow]
    changed: set[str]
    now: datetime
    then: datetime
    hints: bool = True  # the same vehicles busy per day: the free-bus hints may be kept
    hints_of: dict[date, Hints] = field(default_factory=dict)  # what the earlier board's hints were made from
    same_plan: bool = False  # the depot's charging plan is made of the very same inputs as the earlier board's

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
class Moves:
    """Between an earlier board and this one, when only readings and the clock moved: the vehicles whose blocks
    (in the window) or availability moved, the blocks that came into or left the window, and whether the depot's
    charging plan is made of the very same inputs (then it is the very same plan: it is not asked again)."""

    changed: set[str]
    moved_pks: set[int | None]
    same_plan: bool


def moves_since(previous: Loaded | None, data: Loaded, stale: frozenset[str]) -> Moves | None:
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
    return Moves(changed, moved_pks, same_plan)


def kept_judgements(previous: Loaded | None, data: Loaded, moves: Moves | None,
                    earlier: list[BoardRow] | None, charging: Callable[[], DepotCharging] | None = None) -> Kept | None:
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
    return Kept({r.block.pk: r for r in earlier}, changed, now, then, hints=not moves.moved_pks,
                 hints_of=previous.hints, same_plan=moves.same_plan)


