"""Block grouping and generation, as pure functions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from depotdispatch.domain.blocks import Trip, chain_trips, group_blocks

STOPS = "ABC"


@st.composite
def trip_sets(draw) -> list[Trip]:
    n = draw(st.integers(0, 25))
    trips = []
    for i in range(n):
        start = draw(st.integers(0, 30 * 3600))
        length = draw(st.integers(600, 3 * 3600))
        trips.append(Trip(f"t{i}", "S", None, "R", start, start + length, draw(st.sampled_from(STOPS)),
                          draw(st.sampled_from(STOPS)), 10.0, "stops"))
    return trips


def _max_links(trips: list[Trip], min_layover: int) -> int:
    """Independent oracle: a maximum bipartite matching over all allowed links."""
    n = len(trips)
    if not n:
        return 0
    adj = np.zeros((n, n), dtype=np.int8)
    for i, a in enumerate(trips):
        for j, b in enumerate(trips):
            if i != j and a.end_stop == b.start_stop and b.start_s - a.end_s >= min_layover:
                adj[i, j] = 1
    match = maximum_bipartite_matching(csr_matrix(adj), perm_type="column")
    return int((match >= 0).sum())


@settings(max_examples=150, deadline=None)
@given(trip_sets(), st.sampled_from([0, 300, 900]))
def test_chaining_covers_each_trip_once_with_the_fewest_blocks(trips: list[Trip], layover: int) -> None:
    blocks = chain_trips(trips, min_layover_s=layover)
    covered = [t for b in blocks for t in b.trip_ids]
    assert sorted(covered) == sorted(t.trip_id for t in trips)
    by_id = {t.trip_id: t for t in trips}
    for b in blocks:
        chain = [by_id[t] for t in b.trip_ids]
        for a, nxt in zip(chain, chain[1:], strict=False):
            assert nxt.start_s - a.end_s >= layover and nxt.start_stop == a.end_stop
    assert len(blocks) == len(trips) - _max_links(trips, layover)


def test_chaining_prefers_the_shorter_layover() -> None:
    a = Trip("a", "S", None, "R", 0, 3600, "A", "B", 1.0, "stops")
    late = Trip("late", "S", None, "R", 9000, 9900, "B", "A", 1.0, "stops")
    early = Trip("early", "S", None, "R", 3700, 7000, "B", "A", 1.0, "stops")
    chains = {blk.trip_ids for blk in chain_trips([a, late, early], min_layover_s=60)}
    assert chains == {("a", "early"), ("late",)}


def test_group_blocks_orders_trips_and_merges_services() -> None:
    t1 = Trip("t1", "weekday", "B", "R1", 7200, 9000, "A", "B", 5.0, "shape")
    t2 = Trip("t2", "extra", "B", "R2", 3600, 5400, "B", "A", 4.0, "shape_dist_traveled")
    [block] = group_blocks([t1, t2])
    assert block.trip_ids == ("t2", "t1") and block.routes == ("R2", "R1")
    assert (block.start_s, block.end_s, block.distance_km) == (3600, 9000, 9.0)
    assert block.distance_source == "shape"  # the weaker of the two


def test_a_trip_without_distance_makes_the_block_distance_unknown() -> None:
    t1 = Trip("t1", "S", "B", "R", 0, 100, "A", "B", 5.0, "shape")
    t2 = Trip("t2", "S", "B", "R", 200, 300, "B", "A", None, "unknown")
    [block] = group_blocks([t1, t2])
    assert block.distance_km is None and block.distance_source == "unknown"
