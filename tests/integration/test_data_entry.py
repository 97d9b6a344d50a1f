"""Traps in data entry (issue 10): each gets a clear message, never a silent skip. Real feeds (Barrie 2026,
UMich 2022), both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, shared

UM_DAY, UM_NIGHT = "2022-01-05", "2022-01-04T22:00:00-05:00"


def depot(db_url: str, depot_id: str, tz: str, feed: str, day: str, now: str):  # type: ignore[no-untyped-def]
    def cli(*args: str, at: str | None = None):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=at or now)

    assert cli("depot", "add", depot_id, "--name", depot_id, "--tz", tz).code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", feed)), "--depot", depot_id).code == 0
    assert cli("day", "setup", "--depot", depot_id, "--date", day).code == 0
    return cli


def test_fleet_csv_headers_people_write(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, "BAR", "America/Toronto", "barrie_2026.zip", "2026-02-18", "2026-02-18T02:00:00-05:00")
    f = tmp_path / "fleet.csv"
    f.write_text("Bus,Type,Propulsion,Battery kWh,kWh/km\n"
                 + "".join(f"E{i:02d},NF XE40,BEV,500,1.25\n" for i in range(28)) + "D1,Nova LFS,diesel,,\n")
    r = cli("fleet", "import", str(f), "--depot", "BAR", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["vehicles"] == 29 and doc["problems"] == []  # was: 28 BEVs skipped, "needs kwh_per_km"
    assert any("90 %" in w and "gross" in w for w in doc["warnings"]), doc["warnings"]
    listed = {v["vehicle_id"]: v for v in cli("fleet", "list", "--depot", "BAR", "--json").json()["vehicles"]}
    assert listed["E00"]["usable_kwh"] == 450 and listed["E00"]["kwh_per_km"] == 1.25
    per_mile = tmp_path / "miles.csv"
    per_mile.write_text("Vehicle,Type,Propulsion,Usable kWh,kWh per mile\nM1,GIL,bev,400,2.4\n")
    r = cli("fleet", "import", str(per_mile), "--depot", "BAR", "--json", "--usable-share", "0.85")
    assert r.code == 0 and r.json()["vehicles"] == 1 and not r.json()["warnings"]
    odd = tmp_path / "odd.csv"
    odd.write_text("Bus,Type,Propulsion,Battery kWh,Energy use kWh/100km\nX1,T,bev,500,125\n")
    refused = cli("fleet", "import", str(odd), "--depot", "BAR")
    assert refused.code == 1 and "not recognised" in refused.stderr and "kwh_per_km" in refused.stderr


def test_fleet_list_shows_the_consumption_model_in_use(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, "BAR", "America/Toronto", "barrie_2026.zip", "2026-02-18", "2026-02-18T02:00:00-05:00")
    f = tmp_path / "fleet.csv"
    f.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\nE1,SB,bev,400,1.0\n")
    assert cli("fleet", "import", str(f), "--depot", "BAR").code == 0
    table = shared("energy", "simba", "energy_consumption_example.csv")
    assert cli("fleet", "set-type", "SB", "--depot", "BAR", "--consumption-table", str(table),
               "--table-vehicle-type", "SB").code == 0
    v = cli("fleet", "list", "--depot", "BAR", "--json").json()["vehicles"][0]
    assert v["consumption_model"]["model"] == "table"
    assert v["kwh_per_km"] != 1.0 and v["kwh_per_km"] == pytest.approx(1.2, abs=0.15)  # SimBA at 15 degC


UM_FLEET = ("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
            "E1,XE,bev,500,1.2,150\nE2,XE,bev,500,1.2,150\nD1,D,diesel,,,\n")


def umich(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    cli = depot(db_url, "UM", "America/Detroit", "umich_ann_arbor_2022.zip", UM_DAY, UM_NIGHT)
    (tmp_path / "fleet.csv").write_text(UM_FLEET)
    assert cli("fleet", "import", str(tmp_path / "fleet.csv"), "--depot", "UM").code == 0
    (tmp_path / "soc.csv").write_text("vehicle_id,soc_pct,measured_at,source,plugged_in\n"
                                      "E1,95,2022-01-04T21:30:00-05:00,telematics,yes\n"
                                      "E2,95,2022-01-04T21:30:00-05:00,telematics,yes\n")
    assert cli("soc", "import", str(tmp_path / "soc.csv")).code == 0
    return cli


def assign(cli, block: str, vehicle: str, *extra: str, at: str = UM_NIGHT):  # type: ignore[no-untyped-def]
    v = cli("plan", "version", "--depot", "UM", "--date", UM_DAY, "--json", at=at).json()["plan_version"]
    return cli("plan", "assign", block, vehicle, "--depot", "UM", "--date", UM_DAY, "--version", str(v), *extra,
               at=at)


def test_a_bus_taken_out_of_service_mid_day(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    morning = "2022-01-05T07:00:00-05:00"
    assert assign(cli, "803", "E1").code == 0  # 05:40-10:40: in service at 07:00
    assert assign(cli, "1103", "E1").code == 0  # 12:20-20:15
    r = cli("fleet", "availability", "E1", "--depot", "UM", "--status", "maintenance", "--until",
            "2022-01-05T23:00:00-05:00", "--reason", "door fault", "--json", at=morning)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert [b["block_id"] for b in doc["uncovered"]] == ["1103"]
    assert [b["block_id"] for b in doc["needs_change_out"]] == ["803"]
    log = cli("audit", "log", "--depot", "UM", "--vehicle", "E1", "--json", at=morning).json()["events"]
    assert any(e["kind"] == "availability_changed" and e["after"]["reason"] == "door fault" for e in log)
    rec = cli("plan", "recommend", "--depot", "UM", "--date", UM_DAY, "--json", at=morning).json()
    assert all(p["vehicle_id"] != "E1" for p in rec["proposals"])  # at once, no fleet re-import
    assert "1103" in {p["block_id"] for p in rec["proposals"]} | {u["block_id"] for u in rec["uncovered"]}
    board = cli("day", "board", "--depot", "UM", "--date", UM_DAY, "--json", at=morning).json()
    assert next(b for b in board["blocks"] if b["block_id"] == "1103")["vehicle_id"] is None
    refused = assign(cli, "1203", "E1", at=morning)
    assert refused.code == 1 and "maintenance" in refused.stderr and "door fault" in refused.stderr
    bad = cli("fleet", "availability", "E1", "--depot", "UM", "--status", "broken", "--reason", "x", at=morning)
    assert bad.code == 1 and "not one of" in bad.stderr
    empty = cli("fleet", "availability", "E1", "--depot", "UM", "--status", "maintenance", "--reason", " ",
                at=morning)
    assert empty.code == 1 and "why" in empty.stderr
    assert cli("fleet", "availability", "E2", "--depot", "UM", "--status", "maintenance", at=morning).code == 2
    back = cli("fleet", "list", "--depot", "UM", "--json", at="2022-01-05T23:30:00-05:00").json()["vehicles"]
    assert next(v for v in back if v["vehicle_id"] == "E1")["available_until"].startswith("2022-01-06T04:00")


def test_adding_a_service_date_like_another_day_type(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    sunday = cli("day", "setup", "--depot", "UM", "--date", "2022-01-09", "--json").json()
    holiday = cli("day", "setup", "--depot", "UM", "--date", "2022-01-17", "--json").json()  # a Monday
    assert sunday["blocks"] != holiday["blocks"]
    r = cli("schedule", "applicability", "1", "--depot", "UM", "--add-date", "2022-01-17", "--like", "sunday",
            "--json")
    assert r.code == 0, r.stderr
    blocks = cli("day", "blocks", "--depot", "UM", "--date", "2022-01-17", "--json").json()["blocks"]
    sun = cli("day", "blocks", "--depot", "UM", "--date", "2022-01-09", "--json").json()["blocks"]
    assert sorted(b["block_id"] for b in blocks) == sorted(b["block_id"] for b in sun)
    bad = cli("schedule", "applicability", "1", "--depot", "UM", "--add-date", "2022-01-18", "--like", "someday")
    assert bad.code == 1 and "weekday" in bad.stderr
    alone = cli("schedule", "applicability", "1", "--depot", "UM", "--like", "sunday")
    assert alone.code == 1 and "--add-date" in alone.stderr


def test_blocks_by_prefix_and_by_name(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, "BAR", "America/Toronto", "barrie_2026.zip", "2026-02-18", "2026-02-18T02:00:00-05:00")
    (tmp_path / "fleet.csv").write_text("vehicle_id,vehicle_type,propulsion\nD1,D,diesel\nD2,D,diesel\n")
    assert cli("fleet", "import", str(tmp_path / "fleet.csv"), "--depot", "BAR").code == 0
    r = cli("plan", "assign", "3fda1888", "D1", "--depot", "BAR", "--date", "2026-02-18", "--version", "0", "--json")
    assert r.code == 0, r.stderr
    log = cli("audit", "log", "--depot", "BAR", "--json").json()["events"]
    assert log[0]["block_id"].startswith("3fda1888-") and len(log[0]["block_id"]) == 36  # the whole UUID
    ids = [b["block_id"] for b in cli("day", "blocks", "--depot", "BAR", "--date", "2026-02-18",
                                      "--json").json()["blocks"]]
    shared_first = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    amb = cli("plan", "assign", shared_first, "D2", "--depot", "BAR", "--date", "2026-02-18", "--version", "1")
    assert amb.code == 1 and "matches" in amb.stderr
    # the API takes the same prefix
    from depotdispatch.adapters.clock import Clock
    from depotdispatch.bootstrap import App
    from tests.auth_helpers import api_client

    app = App(database_url=db_url, clock=Clock.from_text("2026-02-18T02:00:00-05:00"))
    try:
        api = api_client(app)
        second = next(i for i in ids if not i.startswith("3fda1888"))[:8]
        r = api.put(f"/api/v1/depots/BAR/days/2026-02-18/plan/assignments/{second}",
                    json={"vehicle_id": "D2", "plan_version": 1})
        assert r.status_code == 200, r.text
        r = api.put(f"/api/v1/depots/BAR/days/2026-02-18/plan/assignments/{shared_first}",
                    json={"vehicle_id": "D2", "plan_version": 2})
        assert r.status_code == 422 and "matches" in r.json()["detail"]
    finally:
        app.close()


def test_umich_block_name_is_kept_and_finds_the_block(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    blocks = {b["block_id"]: b for b in cli("day", "blocks", "--depot", "UM", "--date", UM_DAY,
                                            "--json").json()["blocks"]}
    assert blocks["703"]["block_name"] == "106"
    board = cli("day", "board", "--depot", "UM", "--date", UM_DAY, "--json").json()
    assert next(b for b in board["blocks"] if b["block_id"] == "703")["block_name"] == "106"
    r = assign(cli, "106", "D1", "--json")
    assert r.code == 0, r.stderr
    plan = {b["block_id"]: b["vehicle_id"] for b in cli("day", "board", "--depot", "UM", "--date", UM_DAY,
                                                         "--json").json()["blocks"]}
    assert plan["703"] == "D1"


def test_blank_bus_cell_for_work_assigned_since_the_export_is_not_an_unassign(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    out = tmp_path / "sheet.csv"
    assert cli("sheet", "export", "--depot", "UM", "--date", UM_DAY, "-o", str(out), at=UM_NIGHT).code == 0
    later = "2022-01-04T22:30:00-05:00"
    assert assign(cli, "803", "D1", at=later).code == 0  # after the export: the sheet's 803 cell is blank
    doc = cli("sheet", "preview", str(out), "--depot", "UM", "--date", UM_DAY, "--json", at=later).json()
    row = next(r for r in doc["rows"] if r["block_id"] == "803")
    assert row["action"] == "unchanged" and "assigned_since_export" in {p["code"] for p in row["problems"]}
    assert "22:30" in next(p["detail"] for p in row["problems"] if p["code"] == "assigned_since_export")
    assert doc["summary"]["actions"]["unassign"] == 0
    # exported again after the assignment, a blank cell is an unassign as before
    assert cli("sheet", "export", "--depot", "UM", "--date", UM_DAY, "-o", str(out), at=later).code == 0
    text = out.read_text().replace(",D1,", ",,")
    out.write_text(text)
    doc = cli("sheet", "preview", str(out), "--depot", "UM", "--date", UM_DAY, "--json", at=later).json()
    assert next(r for r in doc["rows"] if r["block_id"] == "803")["action"] == "unassign"


def test_audit_log_shows_the_override_reason_and_acknowledged_codes(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assert assign(cli, "5703", "D1").code == 0  # 07:42-11:45
    assert assign(cli, "4303", "D1", "--override-reason", "driver swap at the stop").code == 0  # 11:45
    events = cli("audit", "log", "--depot", "UM", "--block", "4303", "--json").json()["events"]
    assert events[0]["override_reason"] == "driver swap at the stop"
    assert events[0]["acknowledged"] == ["short_turnaround"]
    assert cli("audit", "log", "--depot", "UM", "--block", "4303").code == 0  # the table has both columns


def test_stale_reading_says_how_old_and_what_to_do_in_local_time(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assert assign(cli, "1103", "E1", "--override-reason", "test").code == 0
    board = cli("day", "board", "--depot", "UM", "--date", UM_DAY, "--json", at="2022-01-05T11:00:00-05:00").json()
    reasons = next(b for b in board["blocks"] if b["block_id"] == "1103")["reasons"]
    stale = next(r for r in reasons if r["code"] == "soc_stale")["message"]
    assert "14 h ago" in stale and "21:30" in stale and "get a reading" in stale and "95 %" not in stale
