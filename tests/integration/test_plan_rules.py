"""Rules of the plan that no override relaxes (DESIGN §5), on UMich 2022 and both databases (issue 10,
defects 4-5): a dispatch sheet is judged on the plan that would result, through the CLI end to end.
The rules themselves (overlap refused on assign and ad-hoc changes, a short turnaround an overridable
warning) are proved on fakes in tests/unit/test_plan_rules_fakes.py."""

from __future__ import annotations

from pathlib import Path

from tests.umich import DAY, fleet_csv
from tests.umich import umich as umich_day

FLEET = fleet_csv(4, 500, 1.2, 2)


def umich(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return umich_day(db_url, tmp_path, FLEET)


def version(cli) -> int:  # type: ignore[no-untyped-def]
    return cli("plan", "version", "--depot", "UM", "--date", DAY, "--json").json()["plan_version"]


def assign(cli, block: str, vehicle: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("plan", "assign", block, vehicle, "--depot", "UM", "--date", DAY, "--version", str(version(cli)),
               *extra)


def plan(cli) -> dict[str, str]:  # type: ignore[no-untyped-def]
    doc = cli("day", "board", "--depot", "UM", "--date", DAY, "--json").json()
    return {b["block_id"]: b["vehicle_id"] for b in doc["blocks"] if b["vehicle_id"]}


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
    assert applied.code == 0 and applied.json()["applied"] == []
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
    assert whole.code == 0 and sorted(whole.json()["applied"]) == ["203", "303"]
    assert plan(cli) == {"203": "E2", "303": "E1"}
