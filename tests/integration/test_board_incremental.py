"""The board cache computes a board again from what changed only: after each kind of change the board it
returns is exactly the board computed from scratch, and a reading reloads the readings, not the blocks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import adhoc, days, depots, fleet, readings, schedules
from depotdispatch.services import plan as plan_svc
from depotdispatch.services.board import Board, BoardRow, board
from tests.helpers import override

EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
DIESEL = VehicleType("D40", "diesel", vehicle_class="12m")
BLOCKS = ("block_id,pull_out,pull_in,distance_km\n"
          "EARLY,05:00,09:00,60\nMID,08:00,16:00,150\nLATE,17:00,25:30,250\nNIGHT,23:00,26:00,40\n")
DAY = date(2026, 11, 2)
NOW = datetime.fromisoformat("2026-11-02T07:30:00-05:00")


@pytest.fixture
def depot(app, tmp_path: Path) -> str:
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    at = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), at)
    schedules.import_blocks(app.uow(), "NY", "blocks", read_blocks(BLOCKS.encode()),
                            Applicability(date(2026, 10, 1), date(2026, 12, 31)), at)
    for d in (date(2026, 11, 1), DAY, date(2026, 11, 3)):
        days.setup_day(app.uow(), "NY", d, at)
    fleet.import_fleet(app.uow(), "NY", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV), FleetEntry(3, "E3", EV),
                                         FleetEntry(4, "D1", DIESEL)])
    readings.add_readings(app.uow(), [(None, SocReading(v, 80, NOW - timedelta(hours=1), "telematics"))
                                      for v in ("E1", "E2", "E3")], NOW)
    override(app.uow(), "NY", DAY, "EARLY", "E1", plan_version=0, actor="t", now=NOW,
             override_reason="test")
    return "NY"


def today(b: Board, block_id: str) -> BoardRow:
    return next(r for r in b.rows if r.block.block_id == block_id and r.block.service_date == DAY)


def same(cached: Board, fresh: Board) -> None:
    assert (cached.window, cached.plan_versions) == (fresh.window, fresh.plan_versions)
    assert [r.block.block_id for r in cached.rows] == [r.block.block_id for r in fresh.rows]
    assert cached.rows == fresh.rows  # status, assignment, viability, candidate and live risk, row by row


def test_after_each_kind_of_change_the_cached_board_is_the_board_from_scratch(app, depot) -> None:
    cache = app.boards
    first = cache.board(app.uow(), depot, NOW)
    same(first, board(app.uow(), depot, NOW))

    # a reading: only the readings are read again (the blocks are the very same objects)
    readings.add_readings(app.uow(), [(None, SocReading("E2", 31, NOW - timedelta(minutes=5), "telematics"))], NOW)
    after_reading = cache.board(app.uow(), depot, NOW)
    assert after_reading is not first and cache.partial == 1
    assert after_reading.loaded is not None and first.loaded is not None
    assert after_reading.loaded.blocks is first.loaded.blocks
    assert after_reading.loaded.readings["E2"].soc_pct == 31
    same(after_reading, board(app.uow(), depot, NOW))

    # an assignment: the plan again, the readings kept
    version = plan_svc.plan_version(app.uow(), depot, DAY)
    override(app.uow(), depot, DAY, "MID", "E2", plan_version=version, actor="t", now=NOW,
             override_reason="test")
    after_assign = cache.board(app.uow(), depot, NOW)
    assert cache.partial == 2 and after_assign.loaded is not None
    assert after_assign.loaded.readings is after_reading.loaded.readings
    same(after_assign, board(app.uow(), depot, NOW))

    # a bus down (announced as an assignment change with an availability): everything again
    fleet.set_availability(app.uow(), depot, "E3", "maintenance", reason="doors", until=None, actor="t", now=NOW)
    after_down = cache.board(app.uow(), depot, NOW)
    assert cache.partial == 2
    same(after_down, board(app.uow(), depot, NOW))

    # a cancelled block, then the clock moving on (blocks kept, readings read at the new time)
    adhoc.cancel_block(app.uow(), depot, DAY, "LATE", "no driver", actor="t", now=NOW)
    same(cache.board(app.uow(), depot, NOW), board(app.uow(), depot, NOW))
    later = NOW + timedelta(minutes=20)
    moved = cache.board(app.uow(), depot, later)
    same(moved, board(app.uow(), depot, later))
    assert moved.rows[0].state != first.rows[0].state or moved.now != first.now


def test_a_change_of_another_depot_keeps_everything_but_a_change_to_this_one_is_seen(app, depot) -> None:
    cache = app.boards
    first = cache.board(app.uow(), depot, NOW)
    depots.add_depot(app.uow(), Depot("LA", "Los Angeles", "America/Los_Angeles"), NOW)
    readings.add_readings(app.uow(), [(None, SocReading("E1", 12, NOW - timedelta(minutes=1), "telematics"))], NOW)
    b = cache.board(app.uow(), depot, NOW)
    assert b.loaded is not None and first.loaded is not None and b.loaded.blocks is first.loaded.blocks
    early = next(r for r in b.rows if r.block.block_id == "EARLY")
    assert early.state.status == "in_service" and early.live is not None  # E1 runs it: 12 % is a live risk
    assert "live_soc_below_reserve" in early.live.codes
    same(b, board(app.uow(), depot, NOW))


def test_a_reading_keeps_the_judgements_of_every_other_bus_and_judges_its_own_again(app, depot) -> None:
    override(app.uow(), depot, DAY, "MID", "E2", plan_version=plan_svc.plan_version(app.uow(), depot, DAY),
             actor="t", now=NOW, override_reason="test")
    cache = app.boards
    first = cache.board(app.uow(), depot, NOW)
    readings.add_readings(app.uow(), [(None, SocReading("E1", 12, NOW - timedelta(minutes=1), "telematics"))], NOW)
    b = cache.board(app.uow(), depot, NOW)
    mid = today(first, "MID"), today(b, "MID")
    early = today(first, "EARLY"), today(b, "EARLY")
    assert mid[1].viability is mid[0].viability  # E2's judgement kept: its reading did not move
    assert early[1].live is not early[0].live and early[1].live is not None  # E1 read anew: judged again
    assert "live_soc_below_reserve" in early[1].live.codes
    same(b, board(app.uow(), depot, NOW))
    # E2 read anew: MID is judged again, and still the board from scratch
    readings.add_readings(app.uow(), [(None, SocReading("E2", 25, NOW - timedelta(minutes=1), "telematics"))], NOW)
    c = cache.board(app.uow(), depot, NOW)
    assert today(c, "MID").viability is not mid[1].viability
    # ... with the energy estimate the earlier board made (shared while the blocks, types and weather are)
    assert today(c, "MID").viability.estimate is mid[1].viability.estimate  # type: ignore[union-attr]
    same(c, board(app.uow(), depot, NOW))


def test_with_chargers_a_reading_after_the_plans_anchor_keeps_the_other_buses_and_equals_a_fresh_board(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """issue 14: the depot's charging plan is made from the readings at its 5-minute anchor, so a reading
    after the anchor moves only its own bus's judgements; a reading from before the anchor moves the plan,
    and then every judgement is made again. Either way: the board from scratch."""
    from depotdispatch.domain.charging_plan import Charger
    from depotdispatch.services.yard import import_chargers

    import_chargers(app.uow(), depot, [Charger("C1", 150, 1)], NOW, "t")
    version = plan_svc.plan_version(app.uow(), depot, DAY)
    override(app.uow(), depot, DAY, "MID", "E2", plan_version=version, actor="t", now=NOW,
             override_reason="test")
    at = NOW + timedelta(minutes=2)  # 07:32: the plan's anchor is 07:30
    cache = app.boards
    first = cache.board(app.uow(), depot, at)
    same(first, board(app.uow(), depot, at))
    readings.add_readings(app.uow(), [(None, SocReading("E3", 55, NOW + timedelta(minutes=1), "telematics",
                                                        plugged_in=True))], at)
    after = cache.board(app.uow(), depot, at)
    assert after.loaded is not None and after.loaded.at_anchor == first.loaded.at_anchor  # type: ignore[union-attr]
    assert after.loaded.charging is first.loaded.charging  # type: ignore[union-attr]  # the very same plan
    same(after, board(app.uow(), depot, at))
    # a late reading, taken before the anchor: the plan's inputs move
    readings.add_readings(app.uow(), [(None, SocReading("E1", 20, NOW - timedelta(minutes=1), "telematics",
                                                        plugged_in=True))], at)
    late = cache.board(app.uow(), depot, at)
    assert late.loaded is not None and late.loaded.at_anchor != after.loaded.at_anchor
    same(late, board(app.uow(), depot, at))
    # the clock moving on, within the plan's step and past it (07:35: a plan of its own): as from scratch
    for moved in (timedelta(seconds=20), timedelta(minutes=2, seconds=20), timedelta(minutes=3, seconds=10),
                  timedelta(minutes=9)):
        b = cache.board(app.uow(), depot, at + moved)
        same(b, board(app.uow(), depot, at + moved))
        assert b.loaded is not None and b.loaded.charging is not None


def codes(b: Board) -> set[str]:
    out: set[str] = set()
    for r in b.rows:
        for judged in (r.viability, r.live, r.candidate.viability if r.candidate else None):
            out |= set(judged.codes) if judged is not None else set()
    return out


def test_the_clock_moving_keeps_judgements_until_a_reading_goes_stale_and_equals_a_fresh_board(app, depot) -> None:
    """Judgements depend on `now` only through the reading's age and whether it is past `stale_after`: kept
    across requests seconds and minutes apart (the reading's age brought up to date), judged again when a
    reading crosses the threshold; status and horizon exact at every request. Always the board from scratch."""
    override(app.uow(), depot, DAY, "MID", "E2", plan_version=plan_svc.plan_version(app.uow(), depot, DAY),
             actor="t", now=NOW, override_reason="test")
    cache = app.boards

    def both(at: datetime) -> Board:
        cached = cache.board(app.uow(), depot, at)
        same(cached, board(app.uow(), depot, at))
        return cached

    first = both(NOW)
    seconds = both(NOW + timedelta(seconds=7))
    minutes = both(NOW + timedelta(minutes=3, seconds=2))
    mid = [today(b, "MID").viability for b in (first, seconds, minutes)]
    assert all(v is not None and v.estimate is mid[0].estimate for v in mid)  # kept, not judged again
    assert mid[2] is not None and mid[2].readiness is not None
    assert mid[2].readiness.reading_age == timedelta(hours=1, minutes=3, seconds=2)  # its age at this `now`
    assert cache.partial >= 2

    # the readings (NOW - 1 h) go stale at NOW + 5 h (the depot's 6 h): MID is in service by then (E2's live risk)
    limit = NOW - timedelta(hours=1) + timedelta(hours=Depot("X", "X", "UTC").stale_after_h)
    before = both(limit - timedelta(seconds=1))
    at_limit = both(limit)
    assert today(at_limit, "MID").state.status == "in_service"
    assert today(at_limit, "MID").live is today(before, "MID").live  # fresh at both moments: kept
    assert not codes(at_limit) & {"soc_stale", "live_soc_stale"}
    after = both(limit + timedelta(seconds=1))
    assert "live_soc_stale" in codes(after) and today(after, "MID").live is not today(at_limit, "MID").live
    both(limit + timedelta(minutes=2))
    # a reading, then the clock again: the new reading is judged, the rest stay stale, all as from scratch
    readings.add_readings(app.uow(), [(None, SocReading("E2", 70, limit + timedelta(minutes=2), "telematics"))],
                          limit + timedelta(minutes=2))
    fresh = both(limit + timedelta(minutes=2, seconds=30))
    assert "live_soc_stale" not in (today(fresh, "MID").live.codes if today(fresh, "MID").live else ("x",))
    both(limit + timedelta(minutes=9))


def test_the_odometer_at_pull_out_is_looked_up_again_only_when_a_reading_from_before_it_comes_in(app, depot) -> None:
    """E1 runs EARLY (05:00-09:00): its distance left is measured from the odometer at pull-out. A reading
    taken later keeps that figure; a late one from before the pull-out (stored after) changes it: the board
    from scratch either way."""
    cache = app.boards
    pull_out = datetime.fromisoformat("2026-11-02T05:00:00-05:00")
    readings.add_readings(app.uow(), [(None, SocReading("E1", 95, pull_out - timedelta(minutes=30), "telematics",
                                                        odometer_km=1000.0)),
                                      (None, SocReading("E1", 70, NOW - timedelta(minutes=2), "telematics",
                                                        odometer_km=1030.0))], NOW)
    first = cache.board(app.uow(), depot, NOW)
    same(first, board(app.uow(), depot, NOW))
    assert first.loaded is not None and first.loaded.odometer == {("E1", today(first, "EARLY").block.pk): 1000.0}
    readings.add_readings(app.uow(), [(None, SocReading("E1", 69, NOW, "telematics", odometer_km=1032.0))], NOW)
    later = NOW + timedelta(seconds=20)
    same(cache.board(app.uow(), depot, later), board(app.uow(), depot, later))
    # late: taken before the pull-out, stored now, with another odometer figure
    readings.add_readings(app.uow(), [(None, SocReading("E1", 96, pull_out - timedelta(minutes=5), "telematics",
                                                        odometer_km=1010.0))], later)
    late = cache.board(app.uow(), depot, later + timedelta(seconds=5))
    same(late, board(app.uow(), depot, later + timedelta(seconds=5)))
    assert late.loaded is not None and late.loaded.odometer[("E1", today(late, "EARLY").block.pk)] == 1010.0


def test_reading_everything_again_now_and_then_sees_an_unannounced_write_and_keeps_what_came_out_the_same(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """Past `max_age_s` the cache reads every part again (a writer that forgot to announce is seen); the parts
    that come out the same keep what was judged from them."""
    from depotdispatch.adapters.db.uow import feed_position, feed_since
    from depotdispatch.services.board_cache import BoardCache

    override(app.uow(), depot, DAY, "MID", "E2", plan_version=plan_svc.plan_version(app.uow(), depot, DAY),
             actor="t", now=NOW, override_reason="test")
    wall = [0.0]
    cache = BoardCache(lambda: feed_position(app.engine), feed=lambda a, s: feed_since(app.engine, a, s),
                       max_age_s=10, clock=lambda: wall[0])
    first = cache.board(app.uow(), depot, NOW)
    wall[0] = 11.0
    again = cache.board(app.uow(), depot, NOW + timedelta(seconds=30))
    same(again, board(app.uow(), depot, NOW + timedelta(seconds=30)))
    assert again.loaded is not None and first.loaded is not None and again.loaded.blocks is first.loaded.blocks
    assert today(again, "MID").viability.estimate is today(first, "MID").viability.estimate  # type: ignore[union-attr]
    # a reading stored with no announce: unseen until everything is read again, then judged
    with app.uow() as uow:
        uow.readings.add_new([SocReading("E2", 22, NOW + timedelta(seconds=40), "telematics")], NOW)
        uow.commit()
    wall[0] = 22.0
    t = NOW + timedelta(seconds=50)
    seen = cache.board(app.uow(), depot, t)
    same(seen, board(app.uow(), depot, t))
    assert seen.loaded is not None and seen.loaded.readings["E2"].soc_pct == 22
    assert today(seen, "MID").viability is not today(again, "MID").viability


def test_free_bus_hints_keep_the_judgements_of_the_idle_buses_not_read_again_and_equal_a_fresh_board(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """Idle E2 and E3 are hinted for the open blocks (E2 for MID; both tried for LATE, which D1 gets). A reading
    of E3 works the hints out again, with E2's judgements as they were (the very objects, at the same `now`);
    a reading of E2 twenty seconds later keeps E3's, its reading's age brought up to date."""
    cache = app.boards
    first = cache.board(app.uow(), depot, NOW)
    mid = today(first, "MID").candidate
    assert mid is not None and mid.vehicle_id == "E2" and today(first, "LATE").candidate is not None
    readings.add_readings(app.uow(), [(None, SocReading("E3", 79, NOW - timedelta(minutes=1), "telematics"))], NOW)
    b = cache.board(app.uow(), depot, NOW)
    same(b, board(app.uow(), depot, NOW))
    assert today(b, "MID").candidate.viability is mid.viability  # type: ignore[union-attr]
    later = NOW + timedelta(seconds=20)
    readings.add_readings(app.uow(), [(None, SocReading("E2", 81, later, "telematics"))], later)
    c = cache.board(app.uow(), depot, later)
    same(c, board(app.uow(), depot, later))
    assert today(c, "MID").candidate.viability is not mid.viability  # type: ignore[union-attr]


def test_the_readings_are_brought_up_to_date_from_what_was_measured_or_stored_since_the_last_board(app, depot) -> None:
    """The latest readings as of the last board plus what was measured since or stored since: a reading taken a
    minute ahead of the board's clock (within the allowed skew) shows once the clock reaches it, a late one
    (measured before the last board) shows at once, an estimate never beats a measured reading."""
    cache = app.boards
    cache.board(app.uow(), depot, NOW)
    readings.add_readings(app.uow(), [(None, SocReading("E2", 40, NOW + timedelta(minutes=1), "telematics")),
                                      (None, SocReading("E3", 60, NOW - timedelta(minutes=30), "telematics")),
                                      (None, SocReading("E1", 10, NOW - timedelta(seconds=5), "estimate"))], NOW)
    b = cache.board(app.uow(), depot, NOW + timedelta(seconds=10))
    same(b, board(app.uow(), depot, NOW + timedelta(seconds=10)))
    assert b.loaded is not None and cache.partial == 1
    assert {v: r.soc_pct for v, r in b.loaded.readings.items()} == {"E1": 80, "E2": 80, "E3": 60}
    c = cache.board(app.uow(), depot, NOW + timedelta(minutes=2))
    same(c, board(app.uow(), depot, NOW + timedelta(minutes=2)))
    assert c.loaded is not None and c.loaded.readings["E2"].soc_pct == 40


def background_cache(app, wall: list[float]):  # type: ignore[no-untyped-def]
    from depotdispatch.adapters.db.uow import feed_position, feed_since
    from depotdispatch.services.board_cache import BoardCache

    return BoardCache(lambda: feed_position(app.engine), feed=lambda a, s: feed_since(app.engine, a, s),
                      max_age_s=10, clock=lambda: wall[0], background=app.reader)


def test_with_a_background_the_full_read_is_done_off_the_request_path_and_boards_equal_a_fresh_board(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """The serving process's cache reads everything again on its background thread once a base is half
    `max_age_s` old; requests go on from what changed, and see an unannounced write once the background read it."""
    wall = [0.0]
    cache = background_cache(app, wall)
    try:
        cache.board(app.uow(), depot, NOW)
        # a reading stored with no announce, measured before the last board: only a full read sees it
        with app.uow() as uow:
            uow.readings.add_new([SocReading("E2", 22, NOW - timedelta(seconds=5), "telematics")], NOW)
            uow.commit()
        wall[0] = 6.0
        t = NOW + timedelta(seconds=10)
        served = cache.board(app.uow(), depot, t)  # from what changed (nothing announced): not the full read
        assert cache.partial == 1 and served.loaded is not None and "E2" not in {
            v for v, r in served.loaded.readings.items() if r.soc_pct == 22}
        assert cache.idle() and cache.refreshed == 1  # ... which the background did meanwhile
        wall[0] = 7.0
        t = NOW + timedelta(seconds=20)
        seen = cache.board(app.uow(), depot, t)
        assert cache.partial == 2  # the request itself read only what changed, from the refreshed base
        assert seen.loaded is not None and seen.loaded.readings["E2"].soc_pct == 22
        same(seen, board(app.uow(), depot, t))
    finally:
        cache.close()


def test_with_a_background_the_next_steps_charging_plan_is_made_before_it_comes_into_force(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """In the step's settle time (PLAN_SETTLE) the background makes the board of the moment the new plan comes
    into force, so the first request then makes no charging plan; its board is the board from scratch."""
    from depotdispatch.domain import depot_charging
    from depotdispatch.domain.charging_plan import Charger
    from depotdispatch.services.yard import import_chargers

    import_chargers(app.uow(), depot, [Charger("C1", 150, 1)], NOW, "t")
    override(app.uow(), depot, DAY, "MID", "E2", plan_version=plan_svc.plan_version(app.uow(), depot, DAY),
             actor="t", now=NOW, override_reason="test")
    wall = [0.0]
    cache = background_cache(app, wall)
    anchor = NOW + timedelta(minutes=5)  # 07:35
    try:
        cache.board(app.uow(), depot, anchor + timedelta(seconds=2))  # too early: a late reading may come in
        assert cache.idle() and cache.prepared == 0
        readings.add_readings(app.uow(), [(None, SocReading("E3", 55, anchor - timedelta(seconds=1), "telematics",
                                                            plugged_in=True))], anchor + timedelta(seconds=3))
        cache.board(app.uow(), depot, anchor + timedelta(seconds=10))  # 07:30's plan in force, 07:35's made
        assert cache.idle() and cache.prepared == 1
        made = depot_charging._seam.cache_info().misses
        at = anchor + depot_charging.PLAN_SETTLE
        b = cache.board(app.uow(), depot, at)
        assert depot_charging._seam.cache_info().misses == made  # no plan made on the request path
        assert b.loaded is not None and b.loaded.charging is not None and b.loaded.charging.plan is not None
        same(b, board(app.uow(), depot, at))
    finally:
        cache.close()


def test_latest_between_gives_each_vehicle_its_latest_in_the_range_as_latest_for_depot_orders_them(
        app, depot) -> None:  # type: ignore[no-untyped-def]
    """What a board brings its readings up to date with: one reading a vehicle (measured before an estimate,
    then the newest, then the more trusted), only the depot's vehicles, only those measured in the range."""
    t = NOW + timedelta(minutes=10)
    rs = [SocReading("E1", 40, t, "manual"), SocReading("E1", 41, t, "telematics"),  # a tie: the more trusted
          SocReading("E1", 39, t - timedelta(seconds=5), "telematics"),
          SocReading("E2", 50, t - timedelta(seconds=30), "telematics"),
          SocReading("E2", 10, t + timedelta(seconds=1), "estimate"),  # newer, but an estimate
          SocReading("E3", 60, t + timedelta(minutes=5), "telematics")]  # after the range
    with app.uow() as uow:
        uow.readings.add_new(rs, t)
        uow.commit()
    with app.uow() as uow:
        got = uow.readings.latest_between(depot, t - timedelta(minutes=1), t + timedelta(seconds=1))
        every = uow.readings.latest_for_depot(depot, t + timedelta(seconds=1))
    assert {v: (r.soc_pct, r.source) for v, r in got.items()} == {"E1": (41, "telematics"), "E2": (50, "telematics")}
    assert got["E1"] == every["E1"] and got["E2"] == every["E2"]
    with app.uow() as uow:
        assert uow.readings.latest_between("OTHER", t - timedelta(minutes=1), t + timedelta(minutes=9)) == {}
