"""Operator words for the recommendation: why this vehicle, why no EV, why nobody."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.soc_bound import end_soc_bound
from depotdispatch.domain.turnaround import OVERLAP, clash
from depotdispatch.domain.viability import Viability, pct, pct_below, pct_short

# How many EVs, and why each is not on the block: "{n} {noun} {label}" reads as a sentence for any count.
LABELS = {"soc_below_reserve": "would run short of charge", "soc_marginal": "would pull in too close to the reserve",
          "soc_stale": "with a SoC reading too old to trust", "soc_missing": "with no SoC reading",
          "overlaps_block": "on other work at that time", "unavailable": "not available",
          "class_mismatch": "of the wrong class", "distance_unknown": "that cannot be judged (distance unknown)",
          "short_turnaround": "with too short a turnaround", "taken": "needed for other blocks"}
NOT_FREE = {"overlaps_block", "unavailable", "class_mismatch"}
UNKNOWN_DISTANCE = ("its distance is unknown, so no EV can be judged for it: give the block's distance "
                    "to let an EV take it")
FREE_JUDGED = 5  # the free EVs with the most charge judged in full for "the best free EV"


@dataclass(frozen=True)
class EvReasons:
    """Why the EVs are not on a block, already counted (the recommendation counts them from its arrays):
    how many EVs for each code ("taken": it could have run it), and the first `FREE_JUDGED` free EVs (not
    on other work, of the right class) in order of their reading's SoC, highest first, ties in vehicle order."""

    counts: Mapping[str, int]
    free: Sequence[str]


Classify = Callable[[str], str | None] | Sequence[tuple[str, str | None]] | EvReasons


def by_charge(judge: FleetJudge, vehicle_ids: Sequence[str]) -> list[str]:
    """The order "the best free EV" is looked for in: the reading's SoC, highest first (no reading last),
    ties in the given order."""
    return sorted(vehicle_ids, key=lambda vid: -(judge.readings[vid].soc_pct if vid in judge.readings else -1))


def _ev_verdicts(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]],
                 vehicle_ids: Sequence[str], classify: Classify | None = None
                 ) -> list[tuple[str, Viability | str]]:
    """Per EV, why it is not on this block: a code from `classify` (quick, when the caller has one: None
    means it could run it; or already the list of (EV, code)) or else a full judgement."""
    assert not isinstance(classify, EvReasons)
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
    if block.distance_km is None:  # every EV's first reason would be about its charge, and mislead
        return UNKNOWN_DISTANCE
    if isinstance(classify, EvReasons):
        counts, free = dict(classify.counts), list(classify.free)
    else:
        verdicts = _ev_verdicts(judge, block, chains, vehicle_ids, classify)
        counts = {}
        for _, v in verdicts:
            code = v if isinstance(v, str) else (v.reasons[0].code if v.reasons else "taken")
            counts[code] = counts.get(code, 0) + 1
        free = by_charge(judge, [vid for vid, v in verdicts if (v if isinstance(v, str) else "") not in NOT_FREE
                                 and (isinstance(v, str) or not NOT_FREE & set(v.codes))])
    if not counts:
        return "the depot has no battery-electric bus available"
    parts = [f"{n} {'EV' if n == 1 else 'EVs'} {LABELS.get(c, c.replace('_', ' '))}"
             for c, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    best = _best_free(judge, block, chains, free[:FREE_JUDGED])
    tail = ""
    if best:
        vid, end, v = best
        # the charge alone, or what else holds the best free EV back, so the sentence never contradicts itself
        other = next((r for r in v.reasons if r.code not in ("soc_below_reserve", "soc_marginal")), None)
        low = (", below the reserve" if "soc_below_reserve" in v.codes
               else ", too close to the reserve" if "soc_marginal" in v.codes else "")
        # "would pull in at 12 %, but last reading ... older than 6 h" read as if 12 % were fine: say both
        reserve = judge.thresholds_for(judge.vehicles[vid].vehicle_type).reserve_pct
        at = pct_below(end, reserve) if "soc_below_reserve" in v.codes else pct(end)
        why = (f"would run out {pct_short(-end)} short" if end < 0
               else f"would pull in at {at}{low}, and {other.message}" if other is not None and low
               else f"would pull in at {at}, but {other.message}" if other is not None
               else f"would pull in at {at}{low}" if low
               else f"would pull in at {at} but is needed for other blocks")
        tail = f"; the best free EV, {vid}, {why}"
    return "no EV can run it safely (" + ", ".join(parts) + ")" + tail


def _best_free(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]], free: Sequence[str]
               ) -> tuple[str, float, Viability] | None:
    """Of these free EVs, the one that would pull in with the most charge (ties: the last vehicle id), judged
    in full. An EV whose bound (domain/soc_bound.py) cannot beat the best judged so far is not judged:
    the same answer, most of the judgements saved (they were a tenth of a 500-block recommendation)."""
    def chain(vid: str) -> list[DayBlock]:
        return [*(b for b in chains.get(vid, []) if b.block_id != block.block_id), block]

    bounds = {vid: end_soc_bound(judge, vid, block, chain(vid)) for vid in free}
    best: tuple[str, float, Viability] | None = None
    for vid in sorted(free, key=lambda x: -math.inf if (b := bounds[x]) is None else -b):  # most promising first
        bound = bounds[vid]
        if best is not None and bound is not None and (bound, vid) < (best[1], best[0]):
            continue
        v = judge.judge(vid, block, chain(vid))
        if v.end_soc_pct is not None and (best is None or (v.end_soc_pct, vid) > (best[1], best[0])):
            best = (vid, v.end_soc_pct, v)
    return best


