"""Rules of the plan that no override relaxes (DESIGN §5), on UMich 2022 and both databases (issue 10,
defects 4-5): overlap is a refusal everywhere, a short turnaround an overridable warning, and a sheet is
judged on the plan that would result."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, shared

UMICH, DAY, NIGHT = "umich_ann_arbor_2022.zip", "2022-01-05", "2022-01-04T22:00:00-05:00"
FLEET = ("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
         + "".join(f"E{i},XE,bev,500,1.2,150\n" for i in range(1, 5)) + "D1,D,diesel,,,\nD2,D,diesel,,,\n")


def umich(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=NIGHT)

    assert cli("depot", "add", "UM", "--name", "UMich", "--tz", "America/Detroit").code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", UMICH)), "--depot", "UM").code == 0
    assert cli("day", "setup", "--depot", "UM", "--date", DAY).code == 0
    (tmp_path / "fleet.csv").write_text(FLEET)
    assert cli("fleet", "import", str(tmp_path / "fleet.csv"), "--depot", "UM").code == 0
    (tmp_path / "soc.csv").write_text("vehicle_id,soc_pct,measured_at,source,plugged_in\n" + "".join(
        f"E{i},95,2022-01-04T21:30:00-05:00,telematics,yes\n" for i in range(1, 5)))
    assert cli("soc", "import", str(tmp_path / "soc.csv")).code == 0
    return cli


def version(cli) -> int:  # type: ignore[no-untyped-def]
    return cli("plan", "version", "--depot", "UM", "--date", DAY, "--json").json()["plan_version"]


def assign(cli, block: str, vehicle: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("plan", "assign", block, vehicle, "--depot", "UM", "--date", DAY, "--version", str(version(cli)),
               *extra)


def plan(cli) -> dict[str, str]:  # type: ignore[no-untyped-def]
    doc = cli("day", "board", "--depot", "UM", "--date", DAY, "--json").json()
    return {b["block_id"]: b["vehicle_id"] for b in doc["blocks"] if b["vehicle_id"]}


def test_assign_with_an_override_reason_never_puts_one_bus_on_two_simultaneous_blocks(db_url: str,
                                                                                      tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assert assign(cli, "703", "D1").code == 0  # 05:30-14:40
    before = version(cli)
    refused = assign(cli, "203", "D1", "--override-reason", "dispatcher knows best")  # 06:00-13:50
    assert refused.code == 1 and "overlap" in refused.stderr and "whatever the reason" in refused.stderr
    assert plan(cli) == {"703": "D1"} and version(cli) == before
    # a short turnaround is a warning: refused without a reason, recorded as an override with one
    assert assign(cli, "5703", "D2").code == 0  # 07:42-11:45
    short = assign(cli, "4303", "D2")  # 11:45-19:05: no time to turn around
    assert short.code == 1 and "short_turnaround" in short.stderr
    ok = assign(cli, "4303", "D2", "--override-reason", "driver swap at the stop", "--json")
    assert ok.code == 0 and ok.json()["acknowledged"] == ["short_turnaround"]


def write_sheet(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "sheet.csv"
    path.write_text("block_id,vehicle_id\n" + rows)
    return path


def test_sheet_row_whose_partner_cannot_apply_is_an_error_too(db_url: str, tmp_path: Path) -> None:
    """The reported case: the first row puts E1 on 703, counting on the second to take E1 off 203; the
    second cannot apply (E2 is on 303, which overlaps 203). Before the fix the first row passed and
    applied alone, leaving E1 on two overlapping blocks."""
    cli = umich(db_url, tmp_path)
    for block, vid in (("203", "E1"), ("303", "E2"), ("703", "E3")):
        assert assign(cli, block, vid).code == 0
    sheet = write_sheet(tmp_path, "703,E1\n203,E2\n")
    preview = cli("sheet", "preview", str(sheet), "--depot", "UM", "--date", DAY, "--json").json()
    rows = {r["block_id"]: r for r in preview["rows"]}
    assert "vehicle_overlap" in {p["code"] for p in rows["203"]["problems"]}
    assert "vehicle_overlap" in {p["code"] for p in rows["703"]["problems"]}, rows["703"]
    assert not rows["703"]["actionable"] and preview["summary"]["actionable"] == 0
    applied = cli("sheet", "apply", preview["preview_id"], "--depot", "UM", "--date", DAY, "--json")
    assert applied.code == 0 and applied.json()["applied"] == 0
    assert plan(cli) == {"203": "E1", "303": "E2", "703": "E3"}


def test_half_a_swap_never_lands_alone(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assert assign(cli, "203", "E1").code == 0
    assert assign(cli, "303", "E2").code == 0
    preview = cli("sheet", "preview", str(write_sheet(tmp_path, "203,E2\n303,E1\n")), "--depot", "UM", "--date", DAY,
                  "--json").json()
    assert preview["summary"]["actionable"] == 2  # the swap as a whole is fine
    row_of = {r["block_id"]: r["row"] for r in preview["rows"]}
    half = cli("sheet", "apply", preview["preview_id"], "--depot", "UM", "--date", DAY, "--row", str(row_of["203"]))
    assert half.code == 1 and "overlap" in half.stderr and f"row(s) {row_of['303']}" in half.stderr
    assert plan(cli) == {"203": "E1", "303": "E2"}
    whole = cli("sheet", "apply", preview["preview_id"], "--depot", "UM", "--date", DAY, "--json")
    assert whole.code == 0 and whole.json()["applied"] == 2
    assert plan(cli) == {"203": "E2", "303": "E1"}


def test_adhoc_change_that_would_double_book_its_bus_is_refused(db_url: str, tmp_path: Path) -> None:
    cli = umich(db_url, tmp_path)
    assert cli("block", "add", "X1", "--depot", "UM", "--date", DAY, "--reason", "extra_service",
               "--pull-out", "15:00", "--pull-in", "16:00", "--distance-km", "20").code == 0
    assert assign(cli, "803", "D1").code == 0  # 05:40-10:40
    assert assign(cli, "X1", "D1").code == 0
    moved = cli("block", "update", "X1", "--depot", "UM", "--date", DAY, "--pull-out", "09:00")
    assert moved.code == 1 and "overlap" in moved.stderr
    doc = cli("day", "blocks", "--depot", "UM", "--date", DAY, "--json").json()
    x1 = next(b for b in doc["blocks"] if b["block_id"] == "X1")
    assert x1["pull_out_local"][11:16] == "15:00"
