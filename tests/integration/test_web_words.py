"""Pages say what they show as a person reads it. The sheet preview says each problem in words:
a cell that is the start of several block ids is
ambiguous and names them (the command line says so of a typed prefix), never "no block on this day", and a
warning reads "not available", never the code word "unavailable:". A block page names the block as the board
row that links to it does (the feed's block name), with its id beside it."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import adhoc, audit, days, depots, fleet, plan, readings, schedules
from tests.auth_helpers import web_client
from tests.helpers import shared

BLOCKS = (b"block_id,pull_out,pull_in,distance_km\n307934,06:00,09:00,40\n307935,10:00,13:00,40\n"
          b"308066,14:00,16:00,30\n")
DSL = VehicleType("D40", "diesel")
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3)


def test_the_sheet_preview_names_the_candidates_and_says_codes_in_words(app) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "D1", DSL), FleetEntry(2, "D2", DSL)])
    fleet.set_availability(app.uow(), "T", "D2", "maintenance", reason="brakes", until=None, actor="t", now=t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T04:00:00-05:00")
    web = web_client(app)
    sheet = b"Block,Bus\n3079,D1\n30806,D1\n999,D1\n308066,D2\n"
    page = html.unescape(web.post("/depots/T/days/2026-11-02/sheet/preview",
                                  files={"file": ("sheet.csv", sheet, "text/csv")}).text)
    rows = {int(r.split('"', 1)[0]): r.split("</tr>")[0] for r in page.split('data-row="')[1:]}
    assert ("Error</strong>, could be several blocks:\n      '3079' is the start of 2 blocks' ids (307934, "
            "307935), so it could be any of them: write the whole block id (row 2, block column)") in rows[2], rows[2]
    assert "no block '30806' on this day; block 308066's id starts with it: write the whole block id" in rows[3]
    assert "no such block:\n      no block '999' on this day" in rows[4], rows[4]
    assert "Warning</strong>, not available:" in rows[5], rows[5]
    assert "D2 is in maintenance (brakes) (row 5, bus column)" in rows[5], rows[5]
    assert "unavailable:" not in page and "ambiguous block" not in page
    assert '<option value="unavailable">not available</option>' in page


def test_a_block_page_is_headed_by_the_name_the_board_row_shows(app) -> None:  # type: ignore[no-untyped-def]
    # a replay (U-M, 2022-02-09): the board's "503" opened a page headed "Block 13703", 503 nowhere on it
    t0 = datetime.fromisoformat("2022-01-04T12:00:00-05:00")
    depots.add_depot(app.uow(), Depot("UM", "U-M", "America/Detroit"), t0)
    schedules.import_gtfs(app.uow(), "UM", read_gtfs(shared("gtfs", "umich_ann_arbor_2022.zip")), t0)
    days.setup_day(app.uow(), "UM", date(2022, 1, 5), t0)
    app.clock.fixed = datetime.fromisoformat("2022-01-05T04:00:00-05:00")
    web = web_client(app)
    board = web.get("/depots/UM/board", params={"date": "2022-01-05"}).text
    row = board.split('data-block="703"')[1].split("</tr>")[0]
    named = '106 <span class="also-id">(id 703)</span>'  # the one way (templating.block_ref)
    assert f">{named}</a>" in row  # the board row says 106, its id beside it
    page = web.get("/depots/UM/days/2022-01-05/blocks/703").text
    assert f'<h1>Block {named} <span class="quiet inline">' in page, page[:2000]
    assert "<title>Block 106 (id 703)" in page
    picker = web.get("/depots/UM/days/2022-01-05/blocks/703/picker").text
    assert f'Assign a bus to block {named}</h2>' in picker, picker[:500]
    # a change-out part keeps the trips of the block it was split from: the page said "Trips (0) No schedule trips
    # (an ad-hoc block states its distance and times only)"
    adhoc.split_for_change_out(app.uow(), "UM", date(2022, 1, 5), "703",
                               datetime.fromisoformat("2022-01-05T10:00:00-05:00"), actor="t", now=t0)
    part = web.get("/depots/UM/days/2022-01-05/blocks/703-R").text
    trips = int(part.split('<h2 id="h-trips">Trips (')[1].split(")")[0])
    assert trips > 0 and "No schedule trips" not in part


def test_a_running_blocks_energy_is_said_to_be_for_what_is_still_to_run(app) -> None:  # type: ignore[no-untyped-def]
    # the block page said "expected 91 kWh" beside "Distance (km) 115.4" and a raw "remaining km 40.2"
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV)])
    readings.add_readings(app.uow(), [(0, SocReading("E1", 95, t0, "telematics"))], t0)
    plan.assign(app.uow(), "T", date(2026, 11, 2), "307934", "E1", plan_version=0, actor="t",
                now=t0 + timedelta(hours=1))
    at = datetime.fromisoformat("2026-11-02T07:30:00-05:00")  # 307934 runs 06:00-09:00
    readings.add_readings(app.uow(), [(0, SocReading("E1", 70, at, "telematics"))], at)
    app.clock.fixed = at + timedelta(minutes=5)
    page = web_client(app).get("/depots/T/days/2026-11-02/blocks/307934").text
    assert "kWh</strong> for the 20 km still to run." in page, page
    assert "Still to run (km, from the latest reading)" in page and "remaining km" not in page


def test_the_audit_log_says_each_kind_of_change_in_words(app) -> None:  # type: ignore[no-untyped-def]
    # a replay: the audit log read "adhoc created", "yard spot set", "actuals recorded"
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    adhoc.create_adhoc(app.uow(), "T", date(2026, 11, 2),
                       adhoc.AdhocSpec("HOCKEY1", "extra_service", datetime.fromisoformat("2026-11-02T17:30:00-05:00"),
                                       datetime.fromisoformat("2026-11-02T22:30:00-05:00"), 40.0), actor="t", now=t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T12:00:00-05:00")
    web = web_client(app)
    log = html.unescape(web.get("/depots/T/audit").text)
    i = log.find("adhoc created")
    assert "<td>ad-hoc block added</td>" in log and i < 0, log[i - 300:i + 100]
    assert '<option value="yard_spot_set">parked in the yard</option>' in log
    block = html.unescape(web.get("/depots/T/days/2026-11-02/blocks/HOCKEY1").text)
    assert "· ad-hoc block added" in block and "adhoc created" not in block


def test_the_timeline_says_a_block_that_never_had_a_bus_was_not_covered(app) -> None:  # type: ignore[no-untyped-def]
    # a replay: the timeline's "No bus yet" lane said "5603 (Completed)" where the board says "Not covered (no bus)"
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T10:30:00-05:00")  # 307934 06:00-09:00, 307935 from 10:00
    items = {i["id"]: i for i in web_client(app).get("/depots/T/days/2026-11-02/timeline.json").json()["items"]}
    assert items["307934"]["content"] == "307934 (Not covered (no bus))", items["307934"]
    assert items["307935"]["content"].startswith("307935 (Missed pull-out, "), items["307935"]
    assert "Completed" not in items["307934"]["title"]


def test_the_timelines_charge_curve_says_the_depots_reserve_and_a_charge_under_it(app) -> None:  # type: ignore[no-untyped-def]
    """The SoC chart drew its reserve line at 20 % whatever the depot's reserve, and its words rounded 24.6 %
    under a 25 % reserve up to "25 %", which every other page says as 24.6 %."""
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York", reserve_pct=25), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                                b"A,06:00,09:00,40\n"),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV)])
    now = app.clock.fixed = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    readings.add_reading(app.uow(), SocReading("E1", 37.6, now, "telematics"), now)  # 40 km x 1.3 kWh = 13 %
    plan.assign(app.uow(), "T", date(2026, 11, 2), "A", "E1", plan_version=plan.plan_version(app.uow(), "T",
                date(2026, 11, 2)), actor="t", now=now, acknowledge=["soc_below_reserve"], override_reason="test")
    got = web_client(app).get("/depots/T/days/2026-11-02/timeline.json").json()
    assert got["reserve_pct"] == 25
    assert got["soc"]["E1"][-1] == ["2026-11-02T09:00:00-05:00", 24.6]
    assert got["soc_words"]["E1"] == "E1: 05:00 38 %, 06:00 38 %, 09:00 24.6 % (the depot's reserve: 25 %)"


def test_an_open_row_with_no_free_bus_says_so(app) -> None:  # type: ignore[no-untyped-def]
    """U-M replay finding 7: upcoming rows with no bus and no hint showed an empty cell; a person read nothing."""
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV)])  # never read: no EV is ok
    app.clock.fixed = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    page = html.unescape(web_client(app).get("/depots/T/board?date=2026-11-02").text)
    row = page.split('data-block="307934"')[1].split("</tr>")[0]
    assert "No bus yet" in row and "best free bus: E1" in row  # the hint names the bus and why it is not ok
    fleet.set_availability(app.uow(), "T", "E1", "maintenance", reason="brakes", until=None, actor="t",
                           now=app.clock.fixed)
    page = html.unescape(web_client(app).get("/depots/T/board?date=2026-11-02").text)
    row = page.split('data-block="307934"')[1].split("</tr>")[0]
    assert "no bus free all day can run it; Assign judges every bus, those on other work too" in row


def test_the_recommendation_names_blocks_as_the_board_row_does(app, db_url) -> None:  # type: ignore[no-untyped-def]
    # U-M replay finding 14: the board row says "106", the recommendation's tables said "703" only; in this feed
    # "703" is also another block's name ("703/710"), so a dispatcher could pick the wrong one
    from tests.helpers import run_cli

    t0 = datetime.fromisoformat("2022-01-04T12:00:00-05:00")
    depots.add_depot(app.uow(), Depot("UM", "U-M", "America/Detroit"), t0)
    schedules.import_gtfs(app.uow(), "UM", read_gtfs(shared("gtfs", "umich_ann_arbor_2022.zip")), t0)
    days.setup_day(app.uow(), "UM", date(2022, 1, 5), t0)
    fleet.import_fleet(app.uow(), "UM", [FleetEntry(i, f"D{i}", DSL) for i in range(1, 4)])
    app.clock.fixed = datetime.fromisoformat("2022-01-05T04:00:00-05:00")
    page = web_client(app).post("/depots/UM/days/2022-01-05/recommendation").text
    assert '106 <span class="also-id">(id 703)</span>' in page
    doc = run_cli(db_url, "plan", "recommend", "--depot", "UM", "--date", "2022-01-05", "--json",
                  now="2022-01-05T04:00:00-05:00").json()
    named = {e["block_id"]: e["block_name"] for e in [*doc["proposals"], *doc["uncovered"]]}
    assert named["703"] == "106"
    shown = run_cli(db_url, "plan", "recommend", "--depot", "UM", "--date", "2022-01-05",
                    now="2022-01-05T04:00:00-05:00").stdout
    assert "106 (id 703)" in shown.replace("\n", " ") or "106 (id 703" in shown


def test_the_kpi_page_says_what_each_number_means_on_the_page(app) -> None:  # type: ignore[no-untyped-def]
    # the footer sent managers to the README ("KPIs for operations managers"), which a depot's manager never sees
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-03T09:30:00-05:00")
    page = html.unescape(web_client(app).get("/depots/T/kpis").text)
    assert "README" not in page
    figures = [r.split("</th>")[0] for r in page.split('<th scope="row">')[1:]]
    meant = [d.split("</dt>")[0] for d in page.split("<dt>")[1:]]
    assert figures and set(figures) <= set(meant), (figures, meant)
    assert "Warning accuracy per week" in meant  # the plot without a row of its own
    assert "cut short (20 min or more early)" in page
    assert "As of Tue 3 Nov 2026 09:30 (America/New_York)" in page


def test_a_sheet_row_applied_against_warnings_says_the_file_and_row_it_came_from(app) -> None:  # type: ignore[no-untyped-def]
    # the override reason was "dispatch sheet 3f9a1c2e" (the preview's id), which nobody reading the log can trace
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), t0)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "D1", DSL), FleetEntry(2, "D2", DSL)])
    fleet.set_availability(app.uow(), "T", "D2", "maintenance", reason="brakes", until=None, actor="t", now=t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T04:00:00-05:00")
    web = web_client(app)
    sheet = b"Block,Bus\n307934,D1\n307935,D2\n"
    page = web.post("/depots/T/days/2026-11-02/sheet/preview",
                    files={"file": ("roster 2 Nov.csv", sheet, "text/csv")}).text
    preview_id = page.split("/sheet/preview/")[1].split("/apply")[0]
    done = web.post(f"/depots/T/days/2026-11-02/sheet/preview/{preview_id}/apply", data={"row": ["2", "3"]})
    assert done.status_code == 200, done.text
    said = f"dispatch sheet roster 2 Nov.csv, row 3 (preview {preview_id[:8]})"  # the id kept for a script
    (event,) = [e for e in audit.events(app.uow(), "T", block_id="307935") if e.after and e.after.get("vehicle_id")]
    assert event.after["override_reason"] == said
    log = html.unescape(web.get("/depots/T/audit", params={"block": "307935"}).text)
    assert f"Override: “{said}”." in log
    # a row without warnings records no override
    (plain,) = [e for e in audit.events(app.uow(), "T", block_id="307934") if e.after and e.after.get("vehicle_id")]
    assert not plain.after.get("override_reason")
