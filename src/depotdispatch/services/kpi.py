"""KPIs over a depot and a date range (DESIGN §12), from stored plans, events, actuals and readings.

A query: it writes nothing. The rules are in domain/kpi.py; this loads their records in bulk and
turns the report into the documents the CLI, API and page share.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.kpi import KpiFacts, KpiReport, by_reason, compute, share
from depotdispatch.domain.kpi_records import Availability, BlockKey, steps_from_changes
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services.cycles import no_cycle_collection
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork

MAX_DAYS = 366


def check_range(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput(f"the end date {last} is before the start date {first}", column="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"{(last - first).days + 1} days asked; ask for at most {MAX_DAYS} days at a time",
                           column="to")


def yesterday(uow: UnitOfWork, depot_id: str, now: datetime) -> date:
    """The service date before today's, in the depot's zone (for `kpi --yesterday` from cron)."""
    with uow:
        depot = require_depot(uow, depot_id)
    return to_local(now, zone(depot.timezone)).date() - timedelta(days=1)


def load_facts(uow: UnitOfWork, depot_id: str, first: date, last: date, now: datetime) -> KpiFacts:
    """The range and a day either side (a late block of yesterday can hold an EV this morning)."""
    depot = require_depot(uow, depot_id)
    lo, hi = first - timedelta(days=1), last + timedelta(days=1)
    blocks = uow.kpis.blocks(depot_id, lo, hi)
    # every writer of the plan writes an event (DESIGN §2)
    steps = steps_from_changes(c for c in uow.kpis.vehicle_changes(depot_id, lo, hi) if c.at <= now)
    availability = [e for e in uow.kpis.availability_events(depot_id, lo, hi) if e.at <= now]
    vehicles = {v.vehicle_id: v for v in uow.fleet.vehicles(depot_id)}
    start = datetime.combine(lo, time(), tzinfo=zone(depot.timezone)) - timedelta(days=1)
    end = min(datetime.combine(hi, time(), tzinfo=zone(depot.timezone)) + timedelta(days=2), now)
    return KpiFacts(depot, uow.fleet.types(depot_id), vehicles, blocks, steps,
                    Availability({v: x.availability for v, x in vehicles.items()}, availability),
                    uow.kpis.readings(depot_id, start, end), uow.days.temperatures(depot_id, lo, hi))


def report(uow: UnitOfWork, depot_id: str, first: date, last: date, now: datetime) -> KpiReport:
    check_range(first, last)
    # a year is some 10^6 short, acyclic records: the cycle collector would walk them all again and again
    # as they are made (a fifth of a year's query)
    with no_cycle_collection(), uow:
        facts = load_facts(uow, depot_id, first, last, now)
        r = compute(facts, first, last, now)
        # freed while the collector is still off: back on, its first pass walked every record still alive
        # once more (a year's ~10^6: 0.35-0.45 s), only for them to be freed on return
        del facts
        return r


def _ref(key: BlockKey) -> dict[str, str]:
    return {"service_date": key[0].isoformat(), "block_id": key[1]}


def report_doc(r: KpiReport, depot_id: str) -> dict[str, Any]:
    """The DESIGN §9 `kpi --json` keys first, then the detail behind each number (drill-down)."""
    overrides = r.overrides
    verdicts = Counter(o.verdict for o in overrides)
    return {
        "from": r.first.isoformat(), "to": r.last.isoformat(),
        "blocks": r.blocks, "ev_blocks": r.ev_blocks,
        "ev_share_blocks": r.ev_share_blocks, "ev_share_km": r.ev_share_km,
        "diesel_substitutions": [
            {"service_date": s.service_date.isoformat(), "block_id": s.block_id, "vehicle_id": s.vehicle_id,
             "ev_available": s.ev_available, "reason": s.reason, "event_id": s.event_id} for s in r.substitutions],
        "overrides": {
            "count": len(overrides), "by_reason": dict(Counter(o.reason for o in overrides).most_common()),
            "proved_right": verdicts["proved_right"], "proved_wrong": verdicts["proved_wrong"],
            "unknown": verdicts["unknown"],
            "by_code": dict(Counter(c for o in overrides for c in o.acknowledged).most_common()),
            "items": [{"event_id": o.event_id, "service_date": o.service_date.isoformat(), "block_id": o.block_id,
                       "vehicle_id": o.vehicle_id, "reason": o.reason, "acknowledged": list(o.acknowledged),
                       "verdict": o.verdict, "outcome": o.outcome.kind, "outcome_detail": o.outcome.detail}
                      for o in overrides],
        },
        "plan_churn": len(r.churn),
        "uncovered": len(r.uncovered),
        "depot": depot_id, "now": r.now.isoformat(),
        "km": round(sum(d.km for d in r.days), 3), "ev_km": round(sum(d.ev_km for d in r.days), 3),
        "substitutions_by_reason": by_reason(r.substitutions),
        "plan_churn_by_source": dict(Counter(c.source for c in r.churn).most_common()),
        "warning_accuracy": [
            {"week": w.week, "warned": len(w.warned_right) + len(w.warned_wrong) + len(w.warned_unknown),
             "warned_right": len(w.warned_right), "warned_wrong": len(w.warned_wrong),
             "warned_unknown": len(w.warned_unknown),
             "ok": len(w.ok_failed) + len(w.ok_held) + len(w.ok_unknown), "ok_failed": len(w.ok_failed),
             "ok_held": len(w.ok_held), "ok_unknown": len(w.ok_unknown),
             "blocks": {k: [_ref(x) for x in getattr(w, k)] for k in
                        ("warned_right", "warned_wrong", "warned_unknown", "ok_failed", "ok_held", "ok_unknown")}}
            for w in r.weeks],
        "days": [{"service_date": d.service_date.isoformat(), "blocks": len(d.blocks), "ev_blocks": len(d.ev_blocks),
                  "ev_share_blocks": share(len(d.ev_blocks), len(d.blocks)), "km": round(d.km, 3),
                  "ev_km": round(d.ev_km, 3), "ev_share_km": share(d.ev_km, d.km),
                  "block_ids": d.blocks, "ev_block_ids": d.ev_blocks} for d in r.days],
        "drilldown": {
            "uncovered": [_ref(k) for k in r.uncovered],
            "plan_churn": [{"event_id": c.event_id, "service_date": c.service_date.isoformat(),
                            "block_id": c.block_id, "vehicle_id": c.vehicle_id, "source": c.source, "kind": c.kind,
                            "at": c.at.isoformat()} for c in r.churn],
        },
    }


CSV_COLUMNS = ["service_date", "blocks", "ev_blocks", "ev_share_blocks", "km", "ev_km", "ev_share_km",
               "diesel_substitutions", "overrides", "overrides_proved_right", "overrides_proved_wrong",
               "overrides_unknown", "plan_churn", "uncovered"]


def report_csv(r: KpiReport) -> str:
    """One row per service date and a total: opens as it is in a spreadsheet."""
    per_day: dict[str, Counter[str]] = {d.service_date.isoformat(): Counter() for d in r.days}
    for s in r.substitutions:
        per_day[s.service_date.isoformat()]["diesel_substitutions"] += 1
    for o in r.overrides:
        per_day[o.service_date.isoformat()]["overrides"] += 1
        per_day[o.service_date.isoformat()][f"overrides_{o.verdict}"] += 1
    for c in r.churn:
        per_day[c.service_date.isoformat()]["plan_churn"] += 1
    for k in r.uncovered:
        per_day[k[0].isoformat()]["uncovered"] += 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    counts = CSV_COLUMNS[7:]
    for d in r.days:
        of_day = per_day[d.service_date.isoformat()]
        w.writerow([d.service_date.isoformat(), len(d.blocks), len(d.ev_blocks),
                    _cell(share(len(d.ev_blocks), len(d.blocks))), round(d.km, 1), round(d.ev_km, 1),
                    _cell(share(d.ev_km, d.km)), *[of_day[k] for k in counts]])
    total: Counter[str] = sum(per_day.values(), Counter())
    w.writerow(["total", r.blocks, r.ev_blocks, _cell(r.ev_share_blocks), round(sum(d.km for d in r.days), 1),
                round(sum(d.ev_km for d in r.days), 1), _cell(r.ev_share_km), *[total[k] for k in counts]])
    return buf.getvalue()


def _cell(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"
