"""The vehicle timeline: lanes and bars in vis-timeline, a drag to another lane reassigns through the board's
assign route, the SoC chart of a bus in ECharts."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in


def test_lanes_bars_drag_to_reassign_and_the_soc_curve(page: Page, server: Server) -> None:
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    plan_svc.assign(server.app.uow(), world.DEPOT, world.DAY, "B1", "E1", plan_version=version, actor="sam",
                    now=world.NOW)
    sign_in(page, server, path=f"/depots/{world.DEPOT}/timeline")
    expect(page.locator("#timeline")).to_have_attribute("data-ready", "yes")
    expect(page.locator(".vis-label", has_text="E2 · battery-electric")).to_be_visible()
    bar = page.locator(".vis-item.bar", has_text="B1")
    expect(bar).to_contain_text("Upcoming, OK")
    # RUN started with no bus: the same status and live risk as on the board, in words
    expect(page.locator(".vis-item.bar", has_text="RUN")).to_contain_text("Missed pull-out, Live risk")
    expect(page.locator("#soc-chart canvas")).to_have_count(1)
    expect(page.locator("#soc-words")).to_contain_text("%")
    shot(page, server, "timeline")
    assert axe_serious(page) == []
    bar.click()  # vis-timeline drags only a selected item
    box = bar.bounding_box()
    labels = page.locator(".vis-labelset .vis-label").all_inner_texts()
    lane = page.locator(".vis-foreground .vis-group").nth(labels.index("E2 · battery-electric")).bounding_box()
    assert box and lane
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + i, y + (lane["y"] + lane["height"] / 2 - y) * i / 20)
        page.wait_for_timeout(15)
    page.mouse.up()
    expect(page.locator("#dialog")).to_contain_text("E2 is on block B1")
    expect(page.locator(".vis-item.bar", has_text="B1")).to_be_visible()


def test_the_axis_reads_in_the_depots_time_wherever_the_browser_is(browser: Browser, server: Server) -> None:
    """A dispatcher's laptop set to another zone (here Tokyo) still sees the depot's clock on the axis."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        sign_in(page, server, path=f"/depots/{world.DEPOT}/timeline")
        expect(page.locator(".vis-item.bar").first).to_be_visible()
        # the "now" line stands over 10:00, the depot's time, not 00:00 (Tokyo)
        now_x = page.locator(".vis-custom-time").bounding_box()
        labels = page.locator(".vis-time-axis .vis-text.vis-minor")
        ten = next(labels.nth(i) for i in range(labels.count()) if labels.nth(i).inner_text().strip() == "10:00")
        box = ten.bounding_box()
        assert now_x and box and abs(now_x["x"] - box["x"]) < 5, (now_x, box)
    finally:
        context.close()
