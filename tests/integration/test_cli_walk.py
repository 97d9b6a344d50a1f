"""What a dispatcher reads on the command line during a day (found by replaying a real day): local times
in sentences, full block ids, options named as typed, sentences instead of Python reprs; bad input writes
nothing."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, shared

DAY = "2016-04-13"
EVENING = "2016-04-12T20:00:00-07:00"
NOON = "2016-04-13T12:05:00-07:00"


def kcm(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def cli(*args: str, at: str = EVENING):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=at)

    assert cli("depot", "add", "K", "--name", "KCM", "--tz", "America/Los_Angeles").code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", "kcm_subset_2016.zip")), "--depot", "K").code == 0
    assert cli("day", "setup", "--depot", "K", "--date", DAY).code == 0
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw,availability\n"
                     "E1,XE,bev,400,1.3,150,available\nE2,XE,bev,400,1.3,150,maintenance\nD1,D,diesel,,,,available\n")
    imported = cli("fleet", "import", str(fleet), "--depot", "K")
    assert imported.code == 0 and imported.stdout.startswith("3 vehicles of 2 types imported"), imported.stdout
    soc = tmp_path / "soc.csv"
    soc.write_text("vehicle_id,soc_pct,measured_at,source\nE1,90,2016-04-12T19:30:00-07:00,telematics\n"
                   "E2,90,2016-04-12T19:30:00-07:00,telematics\n")
    assert cli("soc", "import", str(soc)).code == 0
    return cli


def version(cli) -> int:  # type: ignore[no-untyped-def]
    return int(cli("plan", "version", "--depot", "K", "--date", DAY, "--json").json()["plan_version"])


def test_split_says_where_the_block_now_ends_in_local_time_with_full_ids(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    r = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00", at=NOON)
    assert r.code == 0, r.stderr
    doc = cli("day", "blocks", "--depot", "K", "--date", DAY, "--json", at=NOON).json()["blocks"]
    first = next(b for b in doc if b["block_id"] == "4187802")
    rest = next(b for b in doc if b["block_id"] == "4187802-R")
    said = r.stdout
    assert "+00:00" not in said and "T1" not in said  # no ISO instants in a sentence
    assert f"block 4187802 now pulls in at {first['pull_in_local'][11:16]}" in said
    assert f"4187802-R takes the rest from {rest['pull_out_local'][11:16]}" in said
    cancelled = cli("block", "cancel", "4187802-R", "--depot", "K", "--date", DAY, "--reason", "x", at=NOON)
    assert cancelled.code == 0 and "block 4187802-R cancelled" in cancelled.stdout


def test_block_add_names_the_option_that_is_wrong_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    before = version(cli)
    base = ("block", "add", "X1", "--depot", "K", "--date", DAY)
    cases = [(("--reason", "bogus", "--pull-out", "10:00", "--pull-in", "12:00"), "--reason: "),
             (("--reason", "extra_service", "--pull-out", "12:00", "--pull-in", "10:00"), "--pull-in: "),
             (("--reason", "extra_service", "--pull-out", "10:00", "--pull-in", "12:00", "--distance-km", "-4"),
              "--distance-km: ")]
    for extra, said in cases:
        r = cli(*base, *extra)
        assert r.code == 1 and said in r.stderr and "column" not in r.stderr, r.stderr
    assert version(cli) == before
    ids = {b["block_id"] for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]}
    assert "X1" not in ids


def test_assign_by_prefix_prints_the_full_id_and_warnings_say_how_to_override(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    blocks = [b["block_id"] for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]]
    full, prefix = next((b, b[:n]) for b in blocks for n in range(1, len(b))
                        if sum(o.startswith(b[:n]) for o in blocks) == 1)
    refused = cli("plan", "assign", prefix, "E2", "--depot", "K", "--date", DAY, "--version", "0")
    assert refused.code == 1 and "--override-reason" in refused.stderr and "in maintenance" in refused.stderr
    assert version(cli) == 0  # nothing written
    ok = cli("plan", "assign", prefix, "D1", "--depot", "K", "--date", DAY, "--version", "0")
    assert ok.code == 0 and ok.stdout.startswith(f"{full} -> D1"), ok.stdout
    over = cli("plan", "assign", prefix, "E2", "--depot", "K", "--date", DAY, "--version", "1",
               "--override-reason", "back from the workshop early")
    assert over.code == 0 and f"{full} -> E2 (override)" in over.stdout


def test_sheet_preview_speaks_in_sentences_and_refused_rows_say_so(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    blocks = [b["block_id"] for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"Block,Bus\n{blocks[0]},NOPE9\nnosuch,D1\n")
    r = cli("sheet", "preview", str(bad), "--depot", "K", "--date", DAY)
    assert r.code == 0, r.stderr
    assert "{'" not in r.stdout and "2 rows:" in r.stdout and "0 can be applied" in r.stdout
    assert "refused" in r.stdout and "unknown_vehicle" in r.stdout
    assert "2 rows: 2 refused;" in " ".join(r.stdout.split())  # counted as refused, not as 'unchanged'
    assert "nothing to apply" in r.stderr and "sheet apply" not in r.stderr
    preview_id = cli("sheet", "preview", str(bad), "--depot", "K", "--date", DAY, "--json").json()["preview_id"]
    applied = cli("sheet", "apply", preview_id, "--depot", "K", "--date", DAY)
    assert applied.code == 0 and applied.stdout.startswith("nothing applied") and version(cli) == 0
    good = tmp_path / "good.csv"
    good.write_text(f"Block;Bus\r\n{blocks[0]};D1\r\n")
    g = cli("sheet", "preview", str(good), "--depot", "K", "--date", DAY)
    assert g.stdout.count("1 row:") == 1 and "1 assign" in g.stdout and "1 can be applied" in g.stdout
    assert "sheet apply" in g.stderr
    missing = cli("sheet", "preview", str(tmp_path / "gone.csv"), "--depot", "K", "--date", DAY)
    assert missing.code == 1 and "PosixPath" not in missing.stderr and "gone.csv" in missing.stderr


def test_sheet_export_event_names_the_cli_actor(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    assert cli("sheet", "export", "--depot", "K", "--date", DAY, "-o", str(tmp_path / "s.csv")).code == 0
    events = cli("audit", "log", "--depot", "K", "--date", DAY, "--json").json()["events"]
    exported = [e for e in events if e["kind"] == "sheet_exported"]
    assert exported and exported[0]["actor"].startswith("cli:"), exported


def test_board_notes_a_day_in_the_window_that_is_not_set_up(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    r = cli("day", "board", "--depot", "K", at="2016-04-13T20:00:00-07:00")  # the window reaches the 14th
    assert r.code == 0 and "Thu 14 Apr is inside the window and not set up yet" in r.stderr, r.stderr
    assert "--date 2016-04-14" in r.stderr
    assert cli("day", "setup", "--depot", "K", "--date", "2016-04-14").code == 0
    again = cli("day", "board", "--depot", "K", at="2016-04-13T20:00:00-07:00")
    assert "not set up" not in again.stderr


def test_replan_with_nothing_movable_lists_the_moves_behind_its_gain(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)  # nothing assigned yet: no recommended/imported assignment to move
    doc = cli("plan", "replan", "--depot", "K", "--date", DAY, "--json").json()
    assert doc["before"] == {"covered": 0, "ev_covered": 0} and doc["gain"]["covered"] > 0
    # every block it says it would cover is a move the dispatcher can see and make
    assert len(doc["moves"]) == doc["gain"]["covered"]
    assert all(m["from_vehicle"] is None and m["to_vehicle"] and m["explanation"] for m in doc["moves"])
    assert {m["block_id"] for m in doc["moves"]} == {p["block_id"] for p in doc["proposals"]}
    human = cli("plan", "replan", "--depot", "K", "--date", DAY)
    assert f"{len(doc['moves'])} moves" in human.stdout


def _rows(table: str) -> list[list[str]]:
    """The logical rows of a rich table whose cells wrap: a row starts where the pull-out cell is filled."""
    rows: list[list[str]] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[1] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [(a + (" " if a and b and i else "") + b) if i else a + b
                        for i, (a, b) in enumerate(zip(rows[-1], cells, strict=True))]
    return rows


def test_day_blocks_table_keeps_whole_ids_words_and_the_day_of_a_late_pull_in(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    long_id = "3fda1888-74ca-431d-b314-e0f86cde718f"  # a UUID block id, as Barrie's feed has
    assert cli("block", "add", long_id, "--depot", "K", "--date", DAY, "--reason", "extra_service",
               "--pull-out", "23:00", "--pull-in", "25:10", "--distance-km", "12.345").code == 0
    r = cli("day", "blocks", "--depot", "K", "--date", DAY)
    assert r.code == 0 and "…" not in r.stdout  # nothing cut to an ellipsis on an 80-column pipe
    row = next(cells for cells in _rows(r.stdout) if cells[0] == long_id)
    assert row[1] == "23:00" and row[2] == "Thu 14 Apr 01:10"  # after midnight: its day, as on the board
    assert row[3] == "12.3" and "in_service" not in r.stdout and "upcoming" in r.stdout


def test_sheet_export_is_in_pull_out_order_with_missed_pull_outs_among_the_rest(db_url: str, tmp_path: Path) -> None:
    import csv
    import io

    cli = kcm(db_url, tmp_path)
    blocks = cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]
    first = blocks[0]["block_id"]  # the earliest pull-out runs with a bus; the later morning ones have none
    assert cli("plan", "assign", first, "D1", "--depot", "K", "--date", DAY, "--version", "0").code == 0
    # at noon the morning's blocks have started with no bus: the board lists them first, the sheet must not
    out = tmp_path / "sheet.csv"
    assert cli("sheet", "export", "--depot", "K", "--date", DAY, "-o", str(out), at=NOON).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(blocks)
    keys = [(r["pull_out"], r["block_id"]) for r in rows]
    assert keys == sorted(keys)


def test_day_setup_again_says_the_ad_hoc_and_cancelled_blocks_apart(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    blocks = cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]
    assert cli("block", "add", "X1", "--depot", "K", "--date", DAY, "--reason", "extra_service", "--pull-out",
               "10:00", "--pull-in", "12:00", "--distance-km", "20").code == 0
    assert cli("block", "cancel", blocks[0]["block_id"], "--depot", "K", "--date", DAY, "--reason", "x").code == 0
    doc = cli("day", "setup", "--depot", "K", "--date", DAY, "--json").json()
    assert doc["adhoc"] == 1 and doc["cancelled"] == 1 and doc["blocks"] == len(blocks) - 1 + 1
    said = cli("day", "setup", "--depot", "K", "--date", DAY).stdout
    assert f"{doc['blocks']} blocks to run, 1 ad-hoc, 1 cancelled" in said and f"{doc['unchanged']} as before" in said
    assert " -0 " not in said and "+0" not in said


def test_replayed_day_sentences_say_settings_times_and_splits_as_a_person_would(db_url: str, tmp_path: Path) -> None:
    # found replaying U-M Transit's 2022-02-09: "depot UM: temperature_c -6", `block actual --start 10:58`
    # refused where `block add` takes HH:MM, a split at 12:00 moved to the next trip without a word
    cli = kcm(db_url, tmp_path)
    said = cli("depot", "set", "K", "--temperature-c", "-6", "--stale-after-h", "6").stdout
    assert " ".join(said.split()) == "depot K: temperature -6 °C, a reading is stale after 6 h", said
    placed = cli("depot", "set", "K", "--location", "47.61,-122.33", "--relief-km", "0.5").stdout
    assert " ".join(placed.split()) == "depot K: location 47.61, -122.33, relief stops within 0.5 km of the depot"
    assert " ".join(cli("depot", "set", "K", "--no-location").stdout.split()) == "depot K: no location"
    # Big Blue Bus replay: --location 34.0152,-118.4862 was said back as "-118.486", as if cut off
    exact = cli("depot", "set", "K", "--location", "34.0152,-118.4862").stdout
    assert " ".join(exact.split()) == "depot K: location 34.0152, -118.4862"
    helped = cli("--help").stdout
    assert "change-out" in helped and "Block facts: actual start and end." not in helped
    r = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00", at=NOON)
    rest = next(b for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json", at=NOON).json()["blocks"]
                if b["block_id"] == "4187802-R")
    assert rest["pull_out_local"][11:16] != "12:00"  # the first trip of the rest starts later
    assert f"takes the rest from {rest['pull_out_local'][11:16]} (its first trip at or after 12:00) to" in \
        " ".join(r.stdout.split())
    later = "2016-04-13T12:35:00-07:00"
    started = cli("block", "actual", "4187802-R", "--depot", "K", "--date", DAY, "--start", "12:30", at=later)
    assert started.code == 0, started.stderr
    b = next(b for b in cli("day", "board", "--depot", "K", "--json", at=later).json()["blocks"]
             if b["block_id"] == "4187802-R")
    assert b["actual_start"] == "2016-04-13T19:30:00+00:00", b  # 12:30 PDT on the service day
