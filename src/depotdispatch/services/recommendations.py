"""Recommendations: advisory plans for the open blocks of a day. They never apply themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.changeout import ChangeOut, suggest_change_out
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.recommend import Recommendation, Recommender
from depotdispatch.domain.servicetime import at_service_time, zone
from depotdispatch.domain.status import block_status
from depotdispatch.services.change_outs import change_out_doc
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import BatchResult, accept_proposals, day_context, open_advice, require_day
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class RecommendResult:
    recommendation_id: int
    plan_version: int
    recommendation: Recommendation
    kept: int  # blocks whose operator assignment was kept as it is
    change_outs: list[ChangeOut] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        r = self.recommendation
        return {"recommendation_id": self.recommendation_id, "plan_version": self.plan_version,
                "proposals": [{"block_id": p.block_id, "vehicle_id": p.vehicle_id, "explanation": p.explanation,
                               "end_soc_pct": p.viability.end_soc_pct} for p in r.proposals],
                "uncovered": [{"block_id": u.block_id, "explanation": u.explanation} for u in r.uncovered],
                "kept_assignments": self.kept,
                # stored with it: accepted later by block (services/change_outs.accept: split and both EVs)
                "change_outs": [change_out_doc(c) for c in self.change_outs],
                # against the last recommendation of the day: what moved, so nobody has to diff plans by eye
                "changes": [{"block_id": c.block_id, "from_vehicle": c.before,
                             "to_vehicle": c.after} for c in r.changes],
                "optimality": None if r.optimality is None else {
                    "proved": r.optimality.proved, "covered_bound": r.optimality.covered_bound,
                    "ev_covered_bound": r.optimality.ev_bound}}


def recommend(uow: UnitOfWork, depot_id: str, service_date: date, now: datetime, *,
              actor: str = "local-admin") -> RecommendResult:
    with uow:
        depot = require_depot(uow, depot_id)
        day_id = require_day(uow, depot_id, service_date)
        version = uow.plans.version(day_id)
        ctx = day_context(uow, depot, service_date, now)
        open_blocks = [b for b in ctx.blocks if b.service_date == service_date and b.pk not in ctx.assignments
                       and block_status(b, now, now).actionable]
        last = uow.plans.recommendation(day_id)
        previous = {p["block_id"]: p["vehicle_id"] for p in last.proposals} if last else {}
        recommender = Recommender(ctx.judge, open_blocks, ctx.vehicle_blocks, previous)
        rec = recommender.solve()
        change_outs = _change_outs(uow, depot, service_date, recommender, rec, ctx.vehicle_blocks)
        doc_proposals = [{"block_id": p.block_id, "vehicle_id": p.vehicle_id, "explanation": p.explanation}
                         for p in rec.proposals]
        doc_uncovered = [{"block_id": u.block_id, "explanation": u.explanation} for u in rec.uncovered]
        rec_id = uow.plans.save_recommendation(day_id, version, now, actor, doc_proposals, doc_uncovered,
                                               change_outs=[change_out_doc(c) for c in change_outs])
        uow.commit()
    kept = sum(1 for pk in ctx.assignments if any(b.pk == pk and b.service_date == service_date
                                                  for b in ctx.blocks))
    return RecommendResult(rec_id, version, rec, kept, change_outs)


def _change_outs(uow: UnitOfWork, depot: Depot, service_date: date, recommender: Recommender,
                 rec: Recommendation, fixed: dict[str, list[DayBlock]]) -> list[ChangeOut]:
    """For each block no EV can run on one charge that is uncovered or left to a non-EV: a split two EVs
    can run, if there is one (they are judged with the chains the recommendation gives them)."""
    judge = recommender.judge
    chains: dict[str, list[DayBlock]] = {v: list(bs) for v, bs in fixed.items()}
    by_id = {b.block_id: b for b in recommender.blocks}
    for p in rec.proposals:
        chains.setdefault(p.vehicle_id, []).append(by_id[p.block_id])
    on_non_ev = {p.block_id for p in rec.proposals
                 if not judge.types[judge.vehicles[p.vehicle_id].vehicle_type].is_electric}
    tz = zone(depot.timezone)
    out = []
    for bi, block in enumerate(recommender.blocks):
        covered_by_ev = block.block_id not in on_non_ev and block.block_id in {p.block_id for p in rec.proposals}
        if recommender.recoverable[bi] or covered_by_ev or block.schedule_id is None or not block.trip_ids:
            continue
        trips = uow.schedules.trips_by_ids(block.schedule_id, block.trip_ids)
        suggestion = suggest_change_out(judge, block, trips, lambda t: at_service_time(service_date, t.start_s, tz),
                                        chains, lambda t: t.astimezone(tz).strftime("%H:%M"))
        if suggestion is not None:
            out.append(suggestion)
            for v in (suggestion.first_vehicle, suggestion.swap_vehicle):  # not offered twice
                chains.setdefault(v, []).append(block)
    return out


def accept(uow: UnitOfWork, depot_id: str, service_date: date, recommendation_id: int, *, plan_version: int | None,
           actor: str, now: datetime, block_ids: list[str] | None = None) -> BatchResult:
    """Accept all or some proposals: each becomes an assignment with source `recommended` and an event.
    A proposal whose block got a vehicle meanwhile, or that is no longer ok, is skipped with the reason."""
    with uow:
        depot, day_id, stored = open_advice(uow, depot_id, service_date, recommendation_id, plan_version)
        wanted = [p for p in stored.proposals if block_ids is None or p["block_id"] in block_ids]
        unknown = sorted(set(block_ids or []) - {p["block_id"] for p in stored.proposals})
        result = accept_proposals(uow, day_context(uow, depot, service_date, now), day_id, service_date, wanted,
                                  plan_version=plan_version, actor=actor, now=now)
        result.skipped.extend({"block_id": b, "reason": "not in this recommendation"} for b in unknown)
        uow.commit()
    return result
