"""Late changes in the browser: an ad-hoc replacement highlighted on the board, a change-out split."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from depotdispatch.services import board as board_svc
from tests.browser import world
from tests.browser.conftest import Server, axe_serious, shot, sign_in


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

    # a change-out: RUN (08:00-11:50, in service) ends at 10:30, the rest is a new block
    row = page.locator('.late-row[data-block="RUN"]')
    row.get_by_label("Change-out at").fill("10:30")
    row.get_by_role("button", name="Split RUN").click()
    expect(page.locator("#late-result")).to_contain_text("its remaining trips are the new ad-hoc block RUN-R")
    expect(page.locator('.late-row[data-block="RUN-R"]')).to_contain_text("Ad-hoc")
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
