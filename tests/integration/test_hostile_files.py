"""Hostile files through the CLI (issue 17): each refused with a message and exit 1, nothing written."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from depotdispatch.adapters import gtfs
from depotdispatch.adapters.db.tables import Base
from depotdispatch.domain.limits import MAX_LEN
from tests.gtfs_builder import make_feed
from tests.helpers import run_cli

NOW = "2026-11-25T03:00:00+01:00"
BLOCKS = "block_id,pull_out,pull_in,distance_km\n101,05:00,09:00,60\n102,05:30,13:00,150\n"
FLEET = "vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\nE1,XE,bev,400,1.3\nD1,D,diesel,,\n"


@pytest.fixture
def depot(db_url: str) -> str:
    assert run_cli(db_url, "depot", "add", "B", "--name", "Berlin", "--tz", "Europe/Berlin").code == 0
    return "B"


def _write(tmp_path: Path, name: str, data: bytes | str) -> str:
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(p)


def _schedules(db_url: str) -> list:
    return run_cli(db_url, "schedule", "list", "--depot", "B", "--json").json()["schedules"]


def _fleet(db_url: str) -> list:
    return run_cli(db_url, "fleet", "list", "--depot", "B", "--json").json()["vehicles"]


def _refused(r, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert r.code == 1, (r.code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and all(w in r.stderr for w in words), r.stderr


# item 4 (and 2, 3): the whole range is checked before anything is written
def test_import_blocks_over_ten_thousand_years_writes_nothing(db_url, depot, tmp_path) -> None:
    f = _write(tmp_path, "b.csv", BLOCKS)
    r = run_cli(db_url, "schedule", "import-blocks", f, "--depot", "B", "--start", "0001-01-01", "--end",
                "9999-12-31", now=NOW)
    _refused(r, "outside")
    r = run_cli(db_url, "schedule", "import-blocks", f, "--depot", "B", "--start", "2026-01-01", "--end",
                "2036-12-31", now=NOW)
    _refused(r, "years")
    assert _schedules(db_url) == []


def test_global_now_far_out_is_refused_not_a_traceback(db_url, depot) -> None:
    r = run_cli(db_url, "day", "board", "--depot", "B", "--json", now="9999-12-31T23:59:59-14:00")
    _refused(r, "outside")


def test_gtfs_end_date_9999_is_refused_with_the_file(db_url, depot, tmp_path) -> None:
    feed = make_feed(tmp_path / "f.zip", trips=[("T1", "S", "B1", [("A", "06:00:00", "06:00:00"),
                                                                  ("B", "07:00:00", "07:00:00")])],
                     calendar="service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
                              "end_date\nS,1,1,1,1,1,1,1,20260101,99991231\n")
    _refused(run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B"), "calendar.txt")
    assert _schedules(db_url) == []


# item 5: encodings
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_dispatch_sheets_are_read(db_url, depot, tmp_path, codec) -> None:
    f = _write(tmp_path, "b.csv", BLOCKS)
    assert run_cli(db_url, "schedule", "import-blocks", f, "--depot", "B", "--start", "2026-11-25", "--end",
                   "2026-11-25", now=NOW).code == 0
    assert run_cli(db_url, "day", "setup", "--depot", "B", "--date", "2026-11-25", now=NOW).code == 0
    assert run_cli(db_url, "fleet", "import", _write(tmp_path, "f.csv", FLEET), "--depot", "B").code == 0
    text = "block_id,vehicle_id\n" + "".join(f"10{i % 2 + 1},E1\n" for i in range(3000))  # header probe cut
    bom = codecs.BOM_UTF16_BE if codec == "utf-16-be" else b""
    sheet = _write(tmp_path, "s.csv", bom + text.encode(codec))
    r = run_cli(db_url, "sheet", "preview", sheet, "--depot", "B", "--date", "2026-11-25", "--json", now=NOW)
    assert r.code == 0, r.stderr
    assert len(r.json()["rows"]) == 3000
    uts = ("DEPOT,ROUTE,RUN NUMBER,DATE,SCHED PO,SCHED PI,BUS NUMBER\n"
           "CAS,B1,101,2026-11-25,06:05A,10:00A,E1\n")
    r = run_cli(db_url, "sheet", "preview", _write(tmp_path, "u.csv", uts.encode("utf-16")), "--depot", "B",
                "--date", "2026-11-25", "--json", now=NOW)
    assert r.code == 0 and r.json()["rows"][0]["row"] == 2, r.stderr


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfvehicle_id,soc_pct,measured_at\nE1,50,2026-11-25T01:00:00Z\n\xff\xfe\xfa\n",  # BOM then junk
    codecs.BOM_UTF16_LE + "vehicle_id,soc_pct\n".encode("utf-16-le") + b"\x41",  # odd length
    codecs.BOM_UTF16_LE + "vehicle_id,soc_pct\nE1,".encode("utf-16-le") + b"\x00\xd8\x41\x00",  # lone surrogate
], ids=["utf8-bom-junk", "utf16-odd", "utf16-surrogate"])
@pytest.mark.parametrize("command", ["soc", "fleet", "blocks", "sheet"])
def test_undecodable_files_are_refused_with_the_row(db_url, depot, tmp_path, data, command) -> None:
    f = _write(tmp_path, "x.csv", data)
    args = {"soc": ["soc", "import", f], "fleet": ["fleet", "import", f, "--depot", "B"],
            "blocks": ["schedule", "import-blocks", f, "--depot", "B", "--start", "2026-11-25", "--end", "2026-11-25"],
            "sheet": ["sheet", "preview", f, "--depot", "B", "--date", "2026-11-25"]}[command]
    _refused(run_cli(db_url, *args, now=NOW), "x.csv", "row")


# items 6 and 13: lengths, NUL and control characters, the same on both databases
@pytest.mark.parametrize("vid", ["E" * 65, "B\x1b[31mRED", "E\x001", "E\x9b31m"], ids=["long", "escape", "nul", "c1"])
def test_bad_vehicle_ids_are_refused_on_every_database(db_url, depot, tmp_path, vid) -> None:
    rows = "".join(f"D{i},D,diesel\n" for i in range(300))  # past the binary sniff of the first 4 KiB
    f = _write(tmp_path, "f.csv", f"vehicle_id,vehicle_type,propulsion\n{rows}{vid},D,diesel\nD2,D,diesel\n")
    _refused(run_cli(db_url, "fleet", "import", f, "--depot", "B"), "row 302", "vehicle_id")
    assert _fleet(db_url) == []


def test_long_type_names_and_classes_are_refused(db_url, depot, tmp_path) -> None:
    for row in (f"D1,{'T' * 101},diesel,", f"D1,T,diesel,{'C' * 65}"):
        f = _write(tmp_path, "f.csv", f"vehicle_id,vehicle_type,propulsion,vehicle_class\n{row}\n")
        r = run_cli(db_url, "fleet", "import", f, "--depot", "B")
        _refused(r, "characters")
    assert _fleet(db_url) == []


def test_length_rules_are_the_table_column_lengths() -> None:
    lengths = {c.name: c.type.length for t in Base.metadata.tables.values() for c in t.columns
               if getattr(c.type, "length", None)}
    for field in ("depot_id", "vehicle_id", "block_id", "trip_id", "service_id", "route_id", "vehicle_class",
                  "charger_id", "actor", "note", "override_reason"):
        assert MAX_LEN[field] == lengths[field], field


# item 7: implausible values
@pytest.mark.parametrize("row,column", [
    ("101,05:00,999:00,60", "pull_in"), ("101,05:00,40:00,60", "pull_in"), ("101,05:00,09:00,1e309", "distance_km"),
    ("101,05:00,09:00,50000", "distance_km")])
def test_implausible_blocks_are_refused(db_url, depot, tmp_path, row, column) -> None:
    f = _write(tmp_path, "b.csv", f"block_id,pull_out,pull_in,distance_km\n{row}\n")
    _refused(run_cli(db_url, "schedule", "import-blocks", f, "--depot", "B", "--start", "2026-11-25", "--end",
                     "2026-11-25"), "row 2", column)
    assert _schedules(db_url) == []


def test_gtfs_infinite_distance_and_999_hour_times_are_refused(db_url, depot, tmp_path) -> None:
    sdt = {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
                             "T1,06:00:00,06:00:00,A,1,0\nT1,07:00:00,07:00:00,B,2,1e309\n"}
    for extra, word in ((sdt, "km"), (None, "h after")):
        stops = [("A", "06:00:00", "06:00:00"), ("B", "999:00:00", "999:00:00")]
        feed = make_feed(tmp_path / "f.zip", trips=[("T1", "S", "B1", stops)], extra=extra)
        _refused(run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B", "--distance-unit", "km"),
                 word)
    assert _schedules(db_url) == []


def test_uts_negative_mileage_is_a_skipped_row(db_url, depot, tmp_path) -> None:
    uts = ("DEPOT,ROUTE,RUN NUMBER,DATE,SCHED PO,SCHED PI,BUS NUMBER,BUS MILEAGE\n"
           "CAS,B1,101,2026-11-25,06:05A,10:00A,E1,-120\nCAS,B1,102,2026-11-25,06:05A,10:00A,E1,40\n")
    r = run_cli(db_url, "schedule", "import-uts", _write(tmp_path, "u.csv", uts), "--depot", "B", "--json")
    assert r.code == 0 and r.json()["blocks"] == 1 and r.json()["skipped_rows"] == 1, r.stderr


def test_soc_odometer_nan_and_infinity_are_rejected(db_url, depot, tmp_path) -> None:
    assert run_cli(db_url, "fleet", "import", _write(tmp_path, "f.csv", FLEET), "--depot", "B").code == 0
    soc = "vehicle_id,soc_pct,measured_at,odometer_km\n" + "".join(
        f"E1,50,2026-11-25T01:0{i}:00Z,{v}\n" for i, v in enumerate(("nan", "inf", "-5", "1e12")))
    r = run_cli(db_url, "soc", "import", _write(tmp_path, "s.csv", soc), "--json", now=NOW)
    _refused(r, "nothing was stored")
    assert len(r.json()["rejected"]) == 4


# item 8: zip members are sized before they are read
def test_gtfs_member_too_large_is_refused_before_reading(db_url, depot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(gtfs, "MAX_MEMBER_BYTES", 4096)
    stops = [("A", f"06:{i:02d}:00", f"06:{i:02d}:00") for i in range(50)]
    feed = make_feed(tmp_path / "f.zip", trips=[(f"T{t}", "S", "B1", stops) for t in range(10)])
    _refused(run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B"), "stop_times.txt", "limit")
    assert _schedules(db_url) == []


# item 12: nothing stored and rows rejected is a failure
def test_exit_1_when_every_row_was_rejected(db_url, depot, tmp_path) -> None:
    assert run_cli(db_url, "fleet", "import", _write(tmp_path, "f.csv", FLEET), "--depot", "B").code == 0
    soc = _write(tmp_path, "s.csv", "vehicle_id,soc_pct,measured_at\nE1,150,2026-11-25T01:00:00Z\n")
    _refused(run_cli(db_url, "soc", "import", soc, now=NOW), "nothing was stored")
    bad = _write(tmp_path, "g.csv", "vehicle_id,vehicle_type,propulsion,usable_kwh\nE9,XE,bev,\n")
    _refused(run_cli(db_url, "fleet", "import", bad, "--depot", "B"), "nothing was imported")
    header = _write(tmp_path, "h.csv", "vehicle_id,vehicle_type,propulsion\n")
    _refused(run_cli(db_url, "fleet", "import", header, "--depot", "B", "--strict"), "no vehicle rows")


# item 17: the export's formula-neutralised cells come back
def test_neutralised_cells_reimport(db_url, depot, tmp_path) -> None:
    blocks = BLOCKS + "=SUM(A1),10:00,11:00,5\n-7,12:00,13:00,5\n"
    assert run_cli(db_url, "schedule", "import-blocks", _write(tmp_path, "b.csv", blocks), "--depot", "B",
                   "--start", "2026-11-25", "--end", "2026-11-25").code == 0
    assert run_cli(db_url, "day", "setup", "--depot", "B", "--date", "2026-11-25", now=NOW).code == 0
    out = tmp_path / "sheet.csv"
    assert run_cli(db_url, "sheet", "export", "--depot", "B", "--date", "2026-11-25", "-o", str(out),
                   now=NOW).code == 0
    assert "'=SUM(A1)" in out.read_text() and "'-7" in out.read_text()
    doc = run_cli(db_url, "sheet", "preview", str(out), "--depot", "B", "--date", "2026-11-25", "--json",
                  now=NOW).json()
    assert doc["unmentioned_blocks"] == [] and not any(p["code"] == "unknown_block" for r in doc["rows"]
                                                      for p in r["problems"])


# item 14: the same feed twice is one schedule, unless --again
def test_gtfs_reimport_of_the_same_file_is_already_imported(db_url, depot, tmp_path) -> None:
    feed = make_feed(tmp_path / "f.zip", trips=[("T1", "S", "B1", [("A", "06:00:00", "06:00:00"),
                                                                  ("B", "07:00:00", "07:00:00")])])
    first = run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B", "--json")
    assert first.code == 0 and first.json()["already_imported"] is False
    again = run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B", "--json")
    assert again.code == 0 and again.json()["already_imported"] is True
    assert again.json()["schedule_id"] == first.json()["schedule_id"] and len(_schedules(db_url)) == 1
    human = run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B")
    assert "already imported" in human.stdout
    forced = run_cli(db_url, "schedule", "import-gtfs", str(feed), "--depot", "B", "--again", "--json")
    assert forced.code == 0 and forced.json()["already_imported"] is False and len(_schedules(db_url)) == 2


# item 16: bulk fleet import keeps every rule of the row-by-row one
def test_bulk_fleet_import_updates_and_refuses_other_depots_vehicles(db_url, depot, tmp_path) -> None:
    assert run_cli(db_url, "depot", "add", "C", "--name", "C", "--tz", "UTC").code == 0
    rows = "".join(f"V{i},XE{i % 3},bev,400,1.3\n" for i in range(3000))
    f = _write(tmp_path, "f.csv", "vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\n" + rows)
    r = run_cli(db_url, "fleet", "import", f, "--depot", "B", "--json")
    assert r.code == 0 and (r.json()["vehicles"], r.json()["vehicle_types"]) == (3000, 3)
    changed = _write(tmp_path, "g.csv", "vehicle_id,vehicle_type,propulsion,availability\nV1,D,diesel,maintenance\n")
    assert run_cli(db_url, "fleet", "import", changed, "--depot", "B").code == 0
    v1 = next(v for v in _fleet(db_url) if v["vehicle_id"] == "V1")
    assert (v1["vehicle_type"], v1["availability"]) == ("D", "maintenance") and len(_fleet(db_url)) == 3000
    r = run_cli(db_url, "fleet", "import", changed, "--depot", "C", "--json")
    assert r.code == 1 and r.json()["problems"][0]["detail"] == "vehicle 'V1' belongs to depot 'B'"
