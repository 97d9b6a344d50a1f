"""`plan replan` (DESIGN §9, §12b): moves recommended/imported assignments of blocks not started, never
manual ones, to cover more blocks (and more with EVs), showing each move and what it gains."""

from __future__ import annotations

from depotdispatch.services import plan as plan_svc
from tests.helpers import run_cli
from tests.integration.test_plan import DAY, NOW, api, day  # noqa: F401  (the day fixture)


def test_replan_frees_the_diesel_for_the_block_only_it_can_run_and_keeps_manual(app, day, db_url) -> None:  # noqa: F811
    # the dispatch sheet gave the diesel block A, which an EV can run; LONG (400 km) only the diesel can run
    plan_svc.assign(app.uow(), "V", DAY, "A", "D1", plan_version=0, actor="sheet", now=NOW, source="imported")
    plan_svc.assign(app.uow(), "V", DAY, "C", "E1", plan_version=1, actor="op", now=NOW)  # manual: stays
    r = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    doc = r.json()
    moves = {m["block_id"]: (m["from_vehicle"], m["to_vehicle"]) for m in doc["moves"]}
    assert moves["LONG"] == (None, "D1") and moves["A"][0] == "D1" and moves["A"][1].startswith("E")
    assert "C" not in moves and doc["kept_manual_assignments"] == 1
    assert doc["gain"]["covered"] >= 1 and doc["after"]["covered"] > doc["before"]["covered"]
    assert all(m["explanation"] for m in doc["moves"]) and doc["plan_version"] == 2
    # each move says what it gains (G16-3): the diesel freed, for which block, and why only it can run that
    gain = {m["block_id"]: m["gain"] for m in doc["moves"]}
    assert gain["A"] == (f"EV {moves['A'][1]} instead of D1: +1 by EV; frees D1 for LONG, which no EV can run: "
                         "+1 covered")
    assert gain["LONG"] == "covers it with D1: +1 covered"
    assert [sum(m["gains"][k] for m in doc["moves"]) for k in ("covered", "ev_covered")] == [
        doc["gain"]["covered"], doc["gain"]["ev_covered"]]
    # the table says how many moves are onto blocks with no bus, and counts the manual one as one (BBB replay)
    shown = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", now=NOW.isoformat())
    fresh = sum(1 for m in doc["moves"] if m["from_vehicle"] is None)
    title = " ".join(shown.stdout.split())
    assert f"{len(doc['moves'])} moves ({fresh} of them onto a block with no bus)" in title, title
    assert "; 1 manual assignment kept" in title
    # stored with an id, no assignment written
    assert run_cli(db_url, "plan", "version", "--depot", "V", "--date", "2026-11-25", "--json").json()[
        "plan_version"] == 2
    c = api(app)
    r2 = c.post("/api/v1/depots/V/days/2026-11-25/plan/replans")
    assert r2.status_code == 200 and r2.json()["moves"] == doc["moves"] and r2.json()["replan_id"] > doc["replan_id"]


def test_replan_bad_input(app, day, db_url) -> None:  # noqa: F811
    r = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-26", "--json")
    assert r.code == 1 and "not set up" in r.stderr
    r = run_cli(db_url, "plan", "replan", "--depot", "NOPE", "--date", "2026-11-25")
    assert r.code == 1
    c = api(app)
    assert c.post("/api/v1/depots/V/days/2026-11-26/plan/replans").status_code == 404
    assert c.post("/api/v1/depots/V/days/not-a-date/plan/replans").status_code in (400, 422)


def test_a_move_off_a_bus_that_is_not_ok_for_its_block_says_so(app, day, db_url) -> None:  # noqa: F811
    # the demo at 04:30: three moves "E112 instead of E106; frees E106 for 4187804", +0 covered, +0 by EV, and
    # nowhere that E112, on 4187804 now, would pull in at 12 % against a 20 % reserve: the gain of it all
    plan_svc.assign(app.uow(), "V", DAY, "B", "E2", plan_version=0, actor="sheet", now=NOW, source="imported",
                    override_reason="sheet", acknowledge=["soc_below_reserve"])
    r = run_cli(db_url, "plan", "replan", "--depot", "V", "--date", "2026-11-25", "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    doc = r.json()
    [off] = [m for m in doc["moves"] if m["block_id"] == "B"]
    assert off["from_vehicle"] == "E2" and off["to_vehicle"] not in (None, "E2")
    assert (": keeps it ok (E2 would be not viable on it: runs out of charge before pull-in (9 % of a battery "
            "short)" in off["gain"]), off["gain"]
    assert "no gain by itself" not in off["gain"] and doc["moved_off_not_ok"] == 1
