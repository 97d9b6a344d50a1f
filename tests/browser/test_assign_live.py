"""Assigning from the board: two interactions, the override dialog, the stale-version conflict, live updates."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from depotdispatch.services import plan as plan_svc
from depotdispatch.web.templating import REASON_WORDS
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in

# resolves when block B4 shows bus E2 (a MutationObserver: the strict CSP forbids evaluated predicates)
SEEN_B4_ON_E2 = """() => { window.ddSeen = new Promise((resolve) => {
  const seen = () => { const c = document.querySelector('.board-row[data-block="B4"] .vehicle');
                       return c && c.textContent.trim() === 'E2'; };
  const obs = new MutationObserver(() => { if (seen()) { obs.disconnect(); resolve(true); } });
  obs.observe(document.body, {childList: true, subtree: true, characterData: true}); });
  window.ddSeenOrTimeout = Promise.race([window.ddSeen,
                                         new Promise((resolve) => setTimeout(() => resolve(false), 5000))]); }"""


def _row(page: Page, block: str):  # type: ignore[no-untyped-def]
    return page.locator(f'.board-row[data-block="{block}"]')


def test_assign_in_two_interactions_and_an_override_lands_in_the_audit_log(page: Page, server: Server) -> None:
    sign_in(page, server)
    _row(page, "B1").get_by_role("button", name="Assign a bus to block B1").click()  # 1
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    order = dialog.locator(".pick-row").evaluate_all("rs => rs.map(r => r.dataset.vehicle)")
    assert order[:2] == ["E1", "E2"] and order.index("E3") > order.index("D1")  # ok first; E3 is too low
    expect(dialog.locator('.pick-row[data-vehicle="E3"]')).to_contain_text("Not viable")
    shot(page, server, "picker")
    assert axe_serious(page) == []
    dialog.get_by_role("button", name="Assign E1").click()  # 2: done
    expect(dialog).to_contain_text("E1 is on block B1")
    expect(_row(page, "B1").locator(".vehicle")).to_have_text("E1")

    _row(page, "B2").get_by_role("button", name="Assign a bus to block B2").click()
    dialog.get_by_role("button", name="Assign E3").click()
    expect(dialog.locator("#dialog-title")).to_contain_text("E3 on block B2 has warnings")
    boxes = dialog.get_by_role("checkbox")
    assert boxes.count() >= 1
    codes = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
    assert "soc_below_reserve" in codes
    dialog.get_by_role("button", name="Assign E3 anyway").click()  # the browser asks for the reason first
    expect(dialog.get_by_label("Reason for the override (kept in the audit log)")).to_be_focused()
    dialog.get_by_label("Reason for the override (kept in the audit log)").fill("only bus left, charging at layover")
    dialog.get_by_role("button", name="Assign E3 anyway").click()
    # a warning left unticked: refused again, with what was typed kept
    expect(dialog.locator("#dialog-title")).to_contain_text("has warnings")
    expect(dialog.get_by_label("Reason for the override (kept in the audit log)")).to_have_value(
        "only bus left, charging at layover")
    for code in codes:
        expect(dialog.get_by_label(re.compile(re.escape(REASON_WORDS[code])))).to_be_visible()
    expect(dialog).not_to_contain_text("soc_below_reserve")  # no raw code anywhere in the dialog
    shot(page, server, "override")
    assert axe_serious(page) == []
    for i in range(boxes.count()):
        boxes.nth(i).check()
    dialog.get_by_role("button", name="Assign E3 anyway").click()
    expect(dialog).to_contain_text("E3 is on block B2 (override recorded)")
    page.goto(server.url + f"/depots/{world.DEPOT}/audit?kind=override")
    event = page.locator("tr.event").first
    expect(event).to_contain_text("B2")
    expect(event).to_contain_text("only bus left, charging at layover")
    for code in codes:  # acknowledged warnings in words, as the dialog said them; the code stays in the JSON
        expect(event).to_contain_text(REASON_WORDS[code])
        expect(event).not_to_contain_text(code)
    expect(event).to_contain_text("dana")
    shot(page, server, "audit")
    assert axe_serious(page) == []


def test_a_stale_version_shows_what_changed_and_keeps_what_was_typed(page: Page, server: Server) -> None:
    sign_in(page, server)
    _row(page, "B2").get_by_role("button", name="Assign a bus to block B2").click()
    dialog = page.locator("#dialog")
    dialog.get_by_role("button", name="Assign E4").click()  # a stale reading: warnings to acknowledge
    expect(dialog.locator("#dialog-title")).to_contain_text("E4 on block B2 has warnings")
    for box in dialog.get_by_role("checkbox").all():
        box.check()
    dialog.get_by_label("Reason for the override (kept in the audit log)").fill("driver checked the gauge: 90 %")
    # meanwhile someone else changes the plan, through the same server
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    r = server.put(f"/depots/{world.DEPOT}/days/{world.DAY}/plan/assignments/B3",
                   {"vehicle_id": "E2", "plan_version": version})
    assert r.status_code == 200, r.text
    expect(_row(page, "B3").locator(".vehicle")).to_have_text("E2")  # the live board moved under the dialog
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Assign E4 anyway").click()
    expect(dialog.locator("#dialog-title")).to_have_text("The plan changed — here is what changed")
    expect(dialog.locator(".changes")).to_contain_text(re.compile(r"sam \(token [^)]*\): assigned\s+block B3, bus E2"))
    expect(dialog.get_by_label("Reason, if this is an override")).to_have_value("driver checked the gauge: 90 %")
    shot(page, server, "stale")
    dialog.get_by_role("button", name="Assign E4 again").click()
    expect(dialog).to_contain_text("E4 is on block B2 (override recorded)")


def test_a_change_in_a_second_browser_reaches_the_first_in_under_a_second(page: Page, browser: Browser,
                                                                         server: Server) -> None:
    sign_in(page, server)
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    other = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        second = other.new_page()
        sign_in(second, server)
        expect(second.locator("body")).to_have_attribute("data-live", "on")
        _row(second, "B4").get_by_role("button", name="Assign a bus to block B4").click()
        # open a dialog in the first browser: the live update must not close it
        _row(page, "B1").get_by_role("button", name="Assign a bus to block B1").click()
        expect(page.locator("#dialog")).to_be_visible()
        button = second.locator("#dialog").get_by_role("button", name="Assign E2")
        page.evaluate(SEEN_B4_ON_E2)
        t0 = time.monotonic()
        button.click()
        assert page.evaluate("() => window.ddSeenOrTimeout"), "no live update in 5 s"
        elapsed = time.monotonic() - t0
        assert elapsed < 1.0, f"the live update took {elapsed:.2f} s"
        expect(page.locator("#dialog")).to_be_visible()
        expect(page.locator("#dialog-title")).to_contain_text("Assign a bus to block B1")
    finally:
        other.close()


def test_a_change_from_another_process_reaches_the_board_and_keeps_the_open_dialog(page: Page,
                                                                                   server: Server) -> None:
    """The CLI, the telemetry worker or a second server write in their own process: on SQLite the server
    hears them through the change feed table (a poll), on PostgreSQL through LISTEN/NOTIFY."""
    sign_in(page, server)
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    _row(page, "B2").get_by_role("button", name="Assign a bus to block B2").click()
    dialog = page.locator("#dialog")
    dialog.get_by_role("button", name="Assign E4").click()  # warnings: the override form
    dialog.get_by_label("Reason for the override (kept in the audit log)").fill("gauge read 90 % by the driver")
    page.evaluate(SEEN_B4_ON_E2)
    t0 = time.monotonic()
    # this test's process is not the server's: the write goes through the services straight to the database
    plan_svc.assign(server.app.uow(), world.DEPOT, world.DAY, "B4", "E2", actor="sam", now=world.NOW,
                    plan_version=plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY))
    assert page.evaluate("() => window.ddSeenOrTimeout"), "no live update in 5 s"
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0, f"the live update took {elapsed:.2f} s"
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason for the override (kept in the audit log)")).to_have_value(
        "gauge read 90 % by the driver")
