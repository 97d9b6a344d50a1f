"""Allowances per route and per first/last stop, end to end (DESIGN §12a): set from the CLI and the API on a
small GTFS feed with two routes, they move the yard's pull-out time (board, pull-out sheet, yard view), the
energy (deadhead km) and the charging window (readiness) of that route's blocks only, through the one rule
(`Depot.allowance`); bad input is refused with a sentence and writes nothing; each change is in the audit log."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from depotdispatch.adapters import gtfs
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import audit, days, depots, fleet, readings, schedules, yard
from depotdispatch.services import plan as plan_svc
from tests.auth_helpers import api_client, web_client
from tests.gtfs_builder import make_feed
from tests.helpers import run_cli

# 400 kWh, 150 kW flat, no losses, no heating, no spread: a km is 1.3 kWh, a minute on a connector 2.5 kWh
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150,
                 charging_curve=((0, 150), (1, 150)), charging_efficiency=1.0, hvac=False, energy_cv=0.0)
DAY = date(2026, 11, 2)
NOW = "2026-11-02T04:55:00-05:00"
# R1: X1 A->B 06:00-08:00, X2 B->A 09:00-11:00; R2: Y1 A->C, Y2 C->A at the same times; M: R1 then R2
TRIPS = [("x1", "S", "X1", [("A", "06:00:00", "06:00:00"), ("B", "08:00:00", "08:00:00")]),
         ("x2", "S", "X2", [("B", "09:00:00", "09:00:00"), ("A", "11:00:00", "11:00:00")]),
         ("y1", "S", "Y1", [("A", "06:00:00", "06:00:00"), ("C", "08:00:00", "08:00:00")]),
         ("y2", "S", "Y2", [("C", "09:00:00", "09:00:00"), ("A", "11:00:00", "11:00:00")]),
         ("m1", "S", "M", [("A", "12:00:00", "12:00:00"), ("B", "13:00:00", "13:00:00")]),
         ("m2", "S", "M", [("B", "13:10:00", "13:10:00"), ("C", "14:00:00", "14:00:00")])]
ROUTES = {"y1": "R2", "y2": "R2", "m2": "R2"}


@pytest.fixture
def depot(app, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("AL", "Two routes", "America/New_York"), t0)
    feed = make_feed(tmp_path / "two.zip", trips=TRIPS, routes=ROUTES)
    schedules.import_gtfs(app.uow(), "AL", gtfs.read_gtfs(feed), t0)
    days.setup_day(app.uow(), "AL", DAY, t0)
    yard.set_charging_settings(app.uow(), "AL", t0, "t", pull_out_allowance_min=10, pull_out_allowance_km=2,
                               pull_in_allowance_min=5, pull_in_allowance_km=1)
    fleet.import_fleet(app.uow(), "AL", [FleetEntry(i, f"E{i}", EV) for i in (1, 2)])
    at = datetime.fromisoformat("2026-11-02T04:50:00-05:00")
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i}", 50, at, "telematics", plugged_in=False))
                                      for i in (1, 2)], at)
    v = 0
    for block, vid in (("X1", "E1"), ("X2", "E1"), ("Y1", "E2"), ("Y2", "E2")):
        v = plan_svc.assign(app.uow(), "AL", DAY, block, vid, plan_version=v, actor="t",
                            now=datetime.fromisoformat(NOW)).plan_version
    return "AL"


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(datetime.fromisoformat(NOW).tzinfo).strftime("%H:%M")


def _board(app) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    doc = api_client(app).get(f"/api/v1/depots/AL/days/{DAY}/plan", params={"now": NOW}).json()
    return {b["block_id"]: b for b in doc["blocks"]}


def _seen(app) -> dict[str, tuple[str, str, float | None, float | None]]:  # type: ignore[no-untyped-def]
    """Per block: yard pull-out and pull-in (local), deadhead km in its energy, kWh charged before it."""
    out = {}
    for bid, b in _board(app).items():
        detail = b["detail"] or {}
        energy, ready = detail.get("energy"), detail.get("readiness")
        out[bid] = (_local(b["yard_pull_out"]), _local(b["yard_pull_in"]),
                    energy["inputs"].get("deadhead_km") if energy else None,
                    ready["charged_kwh"] if ready else None)
    return out


def test_a_route_and_a_stop_allowance_move_yard_time_energy_and_charging_window(app, depot, db_url) -> None:  # type: ignore[no-untyped-def]
    # the depot's own: out 10 min and 2 km, in 5 min and 1 km; between 08:05 and 08:50 on a connector: 45 min
    before = _seen(app)
    assert before["X1"][:3] == before["Y1"][:3] == ("05:50", "08:05", 3.0)
    assert before["X2"][3] == before["Y2"][3] == pytest.approx(112.5)
    assert before["M"][:2] == ("11:50", "14:05")

    res = run_cli(db_url, "depot", "allowance", "set", "AL", "--route", "R2", "--pull-out-min", "30",
                  "--pull-out-km", "12", "--pull-in-min", "20", "--pull-in-km", "8", "--json", now=NOW)
    assert res.code == 0, res.stderr
    assert res.json() == {"scope": "route", "route_id": "R2", "pull_out_min": 30, "pull_out_km": 12.0,
                          "pull_in_min": 20, "pull_in_km": 8.0}
    after = _seen(app)
    assert after["X1"] == before["X1"] and after["X2"] == before["X2"]  # route R1: the depot's, as before
    # route R2: out 05:30 with 20 km of deadhead (12 + 8); charging 08:20 to 08:30, 10 min: 25 kWh
    assert after["Y1"][:3] == ("05:30", "08:20", 20.0)
    assert after["Y2"][3] == pytest.approx(25.0)
    # M starts on R1 and ends on R2: R1's (the depot's) pull-out, R2's pull-in
    assert after["M"][:2] == ("11:50", "14:20")
    assert _board(app)["M"]["routes"] == ["R1", "R2"]
    assert _board(app)["M"]["allowances"]["from"] == {"pull_out_min": "depot", "pull_out_km": "depot",
                                                      "pull_in_min": "route R2", "pull_in_km": "route R2"}
    # the yard view's due-out times and the pull-out sheet take the same rule
    state = yard.yard_state(app.uow(), "AL", datetime.fromisoformat(NOW))
    assert {v: _local(t.isoformat()) for v, (_, t) in state.next_out.items()} == {"E1": "05:50", "E2": "05:30"}
    page = web_client(app).get(f"/depots/AL/pullout?date={DAY}&now={NOW}").text
    row = page[page.index('data-block="Y1"'):]
    assert "05:30" in row[:row.index("</tr>")] and "first departure 06:00" in row[:row.index("</tr>")]

    # stop C (where Y1 ends, Y2 starts) sets its pull-in only: Y1 is back at 08:03, Y2 still leaves at 08:30
    r = api_client(app).patch("/api/v1/depots/AL/allowances/stops/C", json={"pull_in_min": 3},
                              params={"now": NOW})
    assert r.status_code == 200, r.text
    assert r.json() == {"scope": "stop", "stop_id": "C", "name": "C", "pull_out_min": None, "pull_out_km": None,
                        "pull_in_min": 3, "pull_in_km": None}
    stop = _seen(app)
    assert stop["Y1"][:3] == ("05:30", "08:03", 20.0)  # the stop's minutes, the route's km
    assert stop["Y2"][3] == pytest.approx(27 * 2.5)  # 08:03 to 08:30
    assert stop["M"][:2] == ("11:50", "14:03")  # M ends at C too

    # cleared, each falls back: the route's, then the depot's
    assert run_cli(db_url, "depot", "allowance", "clear", "AL", "--stop", "C", now=NOW).code == 0
    assert _seen(app) == after
    assert run_cli(db_url, "depot", "allowance", "clear", "AL", "--route", "R2", now=NOW).code == 0
    assert _seen(app) == before


def test_the_list_says_each_rule_and_the_audit_log_keeps_each_change(app, depot, db_url) -> None:  # type: ignore[no-untyped-def]
    c = api_client(app)
    assert c.patch("/api/v1/depots/AL/allowances/routes/R2", json={"pull_out_min": 30}).status_code == 200
    assert c.patch("/api/v1/depots/AL/allowances/routes/R2", json={"pull_in_km": 4.5}).status_code == 200
    assert c.patch("/api/v1/depots/AL/allowances/stops/B", json={"pull_out_km": 1}).status_code == 200
    doc = c.get("/api/v1/depots/AL/allowances").json()
    assert doc == {"depot_id": "AL",
                   "depot": {"pull_out_min": 10, "pull_out_km": 2.0, "pull_in_min": 5, "pull_in_km": 1.0},
                   "routes": [{"scope": "route", "route_id": "R2", "pull_out_min": 30, "pull_out_km": None,
                               "pull_in_min": None, "pull_in_km": 4.5}],
                   "stops": [{"scope": "stop", "stop_id": "B", "name": "B", "pull_out_min": None,
                              "pull_out_km": 1.0, "pull_in_min": None, "pull_in_km": None}]}
    res = run_cli(db_url, "depot", "allowance", "list", "AL", "--json")
    assert res.code == 0 and res.json() == doc
    table = run_cli(db_url, "depot", "allowance", "list", "AL")
    assert "R2" in table.stdout and "30 min" in table.stdout and "4.5 km" in table.stdout
    # null: that value is the next rule's again; the last value gone, the override is gone
    assert c.patch("/api/v1/depots/AL/allowances/stops/B", json={"pull_out_km": None}).status_code == 200
    assert c.get("/api/v1/depots/AL/allowances").json()["stops"] == []
    assert c.delete("/api/v1/depots/AL/allowances/routes/R2").status_code == 204
    log = audit.events(app.uow(), "AL", kind="allowance_changed")
    assert len(log) == 5
    newest = log[0]
    assert newest.before == {"route": "R2", "pull_out_min": 30, "pull_out_km": None, "pull_in_min": None,
                             "pull_in_km": 4.5}
    assert newest.after == {"route": "R2", "pull_out_min": None, "pull_out_km": None, "pull_in_min": None,
                            "pull_in_km": None}
    assert log[-1].before["pull_out_min"] is None and log[-1].after["pull_out_min"] == 30
    page = web_client(app).get("/depots/AL/audit").text
    assert "route or stop allowance changed" in page and "Route R2: pull out min not set → 30" in page


def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(app, depot, db_url) -> None:  # type: ignore[no-untyped-def]
    c = api_client(app)
    assert c.patch("/api/v1/depots/AL/allowances/routes/R2", json={"pull_out_min": 30}).status_code == 200
    doc = c.get("/api/v1/depots/AL/allowances").json()
    for args, code, said in (
            (("--route", "R9", "--pull-out-min", "5"), 1, "no trip of depot 'AL''s schedules runs on route 'R9'"),
            (("--stop", "Z", "--pull-in-min", "5"), 1, "starts or ends at stop 'Z'"),
            (("--route", "R2", "--pull-out-min", "-5"), 1, "pull-out allowance -5 min: give whole minutes from 0"),
            (("--route", "R2", "--pull-in-km", "-1", "--pull-out-min", "7"), 1,
             "pull-in allowance -1.0 km: give a distance from 0 to 100 km"),
            (("--route", "R2", "--pull-out-min", "ten"), 2, "Invalid value for '--pull-out-min'"),
            (("--route", "R2", "--stop", "C", "--pull-out-min", "5"), 1, "name one route (--route ROUTE) or one stop"),
            (("--route", "R2"), 1, "give at least one allowance to set")):
        res = run_cli(db_url, "depot", "allowance", "set", "AL", *args)
        assert res.code == code, (args, res.stderr)
        assert said in " ".join(res.stderr.split()), (args, res.stderr)
        assert "Traceback" not in res.stderr
    res = run_cli(db_url, "depot", "allowance", "clear", "AL", "--route", "R1")
    assert res.code == 1 and "route 'R1' sets no allowance at depot 'AL'" in res.stderr
    for path, body, status in (
            ("routes/R9", {"pull_out_min": 5}, 404), ("stops/Z", {"pull_in_min": 5}, 404),
            ("routes/R2", {"pull_out_min": -5}, 422), ("routes/R2", {"pull_out_min": "ten"}, 422),
            ("routes/R2", {"pull_in_km": 250}, 422), ("routes/R2", {"pull_out_min": 2.5}, 422),
            ("routes/R2", {}, 422), ("routes/R2", {"deadhead": 3}, 422), ("routes/R1", {"pull_in_km": None}, 422),
            ("routes/R2", {"pull_out_min": 7, "pull_in_min": 999}, 422)):
        r = c.patch(f"/api/v1/depots/AL/allowances/{path}", json=body)
        assert r.status_code == status, (path, body, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"]
    assert c.delete("/api/v1/depots/AL/allowances/stops/C").status_code == 404
    assert c.patch("/api/v1/depots/NOPE/allowances/routes/R2", json={"pull_out_min": 5}).status_code == 404
    assert api_client(app, role="dispatcher", depots=["AL"]).patch("/api/v1/depots/AL/allowances/routes/R2",
                                                    json={"pull_out_min": 5}).status_code == 403
    assert c.get("/api/v1/depots/AL/allowances").json() == doc  # nothing written
    assert len(audit.events(app.uow(), "AL", kind="allowance_changed")) == 1


def test_a_feed_imported_after_the_override_takes_it(app, depot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The depot is read with the ends of the trips its overrides touch (kept while its rules and schedules
    are the same): a new schedule's trips on the route are covered as soon as it is imported."""
    from depotdispatch.services import allowances

    now = datetime.fromisoformat(NOW)
    allowances.set_allowance(app.uow(), "AL", "route", "R2", now, "t", pull_out_min=30)
    assert _local(_board(app)["Y1"]["yard_pull_out"]) == "05:30"
    feed = make_feed(tmp_path / "more.zip", routes={"w1": "R2"},
                     trips=[("w1", "S", "W", [("A", "15:00:00", "15:00:00"), ("B", "16:00:00", "16:00:00")])])
    schedules.import_gtfs(app.uow(), "AL", gtfs.read_gtfs(feed), now)
    days.setup_day(app.uow(), "AL", DAY, now)
    board = _board(app)
    assert _local(board["W"]["yard_pull_out"]) == "14:30" and _local(board["Y1"]["yard_pull_out"]) == "05:30"


