"""The yard view on a phone (390 x 844): plug-in order shown, a manual reading entered, a bay set, an action
queued while offline and sent when the connection is back."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Browser, expect

from depotdispatch.services import plan as plan_svc
from depotdispatch.services import yard
from tests.browser import world
from tests.browser.helpers import PASSWORD, USER, Server, axe_serious, shot

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "en-US", "timezone_id": "America/New_York"}


def _arrange(server: Server) -> None:
    app = server.app
    yard.import_chargers(app.uow(), world.DEPOT, [yard.Charger("C1", 150, 1)], world.NOW, "test")
    # E2 (88 %, unplugged) on B4 (16:00): a 2 x 40 km block; E3 (18 %) on B1 (11:00)
    v = plan_svc.assign(app.uow(), world.DEPOT, world.DAY, "B1", "E3", plan_version=0, actor="t", now=world.NOW,
                        override_reason="test", acknowledge=["soc_below_reserve"]).plan_version
    plan_svc.assign(app.uow(), world.DEPOT, world.DAY, "B3", "E2", plan_version=v, actor="t", now=world.NOW,
                    override_reason="test", acknowledge=["soc_marginal", "soc_below_reserve"])
    # E2 (out later) parked in front of E3 in lane L
    for vid, pos in (("E2", 1), ("E3", 2)):
        yard.set_spot(app.uow(), world.DEPOT, vid, bay=None, lane="L", lane_order=pos, now=world.NOW, actor="t")


def test_the_yard_view_on_a_phone(browser: Browser, server: Server) -> None:
    _arrange(server)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.clock.set_fixed_time(world.NOW)  # the phone's clock agrees with the server's (actions carry its time)
    page.goto(server.url + f"/depots/{world.DEPOT}/yard")
    page.get_by_label("Name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/depots/{world.DEPOT}/yard")
    blocked = page.locator('li[data-code="blocked_in_lane"]')
    expect(blocked).to_have_count(1)
    text = blocked.inner_text()
    assert text.startswith("E3 (out at 11:00) is parked behind E2 (out at ") and text.endswith(") in lane L")
    assert text.count("E3") == 1  # the bus in bold, not said twice
    order = page.locator("#plug-in-order li")
    expect(order.first).to_contain_text("E3")
    expect(order.first).to_contain_text("out at 11:00 on B1")
    api = server.api(f"/depots/{world.DEPOT}/yard/plug-in-order?now={world.NOW.isoformat().replace('+', '%2B')}")
    assert [e["vehicle_id"] for e in api.json()["order"]] == order.evaluate_all("ls => ls.map(l => l.dataset.vehicle)")
    # no sideways scrolling at 390 px; touch targets at least 44 px high
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    heights = page.locator("button.big").evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44
    # E2 stands unplugged: what it has at pull-out assumes the yard plugs it in, and says so
    expect(page.locator('#next-pull-outs li[data-vehicle="E2"]')).to_contain_text("at pull-out 100 % once plugged in")
    expect(page.locator('#next-pull-outs li[data-vehicle="E2"]')).to_contain_text("Not plugged in")
    expect(page.locator('#next-pull-outs li[data-vehicle="E2"]')).to_contain_text("SoC 88 % (read 30 min ago)")
    expect(page.locator(".asof")).to_contain_text("Updated 10:00. The plug-in order is planned every 5 minutes")
    shot(page, server, "yard-phone")
    assert axe_serious(page) == []
    # a manual reading for E2
    page.get_by_label("Bus").select_option("E2")
    page.get_by_label("SoC reading (%)").fill("61")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#toast")).to_contain_text("reading saved")
    with server.app.uow() as uow:
        assert uow.readings.latest_for_depot(world.DEPOT, world.NOW)["E2"].soc_pct == 61
    # offline: the bay is queued, the page says so; online again: it is sent
    context.set_offline(True)
    page.get_by_label("Bus").select_option("E3")
    page.get_by_label("Bay").fill("14")
    page.get_by_role("button", name="Save position").click()
    expect(page.locator("#offline")).to_contain_text("1 action waiting")
    with server.app.uow() as uow:
        assert uow.yard.spots(world.DEPOT)["E3"].bay is None  # not sent yet
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#offline")).to_be_hidden()
    with server.app.uow() as uow:
        assert uow.yard.spots(world.DEPOT)["E3"].bay == "14"
    expect(page.locator('#next-pull-outs li[data-vehicle="E3"] .bay')).to_have_text("14")
    # unavailable, through the one writer of availability: E3's B1 loses it (an event each), with the reason
    page.get_by_label("Bus").select_option("E3")
    page.get_by_label("Why it cannot go out").fill("door fault")
    page.get_by_role("button", name="Unavailable (maintenance)").click()
    expect(page.locator("#toast")).to_contain_text("marked unavailable")
    with server.app.uow() as uow:
        e3 = next(v for v in uow.fleet.vehicles(world.DEPOT) if v.vehicle_id == "E3")
        assert (e3.availability, e3.availability_reason) == ("maintenance", "door fault")
        assert "E3" not in {a.vehicle_id for a in uow.plans.assignments_for_dates(world.DEPOT, [world.DAY]).values()}
    shot(page, server, "yard-phone-unavailable")
    context.close()
    assert date(2026, 11, 25) == world.DAY


def test_an_action_queued_offline_keeps_the_time_it_was_entered(browser: Browser, server: Server) -> None:
    """A reading typed offline and sent 20 minutes later is stored as of when it was typed; a 5xx keeps an
    action queued (sent again), a 4xx refusal drops it and the page says why."""
    from datetime import timedelta

    _arrange(server)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    entered = world.NOW - timedelta(minutes=20)  # the server's clock stands at NOW
    page.clock.set_fixed_time(entered)
    page.goto(server.url + f"/depots/{world.DEPOT}/yard")
    page.get_by_label("Name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/depots/{world.DEPOT}/yard")

    def manual(vid: str) -> list[tuple[float, object]]:
        with server.app.uow() as uow:
            return [(r.soc_pct, r.measured_at) for r in uow.readings.for_vehicle(vid) if r.source == "manual"]

    def queued() -> int:
        return int(page.evaluate("JSON.parse(localStorage.getItem('dd-yard-queue') || '[]').length"))

    context.set_offline(True)
    page.get_by_label("Bus").select_option("E2")
    page.get_by_label("SoC reading (%)").fill("55")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#offline")).to_contain_text("1 action waiting")
    assert manual("E2") == [] and queued() == 1
    page.clock.set_fixed_time(world.NOW)  # 20 minutes later the connection is back
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#toast")).to_contain_text("reading saved")
    assert manual("E2") == [(55.0, entered)]  # as of when it was typed, not when it arrived
    assert queued() == 0

    # a proxy answering 503: the plug mark stays queued (in order) and goes through once the server is back
    page.route("**/yard/plug", lambda route: route.fulfill(status=503, body="upstream unavailable"))
    page.clock.set_fixed_time(world.NOW - timedelta(minutes=2))
    page.get_by_label("Bus").select_option("E3")
    page.get_by_role("button", name="Plugged in", exact=True).click()
    expect(page.locator("#offline")).to_contain_text("could not take it now (503): 1 action waiting")
    assert queued() == 1
    with server.app.uow() as uow:
        assert uow.yard.spots(world.DEPOT)["E3"].plugged_at is None
    page.unroute("**/yard/plug")
    page.clock.set_fixed_time(world.NOW)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#toast")).to_contain_text("plugged in")
    with server.app.uow() as uow:
        spot = uow.yard.spots(world.DEPOT)["E3"]
    assert (spot.charger_id, spot.plugged_at) == ("C1", world.NOW - timedelta(minutes=2)) and queued() == 0

    # a refusal (422) is dropped, and the page keeps saying why until the next action is saved
    page.get_by_label("SoC reading (%)").fill("lots")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#refused")).to_contain_text("Not saved (E3: Save reading): 'lots' is not a percentage")
    assert queued() == 0
    shot(page, server, "yard-phone-refused")
    assert axe_serious(page) == []
    # a phone whose queue waited longer than 12 h: refused with the reason, not back-dated
    page.clock.set_fixed_time(world.NOW - timedelta(hours=13))
    page.get_by_label("SoC reading (%)").fill("40")
    page.get_by_role("button", name="Save reading").click()
    expect(page.locator("#refused")).to_contain_text("waited offline too long")
    assert manual("E3") == []
    context.close()
