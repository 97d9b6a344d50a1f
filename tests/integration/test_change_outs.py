"""Barrie in February (shared/data/gtfs): no EV runs the 255-414 km blocks on one charge. The diesels get
the blocks only a diesel can run, and the rest get change-out suggestions that the split accepts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import audit, board, change_outs, days, depots, fleet, readings, recommendations, schedules
from depotdispatch.services import plan as plan_svc
from tests.auth_helpers import api_client, web_client
from tests.helpers import run_cli, shared

DAY = parse_date("2026-02-18")
NOW = datetime.fromisoformat("2026-02-18T03:00:00-05:00")
# 660 kWh: at -8 degC heating costs ~23 kW (issue 10), so half a Barrie block needs a big battery
EV = VehicleType("E12", "bev", usable_kwh=660, kwh_per_km=1.2, vehicle_class="12m", charge_kw=150)
DSL = VehicleType("D12", "diesel", vehicle_class="12m")


def _barrie(app) -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot("BAR", "Barrie", "America/Toronto", temperature_c=-8), NOW)
    schedules.import_gtfs(app.uow(), "BAR", read_gtfs(shared("gtfs", "barrie_2026.zip")), NOW)
    days.setup_day(app.uow(), "BAR", DAY, NOW)
    entries = [FleetEntry(i + 1, f"E{i:02d}", EV) for i in range(30)] + \
              [FleetEntry(31 + i, f"D{i}", DSL) for i in range(3)]
    fleet.import_fleet(app.uow(), "BAR", entries)
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i:02d}", 100, NOW, "telematics", plugged_in=True))
                                      for i in range(30)], NOW)


def test_barrie_february_diesels_on_the_longest_blocks_and_change_outs_for_the_rest(app, db_url) -> None:
    _barrie(app)
    result = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t")
    doc = result.as_dict()
    listed = {b.block_id: b for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks}
    on_diesel = [p["block_id"] for p in doc["proposals"] if p["vehicle_id"].startswith("D")]
    ev_blocks = {p["block_id"] for p in doc["proposals"] if p["vehicle_id"].startswith("E")}
    long = sorted((b for b in listed.values() if b.block_id not in ev_blocks), key=lambda b: -(b.distance_km or 0))
    # the diesels run blocks no EV can (none of them is a block an EV was given or could have been)
    assert len(on_diesel) == 3 and all(listed[b].distance_km > 250 for b in on_diesel)
    assert all("only a non-EV can run it" in p["explanation"] for p in doc["proposals"] if p["block_id"] in on_diesel)
    outs = doc["change_outs"]
    assert outs, "no change-out suggested"
    suggested = {c["block_id"] for c in outs}
    assert suggested <= {b.block_id for b in long} and len(suggested) >= 10
    for c in outs:
        block = listed[c["block_id"]]
        at = datetime.fromisoformat(c["at"])
        assert block.pull_out < at < block.pull_in and c["swap_vehicle"] != c["first_vehicle"]
        assert abs(c["first_km"] + c["second_km"] - block.distance_km) < 0.5
        lead = f"instead of {c['instead_of']} on the whole block (its proposal): " if c["instead_of"] else ""
        assert c["explanation"].startswith(lead + "no EV runs all")
    # stored with the recommendation and accepted later by its id: the split and both EVs in one transaction
    c = outs[0]
    url = (f"/api/v1/depots/BAR/days/2026-02-18/plan/recommendations/{result.recommendation_id}/change-outs/"
           f"{c['block_id']}/accept")
    client = api_client(app)
    app.clock.fixed = NOW
    stale = client.post(url, json={"plan_version": result.plan_version + 1})
    assert stale.status_code == 409 and stale.json()["type"].endswith("/stale-plan-version")
    whole = listed[c["block_id"]]
    app.clock.fixed = whole.pull_out + timedelta(minutes=1)
    started = client.post(url, json={"plan_version": result.plan_version})
    assert started.status_code == 409 and "in service" in started.json()["detail"], started.json()
    app.clock.fixed = NOW
    assert {b.block_id for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks} == set(listed)  # not split
    ok = client.post(url, json={"plan_version": result.plan_version})
    assert ok.status_code == 200, ok.json()
    done = ok.json()
    # one plan-version step and one audit step for the split and both assignments (all or nothing)
    assert done["plan_version"] == result.plan_version + 1 and ok.headers["ETag"] == f'"{done["plan_version"]}"'
    made = [e for e in audit.events(app.uow(), "BAR", service_date=DAY)
            if e.plan_version is not None and e.plan_version > result.plan_version]
    assert {e.plan_version for e in made} == {done["plan_version"]}
    assert {e.kind for e in made} >= {"adhoc_created", "recommendation_accepted"}
    assert {e.block_id for e in made if e.kind == "recommendation_accepted"} == {
        done["first"]["block_id"], done["second"]["block_id"]}
    assert (done["first"]["vehicle_id"], done["second"]["vehicle_id"]) == (c["first_vehicle"], c["swap_vehicle"])
    assert abs(done["second"]["distance_km"] - c["second_km"]) < 0.01
    assert abs(done["first"]["distance_km"] + done["second"]["distance_km"] - whole.distance_km) < 0.5
    plan = {r.block.block_id: r.assignment for r in board.board(app.uow(), "BAR", NOW, service_date=DAY,
                                                                   whole_day=True).rows if r.assignment}
    first, second = plan[done["first"]["block_id"]], plan[done["second"]["block_id"]]
    assert (first.vehicle_id, first.source, second.vehicle_id, second.source) == (
        c["first_vehicle"], "recommended", c["swap_vehicle"], "recommended")
    split = {b.block_id: b for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks}
    assert split[done["second"]["block_id"]].pull_out == datetime.fromisoformat(c["at"])
    # the same suggestion again: the block has its EV now, refused with a sentence
    again = client.post(url, json={"plan_version": done["plan_version"]})
    assert again.status_code == 409 and "no longer holds" in again.json()["detail"]

    # the CLI shows the suggestions in its table and accepts one by the recommendation's id
    shown = run_cli(db_url, "plan", "recommend", "--depot", "BAR", "--date", "2026-02-18", now=NOW.isoformat())
    assert shown.code == 0, shown.stderr
    assert "Change-outs suggested" in shown.stdout and "--change-out BLOCK" in shown.stderr
    rec_id = int(shown.stderr.split("plan accept ")[1].split()[0])
    doc2 = run_cli(db_url, "plan", "version", "--depot", "BAR", "--date", "2026-02-18", "--json").json()
    other = next(o for o in outs[1:] if o["block_id"] not in plan)
    assert other["block_id"][:8] in shown.stdout  # a narrow terminal wraps the long GTFS id
    r = run_cli(db_url, "plan", "accept", str(rec_id), "--change-out", other["block_id"], "--depot", "BAR",
                "--date", "2026-02-18", "--version", str(doc2["plan_version"]), "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    assert r.json()["second"]["vehicle_id"] and r.json()["plan_version"] == doc2["plan_version"] + 1

    # the web page shows each suggestion (block, relief point and time, both parts, the swap EV) with a button
    web = web_client(app)
    now_outs = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t").as_dict()["change_outs"]
    page = web.post("/depots/BAR/days/2026-02-18/recommendation")  # the same inputs: the same suggestions
    assert page.status_code == 200 and "Change-outs suggested" in page.text
    assert page.text.count("Split and assign</button>") == len(now_outs)
    third = now_outs[0]
    row = page.text.split(f'<tr data-block="{third["block_id"]}">')[1].split("</tr>")[0]
    at_local = datetime.fromisoformat(third["at"]).astimezone(ZoneInfo("America/Toronto")).strftime("%H:%M")
    assert f"stop {third['relief_stop']}" in row and at_local in row and "Split and assign" in row
    assert f"{third['first_vehicle']}, {third['first_km']:.1f} km" in row
    assert f"{third['swap_vehicle']}, {third['second_km']:.1f} km" in row
    action = row.split('hx-post="')[1].split('"')[0]
    version = int(row.split('name="plan_version" value="')[1].split('"')[0])
    done_box = web.post(action, data={"plan_version": version, "csrf_token": web.csrf_token})
    assert done_box.status_code == 200 and f"Block {third['block_id']} split" in done_box.text
    assert done_box.headers["HX-Trigger"] == "dd:planChanged"
    # every form left on the page is sent against the plan's new version (the done box swaps their hidden
    # inputs out of band), so accepting the proposals next is not refused as stale
    assert page.text.count('name="plan_version"') == page.text.count('class="rec-plan-version"') >= 2
    oob = re.search(r'<input [^>]*class="rec-plan-version"[^>]*hx-swap-oob="outerHTML:#proposals '
                    r'input.rec-plan-version"[^>]*>', done_box.text)
    assert oob is not None, done_box.text
    fresh = int(oob.group(0).split('value="')[1].split('"')[0])
    assert fresh == plan_svc.plan_version(app.uow(), "BAR", DAY) > version
    assert "The rest of this recommendation can still be accepted" in done_box.text
    form = page.text.split('<form id="accept-form" hx-post="')[1]
    accept_url, first_block = form.split('"')[0], form.split('name="block_id" value="')[1].split('"')[0]
    old = web.post(accept_url, data={"plan_version": version, "block_id": first_block, "csrf_token": web.csrf_token})
    assert old.status_code == 409  # what the page sent before
    accepted = web.post(accept_url, data={"plan_version": fresh, "block_id": first_block,
                                          "csrf_token": web.csrf_token})
    assert accepted.status_code == 200 and "accepted (plan version" in accepted.text, accepted.text
    now_version = plan_svc.plan_version(app.uow(), "BAR", DAY)
    assert f'value="{now_version}" class="rec-plan-version"' in accepted.text  # and again after this accept


def test_a_change_out_for_a_block_proposed_to_a_diesel_is_offered_instead_of_it(app, db_url) -> None:
    """Issue 16 (HART 308066): a block the recommendation gives a diesel and a change-out is one answer with an
    alternative, never two accepts to run: the suggestion names the diesel it replaces, every front end says
    one or the other, and accepting one makes the other refused or skipped. The summary counts it once."""
    _barrie(app)
    result = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t")
    doc = result.as_dict()
    proposed = {p["block_id"]: p["vehicle_id"] for p in doc["proposals"]}
    alternatives = [c for c in doc["change_outs"] if c["instead_of"]]
    assert alternatives, "Barrie's diesel blocks get no change-out: the day no longer shows the case"
    for c in alternatives:
        assert proposed[c["block_id"]] == c["instead_of"] and c["instead_of"].startswith("D")
        assert c["explanation"].startswith(f"instead of {c['instead_of']} on the whole block (its proposal): ")
    # a change-out of an uncovered block replaces nothing
    assert all(c["block_id"] not in proposed for c in doc["change_outs"] if not c["instead_of"])

    # the one-line summary: its figures add up, and it says the alternatives are one or the other
    s = doc["summary"]
    ev = sum(1 for v in proposed.values() if v.startswith("E"))
    assert (s["blocks"], s["covered"], s["ev_covered"], s["proposed"], s["kept_assignments"]) == (
        len(proposed) + len(doc["uncovered"]), len(proposed), ev, len(proposed), 0)
    assert s["uncovered"] == [u["block_id"] for u in doc["uncovered"]]
    assert (s["change_outs"], s["change_outs_instead_of_proposals"]) == (len(doc["change_outs"]), len(alternatives))
    first3 = ", ".join(u["block_id"] for u in doc["uncovered"][:3])
    assert s["text"] == (f"Covers {len(proposed)} of {s['blocks']} blocks, {ev} with EVs; {len(doc['uncovered'])} "
                         f"uncovered: {first3} and {len(doc['uncovered']) - 3} more; {len(doc['change_outs'])} "
                         f"change-outs suggested ({len(alternatives)} of them instead of a proposed non-EV: one or the "
                         "other, not both)")

    # the CLI: the summary first; one accept line for the proposals, one for a change-out, and the blocks
    # where the change-out is instead of a proposal said to be one or the other
    shown = run_cli(db_url, "plan", "recommend", "--depot", "BAR", "--date", "2026-02-18", now=NOW.isoformat())
    assert shown.code == 0, shown.stderr
    assert " ".join(shown.stdout.split()).startswith(" ".join(s["text"].split()))
    err = " ".join(shown.stderr.split())
    assert err.count("accept with:") == 1 and err.count("accept a change-out with:") == 1
    assert "is an alternative to the non-EV proposed for the block, not an addition" in err
    assert all(c["block_id"] in err.replace(" ", "") for c in alternatives)
    as_json = run_cli(db_url, "plan", "recommend", "--depot", "BAR", "--date", "2026-02-18", "--json",
                      now=NOW.isoformat()).json()
    assert {"plan_version", "proposals", "uncovered", "change_outs"} <= set(as_json)  # DESIGN 9 keys kept
    assert as_json["summary"] == s | {"text": as_json["summary"]["text"]}  # the same day, the same figures
    assert [c["instead_of"] for c in as_json["change_outs"]] == [c["instead_of"] for c in doc["change_outs"]]

    # the API says the same
    client = api_client(app)
    app.clock.fixed = NOW
    api = client.post("/api/v1/depots/BAR/days/2026-02-18/plan/recommendations")
    assert api.status_code == 200, api.json()
    rec = api.json()
    assert rec["summary"]["covered"] == s["covered"] and rec["summary"]["text"] == s["text"]
    assert [c["instead_of"] for c in rec["change_outs"]] == [c["instead_of"] for c in doc["change_outs"]]

    # the web page: the summary, and each alternative named on both tables
    web = web_client(app)
    page = web.post("/depots/BAR/days/2026-02-18/recommendation")
    assert page.status_code == 200 and s["text"] in page.text
    one = alternatives[0]
    row = page.text.split(f'<tr data-block="{one["block_id"]}">')
    assert len(row) == 3  # its proposal, and its change-out
    assert f"Or, instead of {one['instead_of']}, the change-out" in row[1].split("</tr>")[0]
    assert f"{one['instead_of']} (proposed above)" in row[2].split("</tr>")[0]

    # one or the other: the change-out taken, the proposals accepted after it skip that block
    rec_id, version = rec["recommendation_id"], rec["plan_version"]
    done = change_outs.accept(app.uow(), "BAR", DAY, rec_id, one["block_id"], plan_version=version, actor="t",
                              now=NOW)
    rest = recommendations.accept(app.uow(), "BAR", DAY, rec_id, plan_version=done.plan_version, actor="t", now=NOW)
    assert {"block_id": one["block_id"], "reason": "the block has a vehicle now"} in rest.skipped
    plan = {r.block.block_id: r.assignment.vehicle_id for r in board.board(
        app.uow(), "BAR", NOW, service_date=DAY, whole_day=True).rows if r.assignment}
    assert (plan[one["block_id"]], plan[done.second.block_id]) == (one["first_vehicle"], one["swap_vehicle"])
    # ... or the proposal taken: its change-out is then refused, nothing split
    if len(alternatives) > 1:
        two = alternatives[1]
        assert plan[two["block_id"]] == two["instead_of"]
        before = {b.block_id for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks}
        with pytest.raises(Conflict, match="no longer holds"):
            change_outs.accept(app.uow(), "BAR", DAY, rec_id, two["block_id"], plan_version=rest.plan_version,
                               actor="t", now=NOW)
        assert {b.block_id for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks} == before


def test_with_the_depot_located_a_bus_is_relieved_at_a_stop_near_it(app, db_url) -> None:
    """DESIGN §12b: a relief point is the depot's run or a stop the block passes near the depot. Barrie's blocks
    start and end at the Downtown Hub; with the depot set at Georgian College (stop 330, where many trips
    start) and a 0.5 km relief distance, change-outs may also hand over there, and say where it is."""
    _barrie(app)
    before = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t").as_dict()["change_outs"]
    assert before and all("where it joins its depot run" in c["relief_point"] for c in before)
    r = run_cli(db_url, "depot", "set", "BAR", "--location", "44.41209,-79.66913", "--relief-km", "0.5", "--json")
    assert r.code == 0, r.stderr
    assert (r.json()["latitude"], r.json()["longitude"], r.json()["relief_km"]) == (44.41209, -79.66913, 0.5)
    after = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t").as_dict()["change_outs"]
    near = [c for c in after if c["relief_stop"] not in {b["relief_stop"] for b in before}]
    assert near, "no change-out at a stop near the depot"
    for c in near:
        assert re.fullmatch(r".+, 0\.[0-5] km from the depot", c["relief_point"]), c["relief_point"]
        assert f"at stop {c['relief_stop']} ({c['relief_point']};" in c["explanation"]
    assert any(c["relief_point"] == "Georgian College, 0.0 km from the depot" for c in near)
    # the page names the place and the distance rule; the audit log keeps the setting's before and after
    app.clock.fixed = NOW
    page = web_client(app).post("/depots/BAR/days/2026-02-18/recommendation")
    assert "a stop within 0.5 km of the depot" in page.text and "Georgian College, 0.0 km from the depot" in page.text
    log = audit.events(app.uow(), "BAR", kind="depot_settings_changed")
    assert len(log) == 1 and log[0].actor and log[0].after == {"latitude": 44.41209, "longitude": -79.66913,
                                                                "relief_km": 0.5}
    assert log[0].before == {"latitude": None, "longitude": None, "relief_km": 1.0}


@pytest.mark.parametrize("args, says", [
    (["--location", "44.4"], "give latitude and longitude in degrees"),
    (["--location", "north,west"], "give latitude and longitude in degrees"),
    (["--location", "95,-79"], "latitude 95.0: give -90 to 90 degrees"),
    (["--relief-km", "50"], "relief distance 50.0 km: give 0 to 20 km"),
])
def test_a_bad_depot_location_is_refused_and_nothing_changes(db_url, args, says) -> None:
    assert run_cli(db_url, "depot", "add", "BAR", "--name", "Barrie", "--tz", "America/Toronto").code == 0
    r = run_cli(db_url, "depot", "set", "BAR", *args)
    assert r.code != 0 and says in r.stderr
    doc = next(d for d in run_cli(db_url, "depot", "list", "--json").json()["depots"] if d["depot_id"] == "BAR")
    assert (doc["latitude"], doc["longitude"], doc["relief_km"]) == (None, None, 1.0)


def test_the_change_out_search_judges_in_full_only_the_evs_free_for_each_part(app, monkeypatch) -> None:
    """Big Blue Bus replay: with 104 EVs nearly all on other work, the search judged every EV for every part at
    every relief point (~0.45 s CPU of a ~0.65 s recommendation, finding nothing). An EV on other work then is never
    ok (the one turnaround rule): it is left out before its charge is worked out, and the suggestions stay the same."""
    from depotdispatch.domain import changeout
    from depotdispatch.domain.turnaround import block_clash

    _barrie(app)
    judged: list[tuple[str, object, list]] = []
    real = changeout.FleetJudge.judge

    def recording(self, vehicle_id, block, vehicle_blocks=()):  # type: ignore[no-untyped-def]
        if " (to trip " in block.block_id or " (from trip " in block.block_id:
            judged.append((vehicle_id, block, list(vehicle_blocks)))
        return real(self, vehicle_id, block, vehicle_blocks)

    monkeypatch.setattr(changeout.FleetJudge, "judge", recording)
    doc = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t").as_dict()
    assert doc["change_outs"] and judged  # the day still searches and finds change-outs
    turn = timedelta(minutes=10)
    busy = [(v, part.block_id) for v, part, chain in judged
            if any(b is not part and block_clash(b, part, turn) for b in chain)]
    assert busy == []
