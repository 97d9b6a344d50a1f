"""Sign-in and the board in a real browser: the same blocks as the API, grouped, keyboard, filters."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from depotdispatch.services import adhoc, allowances, audit, days, fleet, yard
from depotdispatch.services import board as board_svc
from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in


def test_signin_then_the_board_shows_exactly_the_api_boards_blocks(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
    shot(page, server, "signin")
    assert axe_serious(page) == []
    page.get_by_label("Name").fill("dana")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong name or password")
    sign_in(page, server)
    expect(page).to_have_url(re.compile(r"/depots/T/board$"))
    api = server.api(f"/depots/{world.DEPOT}/board?now={world.NOW.isoformat().replace('+', '%2B')}").json()
    shown = page.locator(".board-row").evaluate_all("rows => rows.map(r => r.dataset.block + ' ' + r.dataset.date)")
    assert sorted(shown) == sorted(f"{b['block_id']} {b['service_date']}" for b in api["blocks"])
    # the window the service stated, in local time, at the top
    expect(page.locator("#window-line")).to_contain_text("Wed 25 Nov 08:00")
    expect(page.locator("#window-line")).to_contain_text("Thu 26 Nov 10:00")
    # started and completed work is never actionable; upcoming work is
    row = page.locator('.board-row[data-block="EARLY"]')
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row).to_contain_text("No action")
    for block in ("RUN", "LONG"):  # started with no bus: no plan-time verdict, but the missed pull-out is
        row = page.locator(f'.board-row[data-block="{block}"]')  # for the dispatcher to fix
        expect(row.get_by_role("link", name=f"Cancel or change out block {block}")).to_be_visible()
        expect(row.get_by_role("button", name=f"Send a bus to block {block}")).to_be_visible()
        expect(row).not_to_contain_text("OK")
    expect(page.locator('.board-row[data-block="B1"]').get_by_role("button", name="Assign a bus to block B1")) \
        .to_be_visible()
    headings = page.locator("h2.group").all_inner_texts()
    # LONG and RUN started with no bus: missed pull-outs, first, with the service's own sentence
    assert [h.split("(")[0].strip() for h in headings] == ["Live risks", "Upcoming, by pull-out", "Ended"]
    by_id = {b["block_id"]: b for b in api["blocks"]}
    for block in ("LONG", "RUN"):
        assert [r["code"] for r in by_id[block]["reasons"]] == ["no_vehicle"]
        row = page.locator(f'#g-live_risk + table .board-row[data-block="{block}"]')
        expect(row.locator("td.verdict")).to_contain_text("Live risk")
        expect(row.locator(".reasons")).to_have_text(by_id[block]["reasons"][0]["message"])
    upcoming = page.locator("#g-upcoming + table .board-row").evaluate_all("rs => rs.map(r => r.dataset.block)")
    assert upcoming == ["B1", "B2", "B3", "B4"]
    shot(page, server, "board")
    assert axe_serious(page) == []
    # a missed pull-out: a spare is sent from the board, and RUN leaves the live risks
    page.get_by_role("button", name="Send a bus to block RUN").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_contain_text("started at 08:00 with no bus")
    dialog.get_by_role("button", name="Assign D1").click()
    expect(dialog).to_contain_text("D1 is on block RUN")
    expect(page.locator('#g-live_risk + table .board-row[data-block="RUN"]')).to_have_count(0)
    expect(page.locator('.board-row[data-block="RUN"] .vehicle')).to_have_text("D1")
    page.goto(server.url + f"/depots/{world.DEPOT}/board")
    page.get_by_role("link", name="Cancel or change out block LONG").click()
    expect(page.locator('.late-row[data-block="LONG"]')).to_have_class(re.compile(r"\bfocus\b"))


def test_filters_live_in_the_url_and_the_keyboard_moves(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_label("Unassigned only").check()
    expect(page).to_have_url(re.compile(r"unassigned=true"))
    page.get_by_label("Status").select_option("upcoming")
    expect(page).to_have_url(re.compile(r"status=upcoming"))
    expect(page.locator(".board-row")).to_have_count(4)
    page.reload()
    expect(page.get_by_label("Status")).to_have_value("upcoming")
    expect(page.locator(".board-row")).to_have_count(4)
    page.locator("body").press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("B3")
    expect(page.locator(".board-row")).to_have_count(1)
    page.locator("#q").fill("")
    expect(page.locator(".board-row")).to_have_count(4)
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    expect(page.locator('.board-row[data-block="B1"]')).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator('.board-row[data-block="B2"]')).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator('.board-row[data-block="B1"]')).to_be_focused()
    page.keyboard.press("Enter")  # opens the row's action: the vehicle picker
    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-title")).to_contain_text("Assign a bus to block B1")


def test_the_pullout_sheet_prints_forty_rows_a_page(page: Page, server: Server) -> None:
    uow = server.app.uow
    for version, block in enumerate(("B1", "B4")):  # E2 goes out twice; it stands in bay 7 now
        plan_svc.assign(uow(), world.DEPOT, world.DAY, block, "E2", plan_version=version, actor="sam", now=world.NOW)
    yard.set_spot(uow(), world.DEPOT, "E2", bay="7", lane=None, lane_order=None, now=world.NOW, actor="sam")
    sign_in(page, server, path=f"/depots/{world.DEPOT}/pullout")
    expect(page.locator(".sheet-page")).to_have_count(1)
    expect(page.locator(".sheet-page tbody tr")).to_have_count(7)
    expect(page.locator(".sheet-page tbody tr").first).to_contain_text("06:00")
    b1, b4 = (page.locator(f'.sheet-page tr[data-block="{b}"] td') for b in ("B1", "B4"))
    expect(b1.nth(2)).to_have_text("E2")
    expect(b1.nth(3)).to_have_text("7")  # its next pull-out
    expect(b4.nth(3)).to_have_text("")  # after B1 it may come back anywhere
    shot(page, server, "pullout")
    assert axe_serious(page) == []
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()

    # 7 + 40 extra blocks: 47 rows print on two pages, 40 and 7
    start = world.NOW.replace(hour=20)
    for i in range(40):
        adhoc.create_adhoc(uow(), world.DEPOT, world.DAY, adhoc.AdhocSpec(
            f"X{i:02d}", "extra_service", start + timedelta(minutes=i), start + timedelta(minutes=i + 30), 10.0),
            actor="sam", now=world.NOW)
    page.reload()
    expect(page.locator(".sheet-page")).to_have_count(2)
    expect(page.locator(".sheet-page").nth(0).locator("tbody tr")).to_have_count(40)
    expect(page.locator(".sheet-page").nth(1).locator("tbody tr")).to_have_count(7)
    for paper in ("Letter", "A4"):  # printed: one sheet of paper per 40 rows
        assert len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format=paper))) == 2, paper


def test_board_and_sheet_show_the_yard_time_beside_the_first_departure(page: Page, server: Server) -> None:
    """DESIGN §12a: a GTFS block starts at its first departure; with a pull-out allowance the bus leaves
    the yard earlier, and the dispatcher sees both times."""
    yard.set_charging_settings(server.app.uow(), world.DEPOT, world.NOW, "sam", pull_out_allowance_min=15)
    sign_in(page, server)
    cell = page.locator('tr.board-row[data-block="B1"] td').nth(1)
    expect(cell).to_contain_text("10:45 from the yard; first departure 11:00")
    page.goto(server.url + f"/depots/{world.DEPOT}/pullout")
    expect(page.locator('.sheet-page tr[data-block="B1"] td').first).to_have_text("10:45 (first departure 11:00)")
    # B1's route sets its own (depot allowance set): both pages take it
    allowances.set_allowance(server.app.uow(), world.DEPOT, "route", "R1", world.NOW, "sam", pull_out_min=25)
    page.reload()
    expect(page.locator('.sheet-page tr[data-block="B1"] td').first).to_have_text("10:35 (first departure 11:00)")
    page.goto(server.url + f"/depots/{world.DEPOT}/board")
    expect(cell).to_contain_text("10:35 from the yard; first departure 11:00")


def test_a_day_in_the_window_that_is_not_set_up_is_said_not_left_empty(page: Page, server: Server) -> None:
    """The night dispatcher's "why is tomorrow empty?": the board says the day is not set up, as the API does."""
    missing = board_svc.board(server.app.uow(), world.DEPOT, world.NOW).days_not_set_up()
    assert missing == [world.DAY + timedelta(days=1)]  # the world sets up only its day; the 24 h window reaches on
    sign_in(page, server)
    expect(page.locator("#board-live .notice")).to_have_count(1)
    expect(page.locator("#board-live .notice")).to_contain_text(
        f"{missing[0]:%a %-d %b} is inside the window but not set up yet, so none of its blocks are shown")
    # the notice pointed at the schedules page, which has no way to set a day up: the notice does it now
    page.get_by_role("button", name=f"Set up {missing[0]:%a %-d %b}").click()
    expect(page.locator("#setup-result")).to_contain_text(f"{missing[0]:%a %-d %b} is set up: 7 blocks to run")
    expect(page.locator("#board-live .notice")).to_have_count(0)  # the live reload that follows, no page reload
    assert days.day_blocks(server.app.uow(), world.DEPOT, missing[0], world.NOW).set_up
    assert [e.actor for e in audit.events(server.app.uow(), world.DEPOT, kind="day_set_up")
            if e.service_date == missing[0]] == ["dana"]
    assert axe_serious(page) == []