FullCharge = tuple[str, float, float]  # EV type, SoC a full charge leaves after the block (expected, conservative)


def explain_proposal(judge: FleetJudge, vid: str, block: DayBlock, v: Viability,
                     chains: Mapping[str, list[DayBlock]], vehicle_ids: Sequence[str],
                     classify: Classify | None = None, only_non_ev: bool = False,
                     full_charge: FullCharge | None = None) -> str:
    """`only_non_ev`: no EV could run the block even fully charged; `full_charge` is then the EV type a full
    charge takes furthest on it (None: no EV is of its class)."""
    vtype = judge.types[judge.vehicles[vid].vehicle_type]
    before = [b for b in chains.get(vid, []) if b.pull_in <= block.pull_out]
    after = f", after {_block_words(before[-1], block)}" if before else ""
    if (vtype.is_electric and v.readiness and v.readiness.soc_pct is not None and v.estimate
            and v.end_soc_pct is not None):
        need = 100 * v.estimate.expected_kwh / (vtype.usable_kwh or 1)
        return (f"EV {vid}: {pct(v.readiness.soc_pct)} at pull-out{after}, needs {pct(need)}, "
                f"pulls in at {pct(v.end_soc_pct)}")
    if only_non_ev:  # counting the EVs that "would run short of charge" would say a charge helps
        return (f"{vtype.propulsion} {vid}{after}: only a non-EV can run it "
                f"({_on_full_charge(judge, block, full_charge)}), so a non-EV takes it ahead of the blocks an EV "
                "can run")
    return f"{vtype.propulsion} {vid}{after}: {why_no_ev(judge, block, chains, vehicle_ids, classify)}"


def _on_full_charge(judge: FleetJudge, block: DayBlock, best: FullCharge | None) -> str:
    if best is None:
        return f"no EV is of the class the block needs, {block.vehicle_class}"
    name, end, p90 = best
    th = judge.thresholds_for(name)
    usable = judge.types[name].usable_kwh or 0
    who = f"no EV could, even fully charged: the best EV type for it, {name} ({usable:.0f} kWh usable),"
    if end < 0:
        return f"{who} would run out {pct_short(-end)} short"
    if end < th.reserve_pct:
        return f"{who} would pull in at {pct_below(end, th.reserve_pct)}, below the {pct(th.reserve_pct)} reserve"
    if end < th.reserve_pct + th.marginal_band_pct:
        return f"{who} would pull in at {pct(end)}, too close to the {pct(th.reserve_pct)} reserve"
    return (f"{who} would pull in at {pct(end)} ({pct_below(p90, th.reserve_pct)} conservative), below the "
            f"{pct(th.reserve_pct)} reserve")


