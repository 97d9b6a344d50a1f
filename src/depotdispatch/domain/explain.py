"""Operator words for the recommendation: why this vehicle, why no EV, why nobody."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.turnaround import OVERLAP, clash
from depotdispatch.domain.viability import Viability

LABELS = {"soc_below_reserve": "short of charge", "soc_marginal": "too close to the reserve",
          "soc_stale": "stale SoC", "soc_missing": "no SoC reading", "overlaps_block": "busy",
          "class_mismatch": "wrong class", "distance_unknown": "distance unknown", "taken": "needed elsewhere"}
NOT_FREE = {"overlaps_block", "unavailable", "class_mismatch"}


Classify = Callable[[str], str | None] | Sequence[tuple[str, str | None]]


def _ev_verdicts(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]],
                 vehicle_ids: Sequence[str], classify: Classify | None = None
                 ) -> list[tuple[str, Viability | str]]:
    """Per EV, why it is not on this block: a code from `classify` (quick, when the caller has one: None
    means it could run it; or already the list of (EV, code)) or else a full judgement."""
    if classify is not None and not callable(classify):
        return [(vid, code or "taken") for vid, code in classify]
    out: list[tuple[str, Viability | str]] = []
    for vid in vehicle_ids:
        if not judge.types[judge.vehicles[vid].vehicle_type].is_electric:
            continue
        if classify is not None:
            out.append((vid, classify(vid) or "taken"))
            continue
        chain = [b for b in chains.get(vid, []) if b.block_id != block.block_id]
        out.append((vid, judge.judge(vid, block, [*chain, block])))
    return out


def why_no_ev(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]],
              vehicle_ids: Sequence[str], classify: Classify | None = None) -> str:
    verdicts = _ev_verdicts(judge, block, chains, vehicle_ids, classify)
    if not verdicts:
        return "the depot has no battery-electric bus available"
    counts: dict[str, int] = {}
    for _, v in verdicts:
        code = v if isinstance(v, str) else (v.reasons[0].code if v.reasons else "taken")
        counts[code] = counts.get(code, 0) + 1
    parts = [f"{n} {LABELS.get(c, c)}" for c, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    # the best free EV: judged in full, but only the few with the most charge
    free = [vid for vid, v in verdicts if (v if isinstance(v, str) else "") not in NOT_FREE
            and (isinstance(v, str) or not NOT_FREE & set(v.codes))]
    free.sort(key=lambda vid: -(judge.readings[vid].soc_pct if vid in judge.readings else -1))
    judged = []
    for vid in free[:5]:
        chain = [b for b in chains.get(vid, []) if b.block_id != block.block_id]
        v = judge.judge(vid, block, [*chain, block])
        if v.end_soc_pct is not None:
            judged.append((vid, v.end_soc_pct))
    best = max(judged, key=lambda x: (x[1], x[0]), default=None)
    tail = ""
    if best:
        tail = (f"; best free EV {best[0]} would run out {-best[1]:.0f} % short" if best[1] < 0
                else f"; best free EV {best[0]} would pull in at {best[1]:.0f} %")
    return "no EV can run it (" + ", ".join(parts) + ")" + tail


def explain_proposal(judge: FleetJudge, vid: str, block: DayBlock, v: Viability,
                     chains: Mapping[str, list[DayBlock]], vehicle_ids: Sequence[str],
                     classify: Classify | None = None) -> str:
    vtype = judge.types[judge.vehicles[vid].vehicle_type]
    before = [b.block_id for b in chains.get(vid, []) if b.end_at <= block.start_at]
    after = f", after block {before[-1]}" if before else ""
    if vtype.is_electric and v.readiness and v.readiness.soc_pct is not None and v.estimate:
        need = 100 * v.estimate.expected_kwh / (vtype.usable_kwh or 1)
        return (f"EV {vid}: {v.readiness.soc_pct:.0f} % at pull-out{after}, needs {need:.0f} %, "
                f"pulls in at {v.end_soc_pct:.0f} %")
    return f"{vtype.propulsion} {vid}{after}: {why_no_ev(judge, block, chains, vehicle_ids, classify)}"


def explain_uncovered(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]],
                      vehicle_ids: Sequence[str], classify: Classify | None = None) -> str:
    others = [vid for vid in vehicle_ids if not judge.types[judge.vehicles[vid].vehicle_type].is_electric]
    busy = sum(1 for vid in others if any(clash(b.start_at, b.end_at, block.start_at, block.end_at, timedelta(0))
                                           == OVERLAP for b in chains.get(vid, [])))
    other = f"{len(others)} other vehicles, {busy} of them busy" if others else "no other vehicle available"
    return f"{why_no_ev(judge, block, chains, vehicle_ids, classify)}; {other}"
