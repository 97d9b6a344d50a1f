"""A missed pull-out taken over (DESIGN §3 `no_vehicle`): a block that started with no bus is split at the
first trip a bus from the depot can still reach at a relief point (domain/changeout.relief_points), and the
best free bus takes the rest; an EV when one can run it, else a non-EV. Accepted as the change-out split with
the bus that takes over (`block split B --at HH:MM --swap-vehicle V`), so the rules of `plan assign` hold."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.adhoc import split_block
from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.blocks import Stop, Trip
from depotdispatch.domain.changeout import relief_points
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.explain import NOT_FREE
from depotdispatch.domain.explain import READ as UNREAD
from depotdispatch.domain.viability import pct


@dataclass(frozen=True)
class Takeover:
    block_id: str
    at: datetime | None  # the rest starts then; None: no trip left that a bus can reach
    stop: str | None
    relief: str  # where the stop is, in words
    vehicle_id: str | None  # the bus that takes the rest; None: no free bus can
    km: float | None  # of the rest
    explanation: str


# why a bus cannot take the rest, by the reason that decides its verdict (Viability.deciding), in words
_WHY_NOT = {"overlaps_block": "on other work then", "short_turnaround": "on other work then",
            "soc_below_reserve": "short of charge", "soc_marginal": "short of charge",
            "soc_stale": "with a SoC reading too old to trust", "soc_missing": "with no SoC reading",
            "class_mismatch": "of another class", "unavailable": "not available"}


def suggest_takeover(judge: FleetJudge, depot: Depot, block: DayBlock, trips: Sequence[Trip], now: datetime,
                     trip_start: Callable[[Trip], datetime], trip_end: Callable[[Trip], datetime],
                     chains: Mapping[str, Sequence[DayBlock]], stops: Mapping[str, Stop],
                     describe: Callable[[datetime], str], busy_note: str = "") -> Takeover:
    """The earliest trip of `block` that starts at a relief point once a bus could be there (now plus the
    pull-out allowance, and at least a turnaround to get ready), and the free bus best able to run the rest.
    With none, why not, counted per reason; `busy_note` says what "other work" includes (the recommendation's
    proposals: the picker, on the plan alone, may then name a bus the recommendation has given other work)."""
    by_id = {t.trip_id: t for t in trips}
    ordered = [by_id[t] for t in block.trip_ids if t in by_id]
    relief = relief_points(depot, ordered, stops) if ordered else {}
    # the rest is timed by its trips: the bus leaves the yard its pull-out allowance before (Depot.allowances)
    ready = now + max(depot.allowances(block.trip_ids)[0], timedelta(minutes=depot.turnaround_min))
    later = [t for t in ordered[1:] if t.start_stop in relief and trip_start(t) >= ready]
    if not later:
        return Takeover(block.block_id, None, None, "", None, None,
                        f"no trip of it starts at a relief point after {describe(ready)}, when a bus from the "
                        "depot could be there: cancel the rest, or send a bus to meet it")
    first = later[0]
    at = trip_start(first)
    # an id of its own: the judge caches energy estimates per block id
    _, rest = split_block(block, trips, at, f"{block.block_id} (taken over)", trip_start, trip_end)
    where = f"at stop {first.start_stop} ({relief[first.start_stop]})"
    km = f"{rest.distance_km:.0f} km" if rest.distance_km is not None else "distance unknown"
    ok: list[tuple[bool, float, str]] = []
    unread: list[tuple[str, str]] = []  # free then, but its charge is not known: (bus, why), a reading would tell
    why_not: dict[str, int] = {}
    for v in sorted(judge.vehicles):
        if judge.vehicles[v].availability != "available":
            why_not["not available"] = why_not.get("not available", 0) + 1
            continue
        verdict = judge.judge(v, rest, [*chains.get(v, ()), rest])
        if verdict.status == "ok":
            electric = judge.is_electric(v)
            ok.append((electric, verdict.end_soc_pct if electric and verdict.end_soc_pct is not None else 0.0, v))
        else:
            if not NOT_FREE.intersection(verdict.codes):
                unread.extend((v, r.message) for r in verdict.reasons if r.code in UNREAD)
            reason = verdict.deciding
            words = _WHY_NOT.get(reason.code, "not ok for it") if reason is not None else "not ok for it"
            if words == _WHY_NOT["overlaps_block"] and busy_note:
                words += f" ({busy_note})"
            why_not[words] = why_not.get(words, 0) + 1
    if not ok:
        counted = "; ".join(f"{n} {'bus' if n == 1 else 'buses'} {w}"
                            for w, n in sorted(why_not.items(), key=lambda kv: (-kv[1], kv[0])))
        said = (f"no free bus can take the rest from {describe(at)} {where}, {km}: "
                + (counted or "the depot has no bus"))
        if unread:  # not "every bus": this one may well be able to, once read
            v, why = unread[0]
            more = len(unread) - 1
            said = (f"no bus is known to be able to take the rest from {describe(at)} {where}, {km}: {v} is free "
                    f"then, but {why}" + (f" ({more} more free with no recent reading)" if more else ""))
        return Takeover(block.block_id, at, first.start_stop, relief[first.start_stop], None, rest.distance_km,
                        said)
    electric, end_soc, v = min(ok, key=lambda o: (not o[0], -o[1], o[2]))  # an EV, the fullest, then fleet no.
    then = f", pulls in with {pct(end_soc)}" if electric else " (no EV can run it)"  # EVs first
    return Takeover(block.block_id, at, first.start_stop, relief[first.start_stop], v, rest.distance_km,
                    f"{v} can take the rest from {describe(at)} {where}, {km}{then}")
