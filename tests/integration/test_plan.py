"""The plan on both databases: versions, overrides, the audit log, recommendations, concurrent writers."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.plan_repo import PlanRepository
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import StaleVersion
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from depotdispatch.services import plan as plan_svc
from tests.auth_helpers import api_client
from tests.helpers import run_cli

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T04:00:00+02:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
DSL = VehicleType("D", "diesel", vehicle_class="12m")
BLOCKS = ("block_id,pull_out,pull_in,distance_km\nA,05:00,09:00,60\nB,06:00,14:00,150\nC,15:00,22:00,120\n"
          "LONG,05:30,23:30,400\n")


@pytest.fixture
def day(app) -> str:
    depots.add_depot(app.uow(), Depot("V", "Vilnius", "Europe/Vilnius"), NOW)
    schedules.import_blocks(app.uow(), "V", "b", read_blocks(BLOCKS.encode()), Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "V", DAY, NOW)
    fleet.import_fleet(app.uow(), "V", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV), FleetEntry(3, "E3", EV),
                                        FleetEntry(4, "D1", DSL)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 95, NOW, "telematics")),
                                      (2, SocReading("E2", 40, NOW, "telematics")),
                                      (3, SocReading("E3", 90, NOW, "telematics", plugged_in=True))], NOW)
    return "V"


def api(app) -> TestClient:
    app.clock.fixed = NOW
    return api_client(app)


def test_assign_bumps_the_version_and_records_an_event(app, day, db_url) -> None:
    r = run_cli(db_url, "plan", "assign", "A", "E1", "--depot", "V", "--date", "2026-11-25", "--version", "0",
                "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    assert r.json()["plan_version"] == 1 and r.json()["viability"]["status"] == "ok"
    stale = run_cli(db_url, "plan", "assign", "B", "E3", "--depot", "V", "--date", "2026-11-25", "--version", "0",
                    now=NOW.isoformat())
    assert stale.code == 1 and "the plan is at version 1" in stale.stderr
    log = run_cli(db_url, "audit", "log", "--depot", "V", "--block", "A", "--json").json()["events"]
    assert [(e["kind"], e["vehicle_id"], e["plan_version"], e["before"]) for e in log] == [("assigned", "E1", 1, None)]


def test_override_needs_a_reason_and_acknowledged_warnings(app, day) -> None:
    c = api(app)
    url = "/api/v1/depots/V/days/2026-11-25/plan/assignments/B"
    r = c.put(url, json={"vehicle_id": "E2", "plan_version": 0})
    assert r.status_code == 409 and r.json()["type"].endswith("/unacknowledged-warnings")
    assert [x["code"] for x in r.json()["reasons"]] == ["soc_below_reserve"]
    assert "runs out of charge before pull-in" in r.json()["detail"]  # the sentence, with its numbers
    r = c.put(url, json={"vehicle_id": "E2", "plan_version": 0, "override_reason": "short trip today"})
    assert r.status_code == 409  # a reason alone does not acknowledge over the API
    r = c.put(url, json={"vehicle_id": "E2", "plan_version": 0, "override_reason": "short trip today",
                         "acknowledge": ["soc_below_reserve"]})
    assert r.status_code == 200, r.json()
    assert r.headers["etag"] == '"1"' and r.json()["acknowledged"] == ["soc_below_reserve"]
    events = c.get("/api/v1/depots/V/events", params={"vehicle_id": "E2"}).json()["events"]
    assert events[0]["kind"] == "override"
    assert events[0]["after"]["override_reason"] == "short trip today"
    assert events[0]["after"]["acknowledged"] == ["soc_below_reserve"]
    plan = c.get("/api/v1/depots/V/days/2026-11-25/plan").json()
    b = next(x for x in plan["blocks"] if x["block_id"] == "B")
    assert b["vehicle_id"] == "E2" and b["viability"] == "not_viable" and plan["plan_version"] == 1
    assert "window" in plan


def test_the_cli_and_the_api_acknowledge_by_the_same_rule(app, day, db_url) -> None:
    """One rule (DayPlan): each warning named. Over the API the client names them (a reason alone is
    refused, the problem lists them); the CLI's --override-reason names the ones it prints, so the same
    override records the same codes; a code that is not the warning is refused on both."""
    c = api(app)
    url = "/api/v1/depots/V/days/2026-11-25/plan/assignments/B"
    refused = c.put(url, json={"vehicle_id": "E2", "plan_version": 0, "override_reason": "short trip today"})
    assert refused.status_code == 409 and [x["code"] for x in refused.json()["reasons"]] == ["soc_below_reserve"]
    wrong = c.put(url, json={"vehicle_id": "E2", "plan_version": 0, "override_reason": "short trip today",
                             "acknowledge": ["soc_stale"]})
    assert wrong.status_code == 409 and "acknowledge soc_below_reserve" in wrong.json()["detail"]
    cli = ("plan", "assign", "B", "E2", "--depot", "V", "--date", "2026-11-25", "--version", "0",
           "--override-reason", "short trip today")
    named_wrong = run_cli(db_url, *cli, "--acknowledge", "soc_stale", now=NOW.isoformat())
    assert named_wrong.code == 1 and "acknowledge soc_below_reserve" in named_wrong.stderr
    r = run_cli(db_url, *cli, "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    assert "acknowledging soc_below_reserve: " in r.stderr and r.json()["acknowledged"] == ["soc_below_reserve"]
    event = c.get("/api/v1/depots/V/events", params={"vehicle_id": "E2"}).json()["events"][0]
    assert (event["kind"], event["acknowledged"]) == ("override", ["soc_below_reserve"])


def test_stale_version_is_refused_with_the_current_one(app, day) -> None:
    c = api(app)
    assert c.put("/api/v1/depots/V/days/2026-11-25/plan/assignments/A", json={"vehicle_id": "E1"},
                 headers={"If-Match": '"0"'}).status_code == 200
    r = c.put("/api/v1/depots/V/days/2026-11-25/plan/assignments/C", json={"vehicle_id": "E3"},
              headers={"If-Match": '"0"'})
    assert r.status_code == 409 and r.json()["current_version"] == r.json()["plan_version"] == 1
    assert r.json()["type"].endswith("/stale-plan-version")
    r = c.put("/api/v1/depots/V/days/2026-11-25/plan/assignments/C", json={"vehicle_id": "E3"})
    assert r.status_code == 422 and "plan version" in r.json()["detail"]
    r = c.delete("/api/v1/depots/V/days/2026-11-25/plan/assignments/A", headers={"If-Match": "W/\"1\""})
    assert r.status_code == 200 and r.json()["plan_version"] == 2
    for bad in (("/api/v1/depots/V/days/2026-11-25/plan/assignments/NOPE", 404),
                ("/api/v1/depots/V/days/2026-11-26/plan/assignments/A", 404)):
        assert c.put(bad[0], json={"vehicle_id": "E1", "plan_version": 2}).status_code == bad[1]
    r = c.put("/api/v1/depots/V/days/2026-11-25/plan/assignments/A", json={"vehicle_id": "GHOST", "plan_version": 2})
    assert r.status_code == 404 and "GHOST" in r.json()["detail"]


def test_recommend_keeps_operator_assignments_and_accepting_records_each(app, day, db_url) -> None:
    plan_svc.assign(app.uow(), "V", DAY, "B", "E1", plan_version=0, actor="op", now=NOW)
    doc = run_cli(db_url, "plan", "recommend", "--depot", "V", "--date", "2026-11-25", "--json",
                  now=NOW.isoformat()).json()
    assert doc["plan_version"] == 1 and doc["kept_assignments"] == 1
    proposed = {p["block_id"]: p["vehicle_id"] for p in doc["proposals"]}
    assert "B" not in proposed and proposed.get("LONG") == "D1"  # no EV can do 400 km
    assert set(proposed) | {u["block_id"] for u in doc["uncovered"]} == {"A", "C", "LONG"}
    assert all(p["explanation"] for p in doc["proposals"])
    # the summary counts the operator's block as covered (by EV E1), beside the proposals
    ev = 1 + sum(1 for v in proposed.values() if v.startswith("E"))
    s = doc["summary"]
    assert (s["blocks"], s["covered"], s["ev_covered"], s["kept_assignments"]) == (4, 1 + len(proposed), ev, 1)
    assert s["text"].startswith(f"Covers {1 + len(proposed)} of 4 blocks (1 already in the plan, "
                                f"{len(proposed)} proposed), {ev} with EVs; ")
    rid = str(doc["recommendation_id"])
    r = run_cli(db_url, "plan", "accept", rid, "--depot", "V", "--date", "2026-11-25", "--version", "1", "--json",
                now=NOW.isoformat())
    assert r.code == 0, r.stderr
    assert sorted(r.json()["applied"]) == sorted(proposed) and r.json()["plan_version"] == 2
    again = run_cli(db_url, "plan", "accept", rid, "--depot", "V", "--date", "2026-11-25", "--version", "2", "--json",
                    now=NOW.isoformat()).json()
    assert again["applied"] == [] and again["plan_version"] == 2
    events = run_cli(db_url, "audit", "log", "--depot", "V", "--date", "2026-11-25", "--json").json()["events"]
    accepted = [e for e in events if e["kind"] == "recommendation_accepted"]
    assert sorted(e["block_id"] for e in accepted) == sorted(proposed)
    assert all(e["after"]["source"] == "recommended" for e in accepted)
    board = run_cli(db_url, "day", "board", "--depot", "V", "--date", "2026-11-25", "--json",
                    now=NOW.isoformat()).json()
    assert {b["block_id"]: b["vehicle_id"] for b in board["blocks"]}["B"] == "E1"


def test_two_concurrent_writers_on_postgresql_one_wins(templates, backend) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer by design (BEGIN IMMEDIATE serialises whole transactions)")
    with templates.fresh("postgresql") as url:
        setup = App(url, Clock(NOW))
        seed_two_evs(setup)
        both_checked = threading.Barrier(2, timeout=20)
        original = PlanRepository.bump_version

        def bump_after_both_checked(self, day_id, expected):  # type: ignore[no-untyped-def]
            both_checked.wait()  # both writers read version 0 and wrote their rows: now race for the version
            return original(self, day_id, expected)

        outcomes: dict[str, object] = {}

        def write(block: str, vehicle: str) -> None:
            app = App(url, Clock(NOW))
            try:
                outcomes[block] = plan_svc.assign(app.uow(), "V", DAY, block, vehicle, plan_version=0, actor=block,
                                                  now=NOW)
            except Exception as exc:  # noqa: BLE001 - the assertion below says which
                outcomes[block] = exc
            finally:
                app.close()

        PlanRepository.bump_version = bump_after_both_checked  # type: ignore[method-assign]
        try:
            threads = [threading.Thread(target=write, args=a) for a in (("A", "E1"), ("C", "E3"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        finally:
            PlanRepository.bump_version = original  # type: ignore[method-assign]
        winners = [b for b, o in outcomes.items() if isinstance(o, plan_svc.PlanChange)]
        losers = [b for b, o in outcomes.items() if isinstance(o, StaleVersion)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        with setup.uow() as uow:
            assignments = uow.plans.assignments_for_dates("V", [DAY])
            version = uow.plans.version(uow.days.day_id("V", DAY))
            events = uow.plans.events("V", service_date=DAY)
        assert version == 1 and [a.block_id for a in assignments.values()] == winners
        # the loser left nothing behind (the day's set-up is the other event of the day)
        assert [e.block_id for e in events if e.kind != "day_set_up"] == winners
        setup.close()


def seed_two_evs(app) -> None:
    depots.add_depot(app.uow(), Depot("V", "Vilnius", "Europe/Vilnius"), NOW)
    schedules.import_blocks(app.uow(), "V", "b", read_blocks(BLOCKS.encode()), Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "V", DAY, NOW)
    fleet.import_fleet(app.uow(), "V", [FleetEntry(1, "E1", EV), FleetEntry(3, "E3", EV)])
    readings.add_readings(app.uow(), [(1, SocReading("E1", 95, NOW, "telematics")),
                                      (3, SocReading("E3", 90, NOW, "telematics"))], NOW)
