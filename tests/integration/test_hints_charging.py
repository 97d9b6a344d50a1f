"""The board's free-bus hint and the recommendation judge an EV by one rule (DESIGN §12a: readiness and the
recommendation use the depot's charging plan). HART at 23:00 (issue 16) said "best free: E061 (ok)" for a block
the recommendation said no EV could run: the hint judged the bus alone on connectors nobody else was planned to
use, the recommendation with every proposed bus charging. Here two EVs, each able to charge for its block alone,
share a site cap that charges only one of them in time: the hints now say so, in the recommendation's words."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from depotdispatch.domain.charging_fit import not_charged_in_time
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import board, days, depots, fleet, readings, recommendations, schedules, yard
from tests.helpers import run_cli

# 400 kWh, 150 kW flat, no losses, no heating, no spread: 200 km is 260 kWh, ok from 95 % (380 kWh) at pull-out
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150,
                 charging_curve=((0, 150), (1, 150)), charging_efficiency=1.0, hvac=False, energy_cv=0.0)
BLOCKS = "block_id,pull_out,pull_in,distance_km\nX,05:00,09:00,200\nY,05:00,09:00,200\n"
DAY = date(2026, 11, 2)
NOW = datetime.fromisoformat("2026-11-02T03:00:00-05:00")


@pytest.fixture
def depot(app) -> str:  # type: ignore[no-untyped-def]
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), t0)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS.encode()),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), t0)
    days.setup_day(app.uow(), "NY", DAY, t0)
    fleet.import_fleet(app.uow(), "NY", [FleetEntry(i, f"E{i}", EV) for i in (1, 2)])
    # 40 % (160 kWh) at 02:50, on a charger each (read before the charging plan's anchor, 02:55): each needs
    # 220 kWh by 05:00 (1 h 28 min at 150 kW), both 440 kWh, and the site's 150 kW gives 325 kWh by then: one of
    # them, not both
    at = datetime.fromisoformat("2026-11-02T02:50:00-05:00")
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i}", 40, at, "telematics", plugged_in=True,
                                                     charger_id=f"C{i}")) for i in (1, 2)], NOW)
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150), Charger("C2", 150)], NOW, "t")
    yard.set_charging_settings(app.uow(), "NY", NOW, "t", site_cap_kw=150.0)
    return "NY"


def test_the_free_bus_hints_and_the_recommendation_agree_on_shared_chargers(app, depot, db_url) -> None:
    rec = recommendations.recommend(app.uow(), "NY", DAY, NOW, actor="t").recommendation
    assert [p.block_id for p in rec.proposals] == ["X"] and [u.block_id for u in rec.uncovered] == ["Y"]
    left = rec.uncovered[0]
    hints = {r.block.block_id: r.candidate for r in board.board(app.uow(), "NY", NOW).rows if r.candidate}
    # X: the bus the recommendation proposes is ok on the board too
    x = hints["X"]
    assert x.vehicle_id == rec.proposals[0].vehicle_id and x.viability.status == "ok" and x.note is None
    # Y: not ok on the board either (each bus alone would be: that is what the board said before), and in the
    # same words the recommendation leaves it uncovered with
    y = hints["Y"]
    assert y.vehicle_id != x.vehicle_id and y.viability.status == "not_viable"
    assert y.note == not_charged_in_time(y.vehicle_id)
    assert left.explanation.startswith(not_charged_in_time(y.vehicle_id))
    # the CLI's board and its --json say the same
    table = run_cli(db_url, "day", "board", "--depot", "NY", now=NOW.isoformat())
    assert table.code == 0, table.stderr
    words = set(table.stdout.split())  # (a narrow table wraps the sentence inside its cell)
    assert {"could", "own,", "depot's", "cannot", "charge", "due"} <= words
    doc = run_cli(db_url, "day", "board", "--depot", "NY", "--json", now=NOW.isoformat()).json()
    cand = {b["block_id"]: b["candidate"] for b in doc["blocks"]}
    assert (cand["Y"]["status"], cand["Y"]["note"]) == ("not_viable", y.note) and cand["X"]["note"] is None

    # the board cache keeps the hints checked on the charging plan across boards: equal to a fresh board
    def hinted(b: board.Board) -> dict[str, tuple[str, str, str | None, float | None]]:
        return {r.block.block_id: (r.candidate.vehicle_id, r.candidate.viability.status, r.candidate.note,
                                   r.candidate.viability.end_soc_pct) for r in b.rows if r.candidate}

    first = app.boards.board(app.uow(), "NY", NOW)
    later = NOW + timedelta(seconds=20)
    readings.add_readings(app.uow(), [(None, SocReading(x.vehicle_id, 41, later, "telematics", plugged_in=True,
                                                        charger_id="C1" if x.vehicle_id == "E1" else "C2"))], later)
    kept = app.boards.board(app.uow(), "NY", later)
    assert hinted(kept) == hinted(board.board(app.uow(), "NY", later)) and hinted(first)["Y"][2] == y.note
    assert hinted(kept)["Y"][2] == y.note


def test_without_a_charger_list_each_bus_has_its_own_connector(app, depot) -> None:  # type: ignore[no-untyped-def]
    for c in ("C1", "C2"):
        yard.set_charger_available(app.uow(), "NY", c, True, NOW, "t")
    yard.set_charging_settings(app.uow(), "NY", NOW, "t", site_cap_kw=None)
    hints = {r.block.block_id: r.candidate for r in board.board(app.uow(), "NY", NOW).rows if r.candidate}
    rec = recommendations.recommend(app.uow(), "NY", DAY, NOW, actor="t").recommendation
    # no cap: two connectors of 150 kW charge both in time; both screens cover both blocks with EVs
    assert {b: (c.viability.status, c.note) for b, c in hints.items()} == {"X": ("ok", None), "Y": ("ok", None)}
    assert sorted(p.block_id for p in rec.proposals) == ["X", "Y"]


def test_in_the_serving_process_the_hints_new_plan_is_made_off_the_request_path(app, depot) -> None:  # type: ignore[no-untyped-def]
    """Issue 14's board p95: a reading that changes which buses are hinted asks for the hints' own charging plan
    (70-150 ms on a 300-bus depot). With a background (the server's cache), the request checks the new hints
    on the last plan and says so (`deferred`); the background makes the board again with the exact plan, and
    the next board, from that one, equals a board made from scratch."""
    from tests.integration.test_board_incremental import background_cache

    wall = [0.0]
    cache = background_cache(app, wall)
    try:
        first = cache.board(app.uow(), "NY", NOW)
        assert first.loaded is not None and not any(h.deferred for h in first.loaded.hints.values())
        hinted_x = next(r.candidate.vehicle_id for r in first.rows if r.block.block_id == "X" and r.candidate)
        other = "E2" if hinted_x == "E1" else "E1"
        # the bus hinted for X now reads 5 %, unplugged: no longer ok for X, so the hinted chains change
        later = NOW + timedelta(seconds=20)
        readings.add_readings(app.uow(), [(None, SocReading(hinted_x, 5, later, "telematics", plugged_in=False))],
                              later)
        served = cache.board(app.uow(), "NY", later)
        assert served.loaded is not None and any(h.deferred for h in served.loaded.hints.values())
        assert cache.idle()  # the background made it again with the exact plan
        again = NOW + timedelta(seconds=21)
        exact = cache.board(app.uow(), "NY", again)
        assert exact.loaded is not None and not any(h.deferred for h in exact.loaded.hints.values())
        fresh = board.board(app.uow(), "NY", again)

        def hinted(b: board.Board) -> dict[str, tuple[str, str, str | None]]:
            return {r.block.block_id: (r.candidate.vehicle_id, r.candidate.viability.status, r.candidate.note)
                    for r in b.rows if r.candidate}
        assert hinted(exact) == hinted(fresh) and hinted(fresh)["X"][0] == other
    finally:
        cache.close()
