"""Recommendations: advisory plans for the open blocks of a day. They never apply themselves."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from depotdispatch.domain.blocks import block_label, other_name
from depotdispatch.domain.changeout import ChangeOut, suggest_change_out
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.recommend import Recommender
from depotdispatch.domain.recommendation import Recommendation
from depotdispatch.domain.servicetime import at_service_time, zone
from depotdispatch.domain.status import block_status
from depotdispatch.domain.takeover import Takeover
from depotdispatch.services.change_outs import change_out_doc
from depotdispatch.services.cycles import no_cycle_collection
from depotdispatch.services.depots import require_depot
from depotdispatch.services.plan import BatchResult, accept_proposals, day_context, open_advice, require_day
from depotdispatch.services.takeovers import missed, takeover_doc, takeovers
from depotdispatch.services.unit_of_work import UnitOfWork


@dataclass
class RecommendResult:
    recommendation_id: int
    plan_version: int
    recommendation: Recommendation
    kept: int  # blocks whose operator assignment was kept as it is
    change_outs: list[ChangeOut] = field(default_factory=list)
    ev_covered: int = 0  # of the blocks kept and proposed, those an EV holds
    # blocks of the day that started with no bus (not planned here: they have started), each with who can take
    # the rest over
    missed: list[Takeover] = field(default_factory=list)
    # block id -> the feed's human name where it has another (GTFS block_name): what the board row shows
    names: dict[str, str] = field(default_factory=dict)

    def label(self, block_id: str) -> str:
        """A block of this recommendation as people read it (blocks.block_label)."""
        return block_label(block_id, self.names.get(block_id))

    def alternatives(self) -> dict[str, ChangeOut]:
        """block_id -> the change-out offered instead of the non-EV proposed for that block."""
        return {c.block_id: c for c in self.change_outs if c.instead_of is not None}

    def optimality_text(self) -> str:
        """Whether the plan is proved best, the bound when the work limit stopped the proof, or that the day is
        beyond the exact mode (the page and the CLI say the same)."""
        o = self.recommendation.optimality
        if o is None:
            if not self.recommendation.proposals and not self.recommendation.uncovered:  # no open block at all
                return "Nothing to plan: every block of the day still to start has a bus"
            return ("This day is larger than what is solved exactly: the plan is the best of several constructions, "
                    "not proved best")
        if o.proved:
            return ("Proved best for the open blocks: no plan covers more of them, or as many with more "
                    "battery-electric buses")
        return (f"Not proved best within the solver's work limit: no plan covers more than {o.covered_bound} of the "
                f"open blocks, nor more than {o.ev_bound} with battery-electric buses; this one proposes "
                f"{len(self.recommendation.proposals)}")

    def changes_text(self) -> str | None:
        """What moved since the last recommendation of the day (None: there was none to compare with)."""
        r = self.recommendation
        if r.repaired is None:
            return None
        if not r.changes:
            return "Since the last recommendation of this day, no block changed"
        n = len(r.changes)
        return f"Since the last recommendation of this day, {n} block{'' if n == 1 else 's'} changed " \
               "(the rest keep their bus)"

    def summary(self) -> dict[str, Any]:
        """The recommendation in one line, and its figures: of the day's blocks it plans for (those operators
        assigned, kept as they are, and the open ones not started), how many are covered if it is accepted,
        how many by EVs, which stay uncovered, how many change-outs are suggested (and how many of those are
        offered instead of a non-EV's proposal: one or the other)."""
        r = self.recommendation
        ev = self.ev_covered
        covered = self.kept + len(r.proposals)
        total = covered + len(r.uncovered)
        uncovered = [u.block_id for u in r.uncovered]
        instead = len(self.alternatives())
        taken = sum(1 for t in self.missed if t.vehicle_id is not None)
        return {"blocks": total, "covered": covered, "ev_covered": ev, "kept_assignments": self.kept,
                "proposed": len(r.proposals), "uncovered": uncovered, "change_outs": len(self.change_outs),
                "change_outs_instead_of_proposals": instead, "missed_pull_outs": len(self.missed),
                "text": summary_text(total, covered, ev, self.kept,
                                     [self.label(u) for u in uncovered], len(self.change_outs),
                                     instead,
                                     missed=len(self.missed), taken=taken)}

    def as_dict(self) -> dict[str, Any]:
        r = self.recommendation
        return {"recommendation_id": self.recommendation_id, "plan_version": self.plan_version,
                "summary": self.summary(),
                "proposals": [{"block_id": p.block_id, "block_name": self.names.get(p.block_id),
                               "vehicle_id": p.vehicle_id, "explanation": p.explanation,
                               "end_soc_pct": p.viability.end_soc_pct} for p in r.proposals],
                "uncovered": [{"block_id": u.block_id, "block_name": self.names.get(u.block_id),
                               "explanation": u.explanation} for u in r.uncovered],
                "kept_assignments": self.kept,
                # stored with it: accepted later by block (services/change_outs.accept: split and both EVs)
                "change_outs": [change_out_doc(c) for c in self.change_outs],
                # started with no bus: who can take the rest over (the change-out split with that bus)
                "missed_pull_outs": [takeover_doc(t) for t in self.missed],
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
        with no_cycle_collection():  # its passes would find nothing: services/cycles.py
            rec = recommender.solve()
        change_outs = _change_outs(uow, depot, service_date, recommender, rec, ctx.vehicle_blocks)
        chains = {v: list(bs) for v, bs in ctx.vehicle_blocks.items()}
        by_id = {b.block_id: b for b in open_blocks}
        for p in rec.proposals:  # the buses proposed are not offered again
            chains.setdefault(p.vehicle_id, []).append(by_id[p.block_id])
        missed_pull_outs = takeovers(uow, depot, service_date, ctx.judge,
                                     missed(ctx.blocks, ctx.assignments, service_date, now), chains, now,
                                     busy_note="the proposals above included" if rec.proposals else "")
        doc_proposals = [{"block_id": p.block_id, "vehicle_id": p.vehicle_id, "explanation": p.explanation}
                         for p in rec.proposals]
        doc_uncovered = [{"block_id": u.block_id, "explanation": u.explanation} for u in rec.uncovered]
        rec_id = uow.plans.save_recommendation(day_id, version, now, actor, doc_proposals, doc_uncovered,
                                               change_outs=[change_out_doc(c) for c in change_outs])
        uow.commit()
    on_day = {b.pk for b in ctx.blocks if b.service_date == service_date}
    held = [a.vehicle_id for pk, a in ctx.assignments.items() if pk in on_day]
    ev = sum(1 for v in [*held, *(p.vehicle_id for p in rec.proposals)]
             if v in ctx.judge.vehicles and ctx.judge.is_electric(v))
    names = {b.block_id: n for b in ctx.blocks
             if b.service_date == service_date and (n := other_name(b.block_id, b.block_name))}
    return RecommendResult(rec_id, version, rec, len(held), change_outs, ev, missed_pull_outs, names)


SHOWN_UNCOVERED = 3  # block ids the one-line summary names; the rest are counted


def summary_text(total: int, covered: int, ev: int, kept: int, uncovered: list[str], change_outs: int,
                 instead: int, *, missed: int = 0, taken: int = 0) -> str:
    """'Covers 81 of 83 blocks, 59 with EVs; 2 uncovered: 307934, 309112; 3 change-outs suggested'."""
    def n(k: int, word: str) -> str:
        return f"{k} {word}" + ("" if k == 1 else "s")

    text = f"Covers {covered} of {n(total, 'block')}"
    if kept:
        text += f" ({kept} already in the plan, {covered - kept} proposed)"
    text += f", {ev} with EVs; "
    if uncovered:
        more = len(uncovered) - SHOWN_UNCOVERED
        text += f"{len(uncovered)} uncovered: " + ", ".join(uncovered[:SHOWN_UNCOVERED]) + \
            (f" and {more} more" if more > 0 else "")
    else:
        text += "none uncovered"
    if change_outs:
        text += f"; {n(change_outs, 'change-out')} suggested"
        if instead:
            text += f" ({instead} of them instead of a proposed non-EV: one or the other, not both)"
    if missed:
        text += (f"; {n(missed, 'block')} started with no bus (missed pull-out{'' if missed == 1 else 's'}, not "
                 f"planned here): {taken} can be taken over")
    return text


def _change_outs(uow: UnitOfWork, depot: Depot, service_date: date, recommender: Recommender,
                 rec: Recommendation, fixed: dict[str, list[DayBlock]]) -> list[ChangeOut]:
    """For each block no EV can run on one charge that is uncovered or left to a non-EV: a split two EVs
    can run, if there is one (they are judged with the chains the recommendation gives them). For a block
    proposed to a non-EV the split is offered instead of that proposal (`instead_of`, and said first in
    its explanation): accepting one makes the other refused, so a front end offers one or the other."""
    judge = recommender.judge
    chains: dict[str, list[DayBlock]] = {v: list(bs) for v, bs in fixed.items()}
    by_id = {b.block_id: b for b in recommender.blocks}
    for p in rec.proposals:
        chains.setdefault(p.vehicle_id, []).append(by_id[p.block_id])
    on_non_ev = {p.block_id for p in rec.proposals
                 if not judge.types[judge.vehicles[p.vehicle_id].vehicle_type].is_electric}
    by_vehicle = {p.block_id: p.vehicle_id for p in rec.proposals if p.block_id in on_non_ev}
    tz = zone(depot.timezone)
    out = []
    for bi, block in enumerate(recommender.blocks):
        covered_by_ev = block.block_id not in on_non_ev and block.block_id in {p.block_id for p in rec.proposals}
        if recommender.recoverable[bi] or covered_by_ev or block.schedule_id is None or not block.trip_ids:
            continue
        trips = uow.schedules.trips_by_ids(block.schedule_id, block.trip_ids)
        stops = uow.schedules.stops(block.schedule_id, sorted({t.start_stop for t in trips} | {t.end_stop
                                                                                              for t in trips}))
        suggestion = suggest_change_out(judge, block, trips, lambda t: at_service_time(service_date, t.start_s, tz),
                                        chains, lambda t: t.astimezone(tz).strftime("%H:%M"), depot, stops)
        if suggestion is not None:
            proposed = by_vehicle.get(block.block_id)
            if proposed is not None:  # a non-EV is proposed for it: the change-out is the alternative to that
                suggestion = replace(suggestion, instead_of=proposed, explanation=f"instead of {proposed} on the "
                                     f"whole block (its proposal): {suggestion.explanation}")
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
        held = {a.block_id for a in uow.plans.assignments_for_dates(depot_id, [service_date]).values()}
        result.left = sum(1 for x in (*stored.proposals, *stored.change_outs) if x["block_id"] not in held)
        uow.commit()
    return result