def test_the_recommendation_charges_and_spends_by_the_route_allowance(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One EV, full, and route R2's two blocks (Y1 06:00-08:00, Y2 09:00-11:00, ~6 km each): on the depot's
    allowances (none) it runs both; with R2's 100 km each way and 30/20 min, Y1 alone needs ~268 kWh and the
    10 min left to charge before Y2 cannot make up for it, so the recommendation leaves one uncovered."""
    from depotdispatch.services import allowances, recommendations

    t0, now = datetime.fromisoformat("2026-11-01T00:00:00+00:00"), datetime.fromisoformat(NOW)
    depots.add_depot(app.uow(), Depot("AR", "One route", "America/New_York"), t0)
    feed = make_feed(tmp_path / "r2.zip", trips=TRIPS[2:4], routes=ROUTES)
    schedules.import_gtfs(app.uow(), "AR", gtfs.read_gtfs(feed), t0)
    days.setup_day(app.uow(), "AR", DAY, t0)
    fleet.import_fleet(app.uow(), "AR", [FleetEntry(1, "E1", EV)])
    at = datetime.fromisoformat("2026-11-02T04:50:00-05:00")
    readings.add_readings(app.uow(), [(1, SocReading("E1", 100, at, "telematics", plugged_in=False))], at)
    plain = recommendations.recommend(app.uow(), "AR", DAY, now).as_dict()
    assert sorted(p["block_id"] for p in plain["proposals"]) == ["Y1", "Y2"] and plain["uncovered"] == []
    allowances.set_allowance(app.uow(), "AR", "route", "R2", now, "t", pull_out_min=30, pull_in_min=20,
                             pull_out_km=100, pull_in_km=100)
    rec = recommendations.recommend(app.uow(), "AR", DAY, now).as_dict()
    assert [(p["block_id"], p["explanation"]) for p in rec["proposals"]] == [
        ("Y1", "EV E1: 100 % at pull-out, needs 67 %, pulls in at 33 %")]  # (6 + 200 km) x 1.3 kWh of 400
    assert [u["block_id"] for u in rec["uncovered"]] == ["Y2"]
    assert "would run out 28 % short" in rec["uncovered"][0]["explanation"]
