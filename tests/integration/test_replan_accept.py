"""Accepting a stored re-plan (CLI `plan replan --accept`, the API, the web button): its moves, all or the chosen
ones, in one plan version as `recommended` assignments, or none; a move it never proposed, a stale version, a
manual block and half a swap are refused with nothing written."""

from __future__ import annotations

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
