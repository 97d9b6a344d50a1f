"""Every page of the app, as a dispatcher at 1440x900: a screenshot saved for a person to look at, and
axe-core (vendored) finds no serious or critical violation. Pages with a dialog or a result panel are
checked with it open, since that is where a dispatcher works."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import ADMIN, Server, axe_serious, shot, sign_in

D, DAY = world.DEPOT, world.DAY
PAGES = (  # name, path, something that shows the page is ready
    ("board", f"/depots/{D}/board", ".board-row"),
    ("block", f"/depots/{D}/days/{DAY}/blocks/RUN", "h1"),
    ("timeline", f"/depots/{D}/timeline", ".vis-item.bar"),
    ("recommendation", f"/depots/{D}/recommendation", "h1"),
    ("sheet", f"/depots/{D}/sheet", "h1"),
    ("late", f"/depots/{D}/late", ".late-row"),
    ("schedules", f"/depots/{D}/schedules", "h1"),
    ("audit", f"/depots/{D}/audit", "h1"),
    ("kpis", f"/depots/{D}/kpis", "h1"),
    ("pullout", f"/depots/{D}/pullout", ".sheet-page"),
    ("yard", f"/depots/{D}/yard", "h1"),
    ("not-found", f"/depots/{D}/days/{DAY}/blocks/NOPE", "[role='alert']"),
)


def _check(page: Page, server: Server, name: str) -> None:
    shot(page, server, f"page-{name}")
    found = axe_serious(page)
    assert found == [], f"{name}: {found}"


def test_every_page_has_no_serious_accessibility_violation(page: Page, server: Server) -> None:
    version = plan_svc.plan_version(server.app.uow(), D, DAY)
    plan_svc.assign(server.app.uow(), D, DAY, "B1", "E1", plan_version=version, actor="sam", now=world.NOW)
    page.goto(server.url + "/signin")
    _check(page, server, "signin")
    sign_in(page, server, path=f"/depots/{D}/board")
    for name, path, ready in PAGES:
        page.goto(server.url + path)
        expect(page.locator(ready).first).to_be_visible()
        _check(page, server, name)
        if name == "block":  # RUN started with no bus: the block page says so, as the board does
            expect(page.locator(".live-risk")).to_contain_text("Live risk")
            expect(page.locator(".live-risk")).to_contain_text("missed pull-out")

    # where the work happens: the picker and the override dialog, the recommendation's proposals
    page.goto(server.url + f"/depots/{D}/board")
    page.locator('.board-row[data-block="B2"]').get_by_role("button", name="Assign a bus to block B2").click()
    expect(page.locator("#dialog .pick-row").first).to_be_visible()
    _check(page, server, "picker")
    page.locator("#dialog").get_by_role("button", name="Assign E4").click()
    expect(page.locator("#dialog-title")).to_contain_text("has warnings")
    _check(page, server, "override")
    page.goto(server.url + f"/depots/{D}/recommendation")
    page.get_by_role("button", name="Run the recommendation").click()
    expect(page.get_by_role("table", name="Proposals", exact=True)).to_be_visible()
    _check(page, server, "recommendation-proposals")


def test_the_admin_pages_too(page: Page, server: Server) -> None:
    sign_in(page, server, name=ADMIN, path=f"/depots/{D}/schedules")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _check(page, server, "schedules-admin")
    page.goto(server.url + f"/depots/{D}/telemetry")
    expect(page.get_by_role("heading", level=1)).to_have_text("Telemetry intake")
    _check(page, server, "telemetry-admin")
    page.goto(server.url + "/")
    expect(page.locator("h1").first).to_be_visible()
    _check(page, server, "home-admin")
