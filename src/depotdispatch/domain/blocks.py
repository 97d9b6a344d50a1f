"""Trips and blocks of a schedule, and how a service day's trips become blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# How a distance was obtained, best first. A block is only as good as its weakest trip.
DISTANCE_SOURCES = ("stated", "shape_dist_traveled", "shape", "stops", "unknown")


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop where a trip starts or ends: where a bus can be relieved (domain/changeout.py)."""

    stop_id: str
    name: str | None
    lat: float | None  # WGS84 degrees; None when the feed gives none
    lon: float | None


@dataclass(frozen=True, slots=True)
class Trip:
    trip_id: str
    service_id: str
    block_id: str | None
    route_id: str
    start_s: int  # seconds since the service day's origin (may pass 24 h)
    end_s: int
    start_stop: str
    end_stop: str
    distance_km: float | None
    distance_source: str
    block_name: str | None = None  # the feed's human name for the block (GTFS block_name), if any


@dataclass(frozen=True, slots=True)
class BlockWork:
    """One block of one service day, before it is placed on a dispatch day."""

    block_id: str
    start_s: int
    end_s: int
    distance_km: float | None
    distance_source: str
    trip_ids: tuple[str, ...]
    routes: tuple[str, ...]
    generated: bool = False
    vehicle_class: str | None = None
    block_name: str | None = None

    @property
    def trips(self) -> int:
        return len(self.trip_ids)


class Named(Protocol):
    @property
    def block_id(self) -> str: ...
    @property
    def block_name(self) -> str | None: ...


def other_name(block_id: str, block_name: str | None) -> str | None:
    """The feed's human name for a block (GTFS block_name) where it says something its id does not."""
    return block_name if block_name and block_name != block_id else None


def block_label(block_id: str, block_name: str | None = None) -> str:
    """A block as people read it, everywhere (DESIGN §9): "106 (id 703)" where the feed names it otherwise, the
    id alone where not. The id stays beside the name: in a feed like U-M's, "703" is also another block's name."""
    name = other_name(block_id, block_name)
    return f"{name} (id {block_id})" if name else block_id


def label_of(block: Named) -> str:
    """block_label of a schedule's or a day's block."""
    return block_label(block.block_id, block.block_name)


def weakest_source(sources: Iterable[str]) -> str:
    ranked = [DISTANCE_SOURCES.index(s) if s in DISTANCE_SOURCES else len(DISTANCE_SOURCES) - 1 for s in sources]
    return DISTANCE_SOURCES[max(ranked)] if ranked else "unknown"


def block_from_trips(block_id: str, trips: Sequence[Trip], *, generated: bool = False) -> BlockWork:
    ordered = sorted(trips, key=lambda t: (t.start_s, t.end_s, t.trip_id))
    known = [t.distance_km for t in ordered if t.distance_km is not None]
    distance = round(sum(known), 3) if len(known) == len(ordered) else None
    source = weakest_source(t.distance_source for t in ordered) if distance is not None else "unknown"
    routes = tuple(dict.fromkeys(t.route_id for t in ordered))
    return BlockWork(
        block_id=block_id,
        start_s=ordered[0].start_s,
        end_s=max(t.end_s for t in ordered),
        distance_km=distance,
        distance_source=source,
        trip_ids=tuple(t.trip_id for t in ordered),
        routes=routes,
        generated=generated,
        block_name=next((t.block_name for t in ordered if t.block_name), None),
    )


def group_blocks(trips: Iterable[Trip]) -> list[BlockWork]:
    """Blocks of one service day from trips that carry a block_id (grouped per block, not per service)."""
    by_block: dict[str, list[Trip]] = defaultdict(list)
    for trip in trips:
        if trip.block_id:
            by_block[trip.block_id].append(trip)
    return sorted((block_from_trips(b, ts) for b, ts in by_block.items()), key=_order)


def chain_trips(trips: Sequence[Trip], *, min_layover_s: int = 300) -> list[BlockWork]:
    """Generate blocks for trips that have no block_id: the fewest chains, then the shortest layovers.

    A trip may follow another that ends at the stop where it starts, at least `min_layover_s` later.
    Links only form within one stop, so each stop is an independent min-cost maximum matching
    (ends at the stop x starts at the stop); every matched pair removes one block.
    """
    from scipy.optimize import linear_sum_assignment  # lazily: scipy costs 0.2 s to import

    ends: dict[str, list[int]] = defaultdict(list)
    starts: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(trips):
        ends[t.end_stop].append(i)
        starts[t.start_stop].append(i)
    follower: dict[int, int] = {}
    for stop, enders in ends.items():
        starters = starts.get(stop)
        if not starters:
            continue
        end_s = np.array([trips[i].end_s for i in enders], dtype=np.int64)
        start_s = np.array([trips[j].start_s for j in starters], dtype=np.int64)
        layover = start_s[None, :] - end_s[:, None]
        same = np.array(enders)[:, None] == np.array(starters)[None, :]
        feasible = (layover >= min_layover_s) & ~same
        if not feasible.any():
            continue
        # An infeasible pair costs more than all feasible ones together: fewest blocks first.
        big = float(layover[feasible].sum()) + 1.0
        cost = np.where(feasible, layover, big).astype(float)
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            if feasible[r, c]:
                follower[enders[r]] = starters[c]
    has_leader = set(follower.values())
    blocks = []
    for i in sorted(range(len(trips)), key=lambda k: (trips[k].start_s, trips[k].trip_id)):
        if i in has_leader:
            continue
        chain, k = [trips[i]], i
        while (k := follower.get(k, -1)) >= 0:
            chain.append(trips[k])
        blocks.append(block_from_trips(f"G-{trips[i].trip_id}", chain, generated=True))
    return sorted(blocks, key=_order)


def _order(b: BlockWork) -> tuple[int, int, str]:
    return (b.start_s, b.end_s, b.block_id)
