"""GTFS import edge cases: distance units, DST days, past-midnight work, generated blocks, bad input."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from depotdispatch.adapters import gtfs
from depotdispatch.adapters.db.tables import ScheduleRow, TripRow
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import days, depots, schedules
from tests.gtfs_builder import make_feed, strip_column
from tests.helpers import NOW, run_cli, shared

SDT_FEEDS = [("hart_tampa_2018.zip", "km"), ("umich_ann_arbor_2022.zip", "m"), ("barrie_2026.zip", "m"),
             ("seattle_area_2017.zip", "ft"), ("kcm_subset_2016.zip", "ft")]


@pytest.mark.parametrize(("feed", "unit"), SDT_FEEDS)
def test_distance_unit_detected_and_km_agree_with_shape_geometry(feed: str, unit: str) -> None:
    path = shared("gtfs", feed)
    content = gtfs.read_gtfs(path)
    assert content.distance_unit == unit
    shapes = gtfs._shapes(gtfs._Zip(path))
    trips = gtfs._Zip(path).read("trips.txt", ("trip_id", "shape_id")).select("trip_id", "shape_id")
    km = pl.DataFrame([(t.trip_id, t.distance_km, t.distance_source) for t in content.trips],
                      schema=["trip_id", "km", "src"], orient="row")
    joined = km.join(trips, on="trip_id").join(shapes, on="shape_id").filter(
        (pl.col("src") == "shape_dist_traveled") & (pl.col("geo_km") > 1))
    ratio = (joined["km"] / joined["geo_km"]).median()
    # a trip's stated distance, converted to km, matches the length of its shape within a few percent
    assert 0.95 < ratio < 1.05, ratio


def test_hart_block_km_is_its_trips_shape_length() -> None:
    path = shared("gtfs", "hart_tampa_2018.zip")
    content = gtfs.read_gtfs(path)
    z = gtfs._Zip(path)
    shapes = dict(gtfs._shapes(z).select("shape_id", "geo_km").iter_rows())
    shape_of = dict(z.read("trips.txt", ("trip_id", "shape_id")).select("trip_id", "shape_id").iter_rows())
    by_block: dict[str, list] = {}
    for t in content.trips:
        by_block.setdefault(t.block_id, []).append(t)
    block, trips = sorted(by_block.items())[0]
    stated = sum(t.distance_km for t in trips)
    geometric = sum(shapes[shape_of[t.trip_id]] for t in trips)
    assert stated == pytest.approx(geometric, rel=0.03)


def test_vilnius_distances_come_from_shapes() -> None:
    content = gtfs.read_gtfs(shared("gtfs", "vilnius_2015.zip"))
    assert content.distance_unit is None
    assert {t.distance_source for t in content.trips} == {"shape"}
    assert content.trips[0].trip_id == content.trips[0].trip_id.strip()


def test_ids_stay_strings_with_leading_zeros(tmp_path: Path) -> None:
    feed = make_feed(tmp_path / "f.zip", trips=[("007", "S", "0042", [("A", "06:00:00", "06:00:00"),
                                                                      ("B", "06:30:00", "06:30:00")])])
    content = gtfs.read_gtfs(feed)
    assert (content.trips[0].trip_id, content.trips[0].block_id) == ("007", "0042")
    assert content.trips[0].distance_source == "stops"


def _setup(app, feed: Path, tz: str, day: str):
    depots.add_depot(app.uow(), Depot("D", "Depot", tz), NOW)
    schedules.import_gtfs(app.uow(), "D", gtfs.read_gtfs(feed), NOW)
    days.setup_day(app.uow(), "D", parse_date(day), NOW)
    return {b.block_id: b for b, _ in days.day_blocks(app.uow(), "D", parse_date(day), NOW).blocks}


def test_spring_forward_block_keeps_its_duration(app, tmp_path: Path) -> None:
    # 2026-03-08: New York skips 02:00-03:00. Noon is EDT, so the service day's origin is 23:00 EST
    # the evening before, and GTFS 01:00 is 00:00 wall clock: times count from noon minus 12 h.
    feed = make_feed(tmp_path / "dst.zip", trips=[
        ("t1", "S", "B1", [("A", "01:00:00", "01:00:00"), ("B", "04:00:00", "04:00:00")])])
    block = _setup(app, feed, "America/New_York", "2026-03-08")["B1"]
    assert block.pull_in - block.pull_out == timedelta(hours=3)
    assert block.pull_out == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST


def test_fall_back_block_keeps_its_duration(app, tmp_path: Path) -> None:
    feed = make_feed(tmp_path / "dst.zip", trips=[
        ("t1", "S", "B1", [("A", "00:30:00", "00:30:00"), ("B", "03:30:00", "03:30:00")])])
    block = _setup(app, feed, "America/New_York", "2026-11-01")["B1"]
    assert block.pull_in - block.pull_out == timedelta(hours=3)
    # noon is EST (UTC-5): the origin is 17:00Z - 12 h = 05:00Z, which is 01:00 EDT wall clock
    assert block.pull_out == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_post_midnight_block_ends_on_the_next_calendar_day(app, tmp_path: Path) -> None:
    feed = make_feed(tmp_path / "night.zip", trips=[
        ("t1", "S", "N1", [("A", "23:30:00", "23:30:00"), ("B", "24:20:00", "24:20:00")]),
        ("t2", "S", "N1", [("B", "24:40:00", "24:40:00"), ("A", "25:10:00", "25:10:00")])])
    block = _setup(app, feed, "Europe/Vilnius", "2026-06-10")["N1"]
    assert block.trip_ids == ("t1", "t2")
    assert block.pull_out == datetime(2026, 6, 10, 20, 30, tzinfo=UTC)  # 23:30 EEST
    assert block.pull_in == datetime(2026, 6, 10, 22, 10, tzinfo=UTC)  # 01:10 EEST on 06-11
    assert block.service_date.isoformat() == "2026-06-10"


def test_feed_without_block_id_gets_generated_blocks(app, tmp_path: Path) -> None:
    feed = strip_column(shared("gtfs", "kcm_subset_2016.zip"), tmp_path / "noblocks.zip", "trips.txt", "block_id")
    depots.add_depot(app.uow(), Depot("D", "Depot", "America/Los_Angeles"), NOW)
    content = gtfs.read_gtfs(feed)
    assert not content.has_block_ids
    assert any("no block_id" in w for w in content.warnings)
    result = schedules.import_gtfs(app.uow(), "D", content, NOW)
    assert result.generated_blocks > 0 and result.generated_blocks == result.blocks
    setup = days.setup_day(app.uow(), "D", parse_date("2016-04-13"), NOW)
    assert setup.trips == 114  # every trip of the day, once
    blocks = [b for b, _ in days.day_blocks(app.uow(), "D", parse_date("2016-04-13"), NOW).blocks]
    assert all(b.generated and b.block_id.startswith("G-") for b in blocks)
    trips = [t for b in blocks for t in b.trip_ids]
    assert len(trips) == len(set(trips)) == 114
    by_id = {t.trip_id: t for t in content.trips}
    for b in blocks:
        chain = [by_id[t] for t in b.trip_ids]
        for a, nxt in zip(chain, chain[1:], strict=False):
            assert nxt.start_s - a.end_s >= schedules.MIN_LAYOVER_S  # no overlaps, a real layover
            assert nxt.start_stop == a.end_stop
    assert setup.blocks < 114  # chained, never one block per trip


def _count(app, table) -> int:
    with app.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table))


BAD_FEEDS = {
    "not a zip": (lambda p: (p.write_bytes(b"route_id,trip_id\n1,2\n"), p)[1], "not a GTFS zip", None),
    "no trips.txt": (lambda p: make_feed(p, trips=[("t", "S", "B", [("A", "06:00:00", "06:00:00")])],
                                         omit=("trips.txt",)), "no trips.txt", None),
    "no departure_time": (lambda p: _rewrite(make_feed(p, trips=[("t", "S", "B", [("A", "06:00:00", "06:00:00")])]),
                                             "stop_times.txt", "trip_id,arrival_time,stop_id,stop_sequence\n"
                                             "t,06:00:00,A,1\n"), "departure_time", "departure_time"),
    "malformed time": (lambda p: make_feed(p, trips=[("t", "S", "B", [("A", "06:00:00", "06:00:00"),
                                                                      ("B", "6h30", "06:30:00")])]),
                       "not a time", "arrival_time"),
    "bad date": (lambda p: make_feed(p, trips=[("t", "S", "B", [("A", "06:00:00", "06:00:00")])],
                                     calendar="service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                                              "start_date,end_date\nS,1,1,1,1,1,0,0,2026-01-01,20261231\n"),
                 "YYYYMMDD", "start_date"),
}


def _rewrite(path: Path, member: str, text: str) -> Path:
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files[member] = text.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return path


@pytest.mark.parametrize("case", list(BAD_FEEDS))
def test_bad_feed_is_refused_with_file_row_column_and_nothing_written(app, db_url, tmp_path: Path, case) -> None:
    make, phrase, column = BAD_FEEDS[case]
    path = make(tmp_path / "bad.zip")
    assert run_cli(db_url, "depot", "add", "D", "--name", "D", "--tz", "UTC").code == 0
    r = run_cli(db_url, "schedule", "import-gtfs", str(path), "--depot", "D")
    assert r.code == 1
    assert phrase in r.stderr
    if column:
        assert f"column '{column}'" in r.stderr
    assert _count(app, ScheduleRow) == 0 and _count(app, TripRow) == 0


def test_malformed_time_names_its_row() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = make_feed(Path(d) / "f.zip", trips=[("t", "S", "B", [("A", "06:00:00", "06:00:00"),
                                                                    ("B", "25:61:00", "25:61:00")])])
        with pytest.raises(InvalidInput) as info:
            gtfs.read_gtfs(path)
    assert (info.value.file, info.value.row, info.value.column) == ("stop_times.txt", 3, "arrival_time")


def test_the_trips_end_stops_are_kept_with_names_and_coordinates(app, tmp_path: Path) -> None:
    """Relief points near the depot need where a trip's first and last stops are (DESIGN §12b). A stop no
    trip starts or ends at is not kept; a coordinate that is not a number, or out of range, is unknown."""
    stops = ("stop_id,stop_name,stop_lat,stop_lon\nA,Alpha Loop,47.60,-122.33\nB,,north,-122.35\n"
             "C,Mid,47.65,-122.30\nD,Far,95.0,-122.30\n")
    path = make_feed(tmp_path / "f.zip", extra={"stops.txt": stops}, trips=[
        ("t1", "S", "B1", [("A", "06:00:00", "06:00:00"), ("C", "06:20:00", "06:20:00"),
                           ("B", "06:40:00", "06:40:00")]),
        ("t2", "S", "B1", [("B", "07:00:00", "07:00:00"), ("D", "07:30:00", "07:30:00")]),
    ])
    depots.add_depot(app.uow(), Depot("S", "S", "America/Los_Angeles"), NOW)
    sid = schedules.import_gtfs(app.uow(), "S", gtfs.read_gtfs(path), NOW).schedule_id
    with app.uow() as uow:
        kept = uow.schedules.stops(sid, ["A", "B", "C", "D"])
    assert sorted(kept) == ["A", "B", "D"]  # C is passed, not a trip's end
    assert (kept["A"].name, kept["A"].lat, kept["A"].lon) == ("Alpha Loop", 47.60, -122.33)
    assert (kept["B"].name, kept["B"].lat, kept["B"].lon) == (None, None, -122.35)
    assert (kept["D"].lat, kept["D"].lon) == (None, -122.30)