def test_the_audit_log_says_what_each_yard_and_fleet_change_was(page: Page, server: Server) -> None:
    uow, now = server.app.uow, world.NOW
    yard.import_chargers(uow(), world.DEPOT, [yard.Charger("C1", 150, 2)], now, "sam")
    yard.set_spot(uow(), world.DEPOT, "E2", bay="7", lane="B", lane_order=2, now=now, actor="sam")
    yard.set_plugged(uow(), world.DEPOT, "E2", "C1", now, "sam")
    yard.set_plugged(uow(), world.DEPOT, "E2", None, now, "sam")
    yard.set_charging_settings(uow(), world.DEPOT, now, "sam", min_dwell_min=20)
    fleet.set_availability(uow(), world.DEPOT, "E2", "maintenance", reason="brakes", until=None, actor="sam", now=now)
    allowances.set_allowance(uow(), world.DEPOT, "route", "R1", now, "sam", pull_in_min=5)
    sign_in(page, server, path=f"/depots/{world.DEPOT}/audit")
    detail = {k: page.locator(f"tr.kind-{k} td.detail").first for k in
              ("chargers_imported", "yard_spot_set", "plugged_in", "unplugged", "charging_settings_changed",
               "availability_changed", "allowance_changed")}
    expect(detail["allowance_changed"]).to_contain_text("Route R1: pull in min not set → 5.")
    expect(detail["chargers_imported"]).to_contain_text("1 charger: C1 (150 kW × 2)")
    expect(detail["yard_spot_set"]).to_contain_text("Parked in bay 7, lane B position 2.")
    expect(detail["plugged_in"]).to_contain_text("plugged in at charger C1")
    expect(detail["unplugged"]).to_contain_text("unplugged from charger C1")
    expect(detail["charging_settings_changed"]).to_contain_text("min dwell min 0 → 20")
    expect(detail["availability_changed"]).to_contain_text("available → maintenance: “brakes”")
    assert axe_serious(page) == []


def test_errors_on_pages_are_readable_pages(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.goto(server.url + f"/depots/{world.DEPOT}/days/{world.DAY}/blocks/NOPE")
    expect(page.get_by_role("alert")).to_contain_text("no block 'NOPE' on 2026-11-25")
    expect(page.locator("body")).not_to_contain_text('"type"')
    assert axe_serious(page) == []
    # a form's bad input is said in the page's words: no command-line flags, no CSV columns
    page.goto(server.url + f"/depots/{world.DEPOT}/kpis?from=2026-11-25&to=2026-11-01")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the end date 2026-11-01 is before the start date 2026-11-25")
    expect(alert).not_to_contain_text("--")
    expect(alert).not_to_contain_text("column")
