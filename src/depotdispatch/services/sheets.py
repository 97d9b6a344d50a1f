"""The dispatch sheet round trip: export, preview (the plan is not touched), apply (all or nothing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.errors import Conflict, InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.plan import DayPlan
from depotdispatch.domain.reconcile import Preview, RowResult, SheetRow, reconcile
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.status import block_status
from depotdispatch.domain.viability import Viability
from depotdispatch.domain.words import AssignmentSource, EventKind
from depotdispatch.services import board as board_svc
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import (
    BatchResult,
    Item,
    apply_batch,
    day_context,
    open_plan,
    refuse_double_bookings,
    require_day,
    verdict_of,
)
from depotdispatch.services.unit_of_work import UnitOfWork

PREVIEW_TTL = timedelta(hours=24)


@dataclass
class PreviewResult:
    preview_id: str
    plan_version: int
    format: str
    preview: Preview
    warnings: list[str]

    def as_dict(self, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """The preview with its rows from `offset`, at most `limit` of them (a 200k-row sheet is paged)."""
        total = len(self.preview.rows)
        end = total if limit is None else min(total, offset + limit)
        return {"preview_id": self.preview_id, "plan_version": self.plan_version, "format": self.format,
                "summary": self.preview.summary(), "warnings": self.warnings[:100],
                "rows": [_row_doc(r) for r in self.preview.rows[offset:end]],
                "rows_total": total, "rows_offset": offset, "next_offset": end if end < total else None,
                "unmentioned_blocks": self.preview.unmentioned}


def _row_doc(r: RowResult) -> dict[str, Any]:
    """A preview row; `outcome` is its action, or `refused` when an error stops it; `sheet_block_id` and
    `block_match` say how a block cell that is not the block's id was read (else both null)."""
    return {"row": r.row, "block_id": r.block_id, "vehicle_id": r.vehicle_id, "action": r.action,
            "outcome": r.outcome, "actionable": r.actionable, "problems": [p.as_dict() for p in r.problems],
            "sheet_block_id": r.sheet_block_id, "block_match": r.block_match}


def note_export(uow: UnitOfWork, depot_id: str, service_date: date, *, actor: str, now: datetime) -> None:
    """Remember that the day's sheet went out, so that a later preview can tell a blank cell of that sheet
    from an order to unassign (`assigned_since_export`). A write of its own: reads stay read-only."""
    with uow:
        require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        uow.plans.add_event(Event(depot_id, "sheet_exported", actor, now, service_date, None, None,
                                  uow.plans.version(day_id)))
        uow.commit()


def export_rows(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime) -> list[dict[str, Any]]:
    """One row per block of the day, in pull-out order, with the plan's vehicle and viability."""
    b = board_svc.board(uow, depot_id, now, service_date=service_date, whole_day=True, candidates=False)
    if service_date not in b.plan_versions:
        raise NotFound(f"{service_date} is not set up at depot {depot_id!r}; run `day setup` first")
    services: dict[str, str] = {}
    with uow:
        by_schedule: dict[int, list[str]] = {}
        for r in b.rows:
            if r.block.schedule_id is not None and r.block.trip_ids:
                by_schedule.setdefault(r.block.schedule_id, []).append(r.block.trip_ids[0])
        for schedule_id, trips in by_schedule.items():
            services.update(uow.schedules.trip_services(schedule_id, trips))
    return [{"block": r.block, "vehicle_id": r.assignment.vehicle_id if r.assignment else None,
             "viability": r.viability.status if r.viability else None,
             "note": r.block.note or (r.assignment.override_reason if r.assignment else None),
             "service_id": services.get(r.block.trip_ids[0]) if r.block.trip_ids else None}
            # the board puts what needs a hand first (missed pull-outs); a sheet is read in pull-out order
            for r in sorted(b.rows, key=lambda r: (r.block.pull_out, r.block.block_id))]


