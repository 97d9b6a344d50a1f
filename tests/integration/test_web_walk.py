"""What a dispatcher stumbled on walking the demo in a browser (session 6, "walk"): each page says what is
so, in the words of the verdict that decides it."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from tests.auth_helpers import web_client

BLOCKS = (b"block_id,pull_out,pull_in,distance_km\n307934,06:00,09:00,40\n307935,10:00,13:00,40\n"
          b"308066,14:00,16:00,30\n")
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3)
T0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
DAY = date(2026, 11, 2)


def _day(app) -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot("T", "Tampa", "America/New_York"), T0)
    schedules.import_blocks(app.uow(), "T", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), T0)
    days.setup_day(app.uow(), "T", DAY, T0)


def test_the_free_bus_hint_names_the_reason_that_decides_its_verdict(app) -> None:  # type: ignore[no-untyped-def]
    # the demo at 09:00: "best free bus: E107 (not viable: SoC reading too old)" for a 420 km charter that E107
    # would run 36 % short of a full battery; an old reading makes a verdict unknown, never not viable
    _day(app)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV)])
    now = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    readings.add_readings(app.uow(), [(1, SocReading("E1", 10, now - timedelta(hours=9), "telematics"))], now)
    app.clock.fixed = now
    page = html.unescape(web_client(app).get("/depots/T/board?date=2026-11-02").text)
    row = page.split('data-block="307934"')[1].split("</tr>")[0]
    assert "best free bus: E1 (not viable: below the reserve at pull-in)" in row, row


def _ticked(page: str) -> list[str]:
    return [p.split('"', 1)[0] for p in page.split('name="block_id" value="')[1:]]


def test_accepting_the_last_proposals_does_not_say_the_rest_can_still_be_accepted(app) -> None:  # type: ignore[no-untyped-def]
    # the demo at 04:30: after "accept" of all 14 proposals left the page said "The rest of this recommendation
    # can still be accepted", and a re-run "This day is larger than what is solved exactly" with nothing to plan
    _day(app)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    now = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    readings.add_readings(app.uow(), [(1, SocReading("E1", 95, now, "telematics")),
                                      (2, SocReading("E2", 95, now, "telematics"))], now)
    app.clock.fixed = now
    web = web_client(app, "dispatcher", ["T"])
    page = web.post(f"/depots/T/days/{DAY}/recommendation").text
    rec_id = page.split("/recommendation/", 1)[1].split("/", 1)[0]
    blocks = _ticked(page)
    assert len(blocks) == 3, blocks
    version = int(page.split('name="plan_version" value="', 1)[1].split('"', 1)[0])
    url = f"/depots/T/days/{DAY}/recommendation/{rec_id}/accept"
    one = " ".join(html.unescape(web.post(url, data={"plan_version": version, "block_id": blocks[0]}).text).split())
    assert "1 proposal accepted" in one and "The rest of this recommendation can still be accepted" in one, one
    rest = " ".join(html.unescape(web.post(url, data={"plan_version": version + 1, "block_id": blocks[1:]}).text)
                    .split())
    assert "2 proposals accepted" in rest, rest
    assert "can still be accepted" not in rest
    assert "Every proposal of this recommendation is in the plan: nothing of it is left to accept." in rest
    again = " ".join(html.unescape(web.post(f"/depots/T/days/{DAY}/recommendation").text).split())
    assert "Nothing to plan: every block of the day still to start has a bus." in again, again
    assert "larger than what is solved" not in again


def test_a_viewer_is_not_offered_buttons_that_need_the_dispatcher_role(app) -> None:  # type: ignore[no-untyped-def]
    # the demo, signed in as a viewer: "Run the recommendation" answered "Something went wrong: this needs the
    # dispatcher role" (the board, late changes and the sheet already leave their actions out for a viewer)
    _day(app)
    viewer = " ".join(html.unescape(web_client(app, "viewer", ["T"]).get(
        f"/depots/T/recommendation?date={DAY}").text).split())
    assert "Run the recommendation</button>" not in viewer and "Re-plan</button>" not in viewer
    assert "Only a dispatcher of this depot can run the recommendation or a re-plan." in viewer
    dispatcher = web_client(app, "dispatcher", ["T"], name="dana").get(f"/depots/T/recommendation?date={DAY}").text
    assert "Run the recommendation</button>" in dispatcher and "Re-plan</button>" in dispatcher
    assert "Only a dispatcher" not in dispatcher


def test_a_bus_taken_down_and_its_timeline_lane_say_its_state_in_words(app) -> None:  # type: ignore[no-untyped-def]
    # the demo: "D204 is maintenance" after Bus down, and lanes headed "E101 · bev" where the picker says
    # "XE40 (battery-electric)"
    _day(app)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    app.clock.fixed = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    web = web_client(app, "dispatcher", ["T"])
    done = html.unescape(web.post("/depots/T/late/availability", data={
        "vehicle_id": "E1", "status": "maintenance", "reason": "brakes"}).text)
    assert "E1 is in maintenance</h2>" in done, done
    lanes = {g["id"]: g["content"] for g in web.get(f"/depots/T/days/{DAY}/timeline.json").json()["groups"]}
    assert lanes["E1"] == "E1 · battery-electric · in maintenance", lanes
    assert lanes["E2"] == "E2 · battery-electric"


def test_a_block_page_with_no_bus_does_not_name_a_bus_as_the_estimates_pick(app) -> None:  # type: ignore[no-untyped-def]
    # the demo's CHARTER-1: "Bus type XE40 (best candidate E103)" while E103 ran an overlapping block
    _day(app)
    fleet.import_fleet(app.uow(), "T", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    app.clock.fixed = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    page = " ".join(html.unescape(web_client(app).get(f"/depots/T/days/{DAY}/blocks/307934").text).split())
    assert "Bus type XE40 (no bus on it yet; the same for every XE40 bus): expected <strong>52 kWh" in page
    assert "best candidate" not in page
