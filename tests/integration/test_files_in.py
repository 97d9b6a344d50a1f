"""Blocks CSV and fleet CSV imports through the CLI, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, shared


@pytest.fixture
def depot(db_url: str) -> str:
    assert run_cli(db_url, "depot", "add", "G", "--name", "GTrans", "--tz", "America/Los_Angeles").code == 0
    return "G"


def test_gtrans_fleet_list_is_read_and_the_blank_bus_reported(db_url: str, depot: str) -> None:
    r = run_cli(db_url, "fleet", "import", str(shared("energy", "gtrans_2025-06-20", "bus_specifications.csv")),
                "--depot", depot, "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert (doc["vehicles"], doc["vehicle_types"]) == (12, 2)
    assert len(doc["problems"]) == 1
    problem = doc["problems"][0]
    assert problem["row"] == 9 and problem["column"] == "usable_kwh"  # BYD1501, specs blank
    fleet = {v["vehicle_id"]: v for v in _fleet(db_url, depot)}
    assert "BYD1501" not in fleet
    assert fleet["2401"]["usable_kwh"] == 686.0
    assert fleet["2401"]["kwh_per_km"] == pytest.approx(3.0 / 1.609344, rel=1e-6)
    assert fleet["CCW707"]["propulsion"] == "bev"


def test_fleet_strict_imports_nothing_when_a_row_is_wrong(db_url: str, depot: str) -> None:
    r = run_cli(db_url, "fleet", "import", str(shared("energy", "gtrans_2025-06-20", "bus_specifications.csv")),
                "--depot", depot, "--strict")
    assert r.code == 1 and "row 9" in r.stderr
    assert run_cli(db_url, "fleet", "list", "--depot", depot, "--json").json()["vehicles"] == []


def test_mixed_fleet_with_aliases_semicolons_and_bom(db_url: str, depot: str, tmp_path: Path) -> None:
    f = tmp_path / "fleet.csv"
    f.write_bytes("\ufeffFleet No;Type;Fuel;Battery kWh;kWh per mile;Class;Status\r\n"
                  "E1;XE40;electric;400;2,5;40ft;available\r\n\r\n"
                  "D1;D40;diesel;;;40ft;maintenance\r\n".encode())
    doc = run_cli(db_url, "fleet", "import", str(f), "--depot", depot, "--json").json()
    assert (doc["vehicles"], doc["vehicle_types"], doc["problems"]) == (2, 2, [])
    fleet = {v["vehicle_id"]: v for v in _fleet(db_url, depot)}
    assert fleet["D1"]["availability"] == "maintenance" and fleet["D1"]["usable_kwh"] is None
    assert fleet["E1"]["kwh_per_km"] == pytest.approx(2.5 / 1.609344)


@pytest.mark.parametrize(("content", "detail"), [
    (b"", "is empty"),
    (b"\x00\x01\x02binary", "binary"),
    (b"vehicle_type,propulsion\nX,bev\n", "no 'vehicle_id' column"),
])
def test_fleet_file_errors_write_nothing(db_url: str, depot: str, tmp_path: Path, content: bytes, detail: str) -> None:
    f = tmp_path / "fleet.csv"
    f.write_bytes(content)
    r = run_cli(db_url, "fleet", "import", str(f), "--depot", depot)
    assert r.code == 1 and detail in r.stderr
    assert run_cli(db_url, "fleet", "list", "--depot", depot, "--json").json()["vehicles"] == []


def test_fleet_row_problems_are_reported_per_row(db_url: str, depot: str, tmp_path: Path) -> None:
    f = tmp_path / "fleet.csv"
    f.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\n"
                 "E1,XE,bev,400,1.2\nE2,XE,bev,300,1.2\nE3,YE,rocket,,\nE1,XE,bev,400,1.2\nE4,ZE,bev,-5,1\n")
    doc = run_cli(db_url, "fleet", "import", str(f), "--depot", depot, "--json").json()
    assert doc["vehicles"] == 1
    assert [(p["row"], p["column"]) for p in doc["problems"]] == [
        (3, "vehicle_type"), (4, "propulsion"), (5, "vehicle_id"), (6, "usable_kwh")]


BLOCKS = ("Block,Pull Out,Pull In,Miles,Class,Route\n"
          "101,05:10,13:40,120.5,40ft,1 2\n"
          "102,14:00:00,25:35,80,,3\n")


def test_blocks_csv_runs_on_its_weekdays(db_url: str, depot: str, tmp_path: Path) -> None:
    f = tmp_path / "blocks.csv"
    f.write_text(BLOCKS)
    r = run_cli(db_url, "schedule", "import-blocks", str(f), "--depot", depot, "--start", "2026-11-02",
                "--end", "2026-11-30", "--weekdays", "12345", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["blocks"] == 2 and r.json()["service_dates"] == 21
    weekday = run_cli(db_url, "day", "setup", "--depot", depot, "--date", "2026-11-25", "--json").json()
    assert weekday["blocks"] == 2
    sunday = run_cli(db_url, "day", "setup", "--depot", depot, "--date", "2026-11-29", "--json").json()
    assert sunday["blocks"] == 0
    blocks = {b["block_id"]: b for b in run_cli(db_url, "day", "blocks", "--depot", depot, "--date", "2026-11-25",
                                                  "--json").json()["blocks"]}
    assert blocks["101"]["distance_km"] == pytest.approx(120.5 * 1.609344, abs=1e-3)
    assert blocks["101"]["distance_source"] == "stated" and blocks["101"]["routes"] == ["1", "2"]
    assert blocks["102"]["pull_in"] == "2026-11-26T09:35:00+00:00"  # 25:35 PST = 01:35 next day


@pytest.mark.parametrize(("body", "row", "column"), [
    ("block_id,pull_out,pull_in,distance_km\n1,05:00,04:00,10\n", 2, "pull_in"),
    ("block_id,pull_out,pull_in,distance_km\n1,05:00,09:00,ten\n", 2, "distance_km"),
    ("block_id,pull_out,pull_in\n1,05:00,09:00\n2,5 o'clock,09:00\n", 3, "pull_out"),
    ("block_id,pull_out,pull_in\n1,05:00,09:00\n1,06:00,09:00\n", 3, "block_id"),
    ("block_id,pull_out\n1,05:00\n", 1, "pull_in"),
])
def test_blocks_csv_errors_name_row_and_column_and_write_nothing(db_url, depot, tmp_path, body, row, column) -> None:
    f = tmp_path / "blocks.csv"
    f.write_text(body)
    r = run_cli(db_url, "schedule", "import-blocks", str(f), "--depot", depot, "--start", "2026-11-02",
                "--end", "2026-11-30")
    assert r.code == 1
    assert f"row {row}" in r.stderr and f"column '{column}'" in r.stderr
    assert run_cli(db_url, "schedule", "list", "--depot", depot, "--json").json()["schedules"] == []


def test_blocks_csv_bad_applicability(db_url: str, depot: str, tmp_path: Path) -> None:
    f = tmp_path / "blocks.csv"
    f.write_text(BLOCKS)
    for args, phrase in ((["--start", "2026-11-30", "--end", "2026-11-01"], "before start"),
                         (["--start", "2026-11-01", "--end", "2026-11-30", "--weekdays", "89"], "weekdays"),
                         (["--start", "30/11/2026", "--end", "2026-12-01"], "YYYY-MM-DD")):
        r = run_cli(db_url, "schedule", "import-blocks", str(f), "--depot", depot, *args)
        assert r.code == 1 and phrase in r.stderr, r.stderr


def _fleet(db_url: str, depot: str) -> list[dict]:
    return run_cli(db_url, "fleet", "list", "--depot", depot, "--json").json()["vehicles"]
