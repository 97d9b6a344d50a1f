"""Missed pull-outs in the recommendation (U-M replay findings 8 and 16): a block that started with no bus is
not planned (it has started), but the recommendation says so and who can take the rest over, and the command
it prints does it."""

from __future__ import annotations

from pathlib import Path

from tests.gtfs_builder import make_feed
from tests.helpers import run_cli

DAY = "2026-06-10"
# a block out and back from stop A four times (relief points: its ends, stop A); another that is not late
TRIPS = [("t1", "S", "B1", [("A", "06:00:00", "06:00:00"), ("B", "07:00:00", "07:00:00")]),
         ("t2", "S", "B1", [("B", "07:10:00", "07:10:00"), ("A", "08:10:00", "08:10:00")]),
         ("t3", "S", "B1", [("A", "08:20:00", "08:20:00"), ("B", "09:20:00", "09:20:00")]),
         ("t4", "S", "B1", [("B", "09:30:00", "09:30:00"), ("A", "10:30:00", "10:30:00")]),
         ("t5", "S", "B2", [("A", "12:00:00", "12:00:00"), ("B", "13:00:00", "13:00:00")])]


def test_a_missed_pull_out_is_said_with_the_bus_that_can_take_the_rest_over(db_url: str, tmp_path: Path) -> None:
    now = "2026-06-10T07:30:00-04:00"
    cli = lambda *a: run_cli(db_url, *a, now=now)  # noqa: E731
    assert cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto").code == 0
    assert cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=TRIPS)), "--depot", "T").code == 0
    assert cli("day", "setup", "--depot", "T", "--date", DAY).code == 0
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
                     "E1,XE40,bev,400,1.3,150\nD1,D40,diesel,,,\n")
    assert cli("fleet", "import", str(fleet), "--depot", "T").code == 0
    assert cli("soc", "add", "E1", "90", "--at", "2026-06-10T07:00:00-04:00").code == 0

    doc = cli("plan", "recommend", "--depot", "T", "--date", DAY, "--json").json()
    assert [p["block_id"] for p in doc["proposals"]] == ["B2"]  # B1 started at 06:00 with no bus: not planned
    [missed] = doc["missed_pull_outs"]
    # 07:30 + a 10-min turnaround: the first trip from a relief point after 07:40 is t3 at 08:20 from stop A
    assert (missed["block_id"], missed["relief_stop"], missed["at"]) == ("B1", "A", "2026-06-10T12:20:00+00:00")
    assert missed["vehicle_id"] == "E1" and missed["km"] is not None  # an EV first
    assert missed["explanation"].startswith("E1 can take the rest from 08:20 at stop A (A, where it joins its "
                                            "depot run), ") and "pulls in with" in missed["explanation"]
    assert doc["summary"]["missed_pull_outs"] == 1
    assert doc["summary"]["text"].endswith("1 block started with no bus (missed pull-out, not planned here): 1 can "
                                           "be taken over")

    shown = cli("plan", "recommend", "--depot", "T", "--date", DAY)
    assert "Missed pull-outs" in shown.stdout
    command = next(line for line in shown.stderr.splitlines() if line.startswith("take over B1 with: "))
    args = command.split("depotdispatch ", 1)[1].split()
    assert args[:5] == ["block", "split", "B1", "--at", "2026-06-10T08:20-04:00"]
    done = cli(*args)
    assert done.code == 0, done.stderr
    blocks = {b["block_id"]: b for b in cli("day", "blocks", "--depot", "T", "--date", DAY, "--json").json()["blocks"]}
    board = cli("day", "board", "--depot", "T", "--date", DAY, "--json").json()
    held = {r["block_id"]: r.get("vehicle_id") for r in board["blocks"]}
    assert "B1-R" in blocks and held["B1-R"] == "E1"
    again = cli("plan", "recommend", "--depot", "T", "--date", DAY, "--json").json()
    assert again["missed_pull_outs"][0]["block_id"] == "B1"  # the run part still has no bus: still said
    assert again["missed_pull_outs"][0]["vehicle_id"] is None or again["missed_pull_outs"][0]["vehicle_id"] != "E1"


def test_a_free_bus_whose_charge_is_not_known_is_named_not_counted_as_busy(db_url: str, tmp_path: Path) -> None:
    # Big Blue Bus replay: "every bus is on other work then or short of charge" while E090 stood free all day with
    # a reading a day old; a reading would have told whether it can take the rest
    now = "2026-06-10T07:30:00-04:00"
    cli = lambda *a: run_cli(db_url, *a, now=now)  # noqa: E731
    cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto")
    cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=TRIPS)), "--depot", "T")
    cli("day", "setup", "--depot", "T", "--date", DAY)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\nE1,XE40,bev,400,1.3,150\n")
    assert cli("fleet", "import", str(fleet), "--depot", "T").code == 0
    assert cli("soc", "add", "E1", "90", "--at", "2026-06-09T10:00:00-04:00").code == 0  # 21.5 h old: stale

    [missed] = cli("plan", "recommend", "--depot", "T", "--date", DAY, "--json").json()["missed_pull_outs"]
    assert missed["vehicle_id"] is None
    words = missed["explanation"]
    assert "every bus is on other work" not in words
    assert words.startswith("no bus is known to be able to take the rest from 08:20 at stop A ")
    assert "E1 is free then, but last reading 22 h ago" in words and words.endswith("get a reading")


def test_no_missed_pull_out_no_word(db_url: str, tmp_path: Path) -> None:
    cli = lambda *a: run_cli(db_url, *a, now="2026-06-10T05:00:00-04:00")  # noqa: E731
    cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto")
    cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=TRIPS)), "--depot", "T")
    cli("day", "setup", "--depot", "T", "--date", DAY)
    doc = cli("plan", "recommend", "--depot", "T", "--date", DAY, "--json").json()
    assert doc["missed_pull_outs"] == [] and "started with no bus" not in doc["summary"]["text"]


