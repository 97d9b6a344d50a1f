"""Accepting a stored re-plan (CLI `plan replan --accept`, the API, the web button): its moves, all or the chosen
ones, in one plan version as `recommended` assignments, or none; a move it never proposed, a stale version, a
manual block and half a swap are refused with nothing written."""

from __future__ import annotations

import pytest

from depotdispatch.services import audit, board
from depotdispatch.services import plan as plan_svc
from tests.helpers import run_cli
from tests.integration.test_plan import DAY, NOW, api, day  # noqa: F401  (the day fixture)

URL = "/api/v1/depots/V/days/2026-11-25/plan/replans"


def _plan(app) -> dict[str, tuple[str, str]]:
    rows = board.board(app.uow(), "V", NOW, service_date=DAY, whole_day=True).rows
    return {r.block.block_id: (r.assignment.vehicle_id, r.assignment.source) for r in rows if r.assignment}


def test_the_cli_accepts_a_stored_replan_by_id_in_one_version_as_recommended(app, day, db_url) -> None:  # noqa: F811
    plan_svc.assign(app.uow(), "V", DAY, "A", "D1", plan_version=0, actor="sheet", now=NOW, source="imported")
    plan_svc.assign(app.uow(), "V", DAY, "C", "E1", plan_version=1, actor="op", now=NOW)  # manual: stays
    shown = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", "--json", now=NOW.isoformat())
    doc = shown.json()
    assert doc["replan_id"] > 0 and {m["block_id"] for m in doc["moves"]} >= {"A", "LONG"}
    r = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", "--accept", str(doc["replan_id"]),
                "--version", "2", "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    assert r.json()["plan_version"] == 3 and sorted(r.json()["applied"]) == sorted(m["block_id"] for m in doc["moves"])
    plan = _plan(app)
    # the swap landed whole (D1 off A onto LONG), as recommended assignments: the next re-plan may move them
    assert plan["LONG"] == ("D1", "recommended") and plan["A"][1] == "recommended" and plan["A"][0].startswith("E")
    assert plan["C"] == ("E1", "manual")
    events = audit.events(app.uow(), "V", kind="recommendation_accepted")
    assert {e.plan_version for e in events} == {3} and len(events) == len(doc["moves"])
    # accepted again: the plan moved on since the re-plan was made
    again = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", "--accept",
                    str(doc["replan_id"]), "--version", "3", now=NOW.isoformat())
    assert again.code == 1 and "re-plan again" in again.stderr


def test_the_api_accepts_chosen_moves_and_refuses_what_the_replan_never_proposed(app, day) -> None:  # noqa: F811
    plan_svc.assign(app.uow(), "V", DAY, "A", "D1", plan_version=0, actor="sheet", now=NOW, source="imported")
    plan_svc.assign(app.uow(), "V", DAY, "C", "E1", plan_version=1, actor="op", now=NOW)  # manual: never moved
    c = api(app)
    doc = c.post(URL).json()
    rid = doc["replan_id"]
    # a hand choice posted as if the re-plan had proposed it: refused, nothing written
    r = c.post(f"{URL}/{rid}/accept", json={"plan_version": 2, "block_ids": ["A", "C"]})
    assert r.status_code == 422 and "proposed no move for block C" in r.json()["detail"]
    stale = c.post(f"{URL}/{rid}/accept", json={"plan_version": 1})
    assert stale.status_code == 409 and stale.json()["type"].endswith("/stale-plan-version")
    assert c.post(f"{URL}/999/accept", json={"plan_version": 2}).status_code == 404
    assert audit.events(app.uow(), "V", kind="recommendation_accepted") == []
    # half of the swap (D1 onto LONG while it still runs A, which overlaps): refused whole, nothing written
    half = c.post(f"{URL}/{rid}/accept", json={"plan_version": 2, "block_ids": ["LONG"]})
    assert half.status_code == 409 and "overlap" in half.json()["detail"]
    assert plan_svc.plan_version(app.uow(), "V", DAY) == 2
    ok = c.post(f"{URL}/{rid}/accept", json={"block_ids": ["A", "LONG"]}, headers={"If-Match": '"2"'})
    assert ok.status_code == 200 and sorted(ok.json()["applied"]) == ["A", "LONG"] and ok.headers["ETag"] == '"3"'


