"""Every place a person reads a block says it one way (DESIGN §9): the feed's name with the id beside it,
"106 (id 703)" (domain/blocks.block_label; on pages templating.block_ref sets the id quieter). In the U-M feed
block 703 is named "106" and "703" is another block's name ("703/710"): a bare id or a bare name misleads.
The --json keys stay as DESIGN §9 has them (block_id is the id); the name is an added field."""

from __future__ import annotations

import html
import re
from datetime import date, datetime

import pytest

from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules, yard
from tests.auth_helpers import web_client
from tests.helpers import override, run_cli, shared

EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150)
DSL = VehicleType("D40", "diesel")
DAY = date(2022, 1, 5)
NOW = "2022-01-05T04:00:00-05:00"
NAMED = '106 <span class="also-id">(id 703)</span>'  # the page's way; as text "106 (id 703)"


@pytest.fixture
def um(app):  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2022-01-04T12:00:00-05:00")
    depots.add_depot(app.uow(), Depot("UM", "U-M", "America/Detroit"), t0)
    schedules.import_gtfs(app.uow(), "UM", read_gtfs(shared("gtfs", "umich_ann_arbor_2022.zip")), t0)
    days.setup_day(app.uow(), "UM", DAY, t0)
    fleet.import_fleet(app.uow(), "UM", [FleetEntry(1, "E1", EV), FleetEntry(2, "D1", DSL)])
    yard.import_chargers(app.uow(), "UM", [Charger("C1", 150, 1)], t0, "t")
    at = datetime.fromisoformat("2022-01-05T03:50:00-05:00")
    readings.add_readings(app.uow(), [(1, SocReading("E1", 30, at, "telematics", plugged_in=False))], at)
    override(app.uow(), "UM", DAY, "703", "E1", plan_version=0, actor="t", now=t0, override_reason="short of buses")
    app.clock.fixed = datetime.fromisoformat(NOW)
    return app


def test_the_pages_a_dispatcher_reads_name_a_block_as_the_board_does(um) -> None:  # type: ignore[no-untyped-def]
    web = web_client(um)
    board = web.get("/depots/UM/board", params={"date": "2022-01-05"}).text
    assert f'blocks/703">{NAMED}</a>' in board
    # the board's find box takes the name the row shows (it matched ids, routes and buses only)
    found = web.get("/depots/UM/board", params={"date": "2022-01-05", "q": "106"}).text
    assert 'data-block="703"' in found

    late = web.get("/depots/UM/late", params={"date": "2022-01-05"}).text
    row = late.split('data-block="703"')[1].split("</tr>")[0]
    assert f'blocks/703">{NAMED}</a></th>' in row and "Cancel 106 (id 703)</button>" in row
    assert ">106 (id 703) (" in late  # the "replaces" choice of the ad-hoc form

    items = {i["id"]: i for i in web.get("/depots/UM/days/2022-01-05/timeline.json").json()["items"]}
    assert items["703"]["content"].startswith("106 (id 703) (") and items["703"]["title"].startswith("106 (id 703):")

    page = html.unescape(web.get("/depots/UM/yard").text)
    out = page.split('id="next-pull-outs"')[1].split("</ul>")[0]
    assert 'on 106 <span class="also-id">(id 703)</span>' in out
    order = page.split('id="plug-in-order"')[1].split("</ol>")[0]
    assert re.search(r"E1: out at 0\d:\d\d on 106 \(id 703\), needs", order), order

    audit = web.get("/depots/UM/audit", params={"block": "703"}).text
    assert f'blocks/703">{NAMED}</a>' in audit

    # a reason that names another block: E1 on 703 is why it cannot also run an overlapping block
    picker = web.get("/depots/UM/days/2022-01-05/blocks/203/picker").text
    assert "E1 runs block 106 (id 703) (" in html.unescape(picker)

    # what answers a change says the block the same way
    done = web.post("/depots/UM/days/2022-01-05/blocks/703/unassign", data={"plan_version": "1"}).text
    assert "Block 106 (id 703) has no vehicle now" in done, done
    asked = web.post("/depots/UM/days/2022-01-05/blocks/703/assign", data={"vehicle_id": "E1", "plan_version": "2"})
    assert asked.status_code == 409 and f"E1 on block {NAMED} has warnings</h2>" in asked.text, asked.text[:300]


def test_the_kpi_drill_down_names_the_blocks(um) -> None:  # type: ignore[no-untyped-def]
    um.clock.fixed = datetime.fromisoformat("2022-01-06T04:00:00-05:00")  # the day has run
    page = web_client(um).get("/depots/UM/kpis/blocks", params={"measure": "blocks", "from": "2022-01-05",
                                                                "to": "2022-01-05"}).text
    assert f'<td class="block-id">{NAMED}</td>' in page


def first_column(table: str) -> str:
    """A table's first column run together without spaces: a narrow terminal folds a cell over lines."""
    return "".join(line.split("│")[1].replace(" ", "") for line in table.splitlines() if line.startswith("│"))


def test_the_command_line_names_blocks_one_way_and_keeps_its_json_keys(um, db_url) -> None:  # type: ignore[no-untyped-def]
    board = run_cli(db_url, "day", "board", "--depot", "UM", "--json", now=NOW).json()
    row = next(b for b in board["blocks"] if b["block_id"] == "703")
    assert {"block_id", "service_date", "status", "vehicle_id", "viability", "reasons", "origin"} <= set(row)
    assert row["block_name"] == "106"
    table = first_column(run_cli(db_url, "day", "board", "--depot", "UM", now=NOW).stdout)
    assert "106(id703)" in table and "703(106)" not in table
    listed = first_column(run_cli(db_url, "day", "blocks", "--depot", "UM", "--date", "2022-01-05", now=NOW).stdout)
    assert "106(id703)" in listed

    order = run_cli(db_url, "yard", "plug-in-order", "--depot", "UM", "--json", now=NOW).json()["order"]
    e1 = next(e for e in order if e["vehicle_id"] == "E1")
    assert {"vehicle_id", "charger_id", "next_block_id", "pull_out", "needs_pct", "reason"} <= set(e1)
    assert e1["next_block_id"] == "703" and e1["next_block_name"] == "106"
    assert " on 106 (id 703), needs " in e1["reason"]
    said = run_cli(db_url, "yard", "plug-in-order", "--depot", "UM", now=NOW).stdout
    assert "on 106 (id 703), needs" in said.replace("\n", " ")


def test_what_the_command_line_answers_a_change_names_the_block(um, db_url) -> None:  # type: ignore[no-untyped-def]
    def said(*args: str) -> str:
        r = run_cli(db_url, *args, "--depot", "UM", "--date", "2022-01-05", now=NOW)
        assert r.code == 0, r.stderr
        return " ".join(r.stdout.split())  # a narrow terminal wraps the sentence

    assert said("plan", "assign", "107", "D1", "--version", "1").startswith("107 (id 803) -> D1")  # typed by its name
    cancelled = said("block", "cancel", "803", "--reason", "no driver", "--version", "2")
    assert cancelled.startswith("block 107 (id 803) cancelled (D1 is free)")
    assert said("block", "restore", "803", "--version", "3").startswith("block 107 (id 803) restored")
    split = said("block", "split", "703", "--at", "10:00", "--version", "4")
    # the rest is a new block of its own: no feed name
    assert split.startswith("block 106 (id 703) now pulls in at") and "; 703-R takes the rest" in split
