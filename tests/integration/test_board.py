"""The board through the CLI and the API, on both databases: window, status, viability, DST."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.horizon import horizon, on_board
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from depotdispatch.services import plan as plan_svc
from depotdispatch.services.board import board
from tests.auth_helpers import api_client
from tests.helpers import override, run_cli

EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
DIESEL = VehicleType("D40", "diesel", vehicle_class="12m")
BLOCKS = ("block_id,pull_out,pull_in,distance_km\n"
          "EARLY,05:00,09:00,60\nMID,08:00,16:00,150\nLATE,17:00,25:30,250\nNIGHT,23:00,26:00,40\n")


@pytest.fixture
def depot(app, tmp_path: Path) -> str:
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    now = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), now)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS.encode()),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), now)
    for d in ("2026-10-31", "2026-11-01", "2026-11-02"):
        days.setup_day(app.uow(), "NY", date.fromisoformat(d), now)
    fleet.import_fleet(app.uow(), "NY", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV),
                                         FleetEntry(3, "D1", DIESEL)])
    return "NY"


def reading(vid: str, soc: float, at: str, plugged: bool = False) -> SocReading:
    return SocReading(vid, soc, datetime.fromisoformat(at), "telematics", plugged_in=plugged)


def test_board_states_its_window_and_lists_exactly_the_blocks_in_it(app, depot) -> None:
    now = datetime.fromisoformat("2026-11-02T07:00:00-05:00")
    b = board(app.uow(), depot, now)
    w = horizon(Depot("NY", "x", "America/New_York"), now)
    assert (b.window.start, b.window.end) == (w.start, w.end)
    listed = {(r.block.service_date.isoformat(), r.block.block_id) for r in b.rows}
    with app.uow() as uow:
        every = uow.days.blocks_for_dates(depot, date(2026, 10, 30), date(2026, 11, 3))
    expected = {(x.service_date.isoformat(), x.block_id) for x in every if on_board(x, w)}
    assert listed == expected
    assert ("2026-11-01", "NIGHT") not in listed  # ended at 02:00, before the 2 h lookback
    assert ("2026-11-02", "LATE") in listed  # 17:00 today: inside the 24 h lookahead
    night = board(app.uow(), depot, datetime.fromisoformat("2026-11-02T03:00:00-05:00"))
    assert ("2026-11-01", "NIGHT") in {(r.block.service_date.isoformat(), r.block.block_id) for r in night.rows}


def test_started_and_completed_blocks_never_carry_plan_time_warnings(app, depot) -> None:
    now = datetime.fromisoformat("2026-11-02T09:30:00-05:00")
    readings.add_readings(app.uow(), [(1, reading("E1", 25, "2026-11-02T04:00:00-05:00"))], now)
    # E1 with 25 % is not viable for MID; assign it before MID starts, as an override
    before = datetime.fromisoformat("2026-11-02T04:30:00-05:00")
    change = override(app.uow(), depot, date(2026, 11, 2), "MID", "E1", plan_version=0, actor="t", now=before,
                      override_reason="only bus left")
    assert change.viability.status == "not_viable"
    rows = {r.block.block_id: r for r in board(app.uow(), depot, now).rows if r.block.service_date == date(2026, 11, 2)}
    assert rows["MID"].state.status == "in_service" and rows["MID"].assignment.vehicle_id == "E1"
    assert rows["MID"].viability is None and rows["MID"].candidate is None
    assert rows["EARLY"].state.status == "completed" and rows["EARLY"].state.assumed
    assert rows["LATE"].state.status == "upcoming" and rows["LATE"].candidate is not None


def test_actuals_win_over_the_plan(app, depot, db_url) -> None:
    r = run_cli(db_url, "block", "actual", "EARLY", "--depot", depot, "--date", "2026-11-02",
                "--start", "2026-11-02T05:20:00-05:00", now="2026-11-02T06:00:00-05:00")
    assert r.code == 0, r.stderr
    doc = run_cli(db_url, "day", "board", "--depot", depot, "--now", "2026-11-02T09:10:00-05:00", "--json").json()
    early = next(b for b in doc["blocks"] if b["block_id"] == "EARLY" and b["service_date"] == "2026-11-02")
    assert early["status"] == "in_service" and not early["status_assumed"]  # started late: runs to 09:20
    r = run_cli(db_url, "block", "actual", "EARLY", "--depot", depot, "--date", "2026-11-02",
                "--end", "2026-11-02T09:05:00-05:00", now="2026-11-02T09:06:00-05:00")
    assert r.code == 0, r.stderr
    doc = run_cli(db_url, "day", "board", "--depot", depot, "--now", "2026-11-02T09:10:00-05:00", "--json").json()
    early = next(b for b in doc["blocks"] if b["block_id"] == "EARLY" and b["service_date"] == "2026-11-02")
    assert early["status"] == "completed" and not early["status_assumed"]
    bad = run_cli(db_url, "block", "actual", "EARLY", "--depot", depot, "--date", "2026-11-02",
                  "--end", "2026-11-02T05:00:00-05:00", now="2026-11-02T09:06:00-05:00")
    assert bad.code == 1 and "not after the actual start" in bad.stderr


def test_actuals_entered_by_hand_are_on_the_audit_log_with_who_entered_them(app, depot, db_url) -> None:
    from depotdispatch.services import audit

    r = run_cli(db_url, "block", "actual", "EARLY", "--depot", depot, "--date", "2026-11-02",
                "--start", "2026-11-02T05:20:00-05:00", now="2026-11-02T06:00:00-05:00")
    assert r.code == 0, r.stderr
    app.clock.fixed = datetime.fromisoformat("2026-11-02T09:06:00-05:00")
    c = api_client(app, role="dispatcher", depots=[depot], name="dana")
    put = c.put(f"/api/v1/depots/{depot}/days/2026-11-02/blocks/EARLY/actuals",
                json={"actual_end": "2026-11-02T09:05:00-05:00"})
    assert put.status_code == 200, put.text
    bad = c.put(f"/api/v1/depots/{depot}/days/2026-11-02/blocks/EARLY/actuals",
                json={"actual_end": "2026-11-02T05:00:00-05:00"})  # before the start: refused, nothing written
    assert bad.status_code == 422, bad.text
    logged = audit.events(app.uow(), depot, block_id="EARLY")
    recorded = sorted((e for e in logged if e.kind == "actuals_recorded"), key=lambda e: e.at)
    assert [(e.actor.startswith("cli:"), e.before["actual_start"], e.after) for e in recorded] == [
        (True, None, {"actual_start": "2026-11-02T10:20:00+00:00", "actual_end": None, "vehicle_id": None,
                "from": "entered by hand"}),
        (False, "2026-11-02T10:20:00+00:00", {"actual_start": "2026-11-02T10:20:00+00:00",
                                               "actual_end": "2026-11-02T14:05:00+00:00",
                 "vehicle_id": None, "from": "entered by hand"})]
    assert "dana" in recorded[1].actor


def test_fall_back_night_board_at_0130(app, depot) -> None:
    # 2026-11-01 01:30 happens twice in New York. The first (EDT) is 05:30Z, the second (EST) 06:30Z.
    first = board(app.uow(), depot, datetime.fromisoformat("2026-11-01T01:30:00-04:00"))
    second = board(app.uow(), depot, datetime.fromisoformat("2026-11-01T01:30:00-05:00"))
    status = {(r.block.service_date.isoformat(), r.block.block_id): r.state.status for r in first.rows}
    # Oct 31's NIGHT block runs 23:00 to "26:00" = 02:00 EDT... which on this night is 01:00 EST = 06:00Z
    assert status[("2026-10-31", "NIGHT")] == "in_service"
    later = {(r.block.service_date.isoformat(), r.block.block_id): r.state.status for r in second.rows}
    assert later[("2026-10-31", "NIGHT")] == "completed"
    assert ("2026-10-31", "LATE") in status and status[("2026-10-31", "LATE")] == "completed"
    assert second.window.start - first.window.start == (second.now - first.now)


def client(app) -> TestClient:
    return api_client(app)


def test_api_board_and_problems(app, depot) -> None:
    c = client(app)
    r = c.get("/api/v1/depots/NY/board", params={"now": "2026-11-02T07:00:00-05:00"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["window"] == {"start": "2026-11-02T10:00:00+00:00", "end": "2026-11-03T12:00:00+00:00"}
    keys = {"block_id", "service_date", "status", "vehicle_id", "viability", "reasons", "origin"}
    assert keys <= set(doc["blocks"][0])
    # the CLI prints the same document
    day = c.get("/api/v1/depots/NY/days/2026-11-02/board", params={"now": "2026-11-02T07:00:00-05:00"}).json()
    assert {b["service_date"] for b in day["blocks"]} == {"2026-11-02"}
    for params, status, phrase in (({"now": "tomorrow"}, 422, "ISO 8601"),
                                   ({"now": "2026-11-02T07:00:00"}, 422, "no UTC offset")):
        r = c.get("/api/v1/depots/NY/board", params=params)
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
        assert phrase in r.json()["detail"] and r.json()["type"].endswith("/invalid-input")
    r = c.get("/api/v1/depots/NOPE/board")
    assert r.status_code == 404 and "no depot 'NOPE'" in r.json()["detail"]
    r = c.get("/api/v1/depots/NY/days/2026-13-01/board")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.json()["detail"]


def test_board_is_the_same_through_cli_and_api(app, depot, db_url) -> None:
    now = "2026-11-02T07:00:00-05:00"
    api = client(app).get("/api/v1/depots/NY/board", params={"now": now}).json()
    cli = run_cli(db_url, "day", "board", "--depot", "NY", "--now", now, "--json").json()
    assert api == cli


def test_soc_readings_api_rejects_each_bad_reading_with_a_reason(app, depot) -> None:
    c = client(app)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T07:00:00-05:00")
    body = {"readings": [
        {"vehicle_id": "E1", "soc_pct": 80, "measured_at": "2026-11-02T06:50:00-05:00"},
        {"vehicle_id": "E1", "soc_pct": 80, "measured_at": "2026-11-02T06:50:00-05:00"},
        {"vehicle_id": "NOPE", "soc_pct": 80, "measured_at": "2026-11-02T06:50:00-05:00"},
        {"vehicle_id": "E2", "soc_pct": 180, "measured_at": "2026-11-02T06:50:00-05:00"},
        {"vehicle_id": "E2", "soc_pct": 50, "measured_at": "2026-11-02T09:50:00-05:00"},
        {"vehicle_id": "E2", "soc_pct": 50, "measured_at": "2026-11-02T06:50:00"},
    ]}
    r = c.post("/api/v1/soc-readings", json=body)
    assert r.status_code == 200
    doc = r.json()
    assert doc["stored"] == 1 and doc["duplicates"] == 1
    assert [x["row"] for x in doc["rejected"]] == [2, 3, 4, 5]
    assert "unknown vehicle" in doc["rejected"][0]["reason"] and "future" in doc["rejected"][2]["reason"]
    r = c.post("/api/v1/soc-readings", json={"readings": [{"vehicle_id": "E1"}]})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_soc_csv_import_through_cli(app, depot, db_url, tmp_path: Path) -> None:
    f = tmp_path / "soc.csv"
    f.write_text("Bus;SoC;Timestamp;Source;Plugged\r\nE1;81,5;2026-11-02T06:00:00-05:00;telematics;yes\r\n"
                 "E2;abc;2026-11-02T06:00:00-05:00;manual;\r\nE3;50;2026-11-02T06:00:00-05:00;manual;\r\n"
                 "E1;70;last tuesday;manual;\r\n")
    doc = run_cli(db_url, "soc", "import", str(f), "--json", now="2026-11-02T07:00:00-05:00").json()
    assert doc["stored"] == 1
    assert [(x["row"], x["reason"].split(":")[0]) for x in doc["rejected"]] == [
        (3, "soc_pct"), (4, "unknown vehicle 'E3'"),
        (5, "'last tuesday' is not an ISO 8601 time such as 2026-03-29T06")]
    with app.uow() as uow:
        latest = uow.readings.latest_for_depot("NY", datetime.fromisoformat("2026-11-02T07:00:00-05:00"))
    assert latest["E1"].soc_pct == 81.5 and latest["E1"].plugged_in is True


def test_a_type_with_a_consumption_table_prices_cold_days(app, depot, db_url) -> None:
    from tests.helpers import shared

    table = str(shared("energy", "simba", "energy_consumption_example.csv"))
    bad = run_cli(db_url, "fleet", "set-type", "XE40", "--depot", "NY", "--consumption-table", table)
    assert bad.code == 1 and "several vehicle types" in bad.stderr
    assert run_cli(db_url, "fleet", "set-type", "XE40", "--depot", "NY", "--consumption-table", table,
                   "--table-vehicle-type", "SB").code == 0
    readings.add_readings(app.uow(), [(1, reading("E1", 90, "2026-11-02T04:00:00-05:00"))],
                          datetime.fromisoformat("2026-11-02T04:30:00-05:00"))
    now = datetime.fromisoformat("2026-11-02T04:30:00-05:00")

    def energy() -> dict:
        change = plan_svc.plan_version(app.uow(), depot, date(2026, 11, 2))
        r = override(app.uow(), depot, date(2026, 11, 2), "EARLY", "E1", plan_version=change, actor="t", now=now,
                     override_reason="test")
        plan_svc.unassign(app.uow(), depot, date(2026, 11, 2), "EARLY", plan_version=r.plan_version, actor="t", now=now)
        return r.viability.estimate.inputs | {"kwh": r.viability.estimate.expected_kwh}

    mild = energy()
    assert mild["model"] == "table" and mild["temperature_c"] == 15.0
    assert run_cli(db_url, "day", "temperature", "--depot", "NY", "--date", "2026-11-02", "--", "-15").code == 0
    cold = energy()
    assert cold["temperature_c"] == -15.0 and cold["kwh"] > 1.5 * mild["kwh"]
    assert run_cli(db_url, "fleet", "set-type", "NOPE", "--depot", "NY", "--energy-cv", "0.2").code == 1
    assert run_cli(db_url, "fleet", "set-type", "XE40", "--depot", "NY", "--charging-curve", "[[0,1]").code == 1


def test_board_hints_never_show_one_vehicle_on_overlapping_blocks(app, depot) -> None:
    now = datetime.fromisoformat("2026-11-02T03:00:00-05:00")
    readings.add_readings(app.uow(), [(1, reading("E1", 95, "2026-11-02T02:30:00-05:00")),
                                      (2, reading("E2", 90, "2026-11-02T02:30:00-05:00"))], now)
    rows = [r for r in board(app.uow(), depot, now).rows if r.candidate is not None]
    by_vehicle: dict[str, list] = {}
    for r in rows:
        by_vehicle.setdefault(r.candidate.vehicle_id, []).append(r.block)
    for blocks in by_vehicle.values():
        blocks.sort(key=lambda b: b.pull_out)
        assert all(a.pull_in <= b.pull_out for a, b in zip(blocks, blocks[1:], strict=False))
    assert len(by_vehicle) >= 2  # EARLY and MID overlap: two different vehicles are suggested


def test_the_cli_board_is_written_for_people(app, depot, db_url, monkeypatch) -> None:
    """The table says its window with days and the zone, statuses and verdicts in words, and never a
    negative charge: an EV that would run dry before pull-in says so (the --json keeps the figures)."""
    readings.add_readings(app.uow(), [(1, reading("E1", 30, "2026-11-02T04:00:00-05:00")),
                                      (2, reading("E2", 30, "2026-11-02T04:00:00-05:00"))],
                          datetime.fromisoformat("2026-11-02T04:00:00-05:00"))
    from depotdispatch.cli_commands import support

    monkeypatch.setattr(support.out, "width", 400)  # a wide terminal: each cell on one line
    r = run_cli(db_url, "day", "board", "--depot", depot, "--now", "2026-11-02T04:30:00-05:00")
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert ("NY at Mon 2 Nov 04:30 (America/New_York time); the window runs Mon 2 Nov 02:30 to Tue 3 Nov 04:30"
            in text)
    assert "not_viable" not in text and "in_service" not in text
    assert "│ LATE │ 2026-11-02 │ 17:00 │ Tue 3 Nov 01:30 │" in text  # a pull-in past midnight says its day
    doc = run_cli(db_url, "day", "board", "--depot", depot, "--now", "2026-11-02T04:30:00-05:00", "--json").json()
    assert any(((b["candidate"] or {}).get("end_soc_pct") or 0) < 0 for b in doc["blocks"])
    assert "runs out of charge before pull-in" in text
    assert not re.search(r"-\d+ %", text)