def test_accepting_some_moves_refuses_to_leave_a_bus_it_changes_short_on_a_block_the_replan_moves_too(
        app, db_url) -> None:
    # Big Blue Bus replay: a re-plan took E004 off its first block and its two later ones; accepting the first move
    # alone said "4 moves made" and left E004 (unplugged, no longer charging after a morning block) short on them
    from datetime import date, datetime

    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability
    from depotdispatch.domain.depots import Depot
    from depotdispatch.domain.errors import Conflict
    from depotdispatch.domain.fleet import FleetEntry, VehicleType
    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services import days, depots, fleet, readings, replan, schedules

    when, now = date(2026, 11, 25), datetime.fromisoformat("2026-11-25T04:00:00+02:00")
    app.clock.fixed = now
    depots.add_depot(app.uow(), Depot("S", "Split", "Europe/Vilnius"), now)
    schedules.import_blocks(app.uow(), "S", "b", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                             b"B1,05:00,06:00,20\nB2,08:00,09:00,30\n"),
                            Applicability(when, when), now)
    days.setup_day(app.uow(), "S", when, now)
    ev = VehicleType("X", "bev", usable_kwh=100, kwh_per_km=1.0, charge_kw=50)
    fleet.import_fleet(app.uow(), "S", [FleetEntry(1, "E1", ev), FleetEntry(2, "E2", ev)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 55, now, "telematics", plugged_in=False)),
                                      (2, SocReading("E2", 100, now, "telematics", plugged_in=True))], now)
    for version, block in enumerate(("B1", "B2")):  # E1 charges after B1, so B2 is ok on it
        plan_svc.assign(app.uow(), "S", when, block, "E1", plan_version=version, actor="sheet", now=now,
                        source="imported")
    assert {b: v for b, (v, _) in _plan_of(app, "S", when, now).items()} == {"B1": "E1", "B2": "E1"}
    with app.uow() as uow:
        day_id = uow.days.day_id("S", when)
        assert day_id is not None
        moves = [{"block_id": b, "from_vehicle": "E1", "to_vehicle": "E2", "explanation": "", "gain": "",
                  "gains": {"covered": 0, "ev_covered": 0}} for b in ("B1", "B2")]
        rid = uow.plans.save_recommendation(day_id, 2, now, "test", [], [], moves=moves, kind="replan")
        uow.commit()
    with pytest.raises(Conflict) as refused:
        replan.accept(app.uow(), "S", when, rid, plan_version=2, actor="op", now=now, block_ids=["B1"])
    assert "without the re-plan's moves of B2" in str(refused.value) and "E1 on B2 marginal" in str(refused.value)
    assert "--block B2" in str(refused.value)
    assert plan_svc.plan_version(app.uow(), "S", when) == 2  # nothing moved
    done = replan.accept(app.uow(), "S", when, rid, plan_version=2, actor="op", now=now, block_ids=["B1", "B2"])
    assert sorted(done.applied) == ["B1", "B2"]


def _plan_of(app, depot: str, when, now) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = board.board(app.uow(), depot, now, service_date=when, whole_day=True).rows
    return {r.block.block_id: (r.assignment.vehicle_id, r.assignment.source) for r in rows if r.assignment}


def test_a_move_that_keeps_its_block_ok_says_so_not_no_gain(app, db_url) -> None:
    # Big Blue Bus replay: E004 read 40 %; the re-plan moved its morning block and, "no gain by itself", two later
    # ones on which E004 would no longer charge in time. Here E1 reads 25 %, unplugged: short on both of its blocks
    from datetime import date, datetime, timedelta

    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability
    from depotdispatch.domain.depots import Depot
    from depotdispatch.domain.fleet import FleetEntry, VehicleType
    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services import days, depots, fleet, readings, replan, schedules

    when, now = date(2026, 11, 25), datetime.fromisoformat("2026-11-25T04:00:00+02:00")
    app.clock.fixed = now
    depots.add_depot(app.uow(), Depot("S", "Split", "Europe/Vilnius"), now)
    schedules.import_blocks(app.uow(), "S", "b", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                             b"B1,05:00,06:00,20\nB2,08:00,09:00,30\n"),
                            Applicability(when, when), now)
    days.setup_day(app.uow(), "S", when, now)
    ev = VehicleType("X", "bev", usable_kwh=100, kwh_per_km=1.0, charge_kw=50)
    fleet.import_fleet(app.uow(), "S", [FleetEntry(1, "E1", ev), FleetEntry(2, "E2", ev)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 55, now, "telematics", plugged_in=False)),
                                      (2, SocReading("E2", 100, now, "telematics", plugged_in=True))], now)
    for version, block in enumerate(("B1", "B2")):
        plan_svc.assign(app.uow(), "S", when, block, "E1", plan_version=version, actor="sheet", now=now,
                        source="imported")
    later = now + timedelta(minutes=5)
    app.clock.fixed = later
    readings.add_readings(app.uow(), [(1, SocReading("E1", 25, later, "telematics", plugged_in=False))], later)
    doc = replan.replan(app.uow(), "S", when, later).as_dict()
    gains = {m["block_id"]: (m["from_vehicle"], m["to_vehicle"], m["gain"]) for m in doc["moves"]}
    assert set(gains) == {"B1", "B2"} and all(g[:2] == ("E1", "E2") for g in gains.values()), gains
    for _, _, gain in gains.values():
        assert "no gain by itself" not in gain
        assert gain.startswith("E2 instead of E1: keeps it ok (E1 would be not viable on it: "), gain