def test_the_page_offers_the_takeover_and_it_splits_and_assigns(app, db_url: str, tmp_path: Path) -> None:
    from datetime import datetime

    from tests.auth_helpers import web_client

    now = "2026-06-10T07:30:00-04:00"
    cli = lambda *a: run_cli(db_url, *a, now=now)  # noqa: E731
    cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto")
    cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=TRIPS)), "--depot", "T")
    cli("day", "setup", "--depot", "T", "--date", DAY)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\nD1,D40,diesel,,,\n")
    cli("fleet", "import", str(fleet), "--depot", "T")
    app.clock.fixed = datetime.fromisoformat(now)
    web = web_client(app)
    page = web.post(f"/depots/T/days/{DAY}/recommendation")
    assert page.status_code == 200 and "<h3>Missed pull-outs</h3>" in page.text
    row = page.text.split('<tr data-block="B1">')[1].split("</tr>")[0]
    assert "D1 can take the rest from 08:20 at stop A" in row and "(no EV can run it)" in row
    action = row.split('hx-post="')[1].split('"')[0]
    form = {k: row.split(f'name="{k}" value="')[1].split('"')[0] for k in ("at", "swap_vehicle", "plan_version")}
    assert form["at"] == "08:20" and form["swap_vehicle"] == "D1"
    done = web.post(action, data={**form, "csrf_token": web.csrf_token})
    assert done.status_code == 200 and "D1 takes it over" in done.text, done.text
    board = cli("day", "board", "--depot", "T", "--date", DAY, "--json").json()
    assert {r["block_id"]: r.get("vehicle_id") for r in board["blocks"]}["B1-R"] == "D1"


def test_the_picker_of_a_missed_pull_out_offers_the_takeover_and_no_assign_for_overlapping_work(
        app, db_url: str, tmp_path: Path) -> None:
    """U-M replay finding 15: at 18:10 the picker of a block that started at 06:42 with no bus said every bus
    overlapped it, each with an Assign button that `plan assign` refuses whatever is said."""
    from datetime import datetime

    from tests.auth_helpers import web_client

    now = "2026-06-10T07:30:00-04:00"
    cli = lambda *a: run_cli(db_url, *a, now=now)  # noqa: E731
    cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto")
    b3 = ("t6", "S", "B3", [("A", "09:00:00", "09:00:00"), ("B", "09:30:00", "09:30:00")])  # inside B1's hours
    cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=[*TRIPS, b3])), "--depot", "T")
    cli("day", "setup", "--depot", "T", "--date", DAY)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\nD1,D40,diesel,,,\n"
                     "D2,D40,diesel,,,\n")
    cli("fleet", "import", str(fleet), "--depot", "T")
    version = cli("plan", "version", "--depot", "T", "--date", DAY, "--json").json()["plan_version"]
    assert cli("plan", "assign", "B3", "D2", "--depot", "T", "--date", DAY, "--version", str(version)).code == 0
    app.clock.fixed = datetime.fromisoformat(now)
    picker = web_client(app).get(f"/depots/T/days/{DAY}/blocks/B1/picker").text
    assert "Or take the rest over:" in picker and "D1 can take the rest from 08:20 at stop A" in picker
    assert "Take over with D1 from 08:20</button>" in picker
    # D2 runs B3 (09:00-09:30), inside B1's hours: `plan assign` refuses it whatever is said, so no button
    rows = {r.split('data-vehicle="')[1].split('"')[0]: r for r in picker.split('<tr class="pick-row')[1:]}
    assert "Assign D1</button>" in rows["D1"]
    assert "Assign D2" not in rows["D2"] and "Not possible: overlapping work" in rows["D2"]
    r = cli("plan", "assign", "B1", "D2", "--depot", "T", "--date", DAY, "--version", str(version + 1),
            "--override-reason", "try")
    assert r.code != 0 and "overlap" in r.stderr  # what the page no longer offers


def test_no_bus_to_take_over_is_said_per_reason_and_that_the_proposals_hold_buses(db_url: str,
                                                                                   tmp_path: Path) -> None:
    """The demo at 09:00: the recommendation said "no free bus can take the rest ...: every bus is on other work
    then or short of charge" while the block's picker named E109 to take it over: the recommendation had given
    E109 a later block. It now says how many buses are held by what, the proposals included."""
    now = "2026-06-10T07:30:00-04:00"
    cli = lambda *a: run_cli(db_url, *a, now=now)  # noqa: E731
    cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto")
    b3 = ("t6", "S", "B3", [("A", "09:00:00", "09:00:00"), ("B", "09:30:00", "09:30:00")])  # inside B1's rest
    cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=[*TRIPS[:4], b3])), "--depot", "T")
    cli("day", "setup", "--depot", "T", "--date", DAY)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\nE1,XE40,bev,400,1.3,150\n"
                     "D1,D40,diesel,,,\n")
    cli("fleet", "import", str(fleet), "--depot", "T")
    cli("soc", "add", "E1", "90", "--at", "2026-06-10T07:00:00-04:00")
    assert cli("fleet", "availability", "D1", "--depot", "T", "--status", "maintenance", "--reason", "brakes").code == 0
    doc = cli("plan", "recommend", "--depot", "T", "--date", DAY, "--json").json()
    assert [(p["block_id"], p["vehicle_id"]) for p in doc["proposals"]] == [("B3", "E1")]
    [missed] = doc["missed_pull_outs"]
    assert missed["vehicle_id"] is None
    assert missed["explanation"].endswith(": 1 bus not available; 1 bus on other work then (the proposals above "
                                          "included)"), missed["explanation"]
