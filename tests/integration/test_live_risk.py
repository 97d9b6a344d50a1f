"""Readings taken mid-block, the live risk and missed pull-outs, on real winter feeds and both databases
(issue 10, defects 1-3)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, shared

UMICH, UM_DAY = "umich_ann_arbor_2022.zip", "2022-01-05"
BARRIE, BAR_DAY = "barrie_2026.zip", "2026-02-18"


def depot(db_url: str, tmp_path: Path, depot_id: str, tz: str, feed: str, day: str, fleet: str,
          now: str):  # type: ignore[no-untyped-def]
    def cli(*args: str, at: str | None = None):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=at or now)

    assert cli("depot", "add", depot_id, "--name", depot_id, "--tz", tz).code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", feed)), "--depot", depot_id).code == 0
    assert cli("day", "setup", "--depot", depot_id, "--date", day).code == 0
    path = tmp_path / "fleet.csv"
    path.write_text(fleet)
    r = cli("fleet", "import", str(path), "--depot", depot_id, "--json")
    assert r.code == 0 and not r.json()["problems"], r.stdout + r.stderr
    return cli


def soc(cli, tmp_path: Path, rows: str, at: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "soc.csv"
    path.write_text("vehicle_id,soc_pct,measured_at,source,odometer_km\n" + rows)
    r = cli("soc", "import", str(path), "--json", at=at)
    assert r.code == 0 and not r.json()["rejected"], r.stdout


def assign(cli, depot_id: str, day: str, block: str, vehicle: str, at: str) -> None:  # type: ignore[no-untyped-def]
    version = cli("plan", "version", "--depot", depot_id, "--date", day, "--json", at=at).json()["plan_version"]
    r = cli("plan", "assign", block, vehicle, "--depot", depot_id, "--date", day, "--version", str(version),
            "--override-reason", "readings come later in this test", at=at)
    assert r.code == 0, r.stderr


def row(doc: dict, block_id: str) -> dict:
    return next(b for b in doc["blocks"] if b["block_id"] == block_id)


# 180 kWh for UMich block 703 (131.8 km, 05:30-14:40): the block of the report. No charger: nothing hides
# the arithmetic.
UM_FLEET = "vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\nE1,XE,bev,400,1.3656\nD1,D,diesel,,\n"


def test_reading_taken_mid_block_counts_only_the_rest_of_it(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, tmp_path, "UM", "America/Detroit", UMICH, UM_DAY, UM_FLEET, "2022-01-05T04:00:00-05:00")
    assign(cli, "UM", UM_DAY, "703", "E1", "2022-01-05T04:00:00-05:00")
    assign(cli, "UM", UM_DAY, "4903", "E1", "2022-01-05T04:00:00-05:00")
    # 5 h 45 min into 703 (3 h 25 min of 9 h 10 min left), telematics says 60 %
    soc(cli, tmp_path, "E1,60,2022-01-05T11:15:00-05:00,telematics,\n", "2022-01-05T11:20:00-05:00")
    doc = cli("day", "board", "--depot", "UM", "--json", at="2022-01-05T11:20:00-05:00").json()
    nxt = row(doc, "4903")
    left = 180.0 * (3 * 60 + 25) / (9 * 60 + 10)  # kWh of 703 still to run
    ready = 60 - 100 * left / 400
    assert nxt["detail"]["readiness"]["soc_pct"] == __import__("pytest").approx(ready, abs=0.2)
    # before the fix: 60 % minus the whole 180 kWh = 15 % at pull-out, not viable, a false alarm
    assert nxt["viability"] == "ok", nxt["reasons"]
    current = row(doc, "703")
    assert current["status"] == "in_service" and current["viability"] is None
    assert current["live_risk"]["end_soc_pct"] == __import__("pytest").approx(ready, abs=0.2)
    assert current["live_risk"]["status"] == "ok" and current["reasons"] == []


BAR_FLEET = ("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\n"
             + "".join(f"E{i},XE,bev,500,1.2\n" for i in range(1, 4)) + "D1,D,diesel,,\n")
LONG = "3fda1888"  # Barrie's 04:35-23:44 block, 365.5 km


def test_in_service_bus_low_with_hours_to_go_has_a_live_risk(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, tmp_path, "BAR", "America/Toronto", BARRIE, BAR_DAY, BAR_FLEET, "2026-02-18T03:00:00-05:00")
    doc = cli("day", "blocks", "--depot", "BAR", "--date", BAR_DAY, "--json").json()
    ids = {b["block_id"][:8]: b["block_id"] for b in doc["blocks"]}
    long, other, third = ids[LONG], ids["5bf2f98a"], ids["2c0976ca"]
    for block, vid in ((long, "E1"), (other, "E2"), (third, "E3")):
        assign(cli, "BAR", BAR_DAY, block, vid, "2026-02-18T03:00:00-05:00")
    # 12:44: 11 h to go. E1 at 18 %; E2 fresh and high; E3's last reading is from last night
    soc(cli, tmp_path, "E1,18,2026-02-18T12:40:00-05:00,telematics,\n"
                       "E2,97,2026-02-18T12:30:00-05:00,telematics,\n"
                       "E3,90,2026-02-17T22:00:00-05:00,telematics,\n", "2026-02-18T12:44:00-05:00")
    doc = cli("day", "board", "--depot", "BAR", "--json", at="2026-02-18T12:44:00-05:00").json()
    low = row(doc, long)
    assert low["status"] == "in_service" and low["viability"] is None
    assert [r["code"] for r in low["reasons"]] == ["live_soc_below_reserve"]
    assert "12:40" in low["reasons"][0]["message"] and "UTC" not in low["reasons"][0]["message"]
    assert low["live_risk"]["status"] == "at_risk"
    assert [r["code"] for r in row(doc, third)["reasons"]] == ["live_soc_stale"]
    assert "get a reading" in row(doc, third)["reasons"][0]["message"]
    ok = row(doc, other)
    assert ok["reasons"] == [] or [r["code"] for r in ok["reasons"]] == ["live_soc_marginal"]
    # the API board says the same
    from depotdispatch.adapters.clock import Clock
    from depotdispatch.bootstrap import App
    from tests.auth_helpers import api_client

    app = App(database_url=db_url, clock=Clock.from_text("2026-02-18T12:44:00-05:00"))
    try:
        api = api_client(app).get("/api/v1/depots/BAR/board").json()
        assert [r["code"] for r in row(api, long)["reasons"]] == ["live_soc_below_reserve"]
    finally:
        app.close()


def test_odometer_measures_the_distance_left(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, tmp_path, "BAR", "America/Toronto", BARRIE, BAR_DAY, BAR_FLEET, "2026-02-18T03:00:00-05:00")
    doc = cli("day", "blocks", "--depot", "BAR", "--date", BAR_DAY, "--json").json()
    long = next(b["block_id"] for b in doc["blocks"] if b["block_id"].startswith(LONG))
    assign(cli, "BAR", BAR_DAY, long, "E1", "2026-02-18T03:00:00-05:00")
    # at pull-out the odometer said 1000 km; at 12:40 it says 1300: 65.5 km of 365.5 left, not the 59 % of time
    soc(cli, tmp_path, "E1,95,2026-02-18T04:30:00-05:00,telematics,1000\n"
                       "E1,40,2026-02-18T12:40:00-05:00,telematics,1300\n", "2026-02-18T12:44:00-05:00")
    doc = cli("day", "board", "--depot", "BAR", "--json", at="2026-02-18T12:44:00-05:00").json()
    live = row(doc, long)["live_risk"]
    assert live["remaining_source"] == "odometer"
    assert live["remaining_km"] == __import__("pytest").approx(65.537, abs=0.01)
    # 40 % - 65.5 km x 1.2 kWh/km / 500 kWh = 24 %: marginal. By the time share (211 km left) it would
    # have been far below the reserve: the odometer is what tells them apart
    assert live["status"] == "watch" and [r["code"] for r in live["reasons"]] == ["live_soc_marginal"]
    assert live["end_soc_pct"] == __import__("pytest").approx(40 - 100 * 65.537 * 1.2 / 500, abs=0.1)


def test_blocks_started_with_no_vehicle_are_missed_pull_outs_first_on_the_board(db_url: str, tmp_path: Path) -> None:
    cli = depot(db_url, tmp_path, "BAR", "America/Toronto", BARRIE, BAR_DAY, BAR_FLEET, "2026-02-18T03:00:00-05:00")
    doc = cli("day", "blocks", "--depot", "BAR", "--date", BAR_DAY, "--json").json()
    first = doc["blocks"][0]["block_id"]
    assign(cli, "BAR", BAR_DAY, first, "D1", "2026-02-18T03:00:00-05:00")
    doc = cli("day", "board", "--depot", "BAR", "--date", BAR_DAY, "--json", at="2026-02-18T06:30:00-05:00").json()
    started = [b for b in doc["blocks"] if b["status"] == "in_service"]
    missed = [b for b in started if b["vehicle_id"] is None]
    assert len(started) == 24 and len(missed) == 23
    for b in missed:
        assert [r["code"] for r in b["reasons"]] == ["no_vehicle"]
        assert b["live_risk"]["status"] == "at_risk"
    assert [b["block_id"] for b in doc["blocks"][:len(missed)]] == [b["block_id"] for b in missed]
    assert row(doc, first)["reasons"] == []  # a diesel on its block: nothing to say
    upcoming = [b for b in doc["blocks"] if b["status"] == "upcoming"]
    assert upcoming and all(not any(r["code"] == "no_vehicle" for r in b["reasons"]) for b in upcoming)


def test_a_bus_taken_out_of_service_while_it_runs_a_block_is_a_live_risk_on_the_board(
        db_url: str, tmp_path: Path) -> None:
    # Big Blue Bus replay: `fleet availability E002 --status out_of_service` said "in service on G-814683: plan a
    # change-out", then the board showed G-814683 running on E002 with no word about it all day
    from tests.gtfs_builder import make_feed

    trips = [("t1", "S", "B1", [("A", "06:00:00", "06:00:00"), ("B", "07:00:00", "07:00:00")]),
             ("t2", "S", "B1", [("B", "07:10:00", "07:10:00"), ("A", "08:10:00", "08:10:00")])]
    cli = lambda *a, at="2026-06-10T05:00:00-04:00": run_cli(db_url, *a, now=at)  # noqa: E731
    assert cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto").code == 0
    assert cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=trips)), "--depot", "T").code == 0
    assert cli("day", "setup", "--depot", "T", "--date", "2026-06-10").code == 0
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\nE1,XE40,bev,400,1.3,150\n")
    assert cli("fleet", "import", str(fleet), "--depot", "T").code == 0
    assert cli("soc", "add", "E1", "90", "--at", "2026-06-10T04:50:00-04:00").code == 0
    assert cli("plan", "assign", "B1", "E1", "--depot", "T", "--date", "2026-06-10", "--version", "0").code == 0
    at = "2026-06-10T06:30:00-04:00"
    assert cli("soc", "add", "E1", "80", "--at", "2026-06-10T06:25:00-04:00", at=at).code == 0
    before = row(cli("day", "board", "--depot", "T", "--json", at=at).json(), "B1")
    assert before["status"] == "in_service" and before["reasons"] == []
    r = cli("fleet", "availability", "E1", "--depot", "T", "--status", "out_of_service", "--reason", "door fault",
            at=at)
    assert r.code == 0 and "plan a change-out" in r.stdout, r.stdout + r.stderr
    after = row(cli("day", "board", "--depot", "T", "--json", at="2026-06-10T06:35:00-04:00").json(), "B1")
    assert after["vehicle_id"] == "E1" and after["live_risk"]["status"] == "at_risk"
    assert [(x["code"], x["message"]) for x in after["reasons"]] == [
        ("unavailable", "E1 is out of service (door fault) but runs this block: plan a change-out to another bus")]
