"""Golden counts on the busiest weekday of each shared feed (shared/data/gtfs/README.md)."""

from __future__ import annotations

import pytest

from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import days, depots, schedules
from tests.helpers import NOW, shared

GOLDEN = [
    ("vilnius_2015.zip", "Europe/Vilnius", "2015-09-02", 530, 10_563),
    ("hart_tampa_2018.zip", "America/New_York", "2018-07-11", 155, 3_243),
    ("umich_ann_arbor_2022.zip", "America/Detroit", "2022-01-05", 83, 1_428),
    ("seattle_area_2017.zip", "America/Los_Angeles", "2017-11-22", 200, 1_453),
    ("barrie_2026.zip", "America/Toronto", "2026-02-18", 31, 539),
    ("kcm_subset_2016.zip", "America/Los_Angeles", "2016-04-13", 25, 114),
]


@pytest.mark.parametrize(("feed", "tz", "day", "n_blocks", "n_trips"), GOLDEN, ids=[g[0].split("_")[0] for g in GOLDEN])
def test_busiest_weekday_golden_counts(app, feed, tz, day, n_blocks, n_trips) -> None:
    depots.add_depot(app.uow(), Depot("D", "Depot", tz), NOW)
    content = read_gtfs(shared("gtfs", feed))
    result = schedules.import_gtfs(app.uow(), "D", content, NOW)
    assert result.generated_blocks == 0
    setup = days.setup_day(app.uow(), "D", parse_date(day), NOW)
    assert (setup.blocks, setup.trips) == (n_blocks, n_trips)
    listed = days.day_blocks(app.uow(), "D", parse_date(day), NOW)
    blocks = [b for b, _ in listed.blocks]
    assert len({b.block_id for b in blocks}) == n_blocks
    # every trip of the day in exactly one block, each block's trips in time order
    all_trips = [t for b in blocks for t in b.trip_ids]
    assert len(all_trips) == len(set(all_trips)) == n_trips
    assert all(b.pull_in > b.pull_out for b in blocks)
    assert all(b.distance_km and b.distance_km > 0 for b in blocks)
