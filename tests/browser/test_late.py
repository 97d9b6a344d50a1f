"""Late changes in the browser: an ad-hoc replacement highlighted on the board, a change-out split."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from depotdispatch.services import audit
from depotdispatch.services import board as board_svc
from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in


def test_an_adhoc_replacement_is_highlighted_and_a_split_hands_over_the_rest(page: Page, server: Server) -> None:
    sign_in(page, server, path=f"/depots/{world.DEPOT}/late")
    expect(page.get_by_role("heading", level=1)).to_have_text("Late changes for 2026-11-25")
    form = page.locator("#adhoc-form")
    form.get_by_label("Block id").fill("B2-R")
    form.get_by_label("Reason").select_option("replacement")
    form.get_by_label("Replaces").select_option("B2")
    form.get_by_label("Pull-out (America/New_York)").fill("12:15")
    form.get_by_label("Pull-in").fill("14:05")
    form.get_by_label("Distance, km").fill("80")
    form.get_by_role("button", name="Add the block").click()
    expect(page.locator("#late-result")).to_contain_text("Ad-hoc block B2-R added, replacing B2")
    expect(page.locator('.late-row[data-block="B2-R"]')).to_contain_text("replaces B2")

    # a change-out at a time already past, with no bus to take over: refused in words (a missed pull-out at once)
    long = page.locator('.late-row[data-block="LONG"]')
    long.get_by_label("Change-out at").fill("09:00")
    long.get_by_role("button", name="Split LONG").click()
    expect(page.locator("#late-result .error-box")).to_contain_text("would be a missed pull-out at once")
    expect(page.locator('.late-row[data-block="LONG-R"]')).to_have_count(0)

    # a change-out: RUN (08:00-11:50, in service) ends at 10:30, the rest is a new block D2 takes in the same step
    row = page.locator('.late-row[data-block="RUN"]')
    row.get_by_label("Change-out at").fill("10:30")
    row.get_by_label("Bus that takes over").select_option("D2")
    row.get_by_role("button", name="Split RUN").click()
    expect(page.locator("#late-result")).to_contain_text("its remaining trips are the new ad-hoc block RUN-R, "
                                                         "D2 takes it over")
    expect(page.locator('.late-row[data-block="RUN-R"]')).to_contain_text("Ad-hoc")
    expect(page.locator('.late-row[data-block="RUN-R"]')).to_contain_text("D2")
    shot(page, server, "late-changes")
    assert axe_serious(page) == []
    parts = {r.block.block_id: r.block for r in board_svc.board(
        server.app.uow(), world.DEPOT, world.NOW, service_date=world.DAY, whole_day=True).rows}
    assert parts["RUN-R"].origin == "adhoc" and parts["RUN-R"].trips == 1  # the trip from 10:30 on

    # bad input is a readable sentence, not a problem document
    form.get_by_label("Block id").fill("B2-R")
    form.get_by_label("Pull-out (America/New_York)").fill("12:15")
    form.get_by_label("Pull-in").fill("14:05")
    form.get_by_role("button", name="Add the block").click()
    expect(page.locator("#late-result .error-box")).to_contain_text("already exists")

    page.goto(server.url + f"/depots/{world.DEPOT}/board")
    adhoc = page.locator('.board-row[data-block="B2-R"]')
    expect(adhoc).to_have_class(re.compile(r"\badhoc\b"))
    expect(adhoc.locator(".adhoc-badge")).to_have_text("Ad-hoc")
    expect(adhoc).to_contain_text("replaces B2")
    shot(page, server, "board-adhoc")

    page.goto(server.url + f"/depots/{world.DEPOT}/days/{world.DAY}/blocks/RUN")
    expect(page.get_by_role("heading", name=re.compile(r"^Trips \(\d+\)$"))).to_be_visible()
    shot(page, server, "block-detail")
    assert axe_serious(page) == []


def test_a_bus_down_lists_the_blocks_it_leaves_and_frees_them(page: Page, server: Server) -> None:
    for version, block in enumerate(("B1", "B4")):  # E2 runs two blocks after now
        plan_svc.assign(server.app.uow(), world.DEPOT, world.DAY, block, "E2", plan_version=version, actor="sam",
                        now=world.NOW)
    sign_in(page, server, path=f"/depots/{world.DEPOT}/late")
    form = page.locator("#down-form")
    form.get_by_label("Bus").select_option("E2")
    form.get_by_label("Now").select_option("out_of_service")
    form.get_by_label("Why").fill("door fault")
    # bad input: back in service before now is a readable sentence, and nothing changes
    form.get_by_label("Back at (America/New_York, optional)").fill("2026-11-25T09:00")
    form.get_by_role("button", name="Change the bus").click()
    expect(page.locator("#late-result .error-box")).to_contain_text("after now")
    assert {r.block.block_id for r in _day(server) if r.assignment} == {"B1", "B4"}

    form.get_by_label("Back at (America/New_York, optional)").fill("2026-11-25T18:00")
    form.get_by_role("button", name="Change the bus").click()
    result = page.locator("#late-result")
    expect(result).to_contain_text("E2 is out of service until Wed 25 Nov 18:00")
    expect(result).to_contain_text("2 blocks now without a bus")
    expect(result.locator("li")).to_have_text([re.compile(r"^B1, 2026-11-25, pull-out 11:00"),
                                                re.compile(r"^B4, 2026-11-25, pull-out 16:00")])
    # the day's table below refreshes (the change feed): B1 has no bus now
    expect(page.locator('.late-row[data-block="B1"] td').nth(4)).to_have_text("none")
    shot(page, server, "bus-down")
    assert axe_serious(page) == []
    assert not any(r.assignment for r in _day(server))
    kinds = [e.kind for e in audit.events(server.app.uow(), world.DEPOT, vehicle_id="E2")]
    assert "availability_changed" in kinds and kinds.count("unassigned") == 2


def _day(server: Server) -> list[board_svc.BoardRow]:
    return board_svc.board(server.app.uow(), world.DEPOT, world.NOW, service_date=world.DAY, whole_day=True).rows


def test_what_a_dispatcher_types_in_a_row_outlives_a_change_elsewhere(page: Page, server: Server) -> None:
    """Every change in the depot reloads the day's blocks (the live feed); a cancel reason half typed, and
    the cursor in it, stay where they were, and the form still sends what was typed."""
    sign_in(page, server, path=f"/depots/{world.DEPOT}/late")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    why = page.locator('.late-row[data-block="B3"]').get_by_label("Why cancel B3")
    why.fill("no driver for the afternoo")
    page.locator("#late-live").evaluate("el => { el.dataset.before = 'yes'; }")
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    r = server.put(f"/depots/{world.DEPOT}/days/{world.DAY}/plan/assignments/B4",
                   {"vehicle_id": "E2", "plan_version": version})  # a dispatcher, elsewhere
    assert r.status_code == 200, r.text
    expect(page.locator("#late-live[data-before]")).to_have_count(0)
    expect(page.locator('.late-row[data-block="B4"] td').nth(4)).to_have_text("E2")  # the reload happened
    why = page.locator('.late-row[data-block="B3"]').get_by_label("Why cancel B3")
    expect(why).to_have_value("no driver for the afternoo")
    expect(why).to_be_focused()
    page.keyboard.type("n shift")  # typing goes on where it was
    page.locator('.late-row[data-block="B3"]').get_by_role("button", name="Cancel B3").click()
    expect(page.locator("#late-result")).to_contain_text("Block B3 cancelled")
    expect(page.locator('.late-row[data-block="B3"]')).to_contain_text("no driver for the afternoon shift")
