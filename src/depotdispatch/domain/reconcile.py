"""Reconciling a dispatch sheet with the plan (DESIGN §5): what each row would do, and what is wrong.

Pure: it takes the sheet's rows, the day's blocks, the plan and a viability function, and returns the
preview. Nothing here writes; apply happens in the service, from a stored preview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import Enum
from typing import Final, Literal

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.sheet_match import SheetBlocks, ambiguous_detail, unmatched_detail
from depotdispatch.domain.turnaround import OVERLAP, double_bookings
from depotdispatch.domain.viability import REASON_STATUS, Viability

ACTIONS = ("assign", "reassign", "unassign", "unchanged")
REFUSED = "refused"  # a row with an error: it changes nothing, whatever its action would have been


class _NoInfo(Enum):
    NO_INFO = "no_info"


NO_INFO: Final = _NoInfo.NO_INFO  # a sheet cell that says nothing about the vehicle (e.g. a pull-out sheet's blank bus)


@dataclass(frozen=True)
class SheetRow:
    row: int
    block_id: str | None
    vehicle_id: str | None | Literal[_NoInfo.NO_INFO]  # None: unassign; NO_INFO: no statement
    problems: tuple[Problem, ...] = ()  # found while reading the row
    raw: tuple[str, ...] = ()  # the cells that matter, to spot exact duplicates


@dataclass(frozen=True)
class Problem:
    severity: str  # error | warning
    code: str
    detail: str
    column: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"severity": self.severity, "code": self.code, "detail": self.detail, "column": self.column}


@dataclass
class RowResult:
    row: int
    block_id: str | None
    vehicle_id: str | None
    action: str
    problems: list[Problem] = field(default_factory=list)
    sheet_block_id: str | None = None  # the cell as the sheet wrote it, when it is not the block's id
    block_match: str | None = None  # how that cell was read, in words

    @property
    def has_error(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def actionable(self) -> bool:
        return not self.has_error and self.action != "unchanged"

    @property
    def outcome(self) -> str:
        """What applying the row does: its action, or `refused` when it has an error."""
        return REFUSED if self.has_error else self.action


@dataclass
class Preview:
    rows: list[RowResult]
    unmentioned: list[str]  # blocks of the day the sheet does not mention

    def summary(self) -> dict[str, object]:
        by_action = dict.fromkeys((*ACTIONS, REFUSED), 0)
        problems: dict[str, int] = defaultdict(int)
        for r in self.rows:
            by_action[r.outcome] += 1
            for p in r.problems:
                problems[f"{p.severity}:{p.code}"] += 1
        return {"rows": len(self.rows), "actions": by_action,
                "actionable": sum(1 for r in self.rows if r.actionable),
                "rows_with_errors": sum(1 for r in self.rows if r.has_error),
                "rows_with_warnings": sum(1 for r in self.rows if any(p.severity == "warning" for p in r.problems)),
                "problems": dict(sorted(problems.items())), "unmentioned_blocks": len(self.unmentioned)}


def err(code: str, detail: str, column: str | None = None) -> Problem:
    return Problem("error", code, detail, column)


def warn(code: str, detail: str, column: str | None = None) -> Problem:
    return Problem("warning", code, detail, column)


def reconcile(rows: Sequence[SheetRow], blocks: Mapping[str, DayBlock], plan: Mapping[str, str],
              vehicles: set[str], judge: Callable[[str, DayBlock, list[DayBlock]], Viability],
              closed: Mapping[str, str], turnaround: timedelta,
              assigned_since_export: Mapping[str, str] | None = None) -> Preview:
    """`plan`: block_id -> vehicle_id now; `closed`: block_id -> status for blocks that are not open
    (cancelled, completed, in_service); `judge(vehicle, block, its blocks)` gives viability;
    `assigned_since_export`: block_id -> when (in words) its vehicle was assigned after the last export:
    a blank cell there is a sheet that does not know, not an order to unassign."""
    since = assigned_since_export or {}
    results: list[RowResult] = []
    by_block: dict[str, list[RowResult]] = defaultdict(list)
    first_raw: dict[tuple[str, ...], int] = {}
    named = SheetBlocks(blocks)
    for sr in rows:
        vehicle = None if sr.vehicle_id is NO_INFO else sr.vehicle_id
        res = RowResult(sr.row, sr.block_id, vehicle, "unchanged", list(sr.problems))
        results.append(res)
        if res.has_error or sr.block_id is None:
            continue
        if sr.raw in first_raw:
            res.problems.append(warn("duplicate_row", f"same as row {first_raw[sr.raw]}; counted once"))
            continue
        first_raw[sr.raw] = sr.row
        match = named.match(sr.block_id)
        if match.block_id is None:
            starting = () if match.candidates else named.starting_with(sr.block_id)
            res.problems.append(err("ambiguous_block", ambiguous_detail(sr.block_id, match), "block_id")
                                if match.candidates else
                                err("ambiguous_block" if len(starting) > 1 else "unknown_block",
                                    unmatched_detail(sr.block_id, starting), "block_id"))
            continue
        if match.block_id != sr.block_id:
            res.block_id, res.sheet_block_id = match.block_id, sr.block_id
            res.block_match = match.sentence(sr.block_id)
        block = blocks[match.block_id]
        block_id = block.block_id
        if isinstance(vehicle, str) and vehicle not in vehicles:
            res.problems.append(err("unknown_vehicle", f"no vehicle {vehicle!r} at this depot", "vehicle_id"))
            continue
        current = plan.get(block_id)
        if sr.vehicle_id is NO_INFO:
            res.vehicle_id = current
        elif vehicle is None:
            res.action = "unassign" if current else "unchanged"
            if current and block_id in since:
                res.action = "unchanged"
                res.problems.append(warn("assigned_since_export", f"{current} was assigned to this block "
                                                                  f"{since[block_id]}, after the sheet was "
                                                                  "exported: the blank cell is not taken as "
                                                                  "'unassign' (unassign in the plan, or export "
                                                                  "again)", "vehicle_id"))
        elif current is None:
            res.action = "assign"
        elif current != vehicle:
            res.action = "reassign"
        status = closed.get(block_id)
        if status == "cancelled" and res.action in ("assign", "reassign"):
            res.problems.append(err("block_cancelled", "the block is cancelled; restore it first", "block_id"))
        elif status == "completed" and res.action != "unchanged" or \
                status == "in_service" and res.action != "unchanged" and current is not None:
            # a missed pull-out (started, no bus) takes a bus without a word, as in the plan (DayPlan.assign)
            res.problems.append(warn("block_started", f"the block is {status.replace('_', ' ')}: this changes a "
                                                      "record, not what is on the road", "block_id"))
        by_block[block_id].append(res)
    _duplicates(by_block)
    _overlaps(results, blocks, plan, turnaround)
    _viability(results, blocks, plan, judge, closed)
    mentioned = {r.block_id for r in results if r.block_id}
    unmentioned = sorted((b for b in blocks if b not in mentioned), key=lambda b: (blocks[b].pull_out, b))
    return Preview(results, unmentioned)


def _duplicates(by_block: Mapping[str, list[RowResult]]) -> None:
    for block_id, group in by_block.items():
        stated = [r for r in group if not r.has_error]
        vehicles = {r.vehicle_id for r in stated if r.action != "unchanged" or r.vehicle_id}
        if len(stated) > 1 and len(vehicles) > 1:
            rows = ", ".join(str(r.row) for r in stated)
            for r in stated:
                r.problems.append(err("duplicate_block", f"block {block_id} is on rows {rows} with different "
                                                         f"vehicles ({', '.join(sorted(map(str, vehicles)))})",
                                      "block_id"))
        elif len(stated) > 1:
            for r in stated[1:]:
                r.problems.append(warn("duplicate_block", f"block {block_id} also on row {stated[0].row} with the "
                                                          "same vehicle; counted once", "block_id"))
                r.action = "unchanged"


def _resulting_plan(results: Sequence[RowResult], plan: Mapping[str, str]) -> dict[str, str | None]:
    after: dict[str, str | None] = dict(plan)
    for r in results:
        if r.actionable and r.block_id:
            after[r.block_id] = r.vehicle_id
    return after


def _overlaps(results: Sequence[RowResult], blocks: Mapping[str, DayBlock], plan: Mapping[str, str],
              turnaround: timedelta) -> None:
    """One vehicle on overlapping blocks in the plan that would result (DESIGN §5: a refusal, never a
    warning). Judged again each time a row becomes an error, until nothing changes: a row whose partner
    cannot apply (one half of a swap) would otherwise land alone and double-book."""
    while True:
        after = _resulting_plan(results, plan)
        changed = {r.block_id for r in results if r.actionable and r.block_id}
        pks = {b: i for i, b in enumerate(after)}  # double_bookings works on keys: use positions
        keyed = [replace(blocks[b], pk=pks[b]) for b in after if b in blocks]
        found = double_bookings({pks[b]: v for b, v in after.items() if v and b in blocks}, keyed, turnaround,
                                only=OVERLAP)
        clash: dict[str, str] = {}
        for d in found:
            for mine, other in ((d.first, d.second), (d.second, d.first)):
                if mine.block_id in changed:
                    clash.setdefault(mine.block_id, other.block_id)
        hit = [(r, clash[r.block_id]) for r in results
               if r.actionable and r.block_id is not None and r.block_id in clash and r.vehicle_id]
        if not hit:
            return
        for r, other_id in hit:
            moved = next((o for o in results if o.block_id == other_id and o is not r), None)
            why = (f" (row {moved.row} would move it, but that row cannot apply)" if moved and moved.has_error
                   and moved.vehicle_id != r.vehicle_id else f" (row {moved.row} keeps it there)" if moved else "")
            r.problems.append(err("vehicle_overlap", f"{r.vehicle_id} would also run block {other_id}, which overlaps "
                                                     f"this one{why}: one vehicle never holds overlapping blocks",
                                  "vehicle_id"))


def _viability(results: Sequence[RowResult], blocks: Mapping[str, DayBlock], plan: Mapping[str, str],
               judge: Callable[[str, DayBlock, list[DayBlock]], Viability], closed: Mapping[str, str]) -> None:
    after = _resulting_plan(results, plan)
    per_vehicle: dict[str, list[DayBlock]] = defaultdict(list)
    for block_id, vid in after.items():
        if vid and block_id in blocks:
            per_vehicle[vid].append(blocks[block_id])
    for r in results:
        if not r.actionable or not r.vehicle_id or r.block_id is None or r.block_id in closed:
            continue
        v = judge(r.vehicle_id, blocks[r.block_id], per_vehicle[r.vehicle_id])
        for reason in v.reasons:
            if REASON_STATUS.get(reason.code) != "ok" and reason.code != "overlaps_block":
                r.problems.append(warn(reason.code, reason.message, "vehicle_id"))
