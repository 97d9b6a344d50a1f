"""Pages name a time on another day than the block's service date with its day: a pull-in after midnight
reads 'Tue 3 Nov 00:30', never a bare 00:30 that looks earlier than the pull-out (late changes, block page,
the bus picker, the pull-out sheet)."""

from __future__ import annotations

from datetime import date, datetime

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.services import days, depots, schedules
from tests.auth_helpers import web_client

BLOCKS = b"block_id,pull_out,pull_in,distance_km\nNIGHT,22:00,24:30,20\nDAY,08:00,12:00,40\n"


def test_a_pull_in_after_midnight_is_shown_with_its_day(app) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "NY", date(2026, 11, 2), t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T07:00:00-05:00")
    web = web_client(app)
    late = web.get("/depots/NY/late", params={"date": "2026-11-02"}).text
    night = late.split('data-block="NIGHT"')[1].split("</tr>")[0]
    assert "<td>22:00</td><td>Tue 3 Nov 00:30</td>" in night, night
    day_row = late.split('data-block="DAY"')[1].split("</tr>")[0]
    assert "<td>08:00</td><td>12:00</td>" in day_row
    block = web.get("/depots/NY/days/2026-11-02/blocks/NIGHT").text
    assert "pull-out 22:00, pull-in Tue 3 Nov 00:30" in block
    picker = web.get("/depots/NY/days/2026-11-02/blocks/NIGHT/picker").text
    assert "pull-out 22:00, pull-in Tue 3 Nov 00:30" in picker
    sheet = web.get("/depots/NY/pullout", params={"date": "2026-11-02"}).text
    assert "<td>Tue 3 Nov 00:30</td>" in sheet.split('data-block="NIGHT"')[1].split("</tr>")[0]


def test_the_picker_names_the_day_a_missed_pull_out_started_on(app) -> None:  # type: ignore[no-untyped-def]
    # yesterday's night block, opened after midnight with no bus on it: "started at 22:00" read as tonight's
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "NY", date(2026, 11, 2), t0)
    app.clock.fixed = datetime.fromisoformat("2026-11-03T00:10:00-05:00")
    picker = web_client(app).get("/depots/NY/days/2026-11-02/blocks/NIGHT/picker").text
    assert "This block started at Mon 2 Nov 22:00 with no bus: send one now." in picker, picker
