"""Schedules in the browser: a blocks CSV import, the applicability editor's impact preview and confirmation."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from depotdispatch.services import audit
from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import ADMIN, Server, axe_serious, shot, sign_in


def test_import_then_correct_the_applicability_after_seeing_what_it_costs(page: Page, server: Server,
                                                                          tmp_path: Path) -> None:
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    plan_svc.assign(server.app.uow(), world.DEPOT, world.DAY, "B4", "E2", plan_version=version, actor="sam",
                    now=world.NOW)
    sign_in(page, server, name=ADMIN, path=f"/depots/{world.DEPOT}/schedules")
    csv_file = tmp_path / "extra.csv"
    csv_file.write_text("block_id,pull_out,pull_in,distance_km\nX1,06:00,09:00,50\n")
    page.get_by_label("Kind").select_option("blocks")
    page.get_by_label("File").set_input_files(str(csv_file))
    page.get_by_label("First date").fill("2026-12-01")
    page.get_by_label("Last date").fill("2026-12-31")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_contain_text("extra.csv imported as schedule 2: 0 trips, 1 block")
    expect(page.get_by_role("heading", name="extra.csv schedule 2, blocks")).to_be_visible()

    feed = page.locator("section.panel", has=page.get_by_role("heading", name="feed schedule 1, gtfs"))
    feed.get_by_label("Wed").uncheck()
    feed.get_by_role("button", name="Preview the impact").click()
    impact = page.locator("#impact-1")
    expect(impact).to_contain_text("2026-11-25")
    expect(impact).to_contain_text("B4 (E2)")
    shot(page, server, "schedules")
    assert axe_serious(page) == []
    impact.get_by_role("button", name="Confirm the change, removing 1 assignment (each kept in the audit log)").click()
    expect(impact).to_contain_text("Applicability changed")
    assert [e.kind for e in audit.events(server.app.uow(), world.DEPOT, kind="applicability_changed")] == [
        "applicability_changed"]


def _reloaded(page: Page, part: str):  # type: ignore[no-untyped-def]
    """Marks the live part now on the page; the returned locator is empty once a live reload replaced it."""
    page.locator(f"#{part}").evaluate("el => { el.dataset.before = 'yes'; }")
    return page.locator(f"#{part}[data-before]")


def test_a_change_elsewhere_keeps_the_edit_the_preview_and_what_the_confirmation_said(page: Page,
                                                                                   server: Server) -> None:
    """Every change in the depot reloads the schedules list (the live feed): before, that reload put the
    stored applicability back into the form being edited and emptied the preview, and the reload that
    follows a confirmation emptied 'Applicability changed' as soon as it was shown."""
    sign_in(page, server, name=ADMIN, path=f"/depots/{world.DEPOT}/schedules")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    feed = page.locator("section.panel", has=page.get_by_role("heading", name="feed schedule 1, gtfs"))
    feed.get_by_label("Wed").uncheck()
    feed.get_by_role("button", name="Preview the impact").click()
    impact = page.locator("#impact-1")
    expect(impact).to_contain_text("What this change would do")
    confirm = impact.get_by_role("button", name=re.compile("^Confirm the change"))
    expect(confirm).to_be_enabled()
    feed.get_by_label("Not on").fill("2026-12-24, 2026-12-25")  # the form changed after its preview
    expect(confirm).to_be_disabled()
    expect(impact).to_contain_text("The form changed after this preview: preview the impact again to confirm.")
    shot(page, server, "schedules-stale-preview")
    feed.get_by_role("button", name="Preview the impact").click()
    expect(impact).to_contain_text("54 removed")  # 52 Wednesdays and the two dates
    expect(confirm).to_be_enabled()
    feed.get_by_label("Not on").click()
    feed.get_by_label("Not on").press("Home")  # the caret at the start, to see it kept

    before = _reloaded(page, "schedules-live")
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    r = server.put(f"/depots/{world.DEPOT}/days/{world.DAY}/plan/assignments/B3",
                   {"vehicle_id": "E2", "plan_version": version})  # a dispatcher, elsewhere
    assert r.status_code == 200, r.text
    expect(before).to_have_count(0)
    feed = page.locator("section.panel", has=page.get_by_role("heading", name="feed schedule 1, gtfs"))
    expect(feed.get_by_label("Wed")).not_to_be_checked()
    expect(feed.get_by_label("Not on")).to_have_value("2026-12-24, 2026-12-25")
    expect(feed.get_by_label("Not on")).to_be_focused()
    assert feed.get_by_label("Not on").evaluate("el => el.selectionStart") == 0
    expect(impact).to_contain_text("What this change would do")

    before = _reloaded(page, "schedules-live")
    confirm.click()
    expect(before).to_have_count(0)  # the reload that follows the confirmation
    expect(impact).to_contain_text("Applicability changed")
    expect(impact.get_by_role("columnheader", name="Assignments removed")).to_be_visible()
    feed = page.locator("section.panel", has=page.get_by_role("heading", name="feed schedule 1, gtfs"))
    expect(feed).to_contain_text("on Mon, Tue, Thu, Fri, Sat, Sun; not 2026-12-24, 2026-12-25.")  # as stored
    expect(feed.locator("form")).not_to_have_attribute("data-edited", "1")  # the edit is over: stored now
    expect(feed.get_by_label("Wed")).not_to_be_checked()
    expect(feed.get_by_label("Not on")).to_have_value("2026-12-24, 2026-12-25")
