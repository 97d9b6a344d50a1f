"""A dispatch sheet names blocks as the agency's papers do (DESIGN §5 Import): GTrans' real AVL snapshot says
`21X` where a OneBusAway-style schedule says `1_21X` (agency id prefix), a paper says `4187802` for
`4187802-WKD`. Matched only when unambiguous, and the preview row says how; an ambiguous cell is an error
naming the candidates. Found replaying a real day: such a sheet was all `unknown_block`."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.helpers import run_cli, shared

DAY = "2025-06-20"
NOW = "2025-06-20T05:00:00-07:00"
AVL = shared("dispatch", "gtrans_2025-06-20", "realtime_inservice_dispatch_data.csv")


def gtrans(db_url: str, tmp_path: Path, extra_blocks: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    def cli(*args: str):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=NOW)

    with open(shared("dispatch", "gtrans_2025-06-20", "trips.csv")) as f:
        ids = sorted({r["block_id"] for r in csv.DictReader(f)})
    blocks = tmp_path / "blocks.csv"
    blocks.write_text("block_id,pull_out,pull_in,distance_km\n" + "".join(
        f"{b},{6 + i % 5:02d}:00,{14 + i % 5:02d}:00,150\n"
        for i, b in enumerate([f"1_{b}" for b in ids] + list(extra_blocks))))
    with open(AVL) as f:
        buses = [r["bus_id"] for r in csv.DictReader(f)]
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion\n" + "".join(f"{b},D40,diesel\n" for b in buses))
    assert cli("depot", "add", "G", "--name", "GTrans", "--tz", "America/Los_Angeles").code == 0
    assert cli("schedule", "import-blocks", str(blocks), "--depot", "G", "--start", DAY, "--end", DAY).code == 0
    assert cli("fleet", "import", str(fleet), "--depot", "G").code == 0
    assert cli("day", "setup", "--depot", "G", "--date", DAY).code == 0
    return cli


def test_the_real_avl_snapshot_matches_agency_prefixed_block_ids(db_url: str, tmp_path: Path) -> None:
    cli = gtrans(db_url, tmp_path)
    doc = cli("sheet", "preview", str(AVL), "--depot", "G", "--date", DAY, "--json").json()
    with open(AVL) as f:
        in_service = {r["bus_id"]: r["block_id"] for r in csv.DictReader(f) if r["block_id"]}
    matched = {r["vehicle_id"]: r for r in doc["rows"] if r["sheet_block_id"]}
    assert len(in_service) == 22 and set(matched) == set(in_service)
    for bus, block in in_service.items():
        row = matched[bus]
        assert (row["sheet_block_id"], row["block_id"], row["outcome"]) == (block, f"1_{block}", "assign")
        assert row["block_match"] == f"the sheet's {block!r} read as block 1_{block} (its id with parts cut off " \
                                     "at separators)"
    assert doc["summary"]["actions"]["assign"] == doc["summary"]["actionable"] == 22
    table = cli("sheet", "preview", str(AVL), "--depot", "G", "--date", DAY)
    assert "21X → 1_21X" in table.stdout
    applied = cli("sheet", "apply", doc["preview_id"], "--depot", "G", "--date", DAY, "--json").json()
    assert sorted(applied["applied"]) == sorted(f"1_{b}" for b in in_service.values())
    board = {b["block_id"]: b["vehicle_id"] for b in cli("day", "board", "--depot", "G", "--json").json()["blocks"]}
    assert board["1_21X"] == "2317" and board["1_92"] == "2404"


def test_a_day_suffix_matches_an_ambiguous_cell_is_an_error_naming_the_candidates(db_url: str,
                                                                                  tmp_path: Path) -> None:
    # a second agency's feed in the same depot (a regional combined feed): its `2_12` makes `12` ambiguous
    cli = gtrans(db_url, tmp_path, extra_blocks=("2_12", "4187802-WKD"))
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Block,Bus\n4187802,2317\n12,2312\n7017,2404\n1_21x,2308\n2_12,2302\n")
    doc = cli("sheet", "preview", str(sheet), "--depot", "G", "--date", DAY, "--json").json()
    rows = {r["row"]: r for r in doc["rows"]}
    assert (rows[2]["block_id"], rows[2]["sheet_block_id"], rows[2]["outcome"]) == ("4187802-WKD", "4187802",
                                                                                    "assign")
    ambiguous = rows[3]["problems"][0]
    assert (ambiguous["code"], ambiguous["column"], rows[3]["outcome"]) == ("ambiguous_block", "block_id", "refused")
    assert ambiguous["detail"] == "'12' could be 2 blocks (1_12, 2_12): write the whole block id"
    # a cut inside a part never matches: 7017 is not 7017X
    assert [p["code"] for p in rows[4]["problems"]] == ["unknown_block"] and rows[4]["sheet_block_id"] is None
    assert (rows[5]["block_id"], rows[5]["block_match"]) == ("1_21X", "the sheet's '1_21x' read as block 1_21X "
                                                                      "(its id in another case)")
    assert (rows[6]["block_id"], rows[6]["sheet_block_id"], rows[6]["block_match"]) == ("2_12", None, None)
    assert doc["summary"]["actions"] == {"assign": 3, "reassign": 0, "unassign": 0, "unchanged": 0, "refused": 2}
    assert "1_12" in doc["unmentioned_blocks"] and "4187802-WKD" not in doc["unmentioned_blocks"]
