"""Schedules in the browser: a blocks CSV import, the applicability editor's impact preview and confirmation."""

from __future__ import annotations

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
