"""Documents for the edges: the same names in CLI --json, the API and the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from depotdispatch.domain.actuals import vehicle_mismatch
from depotdispatch.domain.assessment import Candidate
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.events import Event
from depotdispatch.domain.identity import ApiToken, User
from depotdispatch.domain.live import LiveRisk
from depotdispatch.domain.plan import BatchResult
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.domain.viability import Viability
from depotdispatch.services.board import Board, BoardRow

if TYPE_CHECKING:
    from depotdispatch.services.adhoc import BlockChange
    from depotdispatch.services.plan import PlanChange


def viability_doc(v: Viability | None) -> dict[str, Any] | None:
    if v is None:
        return None
    doc: dict[str, Any] = {"status": v.status, "reasons": [r.as_dict() for r in v.reasons],
                           "end_soc_pct": v.end_soc_pct, "end_soc_pct_conservative": v.end_soc_pct_conservative}
    if v.estimate is not None:
        doc["energy"] = {"expected_kwh": v.estimate.expected_kwh, "conservative_kwh": v.estimate.conservative_kwh,
                         "inputs": v.estimate.inputs}
    if v.readiness is not None:
        r = v.readiness
        doc["readiness"] = {
            "soc_pct": r.soc_pct, "at": r.at.isoformat(), "charged_kwh": r.charged_kwh, "prior_kwh": r.prior_kwh,
            "plugged_in": r.plugged_in,
            "reading": None if r.reading is None else {
                "soc_pct": r.reading.soc_pct, "measured_at": r.reading.measured_at.isoformat(),
                "source": r.reading.source,
                "age_min": None if r.reading_age is None else round(r.reading_age.total_seconds() / 60)},
        }
    return doc


def block_doc(b: DayBlock, tz_name: str | None = None) -> dict[str, Any]:
    """The one document of a block: responses, CLI --json and the events' before/after. With the depot's
    zone, the pull-out and pull-in also in local time (events keep UTC only)."""
    doc: dict[str, Any] = {
        "block_id": b.block_id, "block_name": b.block_name, "service_date": b.service_date.isoformat(),
        "pull_out": b.pull_out.isoformat(), "pull_in": b.pull_in.isoformat(),
        "distance_km": b.distance_km, "distance_source": b.distance_source, "trips": b.trips,
        "routes": list(b.routes), "origin": b.origin, "vehicle_class": b.vehicle_class, "generated": b.generated,
        "adhoc_reason": b.adhoc_reason, "replaces_block": b.replaces_block, "note": b.note,
        "cancelled_at": _iso(b.cancelled_at), "cancel_reason": b.cancel_reason,
        "actual_start": _iso(b.actual_start), "actual_end": _iso(b.actual_end),
        "actual_vehicle_id": b.actual_vehicle_id,
    }
    if tz_name is not None:
        tz = zone(tz_name)
        doc["pull_out_local"] = to_local(b.pull_out, tz).isoformat()
        doc["pull_in_local"] = to_local(b.pull_in, tz).isoformat()
    return doc


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def change_doc(change: PlanChange) -> dict[str, Any]:
    """The one document of an assignment change (API and CLI)."""
    a = change.assignment
    return {"plan_version": change.plan_version, "changed": change.changed,
            "vehicle_id": a.vehicle_id if a else None, "source": a.source if a else None,
            "override_reason": a.override_reason if a else None,
            "acknowledged": list(a.acknowledged) if a else [], "viability": viability_doc(change.viability)}


def batch_doc(result: BatchResult) -> dict[str, Any]:
    """The one document of several changes at once (accepting a recommendation, applying a sheet or moves):
    the block ids applied and unchanged, and the skipped ones with the reason."""
    return {"plan_version": result.plan_version, "applied": list(result.applied),
            "unchanged": list(result.unchanged), "skipped": list(result.skipped)}


def block_change_doc(change: BlockChange) -> dict[str, Any]:
    """The one document of a change to a day's blocks (ad-hoc work, cancel, restore, split)."""
    return {"plan_version": change.plan_version, "block": block_doc(change.block) if change.block else None,
            "freed_vehicle": change.freed_vehicle,
            "new_block": block_doc(change.extra) if change.extra else None,
            "swap_vehicle": change.swap.assignment.vehicle_id if change.swap and change.swap.assignment else None,
            "swap_override": bool(change.swap and change.swap.assignment and change.swap.assignment.is_override)}


