"""A real feed whose blocks have names (U-M 2022: block 703 is "106", and "703" is another block's name):
every page a dispatcher reads says "106 (id 703)", the id set quieter, and passes the axe check."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.bootstrap import App
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules, yard
from tests.auth_helpers import make_user, token_for
from tests.browser.helpers import PASSWORD, USER, Server, axe_serious, shot, sign_in, start_server
from tests.browser.test_yard_page import PHONE
from tests.helpers import override, shared

NOW = datetime.fromisoformat("2022-01-05T04:00:00-05:00")
DAY = date(2022, 1, 5)
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150)


@pytest.fixture
def um(db_url: str, backend: str) -> Iterator[Server]:
    app = App(database_url=db_url, clock=Clock(NOW))
    t0 = datetime.fromisoformat("2022-01-04T12:00:00-05:00")
    depots.add_depot(app.uow(), Depot("UM", "U-M", "America/Detroit"), t0)
    schedules.import_gtfs(app.uow(), "UM", read_gtfs(shared("gtfs", "umich_ann_arbor_2022.zip")), t0)
    days.setup_day(app.uow(), "UM", DAY, t0)
    fleet.import_fleet(app.uow(), "UM", [FleetEntry(1, "E1", EV)])
    yard.import_chargers(app.uow(), "UM", [Charger("C1", 150, 1)], t0, "t")
    at = datetime.fromisoformat("2022-01-05T03:50:00-05:00")
    readings.add_readings(app.uow(), [(1, SocReading("E1", 30, at, "telematics", plugged_in=False))], at)
    override(app.uow(), "UM", DAY, "703", "E1", plan_version=0, actor="t", now=t0, override_reason="short of buses")
    make_user(app, "dispatcher", ["UM"], name=USER, password=PASSWORD)
    url, proc = start_server(db_url, NOW.isoformat())
    try:
        yield Server(url, app, backend, proc, token_for(app, "admin"), "")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.close()


def test_named_blocks_on_the_board_late_changes_timeline_and_audit(page: Page, um: Server) -> None:
    sign_in(page, um, path="/depots/UM/board?date=2022-01-05&q=106")
    row = page.locator('tr[data-block="703"] th')
    expect(row.get_by_role("link")).to_have_text("106 (id 703)")
    shot(page, um, "names-board")
    assert axe_serious(page) == []

    page.goto(um.url + "/depots/UM/late?date=2022-01-05&block=703")
    expect(page.locator('tr[data-block="703"] th')).to_have_text("106 (id 703)")
    expect(page.get_by_role("button", name="Cancel 106 (id 703)")).to_be_visible()
    page.locator('tr[data-block="703"]').scroll_into_view_if_needed()
    shot(page, um, "names-late")
    assert axe_serious(page) == []

    page.goto(um.url + "/depots/UM/timeline?date=2022-01-05")
    expect(page.locator("#timeline")).to_have_attribute("data-ready", "yes")
    bar = page.locator(".vis-item.bar", has_text="106 (id 703)")
    expect(bar).to_have_count(1)
    # the whole page: 83 open blocks make the lane taller than the window
    page.screenshot(path=str(shot(page, um, "names-timeline")), full_page=True)

    page.goto(um.url + "/depots/UM/audit?block=703")
    expect(page.locator("table.audit tbody tr").first.get_by_role("link")).to_have_text("106 (id 703)")
    shot(page, um, "names-audit")
    assert axe_serious(page) == []


def test_named_blocks_in_the_yard_on_a_phone(browser: Browser, um: Server, tmp_path: Path) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.clock.set_fixed_time(NOW)
    sign_in(page, um, path="/depots/UM/yard")
    expect(page.locator("#next-pull-outs li", has_text="E1")).to_contain_text("on 106 (id 703)")
    expect(page.locator("#plug-in-order")).to_contain_text("on 106 (id 703), needs")
    shot(page, um, "names-yard-phone")
    assert axe_serious(page) == []
    context.close()
