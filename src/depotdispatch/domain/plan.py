"""The plan of a dispatch day: assignments block -> vehicle, versioned for optimistic concurrency.

`DayPlan` is the aggregate (DESIGN §2 "Plan", §5 "Rules of the plan that no override relaxes"): it decides
assign, unassign, accept and apply, the one version step a change makes and the events it produces.
Services load it, hand it the viability the fleet judge found, and save what it decided; no other code
writes assignments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.days import DayBlock, find_block
from depotdispatch.domain.errors import InvalidInput, NotFound, PlanRuleBroken, StaleVersion, UnacknowledgedWarnings
from depotdispatch.domain.events import Event
from depotdispatch.domain.status import BlockState
from depotdispatch.domain.turnaround import OVERLAP, DoubleBooking, double_bookings
from depotdispatch.domain.viability import REASON_STATUS, Reason, Viability, worst
from depotdispatch.domain.words import AssignmentSource, BlockStatus, EventKind, ReasonCode, ViabilityStatus, word

ASSIGNMENT_SOURCES = tuple(AssignmentSource)
# what a re-plan may move (DESIGN §12b): what the recommendation or a sheet put on a block, never a hand choice
MOVABLE = (AssignmentSource.RECOMMENDED, AssignmentSource.IMPORTED)


@dataclass(frozen=True)
class Assignment:
    block_id: str
    vehicle_id: str
    source: AssignmentSource = AssignmentSource.MANUAL  # a plain string is taken and checked (below)
    actor: str = "local-admin"
    assigned_at: datetime | None = None
    override_reason: str | None = None
    acknowledged: tuple[str, ...] = field(default_factory=tuple)  # reason codes the operator accepted
    block_pk: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.source, AssignmentSource):  # DESIGN §2: checked where made, in a sentence
            object.__setattr__(self, "source", word(AssignmentSource, self.source, "source"))

    @property
    def is_override(self) -> bool:
        return self.override_reason is not None


@dataclass(frozen=True)
class StoredRecommendation:
    recommendation_id: int
    plan_version: int
    created_at: datetime
    proposals: tuple[dict[str, str], ...]  # {"block_id", "vehicle_id", "explanation"}
    uncovered: tuple[dict[str, str], ...]
    change_outs: tuple[dict[str, Any], ...] = ()  # suggested splits, accepted later by block (services/change_outs)
    moves: tuple[dict[str, Any], ...] = ()  # a re-plan's moves (services/replan), accepted later by block
    kind: str = "recommendation"  # or "replan"


@dataclass(frozen=True)
class Item:
    """One change in a batch: a vehicle for a block, or None to take it off."""

    block_id: str
    vehicle_id: str | None
    acknowledged: tuple[str, ...] = ()
    reason: str | None = None
    verdict: str | None = None  # viability when the change was decided: kept on the event (warning accuracy)


@dataclass
class BatchResult:
    plan_version: int
    applied: list[str] = field(default_factory=list)  # block ids changed
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"block_id", "reason"}
    # accepting advice: how many of its proposals and change-outs are still open to accept (their block has no
    # bus yet); None where that does not apply
    left: int | None = None


def assignment_doc(a: Assignment | None) -> dict[str, object] | None:
    """An assignment as events and responses carry it."""
    if a is None:
        return None
    return {"vehicle_id": a.vehicle_id, "source": a.source, "actor": a.actor,
            "assigned_at": a.assigned_at.isoformat() if a.assigned_at else None,
            "override_reason": a.override_reason, "acknowledged": list(a.acknowledged)}


def warning_codes(v: Viability) -> list[str]:
    """Codes an operator has to acknowledge: everything that is not plain information."""
    return [r.code for r in v.reasons if REASON_STATUS.get(r.code) != ViabilityStatus.OK]


def verdict_of(codes: Iterable[str]) -> ViabilityStatus:
    """The viability status a set of acknowledged codes stands for (no viability reason: ok); codes that
    are not about viability (a duplicate sheet row, say) do not count."""
    return worst([REASON_STATUS[c] for c in codes if c in REASON_STATUS])


def check_version(current: int, version: int | None) -> None:
    """Optimistic concurrency: a change names the version it was made against, and it is the current one."""
    if version is None:
        raise InvalidInput("say which plan version this change was made against (plan_version / --version)",
                           current_version=current)
    if version != current:
        raise StaleVersion(f"the plan is at version {current}, this change was made against {version}; "
                           "reload the plan and try again", current_version=current)


def refuse_double_bookings(found: list[DoubleBooking], hint: str = "") -> None:
    if found:
        raise PlanRuleBroken("; ".join(d.sentence() for d in found[:5]) + ". One vehicle never holds overlapping "
                             "blocks, whatever the reason given" + hint,
                             double_bookings=[{"vehicle_id": d.vehicle_id, "blocks": [d.first.block_id,
                                                                                      d.second.block_id]}
                                              for d in found])


class DayPlan:
    """One dispatch day's plan, with the blocks around it that the overlap rule needs (a vehicle's late
    block of yesterday can overlap this morning's). Changes collect here; `version_after`, `puts`,
    `removals` and `events` are what a save writes, in one version step."""

    def __init__(self, depot_id: str, service_date: date, version: int, assignments: dict[int, Assignment],
                 blocks: Sequence[DayBlock] = (), turnaround: timedelta = timedelta(0), *,
                 joins_step: bool = False) -> None:
        self.depot_id, self.service_date, self.version = depot_id, service_date, version
        # the changes join the version step this transaction took already (`version`): a change-out's swap bus
        # is given in the step of its split, so the plan moves once for the one change
        self.joins_step = joins_step
        self.assignments = dict(assignments)  # block pk -> assignment, the plan as it is becoming
        self.blocks = list(blocks)
        self.turnaround = turnaround
        self.events: list[Event] = []
        self.puts: dict[int, Assignment] = {}
        self.removals: set[int] = set()
        self._stepped = False

    # -- reading -------------------------------------------------------------------------------------------
    def check_version(self, version: int | None) -> None:
        check_version(self.version, version)

    def block(self, block_id: str) -> DayBlock:
        """A block of this day by id, block name or an unambiguous id prefix."""
        found = find_block(self.day_blocks(), block_id)
        if found is None:
            raise NotFound(f"no block {block_id!r} on {self.service_date}")
        return found

    def day_blocks(self) -> list[DayBlock]:
        return [b for b in self.blocks if b.service_date == self.service_date]

    def assignment(self, block: DayBlock) -> Assignment | None:
        return self.assignments.get(block.pk) if block.pk is not None else None

    @property
    def changed(self) -> bool:
        return self._stepped

    @property
    def version_after(self) -> int:
        return self.version + 1 if self._stepped and not self.joins_step else self.version

    # -- the rules -----------------------------------------------------------------------------------------
    def double_bookings(self, changed: set[int], plan: dict[int, str] | None = None) -> list[DoubleBooking]:
        """Overlapping blocks one vehicle would hold in `plan` (block pk -> vehicle; default: the plan as it
        now stands), among the pairs `changed` touches (work double-booked before, e.g. by old data, does not
        block other changes)."""
        plan = {pk: a.vehicle_id for pk, a in self.assignments.items()} if plan is None else plan
        return [d for d in double_bookings(plan, self.blocks, self.turnaround, only=OVERLAP)
                if d.first.pk in changed or d.second.pk in changed]

    def with_block(self, block: DayBlock) -> None:
        """New times for a block (an ad-hoc change): refused if its vehicle would then hold overlapping work."""
        self.blocks = [block if b.pk == block.pk else b for b in self.blocks]
        if block.pk in self.assignments:
            refuse_double_bookings(self.double_bookings({block.pk}))

    def why_not_movable(self, block: DayBlock, state: BlockState) -> str | None:
        """Why a re-plan may not move this block's vehicle (None: it may): it never moves a block that has
        started, ended or been cancelled, nor a vehicle an operator put on it by hand."""
        if block.cancelled_at is not None or not state.actionable:
            return f"block {label_of(block)} has started, ended or been cancelled"
        held = self.assignment(block)
        if held is not None and held.source not in MOVABLE:
            return f"{held.vehicle_id} was put on block {label_of(block)} by hand, and a re-plan never moves that"
        return None

    # -- the changes ---------------------------------------------------------------------------------------
    def record(self, event: Event) -> None:
        """An event of this version step (a change to the day's blocks is a step of the plan version too)."""
        self._stepped = True
        self.events.append(replace(event, plan_version=self.version_after))

    def step(self) -> None:
        """A version step with no assignment event of its own (the day's blocks changed)."""
        self._stepped = True

    def assign(self, block: DayBlock, vehicle_id: str, viability: Viability, state: BlockState, *,
               actor: str, now: datetime, source: str = AssignmentSource.MANUAL,
               override_reason: str | None = None,
               acknowledge: Sequence[str] = ()) -> Assignment | None:
        """Assign (or reassign) a vehicle; None when it already runs the block and nothing else is asked.
        Overlapping work is refused whatever is said. Against warnings the change needs a reason and each
        warning (`override_warnings`) named in `acknowledge`, whichever front end asks; it is then an
        override. Started, completed and cancelled work has no warnings to acknowledge."""
        source = word(AssignmentSource, source, "source")
        if state.status in (BlockStatus.COMPLETED, BlockStatus.CANCELLED):
            raise InvalidInput(f"block {block.block_id} is {state.status}; its vehicle can no longer be changed")
        before = self.assignment(block)
        if before is not None and before.vehicle_id == vehicle_id and override_reason is None:
            return None
        pk = block.pk
        assert pk is not None, "a stored block has a key"
        trial = {k: a.vehicle_id for k, a in self.assignments.items()} | {pk: vehicle_id}
        refuse_double_bookings(self.double_bookings({pk}, trial))
        warnings = self.override_warnings(block, vehicle_id, viability, state)
        codes = [r.code for r in warnings]
        reasons = [*viability.reasons, *(r for r in warnings if r.code == ReasonCode.BLOCK_STARTED)]
        reason = (override_reason or "").strip() or None
        acknowledged: list[str] = []
        if codes:
            acknowledged = list(acknowledge)
            missing = [c for c in codes if c not in acknowledged]
            if reason is None or missing:
                raise UnacknowledgedWarnings(
                    f"{vehicle_id} on {label_of(block)}: " + "; ".join(r.message for r in warnings)
                    + ". To assign anyway, acknowledge " + ", ".join(missing or codes) + " and give a reason",
                    reasons=[r.as_dict() for r in reasons], current_version=self.version)
        else:
            reason = None
        new = Assignment(block.block_id, vehicle_id, source, actor, now, reason, tuple(acknowledged), block.pk)
        self._put(block, new)
        kind = EventKind.OVERRIDE if reason else (EventKind.REASSIGNED if before else EventKind.ASSIGNED)
        self.record(Event(self.depot_id, kind, actor, now, self.service_date, block.block_id, vehicle_id,
                          before=assignment_doc(before),
                          after=(assignment_doc(new) or {}) | {"viability": viability.status}))
        return new

    def override_warnings(self, block: DayBlock, vehicle_id: str, viability: Viability,
                          state: BlockState) -> list[Reason]:
        """What assigning `vehicle_id` to `block` asks an operator to acknowledge, each by its code: the
        judgement's warnings (work not yet started), and a running block's change of bus."""
        warnings = [r for r in viability.reasons if r.code in warning_codes(viability)] if state.actionable else []
        before = self.assignment(block)
        if state.status == BlockStatus.IN_SERVICE and before is not None and before.vehicle_id != vehicle_id:
            # the sheet's rule too (reconcile: block_started): a running block's bus is on the road already
            warnings.append(Reason(ReasonCode.BLOCK_STARTED, f"block {label_of(block)} is in service on "
                                   f"{before.vehicle_id}: changing its bus changes the record, not what is on the "
                                   "road (to hand the rest of it to another bus, split it for a change-out)"))
        return warnings

    def unassign(self, block: DayBlock, *, actor: str, now: datetime, why: str | None = None) -> Assignment | None:
        """Take the vehicle off a block, with an `unassigned` event (saying why, when the plan did not ask)."""
        before = self.assignment(block)
        if before is None:
            return None
        self._drop(block)
        self.record(Event(self.depot_id, EventKind.UNASSIGNED, actor, now, self.service_date, block.block_id,
                          before.vehicle_id, before=(assignment_doc(before) or {}) | ({"why": why} if why else {}),
                          after=None))
        return before

    def release(self, block: DayBlock) -> Assignment | None:
        """Free a block's vehicle because the block itself goes (cancelled, removed, taken over): the
        caller's event about the block says so, with this assignment in it."""
        before = self.assignment(block)
        if before is not None:
            self._drop(block)
        return before

    def apply(self, items: Sequence[Item], *, source: str, kind: str, actor: str, now: datetime) -> BatchResult:
        """Several changes in one version step, one event each; the overlap rule judged on the plan the
        whole batch leaves, so that one half of a swap never lands alone. The caller decided the warnings."""
        result = BatchResult(self.version)
        by_id = {b.block_id: b for b in self.day_blocks()}
        touched: set[int] = set()
        for item in items:
            block = by_id.get(item.block_id)
            if block is None or block.pk is None:
                result.skipped.append({"block_id": item.block_id, "reason": "no such block on this day"})
                continue
            if block.cancelled_at is not None and item.vehicle_id is not None:
                # the overlap rule looks past cancelled work: a vehicle left on it would double-book on restore
                result.skipped.append({"block_id": item.block_id, "reason": "the block is cancelled; restore it first"})
                continue
            before = self.assignment(block)
            if (before.vehicle_id if before else None) == item.vehicle_id:
                result.unchanged.append(item.block_id)
                continue
            if item.vehicle_id is None:
                self._drop(block)
                after = None
            else:
                new = Assignment(item.block_id, item.vehicle_id, AssignmentSource(source), actor, now, item.reason,
                                 item.acknowledged, block.pk)
                self._put(block, new)
                touched.add(block.pk)
                after = (assignment_doc(new) or {}) | ({"viability": item.verdict} if item.verdict else {})
            result.applied.append(item.block_id)
            self.record(Event(self.depot_id, kind, actor, now, self.service_date, item.block_id,
                              item.vehicle_id or (before.vehicle_id if before else None),
                              before=assignment_doc(before), after=after))
        refuse_double_bookings(self.double_bookings(touched))
        result.plan_version = self.version_after
        return result

    def accept(self, proposals: Sequence[tuple[dict[str, str], Viability | None]], *, actor: str,
               now: datetime) -> BatchResult:
        """Recommended assignments, each judged again now: a proposal whose block got a vehicle meanwhile,
        or that is no longer ok, is skipped with the reason; the rest are applied as one batch."""
        items, skipped = [], []
        by_id = {b.block_id: b for b in self.day_blocks()}
        for p, v in proposals:
            block = by_id.get(p["block_id"])
            if block is None or v is None or self.assignment(block) is not None:
                skipped.append({"block_id": p["block_id"], "reason": "the block has a vehicle now"})
            elif v.status != ViabilityStatus.OK:
                skipped.append({"block_id": p["block_id"], "reason": "; ".join(r.message for r in v.reasons)})
            else:
                items.append(Item(p["block_id"], p["vehicle_id"], verdict=v.status))
        result = self.apply(items, source=AssignmentSource.RECOMMENDED, kind=EventKind.RECOMMENDATION_ACCEPTED,
                            actor=actor, now=now)
        result.skipped.extend(skipped)
        return result

    def move(self, items: Sequence[Item], states: Mapping[str, BlockState], *, actor: str,
             now: datetime) -> BatchResult:
        """Re-plan moves (`states`: block id -> its state now), all or nothing: each becomes a `recommended`
        assignment (or takes a vehicle off), one version step; one move that may not be made (a manual or
        started block, overlapping work) refuses them all, with why."""
        by_id = {b.block_id: b for b in self.day_blocks()}
        refused = []
        for item in items:
            block = by_id.get(item.block_id)
            state = states.get(item.block_id)
            why = (f"there is no block {item.block_id} on {self.service_date}" if block is None or state is None
                   else self.why_not_movable(block, state))
            if why:
                refused.append(why)
        if refused:
            raise PlanRuleBroken("; ".join(refused) + ". Nothing was moved: re-plan again to see what can move",
                                 current_version=self.version)
        result = self.apply(items, source=AssignmentSource.RECOMMENDED, kind=EventKind.RECOMMENDATION_ACCEPTED,
                            actor=actor, now=now)
        if result.skipped:
            raise PlanRuleBroken("; ".join(f"{s['block_id']}: {s['reason']}" for s in result.skipped)
                                 + ". Nothing was moved", current_version=self.version)
        return result

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def _put(self, block: DayBlock, a: Assignment) -> None:
        pk = block.pk
        assert pk is not None, "a stored block has a key"
        self.assignments[pk] = a
        self.puts[pk] = a
        self.removals.discard(pk)

    def _drop(self, block: DayBlock) -> None:
        pk = block.pk
        assert pk is not None, "a stored block has a key"
        self.assignments.pop(pk, None)
        self.puts.pop(pk, None)
        self.removals.add(pk)

