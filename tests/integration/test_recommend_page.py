"""The recommendation page says what a re-run changed since the last recommendation of the day and whether
the plan is proved best (issue 16 items 1 and 5: `changes` and `optimality` were in the JSON only)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from tests.auth_helpers import web_client
from tests.helpers import NOW

EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3)


def said(page: str) -> str:
    return " ".join(html.unescape(page).split())


def bus_on(page: str, block_id: str) -> str | None:
    row = re.search(rf'<tr data-block="{block_id}">.*?</th>\s*<td>([^<]+)</td>', page, re.S)
    return row.group(1) if row else None


def test_a_re_run_says_what_changed_and_whether_the_plan_is_proved(app) -> None:  # type: ignore[no-untyped-def]
    three_runs(app)


def three_runs(app) -> str:  # type: ignore[no-untyped-def]
    """Three runs on the page: the first, the same again, then with B1's bus read at 25 %; returns that bus."""
    day = NOW.date()
    depots.add_depot(app.uow(), Depot("RP", "Test depot", "America/Los_Angeles"), NOW)
    fleet.import_fleet(app.uow(), "RP", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    work = read_blocks(b"block_id,pull_out,pull_in,distance_km\nB1,11:00,13:00,60\nB2,11:30,13:30,60\n")
    schedules.import_blocks(app.uow(), "RP", "b", work, Applicability(day, day), NOW)
    days.setup_day(app.uow(), "RP", day, NOW)
    read = NOW - timedelta(minutes=10)
    readings.add_readings(app.uow(), [(1, SocReading("E1", 90, read, "telematics")),
                                      (2, SocReading("E2", 90, read, "telematics"))], NOW)
    web = web_client(app)
    url = f"/depots/RP/days/{day}/recommendation"
    first = web.post(url)
    assert first.status_code == 200, first.text
    assert ("Proved best for the open blocks: no plan covers more of them, or as many with more battery-electric "
            "buses.") in said(first.text)
    assert "Since the last recommendation" not in first.text  # there was none
    on_b1, on_b2 = bus_on(first.text, "B1"), bus_on(first.text, "B2")
    assert {on_b1, on_b2} == {"E1", "E2"}
    same = web.post(url)
    assert "Since the last recommendation of this day, no block changed." in said(same.text)
    # B1's bus reads 25 %: it would pull in below the reserve, the other bus runs B2 at the same time
    readings.add_readings(app.uow(), [(1, SocReading(str(on_b1), 25, NOW - timedelta(minutes=5), "telematics"))], NOW)
    again = web.post(url)
    assert bus_on(again.text, "B1") is None and bus_on(again.text, "B2") == on_b2
    assert "Since the last recommendation of this day, 1 block changed (the rest keep their bus):" in said(again.text)
    assert f"<li><strong>B1</strong>: {on_b1} → uncovered</li>" in again.text
    assert "Proved best for the open blocks" in said(again.text)
    return str(on_b1)


def test_a_plan_not_proved_gives_the_bound_and_a_day_beyond_the_exact_mode_says_so() -> None:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from depotdispatch.domain.recommendation import Optimality, Recommendation, Uncovered
    from depotdispatch.services.recommendations import RecommendResult
    from depotdispatch.web.templating import templates

    tpl = templates.env.get_template("_proposals.html")

    def page(optimality: Optimality | None, open_blocks: bool = True) -> str:
        uncovered = [Uncovered("B9", "no bus free")] if open_blocks else []
        r = RecommendResult(1, 0, Recommendation(uncovered=uncovered, optimality=optimality), 0)
        return said(tpl.render(r=r, depot=SimpleNamespace(depot_id="RP"), service_date=NOW.date(),
                               tz=ZoneInfo("UTC")))

    assert ("Not proved best within the solver's work limit: no plan covers more than 44 of the open blocks, nor "
            "more than 35 with battery-electric buses; this one proposes 0.") in page(Optimality(False, 44, 35))
    assert ("This day is larger than what is solved exactly: the plan is the best of several constructions, not "
            "proved best.") in page(None)
    assert "Since the last recommendation" not in page(None)
    # the demo after "accept all": a day with no open block is not "larger than what is solved exactly"
    assert "Nothing to plan: every block of the day still to start has a bus." in page(None, open_blocks=False)
    assert "larger than what is solved" not in page(None, open_blocks=False)


def test_the_cli_says_the_same(app, db_url) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import run_cli

    bus = three_runs(app)
    readings.add_readings(app.uow(), [(1, SocReading(bus, 90, NOW - timedelta(minutes=2), "telematics"))], NOW)
    out = run_cli(db_url, "plan", "recommend", "--depot", "RP", "--date", str(NOW.date()), now=NOW.isoformat())
    assert out.code == 0, out.stderr
    text = said(out.stdout)
    assert "Proved best for the open blocks: no plan covers more of them" in text
    assert ("Since the last recommendation of this day, 1 block changed (the rest keep their bus): "
            f"B1 uncovered -> {bus}") in text, text
