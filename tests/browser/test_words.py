"""The dispatcher reads words, not codes, and one block has one status on every page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from depotdispatch.services import adhoc
from tests.browser import world
from tests.browser.helpers import Server, shot, sign_in


def test_a_block_coming_up_says_upcoming_on_the_board_the_block_page_and_the_picker(page: Page,
                                                                                   server: Server) -> None:
    sign_in(page, server)  # B1 pulls out at 11:00, an hour from now: on the board's window
    row = page.locator('.board-row[data-block="B1"]')
    expect(row).to_contain_text("Upcoming")
    page.goto(server.url + f"/depots/{world.DEPOT}/days/{world.DAY}/blocks/B1")
    status = page.locator("main p").first
    expect(status).to_contain_text("Upcoming")
    expect(status).not_to_contain_text("Later")
    # the type of each bus and where the distance comes from, in words
    buses = page.locator("section[aria-labelledby=h-cand] table")
    expect(buses).to_contain_text("XE40 (battery-electric)")
    expect(buses).not_to_contain_text("(bev)")
    expect(page.locator("main")).not_to_contain_text("shape_dist_traveled")
    # the estimate's inputs read as a person writes them: one decimal at most, no "On a XE40"
    inputs = page.locator("table", has=page.locator("caption", has_text="Inputs of the estimate"))
    expect(inputs).to_be_visible()
    assert not re.search(r"\d\.\d\d", inputs.inner_text())
    expect(page.locator("main")).not_to_contain_text("On a XE40")
    shot(page, server, "block-words")


def test_the_picker_and_the_board_say_types_and_reasons_in_words(page: Page, server: Server) -> None:
    start = world.NOW.replace(hour=18)
    adhoc.create_adhoc(server.app.uow(), world.DEPOT, world.DAY, adhoc.AdhocSpec(
        "SHOW-1", "extra_service", start, start + timedelta(hours=2), 30.0), actor="sam", now=world.NOW)
    adhoc.create_adhoc(server.app.uow(), world.DEPOT, world.DAY, adhoc.AdhocSpec(
        "GAP-1", "missing_from_schedule", start, start + timedelta(hours=1), 20.0), actor="sam", now=world.NOW)
    late = world.NOW.replace(hour=22)
    adhoc.create_adhoc(server.app.uow(), world.DEPOT, world.DAY, adhoc.AdhocSpec(
        "OWL-1", "extra_service", late, late + timedelta(hours=3), 40.0), actor="sam", now=world.NOW)
    sign_in(page, server)
    # today's times are bare; a pull-in past midnight says its day
    owl = page.locator('.board-row[data-block="OWL-1"] td')
    expect(owl.nth(1)).to_have_text("22:00")
    expect(owl.nth(2)).to_have_text("Thu 26 Nov 01:00")
    expect(page.locator('.board-row[data-block="SHOW-1"]')).to_contain_text("extra service")
    expect(page.locator('.board-row[data-block="GAP-1"]')).to_contain_text("missing from schedule")
    expect(page.locator("main")).not_to_contain_text("extra_service")
    expect(page.locator("main")).not_to_contain_text("missing_from_schedule")
    page.locator('.board-row[data-block="SHOW-1"]').get_by_role("button", name="Assign a bus to block SHOW-1").click()
    dialog = page.locator("#dialog")
    expect(dialog.locator('.pick-row[data-vehicle="E1"]')).to_contain_text("XE40 (battery-electric)")
    expect(dialog).not_to_contain_text("(bev)")
    shot(page, server, "picker-words")
    page.goto(server.url + f"/depots/{world.DEPOT}/audit?kind=adhoc_created")
    expect(page.locator("tr.event", has_text="GAP-1")).to_contain_text("Reason: missing from schedule.")
    expect(page.locator("tr.event", has_text="OWL-1")).to_contain_text("Reason: extra service.")


def test_a_block_that_never_had_a_bus_is_not_covered_and_a_missed_pull_out_says_so(page: Page,
                                                                                 server: Server) -> None:
    sign_in(page, server)  # nobody put a bus on EARLY (06:00-09:00, over by 10:00), nor on RUN (08:00, running)
    early = page.locator('.board-row[data-block="EARLY"]')
    expect(early.locator(".status-label")).to_have_text("Not covered (no bus)")
    expect(early.locator("td.verdict")).to_contain_text("passed with no bus")
    expect(early).not_to_contain_text("Completed")
    run = page.locator('.board-row[data-block="RUN"]')
    expect(run.locator(".status-label")).to_have_text("Missed pull-out")
    expect(page.locator("main")).not_to_contain_text("by the clock")
    # a spare sent to RUN: it runs on D1 now; the way to another bus is a change-out, said in words
    run.get_by_role("button", name="Send a bus to block RUN").click()
    page.locator("#dialog").get_by_role("button", name="Assign D1").click()
    expect(page.locator('.board-row[data-block="RUN"] .vehicle')).to_have_text("D1")
    expect(page.locator('.board-row[data-block="RUN"] .status-label')).to_have_text("In service")
    page.goto(server.url + f"/depots/{world.DEPOT}/days/{world.DAY}/blocks/RUN")
    expect(page.locator("main")).to_contain_text("A running block keeps its bus")
    page.goto(server.url + f"/depots/{world.DEPOT}/days/{world.DAY}/blocks/RUN/picker")
    expect(page.locator("body")).to_contain_text("running on D1: a running block keeps its bus")
    expect(page.get_by_role("button", name=re.compile("^Assign"))).to_have_count(0)
    page.get_by_role("link", name="Change out block RUN").click()
    expect(page.locator('.late-row[data-block="RUN"]')).to_have_class(re.compile(r"\bfocus\b"))
    expect(page.locator('.late-row[data-block="EARLY"]')).to_contain_text("Not covered (no bus)")


def test_an_unknown_status_filter_is_a_readable_error_with_the_navigation_and_a_problem_on_the_api(
        page: Page, server: Server) -> None:
    sign_in(page, server)
    response = page.goto(server.url + f"/depots/{world.DEPOT}/board?status=bogus")
    assert response is not None and response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the board has no status “bogus”")
    expect(alert).to_contain_text("in service, upcoming, completed, cancelled")
    expect(page.get_by_role("navigation", name="Pages").get_by_role("link", name="Audit log")).to_be_visible()
    page.get_by_role("link", name="Back to the board").click()
    expect(page.locator(".board-row").first).to_be_visible()
    api = server.api(f"/depots/{world.DEPOT}/board?status=bogus")
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")
    done = server.api(f"/depots/{world.DEPOT}/board?status=completed&now={world.NOW.isoformat().replace('+', '%2B')}")
    assert done.status_code == 200 and {b["status"] for b in done.json()["blocks"]} == {"completed"}