def _candidate_doc(c: Candidate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    # `note`: why the verdict is not the bus's alone (the depot's charging plan with the other buses due out)
    return {"vehicle_id": c.vehicle_id, **(viability_doc(c.viability) or {}), "note": c.note}


def live_doc(live: LiveRisk | None) -> dict[str, Any] | None:
    if live is None:
        return None
    r = live.reading
    return {"status": live.status, "reasons": [x.as_dict() for x in live.reasons], "end_soc_pct": live.end_soc_pct,
            "end_soc_pct_conservative": live.end_soc_pct_conservative, "remaining_km": live.remaining_km,
            "remaining_source": live.remaining_source,
            "reading": None if r is None else {"soc_pct": r.soc_pct, "measured_at": r.measured_at.isoformat(),
                                               "source": r.source, "odometer_km": r.odometer_km}}


def live_reasons(row: BoardRow, tz_name: str) -> list[dict[str, str]]:
    """A block in service: its live risk's reasons, and whether the plan and the street disagree about
    who runs it (a live-data reason too, DESIGN §3). Empty for any other block."""
    if row.state.status != "in_service":
        return []
    out = [r.as_dict() for r in row.live.reasons] if row.live else []
    planned = row.assignment.vehicle_id if row.assignment else None
    mismatch = vehicle_mismatch(row.block, planned, zone(tz_name))
    return out + ([mismatch.as_dict()] if mismatch is not None else [])


def board_row_doc(row: BoardRow, tz_name: str) -> dict[str, Any]:
    v = row.viability
    # plan-time reasons for work still to come; the live ones for work in service (DESIGN §3)
    reasons = [r.as_dict() for r in v.reasons] if v else live_reasons(row, tz_name)
    doc = {
        **block_doc(row.block, tz_name),
        "status": row.state.status,
        "status_assumed": row.state.assumed,
        "actionable": row.state.actionable,
        "vehicle_id": row.assignment.vehicle_id if row.assignment else None,
        "assignment_source": row.assignment.source if row.assignment else None,
        "viability": v.status if v else None,
        "reasons": reasons,
        "end_soc_pct": v.end_soc_pct if v else None,
        "detail": viability_doc(v),
        "live_risk": live_doc(row.live),
        "candidate": _candidate_doc(row.candidate),
    }
    return doc


def board_doc(board: Board) -> dict[str, Any]:
    return {
        "depot": board.depot.depot_id,
        "now": board.now.isoformat(),
        "window": board.window.as_dict(),
        "plan_versions": {d.isoformat(): v for d, v in sorted(board.plan_versions.items())},
        "days_not_set_up": [d.isoformat() for d in board.days_not_set_up()],
        "blocks": [{**board_row_doc(r, board.depot.timezone), **yard_doc(board.depot, r.block)} for r in board.rows],
    }


def yard_doc(depot: Depot, b: DayBlock) -> dict[str, Any]:
    """When the bus leaves and is back in the yard for a block (its pull-out and pull-in are the first
    departure and last arrival for a block timed by its trips), and the allowances that make the difference
    with the rule each came from (DESIGN §12a, `Depot.allowance`)."""
    a = depot.allowance(b.trip_ids)
    return {"yard_pull_out": depot.yard_out(b.pull_out, b.trip_ids).isoformat(),
            "yard_pull_in": depot.yard_in(b.pull_in, b.trip_ids).isoformat(),
            "allowances": {"pull_out_min": a.pull_out_min, "pull_out_km": a.pull_out_km,
                           "pull_in_min": a.pull_in_min, "pull_in_km": a.pull_in_km,
                           "from": dict(zip(("pull_out_min", "pull_out_km", "pull_in_min", "pull_in_km"),
                                            a.sources, strict=True))}}


def plan_doc(board: Board, service_date: date) -> dict[str, Any]:
    """A day's plan: all its blocks (not filtered by the window, which is stated all the same)."""
    doc = board_doc(board)
    doc["service_date"] = service_date.isoformat()
    doc["plan_version"] = board.plan_versions.get(service_date, 0)
    return doc


def event_doc(e: Event) -> dict[str, Any]:
    return {"event_id": e.event_id, "kind": e.kind, "actor": e.actor, "at": e.at.isoformat(),
            "service_date": e.service_date.isoformat() if e.service_date else None, "block_id": e.block_id,
            "vehicle_id": e.vehicle_id, "plan_version": e.plan_version,
            # the override's reason and the warnings acknowledged, said at the top, not buried in `after`
            "override_reason": (e.after or {}).get("override_reason"),
            "acknowledged": list((e.after or {}).get("acknowledged") or []),
            "before": e.before, "after": e.after}


def depot_doc(d: Depot) -> dict[str, Any]:
    return {"depot_id": d.depot_id, "name": d.name, "timezone": d.timezone, "lookback_h": d.lookback_min / 60,
            "lookahead_h": d.lookahead_min / 60, "reserve_pct": d.reserve_pct, **d.settings()}


def user_doc(u: User) -> dict[str, Any]:
    return {"name": u.name, "role": u.role, "depots": None if u.depots is None else sorted(u.depots),
            "disabled": u.disabled_at is not None, "created_at": u.created_at.isoformat()}


def token_doc(t: ApiToken) -> dict[str, Any]:
    return {"token_id": t.token_id, "user": t.user_name, "label": t.label, "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