def preview_sheet(uow: UnitOfWork, depot_id: str, service_date: date, rows: list[SheetRow], fmt: str,
                  now: datetime, warnings: list[str] | None = None, source: str | None = None) -> PreviewResult:
    """What the sheet would change, row by row. The plan is not touched; the preview's actions are kept
    (not the file) so that `apply` can refer to them. `source`: the file's name, for the reason a row applied
    against warnings records (`sheet_reason`)."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        version = uow.plans.version(day_id)
        ctx = day_context(uow, depot, service_date, now)
        blocks = {b.block_id: b for b in ctx.blocks if b.service_date == service_date}
        plan = {b.block_id: ctx.assignments[b.pk].vehicle_id for b in blocks.values() if b.pk in ctx.assignments}
        closed = {}
        for b in blocks.values():
            status = block_status(b, now, now).status
            if status in ("cancelled", "completed", "in_service"):
                closed[b.block_id] = status
        others = {vid: [b for b in bl if b.service_date != service_date] for vid, bl in ctx.vehicle_blocks.items()}

        def judge(vid: str, block: DayBlock, chain: list[DayBlock]) -> Viability:
            return ctx.judge.judge(vid, block, [*others.get(vid, []), *chain])

        exported = uow.plans.events(depot_id, service_date=service_date, kind="sheet_exported", limit=1)
        tz = zone(depot.timezone)
        since = {} if not exported else {
            b.block_id: f"at {to_local(a.assigned_at, tz):%H:%M} by {a.actor}"
            for b in blocks.values() if b.pk is not None and (a := ctx.assignments.get(b.pk)) is not None
            and a.assigned_at is not None and a.assigned_at > exported[0].at}
        preview = reconcile(rows, blocks, plan, set(ctx.judge.vehicles), judge, closed,
                            timedelta(minutes=depot.turnaround_min), since)
        preview_id = uuid.uuid4().hex
        items = [{"row": r.row, "block_id": r.block_id, "vehicle_id": r.vehicle_id, "action": r.action,
                  "warnings": (warned := sorted({p.code for p in r.problems if p.severity == "warning"})),
                  **({"reason": sheet_reason(source, r.row, preview_id)} if warned else {})}
                 for r in preview.rows if r.actionable]
        uow.sheets.add_preview(preview_id, day_id, version, now, fmt, items, preview.summary())
        uow.commit()
    return PreviewResult(preview_id, version, fmt, preview, list(warnings or []))


def sheet_reason(source: str | None, row: int, preview_id: str) -> str:
    """The override reason of a sheet row applied against its warnings, as a person reads it in the audit log:
    the file and the row (as a spreadsheet numbers it), with the preview's id for a script to match."""
    name = PurePath(source).name.strip()[:120] if source else ""
    return f"dispatch sheet {name + ', ' if name else ''}row {row} (preview {preview_id[:8]})"


def apply_sheet(uow: UnitOfWork, depot_id: str, service_date: date, preview_id: str, *, actor: str, now: datetime,
                rows: list[int] | None = None) -> BatchResult:
    """The chosen actionable rows (all by default) in one transaction, or nothing. Refused if the plan
    changed since the preview; applying the same preview again changes nothing."""
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        uow.sheets.lock_preview(preview_id)
        stored = uow.sheets.preview(preview_id)
        if stored is None or stored["dispatch_day_id"] != day_id:
            raise NotFound(f"no sheet preview {preview_id!r} for {depot_id} on {service_date}")
        if stored["applied_at"] is not None:
            return BatchResult(uow.plans.version(day_id), [], [i["block_id"] for i in stored["items"]])
        if now - stored["created_at"] > PREVIEW_TTL:
            raise Conflict("the preview is more than 24 h old; preview the sheet again")
        current = uow.plans.version(day_id)
        if current != stored["plan_version"]:
            raise Conflict(f"the plan changed since the preview (version {stored['plan_version']} -> {current}); "
                           "preview the sheet again", current_version=current)
        chosen = stored["items"]
        if rows is not None:
            known = {i["row"] for i in chosen}
            unknown = sorted(set(rows) - known)
            if unknown:
                raise InvalidInput(f"rows {', '.join(map(str, unknown))} are not actionable rows of this preview")
            chosen = [i for i in chosen if i["row"] in set(rows)]
        plan = open_plan(uow, depot, service_date, day_id, day_context(uow, depot, service_date, now))
        plan.check_version(current)
        _refuse_half_swaps(plan, chosen, stored["items"])
        items = [Item(i["block_id"], i["vehicle_id"], tuple(i["warnings"]),
                      # a preview stored before the reason was kept with its rows said only its id
                      (i.get("reason") or f"dispatch sheet {preview_id[:8]}") if i["warnings"] else None,
                      verdict_of(i["warnings"]) if i["vehicle_id"] else None) for i in chosen]
        result = apply_batch(uow, day_id, plan, items, actor=actor, now=now, source=AssignmentSource.IMPORTED,
                             kind=EventKind.SHEET_APPLIED)
        uow.sheets.mark_applied(preview_id, now, result.plan_version)
        uow.commit()
    return result


def _refuse_half_swaps(plan: DayPlan, chosen: list[dict[str, Any]], every: list[dict[str, Any]]) -> None:
    """Judge the plan that the chosen rows would leave: one half of a swap never lands alone (said with
    the rows to apply together; DayPlan.apply holds the rule itself)."""
    by_id = {b.block_id: b for b in plan.day_blocks()}
    after = {pk: a.vehicle_id for pk, a in plan.assignments.items()}
    changed = set()
    for i in chosen:
        block = by_id.get(i["block_id"])
        if block is None or block.pk is None:
            continue
        changed.add(block.pk)
        if i["vehicle_id"]:
            after[block.pk] = i["vehicle_id"]
        else:
            after.pop(block.pk, None)
    found = plan.double_bookings(changed, after)
    if found:
        involved = {b.block_id for d in found for b in (d.first, d.second)}
        partners = sorted(i["row"] for i in every if i not in chosen and i["block_id"] in involved)
        refuse_double_bookings(found, f"; apply row(s) {', '.join(map(str, partners))} with these" if partners
                               else "")
