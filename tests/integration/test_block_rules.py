"""Change-outs, replacements and re-setups (DESIGN §5), on UMich 2022 and both databases (issue 10,
defects 6-8)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from tests.umich import DAY, NIGHT, fleet_csv
from tests.umich import umich as umich_day

FLEET = fleet_csv(3, 300, 1.3, 1)


def umich(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return umich_day(db_url, tmp_path, FLEET)


def version(cli, at: str = NIGHT) -> int:  # type: ignore[no-untyped-def]
    return cli("plan", "version", "--depot", "UM", "--date", DAY, "--json", at=at).json()["plan_version"]


def assign(cli, block: str, vehicle: str, at: str = NIGHT):  # type: ignore[no-untyped-def]
    r = cli("plan", "assign", block, vehicle, "--depot", "UM", "--date", DAY, "--version", str(version(cli, at)),
            "--override-reason", "test", at=at)
    assert r.code == 0, r.stderr


def blocks(cli, at: str = NIGHT) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    doc = cli("day", "blocks", "--depot", "UM", "--date", DAY, "--json", at=at).json()
    return {b["block_id"]: b for b in doc["blocks"]}


def test_split_shortens_the_original_and_the_distances_add_up(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assign(cli, "7803", "E1")  # 18:55-02:35, 130.8 km: more than E1's 300 kWh allow
    evening = "2022-01-05T21:30:00-05:00"
    before = blocks(cli)["7803"]
    r = cli("block", "split", "7803", "--depot", "UM", "--date", DAY, "--at", "22:00", "--json", at=evening)
    assert r.code == 0, r.stderr
    after = blocks(cli, evening)
    original, rest = after["7803"], after[r.json()["new_block"]["block_id"]]
    assert original["distance_km"] + rest["distance_km"] == pytest.approx(before["distance_km"], abs=1e-6)
    assert original["distance_km"] < before["distance_km"] and original["trips"] + rest["trips"] == before["trips"]
    assert original["pull_in"] <= rest["pull_out"] and original["pull_out"] == before["pull_out"]
    doc = r.json()["block"]
    assert doc["actual_start"] is None and doc["actual_end"] is None  # planned times only
    # the energy follows the distance: the board at 18:00 judges the shortened block
    early = cli("day", "board", "--depot", "UM", "--date", DAY, "--json", at="2022-01-05T18:00:00-05:00").json()
    row = next(b for b in early["blocks"] if b["block_id"] == "7803")
    assert row["detail"]["energy"]["inputs"]["distance_km"] == pytest.approx(original["distance_km"], abs=1e-3)
    # setting the day up again does not put the split block's old trips back
    assert cli("day", "setup", "--depot", "UM", "--date", DAY, at=evening).code == 0
    assert blocks(cli, evening)["7803"]["distance_km"] == original["distance_km"]


def test_setting_a_day_up_again_never_drops_an_assignment_silently(db_url: str, tmp_path: Path) -> None:
    from datetime import date

    from depotdispatch.adapters.clock import Clock
    from depotdispatch.bootstrap import App

    cli = umich(db_url, tmp_path)
    assign(cli, "703", "E1")  # 05:30: started by 07:00
    assign(cli, "1103", "E2")  # 12:20: not yet
    morning = "2022-01-05T07:00:00-05:00"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("block_id,vehicle_id\n1203,D1\n")
    preview = cli("sheet", "preview", str(sheet), "--depot", "UM", "--date", DAY, "--json", at=morning).json()
    before = version(cli, morning)
    # the schedule changes: the feed no longer runs on this date
    app = App(database_url=db_url, clock=Clock.from_text(morning))
    try:
        with app.uow() as uow:
            s = uow.schedules.for_depot("UM")[0]
            from dataclasses import replace

            uow.schedules.set_applicability(s.schedule_id, replace(s.applicability,
                                                                   removed=frozenset({date(2022, 1, 5)})))
            uow.commit()
    finally:
        app.close()
    r = cli("day", "setup", "--depot", "UM", "--date", DAY, "--json", at=morning)
    assert r.code == 0, r.stderr
    left = blocks(cli, morning)
    assert "703" in left and "1103" not in left  # started work stays; the rest goes
    assert all(b["status"] != "upcoming" for b in left.values())
    assert version(cli, morning) > before
    log = cli("audit", "log", "--depot", "UM", "--date", DAY, "--json", at=morning).json()["events"]
    dropped = [e for e in log if e["kind"] == "unassigned"]
    assert [(e["block_id"], e["vehicle_id"]) for e in dropped] == [("1103", "E2")]
    assert dropped[0]["actor"] == f"cli:{getpass.getuser()}"  # who set the day up again, not "local-admin"
    stale = cli("sheet", "apply", preview["preview_id"], "--depot", "UM", "--date", DAY, at=morning)
    assert stale.code == 1 and "plan changed" in stale.stderr
    board = cli("day", "board", "--depot", "UM", "--date", DAY, "--json", at=morning).json()
    assert next(b for b in board["blocks"] if b["block_id"] == "703")["vehicle_id"] == "E1"
    again = cli("day", "setup", "--depot", "UM", "--date", "2022-01-06", "--json", at=morning)
    assert again.code == 0


def test_a_day_with_no_service_says_why(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    r = cli("day", "setup", "--depot", "UM", "--date", "2022-06-01", "--json")  # after the feed's range
    assert r.code == 0 and r.json()["blocks"] == 0
    assert any("outside its dates" in w for w in r.json()["warnings"]), r.json()