def explain_uncovered(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]],
                      vehicle_ids: Sequence[str], classify: Classify | None = None) -> str:
    others = [vid for vid in vehicle_ids if not judge.types[judge.vehicles[vid].vehicle_type].is_electric]
    # a non-EV of another class is no more free for it than one on other work ("the one other vehicle is free
    # then" of a 12 m bus beside an articulated block read as if it could take it)
    fit = [vid for vid in others if block.vehicle_class is None
           or judge.types[judge.vehicles[vid].vehicle_type].vehicle_class in (None, block.vehicle_class)]
    busy = sum(1 for vid in fit if any(clash(b.pull_out, b.pull_in, block.pull_out, block.pull_in, timedelta(0))
                                        == OVERLAP for b in chains.get(vid, [])))
    words = _others_busy(len(fit), busy)
    if len(fit) < len(others):
        wrong = len(others) - len(fit)
        words = (("the one other vehicle is" if len(others) == 1 else f"all {len(others)} other vehicles are"
                  if not fit else f"{wrong} of the {len(others)} other vehicles {'is' if wrong == 1 else 'are'}")
                 + f" not of the class the block needs ({block.vehicle_class})"
                 + (f"; of the rest, {words.replace('other vehicle', 'vehicle')}" if fit else ""))
    return f"{why_no_ev(judge, block, chains, vehicle_ids, classify)}; {words}"


def _others_busy(n: int, busy: int) -> str:
    """The non-EVs at that time, as a person says it: "all 8 other vehicles are on other work then", never
    "8 other vehicles, 8 of them busy"."""
    if n == 0:
        return "no other vehicle available"
    if n == 1:
        return "the one other vehicle is on other work then" if busy else "the one other vehicle is free then"
    if busy == n:
        return "both other vehicles are on other work then" if n == 2 else \
            f"all {n} other vehicles are on other work then"
    if busy == 0:
        return f"none of the {n} other vehicles is on other work then"
    return f"{busy} of the {n} other vehicles {'is' if busy == 1 else 'are'} on other work then"


READ = ("soc_stale", "soc_missing")
CHARGE = ("soc_below_reserve", "soc_marginal")


def why_left(judge: FleetJudge, block: DayBlock, chains: Mapping[str, list[DayBlock]], vehicle_ids: Sequence[str],
             classify: Classify | None = None, *, non_ev_only_covered: bool = False) -> str:
    """Why a recoverable block (an EV could run it on a full charge) is the one left uncovered: it is the
    easiest to cover later, once an EV is charged or has a fresh reading (whichever holds the EVs back;
    "free" when only other work does). `non_ev_only_covered`: the non-EVs were given blocks only they can
    run, which is said too."""
    codes = set(classify.counts) if isinstance(classify, EvReasons) else {
        v if isinstance(v, str) else (v.reasons[0].code if v.reasons else "taken")
        for _, v in _ev_verdicts(judge, block, chains, vehicle_ids, classify)}
    read, charge = bool(codes & set(READ)), bool(codes & set(CHARGE))
    how = {(True, False): "once one has a fresh SoC reading", (False, True): "once one is charged",
           (True, True): "once charged or read", (False, False): "once one is free"}[(read, charge)]
    text = f"an EV could run it {how}: left for last, as the block most easily covered later"
    if non_ev_only_covered:
        text += " (the non-EVs run blocks that no EV can)"
    return text


def _block_words(b: DayBlock, today: DayBlock) -> str:
    """Block ids repeat every service day: name the day when the earlier block is not the same day's. By its
    date, never "yesterday's": tomorrow is planned today, and its "yesterday" is today."""
    if b.service_date == today.service_date:
        return f"block {label_of(b)}"
    return f"block {label_of(b)} of {b.service_date:%a} {b.service_date.day} {b.service_date:%b}"
