"""The real MTA UTS pull-out sheet (19,000 rows): its runs as blocks, then preview and apply its buses."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.helpers import run_cli, shared

NOW = "2012-08-16T03:00:00-04:00"


@pytest.mark.slow  # 19,000 rows imported, set up, previewed and applied
def test_uts_sheet_runs_as_blocks_then_preview_and_apply(db_url: str, tmp_path: Path) -> None:
    path = shared("dispatch", "mta_nyct_uts", "UTSPUPUFULL_20120816_no_pass.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    # what the file says, counted here independently of the product
    keys = {(r["DEPOT"], r["ROUTE"], r["RUN NUMBER"], r["SCHED PO"]) for r in rows}
    with_bus = [r for r in rows if r["BUS NUMBER"].strip()]
    seen: set[tuple[str, ...]] = set()
    exact_dupes = 0
    for r in rows:
        t = tuple(sorted(r.items()))
        exact_dupes += t in seen
        seen.add(t)
    blocks_with_bus = {(r["DEPOT"], r["ROUTE"], r["RUN NUMBER"], r["SCHED PO"]) for r in with_bus}

    cli = lambda *a: run_cli(db_url, *a, now=NOW)  # noqa: E731
    assert cli("depot", "add", "NYCT", "--name", "NYC Transit", "--tz", "America/New_York").code == 0
    imported = cli("schedule", "import-uts", str(path), "--depot", "NYCT", "--json")
    assert imported.code == 0, imported.stderr
    assert imported.json()["blocks"] == len(keys) == 9783 and imported.json()["skipped_rows"] == 0
    setup = cli("day", "setup", "--depot", "NYCT", "--date", "2012-08-16", "--json").json()
    assert setup["blocks"] == 9783
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion\n" + "".join(
        f"{b},NYCT40,diesel\n" for b in sorted({r["BUS NUMBER"] for r in with_bus})))
    assert cli("fleet", "import", str(fleet), "--depot", "NYCT", "--json").json()["vehicles"] == 2240

    doc = cli("sheet", "preview", str(path), "--depot", "NYCT", "--date", "2012-08-16", "--json").json()
    s = doc["summary"]
    assert s["rows"] == len(rows) == 19000
    assert s["problems"]["warning:no_vehicle_yet"] == len(rows) - len(with_bus) == 14054
    assert s["problems"]["warning:duplicate_row"] == exact_dupes == 9199
    # every block with a bus gets one assign row; where the sheet puts one bus on two runs at once the
    # row is an error (the real file does that 17 times) and is not applied; 12 rows leave a bus less
    # than the turnaround between two runs: a warning (DESIGN §5), applied as an acknowledged override
    assert s["actions"]["assign"] + s["actions"]["refused"] == len(blocks_with_bus) == 2508
    assert s["problems"]["error:vehicle_overlap"] == 17 and s["rows_with_errors"] == s["actions"]["refused"] == 17
    assert s["problems"]["warning:short_turnaround"] == 12
    assert s["actionable"] == 2508 - 17
    assert s["unmentioned_blocks"] == 0
    overlap = next(r for r in doc["rows"] if any(p["code"] == "vehicle_overlap" for p in r["problems"]))
    assert "would also run block" in overlap["problems"][0]["detail"] and overlap["problems"][0]["column"]

    applied = cli("sheet", "apply", doc["preview_id"], "--depot", "NYCT", "--date", "2012-08-16", "--json").json()
    assert len(applied["applied"]) == s["actionable"] and applied["plan_version"] == 1
    again = cli("sheet", "preview", str(path), "--depot", "NYCT", "--date", "2012-08-16", "--json").json()
    assert again["summary"]["actions"]["refused"] == 17 and again["summary"]["actionable"] == 0
    assert again["summary"]["actions"]["assign"] == 0
