"""The vehicle timeline: lanes and bars in vis-timeline, a drag to another lane reassigns through the board's
assign route, the SoC chart of a bus in ECharts."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from depotdispatch.services import depots
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


def test_a_change_elsewhere_in_the_middle_of_a_drag_waits_for_the_drop(page: Page, server: Server) -> None:
    """A live reload replaced every bar, the one under the pointer too, and the drag came to nothing; on a
    live day readings arrive every few seconds. The reload now waits for the drop, then comes."""
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    plan_svc.assign(server.app.uow(), world.DEPOT, world.DAY, "B1", "E1", plan_version=version, actor="sam",
                    now=world.NOW)
    sign_in(page, server, path=f"/depots/{world.DEPOT}/timeline")
    expect(page.locator("#timeline")).to_have_attribute("data-ready", "yes")
    expect(page.locator("body")).to_have_attribute("data-live", "on")
    bar = page.locator(".vis-item.bar", has_text="B1")
    bar.click()
    box = bar.bounding_box()
    labels = page.locator(".vis-labelset .vis-label").all_inner_texts()
    lane = page.locator(".vis-foreground .vis-group").nth(labels.index("E2 · battery-electric")).bounding_box()
    assert box and lane
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    to_y = lane["y"] + lane["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + i, y + (to_y - y) * i / 20)
        page.wait_for_timeout(15)
    r = server.put(f"/depots/{world.DEPOT}/days/{world.DAY}/plan/assignments/B3",
                   {"vehicle_id": "D1", "plan_version": version + 1})  # a dispatcher elsewhere, mid-drag
    assert r.status_code == 200, r.text
    expect(page.locator("body")).to_have_attribute("data-last-change", re.compile("."))  # it reached the page
    page.wait_for_timeout(400)  # a reload, were it not held, would be done by now
    for i in range(11, 21):
        page.mouse.move(x + i, y + (to_y - y) * i / 20)
        page.wait_for_timeout(15)
    with page.expect_response(re.compile(r"/timeline\.json$")):  # the reload held back comes after the drop
        page.mouse.up()
    # the drag went through, on the plan it started from: the dialog says what changed meanwhile
    expect(page.locator("#dialog-title")).to_have_text("The plan changed — here is what changed")
    expect(page.locator("#dialog .changes")).to_contain_text("block B3, bus D1")
    page.locator("#dialog").get_by_role("button", name="Assign E2 again").click()
    expect(page.locator("#dialog")).to_contain_text("E2 is on block B1")


def test_the_charge_chart_draws_the_depots_reserve(page: Page, server: Server) -> None:
    depots.update_settings(server.app.uow(), world.DEPOT, world.NOW, "test", reserve_pct=30)
    sign_in(page, server, path=f"/depots/{world.DEPOT}/timeline")
    expect(page.locator("#soc-words")).to_contain_text("(the depot's reserve: 30 %)")
    line = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('soc-chart'))"
                         ".getOption().series[0].markLine.data[0].yAxis")
    assert line == 30


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
