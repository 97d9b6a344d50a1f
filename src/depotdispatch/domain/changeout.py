"""Change-out suggestions (DESIGN §12b): a block no EV can run on one charge, split at a relief point
into two parts that two EVs can run, with the swap vehicle and the times.

Relief points (`relief_points`): trip boundaries where the bus is at one of the block's own terminal stops
(where it leaves or joins the depot run), or, when the depot's location is set, at a stop within the depot's
relief distance of it (great-circle, `Depot.relief_km`) whose coordinates the feed gives.
A suggestion is stored with its recommendation and accepted by block (services/change_outs.py `accept`):
the change-out split (services/adhoc.py `split_in`) and both EVs assigned, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.blocks import Stop, Trip
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.distance import haversine_km
from depotdispatch.domain.turnaround import block_clash


@dataclass(frozen=True)
class ChangeOut:
    block_id: str
    at: datetime  # the change-out time (the first trip of the second part starts then)
    stop: str  # the relief point
    first_vehicle: str  # runs the block up to `at`
    swap_vehicle: str  # takes over at `at`
    first_km: float
    second_km: float
    explanation: str
    # the non-EV the recommendation proposes for the whole block, when it does: the change-out is offered
    # instead of that proposal (one or the other, never both; None: the block is left uncovered)
    instead_of: str | None = None
    relief: str = ""  # where the relief point is, in words (`relief_points`)


def relief_points(depot: Depot, ordered: Sequence[Trip], stops: Mapping[str, Stop]) -> dict[str, str]:
    """The stops of a block (its trips in order) where a bus can be relieved, each as a sentence says it:
    its own first and last stop (its depot run), and any stop it starts a trip at within the depot's
    relief distance, when the depot's location and the stop's are known. Stop id -> where it is, in words
    (the stop's name, and why it is a relief point)."""
    def named(stop_id: str, where: str) -> str:
        stop = stops.get(stop_id)
        return f"{stop.name}, {where}" if stop is not None and stop.name else where

    out = {s: named(s, "where it joins its depot run") for s in (ordered[0].start_stop, ordered[-1].end_stop)}
    if depot.latitude is None or depot.longitude is None:
        return out
    for trip in ordered[1:]:
        stop = stops.get(trip.start_stop)
        if trip.start_stop in out or stop is None or stop.lat is None or stop.lon is None:
            continue
        km = haversine_km(depot.latitude, depot.longitude, stop.lat, stop.lon)
        if km <= depot.relief_km:
            out[trip.start_stop] = named(trip.start_stop, f"{km:.1f} km from the depot")
    return out


def suggest_change_out(judge: FleetJudge, block: DayBlock, trips: Sequence[Trip],
                       trip_start: Callable[[Trip], datetime], chains: Mapping[str, Sequence[DayBlock]],
                       describe: Callable[[datetime], str], depot: Depot,
                       stops: Mapping[str, Stop]) -> ChangeOut | None:
    """The best split (the highest lower pull-in SoC of the two EVs), or None when no split works."""
    by_id = {t.trip_id: t for t in trips}
    ordered = [by_id[t] for t in block.trip_ids if t in by_id]
    if len(ordered) < 2 or any(t.distance_km is None for t in ordered):
        return None
    relief = relief_points(depot, ordered, stops)
    evs = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available"
                 and judge.types[veh.vehicle_type].is_electric)
    best: tuple[float, ChangeOut] | None = None
    for k in range(1, len(ordered)):
        if ordered[k].start_stop not in relief:
            continue
        at = trip_start(ordered[k])
        if not block.pull_out < at < block.pull_in:
            continue
        km1 = round(sum(t.distance_km or 0.0 for t in ordered[:k]), 3)
        km2 = round(sum(t.distance_km or 0.0 for t in ordered[k:]), 3)
        # ids of their own: the judge caches energy estimates per block id
        first = replace(block, block_id=f"{block.block_id} (to trip {k})", pull_in=at, distance_km=km1,
                        trip_ids=tuple(t.trip_id for t in ordered[:k]), pk=None)
        second = replace(block, block_id=f"{block.block_id} (from trip {k})", pull_out=at, distance_km=km2,
                         trip_ids=tuple(t.trip_id for t in ordered[k:]), pk=None)
        ends1 = _ok(judge, evs, first, chains)
        ends2 = _ok(judge, evs, second, chains)
        pairs = [(min(e1, e2), a, b) for a, e1 in ends1.items() for b, e2 in ends2.items() if a != b]
        if not pairs:
            continue
        margin, a, b = max(pairs, key=lambda p: (p[0], p[1], p[2]))
        if best is None or margin > best[0]:
            stop = ordered[k].start_stop
            text = (f"no EV runs all {block.distance_km or km1 + km2:.0f} km on one charge: {a} runs it to "
                    f"{describe(at)} at stop {stop} ({relief[stop]}; {km1:.0f} km), {b} takes over for the "
                    f"remaining {km2:.0f} km; both pull in at {margin:.0f} % or more")
            best = (margin, ChangeOut(block.block_id, at, stop, a, b, km1, km2, text, relief=relief[stop]))
    return best[1] if best else None


def _ok(judge: FleetJudge, evs: Sequence[str], part: DayBlock,
        chains: Mapping[str, Sequence[DayBlock]]) -> dict[str, float]:
    turn = timedelta(minutes=judge.depot.turnaround_min)
    out = {}
    for v in evs:
        chain = [b for b in chains.get(v, []) if b.block_id != part.block_id]
        # on other work then: never ok (the one turnaround rule), so not judged in full. On Big Blue Bus
        # (104 EVs nearly all busy) the full judgements of a change-out search that found nothing were ~0.45 s
        # CPU of a ~0.65 s recommendation
        if any(block_clash(b, part, turn) for b in chain):
            continue
        verdict = judge.judge(v, part, [*chain, part])
        if verdict.status == "ok" and verdict.end_soc_pct is not None:
            out[v] = verdict.end_soc_pct
    return out
